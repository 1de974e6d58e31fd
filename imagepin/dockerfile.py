"""`ImageSpec` + `images.lock` -> Dockerfile text, deterministically and without touching Docker.

    text = render(spec, Lock.load("images.lock"))
    ignore = render_dockerignore(spec)

Every `FROM` is `<mirror>/<path>:<tag>@sha256:...` with the digest from the lock (the lock keeps
canonical docker.io references; the mirror host replaces the domain, the content is the same).
A base missing from the lock raises `NotLocked` with the `imagepin lock add ...` command to run;
a target platform the locked base does not publish raises `NotLocked` naming those it does.

The same spec and lock always give byte-identical text: no timestamps, no paths, no ordering
that depends on anything but the spec. There is no `# syntax=` line (it would pull a frontend
image from Docker Hub); BuildKit's built-in frontend handles `RUN --mount=type=secret`.

Layouts (see `imagepin.dockerfile_spec.ImageSpec`): slim, builder -> runtime, debian-apt and
ubuntu-rock. All of them run as a fixed non-root uid, copy requirements before the source, pip
install with `--no-cache-dir`, mount pip credentials as BuildKit secrets only, and end in an
exec-form `CMD`.
"""

from __future__ import annotations

from imagepin.dockerfile_layouts import DOCKERIGNORE, layout_lines
from imagepin.dockerfile_options import Healthcheck, PipSettings
from imagepin.dockerfile_spec import DEFAULT_MIRROR, LAYOUTS, ImageSpec, Layout, Stage, platform_key
from imagepin.lock import Lock, NotLocked
from imagepin.refs import DEFAULT_DOMAIN, ImageReference

__all__ = [
    "LAYOUTS",
    "Healthcheck",
    "ImageSpec",
    "Layout",
    "NotLocked",
    "PipSettings",
    "Stage",
    "base_labels",
    "pinned_bases",
    "render",
    "render_dockerignore",
    "required_bases",
]


def required_bases(spec: ImageSpec) -> list[ImageReference]:
    """Every base the image needs, builder first, as the lock records them (docker.io, tag)."""
    refs: list[ImageReference] = []
    for stage in spec.stages:
        if stage.ref not in refs:
            refs.append(stage.ref)
    return refs


def _lock_add_command(ref: ImageReference, spec: ImageSpec, lock: Lock) -> str:
    command = f"imagepin lock add {ref.familiar()}"
    if spec.mirror != DEFAULT_MIRROR and ref.domain == DEFAULT_DOMAIN:
        command += f" --mirror {spec.mirror}"
    if lock.path.as_posix() != "images.lock":
        command += f" --lock {lock.path}"
    return command


def _digest(stage: Stage, spec: ImageSpec, lock: Lock) -> str:
    """The locked index digest of `stage`'s base, after checking every target platform."""
    if stage.ref not in lock:
        raise NotLocked(
            f"{stage.ref.familiar()} (the {stage.role} base of this {spec.layout} image) is not "
            f"in {lock.path}; run `{_lock_add_command(stage.ref, spec, lock)}` "
            "(or `imagepin lock add --from-stacks`)"
        )
    entry = lock.entry(stage.ref)
    if entry.platforms:
        published = {platform_key(p) for p in entry.platforms}
        for platform in spec.platforms:
            if platform_key(platform) not in published:
                raise NotLocked(
                    f"{stage.ref.familiar()} in {lock.path} has no {platform} image (the "
                    f"{stage.role} base); it publishes {', '.join(entry.platforms)}. Remove "
                    f"{platform} from platforms, or run `imagepin lock refresh "
                    f"{lock.key(stage.ref)}` if upstream has added it"
                )
    return entry.digest


def _from_reference(stage: Stage, spec: ImageSpec, lock: Lock) -> str:
    """`<mirror>/library/python:3.12-slim-bookworm@sha256:...` (mirror only for docker.io)."""
    ref = stage.ref
    domain = spec.mirror if ref.domain == DEFAULT_DOMAIN else ref.domain
    return f"{domain}/{ref.path}:{ref.tag}@{_digest(stage, spec, lock)}"


def pinned_bases(spec: ImageSpec, lock: Lock) -> dict[str, str]:
    """Role (`builder`, `runtime`) -> the pinned reference its `FROM` line pulls."""
    return {stage.role: _from_reference(stage, spec, lock) for stage in spec.stages}


def base_labels(spec: ImageSpec, lock: Lock) -> dict[str, str]:
    """OCI annotations for the runtime base: canonical name and the locked index digest."""
    stage = spec.runtime
    return {
        "org.opencontainers.image.base.digest": _digest(stage, spec, lock),
        "org.opencontainers.image.base.name": str(stage.ref),
    }


def render(spec: ImageSpec, lock: Lock) -> str:
    """The Dockerfile for `spec`, every base pinned from `lock`."""
    froms = pinned_bases(spec, lock)
    lines = layout_lines(spec, froms)
    return "\n".join(lines) + "\n"


def render_dockerignore(spec: ImageSpec) -> str:
    """The `.dockerignore` for the app directory: the defaults, then `spec.ignore`."""
    lines = [*DOCKERIGNORE, *spec.ignore]
    return "\n".join(lines) + "\n"
