"""Regression tests for the product bugs the reliability suite found, one per fix.

Each test records its fix for `docs/RELIABILITY.md` ("Failures found and fixed") only once it
has passed, so the document lists what is fixed and tested, not what was hoped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from imagepin.config import ConfigError, load_stack
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


@pytest.mark.parametrize("nested", ["[" * 5000 + "]" * 5000, "{a: " * 3000 + "1" + "}" * 3000])
def test_deeply_nested_stack_file_is_a_config_error(
    nested: str, tmp_path: Path, report: Report
) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(f"config:\n  imagepin:images: {nested}\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_stack("dev", tmp_path)
    proc = run_cli("render", "--stack", "dev", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "Traceback" not in proc.stderr
    assert "stacks/Pulumi.dev.yaml: lists or mappings nested too deeply" in proc.stderr
    assert not (tmp_path / "out").exists()
    fixed(
        report,
        "stack-recursion",
        "imagepin/config_files.py",
        "A stack file with deeply nested flow lists or mappings crashed `load_stack` (and "
        "`render`, `preview`, `lock add --from-stacks`) with a RecursionError traceback; it is "
        "now a ConfigError naming the file (exit 2).",
        "test_deeply_nested_stack_file_is_a_config_error",
    )
