"""PIN002: a pinned digest that differs from images.lock for that tag (drift)."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import external_stages, from_phrase, lock_entry, written
from imagepin.rules.dockerfile_model import Dockerfile


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile) or settings.lock is None:
        return []
    found: list[Finding] = []
    for stage, ref in external_stages(subject):
        if ref.digest is None:
            continue
        locked = lock_entry(settings.lock, ref)
        if locked is None:
            continue
        key, entry = locked
        if ref.digest == entry.digest or ref.digest in entry.platforms.values():
            continue
        image = written(ref, stage)
        found.append(
            RULE.violation(
                f"{from_phrase(stage)} is pinned to {ref.digest}, but {settings.lock.path} "
                f"records {entry.digest} for {key}; write FROM {image}@{entry.digest}, or run "
                f"`imagepin lock refresh {key}` and review what moved",
                **subject.at(stage.line),
            )
        )
    return found


RULE = Rule(
    id="PIN002",
    severity=Severity.ERROR,
    title="Pinned digest differs from images.lock",
    rationale=(
        "The lock file is the reviewed record of what each tag resolved to, so a FROM pinned to "
        "another digest builds something nobody reviewed."
    ),
    fix=(
        "Use the digest images.lock records for the tag, or refresh the lock "
        "(`imagepin lock refresh TAG`) and review the change."
    ),
    scope=("dockerfile",),
    check=check,
    config=("lock",),
)
