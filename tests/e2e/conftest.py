"""Fixtures of the end-to-end tests (recorded resources carried out with the real daemon)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dockerrun import docker


@pytest.fixture
def cleanup() -> Iterator[list[tuple[str, str]]]:
    """(kind, name) of what a test started; removed afterwards, containers first."""
    started: list[tuple[str, str]] = []
    yield started
    for kind, name in sorted(started, key=lambda s: s[0] != "container"):
        if kind == "container":
            docker("rm", "--force", "--volumes", name, check=False)
        else:
            docker(kind, "rm", name, check=False)
