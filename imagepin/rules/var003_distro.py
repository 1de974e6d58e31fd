"""VAR003: no distro release in the tag (`3.12-slim` floats between bookworm and trixie)."""

from __future__ import annotations

from datetime import date

from imagepin.catalog import PythonBase
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import external_stages, from_phrase
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.images import python_base
from imagepin.rules.tags import fix_base, version_on

_FAMILY = {
    "full": "Debian",
    "slim": "Debian",
    "alpine": "Alpine",
    "windowsservercore": "Windows Server",
}


def _write(base: PythonBase, name: str, on: date) -> str:
    """What to write: the release the tag pulls today, and why that one. A series past its end
    of life is no longer built, so its tag stays on the release it was last built on and PY001
    names the real fix."""
    fixed = fix_base(base, on)
    if fixed is None:  # a release built only on a distro release the catalog does not list
        return (
            f"name the release library/python built {version_on(base, on)} on, which "
            "imagepin's catalog does not know"
        )
    if fixed.is_prerelease or on < fixed.end_of_life:
        if base.variant == "windowsservercore":  # one image per host release under one tag
            return f"write {name}:{fixed.tag}, the newest of the releases it pulls today"
        return f"write {name}:{fixed.tag}, the release it pulls today"
    return (
        f"write {name}:{fixed.tag}, the release it was last built on: library/python no longer "
        f"builds Python {fixed.series}, past its end of life (PY001)"
    )


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
                f"{_FAMILY[base.variant]} releases (and their system libraries); "
                f"{_write(base, ref.familiar_name, settings.today)}",
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
