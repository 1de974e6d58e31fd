"""VAR002: a windowsservercore base for a Linux platform, or a Linux base for Windows."""

from __future__ import annotations

from datetime import date

from imagepin.catalog import PythonBase, UbuntuRock
from imagepin.refs import ImageReference
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import external_stages, from_phrase, newest
from imagepin.rules.dockerfile_model import Dockerfile, Stage
from imagepin.rules.images import platform_os, python_base
from imagepin.rules.tags import fresh_base


def _targets(df: Dockerfile, stage: Stage) -> tuple[str, ...]:
    """The platforms a stage is built for: its own `--platform`, else the resource's."""
    if stage.platform_written is not None:
        if stage.platform is None or "$" in stage.platform:
            return ()
        return tuple(p.strip() for p in stage.platform.split(","))
    return df.platforms or ()


def _tag(version: str, windows: bool) -> str | None:
    """The library/python tag of `version` for Windows (`windows`) or Linux, a new choice as
    `imagepin base` makes it, or None when there is none (no Windows image of 2.7 or 3.7)."""
    base = fresh_base(version, "windowsservercore" if windows else "slim")
    return None if base is None else base.tag


def _fix(ref: ImageReference, base: PythonBase | UbuntuRock, windows: bool, on: date) -> str:
    """What to write instead, for a build on Windows (`windows`) or on Linux."""
    family = "Windows" if windows else "Linux"
    name = ref.familiar_name if isinstance(base, PythonBase) else "python"
    tag = _tag(base.series if isinstance(base, PythonBase) else base.python, windows)
    if isinstance(base, UbuntuRock):
        lead = f"there is no {family} rock (ubuntu/python is Linux only)"
        if tag is not None:
            return f"{lead}; use {name}:{tag} for {family} platforms"
    elif tag is not None:
        return f"use {name}:{tag} for {family} platforms"
    else:
        lead = f"library/python has no {family} image of Python {base.series}"
    series = newest(on)
    other = _tag(series, windows) or f"{series}-<release>"
    return (
        f"{lead}, and a {family} build needs a {family} base: move to a series that has one, "
        f"e.g. python:{other}"
    )


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    for stage, ref in external_stages(subject):
        base = python_base(ref)
        if base is None:
            continue
        base_os = {platform_os(p) for p in base.platforms}
        wrong = [p for p in _targets(subject, stage) if platform_os(p) not in base_os]
        if not wrong:
            continue
        is_windows = base_os == {"windows"}
        kind = "a Windows image" if is_windows else "a Linux image"
        fix = _fix(ref, base, platform_os(wrong[0]) == "windows", settings.today)
        found.append(
            RULE.violation(
                f"{from_phrase(stage)} is {kind}, but it is built for {', '.join(wrong)}; {fix}",
                **subject.at(stage.line),
            )
        )
    return found


RULE = Rule(
    id="VAR002",
    severity=Severity.ERROR,
    title="Base image OS does not match the target platform",
    rationale=(
        "A windowsservercore base cannot run on Linux and a Linux base cannot run on Windows, "
        "so the build fails or the image never starts."
    ),
    fix=(
        "Use a slim or alpine base for linux/* platforms and a windowsservercore base for "
        "windows/amd64."
    ),
    scope=("dockerfile",),
    check=check,
)
