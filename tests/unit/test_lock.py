"""images.lock: reading, pinning, writing atomically, serialized writers, corrupt files."""

from __future__ import annotations

import json
import multiprocessing
import os
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from imagepin.errors import LockError
from imagepin.lock import Lock, LockEntry, NotLocked, atomic_write, exclusive
from imagepin.refs import InvalidReference

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
WHEN = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def res(digest: str, platforms: dict[str, str] | None = None, registry: str = "127.0.0.1:5000"):
    media = INDEX if platforms else MANIFEST
    return SimpleNamespace(
        digest=digest, media_type=media, platforms=platforms or {}, registry=registry
    )


def sample(path: Path) -> Lock:
    return Lock(
        path,
        {
            "python:3.12-slim-bookworm": LockEntry(
                digest=D1,
                media_type=INDEX,
                platforms={"linux/amd64": D2, "linux/arm64/v8": D3},
                registry="127.0.0.1:5000",
                resolved_at=WHEN,
            ),
            "ghcr.io/acme/tool:1.0": LockEntry(
                digest=D2, media_type=MANIFEST, registry="ghcr.io", resolved_at=WHEN
            ),
        },
    )


EXPECTED_TEXT = f"""{{
  "images": {{
    "ghcr.io/acme/tool:1.0": {{
      "digest": "{D2}",
      "media_type": "{MANIFEST}",
      "platforms": {{}},
      "registry": "ghcr.io",
      "resolved_at": "2026-11-25T16:00:00Z"
    }},
    "python:3.12-slim-bookworm": {{
      "digest": "{D1}",
      "media_type": "{INDEX}",
      "platforms": {{
        "linux/amd64": "{D2}",
        "linux/arm64/v8": "{D3}"
      }},
      "registry": "127.0.0.1:5000",
      "resolved_at": "2026-11-25T16:00:00Z"
    }}
  }},
  "version": 1
}}
"""


def test_dumps_is_sorted_versioned_and_stable(tmp_path: Path) -> None:
    lock = sample(tmp_path / "images.lock")
    assert lock.dumps() == EXPECTED_TEXT
    lock.save()
    again = Lock.load(tmp_path / "images.lock")
    assert again.dumps() == EXPECTED_TEXT
    assert again.entries == lock.entries


@pytest.mark.parametrize(
    "spelling",
    [
        "python:3.12-slim-bookworm",
        "docker.io/library/python:3.12-slim-bookworm",
        "index.docker.io/library/python:3.12-slim-bookworm",
        "library/python:3.12-slim-bookworm",
    ],
)
def test_pin_matches_every_spelling_of_the_reference(tmp_path: Path, spelling: str) -> None:
    lock = sample(tmp_path / "images.lock")
    pinned = lock.pin(spelling)
    assert str(pinned) == f"docker.io/library/python:3.12-slim-bookworm@{D1}"
    assert pinned.tag == "3.12-slim-bookworm"
    assert pinned.digest == D1
    assert spelling in lock
    assert lock.key(spelling) == "python:3.12-slim-bookworm"


def test_pin_ignores_a_digest_on_the_query(tmp_path: Path) -> None:
    lock = sample(tmp_path / "images.lock")
    assert lock.pin(f"ghcr.io/acme/tool:1.0@{D3}").digest == D2


def test_not_locked_names_the_reference_and_the_command(tmp_path: Path) -> None:
    lock = sample(tmp_path / "custom.lock")
    with pytest.raises(NotLocked) as info:
        lock.pin("python:3.13-slim-trixie")
    assert str(info.value) == (
        f"'python:3.13-slim-trixie' is not in {tmp_path / 'custom.lock'}; run "
        f"`imagepin lock add python:3.13-slim-trixie --lock {tmp_path / 'custom.lock'}`"
    )
    assert isinstance(info.value, LockError)


def test_platform_digest(tmp_path: Path) -> None:
    lock = sample(tmp_path / "images.lock")
    assert lock.platform_digest("python:3.12-slim-bookworm", "linux/amd64") == D2
    assert lock.platform_digest("python:3.12-slim-bookworm", "linux/arm64") == D3
    assert lock.platform_digest("python:3.12-slim-bookworm", "linux/arm64/v8") == D3
    # a single-platform manifest is its own platform digest
    assert lock.platform_digest("ghcr.io/acme/tool:1.0", "linux/amd64") == D2
    with pytest.raises(NotLocked) as info:
        lock.platform_digest("python:3.12-slim-bookworm", "linux/s390x")
    assert "has no linux/s390x image; it is published for linux/amd64, linux/arm64/v8" in str(
        info.value
    )


def test_updated_keeps_existing_spelling_and_adds_latest(tmp_path: Path) -> None:
    lock = sample(tmp_path / "images.lock")
    new = lock.updated(
        [
            ("docker.io/library/python:3.12-slim-bookworm", res(D3, {"linux/amd64": D1})),
            ("alpine", res(D1)),
        ]
    )
    assert sorted(new.entries) == [
        "alpine:latest",
        "ghcr.io/acme/tool:1.0",
        "python:3.12-slim-bookworm",
    ]
    assert new.entries["python:3.12-slim-bookworm"].digest == D3
    assert new.entries["python:3.12-slim-bookworm"].platforms == {"linux/amd64": D1}
    assert lock.entries["python:3.12-slim-bookworm"].digest == D1  # the old view is unchanged
    with pytest.raises(InvalidReference, match="already carries a digest"):
        lock.updated([(f"python:3.12@{D1}", res(D1))])


