"""OPS001: a pushed image without `retain_on_delete`."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.resources import PUSH_TYPES, REGISTRY_IMAGE, Resource, pushed_refs, pushes
from imagepin.rules.values import Unknown, reveal


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Resource) or subject.is_component:
        return []
    pushed = pushes(subject)
    if pushed is False:
        return []
    if subject.type == REGISTRY_IMAGE and reveal(subject.get("keepRemotely")) is True:
        return []
    retain = reveal(subject.options.get("retainOnDelete"))
    if retain is True:
        return []
    if isinstance(retain, Unknown) or isinstance(pushed, Unknown):
        why = "push" if isinstance(pushed, Unknown) else "the retainOnDelete option"
        return [
            RULE.note(
                f"{subject.label}: {why} is not known here, so OPS001 is not checked "
                "(`imagepin check --stack` sees resource options)",
                resource=subject.name,
            )
        ]
    refs = [str(ref) for _, ref in pushed_refs(subject) if isinstance(ref, str)]
    target = f" {', '.join(refs)}" if refs else " an image"
    fix = "set opts=ResourceOptions(retain_on_delete=True)"
    if subject.type == REGISTRY_IMAGE:
        fix = "set keep_remotely=True (or retain_on_delete=True)"
    return [
        RULE.violation(
            f"{subject.label} pushes{target} but is not retained on delete, so replacing or "
            f"destroying it deletes the published image; {fix}",
            resource=subject.name,
        )
    ]


RULE = Rule(
    id="OPS001",
    severity=Severity.ERROR,
    title="Pushed image not retained on delete",
    rationale=(
        "Without retain_on_delete, replacing or destroying the resource deletes the published "
        "image from the registry while something may still run it."
    ),
    fix=(
        "Set `retain_on_delete=True` on the resource (PythonImage does), or `keep_remotely=True` "
        "on a RegistryImage."
    ),
    scope=("resource",),
    check=check,
    types=PUSH_TYPES,
)
