"""DF002: shell-form `CMD` or `ENTRYPOINT` (signals do not reach Python)."""

from __future__ import annotations

import json
import shlex
from functools import lru_cache

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.dockerfile_model import Dockerfile, Instruction, Stage

_SHELL_SYNTAX = set("|&;<>()$`*?")


def _exec_form(instruction: Instruction) -> str:
    return _suggestion(instruction.cmd, instruction.value)


@lru_cache(maxsize=1024)
def _suggestion(cmd: str, value: tuple[str, ...]) -> str:
    """The exec form to write instead (the same command line is often in many Dockerfiles)."""
    text = " ".join(value)
    listed = _listed(text)
    if listed is not None:
        words, why = listed
        taken = f"{why}, so Docker took it for a shell command"
        if not words:
            example = f'{cmd} ["python", "app.py"]'
            return f"{taken}; write a JSON list of double-quoted strings: {example}"
        return f"{taken}; write {cmd} {json.dumps(words)}"
    try:
        words = shlex.split(text)
    except ValueError:
        words = []
    if not words or any(set(w) & _SHELL_SYNTAX for w in words):
        return f'put the shell logic in a script and exec it: {cmd} ["./start.sh"]'
    return f"write {cmd} {json.dumps(words)}"


def _listed(text: str) -> tuple[list[str], str] | None:
    """The words of a bracketed list that is not JSON (`['python', '-m', 'app']`, `["python",`),
    read leniently (none when even that fails), and why it is not JSON; None when `text` does
    not look like a list."""
    inner = text.strip()
    opened = inner[1:].lstrip()[:1] in ("'", '"')
    if not inner.startswith("[") or not (inner.endswith("]") or opened):
        return None  # `[ -f x ] && python app` is shell
    if any(op in inner for op in ("&&", "||", " ] ", ";")):
        return None  # `[ "$ENV" = "prod" ] && exec app`: a shell test, not a broken list
    if not opened and "," not in inner:
        return None
    inner = inner[1:-1] if inner.endswith("]") else inner[1:]
    lexer = shlex.shlex(inner, posix=True)
    lexer.whitespace = " \t\r\n,"
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        words = [word for word in lexer if word]
    except ValueError:  # an unclosed quote
        words = []
    if "'" in text:
        return words, "single quotes are not JSON (the exec form needs double quotes)"
    return words, "the list is not valid JSON"


def _in_image(df: Dockerfile, final: Stage) -> list[Instruction]:
    """The CMD and ENTRYPOINT that end up in the image of `final`, as BuildKit sets them
    (dispatchCmd, dispatchEntrypoint in dockerfile2llb/convert.go): an ENTRYPOINT clears the
    CMD unless its own stage set one before it (that flag is per stage: a CMD of the stage built
    FROM does not count), so `FROM base` / `ENTRYPOINT [...]` drops base's CMD."""
    cmd: Instruction | None = None
    entrypoint: Instruction | None = None
    for stage in df.chain(final):
        cmd_set = False
        for instruction in stage.instructions:
            if instruction.cmd == "CMD":
                cmd, cmd_set = instruction, True
            elif instruction.cmd == "ENTRYPOINT":
                entrypoint = instruction
                if not cmd_set:
                    cmd = None
    return sorted((i for i in (cmd, entrypoint) if i is not None), key=lambda i: i.start_line)


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile) or subject.final is None:
        return []
    found: list[Finding] = []
    for instruction in _in_image(subject, subject.final):
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