def test_missing_lock(tmp_path: Path) -> None:
    with pytest.raises(LockError) as info:
        Lock.load(tmp_path / "images.lock")
    assert "no such lock file; create it with `imagepin lock add REF...`" in str(info.value)
    assert len(Lock.load(tmp_path / "images.lock", missing_ok=True)) == 0


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda t: t.replace('"version": 1', '"version": 1,'),
            "line 22, column 1: Expecting property name",
        ),
        (lambda t: t.replace(D2, "sha256:abc", 1), "line 4: images.ghcr.io/acme/tool:1.0.digest"),
        (
            lambda t: t.replace('"linux/amd64"', '"amd64"'),
            "line 13: images.python:3.12-slim-bookworm.platforms: Value error, platform 'amd64'",
        ),
        (lambda t: t.replace('"version": 1', '"version": "one"'), "line 21: version"),
        (lambda t: t.replace('"ghcr.io/acme/tool:1.0"', '"Bad Ref"'), "line 3: invalid reference"),
        (
            lambda t: t.replace('"registry": "ghcr.io"', '"regsitry": "ghcr.io"'),
            "line 3: images.ghcr.io/acme/tool:1.0.registry: Field required",
        ),
        (lambda t: "", "line 1, column 1: Expecting value"),
    ],
)
def test_corrupt_lock_names_the_line_and_the_way_out(tmp_path: Path, mutate, expected) -> None:
    path = tmp_path / "images.lock"
    path.write_text(mutate(EXPECTED_TEXT))
    with pytest.raises(LockError) as info:
        Lock.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: corrupt lock file, ")
    assert expected in message
    assert "`git checkout -- " in message and "imagepin lock add REF..." in message


def test_newer_format_version_says_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "images.lock"
    path.write_text(json.dumps({"version": 7, "images": {}}))
    with pytest.raises(LockError, match="format version 7 was written by a newer imagepin"):
        Lock.load(path)


def test_non_utf8_lock(tmp_path: Path) -> None:
    path = tmp_path / "images.lock"
    path.write_bytes(b'{"version": 1, "images": {"\xff": 1}}')
    with pytest.raises(LockError, match="corrupt lock file, not UTF-8 text"):
        Lock.load(path)


def test_atomic_write_leaves_the_old_file_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "images.lock"
    path.write_text("old\n")

    def boom(fd: int) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk on fire"):
        atomic_write(path, "new\n")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["images.lock"]


def _add_many(path: str, prefix: str, n: int) -> None:
    for i in range(n):
        with exclusive(path):
            lock = Lock.load(path, missing_ok=True)
            digest = "sha256:" + f"{i:064x}"
            lock.updated([(f"{prefix}/img:{i}", res(digest))]).save()


def test_concurrent_writers_both_land(tmp_path: Path) -> None:
    path = str(tmp_path / "images.lock")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_add_many, args=(path, p, 15)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lock = Lock.load(path)
    assert len(lock) == 30
    assert {k.split("/")[0] for k in lock.entries} == {"a", "b"}


def test_exclusive_times_out_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "images.lock"
    with exclusive(path):
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()

        def waiter() -> None:
            try:
                with exclusive(path, timeout=0.2):
                    queue.put("acquired")
            except LockError as exc:
                queue.put(str(exc))

        proc = ctx.Process(target=waiter)
        proc.start()
        proc.join(10)
        message = queue.get(timeout=5)
    assert "another imagepin process has held the lock for 0s" in message
    assert f"remove {path}.guard" in message


def test_an_unchanged_resolution_keeps_its_entry_byte_for_byte(tmp_path: Path) -> None:
    lock = sample(tmp_path / "images.lock")
    same = lock.updated(
        [
            (
                "python:3.12-slim-bookworm",
                res(D1, {"linux/arm64/v8": D3, "linux/amd64": D2}),
            )
        ]
    )
    assert same.dumps() == EXPECTED_TEXT
    moved = lock.updated([("python:3.12-slim-bookworm", res(D1, {"linux/amd64": D3}))])
    entry = moved.entries["python:3.12-slim-bookworm"]
    assert entry.platforms == {"linux/amd64": D3}
    assert entry.resolved_at > WHEN


def test_the_guard_sweeps_temp_files_a_killed_writer_left(tmp_path: Path) -> None:
    path = tmp_path / "images.lock"
    stale = [tmp_path / ".images.lock.k1ll3d.tmp", tmp_path / ".images.lock.abc_123.tmp"]
    others = [tmp_path / ".other.lock.x.tmp", tmp_path / "images.lock.tmp", tmp_path / "notes.txt"]
    for file in stale + others:
        file.write_text("{partial")
    with exclusive(path):
        assert not any(f.exists() for f in stale)
        atomic_write(path, '{"version": 1, "images": {}}\n')
    assert all(f.exists() for f in others)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f.name for f in others] + ["images.lock", "images.lock.guard"]
    )
