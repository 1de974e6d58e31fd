"""LocalRegistry and EcrRepository under the mock monitor: registrations and outputs exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.analyzer import Analyzer

from components.preview import SECRET, Recording, Secret, record
from components.registry import EcrRepository, LocalRegistry, lifecycle_policy
from imagepin.errors import ConfigError
from imagepin.lock import Lock, LockEntry

from provider_schema import errors

DIGEST = "sha256:" + "b" * 64
PINNED = f"docker.io/library/registry@{DIGEST}"
PROBE = ["CMD", "wget", "-q", "--spider", "http://127.0.0.1:5000/v2/"]


def lock_with(*refs: str, path: Path = Path("images.lock")) -> Lock:
    entry = LockEntry(
        digest=DIGEST,
        media_type="application/vnd.oci.image.index.v1+json",
        registry="docker.io",
        resolved_at=datetime(2026, 11, 25, tzinfo=UTC),
    )
    return Lock(path, dict.fromkeys(refs, entry))


def local(args: Any, lock: Lock | None = None, name: str = "registry") -> Recording:
    def program() -> None:
        registry = LocalRegistry(name, args, lock=lock)
        pulumi.export("address", registry.address)
        pulumi.export("image", registry.image)
        pulumi.export("volume", registry.volume_name)

    return record(program, preview=False)


def shape(rec: Recording) -> list[tuple[str, str, str | None]]:
    return sorted(
        (r.type, r.name, r.parent and r.parent.rsplit("::", 1)[-1]) for r in rec.resources
    )


# --- LocalRegistry -------------------------------------------------------------------------


def test_local_registry_runs_the_locked_image_with_a_retained_volume() -> None:
    rec = local({}, lock=lock_with("registry:2"))
    assert shape(rec) == [
        ("docker:index/container:Container", "registry-container", "registry"),
        ("docker:index/remoteImage:RemoteImage", "registry-image", "registry"),
        ("docker:index/volume:Volume", "registry-data", "registry"),
        ("imagepin:index:LocalRegistry", "registry", "imagepin-dev"),
    ]
    assert rec.named("registry-image").inputs == {"name": PINNED, "keepLocally": True}
    volume = rec.named("registry-data")
    assert volume.inputs == {"name": "registry-data"}
    assert volume.options == {"retainOnDelete": True}
    container = rec.named("registry-container")
    assert container.inputs == {
        "name": "registry",
        "image": PINNED,
        "restart": "unless-stopped",
        "ports": [{"internal": 5000, "external": 5000, "ip": "127.0.0.1", "protocol": "tcp"}],
        "volumes": [{"volumeName": "registry-data", "containerPath": "/var/lib/registry"}],
        "envs": ["REGISTRY_STORAGE_DELETE_ENABLED=true"],
        "healthcheck": {
            "tests": PROBE,
            "interval": "5s",
            "timeout": "3s",
            "retries": 3,
            "startPeriod": "2s",
        },
        "readOnly": True,
        "capabilities": {"drops": ["ALL"]},
        "tmpfs": {"/tmp": "rw,noexec,nosuid,nodev,size=64m"},
        "securityOpts": ["no-new-privileges"],
        "logDriver": "json-file",
        "logOpts": {"max-size": "10m", "max-file": "3"},
        "mustRun": True,
        "wait": True,
        "waitTimeout": 60,
    }
    assert container.options == {"deleteBeforeReplace": True, "replaceOnChanges": ["*"]}
    assert [errors(r) for r in rec.resources] == [[], [], [], []]
    assert rec.outputs == {"address": "127.0.0.1:5000", "image": PINNED, "volume": "registry-data"}


def test_local_registry_options_and_a_pinned_reference_without_a_lock() -> None:
    rec = local(
        {
            "image": f"127.0.0.1:5000/mirror/registry:2.8@{DIGEST}",
            "port": 5050,
            "container_name": "dev-registry",
            "volume_name": "dev-registry-blobs",
            "healthcheck_command": ["/bin/true"],
        }
    )
    container = rec.named("registry-container").inputs
    assert container["image"] == f"127.0.0.1:5000/mirror/registry@{DIGEST}"
    assert container["name"] == "dev-registry"
    assert container["ports"][0]["external"] == 5050
    assert container["healthcheck"]["tests"] == ["CMD", "/bin/true"]
    assert container["volumes"][0]["volumeName"] == "dev-registry-blobs"
    assert rec.outputs["address"] == "127.0.0.1:5050"


def test_local_registry_reads_the_lock_file_when_no_lock_is_given(tmp_path: Path) -> None:
    path = tmp_path / "dev.lock"
    lock_with("registry:2", path=path).save()
    rec = local({"lock_file": str(path)})
    assert rec.outputs["image"] == PINNED


def test_unpinned_registry_image_says_to_lock_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        local({"lock_file": str(tmp_path / "images.lock")})
    message = str(caught.value)
    assert message.startswith("LocalRegistry 'registry': image 'registry:2' is not pinned (")
    assert message.endswith(
        "; run `imagepin lock add registry:2`, or pass a pinned reference (image@sha256:...)"
    )


def test_registry_image_missing_from_a_given_lock_is_the_same_error() -> None:
    with pytest.raises(ConfigError, match=r"run `imagepin lock add registry:2\.8\.3`"):
        local({"image": "registry:2.8.3"}, lock=lock_with("registry:2"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"image": "Registry:2"}, "image: "),
        ({"port": 70000}, "port: input should be less than or equal to 65535"),
        ({"prot": 5000}, "prot: unknown key; did you mean 'port'?"),
        ({"healthcheck_command": []}, "healthcheck_command: list should have at least 1 item"),
    ],
)
def test_local_registry_arg_errors(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        local(args, lock=lock_with("registry:2"))
    assert str(caught.value).startswith(f"LocalRegistry 'registry': {message}"), caught.value


# --- EcrRepository -------------------------------------------------------------------------


def ecr(args: Any, preview: bool = False) -> Recording:
    def program() -> None:
        repo = EcrRepository("api", args)
        for key in ("repository_url", "arn", "address", "username", "password"):
            pulumi.export(key, getattr(repo, key))

    return record(program, preview=preview)


def test_ecr_repository_is_immutable_scanned_kept_and_expires_old_images() -> None:
    rec = ecr({"name": "team/api", "untagged_expiry_days": 7, "keep_tagged": 30})
    assert shape(rec) == [
        ("aws:ecr/lifecyclePolicy:LifecyclePolicy", "api-lifecycle", "api"),
        ("aws:ecr/repository:Repository", "api-repository", "api"),
        ("imagepin:index:EcrRepository", "api", "imagepin-dev"),
    ]
    assert rec.named("api-repository").inputs == {
        "name": "team/api",
        "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True},
        "forceDelete": False,
    }
    lifecycle = rec.named("api-lifecycle").inputs
    assert lifecycle["repository"] == "team/api"
    assert json.loads(lifecycle["policy"])["rules"] == [
        {
            "rulePriority": 1,
            "description": "expire untagged images after 7 days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "keep the last 30 tagged images",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "imageCountMoreThan",
                "countNumber": 30,
            },
            "action": {"type": "expire"},
        },
    ]


def test_a_build_cache_repository_has_mutable_tags_and_no_scan() -> None:
    rec = ecr({"name": "team/api-buildcache", "build_cache": True, "untagged_expiry_days": 1})
    assert rec.named("api-repository").inputs == {
        "name": "team/api-buildcache",
        "imageTagMutability": "MUTABLE",  # every build moves the cache tag
        "imageScanningConfiguration": {"scanOnPush": False},
        "forceDelete": False,
    }
    rules = json.loads(rec.named("api-lifecycle").inputs["policy"])["rules"]
    assert rules[0]["selection"]["countNumber"] == 1  # superseded cache manifests go quickly


def test_ecr_credentials_are_handed_out_with_the_password_secret() -> None:
    rec = ecr({})
    assert "name" not in rec.named("api-repository").inputs  # Pulumi names it uniquely
    assert rec.outputs["address"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert rec.outputs["username"] == "AWS"
    assert rec.outputs["password"] == Secret("mock-token")
    shown = rec.display()
    assert shown["outputs"]["password"] == SECRET
    assert "mock-token" not in json.dumps(shown)


def test_ecr_defaults() -> None:
    assert json.loads(lifecycle_policy(14, 100)) == json.loads(
        ecr({}).named("api-lifecycle").inputs["policy"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "Team/API"}, "name: 'Team/API' is not an ECR repository name"),
        ({"keep_tagged": 0}, "keep_tagged: input should be greater than or equal to 1"),
        ({"untagged_expiry": 3}, "untagged_expiry: unknown key; did you mean"),
    ],
)
def test_ecr_arg_errors(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ecr(args)
    assert str(caught.value).startswith(f"EcrRepository 'api': {message}"), caught.value


# --- the schema the component provider host infers ---------------------------------------


def test_provider_host_infers_both_registries() -> None:
    result = Analyzer("imagepin").analyze([LocalRegistry, EcrRepository])
    local_def = result["component_definitions"]["LocalRegistry"]
    assert sorted(local_def.inputs) == [
        "containerName",
        "healthcheckCommand",
        "image",
        "lockFile",
        "port",
        "volumeName",
    ]
    assert all(p.optional for p in local_def.inputs.values())
    assert sorted(local_def.outputs) == ["address", "image", "volumeName"]
    ecr_def = result["component_definitions"]["EcrRepository"]
    assert sorted(ecr_def.inputs) == ["buildCache", "keepTagged", "name", "untaggedExpiryDays"]
    assert sorted(ecr_def.outputs) == ["address", "arn", "password", "repositoryUrl", "username"]
