"""SUP001: a suppression without a reason (it then suppresses nothing)."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.resources import Resource
from imagepin.rules.suppressions import from_mapping


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
        return [
            RULE.violation(
                f"{subject.label} suppresses {s.rules[0]} without a reason, so it suppresses "
                f'nothing; write suppress={{"{s.rules[0]}": "<why this is acceptable>"}}',
                resource=subject.name,
            )
            for s in from_mapping(subject.suppress, subject.name)
            if not s.active
        ]
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
