"""SUP001: a suppression without a reason (it then suppresses nothing)."""

from __future__ import annotations

from collections.abc import Mapping

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.resources import Resource
from imagepin.rules.suppressions import from_mapping
from imagepin.rules.values import UNKNOWN, reveal

_KINDS = {list: "list", str: "string", bool: "boolean", int: "number", float: "number"}


def _resource(subject: Resource) -> list[Finding]:
    mapping = reveal(subject.suppress)
    if mapping is None:
        return []
    if mapping is UNKNOWN:
        return [
            RULE.note(
                f"{subject.label}: suppress is unknown at preview, so its reasons are checked "
                "once known",
                resource=subject.name,
            )
        ]
    if not isinstance(mapping, Mapping):
        return [
            RULE.violation(
                f"{subject.label} has a suppress that is a {_KINDS.get(type(mapping), 'value')}, "
                "not a mapping of rule IDs to reasons, so it suppresses nothing; write "
                'suppress={"DF004": "<why this is acceptable>"}',
                resource=subject.name,
            )
        ]
    found: list[Finding] = []
    for s in from_mapping(mapping, subject.name):
        if s.reason_unknown:
            found.append(
                RULE.note(
                    f"{subject.label}: the reason for suppressing {s.rules[0]} is unknown at "
                    "preview; the suppression applies, and the reason is checked once known",
                    resource=subject.name,
                )
            )
        elif not s.active:
            found.append(
                RULE.violation(
                    f"{subject.label} suppresses {s.rules[0]} without a reason, so it suppresses "
                    f'nothing; write suppress={{"{s.rules[0]}": "<why this is acceptable>"}}',
                    resource=subject.name,
                )
            )
    return found


def check(subject: object, settings: Settings) -> list[Finding]:
    if isinstance(subject, Dockerfile):
        return [
            RULE.violation(
                f"{s.written} (line {s.line}) gives no reason, so it suppresses nothing; write "
                f"# imagepin: ignore {', '.join(s.rules) or 'RULE'} -- <why this is acceptable>",
                **subject.at(s.line),
            )
            for s in subject.suppressions
            if not s.active
        ]
    if isinstance(subject, Resource):
        return _resource(subject)
    return []


RULE = Rule(
    id="SUP001",
    severity=Severity.ERROR,
    title="Suppression without a reason",
    rationale=(
        "A suppression with no reason hides a finding without telling reviewers why it is "
        "acceptable."
    ),
    fix=(
        "Add the reason after `--`: `# imagepin: ignore DF004 -- binds port 80 in the legacy "
        'box`, or as the value in `suppress={"DF004": "..."}`.'
    ),
    scope=("dockerfile", "resource"),
    check=check,
)
