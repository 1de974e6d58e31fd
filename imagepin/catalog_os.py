"""Catalog foundations, and the Pythons that come with an OS image.

- `UnknownBase`, the catalog's error; `lifecycle_table()` and `images_table()`, the data files
  `imagepin/data/python_lifecycle.json` and `python_images.json` as typed, cached models.
- `CatalogImage`, what every catalog entry shares: frozen, a `registry` (docker.io or a mirror),
  `repository`, `reference`, and its own mistakes raised as `UnknownBase`, not pydantic's error.
- `UbuntuRock` (Canonical's `ubuntu/python` rocks) and `DebianPython` (`debian:<codename>` plus
  Debian's python3): their Python, platforms and support come with the OS release.

`imagepin.catalog` re-exports all of this beside `PythonBase`; import from there.
"""

from __future__ import annotations

import difflib
import re
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from imagepin.errors import ConfigError
from imagepin.refs import ImageReference, InvalidReference

DEFAULT_REGISTRY = "docker.io"
Kind = Literal["debian", "alpine", "windows"]
"""The kind of OS a library/python distro is: Debian codename, Alpine or Windows release."""


class UnknownBase(ConfigError):  # noqa: N818 (public name, fixed by contract)
    """A base the catalog does not know or that cannot exist; the message names the nearest fix."""


# --- the data files ---------------------------------------------------------------------------


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SeriesLife(_Data):
    pep: int
    first_release: date
    end_of_life: date


class Lifecycle(_Data):
    reviewed: date
    source: str
    series: dict[str, SeriesLife]


class DistroRelease(_Data):
    kind: Kind
    release: str
    current: bool
    python: tuple[str, ...]
    prerelease: tuple[str, ...]
    finals: dict[str, tuple[str, str | None]]
    """Per series, the first and last x.y.z built here in every variant of the kind (the last
    None while it is still built): a series tells only that some release of it was."""


class Onbuild(_Data):
    """library/python's `-onbuild` variant, removed on `removed`; `majors` holds the series
    `2-onbuild` and `3-onbuild` (and `onbuild`, which is `3`) last pointed at."""

    removed: date
    majors: dict[str, str]


class OsRelease(_Data):
    """An Ubuntu or Debian release: the python3 it ships and how long it is supported."""

    name: str
    python: str
    released: date
    end_of_life: date
    platforms: tuple[str, ...]


class UbuntuRocks(_Data):
    channels: tuple[str, ...]
    releases: dict[str, OsRelease]


class DebianPythons(_Data):
    packages: tuple[str, ...]
    note: str
    releases: dict[str, OsRelease]


class Images(_Data):
    reviewed: date
    source: str
    platforms: dict[Kind, tuple[str, ...]]
    distros: dict[str, DistroRelease]
    onbuild: Onbuild
    ubuntu_rocks: UbuntuRocks
    debian_python: DebianPythons


def _read(name: str) -> str:
    return (resources.files("imagepin") / "data" / name).read_text(encoding="utf-8")


@cache
def lifecycle_table() -> Lifecycle:
    """`imagepin/data/python_lifecycle.json`: each series' PEP, first release and end of life."""
    return Lifecycle.model_validate_json(_read("python_lifecycle.json"))


@cache
def images_table() -> Images:
    """`imagepin/data/python_images.json`: distros per series, platforms, rocks, Debian python3."""
    return Images.model_validate_json(_read("python_images.json"))


def _check_registry(registry: str, path: str) -> None:
    repository = f"{registry}/{path}"
    try:
        ref = ImageReference.parse(repository)
    except InvalidReference as exc:
        raise UnknownBase(
            f"registry {registry!r} is not a registry host ({exc}); "
            "give a host such as docker.io or 127.0.0.1:5000"
        ) from None
    if ref.name != repository or ref.tag is not None or ref.digest is not None:
        raise UnknownBase(
            f"registry {registry!r} would be read as part of {ref.name}; give a host with a dot "
            "or a port (mirror.example.com, 127.0.0.1:5000) or localhost"
        )


@contextmanager
def _unknown_base_unwrapped() -> Iterator[None]:
    """Let `UnknownBase` raised inside pydantic validation out as itself, not a ValidationError."""
    try:
        yield
    except ValidationError as exc:
        for error in exc.errors():
            cause = error.get("ctx", {}).get("error")
            if isinstance(cause, UnknownBase):
                raise cause from None
        raise


# --- what every entry shares, and the Pythons that come with an OS ----------------------


class CatalogImage(BaseModel):
    """What every entry shares: a frozen model whose own errors come out as `UnknownBase`."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    _PATH: ClassVar[str]  # repository path under the registry
    registry: str = DEFAULT_REGISTRY
    """The registry or mirror the image comes from: `docker.io`, `127.0.0.1:5000`."""

    def __init__(self, **data: Any) -> None:
        with _unknown_base_unwrapped():
            super().__init__(**data)

    @model_validator(mode="after")
    def _registry_is_a_host(self) -> Self:
        _check_registry(self.registry, self._PATH)
        return self

    @property
    @abstractmethod
    def tag(self) -> str:
        """The tag, spelled as the registry spells it."""

    @property
    def repository(self) -> str:
        """`docker.io/library/python`, or `127.0.0.1:5000/library/python` with a mirror."""
        return f"{self.registry}/{self._PATH}"

    @property
    def reference(self) -> ImageReference:
        return ImageReference.parse(f"{self.repository}:{self.tag}")


class _OsPython(CatalogImage):
    """A Python that comes with an OS release: its lifecycle and platforms are the release's."""

    @property
    @abstractmethod
    def _release(self) -> OsRelease:
        """The OS release's row in `data/python_images.json`."""

    @property
    def version(self) -> str:
        return self._release.python

    @property
    def is_prerelease(self) -> bool:
        return False

    @property
    def first_release(self) -> date:
        return self._release.released

    @property
    def end_of_life(self) -> date:
        return self._release.end_of_life

    @property
    def platforms(self) -> tuple[str, ...]:
        return self._release.platforms

    def is_supported(self, on: date | None = None) -> bool:
        """True from the OS release until the day before its end of support."""
        on = on or date.today()
        return not self.is_prerelease and self.first_release <= on < self.end_of_life


