"""Regression tests for the product bugs the reliability suite found, one per fix.

Each test records its fix for `docs/RELIABILITY.md` ("Failures found and fixed") only once it
has passed, so the document lists what is fixed and tested, not what was hoped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imagepin.lock import Lock, LockError

from collector import Fixed, Report
from helpers import run_cli


def fixed(report: Report, key: str, where: str, what: str, test: str) -> None:
    report.fixed[key] = Fixed(key, where, what, f"tests/reliability/test_found_bugs.py::{test}")


@pytest.mark.parametrize("text", ["[" * 100_000, '{"version": 1, "images": ' + '{"a": ' * 5000])
def test_deeply_nested_lock_is_a_corrupt_lock(text: str, tmp_path: Path, report: Report) -> None:
    with pytest.raises(LockError, match="nested too deeply"):
        Lock.loads(text, "images.lock")
    lock = tmp_path / "images.lock"
    lock.write_text(text)
    proc = run_cli("lock", "show", "--lock", str(lock))
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "Traceback" not in proc.stderr and "nested too deeply" in proc.stderr
    fixed(
        report,
        "lock-recursion",
        "imagepin/lock.py",
        "A lock file of deeply nested JSON (`[[[[...`) crashed `Lock.loads` and every "
        "`imagepin lock` command with a RecursionError traceback (exit 1); it is now a corrupt "
        "lock (LockError, exit 2).",
        "test_deeply_nested_lock_is_a_corrupt_lock",
    )
