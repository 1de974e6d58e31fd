"""Rendered Dockerfiles built for real: every layout with a stand-in, run, probed, inspected.

A throwaway project (the sample app, a test stack on the stand-ins' Python 3.11 with the local
registry as base mirror) goes through the real chain: `imagepin lock add --from-stacks` against
the registry, `imagepin render`, `docker build` with the host CA as the `pip-ca` BuildKit
secret, `docker run`. The ubuntu-rock layout has no stand-in (Docker Hub is out of reach) and
is covered by rendering only (tests/unit/test_dockerfile.py).

Size and speed (README, "Size and speed"):
    .venv/bin/pytest tests/integration/test_builds.py -k size_and_speed -s
"""

from __future__ import annotations

import json
import sys
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import infra
from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import (  # shared with the image benchmarks
    NO_COMPILER,
    Workspace,
    local_base,
    naive_dockerfile,
    prepare_workspace,
)

pytestmark = pytest.mark.integration

RUN_ID = uuid.uuid4().hex[:8]


def get_json(url: str, timeout: float = 90) -> Any:
    """GET `url` until it answers 200 (the service may still be starting); the JSON body."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return json.loads(resp.read())
        except (urllib.error.URLError, ConnectionError) as exc:
            if isinstance(exc, urllib.error.HTTPError) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def wait_healthy(ws: Workspace, cid: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = ws.docker("inspect", "--format", "{{.State.Health.Status}}", cid)
        if status == "healthy":
            break
        time.sleep(0.5)
    return status


@pytest.fixture(scope="module")
def ws(standins: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    workspace = prepare_workspace(tmp_path_factory.mktemp("builds"), run_id=RUN_ID)
    yield workspace
    workspace.cleanup()


def test_lock_from_stacks_pins_every_base_through_the_mirror(ws: Workspace) -> None:
    entries = json.loads(ws.lock.read_text())["images"]
    assert sorted(entries) == [
        "debian:bookworm",
        "python:3.11-bookworm",
        "python:3.11-slim-bookworm",
    ]
    for key, entry in entries.items():
        repository, _, tag = key.partition(":")
        path = repository if "/" in repository else f"library/{repository}"
        assert entry["registry"] == infra.OPEN_REGISTRY
        assert entry["digest"] == infra.manifest_digest(infra.OPEN_REGISTRY, path, tag)
    assert set(entries["python:3.11-slim-bookworm"]["platforms"]) == {
        "linux/amd64",
        "linux/arm64/v8",
    }
    slim = (ws.out / "slim.Dockerfile").read_text()
    digest = entries["python:3.11-slim-bookworm"]["digest"]
    assert f"\nFROM 127.0.0.1:5000/library/python:3.11-slim-bookworm@{digest}\n" in slim


def check_service(ws: Workspace, image: str) -> dict[str, Any]:
    """Serve `image`: endpoints answer, the health check passes, uid 10001, no compiler."""
    cid, url = ws.serve(image)
    health = get_json(f"{url}/healthz")
    assert health["status"] == "ok"
    assert health["python"].startswith("3.11.")
    paris = get_json(f"{url}/time?tz=Europe/Paris")
    assert paris["tz"] == "Europe/Paris" and paris["utc_offset"] in ("+01:00", "+02:00")
    with pytest.raises(urllib.error.HTTPError) as missing:
        get_json(f"{url}/time?tz=Mars/Olympus")
    assert missing.value.code == 404
    assert wait_healthy(ws, cid) == "healthy"
    assert ws.docker("exec", cid, "id", "-u") == "10001"
    assert ws.docker("exec", cid, "id", "-g") == "10001"
    assert ws.python(image, NO_COMPILER) == "None None []"
    owner = "import os; s = os.stat('service/__init__.py'); print(s.st_uid, s.st_gid)"
    assert ws.python(image, owner) == "0 10001"  # the app reads its code, cannot rewrite it
    leftovers = (
        "import os; "
        "print([p for p in ('/run/secrets/pip-ca', '/root/.cache') if os.path.exists(p)])"
    )
    assert ws.python(image, leftovers, user="0") == "[]"  # no secret, no pip cache left behind
    history = ws.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image)
    assert "BEGIN CERTIFICATE" not in history
    return health


def test_slim_layout_builds_and_serves(ws: Workspace) -> None:
    health = check_service(ws, ws.image("slim"))
    assert health["native"] is None  # psycopg2 is not in requirements.txt


def test_builder_layout_compiles_in_the_builder_only(ws: Workspace) -> None:
    image = ws.image("native")
    health = check_service(ws, image)
    assert health["native"]["psycopg2"].startswith("2.9.13")
    assert health["native"]["libpq"] >= 150000  # linked against bookworm's libpq5
    wheels = "import glob; print(glob.glob('/opt/venv/lib/python3*/site-packages/psycopg2/*.so'))"
    assert "_psycopg" in ws.python(image, wheels)
    packages = ws.docker("run", "--rm", image, "dpkg-query", "-W", "-f", "${Package}\\n")
    assert "libpq5" in packages.split()
    assert not {"build-essential", "libpq-dev", "gcc", "python3-dev"} & set(packages.split())
    # the runtime stage's apt install keeps debconf's database out of its layer (dpkg-preconfigure
    # off): no file of /var/cache/debconf is copied above the slim base (deletions of its backups,
    # zero-byte whiteouts, aside), while dpkg's status is
    added = files_above_base(ws, image, local_base("python:3.11-slim-bookworm"))
    assert "var/lib/dpkg/status" in added
    debconf = [n for n in added if n.startswith("var/cache/debconf/") and "/.wh." not in n]
    assert not debconf


def files_above_base(ws: Workspace, image: str, base: str) -> set[str]:
    """Regular files in the layers `image` adds on top of `base` (read from `docker save`)."""
    layers = "{{json .RootFS.Layers}}"
    below = len(json.loads(ws.docker("image", "inspect", "--format", layers, base)))
    archive = ws.root / "saved.tar"
    ws.docker("save", "-o", str(archive), image)
    try:
        with tarfile.open(archive) as outer:
            manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
            found: set[str] = set()
            for name in manifest[0]["Layers"][below:]:
                with tarfile.open(fileobj=outer.extractfile(name)) as layer:
                    found |= {m.name for m in layer if m.isfile()}
            return found
    finally:
        archive.unlink()


def test_debian_apt_layout_runs_debians_python(ws: Workspace) -> None:
    image = ws.image("apt")
    check_service(ws, image)
    where = "import sys; print(sys.base_prefix, sys.prefix)"
    assert ws.python(image, where) == "/usr /opt/venv"
    packages = ws.docker("run", "--rm", image, "dpkg-query", "-W", "-f", "${Package}\\n").split()
    assert "python3" in packages and "python3-venv" not in packages


def index_of(repository: str, reference: str) -> dict[str, Any]:
    req = urllib.request.Request(
        f"http://{infra.OPEN_REGISTRY}/v2/{repository}/manifests/{reference}",
        headers={"Accept": infra.MANIFEST_TYPES},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return {"digest": resp.headers["Docker-Content-Digest"], **json.loads(resp.read())}


def test_two_platform_index_is_pushed_and_arm64_runs_under_qemu(ws: Workspace) -> None:
    repository = f"imagepin-it/multi-{RUN_ID}"
    target = f"{infra.OPEN_REGISTRY}/{repository}"
    pushed: dict[str, str] = {}
    for arch in ("amd64", "arm64"):
        tag = ws.build("multi", platform=f"linux/{arch}", tag=f"{target}:{arch}")
        ws.docker("push", tag)
        pushed[arch] = infra.manifest_digest(infra.OPEN_REGISTRY, repository, arch)
    ws.docker(
        "manifest", "create", "--insecure", f"{target}:v1", f"{target}:amd64", f"{target}:arm64"
    )
    ws.docker(
        "manifest",
        "annotate",
        "--os",
        "linux",
        "--arch",
        "amd64",
        f"{target}:v1",
        f"{target}:amd64",
    )
    ws.docker(
        "manifest",
        "annotate",
        "--os",
        "linux",
        "--arch",
        "arm64",
        "--variant",
        "v8",
        f"{target}:v1",
        f"{target}:arm64",
    )
    ws.docker("manifest", "push", "--purge", "--insecure", f"{target}:v1")

    index = index_of(repository, "v1")
    platforms = {
        "/".join(
            [m["platform"]["os"], m["platform"]["architecture"]]
            + ([m["platform"]["variant"]] if "variant" in m["platform"] else [])
        ): m["digest"]
        for m in index["manifests"]
    }
    assert platforms == {"linux/amd64": pushed["amd64"], "linux/arm64/v8": pushed["arm64"]}
    for digest in platforms.values():
        manifest = index_of(repository, digest)
        assert manifest["digest"] == digest and manifest["layers"]

    pinned = f"{target}@{index['digest']}"
    machine = "import platform; print(platform.machine())"
    assert ws.python(pinned, machine, platform="linux/amd64") == "x86_64"
    ws.docker("rmi", pinned)  # docker keeps one image per pulled digest: pull it again for arm64
    assert ws.python(pinned, machine, platform="linux/arm64") == "aarch64"
    cid, url = ws.serve(pinned, platform="linux/arm64")
    health = get_json(f"{url}/healthz", timeout=180)
    assert (health["status"], health["machine"]) == ("ok", "aarch64")
    assert ws.docker("exec", cid, "id", "-u") == "10001"
    ws.tags += [pinned]


def test_size_and_speed(ws: Workspace) -> None:
    """The figures in README's "Size and speed": slim vs naive-on-full, rebuild vs cold."""
    naive = ws.root / "naive.Dockerfile"
    naive.write_text(naive_dockerfile(ws.base("python:3.11-bookworm")))
    naive_tag = ws.tag("naive")
    ws.build_file(naive, naive_tag)
    slim_tag = ws.tag("speed")
    dockerfile = ws.out / "slim.Dockerfile"
    _, cold, _ = ws.build_file(dockerfile, slim_tag, "--no-cache")
    source = ws.app / "service" / "__init__.py"
    source.write_text(source.read_text() + f"\n# source-only change {RUN_ID}\n")
    _, rebuild, _ = ws.build_file(dockerfile, slim_tag)
    slim_size, naive_size = ws.size(slim_tag), ws.size(naive_tag)
    figures = {
        "slim_layout_mb": round(slim_size / 1e6, 1),
        "naive_on_full_mb": round(naive_size / 1e6, 1),
        "cold_build_s": round(cold, 1),
        "source_only_rebuild_s": round(rebuild, 1),
    }
    print(json.dumps(figures))
    assert slim_size < naive_size / 2
    assert rebuild < cold / 2
