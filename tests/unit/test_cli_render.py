"""`imagepin render` writes what the component builds; `lock add` without anything to add."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

from imagepin.config import load_stack
from imagepin.dockerfile import render, render_dockerignore
from imagepin.lock import Lock, LockEntry

from helpers import run_cli

SLIM = "sha256:" + "a" * 64
FULL = "sha256:" + "b" * 64
STACK = """\
config:
  imagepin:baseMirror: 127.0.0.1:5000
  imagepin:images:
    - name: web
      app: app
      python: "3.11"
      command: [python3, -m, service]
      port: 8000
      healthcheck: {path: /healthz}
    - name: worker
      app: app
      python: "3.11"
      layout: builder
      buildPackages: [build-essential]
      command: [python3, -m, worker]
      ignore: [data/]
"""


def project(tmp_path: Path, stack: str = STACK, lock: bool = True) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text(
        "name: imagepin\nruntime: python\nstackConfigDir: stacks\n"
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements.txt").write_text("falcon\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.test.yaml").write_text(textwrap.dedent(stack))
    when = datetime(2026, 11, 25, tzinfo=UTC)
    entries = {
        "python:3.11-slim-bookworm": LockEntry(
            digest=SLIM,
            media_type="application/vnd.oci.image.index.v1+json",
            platforms={"linux/amd64": SLIM},
            registry="127.0.0.1:5000",
            resolved_at=when,
        ),
        "python:3.11-bookworm": LockEntry(
            digest=FULL,
            media_type="application/vnd.docker.distribution.manifest.v2+json",
            registry="127.0.0.1:5000",
            resolved_at=when,
        ),
    }
    if lock:
        Lock(tmp_path / "images.lock", entries).save()
    return tmp_path


def test_render_writes_each_image_exactly_as_the_renderer_does(tmp_path: Path) -> None:
    root = project(tmp_path)
    proc = run_cli("render", "--stack", "test", "--out", "build", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "build/web.Dockerfile",
        "build/web.dockerignore",
        "build/worker.Dockerfile",
        "build/worker.dockerignore",
    ]
    stack, lock = load_stack("test", root), Lock.load(root / "images.lock")
    for name, spec in stack.specs().items():
        assert (root / "build" / f"{name}.Dockerfile").read_text() == render(spec, lock)
        assert (root / "build" / f"{name}.dockerignore").read_text() == render_dockerignore(spec)
    web = (root / "build" / "web.Dockerfile").read_text()
    assert f"FROM 127.0.0.1:5000/library/python:3.11-slim-bookworm@{SLIM}\n" in web
    worker = (root / "build" / "worker.Dockerfile").read_text()
    assert f"FROM 127.0.0.1:5000/library/python:3.11-bookworm@{FULL} AS builder\n" in worker
    assert (root / "build" / "worker.dockerignore").read_text().endswith(".ruff_cache\ndata/\n")
    assert sorted(p.name for p in (root / "build").iterdir()) == [
        "web.Dockerfile",
        "web.dockerignore",
        "worker.Dockerfile",
        "worker.dockerignore",
    ]


def test_render_one_image_with_another_lock(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "images.lock").rename(root / "ci.lock")
    proc = run_cli(
        "render", "--stack", "test", "--image", "web", "--out", "o", "--lock", "ci.lock", cwd=root
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (root / "o").iterdir()) == ["web.Dockerfile", "web.dockerignore"]


def test_a_base_missing_from_the_lock_writes_nothing(tmp_path: Path) -> None:
    root = project(
        tmp_path, STACK.replace('python: "3.11"\n      layout', 'python: "3.12"\n      layout')
    )
    proc = run_cli("render", "--stack", "test", "--out", "build", cwd=root)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: python:3.12-bookworm (the builder base of this builder image) is not in "
        "images.lock; run `imagepin lock add python:3.12-bookworm --mirror 127.0.0.1:5000` (or "
        "`imagepin lock add --from-stacks`)\n"
    )
    assert not (root / "build").exists()


def test_render_errors_name_the_stack_file_and_key(tmp_path: Path) -> None:
    root = project(tmp_path, STACK.replace("layout: builder", "layout: bulder"))
    proc = run_cli("render", "--stack", "test", "--out", "build", cwd=root)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: stacks/Pulumi.test.yaml: imagepin:images[1].layout: 'bulder' is not one of "
        "slim, builder, debian-apt, ubuntu-rock; did you mean 'builder'?\n"
    )
    proc = run_cli(
        "render", "--stack", "test", "--image", "wbe", "--out", "b", cwd=project(tmp_path / "2")
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: stacks/Pulumi.test.yaml: no image named 'wbe' in imagepin:images (it has web, "
        "worker); did you mean 'web'?\n"
    )


def test_render_without_a_lock_file(tmp_path: Path) -> None:
    root = project(tmp_path, lock=False)
    proc = run_cli("render", "--stack", "test", "--out", "build", cwd=root)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: images.lock: no such lock file; create it with `imagepin lock add REF...` "
        "(`--from-stacks` for every base the stacks name), or point to the lock you have "
        "(--lock PATH on the command line, lock_file in a component)\n"
    )


def test_lock_add_needs_references_or_stacks(tmp_path: Path) -> None:
    proc = run_cli("lock", "add", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: nothing to add: give references (imagepin lock add python:3.12-slim-bookworm) "
        "or --from-stacks\n"
    )
    proc = run_cli("lock", "add", "--from-stacks", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        "error: .: no stack files (Pulumi.<stack>.yaml) to collect bases from; run from the "
        "project root or give references instead\n"
    )
    assert not (tmp_path / "images.lock").exists()
