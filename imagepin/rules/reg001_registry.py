"""REG001: an image pulled from or pushed to a registry outside the stack's allow-list."""

from __future__ import annotations

from imagepin.refs import ImageReference
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import external_stages, from_phrase, mounts
from imagepin.rules.dockerfile_model import Dockerfile, expand
from imagepin.rules.images import parse, registry_allowed
from imagepin.rules.resources import PUSH_TYPES, RUN_TYPES, Resource, pushed_refs, run_images
from imagepin.rules.values import Unknown


def _message(what: str, ref: ImageReference, settings: Settings) -> str:
    allowed = ", ".join(settings.allowed_registries)
    allow = settings.allow_registry_fix.replace("{registry}", ref.domain)
    return (
        f"{what} {ref.domain}, which is not an allowed registry ({allowed}); use an allowed "
        f"registry or mirror, or {allow}"
    )


def _dockerfile(df: Dockerfile, settings: Settings) -> list[Finding]:
    found: list[Finding] = [
        RULE.violation(
            _message(f"{from_phrase(stage)} pulls from", ref, settings), **df.at(stage.line)
        )
        for stage, ref in external_stages(df)
        if not registry_allowed(ref, settings.allowed_registries)
    ]
    for line, written, ref in _copied_from_images(df):
        if not registry_allowed(ref, settings.allowed_registries):
            found.append(
                RULE.violation(_message(f"{written} pulls from", ref, settings), **df.at(line))
            )
    return found


def _copied_from_images(df: Dockerfile) -> list[tuple[int, str, ImageReference]]:
    """(line, as written, reference) of each image a `COPY --from=` or a `RUN --mount=...,from=`
    pulls (not a stage)."""
    stages = {s.name for s in df.stages if s.name} | {str(s.index) for s in df.stages}
    found = []
    for instruction in df.instructions:
        if instruction.cmd not in ("COPY", "RUN") or not instruction.flags:
            continue
        sources = [(f"COPY --from={f}", f) for f in instruction.flag_values("from")]
        for mount in mounts(instruction) if instruction.cmd == "RUN" else []:
            source = mount.get("from")
            sources += [(f"RUN --mount=...,from={source}", source)] if source else []
        for shown, written in sources:
            value, missing = expand(written, instruction.scope)
            ref = None if missing or value.lower() in stages else parse(value)
            if ref is not None:
                found.append((instruction.start_line, shown, ref))
    return found


def _resource(resource: Resource, settings: Settings) -> list[Finding]:
    found: list[Finding] = []
    images = [("pushes", "to", path, ref) for path, ref in pushed_refs(resource)]
    verb = "pulls" if resource.type.endswith("RemoteImage") else "runs"
    images += [(verb, "from", run.path, run.image) for run in run_images(resource).images]
    for verb, preposition, path, value in images:
        if isinstance(value, Unknown):
            found.append(
                RULE.note(
                    f"{resource.label}: an image reference is unknown at preview",
                    resource=resource.name,
                )
            )
            continue
        ref = parse(value)
        if ref is not None and not registry_allowed(ref, settings.allowed_registries):
            found.append(
                RULE.violation(
                    _message(
                        f"{resource.label} {verb} {value} ({path}) {preposition}", ref, settings
                    ),
                    resource=resource.name,
                )
            )
    return found


def check(subject: object, settings: Settings) -> list[Finding]:
    if not settings.allowed_registries:
        return []
    if isinstance(subject, Dockerfile):
        return _dockerfile(subject, settings)
    if isinstance(subject, Resource):
        return _resource(subject, settings)
    return []


RULE = Rule(
    id="REG001",
    severity=Severity.ERROR,
    title="Registry outside the allow-list",
    rationale=(
        "Images pulled from or pushed to an unvetted registry bypass the mirrors, scanning and "
        "retention the stack relies on."
    ),
    fix=(
        "Pull through an allowed mirror and push to an allowed registry, or add the registry "
        "to the stack's allowed registries (`allowedRegistries` in its REG001 policy config, "
        "`--allow-registry` for `imagepin check`)."
    ),
    scope=("dockerfile", "resource"),
    check=check,
    types=RUN_TYPES | PUSH_TYPES,
    config=("allowed_registries",),
)
