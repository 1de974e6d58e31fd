"""SEC001: a secret-looking build arg or ENV, a Pulumi secret passed as a build arg, or
credentials written into a command line (RUN, ADD, CMD...)."""

from __future__ import annotations

import re

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.credentials import credentials
from imagepin.rules.dockerfile_model import Dockerfile, Instruction, unquote
from imagepin.rules.resources import BUILD_IMAGE, Resource, build_of
from imagepin.rules.script_env import DECLARES
from imagepin.rules.secret_names import secret_word, stores_secret
from imagepin.rules.shell import Command, run_commands
from imagepin.rules.values import Secret, Unknown, reveal

_MOUNT = "RUN --mount=type=secret,id={id}"


def _dockerfile(df: Dockerfile) -> list[Finding]:
    found: list[Finding] = []
    for instruction in df.instructions:
        if instruction.cmd in _COMMAND_LINES:
            found += _command_line(df, instruction)
            continue
        pairs: list[tuple[str, str | None]] = []
        if instruction.cmd == "ARG":
            for arg in instruction.value:
                key, eq, default = arg.partition("=")
                pairs.append((key, unquote(default) if eq else None))
        elif instruction.cmd == "ENV":
            values = instruction.value
            pairs = [(k, unquote(v)) for k, v in zip(values[::2], values[1::2], strict=False)]
        if not pairs:
            continue
        kind = (
            "build arg values are kept in the image history"
            if instruction.cmd == "ARG"
            else "ENV values are stored in the image config"
        )
        for name, value in pairs:
            word = secret_word(name)
            if word is not None and instruction.cmd == "ENV" and not stores_secret(value or ""):
                continue  # stored as written (""): no secret; an ARG's comes at build time
            carried = credentials(value, expanded=True) if value and word is None else None
            if word is None and carried is None:
                continue
            where = df.at(instruction.start_line)
            mount = _MOUNT.format(id=name.lower())
            if word is not None:
                found.append(
                    RULE.violation(
                        f"{instruction.cmd} {name} (line {instruction.start_line}) looks like a "
                        f"secret ({word}); {kind}, readable by anyone who can pull the image; "
                        f"read it from a BuildKit secret instead ({mount})",
                        **where,
                    )
                )
            else:
                found.append(
                    RULE.violation(
                        f"{instruction.cmd} {name} (line {instruction.start_line}) carries "
                        f"credentials {carried}; {kind}; pass the {_what(carried)} as a "
                        f"BuildKit secret instead ({mount})",
                        **where,
                    )
                )
    return found


def _what(carried: str | None) -> str:
    return "URL" if carried and carried.startswith("in a URL") else "value"


_COMMAND_LINES = {
    "RUN": "the image history",
    "ADD": "the image history",
    "ONBUILD": "the image config",
    "CMD": "the image config",
    "ENTRYPOINT": "the image config",
    "HEALTHCHECK": "the image config",
    "COPY": "a file of the image",
}
"""Instructions whose text is stored as written, and where (COPY: the file its heredoc
writes)."""


_NAME_VALUE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", re.DOTALL)


def _assigned(command: Command) -> list[tuple[str, str]]:
    """The `NAME=value` words `command` writes: before its program (`TOKEN=x pip`, also after
    `env` or `sudo`), or as the arguments of `export`, `readonly`, `declare`..."""
    words = command.argv[: len(command.argv) - len(command.program)]
    if command.name in DECLARES:
        words += command.program[1:]
    return [(m[1], m[2]) for word in words if (m := _NAME_VALUE.fullmatch(word))]


def _secrets_set(instruction: Instruction) -> dict[str, tuple[str, str]]:
    """The secret-looking names a RUN, CMD or ENTRYPOINT sets to a value written out in it:
    name -> (the word that makes it a secret, the value). A variable or a command read there
    (`TOKEN=$NPM_TOKEN`, `TOKEN="$(cat /run/secrets/t)"`) is stored unexpanded: no secret. A
    plain KEY counts only as the name's last word (`API_KEY`, `apiKey`), not in a setting such
    as `APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE=DontWarn`."""
    found: dict[str, tuple[str, str]] = {}
    for command in run_commands(instruction):
        for name, value in _assigned(command):
            word = secret_word(name)
            if word is None or name in found or not stores_secret(value):
                continue
            if word == "KEY" and not name.upper().endswith("KEY"):
                continue
            if "$" not in value and "`" not in value:
                found[name] = (word, value)
    return found


def _without(text: str, name: str, value: str) -> str:
    """`text` without the value `name=value` sets (as written, or quoted)."""
    written = re.escape(value)
    return re.sub(rf"\b{re.escape(name)}=(?:{written}|\"{written}\"|'{written}')", "", text)


