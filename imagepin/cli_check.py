"""`imagepin check` and `imagepin rules`.

    $ imagepin check --dockerfile Dockerfile [more/Dockerfile...] [--format text|json|sarif]
                     [--strict] [--lock images.lock] [--allow-registry HOST]... [--allow-prerelease]
    $ imagepin check --stack prod [--root .] [--lock images.lock] [--format sarif]
    $ imagepin rules [--markdown | --json]

`--stack NAME` runs the program under Pulumi's mock monitor (as `imagepin preview` does: no CLI,
cloud or credentials) and checks every resource it registers, with the rule settings and
enforcement of `policies/config/<stack>.json` (the policy pack's config for that stack,
validated as the engine would); `--lock` is then also the lock the program's components pin from.
Exit codes: 0 no failing violation, 1 an error (with --strict: or a warning), 2 usage errors
(missing or unparsable Dockerfiles, each named; a bad policy config; a stack the program cannot
run or that exits on its own; a bad option; a report that cannot be written). A file named several
ways (`Dockerfile`, `./Dockerfile`, an absolute path, a symlink) is checked once, under its first
spelling.
"""

from __future__ import annotations

import importlib
import io
import json
import os
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer
from rich.box import SIMPLE_HEAD
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from imagepin.check import (
    Report,
    check_dockerfile_paths,
    check_resources,
    render_json,
    render_text,
)
from imagepin.check_files import unique
from imagepin.config_files import program_file, stack_files
from imagepin.console import emit, out, parse_date
from imagepin.errors import ConfigError
from imagepin.lock import DEFAULT_PATH, Lock, load_option
from imagepin.policy_config import PolicyConfig
from imagepin.rules import RULES, Settings, Severity
from imagepin.rules.base import Violation
from imagepin.rules.reference import markdown
from imagepin.sarif import render_sarif


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _lock(path: Path | None) -> Lock | None:
    if path is None:
        return Lock.load(DEFAULT_PATH) if DEFAULT_PATH.is_file() else None
    return load_option(path)


@dataclass(frozen=True)
class _Overrides:
    """What the command line sets on top of a stack's policy config."""

    lock: Lock | None
    registries: tuple[str, ...]
    prerelease: bool

    def apply(self, settings: Settings, root: Path, policy_file: str) -> Settings:
        """`settings` (from `policy_file`) with the command line's on top; REG001's fix names
        where the allow-list it read came from."""
        from_policy = f"add {{registry}} to allowedRegistries of REG001 in {policy_file}"
        return replace(
            settings,
            base_dir=root,
            lock=self.lock if self.lock is not None else settings.lock,
            allowed_registries=self.registries or settings.allowed_registries,
            allow_registry_fix=ALLOW_REGISTRY_FIX if self.registries else from_policy,
            allow_prerelease=self.prerelease or settings.allow_prerelease,
        )


ALLOW_REGISTRY_FIX = "pass `--allow-registry {registry}`"
"""REG001's fix when the allow-list comes from the command line."""


def _registries(values: list[str]) -> tuple[str, ...]:
    """--allow-registry values; an empty one (which would allow nothing) is a usage error."""
    for value in values:
        if not value.strip().strip("/"):
            raise typer.BadParameter(
                f"{value!r} is empty, which allows no registry; give a host (docker.io), a host "
                "pattern (*.dkr.ecr.*.amazonaws.com) or a repository prefix (ghcr.io/acme), or "
                "leave --allow-registry out to allow any registry",
                param_hint="--allow-registry",
            )
    return tuple(values)


def _stack_report(
    stack: str, root: Path, overrides: _Overrides, on: date
) -> tuple[Report, str, str]:
    """(report, what was checked, the stack file for SARIF) for the resources `stack` records.

    The program runs under Pulumi's mock monitor (`imagepin preview`), its components pinning
    from --lock when given; the rules read `policies/config/<stack>.json`, the config the policy
    pack gets for that stack (checked first, as the engine would), with the command line's
    --lock (in place of its lockFile) / --allow-registry / --allow-prerelease on top.
    """
    root = root.resolve()
    program_file(root)
    _, name = stack_files(root).resolve(stack)
    policy = PolicyConfig.load(root, name)
    enabled, per_rule = policy.rules(search=[root], today=on, lock_given=overrides.lock is not None)
    try:
        runner = importlib.import_module("components.cli_preview")
    except ImportError as exc:
        raise ConfigError(
            f"`imagepin check --stack {stack}` runs the program with the components package and "
            f"pulumi, which cannot be imported here ({exc}); install the project "
            "(`pip install -e .`) or check Dockerfiles with --dockerfile"
        ) from None
    recording = runner.run_preview(stack, root, overrides.lock)
    per_rule = {rule: overrides.apply(s, root, policy.shown) for rule, s in per_rule.items()}
    settings = overrides.apply(Settings(today=on), root, policy.shown)
    # registration order varies between runs (resources are registered concurrently): sort
    resources = sorted(recording.resources, key=lambda r: (r.name, r.type))
    report = check_resources(resources, settings, [RULES[r] for r in enabled], per_rule=per_rule)
    report = _at_levels(report, policy.levels)
    shown = f"stack {recording.stack} ({len(recording.resources)} resources)"
    stack_file = next(
        (
            str(p.relative_to(root))
            for p in (root / "stacks").glob(f"Pulumi.{recording.stack}.yaml")
        ),
        "Pulumi.yaml",
    )
    return report, shown, stack_file


