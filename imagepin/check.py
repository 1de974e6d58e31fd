"""The engine behind `imagepin check` and the policy pack: the rules over Dockerfiles and over
the resources a program registers, suppressions applied, one `Report` out.

    report = check_dockerfile_paths(["Dockerfile"], Settings(lock=Lock.load(missing_ok=True)))
    report = check_resources(recorded, settings)   # [{"type", "name", "inputs", "options"}, ...]
    report.exit_code(strict=False)                 # 1 on an error (strict: on a warning too)

`check_resources` takes what a preview recorder saw (dicts, or records with the same
attributes; `urn`/`parent` link children to components), runs the resource rules on each and the
Dockerfile rules on each `docker-build:index:Image`'s Dockerfile (inline, or `location` read
under `Settings.base_dir`) with its build args, platforms and target. A component's `suppress`
mapping covers the component and everything under it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from imagepin.check_files import read_all
from imagepin.rules import RULES, SUPPRESSION_RULES
from imagepin.rules.base import Finding, Note, Rule, Settings, Severity, Violation
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.image_dockerfile import dockerfile_of
from imagepin.rules.resources import Resource, build_of
from imagepin.rules.suppressions import Suppression, from_mapping
from imagepin.rules.values import UNKNOWN, is_secret, reveal, reveals, secret_texts


@dataclass(frozen=True)
class Report:
    violations: tuple[Violation, ...] = ()
    notes: tuple[Note, ...] = ()

    def __add__(self, other: Report) -> Report:
        if not (other.violations or other.notes):
            return self
        if not (self.violations or self.notes):
            return other
        return Report(self.violations + other.violations, self.notes + other.notes)

    def count(self, severity: Severity) -> int:
        return sum(1 for v in self.violations if v.severity is severity)

    def exit_code(self, strict: bool = False) -> int:
        """1 when an error (with `strict`, also a warning) was found, else 0."""
        failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
        return 1 if any(v.severity in failing for v in self.violations) else 0

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"violations": [v.to_json() for v in self.violations]}
        if self.notes:
            doc["notes"] = [n.to_json() for n in self.notes]
        return doc

    def summary(self) -> str:
        plural = {Severity.ERROR: "errors", Severity.WARNING: "warnings", Severity.INFO: "info"}
        counts = [
            f"{n} {s.value if n == 1 else plural[s]}" for s in Severity if (n := self.count(s))
        ]
        total = len(self.violations)
        head = f"{total} violation{'s' * (total != 1)}"
        return head + (f" ({', '.join(counts)})" if counts else "")


_ORDER = {rule_id: i for i, rule_id in enumerate(RULES)}
_NONE = Report()


_ALL = tuple(RULES.values())


def _select(rules: Iterable[Rule] | None) -> tuple[Rule, ...]:
    return _ALL if rules is None else tuple(rules)


def _suppressed(
    finding: Finding, dockerfile: Dockerfile | None, resource_level: Sequence[Suppression]
) -> bool:
    if finding.rule in SUPPRESSION_RULES:
        return False
    if any(s.active and finding.rule in s.rules for s in resource_level):
        return True
    if dockerfile is None or finding.file != dockerfile.file:
        return False
    return any(s.covers_line(finding.rule, finding.line) for s in dockerfile.suppressions)


def _report(
    findings: list[Finding],
    dockerfile: Dockerfile | None = None,
    resource_level: Sequence[Suppression] = (),
) -> Report:
    if not findings:
        return _NONE
    kept = findings
    if resource_level or (dockerfile is not None and dockerfile.suppressions):
        kept = [f for f in findings if not _suppressed(f, dockerfile, resource_level)]
    if len(kept) > 1:
        kept = list(dict.fromkeys(kept))
        kept.sort(key=_position)
    violations = tuple(f for f in kept if isinstance(f, Violation))
    if len(violations) == len(kept):
        return Report(violations)
    return Report(violations, tuple(f for f in kept if isinstance(f, Note)))


def _position(finding: Finding) -> tuple[int, int]:
    """Where a finding is reported: by line, then in the rules' order."""
    return finding.line or 0, _ORDER.get(finding.rule, len(_ORDER))


