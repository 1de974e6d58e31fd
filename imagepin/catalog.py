"""The Python base catalog: version x variant x distro -> tag, with lifecycle and platforms.

Three flavours of base image:
- `PythonBase`: Docker's `library/python` (`3.12-slim-bookworm`, `3.12-alpine3.22`,
  `3.13-windowsservercore-ltsc2022`, `3.15.0a8-slim-trixie`, `3.15-rc`, `2.7.18-slim-buster`).
- `UbuntuRock`: Canonical's `ubuntu/python` rocks (`3.13-25.04_stable`), with pebble as entrypoint.
- `DebianPython`: `debian:<codename>` plus Debian's own `python3` from apt.

`UbuntuRock`, `DebianPython`, `UnknownBase` and the data tables live in `imagepin.catalog_os`,
re-exported here. The facts are data files shipped in the package, not code:
`data/python_lifecycle.json` (each series' PEP, first release, end of life, the date the table
was reviewed) and `data/python_images.json` (distros per series, platforms, rocks, Debian).
Pre-release status comes from the version string (`a`, `b`, `rc`, `-rc`), never from the table.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from functools import lru_cache
from typing import Literal, NamedTuple, Self

from pydantic import field_validator, model_validator

from imagepin.catalog_os import DEFAULT_REGISTRY as DEFAULT_REGISTRY
from imagepin.catalog_os import CatalogImage as CatalogImage
from imagepin.catalog_os import DebianPython as DebianPython
from imagepin.catalog_os import DistroRelease, Kind
from imagepin.catalog_os import UbuntuRock as UbuntuRock
from imagepin.catalog_os import UnknownBase as UnknownBase
from imagepin.catalog_os import images_table as images_table
from imagepin.catalog_os import lifecycle_table as lifecycle_table

Variant = Literal["full", "slim", "alpine", "windowsservercore"]
VARIANTS: tuple[Variant, ...] = ("full", "slim", "alpine", "windowsservercore")
DEFAULT_DEBIAN = "bookworm"
"""Default codename for full and slim, chosen explicitly so a tag never floats to a new Debian."""

VARIANT_KIND: dict[str, Kind] = {  # the kind of distro each variant is built on
    "full": "debian",
    "slim": "debian",
    "alpine": "alpine",
    "windowsservercore": "windows",
}
_KINDS: dict[Kind, tuple[Variant, str]] = {  # the variant each kind of distro has, and its name
    "debian": ("slim", "a Debian release"),
    "alpine": ("alpine", "an Alpine release"),
    "windows": ("windowsservercore", "a Windows release"),
}
_ONE_VARIANT = {
    ("slim", "alpine"): "the alpine variant already is the small one",
    ("full", "alpine"): "Alpine images come in one variant, alpine",
    ("slim", "windows"): "Windows images come in one variant, windowsservercore",
    ("full", "windows"): "Windows images come in one variant, windowsservercore",
}


# --- versions and distros ---------------------------------------------------------------------

_VERSION = re.compile(
    r"(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*)"
    r"(?:(?P<rc>-rc)|\.(?P<micro>0|[1-9]\d*)(?P<pre>(?:a|b|rc)[1-9]\d*)?)?)?"
)
_TAG = re.compile(r"(?P<version>\d+(?:\.\d+(?:-rc|\.\d+(?:(?:a|b|rc)\d+)?)?)?)(?:-(?P<rest>.+))?")
_ALPINE = re.compile(r"alpine(0|[1-9]\d*)\.(0|[1-9]\d*)")


class _Version(NamedTuple):
    text: str
    major: int
    series: str | None  # None for a bare major such as `3`
    prerelease: bool


@lru_cache(maxsize=1024)
def series_key(series: str) -> tuple[int, ...]:
    """`3.12` as (3, 12), to order series numerically (3.9 before 3.10); cached, as
    the rules order the catalog's series on every FROM."""
    return tuple(int(part) for part in series.split("."))


