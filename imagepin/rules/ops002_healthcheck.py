"""OPS002: a container service without a health check."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.resources import CONTAINER, ECS_TASK, RUN_TYPES, Resource, run_images
from imagepin.rules.values import Unknown

_HOW = {
    CONTAINER: 'add healthcheck=ContainerHealthcheckArgs(tests=["CMD", ...], interval="10s")',
    ECS_TASK: 'add "healthCheck": {"command": ["CMD-SHELL", "..."]} to the container definition',
}
_DEFAULT_HOW = "add taskSpec.containerSpec.healthcheck with tests"


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Resource):
        return []
    images = run_images(subject)
    found: list[Finding] = []
    if images.problem:
        found.append(RULE.note(f"{subject.label}: {images.problem}", resource=subject.name))
    for run in images.images:
        if run.healthcheck is None or run.healthcheck is True:
            continue
        if isinstance(run.healthcheck, Unknown):
            found.append(
                RULE.note(
                    f"{subject.label}: its health check is unknown at preview",
                    resource=subject.name,
                )
            )
            continue
        container = run.path.removesuffix(".image")
        where = "" if container == "image" else f" for {container}"
        found.append(
            RULE.violation(
                f"{subject.label} declares no health check{where}, so traffic keeps going to a "
                f"container that is up but broken; {_HOW.get(subject.type, _DEFAULT_HOW)}",
                resource=subject.name,
            )
        )
    return found


RULE = Rule(
    id="OPS002",
    severity=Severity.WARNING,
    title="Container service without a health check",
    rationale=(
        "Without a health check the orchestrator keeps, and routes traffic to, containers that "
        "are up but not working."
    ),
    fix=(
        "Declare a health check on the service (`healthcheck` on a docker Container, "
        "`healthCheck` in the ECS container definition)."
    ),
    scope=("resource",),
    check=check,
    types=RUN_TYPES,
)
