"""VAR002: a windowsservercore base for a Linux platform, or a Linux base for Windows."""

from __future__ import annotations

from imagepin.catalog import PythonBase, UbuntuRock, UnknownBase
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import distro_tag, external_stages, from_phrase
from imagepin.rules.dockerfile_model import Dockerfile, Stage
from imagepin.rules.images import platform_os, python_base


def _targets(df: Dockerfile, stage: Stage) -> tuple[str, ...]:
    """The platforms a stage is built for: its own `--platform`, else the resource's."""
    if stage.platform_written is not None:
        if stage.platform is None or "$" in stage.platform:
            return ()
        return tuple(p.strip() for p in stage.platform.split(","))
    return df.platforms or ()


def _other(base: PythonBase | UbuntuRock, windows: bool) -> str:
    if not isinstance(base, PythonBase):
        return "a Linux base"
    try:
        variant = "windowsservercore" if windows else "slim"
        return distro_tag(PythonBase(version=base.series, variant=variant))
    except UnknownBase:
        return "windowsservercore" if windows else "slim"


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
        target_windows = platform_os(wrong[0]) == "windows"
        use = f"{ref.familiar_name}:{_other(base, target_windows)}"
        family = "Windows" if target_windows else "Linux"
        found.append(
            RULE.violation(
                f"{from_phrase(stage)} is {kind}, but it is built for {', '.join(wrong)}; "
                f"use {use} for {family} platforms",
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
