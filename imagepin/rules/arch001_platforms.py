"""ARCH001: a pushed image missing a platform the stack requires."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.images import platform_key
from imagepin.rules.resources import BUILD_IMAGE, PYTHON_IMAGE, Resource, build_of
from imagepin.rules.values import Unknown, reveal


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Resource) or not settings.required_platforms:
        return []
    if subject.type == PYTHON_IMAGE:
        # the component's index is what it pushes: with a registry cache it builds one image per
        # platform and joins them, so its platforms are checked here, not on each build
        platforms = subject.get("platforms")
        if platforms is None:
            note = f"{subject.label} does not state its platforms (made by an older imagepin)"
            return [RULE.note(note, resource=subject.name)]
        return _check_platforms(subject, platforms, settings)
    if subject.parent_type == PYTHON_IMAGE:
        return []
    build = build_of(subject)
    if build is None or build.pushes is False:
        return []
    if isinstance(build.pushes, Unknown):
        return [RULE.note(f"{subject.label}: push is unknown at preview", resource=subject.name)]
    return _check_platforms(subject, build.platforms, settings)


def _check_platforms(subject: Resource, platforms: object, settings: Settings) -> list[Finding]:
    required = ", ".join(settings.required_platforms)
    if isinstance(platforms, Unknown):
        return [
            RULE.note(f"{subject.label}: platforms is unknown at preview", resource=subject.name)
        ]
    if not isinstance(platforms, (list, tuple)):
        return [
            RULE.violation(
                f"{subject.label} pushes an image without platforms, so it is built for the "
                f"build host only; the stack requires {required}: set platforms=[...] to them",
                resource=subject.name,
            )
        ]
    built = [reveal(p) for p in platforms]
    if any(isinstance(p, Unknown) for p in built):
        return [
            RULE.note(f"{subject.label}: a platform is unknown at preview", resource=subject.name)
        ]
    have = {platform_key(str(p)) for p in built}
    missing = [p for p in settings.required_platforms if platform_key(p) not in have]
    if not missing:
        return []
    return [
        RULE.violation(
            f"{subject.label} pushes an image for {', '.join(str(p) for p in built)}, but the "
            f"stack requires {required}: missing {', '.join(missing)}; add "
            f"{'it' if len(missing) == 1 else 'them'} to platforms",
            resource=subject.name,
        )
    ]


RULE = Rule(
    id="ARCH001",
    severity=Severity.ERROR,
    title="Pushed image missing a required platform",
    rationale=(
        "A pushed index without a platform the stack runs on fails to start there, or runs "
        "emulated and slow."
    ),
    fix=(
        "Add the missing platforms to the image's `platforms` (the base image must publish "
        "them too)."
    ),
    scope=("resource",),
    check=check,
    types=frozenset({BUILD_IMAGE, PYTHON_IMAGE}),
    config=("required_platforms",),
)
