"""What every rule shares: `Rule`, `Violation`, `Note`, `Severity`, `Settings`.

A rule is one module in `imagepin/rules/` with a `RULE = Rule(...)`: a stable public ID, a default
severity, a one-sentence rationale and fix (the rules reference and SARIF metadata are generated
from them) and a pure `check(subject, settings)` that returns findings for one subject: a parsed
`Dockerfile` or one `Resource`. A check returns `[]` for subjects it does not concern.

Findings are `Violation`s, or `Note`s when a rule could not judge (a value unknown at preview, an
`ARG` without a value): a note is never a failure, it says what was skipped and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from imagepin.rules.credentials import redact

if TYPE_CHECKING:
    from imagepin.lock import Lock
    from imagepin.rules.dockerfile_model import Dockerfile
    from imagepin.rules.resources import Resource

    Subject: TypeAlias = Dockerfile | Resource


class Severity(StrEnum):
    """How bad a violation is; `imagepin check` fails on errors (and on warnings with --strict)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: where (file and line, or resource) and a message that says the fix."""

    rule: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    resource: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @property
    def where(self) -> str:
        """`Dockerfile:12`, `resource app`, `resource app, inline Dockerfile line 3`."""
        return where(self.file, self.line, self.resource)


@dataclass(frozen=True, slots=True)
class Note:
    """A check a rule skipped, and why (never a failure)."""

    rule: str
    message: str
    file: str | None = None
    line: int | None = None
    resource: str | None = None

    def to_json(self) -> dict[str, Any]:
        return _json(self)

    @property
    def where(self) -> str:
        return where(self.file, self.line, self.resource)


Finding: TypeAlias = Violation | Note


def _json(finding: Violation | Note) -> dict[str, Any]:
    """A finding's fields in declaration order, the severity by its value."""
    data: dict[str, Any] = {f.name: getattr(finding, f.name) for f in fields(finding)}
    if isinstance(finding, Violation):
        data["severity"] = finding.severity.value
    return data


def where(file: str | None, line: int | None, resource: str | None) -> str:
    if file is not None:
        place = f"{file}:{line}" if line is not None else file
        return f"{place} (resource {resource})" if resource else place
    if resource is not None:
        inline = f", inline Dockerfile line {line}" if line is not None else ""
        return f"resource {resource}{inline}"
    return "<stack>"


@dataclass(frozen=True)
class Settings:
    """What a check may depend on besides the subject: the stack's choices, the lock, the date.

    `allowed_registries` empty means any registry; `required_platforms` empty means none is
    required. `base_dir` is where a resource's relative `dockerfile.location` is read from
    (None: such Dockerfiles are skipped with a note). `allow_registry_fix` says how to allow one
    more registry where `allowed_registries` came from, `{registry}` standing for it: the front
    end that builds the settings knows (the policy config, or `imagepin check --allow-registry`).
    """

    today: date = field(default_factory=date.today)
    lock: Lock | None = None
    allowed_registries: tuple[str, ...] = ()
    allow_registry_fix: str = "add {registry} to the stack's allowed registries"
    required_platforms: tuple[str, ...] = ()
    allow_prerelease: bool = False
    base_dir: Path | None = None


Scope = Literal["dockerfile", "resource"]


@dataclass(frozen=True, eq=False)
class Rule:
    """A rule's public metadata and its pure check (one object per rule: compared and hashed by
    identity, so a selection of rules is a cheap cache key)."""

    id: str
    severity: Severity
    title: str
    rationale: str
    fix: str
    scope: tuple[Scope, ...]
    check: Callable[[Subject, Settings], list[Finding]] = field(repr=False, compare=False)
    config: tuple[str, ...] = ()
    """The `Settings` fields the rule reads (documented, and exposed as policy config)."""
    types: frozenset[str] | None = None
    """Resource types its resource check reads (None: any resource, e.g. for `suppress`)."""

    def reads(self, resource_type: str) -> bool:
        """Whether the resource check can find anything on a resource of this type."""
        return "resource" in self.scope and (self.types is None or resource_type in self.types)

    def violation(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        resource: str | None = None,
    ) -> Violation:
        return Violation(self.id, self.severity, redact(message), file, line, resource)

    def note(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        resource: str | None = None,
    ) -> Note:
        return Note(self.id, redact(message), file, line, resource)
