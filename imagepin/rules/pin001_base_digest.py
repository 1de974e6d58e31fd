"""PIN001: a FROM (other than a build stage or scratch) without a digest."""

from __future__ import annotations

import re

from imagepin.lock import Lock
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import from_phrase, lock_entry, written
from imagepin.rules.dockerfile_model import Dockerfile


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    for stage in subject.stages:
        where = subject.at(stage.line)
        if stage.resolved is None:
            names = ", ".join(f"${name}" for name in stage.missing)
            found.append(
                RULE.note(
                    f"FROM {stage.image} in {stage.label} is not checked: {names} has no value "
                    "here (an ARG without a default); pass it as a build arg to check this FROM",
                    **where,
                )
            )
            continue
        if not stage.is_external:
            continue
        if stage.ref is None:
            found.append(
                RULE.note(f"{from_phrase(stage)} is not checked: {stage.ref_error}", **where)
            )
            continue
        if stage.ref.digest is not None:
            continue
        image = written(stage.ref, stage)
        locked = lock_entry(settings.lock, stage.ref)
        if locked is not None:
            fix = f"pin it from images.lock: FROM {image}@{locked[1].digest}"
        else:
            tag_ref = image if stage.ref.tag else f"{image}:latest"
            fix = (
                f"record it with `imagepin lock add {tag_ref}` and write "
                f"FROM {tag_ref}@sha256:<digest from images.lock>"
            )
        found.append(
            RULE.violation(
                f"{from_phrase(stage)} has no digest, so the base can change under the same "
                f"tag without a change in review; {fix}",
                **where,
            )
        )
    return found


def remediate(text: str, lock: Lock) -> str:
    """`text` with every unpinned FROM that images.lock knows pinned to the locked digest.

    Only FROMs written without variables are rewritten; the rest is left as it is (PIN001 keeps
    reporting them).
    """
    df = Dockerfile.parse(text)
    lines = text.splitlines(keepends=True)
    for stage in df.stages:
        if not stage.is_external or stage.ref is None or stage.ref.digest is not None:
            continue
        locked = lock_entry(lock, stage.ref)
        if locked is None or stage.image != stage.resolved:
            continue
        pattern = re.compile(
            r"(?i)^(\s*FROM\s+(?:--\S+\s+)*)" + re.escape(stage.image) + r"(?=\s|$)"
        )
        index = stage.line - 1
        m = pattern.match(lines[index]) if 0 <= index < len(lines) else None
        if m is not None:
            line = lines[index]
            lines[index] = f"{m[1]}{stage.image}@{locked[1].digest}{line[m.end() :]}"
    return "".join(lines)


RULE = Rule(
    id="PIN001",
    severity=Severity.ERROR,
    title="Base image without a digest",
    rationale=(
        "A tag can be moved to other content at any time, so an unpinned FROM builds something "
        "new without any change in review."
    ),
    fix=(
        "Record the tag with `imagepin lock add IMAGE:TAG` and pin it: "
        "`FROM IMAGE:TAG@sha256:<digest from images.lock>` (the policy pack can remediate)."
    ),
    scope=("dockerfile",),
    check=check,
    config=("lock",),
)
