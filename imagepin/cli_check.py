"""`imagepin check` and `imagepin rules`.

    $ imagepin check --dockerfile Dockerfile [more/Dockerfile...] [--format text|json|sarif]
                     [--strict] [--lock images.lock] [--allow-registry HOST]... [--allow-prerelease]
    $ imagepin rules [--markdown | --json]

Exit codes: 0 no failing violation, 1 an error (with --strict: or a warning), 2 usage errors
(a missing file, an unparsable Dockerfile, a bad option). `--stack NAME` needs the program run
under mocks (`imagepin preview`), which this command cannot do yet: it exits 2 and says so.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from imagepin.check import Report, check_dockerfile_paths, render_json, render_text
from imagepin.errors import ConfigError
from imagepin.lock import DEFAULT_PATH, Lock
from imagepin.rules import RULES, Settings
from imagepin.rules.reference import markdown
from imagepin.sarif import render_sarif


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _on(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-01-01", param_hint="--on"
        ) from None


def _lock(path: Path | None) -> Lock | None:
    if path is None:
        return Lock.load(DEFAULT_PATH) if DEFAULT_PATH.is_file() else None
    if not path.is_file():
        raise ConfigError(f"{path}: no such lock file (--lock); give the path of images.lock")
    return Lock.load(path)


def stack_unavailable(stack: str) -> ConfigError:
    return ConfigError(
        f"`imagepin check --stack {stack}` runs the Pulumi program under mocks and checks the "
        "resources it registers, which needs `imagepin preview` (not available in this "
        "version); check Dockerfiles with `imagepin check --dockerfile PATH`, or run "
        f"`pulumi preview --stack {stack} --policy-pack policies` with the Pulumi CLI"
    )


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
        help="images.lock to compare pinned digests with (default: ./images.lock if present).",
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
) -> None:
    """Check Dockerfiles (or a stack) against the imagepin rules."""
    files = [*dockerfile, *(paths or [])]
    if stack is not None:
        raise stack_unavailable(stack)
    if not files:
        raise typer.BadParameter(
            "nothing to check: give --dockerfile PATH (e.g. `imagepin check --dockerfile "
            "Dockerfile`) or --stack NAME",
            param_hint="--dockerfile",
        )
    settings = Settings(
        today=_on(on),
        lock=_lock(lock),
        allowed_registries=tuple(allow_registry),
        allow_prerelease=allow_prerelease,
    )
    report = check_dockerfile_paths(files, settings)
    _print(report, output_format, f"{len(files)} Dockerfile{'s' * (len(files) != 1)}")
    raise typer.Exit(report.exit_code(strict))


def _print(report: Report, output_format: Format, checked: str) -> None:
    if output_format is Format.json:
        typer.echo(render_json(report))
    elif output_format is Format.sarif:
        typer.echo(render_sarif(report))
    else:
        typer.echo(render_text(report, checked))


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
        typer.echo(markdown(), nl=False)
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
        typer.echo(json.dumps({"rules": rules}, indent=2))
        return
    width = max(len(r.id) for r in RULES.values())
    for r in RULES.values():
        typer.echo(f"{r.id:<{width}}  {r.severity.value:<7}  {r.title}")
