"""The `imagepin` command line: `imagepin base | lock | render | preview | check | rules`.

Exit codes: 0 ok, 1 policy violations or a stale lock, 2 usage, config or registry errors.
Errors print one message that names the file, key or reference and the fix; no traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from imagepin import __version__
from imagepin.cli_base import base_command
from imagepin.cli_check import check_command, rules_command
from imagepin.cli_lock import lock_app
from imagepin.cli_preview import preview_command
from imagepin.cli_render import render_command
from imagepin.console import err, out
from imagepin.errors import ImagepinError

app = typer.Typer(
    name="imagepin",
    help="Pin Python base images by digest, build them for every platform, check the result.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("base")(base_command)
app.add_typer(lock_app, name="lock")
app.command("render")(render_command)
app.command("preview")(preview_command)
app.command("check")(check_command)
app.command("rules")(rules_command)


def _version(value: bool) -> None:
    if value:
        out.print(f"imagepin {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Pin Python base images by digest, build them for every platform, check the result."""


def main() -> None:
    """Console-script entry point: run the app and turn our errors into exit codes."""
    try:
        app()
    except ImagepinError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
