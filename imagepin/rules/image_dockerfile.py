"""The Dockerfile of a `docker-build:index:Image`: inline, or `dockerfile.location` (default:
`Dockerfile` in `context.location`, default `.`) read under a base folder; parsed with the image's
build args, platforms and target. What cannot be read becomes a note for every Dockerfile rule."""

from __future__ import annotations

from pathlib import Path

from imagepin.rules.base import Note
from imagepin.rules.dockerfile_model import Dockerfile, DockerfileError
from imagepin.rules.resources import Resource, build_of
from imagepin.rules.values import Unknown, reveal

ALL_DOCKERFILE_RULES = "*"
"""The `rule` of a note that skips every Dockerfile rule (the Dockerfile could not be read)."""


def _text(resource: Resource, base_dir: Path | None) -> tuple[str | None, str | None, str | None]:
    """(Dockerfile text, file name or None for inline, why it was skipped)."""
    build = build_of(resource)
    if build is None:
        return None, None, None
    if isinstance(build.inline, str):
        return build.inline, None, None
    if isinstance(build.inline, Unknown) or isinstance(build.location, Unknown):
        return None, None, "its Dockerfile is unknown at preview"
    location = build.location
    if location is None:  # docker-build's default: Dockerfile in the context (default ".")
        context = build.context if isinstance(build.context, str) else "."
        if isinstance(build.context, Unknown):
            return None, None, "its build context is unknown at preview"
        if "://" in context:
            return None, None, f"its Dockerfile is in a remote context ({context}) and not read"
        location = str(Path(context) / "Dockerfile")
    if "://" in location:
        return None, None, f"its Dockerfile is remote ({location}) and not read"
    path = Path(location)
    if not path.is_absolute():
        if base_dir is None:
            return None, None, f"its Dockerfile {location} is not read here"
        path = base_dir / path
    try:
        return path.read_text(encoding="utf-8"), location, None
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, f"its Dockerfile {location} cannot be read ({exc})"


def dockerfile_of(resource: Resource, base_dir: Path | None) -> Dockerfile | Note:
    """The Dockerfile a `docker-build:index:Image` builds (parsed with its build args, platforms
    and target), or a note saying why it cannot be read; computed once per resource."""
    key = ("dockerfile", base_dir)
    if key not in resource.memo:
        resource.memo[key] = _dockerfile_of(resource, base_dir)
    found: Dockerfile | Note = resource.memo[key]
    return found


def _dockerfile_of(resource: Resource, base_dir: Path | None) -> Dockerfile | Note:
    text, file, skipped = _text(resource, base_dir)
    if text is None:
        why = skipped or "it has no Dockerfile"
        return Note(ALL_DOCKERFILE_RULES, f"{resource.label}: {why}", resource=resource.name)
    build = build_of(resource)
    assert build is not None
    args = {}
    if isinstance(build.build_args, dict):
        args = {k: v for k, raw in build.build_args.items() if isinstance(v := reveal(raw), str)}
    platforms = None
    if isinstance(build.platforms, list):
        plats = [reveal(p) for p in build.platforms]
        platforms = (
            [p for p in plats if isinstance(p, str)]
            if all(isinstance(p, str) for p in plats)
            else None
        )
    target = build.target if isinstance(build.target, str) else None
    try:
        return Dockerfile.parse(
            text,
            file=file,
            resource=resource.name,
            build_args=args,
            platforms=platforms,
            target=target,
        )
    except DockerfileError as exc:
        return Note(ALL_DOCKERFILE_RULES, str(exc), file=file, resource=resource.name)
