"""DF001: `pip install` without `--no-cache-dir` (or a `uv` install without `--no-cache`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import mounts
from imagepin.rules.dockerfile_model import Dockerfile, Instruction
from imagepin.rules.shell import Command, Uv, assignments, run_commands, uv_command

_FALSE = {"", "0", "false", "no", "off", "n", "f"}
"""What uv reads as false in a boolean setting such as `UV_NO_CACHE`."""


def _pip_cache_mounted(instruction: Instruction) -> bool:
    """Whether the RUN mounts a cache over pip's cache directory (or all of ~/.cache)."""
    return any(
        m.get("type") == "cache" and ("pip" in m["target"] or m["target"].endswith("/.cache"))
        for m in mounts(instruction)
    )


def _pip(instruction: Instruction, command: Command) -> str | None:
    """The fix for a `pip install` that keeps pip's cache, or None when it keeps none."""
    run = command.program
    if command.pip_install is None or "--no-cache-dir" in run:
        return None  # also `pip --no-cache-dir install x`: a general option
    if instruction.scope.get("PIP_NO_CACHE_DIR") not in (None, ""):
        return None
    if assignments(command.argv).get("PIP_NO_CACHE_DIR") or _pip_cache_mounted(instruction):
        return None
    at = run.index("install") + 1 if "install" in run else len(run)
    fixed = " ".join([*run[:at], "--no-cache-dir", *run[at:]])
    return (
        f"RUN {' '.join(run)} keeps pip's download cache in the layer; write {fixed} "
        "(or RUN --mount=type=cache,target=/root/.cache/pip)"
    )


_UV_FILLS = {("pip", "install"), ("pip", "sync"), ("sync",), ("add",), ("run",)}
_UV_FILLS |= {("tool", "install"), ("tool", "run")}
"""uv commands that download and install packages into an environment, through uv's cache
(`uv run` syncs the project first; `uvx` keeps the tool's environment in the cache)."""
_UV_DEFAULT_CACHE = ("/.cache/uv", "/.cache")
"""Where uv keeps its cache by default (under the user's home), and the folder above it."""
_DEFAULT_SPELLINGS = {"~/.cache/uv", "$HOME/.cache/uv", "${HOME}/.cache/uv", "/root/.cache/uv"}
_HOMES = {"/root", "~", "$HOME", "${HOME}", "/"}
"""Folders above the default cache dir (root's home, as written)."""


def _own(uv: Uv) -> tuple[str, ...]:
    """uv's own arguments: for `uv run` and `uvx`, those before the program it runs (`uv run
    pytest -n 4`: `-n` is pytest's)."""
    if uv.command in (("run",), ("tool", "run")) and uv.operands:
        return uv.args[: uv.args.index(uv.operands[0])]
    return uv.args


def _uv_setting(instruction: Instruction, command: Command, name: str) -> str | None:
    """An environment setting the command runs with: written before it, or ENV/ARG."""
    return assignments(command.argv).get(name, instruction.scope.get(name))


def _uv_cache_dir(instruction: Instruction, command: Command, uv: Uv) -> str | None:
    """Where this uv command keeps its cache when told (`--cache-dir`, `UV_CACHE_DIR`,
    `XDG_CACHE_HOME`), without a trailing slash; None for the default (~/.cache/uv)."""
    own = _own(uv)
    for i, word in enumerate(own):
        if word == "--cache-dir" and i + 1 < len(own):
            return _explicit(own[i + 1])
        if word.startswith("--cache-dir="):
            return _explicit(word.partition("=")[2])
    if found := _uv_setting(instruction, command, "UV_CACHE_DIR"):
        return _explicit(found)
    if found := _uv_setting(instruction, command, "XDG_CACHE_HOME"):
        return found.rstrip("/") + "/uv"
    return None


def _explicit(path: str) -> str | None:
    """A cache dir as given, None when it spells the default (`~/.cache/uv`, `$HOME/...`)."""
    path = path.rstrip("/") or "/"
    return None if path in _DEFAULT_SPELLINGS else path


