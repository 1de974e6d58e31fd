"""A shell script split into its simple commands the way a shell splits it (well enough for
rules), each with the subshells it runs in.

Commands are split across `&&`, `||`, `;`, `|`, `&`, newlines and `( )`; comments and the
reserved words that open a compound command (`if`, `then`, `do`, `{`, `!`...) are dropped. A
`(` where a command starts opens a subshell (`(cd x && export A=1)`), and so does `$(`: what
the commands inside set goes with it when it closes, so each command is told the subshells it
runs in, numbered from a count the caller gives (it numbers `sh -c` scripts from the same one).
Other parentheses are only paired (`$((1 + 2))`, `((i++))`, `f() {`, `a=(x y)`), and the `)`
that ends a `case` pattern closes nothing.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from itertools import count
from typing import NamedTuple

_OPERATORS = {"&&", "||", ";", "|", "&", "(", ")", ";;", "|&"}
RESERVED = frozenset({"if", "then", "elif", "else", "while", "until", "do", "{", "!"})
"""Reserved words after which a new command starts (`then pip install x`); `time` is a wrapper."""
_PUNCTUATION = frozenset("();<>|&")
"""The characters shlex gives tokens of their own (`)&&(`, `>&`), outside quotes."""
_WORD_START = frozenset(" \t;&|()<>")
"""Characters after which an unquoted `#` starts a comment (it starts a word)."""
_CASE = -1
"""On the stack of what is open, a `case`: until its `esac`, an unpaired `)` ends a pattern."""


class Split(NamedTuple):
    """A simple command of a script."""

    argv: list[str]
    within: tuple[int, ...]
    """The numbers of the subshells it runs in, outermost first."""


class _Open:
    """What is open as a script is read, across its lines: each `(` (a subshell's number, or 0
    for a pair that is none) and each `case`."""

    def __init__(self, numbers: Iterator[int]) -> None:
        self.numbers = numbers
        self.stack: list[int] = []

    def within(self) -> tuple[int, ...]:
        return tuple(n for n in self.stack if n > 0)

    def read(self, token: str, start: bool) -> None:
        """Pair the parentheses of `token`, operator characters only; `start`: whether a command
        starts at it (or it follows a `$`), where a lone `(` opens a subshell."""
        for i, char in enumerate(token):
            if char == "(":
                arithmetic = "(" in (token[i - 1 : i], token[i + 1 : i + 2])  # `((`, `$((`
                self.stack.append(next(self.numbers) if start and not arithmetic else 0)
            elif char == ")" and self.stack and self.stack[-1] != _CASE:
                self.stack.pop()
            start = char in "&|;("

    def command(self, word: str) -> None:
        """A command starts with `word`: `case` opens, `esac` closes what is open since."""
        if word == "case":
            self.stack.append(_CASE)
        elif word == "esac" and _CASE in self.stack:
            del self.stack[len(self.stack) - 1 - self.stack[::-1].index(_CASE) :]


def _without_comment(line: str) -> str:
    """`line` up to its comment: `#` starts one only at the start of an unquoted word, as in
    sh (`pip install git+https://h/r.git#egg=r`, `${V#v}` and `$#` are not comments)."""
    if "#" not in line:
        return line
    quote = ""
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1  # `\"` inside double quotes
            elif c == quote:
                quote = ""
        elif c == "\\":
            i += 1  # an escaped character, `\#` included
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in _WORD_START):
            return line[:i]
        i += 1
    return line


def _split_line(line: str, opened: _Open) -> list[Split]:
    lexer = shlex.shlex(_without_comment(line), posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        tokens = line.split()
    found = [Split([], ())]
    for token in tokens:
        if set(token) <= _PUNCTUATION:
            argv = found[-1].argv
            opened.read(token, not argv or argv[-1].endswith("$"))
        if token in _OPERATORS or set(token) <= set("&|;()"):
            found.append(Split([], ()))
        elif not found[-1].argv and token in RESERVED:
            continue  # `then`, `do`, `{`...: the command starts at the next word
        else:
            if not found[-1].argv:
                found[-1] = Split([], opened.within())
                opened.command(token)
            found[-1].argv.append(token)
    return [c for c in found if c.argv]


def split_commands(script: str, numbers: Iterator[int]) -> list[Split]:
    """The simple commands of `script`, their subshells numbered from `numbers`."""
    opened = _Open(numbers)
    found: list[Split] = []
    for line in script.replace("\\\n", " ").splitlines():
        if line.strip():
            found += _split_line(line, opened)
    return found


def split_script(script: str) -> list[list[str]]:
    """Simple commands of a shell script."""
    return [c.argv for c in split_commands(script, count(1))]
