"""PY001: a Python series past its end of life (every 2.x, 3.10 from 2026-11)."""

from __future__ import annotations

import re
from datetime import date

from imagepin.catalog import PythonBase, UbuntuRock, lifecycle_table, series_key
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import external_stages, from_phrase, newest, supported_tag
from imagepin.rules.dockerfile_model import Dockerfile, Stage
from imagepin.rules.images import PYTHON_PATH, life, python_base

_SERIES = re.compile(r"(\d+)(?:\.(\d+))?(?!\d)")


def _unknown_series(tag: str | None) -> str | None:
    """The series a library/python tag names when it is newer than the catalog (`3.16`, `4`)."""
    m = _SERIES.match(tag or "")
    if m is None:
        return None
    series = f"{m[1]}.{m[2]}" if m[2] is not None else m[1]
    newest_known = max(series_key(s) for s in lifecycle_table().series)
    return series if series_key(series) > newest_known[: len(series_key(series))] else None


def _placeless_series(tag: str | None) -> str | None:
    """The series of a library/python tag the catalog knows the series of but has no image for
    (`3.3`, `3.1-slim`: tags of Debian releases older than the catalog's)."""
    m = _SERIES.match(tag or "")
    if m is None or m[2] is None:
        return None
    series = f"{m[1]}.{m[2]}"
    return series if series in lifecycle_table().series else None


def _ended(stage: Stage, series: str, end: date, pep: int | None, move: str, to: str) -> str:
    return (
        f"{from_phrase(stage)} runs Python {series}, past its end of life on {end.isoformat()} "
        f"(PEP {pep}): no more security fixes; move to {move} (`imagepin base {to}`) and re-lock"
    )


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    on = settings.today
    series = newest(on)
    for stage, ref in external_stages(subject):
        base = python_base(ref)
        where = subject.at(stage.line)
        if isinstance(base, PythonBase):
            facts = life(base)
            if facts.prerelease or on < facts.end_of_life:
                continue
            move = f"{ref.familiar_name}:{supported_tag(base, on)}"
            found.append(
                RULE.violation(
                    _ended(stage, facts.series, facts.end_of_life, facts.pep, move, series), **where
                )
            )
        elif isinstance(base, UbuntuRock):
            if on < life(base).end_of_life:
                continue
            found.append(
                RULE.violation(
                    f"{from_phrase(stage)} runs Python {base.python} from Ubuntu {base.ubuntu}, "
                    f"out of support since {base.end_of_life.isoformat()}; move to a supported "
                    "rock (`imagepin base --list`) and re-lock",
                    **where,
                )
            )
        elif ref.path == PYTHON_PATH and ref.tag is not None and ref.tag.startswith("2"):
            eol = lifecycle_table().series["2.7"].end_of_life
            found.append(
                RULE.violation(
                    f"{from_phrase(stage)} runs Python 2, past its end of life on "
                    f"{eol.isoformat()}: no more security fixes; move to "
                    f"{ref.familiar_name}:{series}-slim-bookworm and re-lock",
                    **where,
                )
            )
        elif ref.path == PYTHON_PATH and (known := _placeless_series(ref.tag)) is not None:
            ended = lifecycle_table().series[known]  # a tag the catalog has no image for
            if on < ended.end_of_life:
                continue
            move = f"{ref.familiar_name}:{series}-slim-bookworm"
            found.append(
                RULE.violation(
                    _ended(stage, known, ended.end_of_life, ended.pep, move, series), **where
                )
            )
        elif ref.path == PYTHON_PATH and (unknown := _unknown_series(ref.tag)) is not None:
            table = lifecycle_table()
            found.append(
                RULE.note(
                    f"{from_phrase(stage)} runs Python {unknown}, which imagepin's catalog does "
                    f"not know (reviewed {table.reviewed}; newest series {newest(on)}): its end "
                    "of life, pre-release status and variant are not checked; update imagepin",
                    **where,
                )
            )
    return found


RULE = Rule(
    id="PY001",
    severity=Severity.ERROR,
    title="Python past its end of life",
    rationale="A Python series past its end of life gets no security fixes from upstream.",
    fix=(
        "Move to a supported series (`imagepin base --list` shows them with their end of life) "
        "and re-lock."
    ),
    scope=("dockerfile",),
    check=check,
)
