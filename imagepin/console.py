"""What every CLI command shares: the consoles (results on stdout, progress and errors on
stderr) and option parsing."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console

out = Console(highlight=False, emoji=False)  # `:x:` in a message is text, not an emoji
err = Console(stderr=True, highlight=False, emoji=False)


def parse_date(value: str | None, option: str = "--on") -> date:
    """A `--on YYYY-MM-DD` option's date (today when not given); a bad one is a usage error."""
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-01-01", param_hint=option
        ) from None
