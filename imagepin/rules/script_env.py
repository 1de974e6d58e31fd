"""The environment each command of a RUN runs with, as the shell builds it in script order.

A RUN starts with the instruction's ENV and ARG values in its environment. Then, command by
command: `export NAME=value` (also `declare -x`, `typeset -x`) sets and exports a variable;
`export NAME` exports one set before; a plain `NAME=value` changes the variable, and the
environment only when the variable is exported (from ENV or ARG, by `export`, or under `set -a`:
otherwise only the shell sees it, not the programs it runs); `unset NAME` removes it. A command
also runs with the `NAME=value` words written before it (`PIP_NO_CACHE_DIR=1 pip install x`).

What a command sets inside a child shell (a `( )` or `$( )` subshell, a `sh -c` script: each
command is told those it runs in) goes when that shell ends. A `sh -c` script is read as a
subshell is: as if it also had the variables its shell set without exporting them (a new shell
has only the exported ones), which at worst reads a setting the command may not have (no
finding). What is set in an `if` or a loop is taken to last, whether the branch ran or not.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence, Set
from typing import NamedTuple

from imagepin.rules.dockerfile_model import Scope
from imagepin.rules.shell import Command, assignments

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DECLARES = frozenset({"export", "declare", "typeset", "readonly", "local"})
"""Builtins that set the variables named after their options (`export A=1 B`, `local -x A=1`)."""


class Environment(NamedTuple):
    """What one command of the script runs with."""

    variables: Mapping[str, str]
    """Its environment: what the program sees (`PIP_NO_CACHE_DIR` for pip)."""
    unexported: Set[str]
    """Variables the shell has that its environment lacks (`A=1; pip install x` sets A for the
    shell only): a rule can tell why a setting written in the script does not count."""


class _Var(NamedTuple):
    value: str | None
    """None when not set, or set to a value not known here (an ARG without one)."""
    exported: bool


_UNSET = _Var(None, False)


class _History:
    """Each variable's states through the script, by the command from which each holds: an
    environment reads its command's with a search, not from a copy of every variable per
    command (a script of 4000 exports is read in linear space)."""

    def __init__(self) -> None:
        self.starts: dict[str, list[int]] = {}
        self.states: dict[str, list[_Var]] = {}

    def set(self, name: str, at: int, var: _Var) -> None:
        """`name` is `var` from the command numbered `at` on."""
        starts, states = self.starts.setdefault(name, []), self.states.setdefault(name, [])
        if starts and starts[-1] == at:
            states[-1] = var
        else:
            starts.append(at)
            states.append(var)

    def at(self, name: str, index: int) -> _Var:
        """What `name` is when the command numbered `index` runs."""
        i = bisect_right(self.starts.get(name, ()), index) - 1
        return self.states[name][i] if i >= 0 else _UNSET


class _Variables(Mapping[str, str]):
    """The environment of the command numbered `index`: the variables exported then, and the
    `NAME=value` words written before it."""

    def __init__(self, history: _History, index: int, assigned: dict[str, str]) -> None:
        self.history, self.index, self.assigned = history, index, assigned

    def __getitem__(self, name: str) -> str:
        if name in self.assigned:
            return self.assigned[name]
        var = self.history.at(name, self.index)
        if var.value is None or not var.exported:
            raise KeyError(name)
        return var.value

    def __iter__(self) -> Iterator[str]:
        yield from self.assigned
        yield from (n for n in self.history.starts if n not in self.assigned and n in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(dict(self))


class _Unexported(Set[str]):
    """The variables the shell has at the command numbered `index` that its environment lacks."""

    def __init__(self, variables: _Variables) -> None:
        self.variables = variables

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str) or name in self.variables.assigned:
            return False
        var = self.variables.history.at(name, self.variables.index)
        return var.value is not None and not var.exported

    def __iter__(self) -> Iterator[str]:
        return (n for n in self.variables.history.starts if n in self)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return repr(set(self))


class _Shell:
    """The variables of the shell running the script, and which of them are exported, command
    after command (`index` counts them), kept in a `_History`; and the child shells the script
    is in (`within`), with what each changed, to take back when it ends."""

    def __init__(self, scope: Scope) -> None:
        self.history = _History()
        self.now: dict[str, _Var] = {}
        self.index = 0
        self.within: tuple[int, ...] = ()
        self.before: list[tuple[dict[str, _Var], bool]] = []
        """For each child shell in `within`: the variables it changed as they were, and
        allexport."""
        for name, value in scope.items():  # a value not known here is exported all the same
            self._set(name, _Var(value, True))
        self.allexport = False

    def _set(self, name: str, var: _Var) -> None:
        if self.before:
            self.before[-1][0].setdefault(name, self.now.get(name, _UNSET))
        self.now[name] = var
        self.history.set(name, self.index, var)

    def enter(self, within: tuple[int, ...]) -> None:
        """Leave the child shells the script is no longer in, taking back what each changed,
        and enter those of `within` (each change is taken back once: linear time)."""
        kept = 0
        while kept < min(len(within), len(self.within)) and within[kept] == self.within[kept]:
            kept += 1
        while len(self.before) > kept:
            before, self.allexport = self.before.pop()
            for name, var in before.items():
                self.now[name] = var
                self.history.set(name, self.index, var)
        self.before += [({}, self.allexport) for _ in within[kept:]]
        self.within = within

    def environment(self, command: Command) -> Environment:
        variables = _Variables(self.history, self.index, assignments(command.argv))
        return Environment(variables, _Unexported(variables))

    def assign(self, word: str, export: bool | None = None) -> None:
        """`NAME=value` or `NAME`; `export`: True exports it, False stops exporting it."""
        name, eq, value = word.partition("=")
        if not _NAME.fullmatch(name):
            return
        was = self.now.get(name, _UNSET)
        exported = was.exported
        if export or (export is None and eq and self.allexport):
            exported = True
        elif export is False:
            exported = False
        self._set(name, _Var(value if eq else was.value, exported))

    def run(self, command: Command) -> None:
        """Apply what `command` does to the shell's variables."""
        self.index += 1  # what the command changes holds from the next one on
        run = command.program
        if not run:
            if all("=" in word for word in command.argv):  # `A=1 B=2`, no wrapper
                for word in command.argv:
                    self.assign(word)
        elif run[0] in DECLARES:
            self._declare(run)
        elif run[0] == "unset":
            names = [w for w in run[1:] if not w.startswith("-")]
            if "-f" not in run[1:]:  # `unset -f NAME` removes a function
                for name in names:
                    self._set(name, _UNSET)
        elif run[0] == "set":
            self.allexport = _allexport(run[1:], self.allexport)

    def _declare(self, run: Sequence[str]) -> None:
        words = list(run[1:])
        flags = ""
        while words and words[0][:1] in ("-", "+") and "=" not in words[0]:
            word = words.pop(0)
            if word == "--":
                break
            flags += word[1:] if word[0] == "-" else word[1:].upper()
        if {"f", "F", "p"} & set(flags):  # functions, or printing
            return
        if run[0] == "export":
            export: bool | None = "n" not in flags
        else:
            export = True if "x" in flags else False if "X" in flags else None
        for word in words:
            self.assign(word, export)


def _allexport(args: Sequence[str], on: bool) -> bool:
    """Whether `set ARGS` leaves allexport on (`set -a`, `set -o allexport`; off with `+`)."""
    i = 0
    while i < len(args) and args[i][:1] in ("-", "+") and args[i] not in ("-", "--"):
        word = args[i]
        if "a" in word[1:]:
            on = word[0] == "-"
        if "o" in word[1:] and i + 1 < len(args):
            i += 1
            if args[i] == "allexport":
                on = word[0] == "-"
        i += 1
    return on


def environments(scope: Scope, commands: Sequence[Command]) -> list[Environment]:
    """The environment each of `commands` (a RUN's, in order) runs with, starting from
    `scope` (the instruction's ENV and ARG)."""
    shell = _Shell(scope)
    found = []
    for command in commands:
        shell.enter(command.within)
        found.append(shell.environment(command))
        shell.run(command)
    return found
