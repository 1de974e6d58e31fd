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
            if (
                "@" not in stage.image
                and not _ENDS_WITH_VARIABLE.search(stage.image)
                and not _may_name_a_stage(stage.image, subject)
            ):
                found.append(  # whatever the variable holds, nothing after it can be a digest
                    RULE.violation(
                        f"FROM {stage.image} in {stage.label} has no digest whatever {names} "
                        "holds, so the base can change under the same tag without a change in "
                        f"review; write FROM {stage.image}@sha256:<digest from images.lock>",
                        **where,
                    )
                )
                continue
            found.append(
                RULE.note(
                    f"FROM {stage.image} in {stage.label} is not checked: {names} has no value "
                    "here (an ARG without a default, or a build arg unknown at preview)",
                    **where,
                )
            )
            continue
        if not stage.is_external:
            continue
        if stage.ref is None:  # docker build rejects it: not a base anyone can pin
            found.append(
                RULE.violation(
                    f"{from_phrase(stage)} is not a valid image reference, so `docker build` "
                    f"rejects it: {stage.ref_error}",
                    **where,
                )
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

    Only FROMs written without variables are rewritten, and none that a `# imagepin: ignore
    PIN001 -- reason` comment covers; the rest is left as it is (PIN001 keeps reporting the
    unsuppressed ones).
    """
    df = Dockerfile.parse(text)
    lines = text.splitlines(keepends=True)
    spans = {i.start_line: i.end_line for i in df.instructions if i.cmd == "FROM"}
    for stage in df.stages:
        if not stage.is_external or stage.ref is None or stage.ref.digest is not None:
            continue
        locked = lock_entry(lock, stage.ref)
        if locked is None or stage.image != stage.resolved:
            continue
        if any(s.covers_line(RULE.id, stage.line) for s in df.suppressions):
            continue
        first, last = stage.line - 1, spans.get(stage.line, stage.line)
        block = "".join(lines[first:last])  # the FROM with its continuation lines
        after_from = re.match(r"(?is)\s*FROM\b", block)
        image = re.compile(r"(?<![^\s\\`])" + re.escape(stage.image) + r"(?=\s|$)")
        m = image.search(block, after_from.end()) if after_from else None
        if m is not None:
            block = f"{block[: m.end()]}@{locked[1].digest}{block[m.end() :]}"
            lines[first:last] = block.splitlines(keepends=True)  # same lines: later FROMs stay put
    return "".join(lines)


def _may_name_a_stage(image: str, df: Dockerfile) -> bool:
    """Whether `image`, whatever its variables hold, could name an earlier stage
    (`FROM ${ENV}-runtime` after `AS dev-runtime`)."""
    parts = re.split(_VARIABLE, image.lower())
    template = re.compile(".*".join(re.escape(p) for p in parts))
    return any(s.name and template.fullmatch(s.name) for s in df.stages)


_VARIABLE = r"\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)"
"""`$NAME` or `${...}` in a FROM."""
_ENDS_WITH_VARIABLE = re.compile(_VARIABLE + "$")
"""A FROM whose image ends in a variable: the variable may hold the digest (`${BASE}`)."""


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
