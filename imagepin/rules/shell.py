"""The commands a `RUN` executes, split the way a shell would split them (well enough for rules).

`commands(instruction)` gives one argv list per simple command, across `&&`, `||`, `;`, `|`,
newlines (heredoc bodies) and `( )`, and into `sh -c` scripts; comments and the reserved words
that open a compound command (`if`, `then`, `do`, `{`, `!`...) are dropped (`shell_split` splits
a script, and tells the subshells each command runs in). `program(argv)` skips leading
`VAR=value` assignments and wrappers such as `sudo`, `env` or `exec` (with their options, also
those that take a value: `sudo -u app`). `run_commands(instruction)`
gives the same commands as `Command`s, with what the rules ask of each (its program, its
`pip install` and `apt-get install` arguments, the child shells it runs in) worked out once per
command line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import count
from typing import TypeVar

from imagepin.rules import pip_options
from imagepin.rules.common import word_set
from imagepin.rules.dockerfile_model import Instruction
from imagepin.rules.shell_split import RESERVED, Split, split_commands
from imagepin.rules.shell_split import split_script as split_script

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")

_WRAPPERS: dict[str, tuple[frozenset[str], int]] = {
    # wrapper: (its options that take the next word as their value, positionals before the program)
    "sudo": (
        word_set(
            "-u -g -U -C -D -h -p -r -t -T -R --user --group --other-user --close-from --chdir "
            "--host --prompt --role --type --command-timeout --chroot"
        ),
        0,
    ),
    "doas": (frozenset({"-u", "-C"}), 0),
    "env": (frozenset({"-u", "-C", "--unset", "--chdir"}), 0),
    "exec": (frozenset({"-a"}), 0),
    "command": (frozenset(), 0),
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "nohup": (frozenset(), 0),
    "time": (frozenset({"-f", "-o", "--format", "--output"}), 0),
    "timeout": (frozenset({"-s", "-k", "--signal", "--kill-after"}), 1),
    "xargs": (
        word_set(
            "-I -n -P -L -s -d -E -a --max-args --max-procs --max-lines --max-chars --delimiter "
            "--arg-file"
        ),
        0,
    ),
    "gosu": (frozenset(), 1),
    "su-exec": (frozenset(), 1),
}
_PIP = re.compile(r"pip(\d+(\.\d+)?)?")
_UV_VALUE_OPTIONS = word_set(
    "--cache-dir --directory --project --config-file --color --python-preference "
    "--python-fetch --preview-features --allow-insecure-host --cert "
    "--python -p --with -w --with-requirements --with-editable --from --index --default-index "
    "--index-url -i --extra-index-url --find-links -f --package --extra --group --only-group "
    "--env-file --upgrade-package -P --reinstall-package --resolution --prerelease "
    "--index-strategy --keyring-provider --exclude-newer --link-mode"
)
"""uv options that take the next word as their value: the global ones (and `uv pip`'s `--cert`),
which may come before the command (`uv --cache-dir /c pip install x`), and those of `uv run`
and `uvx`, which come before the program they run (`uvx --from ruff==0.5 ruff check`)."""
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?")
Argv = TypeVar("Argv", list[str], tuple[str, ...])
_HEREDOC = re.compile(r"<<-?([\"']?)[A-Za-z0-9_]+\1")
_SHELLS = {"sh", "bash", "ash", "dash", "zsh", "ksh"}
_APT_VALUE_OPTIONS = word_set("-o -c -t --option --config-file --target-release")
"""apt-get's options that take the next word as their value (`apt-get -o A=B install x`)."""


def commands(instruction: Instruction) -> list[list[str]]:
    """The simple commands of a RUN (JSON form: the one exec'd command).

    With heredocs (`RUN <<EOF`, `RUN <<EOF bash`), the bodies are the script when the command
    line is empty or a shell; fed to another program (`RUN python3 <<EOF`) they are its input.
    """
    return [list(c.argv) for c in run_commands(instruction)]


@dataclass(frozen=True, slots=True)
class Command:
    """One simple command of a RUN, and what the rules ask of it."""

    argv: tuple[str, ...]
    program: tuple[str, ...]
    """`argv` from the program on (assignments and wrappers skipped)."""
    pip_install: tuple[str, ...] | None
    """The arguments after `pip install`, or None when it is no install (`pip download`, `pip
    install --help`)."""
    apt_install: tuple[str, ...] | None
    """The arguments of an `apt-get install` / `apt install`, or None when it is not one."""
    within: tuple[int, ...] = ()
    """The child shells it runs in, outermost first, each numbered once per RUN: `( )` and `$( )`
    subshells, `sh -c` scripts. What a command sets in one goes when it ends."""

    @property
    def name(self) -> str:
        """The program's name without its directory (`rm` for `/bin/rm -rf x`); "" if none."""
        return self.program[0].rsplit("/", 1)[-1] if self.program else ""


def run_commands(instruction: Instruction) -> tuple[Command, ...]:
    """The simple commands of a RUN as `Command`s (remembered per command line: RUN lines
    repeat across the Dockerfiles of a stack)."""
    if instruction.json:
        return _json_commands(instruction.value) if instruction.value else ()
    return _run_commands(instruction.value, instruction.heredocs)


@lru_cache(maxsize=4096)
def _json_commands(value: tuple[str, ...]) -> tuple[Command, ...]:
    found = _inline([Split(list(value), ())], count(1))
    return tuple(_command(tuple(c.argv), c.within) for c in found)


@lru_cache(maxsize=4096)
def _run_commands(value: tuple[str, ...], heredocs: tuple[str, ...]) -> tuple[Command, ...]:
    return tuple(_command(tuple(c.argv), c.within) for c in _commands(value, heredocs))


@lru_cache(maxsize=4096)
def _command(argv: tuple[str, ...], within: tuple[int, ...]) -> Command:
    return Command(argv, program(argv), pip_install(argv), apt_install(argv), within)


def _commands(value: tuple[str, ...], heredocs: tuple[str, ...]) -> list[Split]:
    numbers, head = count(1), " ".join(value)
    found = split_commands(_HEREDOC.sub(" ", head) if heredocs else head, numbers)
    if heredocs and (not found or (len(found) == 1 and _shell(found[0].argv))):
        found = [c for body in heredocs for c in split_commands(body, numbers)]
    return _inline(found, numbers)


def _inline(found: list[Split], numbers: Iterator[int], depth: int = 0) -> list[Split]:
    """`found` with each `sh -c SCRIPT` replaced by the commands of SCRIPT, which run in a shell
    of their own (numbered from `numbers`, as subshells are) and inherit the assignments written
    before it (`PIP_NO_CACHE_DIR=1 sh -c "pip install x"`)."""
    out: list[Split] = []
    for argv, within in found:
        script = _shell_script(argv) if depth < 4 else None
        if script is None:
            out.append(Split(argv, within))
            continue
        inherited = [f"{name}={value}" for name, value in assignments(argv).items()]
        child = (*within, next(numbers))
        inner = _inline(split_commands(script, numbers), numbers, depth + 1)
        out += [Split(inherited + c.argv, child + c.within) for c in inner]
    return out


def _shell_script(argv: list[str]) -> str | None:
    """SCRIPT of `sh -c SCRIPT` (also `bash -ec SCRIPT`, `bash -o pipefail -c SCRIPT`)."""
    run = program(argv)
    if not run or run[0].rsplit("/", 1)[-1] not in _SHELLS:
        return None
    reads_c, i = False, 1
    while i < len(run):
        word = run[i]
        if word in ("--rcfile", "--init-file"):
            i += 2
        elif word.startswith("--"):
            i += 1
        elif word.startswith(("-", "+")) and len(word) > 1:
            reads_c = reads_c or (word[0] == "-" and "c" in word[1:])
            i += 1 + word.count("o") + word.count("O")  # `-eo pipefail`: o takes a word
        else:
            return word if reads_c else None
    return None


def _shell(argv: list[str]) -> bool:
    run = program(argv)
    return bool(run) and run[0].rsplit("/", 1)[-1] in _SHELLS


_PASS_ENV = frozenset({"env", "sudo", "doas"})
"""Wrappers that set `VAR=value` words written after them for the program they run."""


def assignments(argv: Argv) -> dict[str, str]:
    """The `VAR=value` words a command's program runs with: before it (`X=1 pip`), also after a
    wrapper that passes them on (`env X=1 pip`, `sudo X=1 pip`)."""
    found = {}
    passes = True  # leading words, or after a wrapper that passes them on
    for word in argv[: len(argv) - len(program(argv))]:
        if _ASSIGNMENT.fullmatch(word):
            if passes:
                name, _, value = word.partition("=")
                found[name] = value
        elif (name := word.rsplit("/", 1)[-1]) in _WRAPPERS:
            passes = name in _PASS_ENV
    return found


def program(argv: Argv) -> Argv:
    """`argv` from the program on: assignments and wrappers (`sudo`, `env`...) skipped, with the
    wrappers' options (`sudo -u app`, `env -u NAME`, `timeout 10`)."""
    i, n = 0, len(argv)
    while i < n and argv[i] in RESERVED:
        i += 1
    values: frozenset[str] = frozenset()
    options = False  # inside a wrapper's options
    positionals = 0  # words the wrapper takes before the program (`gosu USER`, `timeout 10`)
    while i < n:
        word = argv[i]
        if options and word == "--":
            options = False
            i += 1
        elif options and word.startswith("-") and word != "-":
            i += 2 if word in values else 1
        elif _ASSIGNMENT.fullmatch(word):
            i += 1
        elif positionals:
            positionals -= 1
            i += 1
        elif (wrapper := _WRAPPERS.get(word.rsplit("/", 1)[-1])) is not None:
            values, positionals = wrapper
            options = True
            i += 1
        else:
            break
    return argv[i:]


def _subcommand(args: Argv, values: frozenset[str] = frozenset()) -> tuple[str | None, Argv]:
    """The first word that is not an option (nor the value of one in `values`), and the rest."""
    i = 0
    while i < len(args):
        word = args[i]
        if not word.startswith("-"):
            return word, args[i + 1 :]
        i += 2 if word in values else 1
    return None, args[:0]


def pip_install(argv: Argv) -> Argv | None:
    """The arguments after `install` of a pip command that installs (also `pip3`, `python -m
    pip`), its options read as pip reads them (`pip --prox P install x`); None for another
    command, or one that only prints help (`pip install --help`)."""
    words = pip_words(program(argv))
    at = None if words is None else pip_options.install_at(words)
    return None if words is None or at is None else words[at + 1 :]


@dataclass(frozen=True, slots=True)
class Uv:
    """A uv command: `uv pip install x`, `python -m uv sync`, `uvx ruff`."""

    at: int
    """Where uv's own arguments start in the program's words (after `uv`, `python -m uv`)."""
    command: tuple[str, ...]
    """Its command words, up to two (`("pip", "install")`, `("sync",)`; `uvx` is
    `("tool", "run")`)."""
    args: tuple[str, ...]
    """Every argument after `at` (options may come before or after the command)."""
    operands: tuple[str, ...] = ()
    """The words after the command that are no option nor a global option's value
    (`uv cache clean PACKAGE`)."""


def uv_command(run: Sequence[str]) -> Uv | None:
    """`run` (a command from its program on) as a uv command, or None if it is not one."""
    if not run:
        return None
    base = run[0].rsplit("/", 1)[-1]
    if base == "uvx":
        return Uv(1, ("tool", "run"), tuple(run[1:]), _operands(tuple(run[1:])))
    if base == "uv":
        at = 1
    elif _PYTHON.fullmatch(base) and tuple(run[1:3]) == ("-m", "uv"):
        at = 3
    else:
        return None
    words: list[str] = []
    rest = tuple(run[at:])
    while len(words) < 2:
        word, rest = _subcommand(rest, _UV_VALUE_OPTIONS)
        if word is None:
            break
        words.append(word)
        if word not in ("pip", "tool", "cache"):  # the namespaces with commands of their own
            break
    return Uv(at, tuple(words), tuple(run[at:]), _operands(rest))


def _operands(rest: tuple[str, ...]) -> tuple[str, ...]:
    found: list[str] = []
    while True:
        word, rest = _subcommand(rest, _UV_VALUE_OPTIONS)
        if word is None:
            return tuple(found)
        found.append(word)


def apt_install(argv: Argv) -> Argv | None:
    """The arguments of an `apt-get install` / `apt install`, or None if it is not."""
    run = program(argv)
    return run[1:] if apt_command(run) == "install" else None


def apt_command(run: Sequence[str]) -> str | None:
    """The command of `apt-get ...` / `apt ...` (`install`, `dist-clean`), past options and
    their values (`apt-get -o Debug::NoLocking=1 dist-clean`); None for another program."""
    if not run or run[0].rsplit("/", 1)[-1] not in ("apt-get", "apt"):
        return None
    words = iter(run[1:])
    for word in words:
        if word in _APT_VALUE_OPTIONS:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def pip_words(run: Argv) -> Argv | None:
    """The words after `pip` (also `pip3`, `python -m pip`) in `run`, a command from its program
    on: pip's options, command and arguments; None when `run` is no pip command."""
    if not run:
        return None
    base = run[0].rsplit("/", 1)[-1]
    if _PYTHON.fullmatch(base) and len(run) >= 3 and run[1] == "-m" and run[2] == "pip":
        return run[3:]
    return run[1:] if _PIP.fullmatch(base) else None


_SWITCHES = frozenset({"gosu", "su-exec", "sudo", "doas"})
"""Wrappers that run the program as another user: given first (`gosu app`), or by `-u`."""


def runs_as(argv: Argv) -> tuple[str, str] | None:
    """The wrapper before the program that runs it as another user, and that user as written:
    `gosu app`, `su-exec app:app`, `sudo -u app` (`--user=app`, `-uapp`), `doas -u app`, root
    for sudo and doas without -u; the last one when several (`sudo gosu app pip`); None when
    none does. The wrappers are read as `program` reads them (`env -u gosu pip`: no gosu)."""
    words = argv[: len(argv) - len(program(argv))]
    found, i = None, 0
    while i < len(words):
        name = words[i].rsplit("/", 1)[-1]
        i += 1
        if name not in _WRAPPERS:
            continue  # an assignment (`env A=1 pip`)
        values, positionals = _WRAPPERS[name]
        found = (name, "root") if name in ("sudo", "doas") else found
        while i < len(words) and words[i][:1] == "-" and words[i] != "-":
            word, i = words[i], i + (2 if words[i] in values else 1)
            if word == "--":
                break
            if name in _SWITCHES and word in ("-u", "--user") and i <= len(words):
                found = (name, words[i - 1])
            elif name in _SWITCHES and word.startswith(("-u", "--user=")) and word != "--user":
                found = (name, word.removeprefix("--user=").removeprefix("-u"))
        if name in _SWITCHES and positionals and i < len(words):
            found = (name, words[i])  # `gosu USER`, `su-exec USER`
        i += positionals
    return found
