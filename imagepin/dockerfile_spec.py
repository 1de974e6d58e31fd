"""`ImageSpec`: what to build, validated before anything is rendered or resolved.

A spec names a Python, a layout and an application's requirements and command; it knows the
base images each layout needs (`stages`) and checks them against the catalog: the version,
variant and distro exist, and every target platform is one the bases publish. Digests are not
here: they come from `images.lock` when `imagepin.dockerfile.render` writes the Dockerfile.

Field names are snake_case in Python and camelCase in stack files (`build_packages` /
`buildPackages`); both spellings are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Self

from pydantic import Field, ValidationError, field_validator, model_validator

from imagepin.catalog import (
    VARIANTS,
    DebianPython,
    PythonBase,
    UbuntuRock,
    UnknownBase,
    Variant,
    default_distro,
    images_table,
)
from imagepin.config_errors import FieldError, did_you_mean, explain
from imagepin.dockerfile_options import Healthcheck, Model, PipSettings
from imagepin.refs import ImageReference

Layout = Literal["slim", "builder", "debian-apt", "ubuntu-rock"]
LAYOUTS: tuple[Layout, ...] = ("slim", "builder", "debian-apt", "ubuntu-rock")
DEFAULT_UID = 10001
"""The uid (and gid) the application runs as: fixed, so volumes and policies can name it."""
DEFAULT_PLATFORMS = ("linux/amd64",)
DEFAULT_MIRROR = "docker.io"
EXAMPLES = {
    "command": "[python3, -m, service]",
    "python": "'3.12'",
    "platforms": "[linux/amd64, linux/arm64]",
    "requirements": "[requirements.txt]",
    "buildPackages": "[build-essential, libpq-dev]",
    "runtimePackages": "[libpq5]",
}

_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+._-]*(=[A-Za-z0-9.+~:_-]+)?")
_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*")
_PLATFORM = re.compile(r"[a-z0-9]+/[a-z0-9_]+(/v[0-9]+)?")
_DEFAULT_VARIANTS = {"linux/arm64": "linux/arm64/v8", "linux/arm": "linux/arm/v7"}


@dataclass(frozen=True)
class Stage:
    """One base image a layout builds on: its canonical reference (tag form) and platforms."""

    role: Literal["builder", "runtime"]
    ref: ImageReference
    platforms: tuple[str, ...]
    packager: Literal["apt", "apk", "none"] = "apt"
    """How packages get in; `none` for chiselled Ubuntu rocks (no shell, no RUN, no apt)."""


def platform_key(platform: str) -> str:
    """`linux/arm64` and `linux/arm64/v8` are one platform (as in OCI image indexes)."""
    return _DEFAULT_VARIANTS.get(platform, platform)


class ImageBuild(Model):
    """The fields an image is built from; `ImageSpec` adds the base mirror, stack config the
    image's name and app directory. Validation checks them together against the catalog."""

    python: str
    command: tuple[str, ...]
    layout: Layout = "slim"
    variant: Variant | None = None
    """library/python layouts only; default slim. The builder layout's runtime is always slim."""
    distro: str | None = None
    platforms: tuple[str, ...] = DEFAULT_PLATFORMS
    requirements: tuple[str, ...] = ("requirements.txt",)
    build_packages: tuple[str, ...] = ()
    runtime_packages: tuple[str, ...] = ()
    port: int | None = Field(default=None, ge=1, le=65535)
    healthcheck: Healthcheck | None = None
    uid: int = Field(default=DEFAULT_UID, ge=1, le=2**31 - 1)
    pip: PipSettings = PipSettings()
    ignore: tuple[str, ...] = ()
    """Extra .dockerignore patterns, after the defaults."""

    @field_validator("variant", mode="before")
    @classmethod
    def _variant(cls, value: object) -> object:
        if isinstance(value, str) and value not in VARIANTS:
            raise ValueError(
                f"{value!r} is not one of {', '.join(VARIANTS)}{did_you_mean(value, VARIANTS)}"
            )
        return value

    @field_validator("layout", mode="before")
    @classmethod
    def _layout(cls, value: object) -> object:
        if isinstance(value, str) and value not in LAYOUTS:
            raise ValueError(
                f"{value!r} is not one of {', '.join(LAYOUTS)}{did_you_mean(value, LAYOUTS)}"
            )
        return value

    @field_validator("command")
    @classmethod
    def _command(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value or not value[0]:
            raise ValueError("empty; give the program and its arguments, e.g. [python3, -m, app]")
        return value

    @field_validator("build_packages", "runtime_packages")
    @classmethod
    def _packages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for i, name in enumerate(value):
            if not _PACKAGE.fullmatch(name):
                raise FieldError(
                    (i,),
                    f"{name!r} is not a package name; write it as apt or apk spells it "
                    "(libpq5, build-essential, libpq-dev=15.*)",
                )
        return value

    @field_validator("requirements")
    @classmethod
    def _requirements(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for i, name in enumerate(value):
            if ".." in name.split("/") or not _FILE.fullmatch(name):
                raise FieldError(
                    (i,),
                    f"{name!r} is not a file inside the app directory; give a relative path "
                    "such as requirements.txt (no '..', no leading '/')",
                )
        return value

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("empty; list at least one, e.g. [linux/amd64]")
        seen: dict[str, int] = {}
        for i, platform in enumerate(value):
            if not _PLATFORM.fullmatch(platform):
                raise FieldError(
                    (i,), f"{platform!r} is not os/arch[/variant]; write e.g. linux/arm64"
                )
            if platform_key(platform) in seen:
                raise FieldError(
                    (i,), f"{platform!r} repeats platforms[{seen[platform_key(platform)]}]"
                )
            seen[platform_key(platform)] = i
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        _check_layout(self)
        for stage in self.stages:
            _check_platforms(self, stage)
        return self

    # --- what the component and the renderer read -------------------------------------------

    @property
    def stages(self) -> tuple[Stage, ...]:
        """The bases this image needs, builder first: canonical docker.io references, no digest."""
        return _stages(self)

    @property
    def runtime(self) -> Stage:
        return self.stages[-1]

    @property
    def build_secrets(self) -> tuple[str, ...]:
        """The BuildKit secret ids the build mounts (`docker build --secret id=...`)."""
        return self.pip.secrets

    @property
    def healthcheck_port(self) -> int | None:
        if self.healthcheck is None:
            return None
        return self.healthcheck.port or self.port


class ImageSpec(ImageBuild):
    """What to build: `ImageSpec(python="3.12", command=["python3", "-m", "service"])`.

    Layouts: `slim` (one stage on library/python, default variant slim), `builder` (a venv built
    in the full variant with `build_packages`, copied into the slim runtime), `debian-apt`
    (`debian:<codename>` with Debian's python3 in a venv), `ubuntu-rock` (Canonical's
    `ubuntu/python` rock, dependencies built in `ubuntu:<release>`). `distro` is the Debian
    codename (or Alpine release) for library/python and debian-apt, the Ubuntu release
    (`24.04`) for ubuntu-rock. `mirror` is the registry bases are pulled from; the lock keeps
    the canonical docker.io references. Invalid input raises `ConfigError` naming the field.
    """

    mirror: str = DEFAULT_MIRROR

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise explain(exc, ImageSpec, where="ImageSpec", examples=EXAMPLES) from None

    @field_validator("mirror")
    @classmethod
    def _mirror(cls, value: str) -> str:
        check_registry_host(value)
        return value


def check_registry_host(host: str) -> None:
    """`host` must be a registry host (`docker.io`, `127.0.0.1:5000`), not a path or reference."""
    try:
        ref = ImageReference.parse(f"{host}/x")
    except ValueError:
        ref = None
    if ref is None or ref.domain != host:
        raise ValueError(
            f"{host!r} is not a registry host; give one with a dot or a port, such as "
            "docker.io, mirror.example.com or 127.0.0.1:5000"
        )


def _catalog(loc: str, build: Any, **kw: Any) -> Any:
    try:
        return build(**kw)
    except UnknownBase as exc:
        raise FieldError((loc,), str(exc)) from None


def _python_base(spec: ImageBuild, variant: Variant) -> PythonBase:
    """The library/python image; version errors point at `python`, the rest at `distro`."""
    _catalog("python", PythonBase, version=spec.python, variant=variant)
    distro = spec.distro or default_distro(spec.python, variant)
    base: PythonBase = _catalog(
        "distro", PythonBase, version=spec.python, variant=variant, distro=distro
    )
    return base


def _stages(spec: ImageBuild) -> tuple[Stage, ...]:
    if spec.layout in ("slim", "builder"):
        runtime = _python_base(spec, spec.variant or "slim")
        packager: Literal["apt", "apk"] = "apk" if runtime.variant == "alpine" else "apt"
        stages = [Stage("runtime", runtime.reference, runtime.platforms, packager)]
        if spec.layout == "builder":
            full = _python_base(spec, "full")
            stages.insert(0, Stage("builder", full.reference, full.platforms))
        return tuple(stages)
    if spec.layout == "debian-apt":
        debian: DebianPython = _catalog("distro", DebianPython, codename=spec.distro or "bookworm")
        return (
            Stage("builder", debian.reference, debian.platforms),
            Stage("runtime", debian.reference, debian.platforms),
        )
    release = spec.distro or _default_rock_release(spec.python) or ""
    rock: UbuntuRock = _catalog("distro", UbuntuRock, python=spec.python, ubuntu=release)
    ubuntu = ImageReference.parse(f"ubuntu:{rock.ubuntu}")
    return (
        Stage("builder", ubuntu, rock.platforms),
        Stage("runtime", rock.reference, rock.platforms, "none"),
    )


def _default_rock_release(python: str) -> str | None:
    """The newest Ubuntu release whose python rock carries `python`."""
    releases = images_table().ubuntu_rocks.releases
    return next((u for u, r in reversed(releases.items()) if r.python == python), None)


def _check_layout(spec: ImageBuild) -> None:
    layout = spec.layout
    if spec.variant == "windowsservercore":
        raise FieldError(
            ("variant",),
            "windowsservercore images are Windows containers and imagepin renders Linux images; "
            "use variant: slim",
        )
    if layout in ("debian-apt", "ubuntu-rock") and spec.variant is not None:
        raise FieldError(
            ("variant",),
            f"the {layout} layout has no library/python variant; remove variant, or use "
            "layout: slim to choose one",
        )
    if layout == "builder" and spec.variant not in (None, "slim"):
        raise FieldError(
            ("variant",),
            f"the builder layout always runs on the slim variant (it builds in full); remove "
            f"variant: {spec.variant}, or use layout: slim with variant: {spec.variant}",
        )
    if layout == "builder" and spec.distro and spec.distro.startswith("alpine"):
        raise FieldError(
            ("distro",),
            "Alpine has no full variant to build in; use distro: bookworm, or layout: slim with "
            "variant: alpine",
        )
    if layout == "slim" and spec.build_packages:
        raise FieldError(
            ("build_packages",),
            "the slim layout has no build stage, so these would stay in the runtime; use "
            "layout: builder (the runtime then carries no compiler)",
        )
    if layout == "debian-apt":
        debian = _catalog("distro", DebianPython, codename=spec.distro or "bookworm")
        if spec.python != debian.python_version:
            releases = images_table().debian_python.releases
            others = [c for c, r in releases.items() if r.python == spec.python]
            fix = f"use python: '{debian.python_version}'" + (
                f", or distro: {others[0]}" if others else ""
            )
            raise FieldError(
                ("python",),
                f"Debian {debian.codename} ships python {debian.python_version}, "
                f"not {spec.python}; {fix}",
            )
    if layout == "ubuntu-rock":
        if spec.distro is None and _default_rock_release(spec.python) is None:
            rocks = images_table().ubuntu_rocks.releases
            pairs = ", ".join(f"{u} ships {r.python}" for u, r in rocks.items())
            live = [r for r in rocks.values() if r.end_of_life > date.today()]
            pick = (live or list(rocks.values()))[-1].python
            raise FieldError(
                ("python",),
                f"no ubuntu/python rock carries python {spec.python} ({pairs}); "
                f"use python: '{pick}' or another layout",
            )
        if spec.runtime_packages:
            raise FieldError(
                ("runtime_packages",),
                "Ubuntu rocks are chiselled (no shell, no apt), so nothing can be installed in "
                "the runtime; use layout: builder or debian-apt for native libraries",
            )


def _check_platforms(spec: ImageBuild, stage: Stage) -> None:
    published = {platform_key(p) for p in stage.platforms}
    for i, platform in enumerate(spec.platforms):
        if platform_key(platform) not in published:
            raise FieldError(
                ("platforms", i),
                f"{platform!r} is not published by {stage.ref.familiar()} (the {stage.role} "
                f"base); it publishes {', '.join(stage.platforms)}. Remove {platform} or pick "
                "a base that has it",
            )
