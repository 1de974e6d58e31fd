"""What every CLI command shares: the consoles (results on stdout, progress and errors on
stderr) and option parsing."""

from __future__ import annotations

import errno
import os
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

import typer
from rich.console import Console

from imagepin.errors import OutputError

out = Console(highlight=False, emoji=False)  # `:x:` in a message is text, not an emoji
err = Console(stderr=True, highlight=False, emoji=False)


def parse_date(value: str | None, option: str = "--on") -> date:
    """A `--on YYYY-MM-DD` option's date (today when not given); a bad one is a usage error."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-01-01", param_hint=option
        ) from None


_WRITE_FIX = {
    errno.ENOSPC: "free space where it goes, or redirect it to another disk",
    errno.EPIPE: "the program reading it stopped before the end; let it read everything",
}


def emit(text: str, what: str) -> None:
    """Write `text` and a newline to stdout in one piece, `what` naming it in errors.

    A closed stdout, a full disk or a closed pipe is an `OutputError` (exit 2, one line), not a
    traceback, and never a silent exit 0 or an exit 1 that would read as "violations found".
    """
    stream = sys.stdout
    if stream is None:  # started with stdout closed (`>&-`)
        raise OutputError(
            f"cannot write {what}: standard output is closed (`>&-`); give the command one, "
            "e.g. `> report.txt`"
        )
    try:
        stream.write(text + "\n")
        stream.flush()
    except UnicodeEncodeError as exc:
        raise OutputError(
            f"cannot write {what}: standard output's encoding ({stream.encoding}) cannot write "
            f"{exc.object[exc.start : exc.end]!r}; set PYTHONIOENCODING=utf-8"
        ) from None
    except OSError as exc:
        raise write_failed(exc, what) from None


def writing_failed(exc: OSError) -> bool:
    """Whether `exc` is how writing output fails (a full disk, a closed pipe), not an error of
    the command's own work such as a missing file."""
    return exc.errno in _WRITE_FIX


def write_failed(exc: OSError, what: str) -> OutputError:
    """The `OutputError` for writing `what` to stdout failing with `exc`; what is left in stdout's
    buffer is dropped (it would fail again, unhandled, when Python flushes it at exit)."""
    stream = sys.stdout
    where = _destination(stream) if stream is not None else "standard output"
    if stream is not None:
        _discard(stream)
    fix = _WRITE_FIX.get(exc.errno or 0, "check where standard output goes")
    return OutputError(
        f"cannot write {what} to {where}: {exc.strerror or exc}; {fix}, then run again"
    )


def _destination(stream: TextIO) -> str:
    """`standard output (/dev/full)`, naming the file stdout goes to when the system says."""
    try:
        target = str(Path(f"/proc/self/fd/{stream.fileno()}").readlink())  # Linux
    except (OSError, ValueError):
        return "standard output"
    return f"standard output ({target})" if target.startswith("/") else "standard output"


def _discard(stream: TextIO) -> None:
    """Point stdout at /dev/null, so that what is left in its buffer does not fail again (with a
    second, unhandled error) when Python flushes it at exit."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
