"""A Dockerfile as the rules read it, parsed by BuildKit's own parser (the `dockerfile` package).

The parser handles line continuations, heredocs, JSON and shell forms, `# escape=` and parser
directives; this module builds what the rules need on top: stages (`FROM ... AS name`, `--platform`,
a stage built on an earlier one), `ARG` substitution in `FROM` (global defaults, overridden by build
args; `${VAR:-default}`...), the variables in scope at each instruction, and suppression comments.

    df = Dockerfile.parse(text, file="Dockerfile", build_args={"PY": "3.12"})
    df.final.ref          # ImageReference of the final stage's base, or None
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import dockerfile as _buildkit

from imagepin.errors import ConfigError
from imagepin.refs import ImageReference, InvalidReference
from imagepin.rules.credentials import redact
from imagepin.rules.suppressions import Suppression, from_comments

Scope = Mapping[str, str | None]
"""Variables in scope: name -> value, or None when declared without a value."""

_VAR = re.compile(
    r"\\\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"
    r"|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
)
_BUILD_ONLY = ("BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT")


class DockerfileError(ConfigError):
    """A Dockerfile could not be read or parsed."""


def expand(word: str, scope: Scope) -> tuple[str, tuple[str, ...]]:
    """`word` with `$VAR`, `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}`, `${VAR+x}` replaced.

    Returns the result and the variables that had no value (replaced by "", as BuildKit does).
    """
    if "$" not in word:
        return word, ()
    missing: list[str] = []

    def one(m: re.Match[str]) -> str:
        if m[0] == "\\$":
            return "$"
        name = m["braced"] or m["plain"]
        value = scope.get(name)
        op = m["op"]
        if op is None:
            if value is None:
                missing.append(name)
            return value or ""
        default, more = expand(m["word"] or "", scope)
        if op in (":-", "-"):
            use_default = value is None or (op == ":-" and value == "")
            if use_default:
                missing.extend(more)
            return default if use_default else str(value)
        present = value is not None and (op == "+" or value != "")
        if present:
            missing.extend(more)
        return default if present else ""

    return _VAR.sub(one, word), tuple(dict.fromkeys(missing))


def unquote(word: str) -> str:
    """Shell quotes removed from one word (`"x y"` -> `x y`); unbalanced quotes stay as written."""
    if not any(q in word for q in "'\""):
        return word
    try:
        return "".join(shlex.split(word, posix=True)) if word.strip() else word
    except ValueError:
        return word


class Instruction(NamedTuple):
    """One instruction (an immutable record: a Dockerfile has many, so it is a named tuple,
    built several times faster than a frozen dataclass)."""

    cmd: str
    """Upper-cased: `RUN`, `FROM`, `COPY`..."""
    value: tuple[str, ...]
    flags: tuple[str, ...]
    json: bool
    original: str
    start_line: int
    end_line: int
    heredocs: tuple[str, ...]
    scope: Scope
    """Variables (ARG and ENV) in scope before this instruction."""

    def flag_values(self, name: str) -> list[str]:
        """Values of `--name=value` flags (`--mount` may repeat); `--name` alone gives ""."""
        found = []
        for flag in self.flags:
            key, eq, val = flag.partition("=")
            if key.lstrip("-").lower() == name:
                found.append(val if eq else "")
        return found


@dataclass(frozen=True, slots=True)
class Stage:
    index: int
    name: str | None
    image: str
    """The image as written after FROM (`python:${PY}-slim-bookworm`)."""
    resolved: str | None
    """`image` with variables replaced; None when a variable in it has no value."""
    missing: tuple[str, ...]
    platform: str | None
    """`--platform` with variables replaced; None when absent or not known here."""
    platform_written: str | None
    line: int
    instructions: tuple[Instruction, ...]
    parent: int | None
    """Index of the earlier stage this one is built on (`FROM builder`)."""
    ref: ImageReference | None
    ref_error: str | None

    @property
    def is_scratch(self) -> bool:
        return self.resolved is not None and self.resolved.lower() == "scratch"

    @property
    def is_external(self) -> bool:
        """Built on an image pulled from a registry (not an earlier stage, not scratch)."""
        return self.parent is None and not self.is_scratch

    @property
    def label(self) -> str:
        return f"stage {self.index} ({self.name})" if self.name else f"stage {self.index}"

    @property
    def from_text(self) -> str:
        return f"FROM {self.image}"

    @property
    def shown(self) -> str:
        """The image for messages: as resolved, noting the spelling when it had variables."""
        if self.resolved is None or self.resolved == self.image:
            return self.image
        return f"{self.resolved} (written {self.image})"


@dataclass(frozen=True)
class Dockerfile:
    """A parsed Dockerfile with the context it is built in (build args, platforms, target)."""

    file: str | None
    resource: str | None
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    suppressions: tuple[Suppression, ...]
    build_args: Mapping[str, str]
    platforms: tuple[str, ...] | None
    """Target platforms from the resource that builds it; None for a file on its own."""
    target: str | None

    @classmethod
    def parse(
        cls,
        text: str,
        *,
        file: str | None = None,
        resource: str | None = None,
        build_args: Mapping[str, str] | None = None,
        platforms: Sequence[str] | None = None,
        target: str | None = None,
    ) -> Dockerfile:
        """Parse `text`; `DockerfileError` names the file (or resource) when it cannot be parsed."""
        args = tuple(sorted((build_args or {}).items()))
        plats = None if platforms is None else tuple(platforms)
        return _parse(text, file, resource, args, plats, target)

    @property
    def final(self) -> Stage | None:
        """The stage that becomes the image: the build target, else the last stage."""
        if self.target:
            for stage in self.stages:
                if stage.name == self.target.lower():
                    return stage
        return self.stages[-1] if self.stages else None

    def chain(self, stage: Stage) -> list[Stage]:
        """`stage` and the stages it is built on, the first (the one with an image) first."""
        chain = [stage]
        while chain[0].parent is not None:
            chain.insert(0, self.stages[chain[0].parent])
        return chain

    def at(self, line: int | None) -> dict[str, Any]:
        """Location keywords for `Rule.violation`: this Dockerfile's file/resource and `line`."""
        return {"file": self.file, "line": line, "resource": self.resource}

    def where(self, line: int) -> str:
        if self.file is not None:
            return f"{self.file}:{line}"
        return f"line {line} of the inline Dockerfile of {self.resource}"


