"""`imagepin preview --stack NAME`: the program under the mock monitor, offline.

Reads the stack file (`stacks/Pulumi.<stack>.yaml`), hands its `config:` to the Pulumi SDK as
the engine would, runs `__main__.py` under `components.preview.record`, and prints the resources
it would register (a table, or JSON with engine property names, secrets as "[secret]" and values
unknown at preview as "[unknown]"). No Pulumi CLI, cloud or credentials.

Lives beside the components (it imports pulumi); `imagepin.cli` loads it only when asked.
"""

import contextlib
import json
import os
import runpy
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from rich.table import Table

from components._lock import lock_for_run
from components.preview import SECRET, Recording, record
from imagepin.config_files import display_path, program_file, read_stack_file, stack_files
from imagepin.console import out
from imagepin.errors import ConfigError, ImagepinError
from imagepin.lock import Lock


def engine_config(path: Path, root: Path) -> tuple[dict[str, str], list[str]]:
    """The stack file's config as the engine hands it to a program: `ns:key` -> string.

    Structured values are JSON; `secure:` values (encrypted, no key here) become "[secret]".
    """
    read_stack_file(path, display_path(path, root))  # syntax and imagepin keys, with lines
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    config: dict[str, str] = {}
    secrets: list[str] = []
    for key, value in (data.get("config") or {}).items():
        full = key if ":" in key else f"{project_name(root)}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full] = SECRET
            secrets.append(full)
        elif isinstance(value, str):
            config[full] = value
        else:
            config[full] = json.dumps(value)
    return config, secrets


def project_name(root: Path) -> str:
    data = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8"))
    return str(data["name"])


@contextmanager
def _inside(root: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(before)


def run_preview(stack: str, root: Path = Path(), lock: Lock | None = None) -> Recording:
    """Record what the project's program registers for `stack`, as `pulumi preview` would.

    With `lock`, the components pin from it instead of their `lock_file` (`--lock PATH`). The
    program's output goes to stderr, its Python prints and whatever it (or a process it starts)
    writes to file descriptor 1: stdout carries only the JSON or SARIF asked for.
    """
    root = root.resolve()
    program = program_file(root)
    path, name = stack_files(root).resolve(stack)
    config, secrets = engine_config(path, root)
    shown = display_path(program, root)

    def run() -> None:
        runpy.run_path(str(program), run_name="__main__")

    with (
        _inside(root),
        _stdout_fd_to_stderr(),
        contextlib.redirect_stdout(sys.stderr),
        lock_for_run(lock),
    ):
        try:
            return record(
                run,
                project=project_name(root),
                stack=name,
                config=config,
                secret_keys=tuple(secrets),
                preview=True,
            )
        except ImagepinError:
            raise  # already names the file, key or reference and the fix
        except SystemExit as exc:
            raise ConfigError(
                f"{shown}: the program exited ({_exit_code(exc)}) before it finished for stack "
                f"{name}{_where(exc, root)}; nothing it would register after that is recorded or "
                "checked: remove the sys.exit call (raise an exception to make the program fail)"
            ) from None
        except Exception as exc:
            raise ConfigError(
                f"{shown}: the program failed for stack {name}"
                f"{_where(exc, root)}: {type(exc).__name__}: {exc}; fix the program (`imagepin "
                f"preview --stack {name}` runs it the same way)"
            ) from None


def _exit_code(exc: SystemExit) -> str:
    """`code 3`, as the process would have exited; `sys.exit("msg")` exits 1 with the message."""
    if exc.code is None or isinstance(exc.code, int):
        return f"code {int(exc.code or 0)}"
    return f"code 1: {exc.code}"


@contextmanager
def _stdout_fd_to_stderr() -> Iterator[None]:
    """File descriptor 1 pointed at stderr while inside, then back (also on errors).

    `redirect_stdout` moves only Python's `sys.stdout`: a subprocess the program starts, or
    `os.write(1, ...)`, writes to the descriptor."""
    if sys.stdout is not None:
        sys.stdout.flush()  # what was printed before goes where it was meant to
    try:
        saved = os.dup(1)
    except OSError:  # no descriptor 1 (closed): nothing to keep clean
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        if sys.__stdout__ is not None:
            with contextlib.suppress(OSError, ValueError):
                sys.__stdout__.flush()  # written during the run: to stderr, where fd 1 points
        os.dup2(saved, 1)
        os.close(saved)


def _where(exc: BaseException, root: Path) -> str:
    """` at FILE:LINE`, the innermost frame of the failure in the project's own files."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return ""  # its message names the file and line already
    found = ""
    for frame, line in traceback.walk_tb(exc.__traceback__):
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(root) and ".venv" not in path.parts:
            found = f" at {path.relative_to(root)}:{line}"
    return found


def print_recording(recording: Recording, fmt: str) -> None:
    if fmt == "json":
        out.print_json(json.dumps(recording.display()))
        return
    urns = {r.urn: r.name for r in recording.resources}
    table = Table(title=f"stack {recording.stack}: {len(recording.resources)} resources")
    for column in ("type", "name", "parent"):
        table.add_column(column, overflow="fold")
    for r in recording.resources:
        table.add_row(r.type, r.name, urns.get(r.parent or "", ""))
    out.print(table)
    shown: dict[str, Any] = recording.display()["outputs"]
    for key, value in shown.items():
        out.print(f"{key}: {json.dumps(value)}", highlight=False, soft_wrap=True)
