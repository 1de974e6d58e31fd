"""Shared by the image benchmarks (image_size, rebuild, interpreter) and by
tests/integration/test_builds.py: a throwaway project built for real.

The project is the sample app (`app/`) with a stack on the stand-ins' Python 3.11 and the local
registry as base mirror (`STACK`). `prepare_workspace` takes it through the real chain
(`imagepin lock add --from-stacks` against the registry, then `imagepin render`); `Workspace`
drives `/usr/bin/docker` with BuildKit and the host CA as the `pip-ca` build secret, remembers
every tag, image and container it makes and removes them again (`cleanup`).

Nothing here pulls from Docker Hub: every `FROM` names the local registry.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

import infra  # noqa: E402
from helpers import run_cli  # noqa: E402

CA = "/etc/ssl/certs/ca-certificates.crt"
PLATFORM = "linux/amd64"
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
# The stand-in base each rendered layout runs on (its final stage), as in images.lock.
RUNTIME_BASE = {
    "slim": "python:3.11-slim-bookworm",
    "native": "python:3.11-slim-bookworm",
    "apt": "debian:bookworm",
    "multi": "python:3.11-slim-bookworm",
    "naive": "python:3.11-bookworm",
}
NO_COMPILER = (
    "import glob, shutil; "
    "print(shutil.which('gcc'), shutil.which('cc'), glob.glob('/usr/bin/*gcc*'))"
)


def naive_dockerfile(base: str) -> str:
    """What many write first: FROM the full image, the whole context, pip install, CMD."""
    return (
        f"FROM {base}\n"
        "WORKDIR /usr/src/app\n"
        "COPY . .\n"
        "RUN --mount=type=secret,id=pip-ca PIP_CERT=/run/secrets/pip-ca "
        "pip install -r requirements.txt\n"
        'CMD ["python3", "-m", "service"]\n'
    )


class DockerError(RuntimeError):
    pass


class Workspace:
    """The throwaway project, its lock and rendered files, and the docker it drives."""

    def __init__(self, root: Path, *, prefix: str = "imagepin-it", run_id: str = "") -> None:
        self.root = root
        self.app = root / "app"
        self.lock = root / "images.lock"
        self.out = root / "rendered"
        self.prefix = prefix
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self.env = {
            **os.environ,
            "DOCKER_BUILDKIT": "1",
            "DOCKER_CONFIG": str(root / "docker-config"),
        }
        self.images: dict[str, str] = {}
        self.containers: list[str] = []
        self.tags: list[str] = []
        self.image_ids: list[str] = []
        self.manifests: list[tuple[str, str]] = []  # (repository, digest) pushed to the registry

    def docker(self, *args: str, timeout: float = 900) -> str:
        return self.docker_run(*args, timeout=timeout).stdout.strip()

    def docker_run(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [infra.DOCKER, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise DockerError(f"docker {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def tag(self, name: str) -> str:
        return f"{self.prefix}/{name}:{self.run_id}"

    def base(self, key: str) -> str:
        """The pinned reference of a locked base, e.g. `python:3.11-bookworm`, via the mirror."""
        entry = json.loads(self.lock.read_text())["images"][key]
        repository, _, _ = key.partition(":")
        path = repository if "/" in repository else f"library/{repository}"
        return f"{entry['registry']}/{path}@{entry['digest']}"

    def build_file(
        self,
        dockerfile: Path,
        tag: str,
        *args: str,
        platform: str = PLATFORM,
    ) -> tuple[str, float, str]:
        """`docker build` of `dockerfile` with the app as context: (image id, seconds, log)."""
        iidfile = self.root / f"iid-{uuid.uuid4().hex[:8]}"
        started = time.monotonic()
        proc = self.docker_run(
            "build",
            "--progress=plain",
            "--platform",
            platform,
            "--secret",
            f"id=pip-ca,src={CA}",
            "--iidfile",
            str(iidfile),
            *args,
            "-f",
            str(dockerfile),
            "-t",
            tag,
            str(self.app),
        )
        seconds = time.monotonic() - started
        image_id = iidfile.read_text().strip()
        iidfile.unlink()
        if tag not in self.tags:
            self.tags.append(tag)
        self.image_ids.append(image_id)
        return image_id, seconds, proc.stderr

    def build(self, name: str, *, platform: str = PLATFORM, tag: str | None = None) -> str:
        """`docker build` of a rendered Dockerfile with the app as context; returns the tag."""
        tag = tag or self.tag(name)
        self.build_file(self.out / f"{name}.Dockerfile", tag, platform=platform)
        return tag

    def image(self, name: str) -> str:
        if name not in self.images:
            self.images[name] = self.build(name)
        return self.images[name]

    def serve(self, image: str, *, platform: str = PLATFORM) -> tuple[str, str]:
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

    def python(self, image: str, code: str, *, platform: str = PLATFORM, user: str = "") -> str:
        run = ["run", "--rm", "--platform", platform, *(["--user", user] if user else [])]
        return self.docker(*run, image, "python3", "-c", code)

    def size(self, image: str) -> int:
        """Uncompressed size as Docker reports it (`docker image inspect .Size`)."""
        return int(self.docker("image", "inspect", "--format", "{{.Size}}", image))

    def push(self, tag: str, name: str) -> tuple[str, str]:
        """Push `tag` to the open registry as a unique repository; (repository, digest)."""
        repository = f"{self.prefix}/{name}"
        target = f"{infra.OPEN_REGISTRY}/{repository}:{self.run_id}"
        self.docker("tag", tag, target)
        self.tags.append(target)
        self.docker("push", target)
        digest = infra.manifest_digest(infra.OPEN_REGISTRY, repository, self.run_id)
        self.manifests.append((repository, digest))
        return repository, digest

    def cleanup(self) -> None:
        """Remove the containers, tags, dangling built images and pushed manifests."""
        for cid in self.containers:
            subprocess.run([infra.DOCKER, "rm", "-f", cid], capture_output=True, check=False)
        for tag in self.tags:
            subprocess.run([infra.DOCKER, "rmi", tag], capture_output=True, check=False)
        for image_id in dict.fromkeys(self.image_ids):
            # Only images nothing else names: an identical build elsewhere keeps its image.
            tags = subprocess.run(
                [infra.DOCKER, "image", "inspect", "--format", "{{len .RepoTags}}", image_id],
                capture_output=True,
                text=True,
                check=False,
            )
            if tags.returncode == 0 and tags.stdout.strip() == "0":
                subprocess.run([infra.DOCKER, "rmi", image_id], capture_output=True, check=False)
        for repository, digest in self.manifests:
            req = urllib.request.Request(
                f"http://{infra.OPEN_REGISTRY}/v2/{repository}/manifests/{digest}",
                method="DELETE",
            )
            with contextlib.suppress(OSError):
                urllib.request.urlopen(req, timeout=10).close()


def prepare_workspace(root: Path, *, prefix: str = "imagepin-it", run_id: str = "") -> Workspace:
    """Copy the sample app, write the stack, pin its bases through the mirror, render."""
    shutil.copytree(ROOT / "app", root / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    (root / "stacks").mkdir()
    (root / "stacks" / "Pulumi.it.yaml").write_text(STACK)
    (root / "docker-config").mkdir()
    workspace = Workspace(root, prefix=prefix, run_id=run_id)
    lock, out = str(workspace.lock), str(workspace.out)
    for args in (
        ("lock", "add", "--from-stacks", "--lock", lock),
        ("render", "--stack", "it", "--out", out, "--lock", lock),
    ):
        proc = run_cli(*args, cwd=root)
        if proc.returncode != 0:
            raise RuntimeError(
                f"imagepin {' '.join(args)} (exit {proc.returncode}):\n{proc.stderr}"
            )
    return workspace


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 (subprocesses included) to stderr for the duration."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


@contextlib.contextmanager
def bench_workspace(benchmark: str) -> Iterator[Workspace]:
    """Infra up (cached), a fresh project in a temporary folder, everything removed after."""
    with stdout_to_stderr():  # a benchmark's stdout is its JSON alone
        infra.up()
    with tempfile.TemporaryDirectory(prefix=f"imagepin-{benchmark}-") as tmp:
        run_id = uuid.uuid4().hex[:8]
        workspace = prepare_workspace(
            Path(tmp), prefix=f"imagepin-bench-{run_id}", run_id=benchmark
        )
        try:
            yield workspace
        finally:
            workspace.cleanup()


def registry_json(repository: str, reference: str) -> tuple[str, dict[str, Any]]:
    """(digest, body) of a manifest or index in the open registry."""
    req = urllib.request.Request(
        f"http://{infra.OPEN_REGISTRY}/v2/{repository}/manifests/{reference}",
        headers={"Accept": infra.MANIFEST_TYPES},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return str(resp.headers["Docker-Content-Digest"]), json.loads(resp.read())


def platform_manifest(repository: str, reference: str, platform: str = PLATFORM) -> dict[str, Any]:
    """The image manifest for `platform`, following an index if `reference` names one."""
    _, body = registry_json(repository, reference)
    if "manifests" in body:
        os_, arch = platform.split("/")[:2]
        for entry in body["manifests"]:
            plat = entry.get("platform", {})
            if (plat.get("os"), plat.get("architecture")) == (os_, arch):
                return registry_json(repository, entry["digest"])[1]
        raise LookupError(f"{repository}@{reference} has no {platform} manifest")
    return body


def cached_steps(build_log: str) -> dict[str, bool]:
    """Each Dockerfile step of a `--progress=plain` log -> whether BuildKit reused it."""
    names: dict[str, str] = {}
    cached: set[str] = set()
    for line in build_log.splitlines():
        step = re.match(r"#(\d+) (\[[^\]]*\d+/\d+\] .*)", line)
        if step and "] FROM " not in step.group(2):  # a base is resolved, never rebuilt
            names[step.group(1)] = step.group(2)
        elif re.match(r"#\d+ CACHED$", line.strip()):
            cached.add(line.split()[0][1:])
    return {desc: num in cached for num, desc in names.items()}


def local_base(key: str) -> str:
    """The local Docker image `tests/infra.py` pushed for a locked base (its amd64 image)."""
    repository, _, tag = key.partition(":")
    path = repository if "/" in repository else f"library/{repository}"
    for standin in infra.STANDINS:
        if (standin.repository, standin.tag) == (path, tag):
            name = f"{infra.OPEN_REGISTRY}/{path}:{tag}"
            return f"{name}-amd64" if len(standin.arches) > 1 else name
    raise LookupError(f"{key} is not a stand-in of tests/infra.py")
