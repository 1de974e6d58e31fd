"""PIN004: a floating tag (`latest`, no tag, a major-only `3`, `3-slim`), even when pinned."""

from __future__ import annotations

from datetime import date

from imagepin.catalog import PythonBase, lifecycle_table, series_key
from imagepin.refs import ImageReference
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import external_stages, from_phrase, newest
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.images import PYTHON_PATH, floating, onbuild_series, python_base
from imagepin.rules.tags import fix_base, fresh_base, version_on


def _example(ref: ImageReference, on: date) -> str:
    """The tag to name instead: what the FROM pulls today, with its variant and release (a
    new choice for a library/python tag the catalog cannot place)."""
    base = python_base(ref)
    fixed = None
    if isinstance(base, PythonBase):
        fixed = fix_base(base, on)
    elif (onbuild := onbuild_series(ref)) is not None:
        return f"{onbuild}-onbuild"
    elif ref.path == PYTHON_PATH:
        fixed = fresh_base(newest(on))
    return "<release>" if fixed is None else fixed.tag


def _stopped(ref: ImageReference, on: date) -> str | None:
    """Why a major-only tag that no new series reaches any more is still a problem (`2-slim`
    is 2.7 for good, `3-bullseye` stopped at 3.13), or None when it still moves: a reason
    `floating` cannot give without the date."""
    base = python_base(ref)
    if not isinstance(base, PythonBase) or "." in base.version:
        return None
    table = lifecycle_table().series
    major = [s for s in table if series_key(s)[0] == int(base.version)]
    pulled = version_on(base, on)
    stands = f"tag {ref.tag!r} names only the major version, which stands for {pulled}"
    if on >= table[max(major, key=series_key)].end_of_life:
        return f"{stands}, the last Python {base.version} series"
    newer = [
        s for s in major if series_key(s) > series_key(pulled) and table[s].first_release <= on
    ]
    if base.distro is not None and newer:
        return f"{stands}, the last series library/python built on {base.distro}"
    return None


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    for stage, ref in external_stages(subject):
        why = floating(ref)
        if why is None:
            continue
        why = _stopped(ref, settings.today) or why
        example = f"{ref.familiar_name}:{_example(ref, settings.today)}"
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