def _at_levels(report: Report, levels: dict[str, str]) -> Report:
    """Violations at the severity the stack's enforcement level gives them, as the policy pack
    would: `mandatory` (and `remediate`) fail, `advisory` warns (an info rule stays info)."""

    def at(v: Violation) -> Violation:
        level = levels.get(v.rule)
        if level in ("mandatory", "remediate"):
            severity = Severity.ERROR
        elif level == "advisory" and v.severity is Severity.ERROR:
            severity = Severity.WARNING
        else:
            return v
        return v if severity is v.severity else replace(v, severity=severity)

    return Report(tuple(map(at, report.violations)), report.notes)


def check_command(
    paths: list[Path] = typer.Argument(
        None, metavar="PATH", help="More Dockerfiles (after --dockerfile).", show_default=False
    ),
    dockerfile: list[Path] = typer.Option(
        [], "--dockerfile", "-f", help="A Dockerfile to check (repeatable).", show_default=False
    ),
    stack: str | None = typer.Option(
        None, "--stack", help="Check the resources a stack's program registers.", show_default=False
    ),
    output_format: Format = typer.Option(Format.text, "--format", help="text, json or sarif."),
    strict: bool = typer.Option(False, "--strict", help="Fail on warnings too."),
    lock: Path | None = typer.Option(
        None,
        "--lock",
        help="images.lock to compare pinned digests with (default: ./images.lock if present); "
        "with --stack also the lock the program's components pin from.",
        dir_okay=False,
        show_default=False,
    ),
    allow_registry: list[str] = typer.Option(
        [],
        "--allow-registry",
        help="A registry images may come from (repeatable; default: any).",
        show_default=False,
    ),
    allow_prerelease: bool = typer.Option(
        False, "--allow-prerelease", help="Allow pre-release Pythons (dev stacks)."
    ),
    on: str | None = typer.Option(
        None,
        "--on",
        metavar="YYYY-MM-DD",
        help="Judge end of life on this date instead of today.",
        show_default=False,
    ),
    root: Path = typer.Option(
        Path(), "--root", help="With --stack: the project root (where Pulumi.yaml is)."
    ),
) -> None:
    """Check Dockerfiles (or a stack) against the imagepin rules."""
    files = unique([*dockerfile, *(paths or [])])  # each file once, as first spelled
    when = parse_date(on)
    registries = _registries(allow_registry)
    if stack is not None:
        if files:
            raise typer.BadParameter("give --stack or --dockerfile, not both", param_hint="--stack")
        overrides = _Overrides(
            _lock(lock) if lock is not None else None, registries, allow_prerelease
        )
        report, checked, stack_file = _stack_report(stack, root, overrides, when)
        _print(report, output_format, checked, default_uri=stack_file, base=root)
        raise typer.Exit(report.exit_code(strict))
    if not files:
        raise typer.BadParameter(
            "nothing to check: give --dockerfile PATH (e.g. `imagepin check --dockerfile "
            "Dockerfile`) or --stack NAME",
            param_hint="--dockerfile",
        )
    settings = Settings(
        today=when,
        lock=_lock(lock),
        allowed_registries=registries,
        allow_registry_fix=ALLOW_REGISTRY_FIX,
        allow_prerelease=allow_prerelease,
    )
    report = check_dockerfile_paths(files, settings)
    _print(report, output_format, f"{len(files)} Dockerfile{'s' * (len(files) != 1)}")
    raise typer.Exit(report.exit_code(strict))


def _print(
    report: Report,
    output_format: Format,
    checked: str,
    default_uri: str | None = None,
    base: Path | None = None,
) -> None:
    """Print the report in one piece (`emit`): a write that fails is exit 2, not a traceback."""
    if output_format is Format.json:
        emit(render_json(report), "the JSON report")
    elif output_format is Format.sarif:
        emit(render_sarif(report, default_uri, base), "the SARIF report")
    else:
        emit(render_text(report, checked), "the report")


def rules_command(
    as_markdown: bool = typer.Option(
        False, "--markdown", help="Print the rules reference (docs/RULES.md) as Markdown."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the rules as JSON."),
) -> None:
    """List the rules: ID, severity, title, fix."""
    if as_markdown and as_json:
        raise typer.BadParameter("give --markdown or --json, not both", param_hint="--json")
    if as_markdown:
        emit(markdown().removesuffix("\n"), "the rules reference")
        return
    if as_json:
        rules = [
            {
                "id": r.id,
                "severity": r.severity.value,
                "title": r.title,
                "rationale": r.rationale,
                "fix": r.fix,
                "checks": list(r.scope),
            }
            for r in RULES.values()
        ]
        emit(json.dumps({"rules": rules}, indent=2), "the rules")
        return
    table = Table(box=SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("ID", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Title", overflow="fold")
    table.add_column("Fix", overflow="fold")  # all of it: a long `command` wraps
    for r in RULES.values():
        table.add_row(r.id, r.severity.value, escape(r.title), escape(r.fix))
    # piped (`imagepin rules | grep ERROR`) with no COLUMNS: one line per rule, not 80 columns
    wide = not out.is_terminal and "COLUMNS" not in os.environ
    buffer = io.StringIO()
    width = 10_000 if wide else out.width
    Console(file=buffer, width=width, color_system=None, highlight=False, emoji=False).print(table)
    emit("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()), "the rules")
