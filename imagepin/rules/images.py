"""What the rules ask of an image reference: is it a Python base, does its tag float, is its
registry allowed, which platforms does it name."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from imagepin.catalog import (
    PythonBase,
    UbuntuRock,
    UnknownBase,
    images_table,
    lifecycle_table,
    series_key,
)
from imagepin.refs import ImageReference, InvalidReference

PYTHON_PATH = "library/python"
ROCK_PATH = "ubuntu/python"
FLOATING_TAGS = frozenset(
    {
        "latest", "stable", "testing", "unstable", "sid", "edge", "rolling", "devel", "current",
        "lts", "nightly",
    }
)  # fmt: skip
"""Tags that name a moving target by design, in any repository, alone or before a variant
(`stable-slim`, `lts-alpine`, `latest-dev`; not a dated snapshot such as `stable-20240701`)."""


@lru_cache(maxsize=1024)
def python_base(ref: ImageReference) -> PythonBase | UbuntuRock | None:
    """The catalog entry for a `library/python` or `ubuntu/python` tag (on any registry or
    mirror), or None: another image, or a tag the catalog cannot place.

    library/python's tags without a version stand for what they float over: `latest` (and no
    tag) is the full image of the newest Python 3 (`3`), `slim-bookworm` is `3-slim-bookworm`,
    and `rc`, `rc-slim`... are the pre-release line of the newest series (`3.15-rc-slim`)."""
    if ref.tag is None and ref.digest is not None:
        return None  # pulled by digest: nothing floats, and the digest names no release
    if ref.path == PYTHON_PATH and (ref.tag is None or not ref.tag[:1].isdigit()):
        return _versionless(ref.tag or "latest")
    if ref.tag is None:
        return None
    try:
        if ref.path == PYTHON_PATH:
            return PythonBase.from_tag(ref.tag)
        if ref.path == ROCK_PATH:
            return UbuntuRock.from_tag(ref.tag)
    except UnknownBase:
        return None
    return None


@lru_cache(maxsize=64)
def _versionless(tag: str) -> PythonBase | None:
    """A library/python tag that names no version (`latest`, `slim`, `bookworm`, `rc-slim`) as
    the base it floats over, or None when it is not one of those."""
    rest = "" if tag == "latest" else tag
    rc = rest == "rc" or rest.startswith("rc-")
    if rc:
        rest = rest[3:]
    if rest in ("latest", "rc") or rest.startswith(("rc-", "latest-")):
        return None
    suffix = f"-{rest}" if rest else ""
    if not rc:
        versions = ["3"]
    else:  # the newest series with pre-release images of that variant and distro
        versions = [
            f"{s}-rc" for s in sorted(lifecycle_table().series, key=series_key, reverse=True)
        ]
    for version in versions:
        try:
            return PythonBase.from_tag(f"{version}{suffix}")
        except UnknownBase:
            continue
    return None


def floating(ref: ImageReference) -> str | None:
    """Why `ref`'s tag floats (reviewers cannot tell what is pinned), or None if it does not."""
    if ref.tag is None:
        if ref.digest is not None:
            return "it names no tag, only a digest (Docker pulls that digest, not latest)"
        return "it has no tag (Docker reads that as latest)"
    word, *rest = ref.tag.lower().split("-")
    if word in FLOATING_TAGS and not any(part[:1].isdigit() for part in rest):
        return f"tag {ref.tag!r} moves by design"  # `stable-20240701-slim` is a snapshot
    if ref.path != PYTHON_PATH:
        return None
    onbuild = onbuild_series(ref)
    if onbuild is not None and "." not in ref.tag.split("-")[0]:  # `3-onbuild`, `onbuild`
        what = "only the major version" if ref.tag[:1].isdigit() else "no Python version"
        return f"tag {ref.tag!r} names {what} ({onbuild_note(onbuild)})"
    if not ref.tag[:1].isdigit():
        return f"tag {ref.tag!r} names no Python version"
    base = python_base(ref)
    if isinstance(base, PythonBase) and "." not in base.version:
        return f"tag {ref.tag!r} names only the major version, so it moves to every new series"
    return None


_ONBUILD = re.compile(r"(?:(?P<major>\d+)(?P<minor>\.\d+)?(?:\.\d+)*-)?onbuild")


def onbuild_series(ref: ImageReference) -> str | None:
    """The series a library/python `-onbuild` tag holds: its own (`3.6-onbuild`,
    `3.6.5-onbuild`), or the one `2-onbuild`, `3-onbuild` and `onbuild` (which is `3`) last
    pointed at when library/python removed the variant; None for any other tag."""
    m = _ONBUILD.fullmatch(ref.tag or "") if ref.path == PYTHON_PATH else None
    if m is None:
        return None
    if m["minor"]:
        return m["major"] + m["minor"]
    return images_table().onbuild.majors.get(m["major"] or "3")


def onbuild_note(series: str) -> str:
    """What an onbuild tag holds, for messages: nothing has rebuilt it since the variant went."""
    removed = images_table().onbuild.removed.isoformat()
    return (
        f"it last held Python {series}; library/python stopped building onbuild images on {removed}"
    )


def parse(text: object) -> ImageReference | None:
    """`text` as an image reference, or None when it is not one."""
    return _parse(text) if isinstance(text, str) else None


@lru_cache(maxsize=4096)
def _parse(text: str) -> ImageReference | None:
    try:
        return ImageReference.parse(text)
    except InvalidReference:
        return None


@dataclass(frozen=True)
class Life:
    """What the lifecycle rules ask of a catalog base, computed once per base."""

    series: str
    end_of_life: date
    pep: int | None
    prerelease: bool


@lru_cache(maxsize=1024)
def life(base: PythonBase | UbuntuRock) -> Life:
    if isinstance(base, PythonBase):
        return Life(base.series, base.end_of_life, base.pep, base.is_prerelease)
    return Life(base.python, base.end_of_life, None, base.is_prerelease)


def registry_allowed(ref: ImageReference, allowed: Iterable[str]) -> bool:
    """True when `ref`'s registry (or repository, for entries with a path) is allowed.

    Entries are hosts (`docker.io`, `127.0.0.1:5000`), host patterns
    (`*.dkr.ecr.*.amazonaws.com`) or repository prefixes (`ghcr.io/acme`, `docker.io/library`).
    """
    name = f"{ref.domain.lower()}/{ref.path}"  # a host may be written in capitals, a path not
    for entry in _entries(tuple(allowed)):
        if "/" in entry:
            if fnmatch.fnmatchcase(name, entry) or name.startswith(entry + "/"):
                return True
        elif fnmatch.fnmatchcase(ref.domain.lower(), entry):
            return True
    return False


@lru_cache(maxsize=64)
def _entries(allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Allow-list entries as compared: trimmed, lower-case, no trailing slash."""
    return tuple(entry.strip().rstrip("/").lower() for entry in allowed)


@lru_cache(maxsize=1024)
def platform_key(platform: str) -> str:
    """A platform as compared: lower-case, `linux/arm64/v8` == `linux/arm64`, no `/v1` on amd64."""
    parts = platform.strip().lower().split("/")
    if parts[:2] == ["linux", "arm64"] and parts[2:] in ([], ["v8"]):
        return "linux/arm64"
    if parts[:2] == ["linux", "amd64"] and parts[2:] == ["v1"]:
        return "linux/amd64"
    if parts[:2] == ["linux", "arm"] and parts[2:] == []:
        return "linux/arm/v7"
    return "/".join(parts)


def platform_os(platform: str) -> str:
    return platform.strip().lower().split("/", 1)[0]
