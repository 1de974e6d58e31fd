"""SUP002: a suppression that names no imagepin rule (a typo hides nothing)."""

from __future__ import annotations

import difflib
from functools import lru_cache

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.resources import Resource
from imagepin.rules.suppressions import Suppression, from_mapping, unknown_ids


@lru_cache(maxsize=1)
def _known() -> tuple[str, ...]:
    """The rule IDs, read from the registry once (it imports this module, so not at import)."""
    from imagepin.rules import RULES

    return tuple(RULES)


def _what(s: Suppression, known: tuple[str, ...]) -> str | None:
    if not s.rules:
        return "names no rule"
    unknown = unknown_ids(s, known)
    if not unknown:
        return None
    hints = [m for u in unknown for m in difflib.get_close_matches(u, known, n=1, cutoff=0.6)]
    hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
    return f"names {', '.join(unknown)}, which is no imagepin rule{hint}"


def check(subject: object, settings: Settings) -> list[Finding]:
    known = _known()
    found: list[Finding] = []
    if isinstance(subject, Dockerfile):
        for s in subject.suppressions:
            if (what := _what(s, known)) is not None:
                found.append(
                    RULE.violation(
                        f"{s.written} (line {s.line}) {what}; use an ID from `imagepin rules`",
                        **subject.at(s.line),
                    )
                )
    elif isinstance(subject, Resource):
        for s in from_mapping(subject.suppress, subject.name):
            if (what := _what(s, known)) is not None:
                found.append(
                    RULE.violation(
                        f"the suppress mapping of {subject.label} {what}; use an ID from "
                        "`imagepin rules`",
                        resource=subject.name,
                    )
                )
    return found


RULE = Rule(
    id="SUP002",
    severity=Severity.WARNING,
    title="Suppression of an unknown rule",
    rationale=(
        "A suppression that names no rule (a typo such as DF04) hides nothing and tells "
        "reviewers something that is not true."
    ),
    fix="Name a rule from `imagepin rules`, e.g. `# imagepin: ignore DF004 -- reason`.",
    scope=("dockerfile", "resource"),
    check=check,
)
