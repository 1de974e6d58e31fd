"""VAR003: no distro release in the tag (`3.12-slim` floats between bookworm and trixie)."""

from __future__ import annotations

from imagepin.catalog import PythonBase
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import distro_tag, external_stages, from_phrase
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.images import python_base

_FAMILY = {
    "full": "Debian",
    "slim": "Debian",
    "alpine": "Alpine",
    "windowsservercore": "Windows Server",
}


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    for stage, ref in external_stages(subject):
        base = python_base(ref)
        if not isinstance(base, PythonBase) or base.distro is not None:
            continue
        found.append(
            RULE.violation(
                f"{from_phrase(stage)} names no distro release, so it moves between "
                f"{_FAMILY[base.variant]} releases (and their system libraries); write "
                f"{ref.familiar_name}:{distro_tag(base)}",
                **subject.at(stage.line),
            )
        )
    return found


RULE = Rule(
    id="VAR003",
    severity=Severity.WARNING,
    title="No distro release in the tag",
    rationale=(
        "`3.12-slim` moves from one Debian (or Alpine, or Windows) release to the next, "
        "changing system libraries under the same tag."
    ),
    fix=(
        "Name the release: `3.12-slim-bookworm`, `3.12-alpine3.22`, "
        "`3.13-windowsservercore-ltsc2022`."
    ),
    scope=("dockerfile",),
    check=check,
)
