"""Suppressions: `# imagepin: ignore DF004 -- reason` in a Dockerfile, `suppress=` on a resource.

A Dockerfile comment applies to the next instruction (or, written inside a multi-line
instruction, to that one); several IDs may be listed (`ignore DF001, DF005 -- reason`). A
resource's `suppress` mapping (`{"DF004": "reason"}`, the `suppress` prop our components pass
up) applies to the resource, to its inline Dockerfile and to every resource under it.

A suppression needs a reason after `--`: without one it suppresses nothing and is reported as
SUP001; an ID that names no rule is reported as SUP002 (a typo would otherwise hide nothing).
At preview a reason may be unknown (the suppression applies), or the whole `suppress` may be:
`check_resources` then notes, rather than reports, what it might cover.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from imagepin.rules.values import UNKNOWN, reveal

_COMMENT = re.compile(r"\s*#\s*imagepin\s*:\s*ignore\b\s*=?(?P<rest>.*)", re.IGNORECASE)
RULE_ID = re.compile(r"[A-Z]{2,5}[0-9]{3}")


@dataclass(frozen=True, slots=True)
class Suppression:
    """`rules` suppressed for a reason; `first_line`..`last_line` is the instruction covered.

    For a resource's `suppress` mapping, `line` and the range are None and `resource` is set.
    """

    rules: tuple[str, ...]
    reason: str
    written: str
    """The suppression as written, quoted in messages."""
    line: int | None = None
    first_line: int | None = None
    last_line: int | None = None
    resource: str | None = None
    reason_unknown: bool = False
    """The reason is a value only known after deployment: the suppression applies at preview
    (a false positive would block it), and SUP001 checks the reason once it is known."""

    @property
    def active(self) -> bool:
        return bool(self.reason) or self.reason_unknown

    def covers_line(self, rule: str, line: int | None) -> bool:
        if not self.active or rule not in self.rules or line is None:
            return False
        if self.first_line is None or self.last_line is None:
            return False
        return self.first_line <= line <= self.last_line


def parse_comment(text: str) -> tuple[tuple[str, ...], str] | None:
    """(IDs as written, upper-cased; reason) of a suppression comment, or None if it is none."""
    m = _COMMENT.fullmatch(text)
    if m is None:
        return None
    ids_part, _, reason = m["rest"].partition("--")
    ids = tuple(token.upper() for token in re.split(r"[\s,]+", ids_part.strip()) if token)
    return ids, reason.strip()


def from_comments(lines: list[str], spans: list[tuple[int, int]]) -> list[Suppression]:
    """Suppression comments of a Dockerfile, each bound to the instruction it applies to.

    `lines` is the text split in lines; `spans` the (start, end) lines of each instruction,
    1-based and in order.
    """
    found: list[Suppression] = []
    for number, text in enumerate(lines, start=1):
        if "imagepin" not in text and "IMAGEPIN" not in text.upper():
            continue
        parsed = parse_comment(text)
        if parsed is None:
            continue
        ids, reason = parsed
        span = next((s for s in spans if s[0] <= number <= s[1]), None)
        span = span or next((s for s in spans if s[0] > number), None)
        found.append(
            Suppression(
                rules=ids,
                reason=reason,
                written=text.strip(),
                line=number,
                first_line=span[0] if span else None,
                last_line=span[1] if span else None,
            )
        )
    return found


def from_mapping(mapping: Any, resource: str) -> list[Suppression]:
    """A resource's `suppress` mapping (`{"DF004": "reason"}`) as suppressions."""
    mapping = reveal(mapping)
    if not isinstance(mapping, Mapping):
        return []
    found = []
    for rule, reason in mapping.items():
        text = reveal(reason)
        unknown = text is UNKNOWN
        shown = "<unknown at preview>" if unknown else repr(text)
        found.append(
            Suppression(
                rules=(str(rule).strip().upper(),),
                reason=text.strip() if isinstance(text, str) else "",
                written=f"suppress={{{str(rule)!r}: {shown}}}",
                resource=resource,
                reason_unknown=unknown,
            )
        )
    return found


def unknown_ids(suppression: Suppression, known: Iterable[str]) -> list[str]:
    """The IDs a suppression names that are no rule's (or no ID at all)."""
    known_ids = set(known)
    return [i for i in suppression.rules if i not in known_ids]
