"""Our own stacks through `imagepin check --stack` (the program under the mock monitor, the rules
at each stack's policy config): all three pass, and one bad change fails with exactly its rule.

The program pins its bases from images.lock; the test writes one for the bases the stacks name,
with made-up digests (nothing is pulled or pushed at preview)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from analyzer import Analyzer, diagnostics, wire

from helpers import run_cli


def check(project: Path, stack: str) -> tuple[int, dict[str, list[dict[str, object]]]]:
    result = run_cli(
        "check", "--stack", stack, "--root", str(project), "--format", "json", "--strict",
        "--on", "2026-11-25",
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_our_stacks_pass_their_policy(project: Path, stack: str) -> None:
    code, doc = check(project, stack)
    assert (code, doc["violations"]) == (0, [])


def test_a_prod_image_missing_a_platform_fails_with_arch001_only(project: Path) -> None:
    stack_file = project / "stacks" / "Pulumi.prod.yaml"
    text = stack_file.read_text()
    assert "platforms: [linux/amd64, linux/arm64]" in text
    stack_file.write_text(text.replace("[linux/amd64, linux/arm64]", "[linux/amd64]", 1))
    code, doc = check(project, "prod")
    assert code == 1
    assert [v["rule"] for v in doc["violations"]] == ["ARCH001"]


def test_the_recorded_prod_stack_passes_the_pack_over_grpc(project: Path) -> None:
    recording = importlib.import_module("components.cli_preview").run_preview("prod", project)
    pack = Analyzer.start(cwd=project)
    try:
        config = json.loads((project / "policies" / "config" / "prod.json").read_text())
        pack.configure(config)
        found = []
        for r in recording.resources:
            response = pack.analyze(
                r.type, r.name, wire(r.inputs), parent=r.parent or "", the_urn=r.urn
            )
            found += diagnostics(response)
        stack = [
            {"type": r.type, "name": r.name, "props": wire(r.inputs), "urn": r.urn,
             "parent": r.parent or ""}
            for r in recording.resources
        ]  # fmt: skip
        found += diagnostics(pack.analyze_stack(stack))
    finally:
        pack.stop()
    assert len(recording.resources) > 5
    assert found == []