def _parse_version(text: str) -> _Version:
    m = _VERSION.fullmatch(text)
    if m is None:
        raise UnknownBase(
            f"version {text!r} is not a Python version: write a series ('3.12'), a major ('3'), "
            "a release ('3.12.7'), a pre-release ('3.15.0a8', '3.15.0b1', '3.15.0rc2') or a "
            "pre-release line ('3.15-rc')"
        )
    major, series = int(m["major"]), f"{m['major']}.{m['minor']}" if m["minor"] else None
    if m["pre"] and m["micro"] != "0":
        raise UnknownBase(
            f"version {text!r}: pre-releases exist only for x.y.0; "
            f"use '{series}.0{m['pre']}' or the release '{series}.{m['micro']}'"
        )
    table = lifecycle_table()
    known = (
        series in table.series if series else any(series_key(s)[0] == major for s in table.series)
    )
    if not known:
        majors: dict[int, list[str]] = {}
        for s in sorted(table.series, key=series_key):
            majors.setdefault(series_key(s)[0], []).append(s)
        spans = " and ".join(s[0] if len(s) == 1 else f"{s[0]} to {s[-1]}" for s in majors.values())
        newest = max(table.series, key=series_key)
        raise UnknownBase(
            f"python {text} is not in the catalog (it knows {spans}, reviewed {table.reviewed}); "
            f"the newest known series is {newest}: use version={newest!r}"
        )
    return _Version(text, major, series, bool(m["rc"] or m["pre"]))


def _resolve(v: _Version, on: date) -> str | None:
    """The series `v` names; for a bare major, the newest series of it released by `on`."""
    if v.series is not None:
        return v.series
    table = lifecycle_table().series
    released = [
        s for s, life in table.items() if series_key(s)[0] == v.major and life.first_release <= on
    ]
    return max(released, key=series_key, default=None)


def parse_variant(text: str) -> Variant:
    """`text` as a `Variant`, or `UnknownBase` naming the closest spelling."""
    for variant in VARIANTS:
        if text == variant:
            return variant
    match = difflib.get_close_matches(text, VARIANTS, n=1)
    hint = f"did you mean {match[0]!r}?" if match else "use 'slim' for the small Debian image"
    raise UnknownBase(f"variant {text!r} is not one of {', '.join(VARIANTS)}; {hint}")


def _carries(release: DistroRelease, v: _Version) -> bool:
    pool = release.prerelease if v.prerelease else release.python
    return v.series in pool if v.series else any(series_key(s)[0] == v.major for s in pool)


def _carrying(kind: Kind, v: _Version) -> list[str]:
    """Distros of `kind` that library/python built `v` for, oldest first."""
    return [n for n, r in images_table().distros.items() if r.kind == kind and _carries(r, v)]


def _position(name: str, kind: Kind) -> int:
    if m := _ALPINE.fullmatch(name):
        return int(m[1]) * 1000 + int(m[2])
    names = [n for n, r in images_table().distros.items() if r.kind == kind]
    return names.index(name) if name in names else len(names)


def _nearest(kind: Kind, v: _Version, near: str | None) -> str | None:
    """The distro of `kind` carrying `v` closest to `near` (the newest when `near` is None)."""
    options = _carrying(kind, v)
    if near is None or not options:
        return options[-1] if options else None
    target = _position(near, kind)
    return min(reversed(options), key=lambda o: abs(_position(o, kind) - target))


def default_distro(version: str, variant: Variant) -> str:
    """`bookworm` for full and slim, else the newest Alpine/Windows release carrying `version`."""
    kind = VARIANT_KIND[variant]
    if kind == "debian":
        return DEFAULT_DEBIAN
    current = [n for n, r in images_table().distros.items() if r.kind == kind and r.current]
    return _nearest(kind, _parse_version(version), None) or current[-1]


def _choice(variant: str, distro: str) -> str:
    return f"variant={variant!r}, distro={distro!r}"


def _distro_release(distro: str, v: _Version) -> DistroRelease:
    table = images_table()
    if distro in table.distros:
        return table.distros[distro]
    if _ALPINE.fullmatch(distro):
        near = _nearest("alpine", v, distro)
        raise UnknownBase(
            f"distro {distro!r}: library/python has no image on {distro} (catalog reviewed "
            f"{table.reviewed})" + (f"; use distro={near!r}" if near else "")
        )
    match = difflib.get_close_matches(distro, list(table.distros), n=1)
    current = ", ".join(n for n, r in table.distros.items() if r.current)
    hint = f"did you mean {match[0]!r}?" if match else f"current ones are {current}"
    raise UnknownBase(
        f"distro {distro!r} is not a Debian, Alpine or Windows release the catalog knows; {hint}"
    )


