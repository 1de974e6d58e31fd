"""The README's Python snippets run (under the mock monitor, in a project with a lock)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from components.preview import record
from imagepin.lock import Lock, LockEntry

from helpers import ROOT

SNIPPETS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_the_readme_has_python_snippets() -> None:
    assert SNIPPETS


@pytest.mark.parametrize("snippet", SNIPPETS)
def test_readme_snippet_runs(snippet: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for app in ("api", "app"):
        (tmp_path / app).mkdir()
        (tmp_path / app / "requirements.txt").write_text("")
    Lock(
        tmp_path / "images.lock",
        {
            "python:3.12-slim-bookworm": LockEntry(
                digest="sha256:" + "1" * 64,
                media_type="application/vnd.oci.image.index.v1+json",
                platforms={"linux/amd64": "sha256:" + "2" * 64},
                registry="docker.io",
                resolved_at=datetime(2026, 11, 25, tzinfo=UTC),
            )
        },
    ).save()
    rec = record(lambda: exec(compile(snippet, "README.md", "exec"), {}), preview=True)
    assert rec.resources, "the snippet registered nothing"
