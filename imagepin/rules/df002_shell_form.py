"""DF002: shell-form `CMD` or `ENTRYPOINT` (signals do not reach Python)."""

from __future__ import annotations

import json
import shlex
from functools import lru_cache

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.dockerfile_model import Dockerfile, Instruction

_SHELL_SYNTAX = set("|&;<>()$`*?")


def _exec_form(instruction: Instruction) -> str:
    return _suggestion(instruction.cmd, instruction.value)


@lru_cache(maxsize=1024)
def _suggestion(cmd: str, value: tuple[str, ...]) -> str:
    """The exec form to write instead (the same command line is often in many Dockerfiles)."""
    text = " ".join(value)
    try:
        words = shlex.split(text)
    except ValueError:
        words = []
    if not words or any(set(w) & _SHELL_SYNTAX for w in words):
        return f'put the shell logic in a script and exec it: {cmd} ["./start.sh"]'
    return f"write {cmd} {json.dumps(words)}"


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile) or subject.final is None:
        return []
    last: dict[str, Instruction] = {}
    for stage in subject.chain(subject.final):
        for instruction in stage.instructions:
            if instruction.cmd in ("CMD", "ENTRYPOINT"):
                last[instruction.cmd] = instruction
    found: list[Finding] = []
    for instruction in sorted(last.values(), key=lambda i: i.start_line):
        if instruction.json or " ".join(instruction.value).lstrip().startswith("exec "):
            continue  # exec form, or a shell that execs Python in its place
        shown = " ".join(instruction.value)
        found.append(
            RULE.violation(
                f"{instruction.cmd} {shown} is in shell form: it runs under /bin/sh -c, so "
                f"SIGTERM never reaches Python and a stop waits for the kill timeout; "
                f"{_exec_form(instruction)}",
                **subject.at(instruction.start_line),
            )
        )
    return found


RULE = Rule(
    id="DF002",
    severity=Severity.WARNING,
    title="Shell-form CMD or ENTRYPOINT",
    rationale=(
        "A shell-form command runs under /bin/sh -c, which does not forward SIGTERM, so Python "
        "is killed after the stop timeout instead of shutting down cleanly."
    ),
    fix=(
        'Use the JSON (exec) form: `CMD ["python", "-m", "app"]` (or make the shell exec it: '
        "`CMD exec python -m app`)."
    ),
    scope=("dockerfile",),
    check=check,
)
