"""PIN004: a floating tag (`latest`, no tag, a major-only `3`, `3-slim`), even when pinned."""

from __future__ import annotations

from imagepin.catalog import PythonBase
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import distro_tag, external_stages, from_phrase, newest
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.images import floating, life, python_base


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    for stage, ref in external_stages(subject):
        why = floating(ref)
        if why is None:
            continue
        base = python_base(ref)
        if isinstance(base, PythonBase):
            example = f"{ref.familiar_name}:{distro_tag(base, life(base).series)}"
        elif ref.path == "library/python":
            example = f"{ref.familiar_name}:{newest(settings.today)}-slim-bookworm"
        else:
            example = f"{ref.familiar_name}:<release>"
        fix = f"name the release, e.g. {example}@sha256:<digest>"
        if ref.tag is None and ref.digest:  # pulled by digest: nothing floats, nothing is named
            message = (
                f"{from_phrase(stage)} names no release, only a digest (Docker pulls that "
                f"digest, not latest), so reviewers cannot tell what is pinned; {fix}"
            )
        else:
            pinned = " the digest stays, but" if ref.digest else ""
            message = (
                f"{from_phrase(stage)} uses a floating tag: {why};{pinned} reviewers cannot "
                f"tell what is pinned; {fix}"
            )
        found.append(RULE.violation(message, **subject.at(stage.line)))
    return found


RULE = Rule(
    id="PIN004",
    severity=Severity.WARNING,
    title="Floating base tag",
    rationale=(
        "A tag such as latest, 3 or 3-slim says nothing about what a digest stands for, so "
        "reviewers cannot tell which Python or distro is pinned."
    ),
    fix=(
        "Name the exact series, variant and distro in the tag and keep the digest: "
        "`FROM python:3.12-slim-bookworm@sha256:...`."
    ),
    scope=("dockerfile",),
    check=check,
)