def _platform_scope(platforms: tuple[str, ...] | None) -> dict[str, str | None]:
    scope: dict[str, str | None] = dict.fromkeys(_BUILD_ONLY)
    single = platforms[0] if platforms and len(platforms) == 1 else None
    parts = (single or "").split("/")
    scope["TARGETPLATFORM"] = single
    scope["TARGETOS"] = parts[0] if single else None
    scope["TARGETARCH"] = parts[1] if single and len(parts) > 1 else None
    scope["TARGETVARIANT"] = (parts[2] if len(parts) > 2 else "") if single else None
    return scope


def _declare(word: str, scope: dict[str, str | None], args: Mapping[str, str]) -> None:
    """Apply one `ARG NAME[=default]` word to `scope`."""
    name, eq, default = word.partition("=")
    if name in args:
        scope[name] = args[name]
    elif eq:
        scope[name] = None if (got := expand(default, scope))[1] else unquote(got[0])
    else:
        scope.setdefault(name, None)


def _image_ref(resolved: str | None) -> tuple[ImageReference | None, str | None]:
    if resolved is None:
        return None, None
    try:
        return ImageReference.parse(resolved), None
    except InvalidReference as exc:
        return None, str(exc)


@lru_cache(maxsize=512)
def _parse(
    text: str,
    file: str | None,
    resource: str | None,
    build_args: tuple[tuple[str, str], ...],
    platforms: tuple[str, ...] | None,
    target: str | None,
) -> Dockerfile:
    where = file if file is not None else f"the inline Dockerfile of {resource}"
    try:
        commands = _buildkit.parse_string(text)
    except _buildkit.GoParseError as exc:
        raise DockerfileError(
            f"{where}: not a Dockerfile BuildKit can parse ({redact(str(exc))}); fix it so "
            "`docker build` accepts it"
        ) from None
    _check_buildable(commands, where, _custom_frontend(text))
    args = dict(build_args)
    global_scope: dict[str, str | None] = _platform_scope(platforms)
    stage_scopes: list[dict[str, str | None]] = []
    scope = global_scope
    snapshot, changed = dict(scope), False  # instructions share a snapshot until a change
    stages: list[dict[str, Any]] = []
    instructions: list[Instruction] = []
    for command in commands:
        if changed:
            snapshot, changed = dict(scope), False
        cmd = command.cmd.upper()
        instruction = Instruction(
            cmd,
            tuple(command.value),
            tuple(command.flags),
            bool(command.json),
            command.original,
            command.start_line,
            command.end_line,
            tuple([h.content for h in command.heredocs]) if command.heredocs else (),
            snapshot,
        )
        instructions.append(instruction)
        if cmd == "FROM":
            stages.append(_new_stage(instruction, len(stages), stages, global_scope))
            parent = stages[-1]["parent"]
            scope = dict(stage_scopes[parent]) if parent is not None else {}
            stage_scopes.append(scope)
            changed = True
            continue
        if cmd in ("ARG", "ENV"):
            changed = True
        if cmd == "ARG":
            for word in instruction.value:
                name = word.partition("=")[0]
                if not stages and "=" not in word:
                    scope[name] = args.get(name)
                elif "=" not in word and name in global_scope and name not in args:
                    scope[name] = global_scope[name]
                else:
                    _declare(word, scope, args)
        elif cmd == "ENV" and stages:
            pairs = instruction.value
            for key, val in zip(pairs[::2], pairs[1::2], strict=False):
                expanded, missing = expand(val, scope)
                scope[key] = None if missing else unquote(expanded)
        if stages:
            stages[-1]["instructions"].append(instruction)
    lines = text.splitlines()
    spans = [(i.start_line, i.end_line) for i in instructions]
    built = tuple(Stage(**s | {"instructions": tuple(s["instructions"])}) for s in stages)
    return Dockerfile(
        file=file,
        resource=resource,
        instructions=tuple(instructions),
        stages=built,
        suppressions=tuple(from_comments(lines, spans)),
        build_args=args,
        platforms=platforms,
        target=target,
    )


