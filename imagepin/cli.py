"""The `imagepin` command line: `imagepin base | lock | render | preview | check | rules`.

Exit codes: 0 ok, 1 policy violations or a stale lock, 2 usage, config or registry errors.
Errors print one message that names the file, key or reference and the fix; no traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer
from rich.markup import escape

from imagepin import __version__
from imagepin.console import err, out, write_failed, writing_failed
from imagepin.errors import ImagepinError

# Each command's module is imported only when that command runs (or for help): `lock add` should
# not pay for the catalog, the rules and pydantic's config models before its first request.
COMMANDS: dict[str, tuple[str, str]] = {
    "base": ("imagepin.cli_base", "base_command"),
    "lock": ("imagepin.cli_lock", "lock_app"),
    "render": ("imagepin.cli_render", "render_command"),
    "preview": ("imagepin.cli_preview", "preview_command"),
    "check": ("imagepin.cli_check", "check_command"),
    "rules": ("imagepin.cli_check", "rules_command"),
}


def build_app(names: Sequence[str] = tuple(COMMANDS)) -> typer.Typer:
    """The Typer app with the named commands registered (all of them by default)."""
    application = typer.Typer(
        name="imagepin",
        help="Pin Python base images by digest, build them for every platform, check the result.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    application.callback()(_root)
    for name in names:
        module, attribute = COMMANDS[name]
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            application.add_typer(target, name=name)
        else:
            application.command(name)(target)
    return application


def _version(value: bool) -> None:
    if value:
        out.print(f"imagepin {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Pin Python base images by digest, build them for every platform, check the result."""


def main() -> None:
    """Console-script entry point: run the app and turn our errors into exit codes."""
    command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
    try:
        try:
            build_app([command] if command in COMMANDS else list(COMMANDS))()
        except OSError as exc:
            if not writing_failed(exc):  # an error of the command itself, not of its output
                raise
            raise write_failed(exc, "the output") from None
        finally:  # what is still buffered goes now, where a failure is reported (not at exit)
            if sys.stdout is not None:
                try:
                    sys.stdout.flush()
                except OSError as exc:
                    raise write_failed(exc, "the output") from None
    except ImagepinError as exc:
        for message in exc.messages():
            err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)


def __getattr__(name: str) -> typer.Typer:
    # `imagepin.cli.app`: the whole app, for CliRunner and for tools that import it.
    if name == "app":
        return build_app()
    raise AttributeError(name)
