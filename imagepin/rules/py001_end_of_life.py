"""PY001: a Python series past its end of life (every 2.x, 3.10 from 2026-11)."""

from __future__ import annotations

import re
from datetime import date

from imagepin.catalog import PythonBase, UbuntuRock, images_table, lifecycle_table, series_key
from imagepin.refs import ImageReference
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import external_stages, from_phrase, newest
from imagepin.rules.dockerfile_model import Dockerfile, Stage
from imagepin.rules.images import PYTHON_PATH, life, onbuild_series, python_base
from imagepin.rules.tags import base_command, move_base, version_on

_SERIES = re.compile(r"(\d+)(?:\.(\d+))?(?!\d)")


def _tag_series(tag: str | None) -> str | None:
    """The series (`3.16`) or the bare major (`4`) a library/python tag starts with."""
    m = _SERIES.match(tag or "")
    if m is None:
        return None
    return f"{m[1]}.{m[2]}" if m[2] is not None else m[1]


def _newer_than_catalog(series: str) -> bool:
    key = series_key(series)
    return key > max(series_key(s) for s in lifecycle_table().series)[: len(key)]


def _ended(stage: Stage, series: str, end: date, pep: int | None, name: str, to: PythonBase) -> str:
    return (
        f"{from_phrase(stage)} runs Python {series}, past its end of life on {end.isoformat()} "
        f"(PEP {pep}): no more security fixes; move to {name}:{to.tag} (`{base_command(to)}`) "
        "and re-lock"
    )


def _onbuild(stage: Stage, ref: ImageReference, on: date) -> str | None:
    """PY001's message for an onbuild tag past its end of life (`3-onbuild` and `onbuild` held
    3.6 when library/python stopped building them), or None for any other tag. Moving off one
    drops its ONBUILD triggers, so the message names the steps to write out."""
    series = onbuild_series(ref)
    ended = lifecycle_table().series.get(series or "")
    if series is None or ended is None or on < ended.end_of_life:
        return None
    removed = images_table().onbuild.removed.isoformat()
    to = move_base(None, newest(on), on)
    return (
        f"{from_phrase(stage)} runs Python {series}, past its end of life on "
        f"{ended.end_of_life.isoformat()} (PEP {ended.pep}), from an onbuild image that "
        f"library/python stopped building on {removed}: no more security fixes; move to "
        f"{ref.familiar_name}:{to.tag} (`{base_command(to)}`) and re-lock, writing out the steps "
        "its ONBUILD triggers ran (COPY requirements.txt, RUN pip install -r requirements.txt, "
        "COPY .)"
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
        name = ref.familiar_name
        if isinstance(base, PythonBase):
            if "." not in base.version:  # a bare major: the series it pulls (`3-stretch`: 3.7)
                base = PythonBase(
                    version=version_on(base, on), variant=base.variant, distro=base.distro
                )
            facts = life(base)
            if facts.prerelease or on < facts.end_of_life:
                continue
            to = move_base(base, series, on)
            message = _ended(stage, facts.series, facts.end_of_life, facts.pep, name, to)
            found.append(RULE.violation(message, **where))
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
        elif (onbuild := _onbuild(stage, ref, on)) is not None:
            found.append(RULE.violation(onbuild, **where))
        elif ref.path == PYTHON_PATH and ref.tag is not None and ref.tag.startswith("2"):
            eol = lifecycle_table().series["2.7"].end_of_life
            found.append(
                RULE.violation(
                    f"{from_phrase(stage)} runs Python 2, past its end of life on "
                    f"{eol.isoformat()}: no more security fixes; move to "
                    f"{name}:{move_base(None, series, on).tag} and re-lock",
                    **where,
                )
            )
        elif ref.path == PYTHON_PATH and (tagged := _tag_series(ref.tag)) is not None:
            table = lifecycle_table()
            if tagged in table.series:  # a known series, a tag the catalog has no image of
                ended = table.series[tagged]  # (`3.3`, `3.1-slim`: older Debian releases)
                if on >= ended.end_of_life:
                    to = move_base(None, series, on)
                    message = _ended(stage, tagged, ended.end_of_life, ended.pep, name, to)
                    found.append(RULE.violation(message, **where))
            elif _newer_than_catalog(tagged):
                found.append(
                    RULE.note(
                        f"{from_phrase(stage)} runs Python {tagged}, which imagepin's catalog "
                        f"does not know (reviewed {table.reviewed}; newest series "
                        f"{newest(on)}): its end of life, pre-release status and variant are "
                        "not checked; update imagepin",
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