def _command_line(df: Dockerfile, instruction: Instruction) -> list[Finding]:
    """Credentials written into a command line (variables there are stored unexpanded), and
    secret-looking names set to a value written out there (`RUN GITHUB_TOKEN=ghp_... pip`)."""
    if instruction.cmd == "COPY" and not instruction.heredocs:
        return []
    stored = _COMMAND_LINES[instruction.cmd]
    found: list[Finding] = []
    text = instruction.original
    if instruction.cmd in ("RUN", "CMD", "ENTRYPOINT"):
        for name, (word, value) in _secrets_set(instruction).items():
            found.append(_set_in_command_line(df, instruction, name, word))
            text = _without(text, name, value)  # reported: not again as a token
    carried = credentials(text)
    if carried is None:
        return found
    if instruction.cmd == "COPY":
        return [
            RULE.violation(
                f"COPY (line {instruction.start_line}) writes credentials {carried} into "
                f"{stored} from a heredoc, readable by anyone who can pull the image; mount the "
                "file as a BuildKit secret instead (RUN --mount=type=secret,id=...,target=...)",
                **df.at(instruction.start_line),
            )
        ]
    if stored == "the image history":
        fix = "read them from a BuildKit secret instead (RUN --mount=type=secret,id=credentials)"
    else:
        fix = "pass them when the container starts, from the platform's secrets"
    found.append(
        RULE.violation(
            f"{instruction.cmd} (line {instruction.start_line}) writes credentials {carried} "
            f"into its command line, which is stored in {stored}, readable by anyone who can "
            f"pull the image; {fix}",
            **df.at(instruction.start_line),
        )
    )
    return found


def _set_in_command_line(df: Dockerfile, instruction: Instruction, name: str, word: str) -> Finding:
    """`RUN GITHUB_TOKEN=... pip install`: the value is stored with the command line; BuildKit
    can set the variable from a secret for that RUN (`env=`), a container gets it at start."""
    stored = _COMMAND_LINES[instruction.cmd]
    if stored == "the image history":
        fix = (
            "read it from a BuildKit secret instead "
            f"(RUN --mount=type=secret,id={name.lower()},env={name})"
        )
    else:
        fix = "pass it when the container starts, from the platform's secrets"
    return RULE.violation(
        f"{instruction.cmd} (line {instruction.start_line}) sets {name}, a secret by its name "
        f"({word}), to a value written into its command line, which is stored in {stored}, "
        f"readable by anyone who can pull the image; {fix}",
        **df.at(instruction.start_line),
    )


def _resource(resource: Resource) -> list[Finding]:
    build = build_of(resource)
    if build is None:
        return []
    if isinstance(build.build_args, Unknown):
        return [
            RULE.note(f"{resource.label}: buildArgs is unknown at preview", resource=resource.name)
        ]
    found: list[Finding] = []
    fix = "pass it in the image's secrets and read it with RUN --mount=type=secret,id={name}"
    if build.build_args_secret:
        names = ", ".join(build.build_args) or "none"
        return [
            RULE.violation(
                f"{resource.label} passes build args that hold a Pulumi secret (buildArgs is "
                f"secret; its keys: {names}), but build args are stored in the image history in "
                "plain text; pass the secret in the image's secrets and read it with "
                "RUN --mount=type=secret,id=<name>",
                resource=resource.name,
            )
        ]
    for name, raw in build.build_args.items():
        value = reveal(raw)
        if isinstance(raw, Secret):
            why = "is a Pulumi secret, but build args are stored in the image history in plain text"
        elif (word := secret_word(name)) is not None:
            why = f"looks like a secret ({word}); build args are stored in the image history"
        elif isinstance(value, str) and (carried := credentials(value, expanded=True)) is not None:
            why = f"carries credentials {carried}; build args are stored in the image history"
        else:
            continue
        found.append(
            RULE.violation(
                f"{resource.label} passes build arg {name}, which {why}; {fix.format(name=name)}",
                resource=resource.name,
            )
        )
    return found


def check(subject: object, settings: Settings) -> list[Finding]:
    if isinstance(subject, Dockerfile):
        return _dockerfile(subject)
    if isinstance(subject, Resource):
        return _resource(subject)
    return []


RULE = Rule(
    id="SEC001",
    severity=Severity.ERROR,
    title="Secret in a build arg, ENV or command line",
    rationale=(
        "Build args, ENV values and command lines are stored in the image config and history, "
        "where anyone who can pull the image can read them."
    ),
    fix=(
        "Pass secrets as BuildKit secrets (`secrets=` on the image, "
        "`RUN --mount=type=secret,id=...`), never as ARG, ENV, build args or in a RUN line."
    ),
    scope=("dockerfile", "resource"),
    check=check,
    types=frozenset({BUILD_IMAGE}),
)
