"""ContainerService's and LocalRegistry's recorded Docker inputs, carried out with the real daemon.

No provider plugin runs here, so the test does what the docker provider would: it records the
`docker:index/container:Container` (and its `RemoteImage`) a ContainerService registers, turns
every recorded input into the matching `docker run` flag (an input the translator does not know
fails the test, so nothing recorded goes untried), pulls the image by digest and runs it. The
image is a tiny HTTP service built FROM the stand-in `python:3.11-slim-bookworm` by digest and
pushed to the local registry. Then: it answers on the host port, turns healthy, runs as the
non-root user with no capabilities on a read-only root (writable, noexec /tmp), has the limits,
labels and log options, and comes back after its process is killed. LocalRegistry runs a
registry:2-compatible image (Debian's `docker-registry` on the stand-in `debian:bookworm`,
pinned through a lock) and keeps what is pushed to it in its volume across a replacement.

Two differences from the provider, both stated where they happen: `docker run` only takes a
shell-form health command, so the recorded exec form is passed as its shell-quoted equivalent;
and the crash is a SIGKILL of the container's process from the host, because Docker counts
`docker kill` as a manual stop and does not restart after it, whatever the policy.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pulumi
import pytest

from components.container_service import ContainerService, ContainerServiceArgs
from components.preview import record
from components.registry import LocalRegistry
from imagepin.lock import Lock, LockEntry

import infra
from dockerrun import (
    docker,
    exec_in,
    free_port,
    get,
    healthy,
    inspect,
    run_command,
    wait_for,
)
from provider_schema import errors

pytestmark = pytest.mark.integration

RUN_ID = uuid.uuid4().hex[:8]
NAME = f"imagepin-e2e-{RUN_ID}"
TOKEN = f"token-{RUN_ID}"
SERVICE_PY = """\
import hashlib, json, os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/healthz":
            body = b"ok"
        elif self.path == "/":
            token = os.environ.get("API_TOKEN", "").encode()
            body = json.dumps({
                "uid": os.getuid(),
                "gid": os.getgid(),
                "greeting": os.environ.get("GREETING"),
                "token_sha256": hashlib.sha256(token).hexdigest(),
            }).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
"""


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service_image(standins: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The HTTP service, FROM the stand-in base by digest, pushed; its digest reference."""
    base = infra.manifest_digest(standins, "library/python", "3.11-slim-bookworm")
    context = tmp_path_factory.mktemp("service")
    (context / "service.py").write_text(SERVICE_PY)
    (context / "Dockerfile").write_text(
        f"FROM {standins}/library/python@{base}\n"
        "WORKDIR /srv\n"
        "COPY service.py ./\n"
        "USER 10001:10001\n"
        "EXPOSE 8000\n"
        'CMD ["python3", "service.py"]\n'
    )
    tag = f"{standins}/imagepin-e2e/service:{RUN_ID}"
    docker("build", "--tag", tag, str(context))
    docker("push", tag)
    digest = infra.manifest_digest(standins, "imagepin-e2e/service", RUN_ID)
    yield f"{standins}/imagepin-e2e/service@{digest}"
    docker("rmi", "--force", tag, check=False)


# --- the test -------------------------------------------------------------------------------


