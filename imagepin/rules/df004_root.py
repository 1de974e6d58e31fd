"""DF004: the final stage runs as root."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.dockerfile_model import Dockerfile, Instruction, expand, unquote

_ROOT = {"root", "0"}


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
        root = chain[0]
        if root.ref is not None and root.ref.tag and "nonroot" in root.ref.tag:
            return []
        return [
            RULE.violation(
                f"the final stage, {final.label}, never sets USER, so it runs as root; add "
                "`RUN useradd --uid 10001 --no-create-home app` and `USER 10001` before CMD",
                **subject.at(final.line),
            )
        ]
    written = last.value[0]
    user, missing = expand(written, last.scope)
    if missing:
        names = ", ".join(f"${m}" for m in missing)
        return [
            RULE.note(
                f"USER {written} (line {last.start_line}) is not checked: {names} has no value "
                "here; give it a default so the user is known",
                **subject.at(last.start_line),
            )
        ]
    name = unquote(user).split(":", 1)[0].strip()
    if name.lower() not in _ROOT:
        return []
    return [
        RULE.violation(
            f"USER {written} (line {last.start_line}) is the last USER of the final stage, "
            f"{final.label}, so it runs as root; switch to an unprivileged user (USER 10001) "
            "after the steps that need root",
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
