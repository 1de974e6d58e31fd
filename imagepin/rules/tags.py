"""The library/python tag a rule's fix names, made in one place (PIN004, PY001, PY002, VAR001,
VAR002, VAR003) so that no fix names a tag library/python never published.

A fix for an existing FROM keeps what that FROM pulls today: its variant (full stays full) and
its distro release, the one its tag names or else the one its floating tag resolves to.
library/python points a floating tag at the newest release it builds that version on
(`3.13-slim` is `3.13-slim-trixie`), and a tag it no longer builds stays on the release it was
last built on (`3.6` is `3.6-bullseye`, `2-slim` is `2.7-slim-buster`, `3.7.10` is
`3.7.10-buster`). Only when that release never carried the version a fix moves to is the
release a fresh choice, made as `imagepin base` makes it (bookworm for full and slim, chosen
explicitly so the tag never moves).

Where a floating tag points is read from the catalog as reviewed (it has no dates for distro
releases); the check's date (`Settings.today`) decides which series a bare major stands for.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from imagepin.catalog import (
    VARIANT_KIND,
    PythonBase,
    UnknownBase,
    Variant,
    default_distro,
    images_table,
    lifecycle_table,
    series_key,
)

_SERIES = re.compile(r"\d+\.\d+")
_FINAL = re.compile(r"(?P<series>\d+\.\d+)\.\d+")


def built(distro: str, version: str, variant: Variant) -> bool:
    """Whether library/python built `version` in `variant` on `distro`: a series (`3.12`) when
    any release of it was, a release (`3.7.10`) when it is in the distro's `finals` range, a
    pre-release (`3.15.0a8`, `3.15-rc`) when the series' -rc line was."""
    release = images_table().distros.get(distro)
    if release is None or release.kind != VARIANT_KIND[variant]:
        return False
    if _SERIES.fullmatch(version):
        return version in release.python
    final = _FINAL.fullmatch(version)
    if final is None:
        return ".".join(re.findall(r"\d+", version)[:2]) in release.prerelease
    first, last = release.finals.get(final["series"], (None, None))
    key = series_key(version)
    return (
        first is not None and series_key(first) <= key and (last is None or key <= series_key(last))
    )


def _newest(version: str, variant: Variant) -> str | None:
    """The newest release library/python built `version` on in `variant`: where its floating
    tag points (or pointed, when it is no longer built)."""
    releases = [d for d in images_table().distros if built(d, version, variant)]
    return releases[-1] if releases else None


def _fresh(version: str, variant: Variant) -> str | None:
    """The release `imagepin base` picks for a new choice of `version` in `variant`."""
    try:
        return default_distro(version, variant)
    except UnknownBase:
        return None


def version_on(base: PythonBase, on: date) -> str:
    """The version `base`'s tag pulls on `on`: a bare major (`3`) as the newest series of it
    released by then and built on the release the tag names (`3-bullseye` stopped at 3.13),
    any other version as written (`3.12`, `3.7.10`, `3.15-rc`)."""
    if "." in base.version:
        return base.version
    released = [
        s
        for s, life in lifecycle_table().series.items()
        if series_key(s)[0] == int(base.version)
        and life.first_release <= on
        and (base.distro is None or built(base.distro, s, base.variant))
    ]
    return max(released, key=series_key, default=base.series)


def release_on(base: PythonBase, on: date) -> str | None:
    """The distro release `base` pulls on `on`: the one its tag names, else the one its
    floating tag resolves to; None when the catalog knows no release that built it."""
    return base.distro or _newest(version_on(base, on), base.variant)


def _first_built(
    version: str, variant: Variant, distros: tuple[str | None, ...]
) -> PythonBase | None:
    for distro in distros:
        if distro is not None and built(distro, version, variant):
            return PythonBase(version=version, variant=variant, distro=distro)
    return None


@lru_cache(maxsize=1024)
def fix_base(
    base: PythonBase, on: date, version: str | None = None, variant: Variant | None = None
) -> PythonBase | None:
    """The base a fix for a FROM of `base` names: `version` (default: the one `base` pulls on
    `on`) in `variant` (default: base's own) on the release `base` pulls today when
    library/python built it there, else on the release `imagepin base` picks for a new choice,
    else on the newest release that has it; None when library/python built it on no release the
    catalog knows (`3.6.2`, built on jessie)."""
    version = version or version_on(base, on)
    variant = variant or base.variant
    releases = (release_on(base, on), _fresh(version, variant), _newest(version, variant))
    return _first_built(version, variant, releases)


@lru_cache(maxsize=256)
def fresh_base(version: str, variant: Variant = "slim") -> PythonBase | None:
    """`version` in `variant` as a new choice (another OS, a catalog that cannot place the
    FROM): on the release `imagepin base` picks, else the newest that has it."""
    return _first_built(version, variant, (_fresh(version, variant), _newest(version, variant)))


def move_base(base: PythonBase | None, series: str, on: date) -> PythonBase:
    """What to move to from `base` (PY001, PY002): `series` in base's variant on the release
    base pulls today when that release has it, else a new choice; a new slim choice when there
    is no base (a tag the catalog cannot place)."""
    moved = fix_base(base, on, version=series) if base is not None else None
    return moved or fresh_base(series) or PythonBase(version=series)


def base_command(base: PythonBase) -> str:
    """The `imagepin base` command that prints `base`, with only the options that differ from
    its defaults (slim, and bookworm or the newest Alpine or Windows release)."""
    variant = "" if base.variant == "slim" else f" --variant {base.variant}"
    chosen = base.distro or "floating"
    distro = "" if chosen == _fresh(base.version, base.variant) else f" --distro {chosen}"
    return f"imagepin base {base.version}{variant}{distro}"