# fmt: off
_INSTRUCTIONS = frozenset((
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
))
# fmt: on


def _custom_frontend(text: str) -> bool:
    """Whether a `# syntax=` directive names a frontend other than docker/dockerfile (one that
    may add instructions of its own)."""
    if not text.lstrip("\ufeff \t").startswith("#"):
        return False  # directives come first: no comment first, no directive
    m = _SYNTAX.match(text.lstrip("\ufeff"))
    return m is not None and not m[1].lower().split(":")[0].endswith("docker/dockerfile")


_SYNTAX = re.compile(
    r"(?:[ \t]*#[ \t]*[a-z]+[ \t]*=.*\n)*?[ \t]*#[ \t]*syntax[ \t]*=[ \t]*(\S+)", re.I
)


def _check_buildable(commands: Sequence[Any], where: str, custom_frontend: bool) -> None:
    """What `docker build` rejects although the parser accepts it: an unknown instruction
    (unless a custom frontend may define it), an instruction before the first FROM (other than
    ARG), a FROM without an image."""
    seen_from = False
    for command in commands:
        cmd = command.cmd.upper()
        if cmd == "FROM":
            seen_from = True
            if command.value:
                continue
            problem = "FROM names no image; write FROM IMAGE[:TAG][@DIGEST]"
        elif cmd not in _INSTRUCTIONS:
            if custom_frontend:
                continue
            problem = f"unknown instruction {cmd!r} (docker build rejects it); fix or remove it"
        elif seen_from or cmd == "ARG":
            continue
        else:
            problem = f"{cmd} comes before any FROM; start with FROM (only ARG may come before)"
        raise DockerfileError(f"{where}: line {command.start_line}: {problem}")


def _new_stage(
    instruction: Instruction, index: int, earlier: list[dict[str, Any]], scope: Scope
) -> dict[str, Any]:
    value = instruction.value
    image = value[0] if value else ""
    name = value[2].lower() if len(value) >= 3 and value[1].upper() == "AS" else None
    expanded, missing = expand(image, scope)
    resolved = None if missing else unquote(expanded)
    platforms = instruction.flag_values("platform")
    written_platform = platforms[-1] if platforms else None
    platform = None
    if written_platform is not None:
        plat, plat_missing = expand(written_platform, scope)
        platform = None if plat_missing else plat
    parent = None
    if resolved is not None:
        parent = next((s["index"] for s in earlier if s["name"] == resolved.lower()), None)
    external = parent is None and resolved is not None and resolved.lower() != "scratch"
    ref, error = _image_ref(resolved if external else None)
    return {
        "index": index,
        "name": name,
        "image": image,
        "resolved": resolved,
        "missing": missing,
        "platform": platform,
        "platform_written": written_platform,
        "line": instruction.start_line,
        "instructions": [],
        "parent": parent,
        "ref": ref,
        "ref_error": error,
    }
