"""PythonImage under the mock monitor: every registered resource asserted and schema-checked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.preview import Recording, Secret, Unknown, record
from components.python_image import PythonImage, PythonImageArgs, provider_platform
from imagepin.dockerfile import ImageSpec, render
from imagepin.errors import ConfigError
from imagepin.lock import Lock, LockEntry, NotLocked

from provider_schema import errors

D_INDEX = "sha256:" + "a" * 64
D_AMD = "sha256:" + "b" * 64
D_ARM = "sha256:" + "c" * 64
D_FULL = "sha256:" + "d" * 64
PLATFORMS = {"linux/amd64": D_AMD, "linux/arm64/v8": D_ARM, "linux/arm/v7": "sha256:" + "e" * 64}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements.txt").write_text("flask==3.0.3\n")
    entry = {"media_type": "application/vnd.oci.image.index.v1+json", "registry": "docker.io"}
    when = datetime(2026, 11, 25, tzinfo=UTC)
    Lock(
        tmp_path / "images.lock",
        {
            "python:3.12-slim-bookworm": LockEntry(
                digest=D_INDEX, platforms=PLATFORMS, resolved_at=when, **entry
            ),
            "python:3.12-bookworm": LockEntry(
                digest=D_FULL, platforms=PLATFORMS, resolved_at=when, **entry
            ),
        },
    ).save()
    monkeypatch.chdir(tmp_path)
    return tmp_path


BASE: PythonImageArgs = {
    "app": "app",
    "repository": "127.0.0.1:5000/api",
    "python": "3.12",
    "distro": "bookworm",
    "command": ["python3", "-m", "service"],
    "port": 8000,
    "healthcheck": {"path": "/healthz"},
}


def build(**extra: Any) -> Recording:
    args: Any = {**BASE, **extra}

    def program() -> None:
        image = PythonImage("api", args)
        pulumi.export("ref", image.ref)
        pulumi.export("dockerfile", image.dockerfile)

    return record(program, preview=False)


def expected_dockerfile(**extra: Any) -> str:
    fields = {k: v for k, v in {**BASE, **extra}.items() if k in ImageSpec.model_fields}
    return render(ImageSpec(**fields), Lock.load("images.lock"))


def test_single_platform_registers_one_pushed_retained_image(project: Path) -> None:
    rec = build()
    assert [(r.type, r.name) for r in rec.resources] == [
        ("imagepin:index:PythonImage", "api"),
        ("docker-build:index:Image", "api-build"),
    ]
    component, image = rec.resources
    assert image.parent == component.urn
    assert component.inputs == {
        "suppress": {},
        "retainOnDelete": True,
        "platforms": ["linux/amd64"],
    }
    assert image.options == {"retainOnDelete": True, "additionalSecretOutputs": ["secrets"]}
    dockerfile = expected_dockerfile()
    revision = image.inputs["labels"]["org.opencontainers.image.revision"]
    assert revision.startswith("rev-") and len(revision) == 16
    assert image.inputs == {
        "buildOnPreview": True,
        "cacheFrom": [{"registry": {"ref": "127.0.0.1:5000/api:buildcache"}}],
        "cacheTo": [
            {
                "registry": {
                    "ref": "127.0.0.1:5000/api:buildcache",
                    "mode": "max",
                    "imageManifest": True,
                    "ociMediaTypes": True,
                    "ignoreError": True,
                    "compression": "gzip",  # the SDK's defaults, as the engine receives them
                    "compressionLevel": 0,
                    "forceCompression": False,
                }
            }
        ],
        "context": {"location": "app"},
        "dockerfile": {"inline": dockerfile},
        "labels": {
            "org.opencontainers.image.base.digest": D_INDEX,
            "org.opencontainers.image.base.name": "docker.io/library/python:3.12-slim-bookworm",
            "org.opencontainers.image.revision": revision,
            "org.opencontainers.image.version": revision,
        },
        "network": "default",
        "platforms": ["linux/amd64"],
        "push": True,
        "tags": [f"127.0.0.1:5000/api:{revision}"],
    }
    assert errors(image) == []
    assert f"FROM docker.io/library/python:3.12-slim-bookworm@{D_INDEX}" in dockerfile
    assert rec.outputs["dockerfile"] == dockerfile
    assert rec.outputs["ref"].startswith("127.0.0.1:5000/api@sha256:")
    from imagepin.dockerfile import render_dockerignore

    ignore = render_dockerignore(ImageSpec(python="3.12", command=["x"]))
    assert (project / "app" / ".dockerignore").read_text() == ignore
    assert ".git\n" in ignore and "**/__pycache__\n" in ignore


def test_multi_platform_with_cache_builds_per_platform_and_joins_an_index(project: Path) -> None:
    rec = build(
        platforms=["linux/amd64", "linux/arm64/v8"],
        version="1.4.0",
        registry={"address": "127.0.0.1:5000", "username": "ci", "password": "hunter2"},
    )
    names = sorted((r.type, r.name) for r in rec.resources)  # registration order is async
    assert names == [
        ("docker-build:index:Image", "api-linux-amd64"),
        ("docker-build:index:Image", "api-linux-arm64-v8"),
        ("docker-build:index:Index", "api-index"),
        ("imagepin:index:PythonImage", "api"),
    ]
    amd, arm = rec.named("api-linux-amd64"), rec.named("api-linux-arm64-v8")
    index = rec.named("api-index")
    assert amd.inputs["platforms"] == ["linux/amd64"]
    assert arm.inputs["platforms"] == ["linux/arm64"]  # the provider's name for arm64/v8
    assert arm.inputs["cacheFrom"] == [
        {"registry": {"ref": "127.0.0.1:5000/api:buildcache-linux-arm64-v8"}}
    ]
    revision = amd.inputs["labels"]["org.opencontainers.image.revision"]
    assert amd.inputs["tags"] == [f"127.0.0.1:5000/api:{revision}-linux-amd64"]
    assert amd.inputs["labels"]["org.opencontainers.image.version"] == "1.4.0"
    assert isinstance(amd.inputs["registries"], Secret)
    assert (
        amd.inputs["registries"].value
        == [{"address": "127.0.0.1:5000", "username": "ci", "password": Secret("hunter2")}]
        or amd.inputs["registries"].value[0]["password"] == "hunter2"
    )
    assert index.inputs["tag"] == "127.0.0.1:5000/api:1.4.0"
    assert index.inputs["push"] is True
    assert len(index.inputs["sources"]) == 2
    assert all(s.startswith("127.0.0.1:5000/api:rev-") for s in index.inputs["sources"])
    assert index.options == {"retainOnDelete": True}
    for resource in rec.resources[1:]:
        assert errors(resource) == []
    assert "hunter2" not in str(rec.display())
    assert rec.outputs["ref"].startswith("127.0.0.1:5000/api@sha256:")


def test_the_cache_can_live_in_another_repository(project: Path) -> None:
    # ECR: the image's repository has immutable tags, the cache one mutable ones
    rec = build(
        platforms=["linux/amd64", "linux/arm64"], cache_repository="127.0.0.1:5000/api-cache"
    )
    for image in rec.of_type("docker-build:index:Image"):
        slug = image.inputs["platforms"][0].replace("/", "-")
        ref = f"127.0.0.1:5000/api-cache:buildcache-{slug}"
        assert image.inputs["cacheFrom"] == [{"registry": {"ref": ref}}]
        assert image.inputs["cacheTo"][0]["registry"]["ref"] == ref
        assert image.inputs["tags"][0].startswith("127.0.0.1:5000/api:rev-")
    (index,) = rec.of_type("docker-build:index:Index")
    assert index.inputs["tag"].startswith("127.0.0.1:5000/api:")


def test_a_cache_repository_with_a_tag_is_refused(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"'api': cache_repository: .* is not a repository"):
        build(cache_repository="127.0.0.1:5000/api-cache:latest")


def test_without_cache_several_platforms_share_one_build(project: Path) -> None:
    rec = build(platforms=["linux/amd64", "linux/arm64"], cache=False, version="2.0")
    (image,) = rec.of_type("docker-build:index:Image")
    assert image.inputs["platforms"] == ["linux/amd64", "linux/arm64"]
    assert "cacheFrom" not in image.inputs and "cacheTo" not in image.inputs
    revision = image.inputs["labels"]["org.opencontainers.image.revision"]
    assert image.inputs["tags"] == ["127.0.0.1:5000/api:2.0", f"127.0.0.1:5000/api:{revision}"]


def test_a_lock_refresh_changes_the_inline_dockerfile(project: Path) -> None:
    before = build().of_type("docker-build:index:Image")[0].inputs["dockerfile"]["inline"]
    lock = Lock.load("images.lock")
    moved = "sha256:" + "f" * 64
    Lock(
        lock.path,
        {
            **lock.entries,
            "python:3.12-slim-bookworm": lock.entries["python:3.12-slim-bookworm"].model_copy(
                update={"digest": moved}
            ),
        },
    ).save()
    after = build().of_type("docker-build:index:Image")[0].inputs["dockerfile"]["inline"]
    assert before != after and moved in after


def test_build_secrets_stay_secret_and_must_match_the_mounts(project: Path) -> None:
    rec = build(pip={"ca_secret": "pip-ca"}, build_secrets={"pip-ca": "-----BEGIN CERT"})
    (image,) = rec.of_type("docker-build:index:Image")
    assert image.inputs["secrets"] == Secret({"pip-ca": "-----BEGIN CERT"})
    assert "BEGIN CERT" not in str(rec.display())
    assert "BEGIN CERT" not in image.inputs["dockerfile"]["inline"]
    with pytest.raises(ConfigError, match="build_secrets lacks pip-ca"):
        build(pip={"ca_secret": "pip-ca"})
    with pytest.raises(ConfigError, match="build_secrets extra is mounted by nothing"):
        build(build_secrets={"extra": "x"})


def test_missing_lock_entry_fails_at_preview_with_the_command(project: Path) -> None:
    with pytest.raises(NotLocked, match=r"imagepin lock add python:3.13-slim-bookworm"):
        build(python="3.13")


def test_unbuildable_platform_names_what_the_provider_knows() -> None:
    assert provider_platform("linux/arm/v7").value == "linux/arm"
    with pytest.raises(ConfigError, match=r"'linux/arm/v5' cannot be built through"):
        provider_platform("linux/arm/v5")


def test_unknown_outputs_in_preview(project: Path) -> None:
    args: Any = dict(BASE)

    def program() -> None:
        pulumi.export("ref", PythonImage("api", args).ref)

    assert isinstance(record(program, preview=True).outputs["ref"], Unknown)


def test_suppressions_reach_the_policy_rules_through_the_component(project: Path) -> None:
    from imagepin.check import check_resources
    from imagepin.rules.base import Settings

    def findings(**extra: Any) -> set[str]:
        rec = build(**extra)
        report = check_resources(rec.resources, Settings(lock=Lock.load("images.lock")))
        return {v.rule for v in report.violations}

    assert "VAR001" not in findings()  # slim: nothing to suppress
    assert "VAR001" in findings(variant="full")  # compilers in the final stage
    reason = "this image is the build toolbox of the CI, not a service"
    assert "VAR001" not in findings(variant="full", suppress={"VAR001": reason})
    assert "SUP001" in findings(variant="full", suppress={"VAR001": ""})