def _check_python(v: _Version, variant: Variant, distro: str | None) -> None:
    kind = VARIANT_KIND[variant]
    release = None if distro is None else _distro_release(distro, v)
    if distro is not None and release is not None and release.kind != kind:
        own, name = _KINDS[release.kind]
        keep_distro = _choice(own, distro) if _carries(release, v) else None
        near = _nearest(kind, v, None)
        keep_variant = _choice(variant, near) if near else None
        reason = _ONE_VARIANT.get((variant, release.kind))
        if reason is None:
            reason = f"{distro} is {name} and the {variant} variant needs {_KINDS[kind][1]}"
            fixes = [keep_variant, keep_distro]
        else:
            fixes = [keep_distro or keep_variant]
        use = ", or ".join(f for f in fixes if f)
        raise UnknownBase(f"no python image {variant!r} on {distro!r}: {reason}; use {use}")
    options = _carrying(kind, v)
    if (distro is None and options) or distro in options:
        return
    what = f"pre-releases of {v.series or v.major}" if v.prerelease else f"{v.series or v.major}"
    if options:
        near = _nearest(kind, v, distro) or options[-1]
        raise UnknownBase(
            f"no python {v.text} image on {distro!r}: library/python built {what} "
            f"on {', '.join(options)}; use {_choice(variant, near)}"
        )
    others = [k for k in _KINDS if k != kind]
    fixes = [_choice(_KINDS[k][0], n) for k in others if (n := _nearest(k, v, None))]
    if not fixes and (other := _nearest_series(kind, v)) is not None:
        fixes = [f"version={other.text!r}, {_choice(variant, _carrying(kind, other)[-1])}"]
    raise UnknownBase(
        f"no python {v.text} image for variant {variant!r}: library/python never built {what} "
        f"on {_KINDS[kind][1]} the catalog knows; use {fixes[0] if fixes else 'another series'}"
    )


def _nearest_series(kind: Kind, v: _Version) -> _Version | None:
    """The series closest to `v` (same major first) that library/python built on `kind`."""
    order = sorted(lifecycle_table().series, key=series_key)
    target = order.index(v.series) if v.series in order else len(order)
    built = {
        s
        for r in images_table().distros.values()
        if r.kind == kind
        for s in (r.prerelease if v.prerelease else r.python)
    }
    near = min(
        (s for s in order[::-1] if s in built),
        key=lambda s: (series_key(s)[0] != v.major, abs(order.index(s) - target)),
        default=None,
    )
    return None if near is None else _parse_version(f"{near}-rc" if v.prerelease else near)