PerRule = Mapping[str, Settings]
"""Settings for some rules by ID (the policy pack configures each policy on its own)."""


@lru_cache(maxsize=1024)
def _applicable(rules: tuple[Rule, ...], scope: str, kind: str) -> tuple[Rule, ...]:
    """The rules of `rules` that can find anything on a subject of this scope and resource type
    (the policy pack checks every resource with one of a few selections)."""
    return tuple(r for r in rules if (r.reads(kind) if scope == "resource" else scope in r.scope))


def _run(
    rules: tuple[Rule, ...], scope: str, subject: Any, settings: Settings, per_rule: PerRule
) -> list[Finding]:
    found: list[Finding] = []
    kind = subject.type if scope == "resource" else ""
    for rule in _applicable(rules, scope, kind):
        found += rule.check(subject, per_rule.get(rule.id, settings) if per_rule else settings)
    return found


def check_dockerfile(
    dockerfile: Dockerfile,
    settings: Settings,
    rules: Iterable[Rule] | None = None,
    resource_level: Sequence[Suppression] = (),
    *,
    per_rule: PerRule | None = None,
) -> Report:
    """The Dockerfile rules on one parsed Dockerfile, its suppression comments applied."""
    found = _run(_select(rules), "dockerfile", dockerfile, settings, per_rule or {})
    return _report(found, dockerfile, resource_level)


def check_text(
    text: str,
    settings: Settings,
    rules: Iterable[Rule] | None = None,
    *,
    file: str | None = "Dockerfile",
    build_args: Mapping[str, str] | None = None,
    platforms: Sequence[str] | None = None,
    target: str | None = None,
) -> Report:
    """The Dockerfile rules on Dockerfile text (parsed as if built with these build args,
    platforms and target)."""
    dockerfile = Dockerfile.parse(
        text, file=file, build_args=build_args, platforms=platforms, target=target
    )
    return check_dockerfile(dockerfile, settings, rules)


def check_dockerfile_paths(
    paths: Sequence[str | Path], settings: Settings, rules: Iterable[Rule] | None = None
) -> Report:
    """Read and check each Dockerfile. Files that cannot be read or parsed are a `ConfigError`
    naming each of them (`check_files.read_all`), raised before anything is checked."""
    report = Report()
    for dockerfile in read_all(paths):
        report += check_dockerfile(dockerfile, settings, rules)
    return report


# --- resources -----------------------------------------------------------------------------


def _ancestors(resource: Resource, index: Mapping[str, Resource]) -> list[Resource]:
    found: list[Resource] = []
    seen = {id(resource)}
    parent = resource.parent
    while parent is not None and parent in index:
        ancestor = index[parent]
        if id(ancestor) in seen:
            break
        seen.add(id(ancestor))
        found.append(ancestor)
        parent = ancestor.parent
    return found


