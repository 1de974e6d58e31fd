"""`imagepin preview --stack NAME`: what the program would register, offline.

The work happens in `components.cli_preview` (it runs the program under Pulumi's mock monitor, so
it imports pulumi); this module only declares the command and loads that on use, so the core
and every other command stay free of pulumi.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path

import typer

from imagepin.lock import load_option


class Format(StrEnum):
    text = "text"
    json = "json"


def preview_command(
    stack: str = typer.Option(..., "--stack", "-s", help="Stack name (dev) or stack file."),
    fmt: Format = typer.Option(Format.text, "--format", help="text (a table) or json."),
    root: Path = typer.Option(Path(), "--root", help="The project root (where Pulumi.yaml is)."),
    lock: Path | None = typer.Option(
        None,
        "--lock",
        help="The images.lock the components pin from (default: each one's lock_file).",
        dir_okay=False,
        show_default=False,
    ),
) -> None:
    """Run the program under Pulumi's mock monitor and print what it would register.

    No Pulumi CLI, cloud or credentials. JSON shows inputs under the names the engine receives,
    secrets as "[secret]" and values unknown at preview as "[unknown]".
    """
    given = load_option(lock) if lock is not None else None
    runner = importlib.import_module("components.cli_preview")
    runner.print_recording(runner.run_preview(stack, root, given), fmt.value)
