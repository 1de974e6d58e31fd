"""DF004: the final stage runs as root."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.dockerfile_model import Dockerfile, Instruction, expand, unquote


def _user_part(written: str) -> str:
    """`USER`'s user, before the `:group` (a `:` inside `${U:-x}` is not the separator), so an
    unknown group does not hide a known root user (`USER 0:$GID`)."""
    depth = 0
    for i, char in enumerate(written):
        if char == "{" and written[i - 1 : i] == "$":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == ":" and not depth:
            return written[:i]
    return written


def _root(name: str) -> bool:
    """`root`, or uid 0 however written (`0`, `00`, `0000`)."""
    return name.lower() == "root" or (name.isascii() and name.isdigit() and int(name) == 0)


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
        fix = (
            "add `USER 10001` (scratch has no useradd; a numeric user needs no /etc/passwd)"
            if root.is_scratch
            else "add `RUN useradd --uid 10001 --no-create-home app` and `USER 10001` before CMD"
        )
        return [
            RULE.violation(
                f"the final stage, {final.label}, never sets USER, so it runs as root; {fix}",
                **subject.at(final.line),
            )
        ]
    written = last.value[0]
    user, missing = expand(_user_part(written), last.scope)
    if missing:
        names = ", ".join(f"${m}" for m in missing)
        return [
            RULE.note(
                f"USER {written} (line {last.start_line}) is not checked: {names} has no value "
                "here; give it a default so the user is known",
                **subject.at(last.start_line),
            )
        ]
    # a quoted `"0:$GID"` leaves a quote on each part: strip it
    if not _root(unquote(user).split(":", 1)[0].strip("\"' ")):
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