def check_resources(
    resources: Iterable[Resource | Mapping[str, Any] | object],
    settings: Settings,
    rules: Iterable[Rule] | None = None,
    *,
    context: Iterable[Resource | Mapping[str, Any] | object] = (),
    per_rule: PerRule | None = None,
) -> Report:
    """The rules over recorded resources (and each image's Dockerfile).

    Each item is `{"type", "name", "inputs", "options"}` (plus optional `urn`, `parent`,
    `suppress`) or an object with those attributes. `context` holds resources that are only
    looked up as parents (their `suppress` applies to their children), not checked. `per_rule`
    gives some rules their own settings (the rest use `settings`).
    """
    overrides = per_rule or {}
    chosen = _select(rules)
    checked = [Resource.from_any(r) for r in resources]
    index: dict[str, Resource] = {}
    if any(r.parent is not None for r in checked):  # only parents are looked up
        for r in [Resource.from_any(r) for r in context] + checked:
            index.setdefault(r.name, r)
            if r.urn:
                index[r.urn] = r
    report = Report()
    for resource in checked:
        level = from_mapping(resource.suppress, resource.name)
        unknown = resource if reveal(resource.suppress) is UNKNOWN else None
        for ancestor in _ancestors(resource, index):
            level += from_mapping(ancestor.suppress, ancestor.name)
            if unknown is None and reveal(ancestor.suppress) is UNKNOWN:
                unknown = ancestor
        found = _report(_run(chosen, "resource", resource, settings, overrides), None, level)
        build = None if resource.is_component else build_of(resource)
        if build is not None and _applicable(chosen, "dockerfile", ""):
            dockerfile = dockerfile_of(resource, settings.base_dir)
            if isinstance(dockerfile, Note):
                in_file = Report(notes=(dockerfile,))
            else:
                in_file = check_dockerfile(dockerfile, settings, chosen, level, per_rule=overrides)
            if (in_file.violations or in_file.notes) and _secret_dockerfile(resource):
                in_file = _withheld(in_file, _SECRET_FILE)
            found += in_file
        if unknown is not None:
            found = _undecided(found, unknown)
        report += _without_secrets(found, resource)
    return report


def _undecided(report: Report, holder: Resource) -> Report:
    """`report` with its violations as notes: `holder`'s `suppress`, unknown as a whole at
    preview, may cover any of them (a false positive would block the preview)."""
    if not report.violations:
        return report
    kept = tuple(v for v in report.violations if v.rule in SUPPRESSION_RULES)
    moved = tuple(
        Note(
            v.rule,
            f"{v.message} (not enforced at preview: the suppress of {holder.label} is unknown "
            f"until deployment and may cover {v.rule})",
            v.file,
            v.line,
            v.resource,
        )
        for v in report.violations
        if v.rule not in SUPPRESSION_RULES
    )
    return Report(kept, report.notes + moved)


_F = TypeVar("_F", Violation, Note)


def _secret_dockerfile(resource: Resource) -> bool:
    """Whether the resource's Dockerfile (its text or where it is) is a Pulumi secret."""
    spec = resource.inputs.get("dockerfile")
    if is_secret(spec):
        return True
    spec = reveal(spec)
    return isinstance(spec, Mapping) and any(is_secret(v) for v in spec.values())


def _withheld(report: Report, why: str, only: set[str] | None = None) -> Report:
    """`report` with the details of its findings left out (those that show one of `only`, when
    given): just the rule's title, and why."""

    def hide(finding: _F) -> _F:
        text = f"{finding.message} {finding.file or ''}"
        if only is not None and not reveals(text, only):
            return finding
        title = RULES[finding.rule].title if finding.rule in RULES else "Not checked"
        return replace(finding, message=f"{title} (details withheld: {why})", file=None)

    return Report(tuple(map(hide, report.violations)), tuple(map(hide, report.notes)))


_SECRET_FILE = (
    "the Dockerfile is a Pulumi secret; check it with `imagepin check --dockerfile` where it can "
    "be read"
)
_SECRET_VALUE = "they would show a value held in a Pulumi secret"


def _without_secrets(report: Report, resource: Resource) -> Report:
    """`report` without anything held in one of the resource's secrets: a finding that would
    show one keeps only its rule's title."""
    if not (report.violations or report.notes):
        return report
    secrets = secret_texts(resource.inputs) | secret_texts(resource.suppress)
    return _withheld(report, _SECRET_VALUE, secrets) if secrets else report


# --- output --------------------------------------------------------------------------------


def render_text(report: Report, checked: str) -> str:
    """One line per violation (`where: severity RULE message`), the notes, then a summary."""
    lines = [f"{v.where}: {v.severity.value} {v.rule} {v.message}" for v in report.violations]
    lines += [f"{n.where}: note {n.rule} {n.message}" for n in report.notes]
    lines.append(f"{report.summary()} in {checked}")
    return "\n".join(lines)


def render_json(report: Report) -> str:
    return json.dumps(report.to_json(), indent=2)
