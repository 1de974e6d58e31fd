"""The dev stack, end to end: what the program registers, carried out with the real daemon.

No Pulumi engine runs here, so the test does the providers' part from the recorded inputs:
  1. a copy of the project whose dev stack differs in two stated ways: Python 3.11 with the base
     mirror at the local registry (the stand-in bases; Docker Hub is unreachable), and the
     images pushed to that registry (`kind: server`; LocalRegistry has its own e2e test);
  2. `imagepin lock add --from-stacks` pins the bases through the mirror;
  3. the program runs under the mock monitor (`imagepin preview`'s recorder);
  4. the recorded `docker-build:index:Image` is built: its inline Dockerfile, context, platforms,
     build secrets and tags, pushed like `push: true`;
  5. the recorded `docker:index/container:Container` is run with every recorded setting, its
     image being the pushed digest (the one value the engine would only know after step 4).
Then the service answers, turns healthy, runs as non-root on a read-only root filesystem, and
comes back after its process is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import uuid
from pathlib import Path

import pytest
import yaml

from components.cli_preview import run_preview
from components.preview import Secret

import infra
from dockerrun import (
    docker,
    exec_in,
    free_port,
    get,
    healthy,
    inspect,
    plain,
    run_command,
    wait_for,
)
from helpers import ROOT, run_cli
from provider_schema import errors

pytestmark = pytest.mark.integration
RUN = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def project(standins: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("devstack")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "app", root / "app", ignore=shutil.ignore_patterns(".*", "__pycache__"))
    (root / "stacks").mkdir()
    dev = yaml.safe_load((ROOT / "stacks" / "Pulumi.dev.yaml").read_text())
    config = dev["config"]
    config["imagepin:baseMirror"] = standins
    config["imagepin:registry"] = {"kind": "server", "server": standins, "namespace": f"e2e-{RUN}"}
    config["imagepin:images"][0]["python"] = "3.11"
    config["imagepin:services"][0]["hostPort"] = free_port()
    (root / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(dev, sort_keys=False))
    pinned = run_cli("lock", "add", "--from-stacks", cwd=root)
    assert pinned.returncode == 0, pinned.stderr
    return root


def test_dev_stack_builds_pushes_and_runs_from_its_recorded_resources(
    project: Path, standins: str, tmp_path: Path, cleanup: list[tuple[str, str]]
) -> None:
    rec = run_preview("dev", project)
    for resource in rec.resources:
        assert errors(resource) == [], resource.name
    build = rec.named("service-build").inputs
    assert build["push"] is True and build["platforms"] == ["linux/amd64"]

    # 4. the build, as the docker-build provider would run it
    secrets = plain(build["secrets"])
    assert isinstance(build["secrets"], Secret) and set(secrets) == {"pip-ca"}
    secret_file = tmp_path / "pip-ca"
    secret_file.write_text(secrets["pip-ca"])
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(build["dockerfile"]["inline"])
    tags = build["tags"]
    command = ["build", "--file", str(dockerfile), "--platform", build["platforms"][0]]
    command += ["--secret", f"id=pip-ca,src={secret_file}"]
    for key, value in sorted(build["labels"].items()):
        command += ["--label", f"{key}={value}"]
    for tag in tags:
        command += ["--tag", tag]
    docker(*command, str(project / build["context"]["location"]))
    for tag in tags:
        docker("push", tag)
        cleanup.append(("image", tag))
    repository, _, tag = tags[0].rpartition(":")
    digest = infra.manifest_digest(standins, repository.split("/", 1)[1], tag)
    assert inspect(tags[0])["Config"]["Labels"]["org.opencontainers.image.base.name"] == (
        "docker.io/library/python:3.11-slim-bookworm"
    )

    # 5. the container, with every recorded setting, from the pushed digest
    container = dict(rec.named("service-container").inputs)
    container["image"] = f"{repository}@{digest}"
    container["name"] = f"{container['name']}-{RUN}"
    args, _ = run_command(container, tmp_path / "env")
    docker("pull", container["image"])
    docker(*args)
    name = container["name"]
    cleanup.append(("container", name))
    port = int(container["ports"][0]["external"])
    wait_for("healthy", lambda: healthy(name), 90)
    assert get(port, "/healthz")["status"] == "ok"

    assert exec_in(name, "id -u").stdout.strip() == "10001"
    assert exec_in(name, "touch /root-write").returncode != 0  # read-only root filesystem
    assert exec_in(name, "touch /tmp/ok && echo yes").stdout.strip() == "yes"

    before = inspect(name)["RestartCount"]
    os.kill(inspect(name)["State"]["Pid"], signal.SIGKILL)  # a crash, not a manual stop
    wait_for("restarted", lambda: inspect(name)["RestartCount"] > before, 60)
    wait_for("healthy again", lambda: healthy(name), 90)
    assert get(port, "/healthz")["status"] == "ok"
