"""The environment each command of a RUN runs with, as the shell builds it in script order.

A RUN starts with the instruction's ENV and ARG values in its environment. Then, command by
command: `export NAME=value` (also `declare -x`, `typeset -x`) sets and exports a variable;
`export NAME` exports one set before; a plain `NAME=value` changes the variable, and the
environment only when the variable is exported (from ENV or ARG, by `export`, or under `set -a`:
otherwise only the shell sees it, not the programs it runs); `unset NAME` removes it. A command
also runs with the `NAME=value` words written before it (`PIP_NO_CACHE_DIR=1 pip install x`).

The commands come flattened (`run_commands`): an `export` or `unset` inside `( )`, an `if` or
a nested `sh -c` is taken to last. For an `export` that at worst reads a setting the command may
not have (no finding); an `unset` in a subshell before an install is rare.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from imagepin.rules.dockerfile_model import Scope
from imagepin.rules.shell import Command, assignments

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DECLARES = frozenset({"export", "declare", "typeset", "readonly"})
"""Builtins that set the variables named after their options (`export A=1 B`)."""


class Environment(NamedTuple):
    """What one command of the script runs with."""

    variables: dict[str, str]
    """Its environment: what the program sees (`PIP_NO_CACHE_DIR` for pip)."""
    unexported: frozenset[str]
    """Variables the shell has that its environment lacks (`A=1; pip install x` sets A for the
    shell only): a rule can tell why a setting written in the script does not count."""


class _Shell:
    """The variables of the shell running the script, and which of them are exported."""

    def __init__(self, scope: Scope) -> None:
        self.values = {name: value for name, value in scope.items() if value is not None}
        self.exported = set(scope)  # a value not known here is exported all the same
        self.allexport = False

    def environment(self, command: Command) -> Environment:
        env = {name: value for name, value in self.values.items() if name in self.exported}
        env |= assignments(command.argv)
        return Environment(env, frozenset(self.values.keys() - env.keys()))

    def assign(self, word: str, export: bool | None = None) -> None:
        """`NAME=value` or `NAME`; `export`: True exports it, False stops exporting it."""
        name, eq, value = word.partition("=")
        if not _NAME.fullmatch(name):
            return
        if eq:
            self.values[name] = value
        if export or (export is None and eq and self.allexport):
            self.exported.add(name)
        elif export is False:
            self.exported.discard(name)

    def run(self, command: Command) -> None:
        """Apply what `command` does to the shell's variables."""
        run = command.program
        if not run:
            if all("=" in word for word in command.argv):  # `A=1 B=2`, no wrapper
                for word in command.argv:
                    self.assign(word)
        elif run[0] in _DECLARES:
            self._declare(run)
        elif run[0] == "unset":
            names = [w for w in run[1:] if not w.startswith("-")]
            if "-f" not in run[1:]:  # `unset -f NAME` removes a function
                for name in names:
                    self.values.pop(name, None)
                    self.exported.discard(name)
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
        found.append(shell.environment(command))
        shell.run(command)
    return found
