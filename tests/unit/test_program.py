"""The program (`__main__.py`) of each stack under the mock monitor, as `imagepin preview` does.

The project is copied to a temporary folder with an `images.lock` pinning every base the stacks
need (made-up digests: nothing is pulled under mocks), so these tests need no registry.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from components.cli_preview import run_preview
from components.preview import Recording, Secret, Unknown
from imagepin.config import load_all, stack_bases
from imagepin.lock import Lock, LockEntry

from helpers import ROOT, run_cli
from provider_schema import errors

ALL_PLATFORMS = ("linux/amd64", "linux/arm64/v8", "linux/arm/v7")


def fake(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, root / name)
    for folder in ("stacks", "app"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".*"))
    when = datetime(2026, 11, 25, tzinfo=UTC)
    entries = {
        ref.familiar(): LockEntry(
            digest=fake(str(ref)),
            media_type="application/vnd.oci.image.index.v1+json",
            platforms={p: fake(f"{ref}{p}") for p in ALL_PLATFORMS},
            registry="docker.io",
            resolved_at=when,
        )
        for ref, _ in stack_bases(load_all(root))
    }
    Lock(root / "images.lock", entries).save()
    return root


@pytest.fixture(scope="module")
def recordings(project: Path) -> dict[str, Recording]:
    return {name: run_preview(name, project) for name in ("dev", "staging", "prod")}


def shape(rec: Recording) -> list[tuple[str, str]]:
    return sorted((r.type, r.name) for r in rec.resources)


def test_dev_registers_the_local_registry_the_image_and_the_container(recordings) -> None:
    rec = recordings["dev"]
    assert shape(rec) == [
        ("docker-build:index:Image", "service-build"),
        ("docker:index/container:Container", "registry-container"),
        ("docker:index/container:Container", "service-container"),
        ("docker:index/remoteImage:RemoteImage", "registry-image"),
        ("docker:index/remoteImage:RemoteImage", "service-image"),
        ("docker:index/volume:Volume", "registry-data"),
        ("imagepin:index:ContainerService", "service"),
        ("imagepin:index:LocalRegistry", "registry"),
        ("imagepin:index:PythonImage", "service"),
    ]
    for resource in rec.resources:
        assert errors(resource) == [], resource.name
    image = rec.named("service-build")
    assert image.options["retainOnDelete"] is True
    assert image.inputs["platforms"] == ["linux/amd64"]
    inline = image.inputs["dockerfile"]["inline"]
    assert "FROM docker.io/library/python:" in inline and "@sha256:" in inline
    assert isinstance(image.inputs["secrets"], Secret)  # the pip CA bundle, never shown
    container = rec.named("service-container").inputs
    assert container["ports"] == [
        {"internal": 8000, "external": 8080, "ip": "127.0.0.1", "protocol": "tcp"}
    ]
    assert container["readOnly"] is True and container["user"] == "10001:10001"
    shown = rec.display()
    assert "BEGIN CERTIFICATE" not in json.dumps(shown)
    assert set(shown["outputs"]) == {
        "registryAddress",
        "serviceRef",
        "serviceDockerfile",
        "serviceEndpoint",
    }
    assert shown["outputs"]["serviceRef"] == "[unknown]"  # the digest exists after the push
    assert shown["outputs"]["serviceDockerfile"] == inline


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_push_to_ecr_and_run_on_ecs(recordings, stack: str) -> None:
    rec = recordings[stack]
    types = {r.type for r in rec.resources}
    assert {
        "aws:ecr/repository:Repository",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecs/taskDefinition:TaskDefinition",
        "aws:ecs/service:Service",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:iam/role:Role",
    } <= types
    assert "docker:index/container:Container" not in types
    # ECR tags are immutable, so the registry cache lives in a second, mutable repository:
    # one build per platform (each with its own cache tag there), joined by an index
    images = rec.of_type("docker-build:index:Image")
    assert sorted(i.inputs["platforms"][0] for i in images) == ["linux/amd64", "linux/arm64"]
    for image in images:
        assert errors(image) == []
        # the cache repository's URL is known after it is created (test_python_image checks
        # the refs PythonImage makes of a known `cache_repository`)
        assert image.inputs["cacheFrom"] == [{"registry": {"ref": Unknown()}}]
        assert image.inputs["cacheTo"][0]["registry"]["ref"] == Unknown()
    (index,) = rec.of_type("docker-build:index:Index")
    assert index.inputs["push"] is True
    image = images[0]
    assert isinstance(image.inputs["registries"], Secret)
    (service,) = rec.of_type("aws:ecs/service:Service")
    assert service.inputs["launchType"] == "FARGATE"
    breaker = service.inputs["deploymentCircuitBreaker"]
    assert breaker == {"enable": True, "rollback": True}
    assert service.inputs["desiredCount"] == (2 if stack == "staging" else 3)
    repos = {r.name: r.inputs for r in rec.of_type("aws:ecr/repository:Repository")}
    assert repos["service-repository"]["imageTagMutability"] == "IMMUTABLE"
    assert repos["service-repository"]["imageScanningConfiguration"] == {"scanOnPush": True}
    cache = repos["service-buildcache-repository"]
    assert cache["imageTagMutability"] == "MUTABLE"
    assert cache["imageScanningConfiguration"] == {"scanOnPush": False}
    assert cache["name"] == repos["service-repository"]["name"] + "-buildcache"


def test_preview_cli_prints_json_with_markers(project: Path) -> None:
    proc = run_cli("preview", "--stack", "dev", "--format", "json", "--root", str(project))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["stack"] == "dev"
    build = next(r for r in doc["resources"] if r["name"] == "service-build")
    assert build["inputs"]["secrets"] == "[secret]"
    assert build["inputs"]["buildOnPreview"] is True
    assert (
        "\nFROM docker.io/library/python:3.12-slim-bookworm@sha256:"
        in build["inputs"]["dockerfile"]["inline"]
    )
    text = run_cli("preview", "--stack", "dev", "--root", str(project))
    assert text.returncode == 0 and "docker-build:index:Image" in text.stdout


def test_preview_errors_exit_2_naming_the_fix(project: Path, tmp_path: Path) -> None:
    missing = run_cli("preview", "--stack", "qa", "--root", str(project))
    assert missing.returncode == 2 and "stacks/Pulumi.qa.yaml: no such stack file" in missing.stderr
    copy = tmp_path / "p"
    shutil.copytree(project, copy)
    (copy / "images.lock").unlink()
    unlocked = run_cli("preview", "--stack", "dev", "--root", str(copy))
    assert unlocked.returncode == 2
    assert "imagepin lock add" in unlocked.stderr and "Traceback" not in unlocked.stderr


def test_lock_option_is_the_lock_the_program_pins_from(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "p"
    shutil.copytree(project, copy)
    shutil.copytree(ROOT / "policies" / "config", copy / "policies" / "config")  # lockFile set
    lock = tmp_path / "elsewhere" / "images.lock"
    lock.parent.mkdir()
    (copy / "images.lock").rename(lock)
    where = ("--root", str(copy), "--lock", str(lock))
    checked = run_cli("check", "--stack", "prod", *where, "--format", "json", "--on", "2026-11-25")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["violations"] == []
    shown = run_cli("preview", "--stack", "dev", *where, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    build = next(r for r in json.loads(shown.stdout)["resources"] if r["name"] == "service-build")
    pinned = Lock.load(lock).pin("python:3.12-slim-bookworm")
    assert f"\nFROM {pinned}" in build["inputs"]["dockerfile"]["inline"]
    for command in ("check", "preview"):
        missing = run_cli(command, "--stack", "dev", "--lock", "nope.lock", cwd=copy)
        assert (missing.returncode, missing.stdout) == (2, "")
        assert missing.stderr == (
            "error: nope.lock: no such lock file (--lock); give the path of images.lock\n"
        )