def _covers(path: str, cache_dir: str | None) -> bool:
    """Whether `path` (a mount target, or what `rm -rf` removes) is uv's cache dir or above it."""
    path = path.rstrip("/") or "/"
    if cache_dir is None:
        return path.endswith(_UV_DEFAULT_CACHE) or path in _HOMES
    if cache_dir.startswith("~/"):  # the home is not known here: compare below it
        return path.endswith((cache_dir[1:], cache_dir[1:].rsplit("/", 1)[0]))
    return cache_dir == path or cache_dir.startswith(path.rstrip("/") + "/")


def _no_cache(uv: Uv, instruction: Instruction, command: Command) -> bool:
    """`--no-cache` (also `--no-cache-dir`, `-n`, `-qn`) or a true `UV_NO_CACHE`."""
    for word in _own(uv):
        if word in ("--no-cache", "--no-cache-dir"):
            return True
        if word[:1] == "-" and "n" in word and set(word[1:]) <= set("qvn"):
            return True  # `-n`, or with the other global short flags (`-qn`), not `-Pnumpy`
    setting = _uv_setting(instruction, command, "UV_NO_CACHE")
    return (setting or "").lower() not in _FALSE


def _emptied(after: Sequence[Command], instruction: Instruction, cache_dir: str | None) -> bool:
    """Whether a later command of the RUN empties the cache: `uv cache clean` (all of it, the
    same cache) or `rm -rf` of it."""
    for command in after:
        uv = uv_command(command.program)
        if uv is not None and uv.command in (("cache", "clean"), ("cache", "clear")):
            if not uv.operands and _uv_cache_dir(instruction, command, uv) == cache_dir:
                return True
        elif (
            command.name == "rm"
            and _recursive(command.program[1:])
            and any(
                _covers(path.removesuffix("*"), cache_dir)
                for path in command.program[1:]
                if not path.startswith("-")
            )
        ):
            return True
    return False


def _recursive(args: Sequence[str]) -> bool:
    """Whether `rm` is given -r (-R, --recursive, or in a group: -rf): only then a folder goes."""
    return any(
        a == "--recursive" or (a[:1] == "-" and a[1:2] != "-" and ("r" in a or "R" in a))
        for a in args
    )


def _uv(instruction: Instruction, command: Command, after: Sequence[Command]) -> str | None:
    """The fix for a uv command that keeps uv's cache, or None when it keeps none."""
    uv = uv_command(command.program)
    if uv is None or uv.command not in _UV_FILLS:
        return None
    own = set(_own(uv))
    if {"-h", "--help"} & own:
        return None
    if uv.command == ("add",) and {"--frozen", "--no-sync"} & own:
        return None  # only pyproject.toml is written: nothing is downloaded
    if uv.command == ("run",) and {"--no-sync", "--no-project"} & own and not _with(own):
        return None  # no project to sync, nothing asked for with it
    if _no_cache(uv, instruction, command):
        return None
    cache_dir = _uv_cache_dir(instruction, command, uv)
    mounted = any(
        m.get("type") == "cache" and _covers(m["target"], cache_dir) for m in mounts(instruction)
    )
    if mounted or _emptied(after, instruction, cache_dir):
        return None
    run = command.program
    fixed = " ".join([*run[: uv.at], "--no-cache", *run[uv.at :]])
    target = cache_dir if cache_dir and not cache_dir.startswith("~") else "/root/.cache/uv"
    return (
        f"RUN {' '.join(run)} keeps uv's cache in the layer; write {fixed} (or ENV "
        f"UV_NO_CACHE=1, or RUN --mount=type=cache,target={target})"
    )


def _with(args: Iterable[str]) -> bool:
    """Whether `uv run` is asked for packages beyond the project (`--with`, installed anyway)."""
    return any(a.startswith("--with") for a in args)


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    for stage in subject.stages:
        for instruction in stage.instructions:
            if instruction.cmd != "RUN":
                continue
            commands = run_commands(instruction)
            for i, command in enumerate(commands):
                message = _uv(instruction, command, commands[i + 1 :]) or _pip(instruction, command)
                if message is not None:
                    found.append(RULE.violation(message, **subject.at(instruction.start_line)))
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
        "(`/root/.cache/uv`)."
    ),
    scope=("dockerfile",),
    check=check,
)