class UbuntuRock(_OsPython):
    """Canonical's `ubuntu/python` rock: `UbuntuRock(python="3.13", ubuntu="25.04")`.

    Its entrypoint is pebble: a command runs as `exec python3 app.py` (`command_prefix` + args),
    health is `pebble health` and logs are `pebble logs`. Channels other than `stable`
    (candidate, beta, edge) count as pre-releases; support ends with the Ubuntu release's.
    """

    _PATH = "ubuntu/python"
    entrypoint: ClassVar[str] = "pebble"
    command_prefix: ClassVar[tuple[str, ...]] = ("exec", "python3")
    health_command: ClassVar[tuple[str, ...]] = ("pebble", "health")
    logs_command: ClassVar[tuple[str, ...]] = ("pebble", "logs")
    variant: ClassVar[str] = "rock"
    python: str
    ubuntu: str
    channel: str = "stable"

    @model_validator(mode="after")
    def _check(self) -> Self:
        rocks = images_table().ubuntu_rocks
        release = rocks.releases.get(self.ubuntu)
        if release is None:
            pairs = ", ".join(f"{u} ships {r.python}" for u, r in rocks.releases.items())
            fixes = [f"ubuntu={u!r}" for u, r in rocks.releases.items() if r.python == self.python]
            raise UnknownBase(
                f"ubuntu {self.ubuntu!r} has no python rock in the catalog ({pairs})"
                + (f"; for python {self.python} use {fixes[0]}" if fixes else "")
            )
        if self.python != release.python:
            fixes = [f"python={release.python!r}, ubuntu={self.ubuntu!r}"] + [
                f"python={self.python!r}, ubuntu={u!r}"
                for u, r in rocks.releases.items()
                if r.python == self.python
            ]
            raise UnknownBase(
                f"Ubuntu {self.ubuntu} ships Python {release.python}, not {self.python}; "
                f"use {' or '.join(fixes)}"
            )
        if self.channel not in rocks.channels:
            match = difflib.get_close_matches(self.channel, rocks.channels, n=1)
            raise UnknownBase(
                f"channel {self.channel!r} is not one of {', '.join(rocks.channels)}"
                + (f"; did you mean {match[0]!r}?" if match else "; use 'stable'")
            )
        return self

    @classmethod
    def from_tag(cls, tag: str, registry: str = DEFAULT_REGISTRY) -> UbuntuRock:
        """Parse an ubuntu/python tag such as `3.13-25.04_stable`."""
        m = re.fullmatch(r"(\d+\.\d+)-(\d+\.\d+)_([a-z]+)", tag)
        if m is None:
            raise UnknownBase(
                f"tag {tag!r} is not an ubuntu/python rock tag; those read PYTHON-UBUNTU_CHANNEL, "
                "as in '3.12-24.04_stable'"
            )
        return cls(python=m[1], ubuntu=m[2], channel=m[3], registry=registry)

    @property
    def _release(self) -> OsRelease:
        return images_table().ubuntu_rocks.releases[self.ubuntu]

    @property
    def distro(self) -> str:
        return f"ubuntu-{self.ubuntu}"

    @property
    def tag(self) -> str:
        return f"{self.python}-{self.ubuntu}_{self.channel}"

    @property
    def is_prerelease(self) -> bool:
        return self.channel != "stable"


class DebianPython(_OsPython):
    """`debian:<codename>` plus `apt-get install python3 python3-venv`: Debian's own Python.

    `note` says why one would pick it: how Debian builds python3 and what was measured. Support
    ends with Debian LTS for the release.
    """

    _PATH = "library/debian"
    variant: ClassVar[str] = "apt"
    codename: str

    @model_validator(mode="after")
    def _check(self) -> Self:
        releases = images_table().debian_python.releases
        if self.codename not in releases:
            known = ", ".join(f"{c} ships {r.python}" for c, r in releases.items())
            match = difflib.get_close_matches(self.codename, list(releases), n=1)
            raise UnknownBase(
                f"codename {self.codename!r} has no Debian python3 in the catalog ({known})"
                + (f"; did you mean {match[0]!r}?" if match else "")
            )
        return self

    @property
    def _release(self) -> OsRelease:
        return images_table().debian_python.releases[self.codename]

    @property
    def python_version(self) -> str:
        return self._release.python

    @property
    def packages(self) -> tuple[str, ...]:
        return images_table().debian_python.packages

    @property
    def note(self) -> str:
        return images_table().debian_python.note

    @property
    def distro(self) -> str:
        return self.codename

    @property
    def tag(self) -> str:
        return self.codename
