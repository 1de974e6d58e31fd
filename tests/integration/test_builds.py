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
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import infra
from helpers import ROOT, run_cli

pytestmark = pytest.mark.integration

CA = "/etc/ssl/certs/ca-certificates.crt"
RUN_ID = uuid.uuid4().hex[:8]
STACK = """\
config:
  imagepin:baseMirror: 127.0.0.1:5000
  imagepin:allowPrerelease: false
  imagepin:buildSecrets:
    pip-ca: {file: /etc/ssl/certs/ca-certificates.crt}
  imagepin:images:
    - name: slim
      app: app
      python: "3.11"
      command: [python3, -m, service]
      port: 8000
      healthcheck: {path: /healthz}
      pip: {caSecret: pip-ca}
    - name: native
      app: app
      python: "3.11"
      layout: builder
      requirements: [requirements.txt, requirements-native.txt]
      buildPackages: [build-essential, libpq-dev]
      runtimePackages: [libpq5]
      command: [python3, -m, service]
      port: 8000
      healthcheck: {path: /healthz}
      pip: {caSecret: pip-ca}
    - name: apt
      app: app
      python: "3.11"
      layout: debian-apt
      command: [python3, -m, service]
      port: 8000
      healthcheck: {path: /healthz}
      pip: {caSecret: pip-ca}
    - name: multi
      app: app
      python: "3.11"
      platforms: [linux/amd64, linux/arm64]
      command: [python3, -m, service]
      port: 8000
      healthcheck: {path: /healthz}
      pip: {caSecret: pip-ca}
"""
NO_COMPILER = (
    "import glob, shutil; "
    "print(shutil.which('gcc'), shutil.which('cc'), glob.glob('/usr/bin/*gcc*'))"
)


class Workspace:
    """The throwaway project, its lock and rendered files, and the docker it drives."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.app = root / "app"
        self.lock = root / "images.lock"
        self.out = root / "rendered"
        self.env = {
            **os.environ,
            "DOCKER_BUILDKIT": "1",
            "DOCKER_CONFIG": str(root / "docker-config"),
        }
        self.images: dict[str, str] = {}
        self.containers: list[str] = []
        self.tags: list[str] = []

    def docker(self, *args: str, timeout: float = 900) -> str:
        proc = subprocess.run(
            [infra.DOCKER, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert proc.returncode == 0, f"docker {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout.strip()

    def build(self, name: str, *, platform: str = "linux/amd64", tag: str | None = None) -> str:
        """`docker build` of a rendered Dockerfile with the app as context; returns the tag."""
        tag = tag or f"imagepin-it/{name}:{RUN_ID}"
        self.docker(
            "build",
            "--platform",
            platform,
            "--secret",
            f"id=pip-ca,src={CA}",
            "-f",
            str(self.out / f"{name}.Dockerfile"),
            "-t",
            tag,
            str(self.app),
        )
        self.tags.append(tag)
        return tag

    def image(self, name: str) -> str:
        if name not in self.images:
            self.images[name] = self.build(name)
        return self.images[name]

    def serve(self, image: str, *, platform: str = "linux/amd64") -> tuple[str, str]:
        """Run the service (health probe every second); returns (container id, base URL)."""
        cid = self.docker(
            "run",
            "-d",
            "--platform",
            platform,
            "-p",
            "127.0.0.1::8000",
            "--health-interval=1s",
            "--health-start-period=2s",
            image,
        )
        self.containers.append(cid)
        address = self.docker("port", cid, "8000/tcp").splitlines()[0]
        return cid, f"http://{address}"

    def python(
        self, image: str, code: str, *, platform: str = "linux/amd64", user: str = ""
    ) -> str:
        run = ["run", "--rm", "--platform", platform, *(["--user", user] if user else [])]
        return self.docker(*run, image, "python3", "-c", code)


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
    root = tmp_path_factory.mktemp("builds")
    shutil.copytree(ROOT / "app", root / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "stacks").mkdir()
    (root / "stacks" / "Pulumi.it.yaml").write_text(STACK)
    (root / "docker-config").mkdir()
    workspace = Workspace(root)
    proc = run_cli("lock", "add", "--from-stacks", "--lock", str(workspace.lock), cwd=root)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli(
        "render",
        "--stack",
        "it",
        "--out",
        str(workspace.out),
        "--lock",
        str(workspace.lock),
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr
    yield workspace
    for cid in workspace.containers:
        subprocess.run([infra.DOCKER, "rm", "-f", cid], capture_output=True, check=False)
    for tag in workspace.tags:
        subprocess.run([infra.DOCKER, "rmi", tag], capture_output=True, check=False)


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


def image_size(ws: Workspace, image: str) -> int:
    return int(ws.docker("image", "inspect", "--format", "{{.Size}}", image))


def timed_build(ws: Workspace, *args: str) -> float:
    started = time.monotonic()
    ws.docker("build", "--secret", f"id=pip-ca,src={CA}", *args, str(ws.app))
    return time.monotonic() - started


def test_size_and_speed(ws: Workspace) -> None:
    """The figures in README's "Size and speed": slim vs naive-on-full, rebuild vs cold."""
    full = json.loads(ws.lock.read_text())["images"]["python:3.11-bookworm"]["digest"]
    naive = ws.root / "naive.Dockerfile"
    naive.write_text(
        f"FROM {infra.OPEN_REGISTRY}/library/python:3.11-bookworm@{full}\n"
        "WORKDIR /usr/src/app\n"
        "COPY . .\n"
        "RUN --mount=type=secret,id=pip-ca PIP_CERT=/run/secrets/pip-ca "
        "pip install -r requirements.txt\n"
        'CMD ["python3", "-m", "service"]\n'
    )
    naive_tag = f"imagepin-it/naive:{RUN_ID}"
    timed_build(ws, "-f", str(naive), "-t", naive_tag)
    ws.tags.append(naive_tag)
    slim_tag = f"imagepin-it/speed:{RUN_ID}"
    dockerfile = str(ws.out / "slim.Dockerfile")
    cold = timed_build(ws, "--no-cache", "-f", dockerfile, "-t", slim_tag)
    ws.tags.append(slim_tag)
    source = ws.app / "service" / "__init__.py"
    source.write_text(source.read_text() + f"\n# source-only change {RUN_ID}\n")
    rebuild = timed_build(ws, "-f", dockerfile, "-t", slim_tag)
    slim_size, naive_size = image_size(ws, slim_tag), image_size(ws, naive_tag)
    figures = {
        "slim_layout_mb": round(slim_size / 1e6, 1),
        "naive_on_full_mb": round(naive_size / 1e6, 1),
        "cold_build_s": round(cold, 1),
        "source_only_rebuild_s": round(rebuild, 1),
    }
    print(json.dumps(figures))
    assert slim_size < naive_size / 2
    assert rebuild < cold / 2