def test_recorded_container_runs_healthy_hardened_and_restarts(
    service_image: str, cleanup: list[tuple[str, str]], tmp_path: Path
) -> None:
    port, network = free_port(), f"{NAME}-net"
    args: ContainerServiceArgs = {
        "image": service_image,
        "env": {"GREETING": "hello from imagepin"},
        "secret_env": {"API_TOKEN": TOKEN},
        "labels": {"imagepin.test": RUN_ID},
        "memory": 256,
        "cpu": 0.5,
        "healthcheck": {"interval": 5, "start_period": 2},
        "docker": {
            "container_name": NAME,
            "host_port": port,
            "networks": [network],
            "log_max_size": "5m",
            "log_max_files": 2,
            "wait_timeout": 60,
        },
    }

    def program() -> None:
        ContainerService(NAME, args)

    rec = record(program, preview=False)
    remote = rec.named(f"{NAME}-image").inputs
    recorded = rec.named(f"{NAME}-container")
    assert errors(recorded) == []
    assert recorded.inputs["image"] == remote["name"] == service_image

    docker("pull", remote["name"])  # the RemoteImage: the daemon pulls by digest
    cleanup.append(("network", network))
    docker("network", "create", network)
    command, more_networks = run_command(recorded.inputs, tmp_path / "env")
    cleanup.append(("container", NAME))
    docker(*command)
    for extra in more_networks:
        docker("network", "connect", extra, NAME)
    assert TOKEN not in " ".join(command)

    # wait=True: healthy within waitTimeout, through the recorded python3 probe
    wait_for("healthy", lambda: healthy(NAME), float(recorded.inputs["waitTimeout"]))
    answer = get(port)
    assert answer == {
        "uid": 10001,
        "gid": 10001,
        "greeting": "hello from imagepin",
        "token_sha256": hashlib.sha256(TOKEN.encode()).hexdigest(),
    }

    assert exec_in(NAME, "id -u").stdout.strip() == "10001"
    read_only = exec_in(NAME, "touch /probe")
    assert read_only.returncode != 0
    assert "Read-only file system" in read_only.stderr
    assert exec_in(NAME, "touch /tmp/probe && echo ok").stdout.strip() == "ok"
    tmp_mount = exec_in(NAME, "grep ' /tmp ' /proc/mounts").stdout.split()
    assert tmp_mount[2] == "tmpfs"
    assert {"rw", "nosuid", "nodev", "noexec"} <= set(tmp_mount[3].split(","))
    status = exec_in(NAME, "cat /proc/1/status").stdout
    assert "CapEff:\t0000000000000000" in status
    assert "NoNewPrivs:\t1" in status

    state = inspect(NAME)
    host = state["HostConfig"]
    assert state["Config"]["Image"] == service_image
    assert state["Config"]["Labels"]["imagepin.test"] == RUN_ID
    assert host["Memory"] == 256 * 1024 * 1024
    assert host["NanoCpus"] == 500_000_000
    assert host["RestartPolicy"]["Name"] == "unless-stopped"
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"max-size": "5m", "max-file": "2"}}
    assert host["PortBindings"] == {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    assert network in state["NetworkSettings"]["Networks"]

    # a crash: the service's process killed from outside; the restart policy brings it back
    os.kill(state["State"]["Pid"], 9)
    wait_for(
        "restart after the kill",
        lambda: (s := inspect(NAME))["RestartCount"] >= 1 and s["State"]["Running"],
        30,
    )
    wait_for("healthy after the restart", lambda: healthy(NAME), 60)
    assert get(port) == answer


# --- LocalRegistry --------------------------------------------------------------------------

REGISTRY_CONFIG = """\
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: /var/lib/registry}}
http: {addr: 0.0.0.0:5000}
"""


@pytest.fixture(scope="module")
def registry_image(standins: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A registry:2-compatible image (Debian's docker-registry), pushed; its tag reference."""
    base = infra.manifest_digest(standins, "library/debian", "bookworm")
    context = tmp_path_factory.mktemp("registry")
    (context / "registry").write_bytes(Path("/usr/bin/docker-registry").read_bytes())
    (context / "config.yml").write_text(REGISTRY_CONFIG)
    (context / "Dockerfile").write_text(
        f"FROM {standins}/library/debian@{base}\n"
        "COPY --chmod=755 registry /bin/registry\n"
        "COPY config.yml /etc/docker/registry/config.yml\n"
        "RUN mkdir -p /var/lib/registry\n"
        "EXPOSE 5000\n"
        'CMD ["/bin/registry", "serve", "/etc/docker/registry/config.yml"]\n'
    )
    tag = f"{standins}/imagepin-e2e/registry:{RUN_ID}"
    docker("build", "--tag", tag, str(context))
    docker("push", tag)
    yield tag
    docker("rmi", "--force", tag, check=False)


def tags(address: str, repository: str) -> list[str]:
    url = f"http://{address}/v2/{repository}/tags/list"
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.loads(resp.read())["tags"]  # type: ignore[no-any-return]


def test_recorded_local_registry_serves_pushes_from_its_volume(
    registry_image: str, cleanup: list[tuple[str, str]], tmp_path: Path
) -> None:
    host, _, tag = registry_image.rpartition(":")
    digest = infra.manifest_digest(infra.OPEN_REGISTRY, "imagepin-e2e/registry", tag)
    entry = LockEntry(
        digest=digest,
        media_type="application/vnd.docker.distribution.manifest.v2+json",
        registry=infra.OPEN_REGISTRY,
        resolved_at=datetime.now(UTC),
    )
    lock = Lock(tmp_path / "images.lock", {registry_image: entry})
    port, name = free_port(), f"{NAME}-registry"

    def program() -> None:
        registry = LocalRegistry(
            name,
            {
                "image": registry_image,
                "port": port,
                "volume_name": f"{name}-data",
                # Debian's minimal root has no wget: probe the port with bash instead
                "healthcheck_command": ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/5000"],
            },
            lock=lock,
        )
        pulumi.export("address", registry.address)

    rec = record(program, preview=False)
    address = rec.outputs["address"]
    assert address == f"127.0.0.1:{port}"
    remote = rec.named(f"{name}-image").inputs
    assert remote["name"] == f"{host}@{digest}"
    volume = rec.named(f"{name}-data").inputs
    recorded = rec.named(f"{name}-container")
    assert [errors(r) for r in rec.resources] == [[], [], [], []]

    docker("pull", remote["name"])
    cleanup.append(("volume", volume["name"]))
    docker("volume", "create", volume["name"])
    command, _ = run_command(recorded.inputs, tmp_path / "env")
    cleanup.append(("container", name))
    docker(*command)
    wait_for("healthy", lambda: healthy(name), float(recorded.inputs["waitTimeout"]))
    status = exec_in(name, "cat /proc/1/status").stdout
    assert "CapEff:\t0000000000000000" in status
    assert exec_in(name, "touch /probe").returncode != 0

    pushed = f"{address}/e2e/hello:{RUN_ID}"
    docker("tag", registry_image, pushed)
    docker("push", pushed)
    docker("rmi", pushed)
    assert tags(address, "e2e/hello") == [RUN_ID]

    # a replacement (delete before replace) keeps what was pushed: it lives in the volume
    docker("rm", "--force", name)
    docker(*command)
    wait_for("healthy after the replacement", lambda: healthy(name), 60)
    assert tags(address, "e2e/hello") == [RUN_ID]
