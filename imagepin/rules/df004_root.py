"""DF004: the final stage runs as root."""

from __future__ import annotations

import re

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import is_root, user_part
from imagepin.rules.dockerfile_model import Dockerfile, Instruction, Stage, expand, unquote
from imagepin.rules.images import PYTHON_PATH

_VARIABLE = re.compile(r"(?<!\\)\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_USERADD = "add `RUN useradd --uid 10001 --no-create-home app` and `USER 10001` before CMD"


def _inherited(base: Stage) -> tuple[str, str]:
    """Who a final stage without USER runs as, and the fix. Its user is the base image's: none
    for scratch and for library/python (root), unknown here for any other image (which may set
    one, as mambaorg/micromamba does), so the message does not claim root for those."""
    if base.is_scratch:
        return (
            "root",
            "add `USER 10001` (scratch has no useradd; a numeric user needs no /etc/passwd)",
        )
    if base.ref is not None and base.ref.path == PYTHON_PATH:
        return "root (the python image sets no USER)", _USERADD
    return (
        f"the base image's user (root unless {base.shown} sets one)",
        f"make it explicit: {_USERADD}, or USER the base image's own unprivileged user",
    )


def _not_checked(last: Instruction, missing: tuple[str, ...]) -> str:
    """Why a USER whose variables have no value here is not checked: an ARG without a default
    (set at build time) or a variable this Dockerfile never sets (the base image's ENV may)."""
    names = ", ".join(f"${m}" for m in missing)
    if all(m in last.scope for m in missing):
        why = f"{names} has no value here; give it a default so the user is known"
    else:
        why = (
            f"{names} is not set in this Dockerfile (the base image's ENV may set it), so the "
            "user is not known here"
        )
    return f"USER {last.value[0]} (line {last.start_line}) is not checked: {why}"


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile) or subject.final is None:
        return []
    final = subject.final
    chain = subject.chain(final)
    last: Instruction | None = None
    for stage in chain:
        for instruction in stage.instructions:
            if instruction.cmd == "USER" and instruction.value:
                last = instruction
    if last is None:
        base = chain[0]
        if base.ref is not None and base.ref.tag and "nonroot" in base.ref.tag:
            return []
        who, fix = _inherited(base)
        return [
            RULE.violation(
                f"the final stage, {final.label}, never sets USER, so it runs as {who}; {fix}",
                **subject.at(final.line),
            )
        ]
    written = last.value[0]
    user, missing = expand(user_part(written), last.scope)
    if missing:
        return [RULE.note(_not_checked(last, missing), **subject.at(last.start_line))]
    # a quoted `"0:$GID"` leaves a quote on each part: strip it
    name = unquote(user).split(":", 1)[0].strip("\"' ")
    if name and not is_root(name):
        return []
    unset = tuple(v for v in _VARIABLE.findall(user_part(written)) if v not in last.scope)
    if not name and unset:  # `${U:-}`: empty here, but the base image's ENV may set U
        return [RULE.note(_not_checked(last, unset), **subject.at(last.start_line))]
    # an empty user (`USER ""`, `USER ${EMPTY}`, `USER :1000`) is what BuildKit writes to the
    # image config as it stands, and an empty config user runs as uid 0
    why = "so it runs as root" if name else "and names no user once expanded, so it runs as root"
    return [
        RULE.violation(
            f"USER {written} (line {last.start_line}) is the last USER of the final stage, "
            f"{final.label}, {why}; switch to an unprivileged user (USER 10001) after the steps "
            "that need root",
            **subject.at(last.start_line),
        )
    ]


RULE = Rule(
    id="DF004",
    severity=Severity.WARNING,
    title="Final stage runs as root",
    rationale=(
        "A process running as root turns any code-execution bug into root in the container and "
        "widens what a container escape can reach."
    ),
    fix=(
        "Create an unprivileged user and switch to it in the final stage: "
        "`RUN useradd --uid 10001 app` then `USER 10001`."
    ),
    scope=("dockerfile",),
    check=check,
)
