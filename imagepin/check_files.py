"""The Dockerfiles `imagepin check` is given by path: each file once, read as UTF-8 and parsed,
every one that cannot be named (not only the first).

    paths = unique(["Dockerfile", "./Dockerfile", "/repo/Dockerfile"])  # ["Dockerfile"]
    dockerfiles = read_all(paths)  # a ConfigError per file that cannot be read or parsed
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from imagepin.errors import ConfigError, ConfigErrors
from imagepin.rules.dockerfile_model import Dockerfile

_P = TypeVar("_P", str, Path)

STDIN = (
    "-: imagepin check does not read a Dockerfile from standard input; give its path "
    "(or /dev/stdin: `imagepin check /dev/stdin < Dockerfile`)"
)


def unique(paths: Iterable[_P]) -> list[_P]:
    """`paths` with each file once, as first spelled: `Dockerfile`, `./Dockerfile`,
    `sub/../Dockerfile` and `/repo/Dockerfile` (from /repo) are one file (symlinks resolved)."""
    first: dict[str, _P] = {}
    for path in paths:
        first.setdefault(os.path.realpath(path), path)
    return list(first.values())


def read(path: str | Path) -> Dockerfile:
    """One Dockerfile, parsed; a `ConfigError` that names it and the fix when it cannot be."""
    name = str(path)
    if name == "-":
        raise ConfigError(STDIN)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file; give the path of a Dockerfile") from None
    except IsADirectoryError:
        raise ConfigError(
            f"{name}: is a directory; give the Dockerfile in it ({Path(name) / 'Dockerfile'})"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{name}: cannot read the Dockerfile ({exc.strerror or exc}); make it a file you "
            "can read"
        ) from None
    if _utf16(data):  # may even decode as UTF-8 (ASCII in UTF-16: letters and NULs)
        raise ConfigError(
            f"{name}: cannot read the Dockerfile: it is UTF-16 text, not UTF-8; save it as UTF-8 "
            "(`iconv -f UTF-16 -t UTF-8`)"
        )
    if b"\0" in data:
        raise ConfigError(
            f"{name}: cannot read the Dockerfile: it holds NUL bytes, so it is no text file; "
            "give the path of a Dockerfile"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(_not_utf8(name, data, exc)) from None
    # as reading in text mode would: \r\n and \r end lines too
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Dockerfile.parse(text, file=name)


def _utf16(data: bytes) -> bool:
    """A UTF-16 byte order mark, or the first characters ASCII in UTF-16 (every other byte 0)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    head = data[:64]
    return len(head) >= 2 and (not any(head[0::2]) or not any(head[1::2]))


def _not_utf8(name: str, data: bytes, exc: UnicodeDecodeError) -> str:
    byte, line = data[exc.start], data.count(b"\n", 0, exc.start) + 1
    return (
        f"{name}: cannot read the Dockerfile: it is not UTF-8 text (byte 0x{byte:02x} on line "
        f"{line}: {exc.reason}); save it as UTF-8 (from Latin-1: `iconv -f LATIN1 -t UTF-8`)"
    )


def read_all(paths: Sequence[str | Path]) -> list[Dockerfile]:
    """Every Dockerfile, parsed; when some cannot be, a `ConfigError` naming each of them (a
    `ConfigErrors` for more than one), so nothing is checked and no report half-written."""
    dockerfiles: list[Dockerfile] = []
    errors: list[ConfigError] = []
    for path in paths:
        try:
            dockerfiles.append(read(path))
        except ConfigError as exc:
            errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ConfigErrors(errors)
    return dockerfiles
