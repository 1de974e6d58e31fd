"""SEC001: a secret-looking build arg or ENV, a Pulumi secret passed as a build arg, or
credentials written into a command line (RUN, ADD, CMD...)."""

from __future__ import annotations

import re
from functools import lru_cache

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.credentials import credentials
from imagepin.rules.dockerfile_model import Dockerfile, Instruction, unquote
from imagepin.rules.resources import BUILD_IMAGE, Resource, build_of
from imagepin.rules.values import Secret, Unknown, reveal

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SECRET = {
    *("TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS"),
    *("CREDENTIAL", "CREDENTIALS"),
}
"""Words that make a name a secret whatever else it says (`OIDC_ID_TOKEN`, `PGP_PASSWORD`)."""
_SECRET_SUFFIX = (
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "APIKEY",
    "ACCESSKEY",
    "PRIVATEKEY",
)
_REFERENCE = {"FILE", "PATH", "DIR", "NAME", "ARN", "URL", "TYPE"}
"""Words that make the value say where a secret is, not the secret (`PASSWORD_FILE`)."""
_NOT_SECRET_KEY = {"PUBLIC", "GPG", "PGP", "ID", "CACHE", "SORT", "PRIMARY", "FOREIGN", "PARTITION"}
"""Words that make a plain KEY no secret (`PUBLIC_KEY`, `GPG_KEY`, `KEY_ID`, `CACHE_KEY`, a
database's `SORT_KEY`); a stronger word
still wins (`GPG_PRIVATE_KEY`, `PUBLIC_KEY_PASSWORD`)."""
_MOUNT = "RUN --mount=type=secret,id={id}"


@lru_cache(maxsize=4096)
def secret_word(name: str) -> str | None:
    """The word that makes `name` look like a secret (`TOKEN` in `GITHUB_TOKEN`), or None."""
    words = [str(w).upper() for w in _WORDS.findall(name)]
    if any(w in _REFERENCE for w in words):
        return None
    for i, word in enumerate(words):
        if word == "KEY" and i and words[i - 1] == "PRIVATE":
            return "PRIVATE_KEY"
        if word in _SECRET:
            return word
        if word.endswith(_SECRET_SUFFIX):
            return next(str(s) for s in _SECRET_SUFFIX if word.endswith(s))
    if words and words[-1] == "PASS":  # `DB_PASS`, not `PASS_THROUGH`
        return "PASS"
    if "KEY" in words and not any(w in _NOT_SECRET_KEY for w in words):
        return "KEY"
    return None


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


def _command_line(df: Dockerfile, instruction: Instruction) -> list[Finding]:
    """Credentials written into a command line (variables there are stored unexpanded)."""
    if instruction.cmd == "COPY" and not instruction.heredocs:
        return []
    carried = credentials(instruction.original)
    if carried is None:
        return []
    stored = _COMMAND_LINES[instruction.cmd]
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
    return [
        RULE.violation(
            f"{instruction.cmd} (line {instruction.start_line}) writes credentials {carried} "
            f"into its command line, which is stored in {stored}, readable by anyone who can "
            f"pull the image; {fix}",
            **df.at(instruction.start_line),
        )
    ]


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
