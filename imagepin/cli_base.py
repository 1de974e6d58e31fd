"""`imagepin base`: the reference of one Python base image, or the whole catalog.

    $ imagepin base 3.12 --variant slim --distro bookworm
    docker.io/library/python:3.12-slim-bookworm
    $ imagepin base --list [--legacy] [--on 2027-01-01] [--json]

Unknown or impossible bases raise `UnknownBase`, which `imagepin.cli.main` turns into exit code 2
and one message naming the nearest valid choice.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import typer
from rich.box import SIMPLE_HEAD
from rich.table import Table

from imagepin.catalog import (
    DEFAULT_REGISTRY,
    AnyBase,
    PythonBase,
    catalog,
    default_distro,
    lifecycle_table,
    newest_series,
    parse_variant,
    support_status,
)
from imagepin.console import err, out, parse_date

FLOATING = "floating"
"""`--distro floating` asks for the tag that follows new distro releases (`3.12-slim`)."""


def describe(base: AnyBase, on: date) -> dict[str, Any]:
    """The JSON object `imagepin base --json` prints for one base."""
    return {
        "reference": str(base.reference),
        "repository": base.repository,
        "tag": base.tag,
        "version": base.version,
        "variant": base.variant,
        "distro": base.distro,
        "is_prerelease": base.is_prerelease,
        "end_of_life": base.end_of_life.isoformat(),
        "supported": base.is_supported(on),
        "platforms": list(base.platforms),
    }


def _table(bases: list[AnyBase], on: date) -> Table:
    reviewed = lifecycle_table().reviewed
    table = Table(title=f"Python bases on {on} (lifecycle reviewed {reviewed})", box=SIMPLE_HEAD)
    table.add_column("Image", no_wrap=True)
    table.add_column("Python")
    table.add_column("End of life")
    table.add_column("Status")
    for base in bases:
        status = support_status(base, on)
        style = "green" if status == "supported" else "yellow"
        table.add_row(
            base.reference.familiar(),
            base.version,
            base.end_of_life.isoformat(),
            f"[{style}]{status}[/]",
        )
    return table


def base_command(
    version: str | None = typer.Argument(
        None,
        metavar="VERSION",
        help="Python version: a series (3.12), a major (3), a release (3.12.7), a pre-release "
        "(3.15.0a8, 3.15.0rc2) or a pre-release line (3.15-rc).",
        show_default=False,
    ),
    variant: str = typer.Option(
        "slim", "--variant", help="full, slim, alpine or windowsservercore."
    ),
    distro: str | None = typer.Option(
        None,
        "--distro",
        help="Debian codename (bookworm, trixie), Alpine release (alpine3.22) or Windows release "
        f"(ltsc2022, ltsc2025); '{FLOATING}' for the tag that follows new distro releases. "
        "Default: bookworm for full and slim, chosen explicitly so the tag never moves to a new "
        "Debian release; for alpine and windowsservercore the newest release carrying VERSION.",
        show_default=False,
    ),
    registry: str = typer.Option(
        DEFAULT_REGISTRY,
        "--registry",
        help="Registry or mirror the base comes from, e.g. 127.0.0.1:5000.",
    ),
    list_: bool = typer.Option(
        False, "--list", help="List the catalog with each base's support status."
    ),
    legacy: bool = typer.Option(
        False, "--legacy", help="With --list: include bases past their end of life."
    ),
    on: str | None = typer.Option(
        None,
        "--on",
        metavar="YYYY-MM-DD",
        help="Judge support on this date instead of today.",
        show_default=False,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Print the full reference of a Python base image, or the catalog with --list."""
    when = parse_date(on)
    if list_:
        if version is not None:
            raise typer.BadParameter(
                f"give VERSION or --list, not both: `imagepin base {version}` prints one base, "
                "`imagepin base --list` the catalog",
                param_hint="--list",
            )
        bases = catalog(include_legacy=legacy, on=when, registry=registry)
        if as_json:
            typer.echo(json.dumps({"bases": [describe(b, when) for b in bases]}, indent=2))
        else:
            out.print(_table(bases, when))
        return
    if version is None:
        raise typer.BadParameter(
            "missing: type `imagepin base 3.12` for one base (it prints "
            "docker.io/library/python:3.12-slim-bookworm) or `imagepin base --list` for them all",
            param_hint="VERSION",
        )
    if legacy:
        raise typer.BadParameter(
            "only applies to --list: type `imagepin base --list --legacy`", param_hint="--legacy"
        )
    kind = parse_variant(variant)
    chosen = None if distro == FLOATING else distro or default_distro(version, kind)
    base = PythonBase(version=version, variant=kind, distro=chosen, registry=registry)
    if as_json:
        typer.echo(json.dumps(describe(base, when), indent=2))
    else:
        typer.echo(str(base.reference))
    status = support_status(base, when)
    if status != "supported":
        newest = newest_series(when)
        err.print(
            f"warning: {base.tag} is {status} (python {base.series}, PEP {base.pep}); "
            f"for production pick {newest}: `imagepin base {newest}`",
            soft_wrap=True,
        )
