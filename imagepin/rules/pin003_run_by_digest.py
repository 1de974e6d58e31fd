"""PIN003: a container or service image not referenced by digest."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.images import parse
from imagepin.rules.resources import RUN_TYPES, Resource, run_images
from imagepin.rules.values import Unknown


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Resource):
        return []
    images = run_images(subject)
    found: list[Finding] = []
    if images.problem:
        found.append(RULE.note(f"{subject.label}: {images.problem}", resource=subject.name))
    verb = "pulls" if subject.type.endswith("RemoteImage") else "runs"
    for run in images.images:
        if isinstance(run.image, Unknown):
            found.append(
                RULE.note(
                    f"{subject.label}: {run.path} is unknown at preview (an output of another "
                    "resource), so it is checked once known",
                    resource=subject.name,
                )
            )
            continue
        ref = parse(run.image)
        if ref is None:
            if run.image is not None:
                found.append(
                    RULE.note(
                        f"{subject.label}: {run.path} {run.image!r} is not an image reference",
                        resource=subject.name,
                    )
                )
            continue
        if ref.digest is None:
            found.append(
                RULE.violation(
                    f"{subject.label} {verb} {run.image} ({run.path}) by tag, so each host runs "
                    "whatever the tag points to when it pulls; use a digest reference such as "
                    f"{ref.familiar()}@sha256:<digest> (PythonImage.ref is one)",
                    resource=subject.name,
                )
            )
    return found


RULE = Rule(
    id="PIN003",
    severity=Severity.ERROR,
    title="Workload image not referenced by digest",
    rationale=(
        "A container started from a tag runs whatever the tag points to when it is pulled, so "
        "two hosts can run different code under one version."
    ),
    fix="Pass a digest reference (`repo@sha256:...`, e.g. `PythonImage.ref`) as the image.",
    scope=("resource",),
    check=check,
    types=RUN_TYPES,
)
