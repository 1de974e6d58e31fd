"""DF001: `pip install` without `--no-cache-dir` (or a `uv` install without `--no-cache`).

The cache stays out of the layer when the command keeps none (an option of that command, even
abbreviated as pip allows, or a setting in the environment it runs with: ENV, ARG, or exported
earlier in the RUN), when the RUN mounts something over the cache dir (where the command keeps
it: `--cache-dir`, PIP_CACHE_DIR / UV_CACHE_DIR, XDG_CACHE_HOME, else under the home of the
user it runs as: the USER's, or that of the user a wrapper switches to, `gosu app pip ...`), or
when a later command of the RUN empties it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from typing import NamedTuple

from imagepin.rules import pip_options
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import is_root, mounts, rm_recursive, user_part
from imagepin.rules.credentials import shown
from imagepin.rules.dockerfile_model import Dockerfile, Instruction, expand, unquote
from imagepin.rules.script_env import environments
from imagepin.rules.shell import Command, Uv, pip_words, run_commands, runs_as, uv_command

_FALSE = {"", "0", "false", "no", "off", "n", "f"}
"""What uv reads as false in a boolean setting such as `UV_NO_CACHE`."""


class _Step(NamedTuple):
    """A command of the RUN and the environment it runs with (ENV, ARG, what the script set)."""

    command: Command
    env: Mapping[str, str]
    unexported: Set[str] = frozenset()
    """Variables the script set without exporting them: the command does not see them."""


class _Home(NamedTuple):
    """Whose home `~` (the default cache's place) is, for one command."""

    path: str | None
    """HOME when set (ENV HOME, `export HOME=...`): then paths compare exactly."""
    user: str | None
    """The non-root user the command runs as, whose home is not known here but is not /root:
    the USER's, or the one a wrapper switches to; None for root, or a user not known here (the
    base image's: root in most images)."""
    by: str | None = None
    """The wrapper that switches to `user` (`gosu` in `gosu app pip install x`); None for USER."""


_MOUNTED = frozenset({"cache", "tmpfs", "bind"})
"""Mount types whose writes never reach the layer (`bind` is the default; read-only, it leaves
pip no cache to write)."""


def _nonroot(user: Instruction | None) -> str | None:
    """The user named by the USER in effect when known not to be root (read as DF004 reads it);
    None for root, no USER, or a user given by a variable without a value."""
    if user is None:
        return None
    name, missing = expand(user_part(user.value[0]), user.scope)
    name = unquote(name).split(":", 1)[0].strip("\"' ")
    return None if missing or not name or is_root(name) else name


def _home(step: _Step, user: str | None) -> _Home:
    """Whose home the command's `~` is: that of the user a wrapper switches to (gosu, su-exec,
    sudo and doas set HOME to it), else HOME when set, else the USER's."""
    if (switch := runs_as(step.command.argv)) is not None:
        by, written = switch
        name, missing = expand(written, step.env)  # `gosu $APP_USER`, `sudo -u '#1000'`
        name = name.split(":", 1)[0].removeprefix("#")
        return _Home(None, None) if missing or not name or is_root(name) else _Home(None, name, by)
    home = step.env.get("HOME", "")
    if home.startswith("/") and "$" not in home:
        return _Home(home.rstrip("/"), None)
    return _Home(None, user)


def _normal(path: str) -> str:
    """`path` as compared: the home written `~` however spelled (`$HOME`, `${HOME}`), without
    a trailing slash."""
    for spelling in ("${HOME}", "$HOME", "~"):
        if path == spelling or path.startswith(spelling + "/"):
            path = "~" + path[len(spelling) :]
            break
    return path.rstrip("/") or "/"


def _resolve(path: str, home: str) -> str:
    return (home + path[1:] or "/") if path.startswith("~") else path


def _under(path: str, folder: str) -> bool:
    return folder == "/" or path == folder or path.startswith(folder + "/")


def _covers(path: str, cache: str, home: _Home) -> bool:
    """Whether `path` (a mount target, or what `rm -rf` removes) is the cache dir `cache` or a
    folder above it. With the home not known, `~/.cache/pip` is any `*/.cache/pip` (or root's
    home) for root or the base image's user, and never one under /root for a non-root user."""
    path, cache = _normal(path), _normal(cache)
    if home.path is not None:
        path, cache = _resolve(path, home.path), _resolve(cache, home.path)
    if path[:1] not in ("/", "~") or cache[:1] not in ("/", "~"):
        return path == cache
    if path == "/" or path[0] == cache[0]:
        return _under(cache, path)
    if path[0] == "~":  # `rm -rf ~/.cache` and an absolute cache dir
        if home.user is None:
            return _under(cache, _resolve(path, "/root"))
        return not _under(cache, "/root") and path[1:] + "/" in cache + "/"
    if home.user is not None and _under(path, "/root"):
        return False  # a non-root user's cache is not under /root
    return _ends_home_folder(path, cache[1:]) or (home.user is None and path == "/root")


def _ends_home_folder(path: str, below: str) -> bool:
    """Whether `path` is a folder `below` the home names, the home being any folder: whether it
    ends with the first folders of `below` (`/srv/.cache` for `/.cache/pip`). Tried at each `/`
    of `path` from its end, as long as what follows fits in `below` (no copy of every start of
    `below`: a cache dir is any length)."""
    at = len(path)
    while (at := path.rfind("/", 0, at)) >= 0 and len(path) - at <= len(below):
        end = len(path) - at
        if below[end : end + 1] in ("", "/") and below.startswith(path[at:]):
            return True
    return False


def _targets(instruction: Instruction) -> list[str]:
    """Where the RUN mounts something whose writes never reach the layer."""
    found = mounts(instruction)
    return [m["target"] for m in found if m["target"] and m.get("type", "bind").lower() in _MOUNTED]


class _KeptOut:
    """What keeps a cache out of the layer for the command in hand: a mount of the RUN over it,
    or a later command that empties it (`pip cache purge`, `uv cache clean`, `rm -rf`). The RUN
    is walked backwards, each command `add`ed once passed: its clean-up is read once, and each
    cache asked about is compared once with each mount and each folder removed, however many
    installs ask (`pip install a && pip install b && ...` is read in linear time)."""

    def __init__(self, targets: Sequence[str]) -> None:
        self.targets = targets
        self.cleaned: set[tuple[str, str]] = set()
        """Each (tool, cache dir) a later command empties with the tool's own clean-up."""
        self.removed: list[str] = []
        """Each folder a later `rm -r` removes, once."""
        self.known: set[str] = set()
        self.asked: dict[tuple[str, _Home], int] = {}
        """For a cache asked about, how many of `removed` it was compared with: -1 once covered."""

    def add(self, step: _Step) -> None:
        """Take in what `step` empties: it comes after the commands asked about from now on."""
        if (cleaned := _cleaned(step)) is not None:
            self.cleaned.add(cleaned)
        run = step.command.program
        if step.command.name == "rm" and rm_recursive(run[1:]):
            for path in (p.removesuffix("*") for p in run[1:] if not p.startswith("-")):
                if path not in self.known:
                    self.known.add(path)
                    self.removed.append(path)

    def __call__(self, tool: str, cache: str, home: _Home) -> bool:
        """Whether `tool`'s cache `cache`, for a command with that home, stays out."""
        if (tool, cache) in self.cleaned:
            return True
        key = (cache, home)
        if key not in self.asked:
            self.asked[key] = -1 if any(_covers(t, cache, home) for t in self.targets) else 0
        done = self.asked[key]
        if done >= 0:
            covered = any(_covers(path, cache, home) for path in self.removed[done:])
            self.asked[key] = done = -1 if covered else len(self.removed)
        return done < 0


def _why(instruction: Instruction, step: _Step, tool: str, cache: str, home: _Home) -> str:
    """Why a way out that is written does not count: the script sets the tool's no-cache
    variable without exporting it, or a mount is on root's cache but the home is another (HOME,
    the USER's, or that of the user a wrapper switches to)."""
    setting = "PIP_NO_CACHE_DIR" if tool == "pip" else "UV_NO_CACHE"
    if setting in step.unexported:
        return f" ({setting} is set in the script but not exported, so {tool} does not see it)"
    if home == _Home(None, None) or not cache.startswith("~"):
        return ""
    if home.path is not None:
        whose = f"HOME is {home.path or '/'}"
    elif home.by is not None:
        whose = f"{home.by} runs it as {home.user}, whose home is not /root"
    else:
        whose = f"it runs as USER {home.user}, whose home is not /root"
    for target in _targets(instruction):
        if _covers(target, cache, _Home(None, None)):
            return f" ({whose}, so the mount on {target} misses its cache)"
    return ""


def _target(cache: str, home: _Home) -> str:
    """The cache dir to mount, its home resolved (`<home of USER app>`, `<home of app>` after
    `gosu app`, when not known)."""
    if not cache.startswith("~"):
        return cache
    if home.path is not None:
        return _resolve(cache, home.path)
    if home.user is None:
        return "/root" + cache[1:]
    return f"<home of {home.user if home.by else 'USER ' + home.user}>{cache[1:]}"


def _pip(instruction: Instruction, step: _Step, kept_out: _KeptOut, home: _Home) -> str | None:
    """The fix for a `pip install` that keeps pip's cache, or None when it keeps none."""
    run, words = step.command.program, pip_words(step.command.program)
    if step.command.pip_install is None or words is None:
        return None
    written = pip_options.cache_dir(words, step.env)
    if written is None:
        return None
    cache = _normal(written)
    if kept_out("pip", cache, home):
        return None
    options = pip_options.parse(words).options
    if any(name == "--cache-dir" for name, _ in options):  # the last one wins: add it last
        at = run.index("--") if "--" in run else len(run)
    else:
        at = len(run) - len(step.command.pip_install)  # after `install`
    fixed = shown([*run[:at], "--no-cache-dir", *run[at:]])
    return (
        f"RUN {shown(run)} keeps pip's download cache in the layer"
        f"{_why(instruction, step, 'pip', cache, home)}; write {fixed} "
        f"(or RUN --mount=type=cache,target={_target(cache, home)})"
    )


_UV_FILLS = {("pip", "install"), ("pip", "sync"), ("sync",), ("add",), ("run",)}
_UV_FILLS |= {("tool", "install"), ("tool", "run")}
"""uv commands that download and install packages into an environment, through uv's cache
(`uv run` syncs the project first; `uvx` keeps the tool's environment in the cache)."""


def _own(uv: Uv) -> tuple[str, ...]:
    """uv's own arguments: for `uv run` and `uvx`, those before the program it runs (`uv run
    pytest -n 4`: `-n` is pytest's)."""
    if uv.command in (("run",), ("tool", "run")) and uv.operands:
        return uv.args[: uv.args.index(uv.operands[0])]
    return uv.args


def _uv_cache_dir(step: _Step, uv: Uv) -> str:
    """Where this uv command keeps its cache (`--cache-dir`, `UV_CACHE_DIR`, `XDG_CACHE_HOME`,
    else ~/.cache/uv), as `_normal` writes it."""
    own = _own(uv)
    for i, word in enumerate(own):
        if word == "--cache-dir" and i + 1 < len(own):
            return _normal(own[i + 1])
        if word.startswith("--cache-dir="):
            return _normal(word.partition("=")[2])
    if found := step.env.get("UV_CACHE_DIR"):
        return _normal(found)
    if found := step.env.get("XDG_CACHE_HOME"):
        return _normal(found.rstrip("/") + "/uv")
    return "~/.cache/uv"


def _no_cache(uv: Uv, step: _Step) -> bool:
    """`--no-cache` (also `--no-cache-dir`, `-n`, `-qn`) or a true `UV_NO_CACHE`."""
    for word in _own(uv):
        if word in ("--no-cache", "--no-cache-dir"):
            return True
        if word[:1] == "-" and "n" in word and set(word[1:]) <= set("qvn"):
            return True  # `-n`, or with the other global short flags (`-qn`), not `-Pnumpy`
    return step.env.get("UV_NO_CACHE", "").lower() not in _FALSE


def _cleaned(step: _Step) -> tuple[str, str] | None:
    """The cache dir a command empties whole: `uv cache clean` (no package named), `pip cache
    purge` or `pip cache remove '*'` (the wheels and the HTTP cache; another pattern removes
    only wheels)."""
    uv = uv_command(step.command.program)
    if uv is not None:
        if uv.command in (("cache", "clean"), ("cache", "clear")) and not uv.operands:
            return "uv", _uv_cache_dir(step, uv)
        return None
    words = pip_words(step.command.program)
    if words is None or pip_options.parse(words).operands not in (
        ("cache", "purge"),
        ("cache", "remove", "*"),
    ):
        return None
    cache = pip_options.cache_dir(words, step.env)
    return None if cache is None else ("pip", _normal(cache))


def _uv(instruction: Instruction, step: _Step, kept_out: _KeptOut, home: _Home) -> str | None:
    """The fix for a uv command that keeps uv's cache, or None when it keeps none."""
    uv = uv_command(step.command.program)
    if uv is None or uv.command not in _UV_FILLS:
        return None
    own = set(_own(uv))
    if {"-h", "--help"} & own:
        return None
    if uv.command == ("add",) and {"--frozen", "--no-sync"} & own:
        return None  # only pyproject.toml is written: nothing is downloaded
    if uv.command == ("run",) and {"--no-sync", "--no-project"} & own and not _with(own):
        return None  # no project to sync, nothing asked for with it
    cache = _uv_cache_dir(step, uv)
    if _no_cache(uv, step) or kept_out("uv", cache, home):
        return None
    run = step.command.program
    fixed = shown([*run[: uv.at], "--no-cache", *run[uv.at :]])
    return (
        f"RUN {shown(run)} keeps uv's cache in the layer"
        f"{_why(instruction, step, 'uv', cache, home)}; write {fixed} (or ENV UV_NO_CACHE=1, "
        f"or RUN --mount=type=cache,target={_target(cache, home)})"
    )


def _with(args: Iterable[str]) -> bool:
    """Whether `uv run` is asked for packages beyond the project (`--with`, installed anyway)."""
    return any(a.startswith("--with") for a in args)


def _run(df: Dockerfile, instruction: Instruction, user: str | None) -> list[Finding]:
    """The findings on one RUN, whose commands run as `user` (non-root, else None)."""
    commands = run_commands(instruction)
    if not any(c.pip_install is not None or uv_command(c.program) for c in commands):
        return []
    envs = environments(instruction.scope, commands)
    steps = [_Step(c, *env) for c, env in zip(commands, envs, strict=True)]
    kept_out = _KeptOut(_targets(instruction))
    found: list[Finding] = []
    for step in reversed(steps):  # backwards: what the later commands empty is known at each
        home = _home(step, user)
        message = _uv(instruction, step, kept_out, home) or _pip(instruction, step, kept_out, home)
        if message is not None:
            found.append(RULE.violation(message, **df.at(instruction.start_line)))
        kept_out.add(step)
    return found[::-1]


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    last_user: dict[int, Instruction | None] = {}  # each stage's USER, for stages built on it
    for stage in subject.stages:
        user = last_user.get(stage.parent) if stage.parent is not None else None
        for instruction in stage.instructions:
            if instruction.cmd == "USER" and instruction.value:
                user = instruction
            elif instruction.cmd == "RUN":
                found += _run(subject, instruction, _nonroot(user))
        last_user[stage.index] = user
    return found


RULE = Rule(
    id="DF001",
    severity=Severity.WARNING,
    title="pip or uv install keeps its download cache",
    rationale=(
        "The download cache of pip or uv ends up in the image layer: size that is shipped "
        "everywhere and never used at run time."
    ),
    fix=(
        "Add `--no-cache-dir` to pip (`--no-cache` to uv), or set `ENV PIP_NO_CACHE_DIR=1` "
        "(`ENV UV_NO_CACHE=1`), or use `RUN --mount=type=cache,target=/root/.cache/pip` "
        "(`/root/.cache/uv`; after a non-root USER, under that user's home), or empty the cache "
        "later in the same RUN (`pip cache purge`, `uv cache clean`, `rm -rf` of the cache)."
    ),
    scope=("dockerfile",),
    check=check,
)
