"""Registry faults, tabulated: each one through `faultproxy.py` in front of the real registry,
met by `imagepin lock add` and by `imagepin lock refresh`, with its exit code, message, the
manifest requests the proxy saw (first try plus retries) and what became of `images.lock`.

Every row works on its own repository: a lock holding `relfault/<id>:old` (a docker.io name,
resolved through the local registry as mirror), `relfault/<id>:new` to add, and `:old` moved
upstream before a refresh, so that a refresh that wrongly succeeded would change the file.
The rows feed the "Registry faults" table of docs/RELIABILITY.md.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from collector import FaultRow, Report, normalize

from imagepin.lock import Lock

import infra
from faultproxy import FaultProxy
from helpers import run_cli

pytestmark = pytest.mark.integration

PLATFORMS = ("linux/amd64", "linux/arm64/v8")


@dataclass(frozen=True)
class Fault:
    label: str
    fault: str  # a FaultProxy fault, or "refused" (nothing listens)
    exit_code: int
    says: tuple[str, ...]
    requests: int | tuple[int, int]
    proxy: dict[str, Any] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    min_seconds: float = 0.0
    commands: tuple[str, ...] = ("add", "refresh")


FAULTS = [
    Fault(
        "connection refused",
        "refused",
        2,
        ("cannot reach <closed>", "Is the registry running?"),
        0,
    ),
    Fault(
        "mid-body disconnect, every time",
        "disconnect",
        2,
        ("cannot reach <proxy>",),
        5,
    ),
    Fault("mid-body disconnect, once", "disconnect", 0, (), 2, {"times": 1}),
    Fault(
        "slow answer (3 s) past `--timeout 0.5`",
        "slow",
        2,
        ("<proxy>", "timed out, no answer within 0.5s"),
        1,
        {"delay": 3.0},
        ("--timeout", "0.5"),
    ),
    Fault(
        "401 with a Basic challenge",
        "status:401",
        2,
        ("<proxy> requires a login", "docker login <proxy>"),
        1,
    ),
    Fault("403", "status:403", 2, ("<proxy> denied pull access", "403 Forbidden"), 1),
    Fault("404", "status:404", 2, ("not found", "MANIFEST_UNKNOWN"), 1),
    Fault(
        "429 twice with `Retry-After: 1`, then success",
        "429",
        0,
        (),
        3,
        {"times": 2, "retry_after": 1},
        min_seconds=2.0,
    ),
    Fault(
        "429 with `Retry-After: 120` (over the 30 s cap)",
        "429",
        2,
        ("answered 429", "asked for 120s more", "rate limited"),
        1,
        {"retry_after": 120},
    ),
    Fault("500 once, then success", "status:500", 0, (), 2, {"times": 1}),
    Fault(
        "503 every time",
        "status:503",
        2,
        ("answered 503", "5 time(s)", "overloaded or down"),
        5,
    ),
    Fault(
        "manifest bytes do not match the digest",
        "tamper",
        2,
        ("does not hash to sha256:<digest>", "refusing to pin it"),
        1,
    ),
    Fault("manifest is not JSON", "badjson", 2, ("not a JSON object",), 1),
    Fault("307 redirect to another host", "redirect", 0, (), 1),
    Fault(
        "307 redirect to another host that asks for a login",
        "redirect",
        2,
        ("redirected to <other>", "never sends <proxy>'s credentials elsewhere"),
        1,
        commands=("add",),
    ),
]
CASES = [(f, command) for f in FAULTS for command in f.commands]


@dataclass
class Outcome:
    proc: subprocess.CompletedProcess[str]
    before: bytes
    lock: Path
    repo: str
    new: str  # digest of :new (an index over PLATFORMS)
    moved: str  # digest :old moved to upstream (refresh rows)
    requests: int
    seen: str
    elsewhere: list[dict[str, Any]]
    elapsed: float
    message: str


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def meet(
    fault: Fault, command: str, folder: Path, registry: str, auth: tuple[str, str, str]
) -> Outcome:
    """Seed a lock, inject `fault`, run `imagepin lock <command>` through it."""
    config = folder / "docker-config"
    config.mkdir(parents=True)
    env = {"DOCKER_CONFIG": str(config)}
    repo = f"relfault/{uuid.uuid4().hex[:10]}"
    infra.push_synthetic(registry, repo, "old", seed="first")
    new = infra.push_synthetic(registry, repo, "new", platforms=PLATFORMS)
    lock = folder / "images.lock"
    made = run_cli("lock", "add", f"{repo}:old", "--mirror", registry, "--lock", str(lock), env=env)
    assert made.returncode == 0, made.stderr
    moved = ""
    if command == "refresh":  # a refresh that wrongly succeeded would change the file
        moved = infra.push_synthetic(registry, repo, "old", seed="moved")
    upstream = registry
    host, user, password = auth
    if "login" in fault.label:  # the other host is the registry behind Basic auth
        infra.push_synthetic(host, repo, "new", auth=(user, password))
        upstream = host

    def cli(mirror: str) -> subprocess.CompletedProcess[str]:
        args = ["lock", "add", f"{repo}:new"] if command == "add" else ["lock", "refresh"]
        return run_cli(*args, "--mirror", mirror, "--lock", str(lock), *fault.args, env=env)

    before = lock.read_bytes()
    names = {str(lock): "<lock>", repo: "<repo>", str(config): "<config>"}
    started = time.monotonic()
    elsewhere: list[dict[str, Any]] = []
    if fault.fault == "refused":
        mirror = closed_port()
        names[mirror] = "<closed>"
        proc = cli(mirror)
        requests, seen = 0, "0 (nothing listens)"
    else:
        with (
            FaultProxy(upstream) as other,
            FaultProxy(upstream, fault.fault, redirect_to=other.host, **fault.proxy) as proxy,
        ):
            names |= {proxy.host: "<proxy>", other.host: "<other>"}
            if "login" in fault.label:  # credentials for the proxy only
                token = base64.b64encode(f"{user}:{password}".encode()).decode()
                auths = {"auths": {proxy.host: {"auth": token}}}
                (config / "config.json").write_text(json.dumps(auths))
            proc = cli(proxy.host)
        requests = len(proxy.manifest_requests)
        seen = str(requests)
        elsewhere = other.requests
        if fault.fault == "redirect":
            seen = f"{requests} + {len(other.manifest_requests)} at the other host"
    elapsed = time.monotonic() - started
    message = normalize(proc.stderr, names).removeprefix("error: ")
    return Outcome(
        proc, before, lock, repo, new, moved, requests, seen, elsewhere, elapsed, message
    )


@pytest.fixture(scope="module")
def outcomes(
    open_registry: str,
    auth_registry: tuple[str, str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[tuple[str, str], Outcome]:
    """Every row met once, four at a time (each has its own repository, lock and proxies)."""
    root = tmp_path_factory.mktemp("faults")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            (fault.label, command): pool.submit(
                meet, fault, command, root / f"{i}", open_registry, auth_registry
            )
            for i, (fault, command) in enumerate(CASES)
        }
    return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize(("fault", "command"), CASES, ids=[f"{f.label}-{c}" for f, c in CASES])
def test_registry_fault(
    fault: Fault, command: str, outcomes: dict[tuple[str, str], Outcome], report: Report
) -> None:
    got = outcomes[(fault.label, command)]
    proc, message = got.proc, got.message
    assert proc.returncode == fault.exit_code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fault.says:
        assert fragment in message, message
    if isinstance(fault.requests, tuple):
        assert fault.requests[0] <= got.requests <= fault.requests[1], got.seen
    else:
        assert got.requests == fault.requests, got.seen
    assert got.elapsed >= fault.min_seconds
    if fault.fault == "redirect":  # followed, and no credentials went along
        assert len([r for r in got.elsewhere if "/manifests/" in r["path"]]) == 1
        assert not [r for r in got.elsewhere if "Authorization" in r["headers"]]

    if proc.returncode != 0:
        assert got.lock.read_bytes() == got.before
        outcome = "unchanged"
    else:
        lock = Lock.load(got.lock)
        if command == "add":
            assert lock.entries[f"{got.repo}:new"].digest == got.new
            assert set(lock.entries[f"{got.repo}:new"].platforms) == set(PLATFORMS)
            old = json.loads(got.lock.read_text())["images"][f"{got.repo}:old"]
            assert old == json.loads(got.before)["images"][f"{got.repo}:old"]
        else:
            assert lock.entries[f"{got.repo}:old"].digest == got.moved
        outcome, message = "updated", "(success)"
    report.faults.append(
        FaultRow(fault.label, f"lock {command}", proc.returncode, got.seen, outcome, message)
    )
