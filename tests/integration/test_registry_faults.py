"""Registry faults, one at a time, through a fault-injecting proxy in front of the real registry.

For each: the exit code, the message, how many manifest requests were made (retries), and that
images.lock is byte-for-byte unchanged.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

import infra
from faultproxy import FaultProxy
from helpers import run_cli

pytestmark = pytest.mark.integration


@pytest.fixture
def seeded(open_registry: str, tmp_path: Path, docker_config: Path) -> tuple[Path, str, str]:
    """A lock holding one entry, and a second image the tests try to add: (lock, repo, digest)."""
    repo = f"faults/{uuid.uuid4().hex[:10]}"
    infra.push_synthetic(open_registry, repo, "old")
    digest = infra.push_synthetic(
        open_registry, repo, "new", platforms=("linux/amd64", "linux/arm64/v8")
    )
    lock = tmp_path / "images.lock"
    proc = run_cli("lock", "add", f"{open_registry}/{repo}:old", "--lock", str(lock))
    assert proc.returncode == 0, proc.stderr
    return lock, repo, digest


def add_through(proxy: FaultProxy, lock: Path, repo: str, *extra: str):
    return run_cli("lock", "add", f"{proxy.host}/{repo}:new", "--lock", str(lock), *extra)


@pytest.mark.parametrize(
    ("fault", "expected", "attempts"),
    [
        ("status:401", ["requires a login", "docker login"], 1),
        ("status:403", ["403"], 1),
        ("status:404", ["not found"], 1),
        ("tamper", ["digest"], 1),
        ("badjson", ["JSON"], 1),
        ("disconnect", [], None),
        ("status:503", ["503"], None),
    ],
)
def test_fault_fails_cleanly_and_leaves_the_lock(
    open_registry: str, seeded, fault: str, expected: list[str], attempts: int | None
) -> None:
    lock, repo, _ = seeded
    before = lock.read_bytes()
    with FaultProxy(open_registry, fault) as proxy:
        proc = add_through(proxy, lock, repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proxy.host in proc.stderr or repo in proc.stderr
    for fragment in expected:
        assert fragment.lower() in proc.stderr.lower(), proc.stderr
    if attempts is not None:
        assert len(proxy.manifest_requests) == attempts
    else:  # retried, but boundedly
        assert 2 <= len(proxy.manifest_requests) <= 10
    assert lock.read_bytes() == before


def test_slow_response_past_the_timeout(open_registry: str, seeded) -> None:
    lock, repo, _ = seeded
    before = lock.read_bytes()
    with FaultProxy(open_registry, "slow", delay=3.0) as proxy:
        proc = add_through(proxy, lock, repo, "--timeout", "0.5")
    assert proc.returncode == 2
    assert proxy.host in proc.stderr and "timed out" in proc.stderr.lower()
    assert lock.read_bytes() == before


def test_connection_refused(seeded) -> None:
    lock, repo, _ = seeded
    before = lock.read_bytes()
    proc = run_cli("lock", "add", f"127.0.0.1:1/{repo}:new", "--lock", str(lock))
    assert proc.returncode == 2
    assert "127.0.0.1:1" in proc.stderr
    assert lock.read_bytes() == before


@pytest.mark.parametrize(("fault", "times"), [("429", 2), ("status:500", 1)])
def test_transient_faults_are_retried_then_succeed(
    open_registry: str, seeded, fault: str, times: int
) -> None:
    lock, repo, digest = seeded
    with FaultProxy(open_registry, fault, times=times, retry_after=1) as proxy:
        proc = add_through(proxy, lock, repo)
    assert proc.returncode == 0, proc.stderr
    assert len(proxy.manifest_requests) == times + 1
    assert f"{proxy.host}/{repo}:new" in lock.read_text()
    assert digest in lock.read_text()


def test_retry_after_is_honoured(open_registry: str, seeded) -> None:
    import time

    lock, repo, _ = seeded
    with FaultProxy(open_registry, "429", times=1, retry_after=2) as proxy:
        started = time.monotonic()
        proc = add_through(proxy, lock, repo)
        elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert elapsed >= 2.0


def test_redirect_to_another_host_does_not_carry_credentials(
    auth_registry: tuple[str, str, str], tmp_path: Path, docker_config: Path
) -> None:
    import base64
    import json

    host, user, password = auth_registry
    repo = f"faults/{uuid.uuid4().hex[:10]}"
    digest = infra.push_synthetic(host, repo, "v1", auth=(user, password))
    with (
        FaultProxy(host) as elsewhere,
        FaultProxy(host, "redirect", redirect_to=elsewhere.host) as proxy,
    ):
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        auths = {proxy.host: {"auth": token}, elsewhere.host: {"auth": "eDp5"}}
        (docker_config / "config.json").write_text(json.dumps({"auths": auths}))
        lock = tmp_path / "images.lock"
        proc = run_cli("lock", "add", f"{proxy.host}/{repo}:v1", "--lock", str(lock))
    sent_elsewhere = [r["headers"].get("Authorization", "") for r in elsewhere.requests]
    assert all(token not in h for h in sent_elsewhere)
    if proc.returncode == 0:
        assert digest in lock.read_text()
    else:  # refusing to follow is also safe; it must say why
        assert proc.returncode == 2 and "redirect" in proc.stderr.lower()
        assert not lock.exists()
