"""benchmarks/rebuild.py switches the machine's qemu binfmt handlers off only while its
single-platform builds run, and always back on; `infra.enable_qemu` re-enables one left off.

A folder stands in for /proc/sys/fs/binfmt_misc: one file per handler, starting with its state
as the kernel shows it; what the code writes ("0", "1") is what the kernel is told."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import rebuild

import infra


def fake_binfmt(root: Path, states: dict[str, str]) -> Path:
    (root / "register").write_text("")
    for name, state in states.items():
        (root / name).write_text(f"{state}\ninterpreter /usr/libexec/qemu-binfmt/{name}\n")
    return root


def test_only_enabled_qemu_handlers_are_switched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = {"qemu-aarch64": "enabled", "qemu-arm": "disabled", "python3.11": "enabled"}
    monkeypatch.setattr(rebuild, "BINFMT", fake_binfmt(tmp_path, states))
    handlers, why_not = rebuild.switchable_emulators()
    assert [h.name for h in handlers] == ["qemu-aarch64"]
    assert why_not == ""


def test_nothing_to_switch_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rebuild, "BINFMT", fake_binfmt(tmp_path, {"qemu-arm": "disabled"}))
    handlers, why_not = rebuild.switchable_emulators()
    assert handlers == []
    assert "no qemu handler is enabled" in why_not


def test_handlers_are_back_on_after_the_builds_and_after_a_failure(tmp_path: Path) -> None:
    binfmt = fake_binfmt(tmp_path, {"qemu-aarch64": "enabled", "qemu-riscv64": "enabled"})
    handlers = [binfmt / "qemu-aarch64", binfmt / "qemu-riscv64"]
    with rebuild.emulators_off(handlers):
        assert [h.read_text() for h in handlers] == ["0", "0"]
    assert [h.read_text() for h in handlers] == ["1", "1"]
    with pytest.raises(RuntimeError), rebuild.emulators_off(handlers):
        assert [h.read_text() for h in handlers] == ["0", "0"]
        raise RuntimeError("a build failed")
    assert [h.read_text() for h in handlers] == ["1", "1"]


def test_infra_switches_a_disabled_handler_back_on(tmp_path: Path) -> None:
    binfmt = fake_binfmt(tmp_path, {"qemu-aarch64": "disabled"})
    infra.enable_qemu(binfmt)
    assert (binfmt / "qemu-aarch64").read_text() == "1"
    (binfmt / "qemu-aarch64").write_text("enabled\n")
    infra.enable_qemu(binfmt)  # enabled: left alone
    assert (binfmt / "qemu-aarch64").read_text() == "enabled\n"
