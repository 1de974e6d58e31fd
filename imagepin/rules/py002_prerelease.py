"""PY002: a pre-release Python (`3.15.0a8`, `-rc`) in a stack that does not allow it."""

from __future__ import annotations

from imagepin.catalog import PythonBase, UbuntuRock
from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import external_stages, from_phrase, newest
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.images import life, python_base
from imagepin.rules.tags import base_command, move_base


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile) or settings.allow_prerelease:
        return []
    found: list[Finding] = []
    for stage, ref in external_stages(subject):
        base = python_base(ref)
        if not isinstance(base, (PythonBase, UbuntuRock)) or not life(base).prerelease:
            continue
        if isinstance(base, PythonBase):
            what = f"Python {base.version}"
            series = newest(settings.today)
            to = move_base(base, series, settings.today)
            pick = f"pick {ref.familiar_name}:{to.tag} (`{base_command(to)}`)"
        else:
            what = f"the {base.channel} channel of the Python {base.python} rock"
            pick = (
                f"pick the stable channel ({ref.familiar_name}:{base.python}-{base.ubuntu}_stable)"
            )
        found.append(
            RULE.violation(
                f"{from_phrase(stage)} is a pre-release ({what}) and this stack does not allow "
                f"pre-releases; {pick}, or allow pre-releases for a stack that tests them "
                "(allowPrerelease: true in its PY002 policy config, --allow-prerelease for "
                "imagepin check)",
                **subject.at(stage.line),
            )
        )
    return found


RULE = Rule(
    id="PY002",
    severity=Severity.ERROR,
    title="Pre-release Python",
    rationale=(
        "Alphas, betas and release candidates change behaviour between builds and get no "
        "security support, so they do not belong in production."
    ),
    fix=(
        "Pick the newest released series, or allow pre-releases for the stack that tests them "
        "(`allowPrerelease: true` in its PY002 policy config, `--allow-prerelease` for "
        "`imagepin check`)."
    ),
    scope=("dockerfile",),
    check=check,
    config=("allow_prerelease",),
)
