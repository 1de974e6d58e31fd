"""Shared fixtures. Integration fixtures use the real daemon and registries of `tests/infra.py`.

`scripts/test` starts them before pytest and stops them after; run on its own, a fixture starts
what it needs (registries in a second; stand-in bases from the cache, or built once).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import infra


@pytest.fixture(scope="session")
def open_registry() -> str:
    """Host of the open local registry (127.0.0.1:5000)."""
    infra.ensure_registry("registry-open", infra.OPEN_REGISTRY, auth=False)
    return infra.OPEN_REGISTRY


@pytest.fixture(scope="session")
def auth_registry() -> tuple[str, str, str]:
    """(host, user, password) of the local registry behind htpasswd Basic auth."""
    infra.ensure_registry("registry-auth", infra.AUTH_REGISTRY, auth=True)
    return infra.AUTH_REGISTRY, infra.AUTH_USER, infra.AUTH_PASSWORD


@pytest.fixture(scope="session")
def standins(open_registry: str) -> str:
    """The stand-in Python bases, pushed to the open registry; returns its host (the mirror)."""
    infra.up()
    return open_registry


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty DOCKER_CONFIG for the test, so the machine's own credentials never leak in."""
    folder = tmp_path / "docker-config"
    folder.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    return folder
