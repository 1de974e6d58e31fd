"""VAR001: the full variant in the final stage (compilers and headers shipped to production)."""

from __future__ import annotations

from datetime import date

from imagepin.catalog import PythonBase
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.images import python_base
from imagepin.rules.tags import fix_base


def _slim(base: PythonBase, on: date) -> str:
    """The slim tag of what `base` pulls today, on the same release; when the catalog knows no
    release that built it (`3.6.2`, built on jessie), the slim twin of the tag as written."""
    fixed = fix_base(base, on, variant="slim")
    if fixed is not None:
        return fixed.tag
    return PythonBase(version=base.version, variant="slim", distro=base.distro).tag


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile) or subject.final is None:
        return []
    final = subject.final
    root = subject.chain(final)[0]
    if not root.is_external or root.ref is None:
        return []
    base = python_base(root.ref)
    if not isinstance(base, PythonBase) or base.variant != "full":
        return []
    slim = _slim(base, settings.today)
    via = "" if root is final else f" (through {root.label})"
    return [
        RULE.violation(
            f"the final stage, {final.label}, is built on {root.shown}{via}, the full variant "
            "with compilers and headers; base it on "
            f"{root.ref.familiar_name}:{slim} and build wheels in a separate full stage",
            **subject.at(root.line),
        )
    ]


RULE = Rule(
    id="VAR001",
    severity=Severity.WARNING,
    title="Full Python image in the final stage",
    rationale=(
        "The full image carries compilers, headers and hundreds of MB that production never "
        "uses and an attacker can."
    ),
    fix=(
        "Build wheels in a full builder stage and copy them into a slim final stage "
        "(`python:3.12-slim-bookworm`)."
    ),
    scope=("dockerfile",),
    check=check,
)
