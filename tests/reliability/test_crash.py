"""Crash safety of images.lock: `kill -9` at random points, and concurrent writers.

A lock of 30 synthetic images (half of which then move upstream) is refreshed through a
latency proxy (every request waits, as from a remote registry), and the refresh is SIGKILLed
after a random delay between 0 and its normal duration, 20 times. After each kill the file
must parse and be exactly the old lock or exactly the new one: never truncated, never half
refreshed. `atomic_write` itself is SIGKILLed 20 times while writing a large file. Two (and
four) concurrent `imagepin lock add` processes must all land their entries.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from collector import CrashRun, Report

from imagepin.lock import Lock, exclusive

import infra
from faultproxy import FaultProxy
from helpers import IMAGEPIN, run_cli

pytestmark = pytest.mark.integration

ENTRIES = 30
RUNS = 20
LATENCY = 0.4  # seconds per request through the proxy
RUN = uuid.uuid4().hex[:8]


@dataclass
class World:
    proxy: FaultProxy
    folder: Path
    lock: Path
    old: bytes
    new: dict[str, dict[str, object]]  # per key: digest, platforms, registry after a refresh
    moved: set[str]
    duration: float  # a whole refresh, start to exit
    written_at: float  # when the lock file was replaced, from the start
    env: dict[str, str]


def _push(registry: str, i: int, seed: str) -> str:
    platforms = ("linux/amd64", "linux/arm64/v8") if i % 2 else ()
    return infra.push_synthetic(
        registry, f"relcrash/{RUN}-{i}", "v1", platforms=platforms, seed=seed
    )


def _guarded(key: str, entry: object) -> dict[str, object]:
    assert isinstance(entry, dict)
    return {k: entry[k] for k in ("digest", "platforms", "registry")}


@pytest.fixture(scope="module")
def world(open_registry: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("crash")
    config = folder.parent / f"{folder.name}-docker-config"
    config.mkdir()
    env = {"DOCKER_CONFIG": str(config)}
    for i in range(ENTRIES):
        _push(open_registry, i, "old")
    with FaultProxy(open_registry, "latency", delay=LATENCY) as proxy:
        lock = folder / "images.lock"
        refs = [f"relcrash/{RUN}-{i}:v1" for i in range(ENTRIES)]
        made = run_cli("lock", "add", *refs, "--mirror", proxy.host, "--lock", str(lock), env=env)
        assert made.returncode == 0, made.stderr
        old = lock.read_bytes()
        moved = {refs[i] for i in range(0, ENTRIES, 2)}
        for i in range(0, ENTRIES, 2):
            _push(open_registry, i, "new")

        # one refresh to the end, on a copy: its duration, when it wrote, what it wrote
        scratch = folder.parent / f"{folder.name}-reference" / "images.lock"
        scratch.parent.mkdir()
        scratch.write_bytes(old)
        inode = scratch.stat().st_ino
        started = time.monotonic()
        proc = subprocess.Popen(
            [IMAGEPIN, "lock", "refresh", "--lock", str(scratch)],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        written_at = 0.0
        while proc.poll() is None:
            if not written_at and scratch.stat().st_ino != inode:
                written_at = time.monotonic() - started
            time.sleep(0.002)
        duration = time.monotonic() - started
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
        written_at = written_at or duration
        after = json.loads(scratch.read_text())["images"]
        new = {key: _guarded(key, entry) for key, entry in after.items()}
        before = json.loads(old)["images"]
        assert {k for k in new if new[k]["digest"] != before[k]["digest"]} == moved
        yield World(proxy, folder, lock, old, new, moved, duration, written_at, env)


def _leftovers(folder: Path) -> list[str]:
    return sorted(
        p.name for p in folder.iterdir() if p.name not in ("images.lock", "images.lock.guard")
    )


def _judge(world: World, text: str) -> str:
    """'old' or 'new'; fails on anything else (truncated, unparsable, mixed)."""
    if text.encode() == world.old:
        return "old"
    lock = Lock.loads(text, world.lock)  # parses, validates
    assert lock.dumps() == text, "not a whole lock file as imagepin writes it"
    now = json.loads(text)["images"]
    old = json.loads(world.old)["images"]
    assert {k: _guarded(k, e) for k, e in now.items()} == world.new, "a mixed lock"
    stamps = {now[k]["resolved_at"] for k in world.moved}
    assert len(stamps) == 1, "moved entries written at different times: two writes"
    for key in set(now) - world.moved:
        assert now[key] == old[key]
    return "new"


def test_sigkill_during_lock_refresh_leaves_old_or_new(world: World, report: Report) -> None:
    rng = random.Random()
    # most kills at random points of the whole run; a few aimed at the write itself
    delays = [rng.uniform(0, world.duration) for _ in range(RUNS - 6)]
    delays += [rng.uniform(world.written_at - 0.05, world.written_at + 0.05) for _ in range(6)]
    for delay in delays:
        world.lock.write_bytes(world.old)
        proc = subprocess.Popen(
            [IMAGEPIN, "lock", "refresh", "--lock", str(world.lock)],
            env={**os.environ, **world.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(max(delay, 0.0))
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        outcome = _judge(world, world.lock.read_text())
        if finished:
            assert outcome == "new"
            outcome = "finished before the kill"
        for name in _leftovers(world.folder):
            assert name.startswith(".images.lock.") and name.endswith(".tmp"), name
        report.crashes.append(CrashRun("`imagepin lock refresh`", delay, outcome))

    leftovers = _leftovers(world.folder)
    # a leftover temp file is never read: the next refresh works, writes the new lock and, as
    # it holds the guard, sweeps the temp files killed writers left
    world.lock.write_bytes(world.old)
    again = run_cli("lock", "refresh", "--lock", str(world.lock), env=world.env, timeout=60)
    assert again.returncode == 0, again.stderr
    assert _judge(world, world.lock.read_text()) == "new"
    assert _leftovers(world.folder) == []
    kills = sum(1 for r in report.crashes if r.kind == "`imagepin lock refresh`")
    report.crash_notes["refresh"] = (
        f"`imagepin lock refresh` of a {ENTRIES}-entry lock ({len(world.moved)} moved "
        f"upstream) through a proxy adding {LATENCY} s to every request: a whole run takes "
        f"about {world.duration:.1f} s and replaces the file {world.written_at:.1f} s in. "
        f"{kills} runs were SIGKILLed: {RUNS - 6} after a random delay in [0, "
        f"{world.duration:.1f} s], 6 within 50 ms of the moment the reference run wrote the "
        "file (before or after). After every kill the file parsed and was byte-for-byte "
        "the old lock or exactly the new one (all moved "
        "entries updated in one write, the others untouched); the next refresh never "
        "waited on the `images.lock.guard` file lock a killed process held (the kernel "
        f"releases it). Temp files left by the kills: {len(leftovers)}; after the next "
        "refresh: 0."
    )


WRITER = """
import sys
from pathlib import Path
from imagepin.lock import atomic_write
text = Path(sys.argv[2]).read_text()
print("ready", flush=True)
atomic_write(Path(sys.argv[1]), text)
"""


def test_sigkill_during_atomic_write_leaves_old_or_new(tmp_path: Path, report: Report) -> None:
    target, source = tmp_path / "data" / "images.lock", tmp_path / "new.json"
    target.parent.mkdir()
    old = json.dumps({"version": 1, "images": {}}, indent=2) + "\n"
    line = json.dumps({"x": "y" * 100}) + ",\n"
    new = '{"version": 1, "padding": [\n' + line * 300_000 + "{}]}\n"  # ~32 MB
    source.write_text(new)

    def start() -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target), str(source)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        return proc

    target.write_text(old)
    timed = start()
    began = time.monotonic()
    timed.wait()
    duration = time.monotonic() - began
    assert target.read_text() == new

    rng = random.Random()
    outcomes: list[str] = []
    for _ in range(RUNS):
        target.write_text(old)
        proc = start()
        delay = rng.uniform(0, duration)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        got = target.read_text()
        assert got in (old, new), f"{len(got)} bytes: neither the old file nor the new one"
        outcome = "finished before the kill" if finished else "old" if got == old else "new"
        outcomes.append(outcome)
        report.crashes.append(CrashRun("`atomic_write` of a 32 MB file", delay, outcome))
    temps = [p for p in target.parent.iterdir() if p != target]
    assert all(p.name.startswith(".images.lock.") and p.name.endswith(".tmp") for p in temps)
    partial = sum(1 for p in temps if p.stat().st_size < len(new.encode()))
    with exclusive(target):  # what every lock command does first
        swept = [p for p in target.parent.iterdir() if p.name.endswith(".tmp")] == []
    report.crash_notes["atomic_write"] = (
        f"`imagepin.lock.atomic_write` writing a 32 MB file (about {duration:.2f} s with "
        f"fsync) was SIGKILLed {RUNS} times at random points: the target was always the whole "
        f"old or the whole new file. {len(temps)} temp files were left behind "
        f"(`.images.lock.*.tmp`, {partial} of them partial): a SIGKILL cannot run the "
        "`except` that removes them. They are never read (the lock is only read by its own "
        "name, and every write makes a fresh unique temp name), and the next lock command "
        "removes them when it takes the `images.lock.guard` file lock (every writer holds it, "
        f"so none is live): {'all' if swept else 'NOT all'} removed here."
    )
    assert swept
    assert "old" in outcomes or "new" in outcomes


def test_concurrent_lock_adds_all_land(world: World, open_registry: str, report: Report) -> None:
    world.lock.write_bytes(world.old)
    for writers in (2, 2, 2, 4):
        tags = [f"c{uuid.uuid4().hex[:6]}" for _ in range(writers)]
        for tag in tags:
            infra.push_synthetic(open_registry, f"relcrash/{RUN}-0", tag)
        before = set(Lock.load(world.lock).entries)
        procs = [
            subprocess.Popen(
                [
                    IMAGEPIN,
                    "lock",
                    "add",
                    f"relcrash/{RUN}-0:{tag}",
                    "--mirror",
                    world.proxy.host,
                    "--lock",
                    str(world.lock),
                ],
                env={**os.environ, **world.env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for tag in tags
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        after = set(Lock.load(world.lock).entries)
        added = {f"relcrash/{RUN}-0:{tag}" for tag in tags}
        assert after == before | added
        report.concurrency.append(
            f"{writers} `imagepin lock add` processes started together on one lock, each "
            f"adding its own tag through the latency proxy: all {writers} entries landed, "
            f"the {len(before)} already there kept."
        )