class PythonBase(CatalogImage):
    """A `library/python` image: `PythonBase(version="3.12", variant="slim", distro="bookworm")`.

    `distro=None` gives the tag that floats over distro releases (`3.12-slim`). A bare major
    (`3`) floats over series too: its `series`, `first_release` and `end_of_life` are those of
    the newest series released by the date the lifecycle table was reviewed. A release is
    supported from its first release until the day before its end-of-life date; pre-releases
    are never supported.
    """

    _PATH = "library/python"
    version: str
    variant: Variant = "slim"
    distro: str | None = None

    @field_validator("variant", mode="before")
    @classmethod
    def _variant(cls, value: object) -> object:
        return parse_variant(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_python(_parse_version(self.version), self.variant, self.distro)
        return self

    @classmethod
    def from_tag(cls, tag: str, registry: str = DEFAULT_REGISTRY) -> PythonBase:
        """Parse a library/python tag (`3.11-slim-trixie`, `3-alpine`, `3.15-rc`) back."""
        m = _TAG.fullmatch(tag)
        if m is None:
            raise UnknownBase(
                f"tag {tag!r} names no Python version; pin one, as in '3.12-slim-bookworm', "
                "'3.12-alpine3.22' or '3.13-windowsservercore-ltsc2022'"
            )
        head, sep, tail = (m["rest"] or "").partition("-")
        variant, distro = "full", (m["rest"] or None)
        if head in ("slim", "windowsservercore"):
            variant, distro = head, tail or None
        elif head.startswith("alpine") and not sep:
            variant, distro = "alpine", None if head == "alpine" else head
        base = cls(
            version=m["version"], variant=parse_variant(variant), distro=distro, registry=registry
        )
        if base.tag != tag:
            raise UnknownBase(
                f"tag {tag!r} is not spelled the way library/python spells it; "
                f"did you mean {base.tag!r}?"
            )
        return base

    @property
    def series(self) -> str:
        """`3.12` for every 3.12 form; for a bare major, the series it floats to (see above)."""
        v = _parse_version(self.version)
        resolved = _resolve(v, lifecycle_table().reviewed)
        if resolved is not None:
            return resolved
        return max(
            (s for s in lifecycle_table().series if series_key(s)[0] == v.major), key=series_key
        )

    @property
    def tag(self) -> str:
        v, d = self.version, self.distro
        if self.variant == "full":
            return f"{v}-{d}" if d else v
        if self.variant == "alpine":
            return f"{v}-{d}" if d else f"{v}-alpine"
        return f"{v}-{self.variant}-{d}" if d else f"{v}-{self.variant}"

    @property
    def is_prerelease(self) -> bool:
        return _parse_version(self.version).prerelease

    @property
    def pep(self) -> int:
        return lifecycle_table().series[self.series].pep

    @property
    def first_release(self) -> date:
        return lifecycle_table().series[self.series].first_release

    @property
    def end_of_life(self) -> date:
        return lifecycle_table().series[self.series].end_of_life

    @property
    def platforms(self) -> tuple[str, ...]:
        return images_table().platforms[VARIANT_KIND[self.variant]]

    def is_supported(self, on: date | None = None) -> bool:
        """True from the series' first release until the day before its end of life."""
        on = on or date.today()
        series = _resolve(_parse_version(self.version), on)
        if self.is_prerelease or series is None:
            return False
        life = lifecycle_table().series[series]
        return life.first_release <= on < life.end_of_life


AnyBase = PythonBase | UbuntuRock | DebianPython


def newest_series(on: date | None = None) -> str:
    """The newest series released and not at end of life on `on` (default today)."""
    on = on or date.today()
    table = lifecycle_table().series
    live = [s for s, life in table.items() if life.first_release <= on < life.end_of_life]
    return max(live or table, key=series_key)


def support_status(base: AnyBase, on: date | None = None) -> str:
    """`supported`, `pre-release`, `end of life on DATE` or `not released until DATE`."""
    on = on or date.today()
    if base.is_supported(on):
        return "supported"
    if base.is_prerelease:
        return "pre-release"
    if on >= base.end_of_life:
        return f"end of life on {base.end_of_life.isoformat()}"
    return f"not released until {base.first_release.isoformat()}"


def catalog(
    include_legacy: bool = False, on: date | None = None, registry: str = DEFAULT_REGISTRY
) -> list[AnyBase]:
    """The bases the catalog knows, newest series first, then rocks, then Debian's python3.

    Each series not at end of life on `on` (default today) x variant x current distro; a series
    not released yet appears as its `-rc` line. `include_legacy` adds end-of-life series (on
    current distros, else the last one they were built for) and end-of-life rocks and Debians.
    """
    on = on or date.today()
    table = images_table()
    bases: list[AnyBase] = []
    for series, life in sorted(lifecycle_table().series.items(), key=lambda i: series_key(i[0]))[
        ::-1
    ]:
        if on >= life.end_of_life and not include_legacy:
            continue
        version = series if life.first_release <= on else f"{series}-rc"
        for variant in VARIANTS:
            carrying = _carrying(VARIANT_KIND[variant], _parse_version(version))
            current = [d for d in carrying if table.distros[d].current]
            for distro in current or (carrying[-1:] if include_legacy else []):
                bases.append(
                    PythonBase(version=version, variant=variant, distro=distro, registry=registry)
                )
    others: list[AnyBase] = [
        UbuntuRock(python=r.python, ubuntu=u, registry=registry)
        for u, r in table.ubuntu_rocks.releases.items()
    ]
    others += [DebianPython(codename=c, registry=registry) for c in table.debian_python.releases]
    bases += [b for b in others if include_legacy or on < b.end_of_life]
    return bases
