"""ARCH001: a pushed image missing a platform the stack requires."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.images import platform_key
from imagepin.rules.resources import BUILD_IMAGE, Resource, build_of
from imagepin.rules.values import Unknown, reveal


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Resource) or not settings.required_platforms:
        return []
    build = build_of(subject)
    if build is None or build.pushes is False:
        return []
    required = ", ".join(settings.required_platforms)
    if isinstance(build.pushes, Unknown) or isinstance(build.platforms, Unknown):
        what = "push" if isinstance(build.pushes, Unknown) else "platforms"
        return [RULE.note(f"{subject.label}: {what} is unknown at preview", resource=subject.name)]
    if build.platforms is None:
        return [
            RULE.violation(
                f"{subject.label} pushes an image without platforms, so it is built for the "
                f"build host only; the stack requires {required}: set platforms=[...] to them",
                resource=subject.name,
            )
        ]
    built = [reveal(p) for p in build.platforms]
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
    types=frozenset({BUILD_IMAGE}),
    config=("required_platforms",),
)
