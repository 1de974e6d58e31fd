"""Registries PythonImage pushes to: `LocalRegistry` (dev, one Docker host), `EcrRepository` (AWS).

registry = LocalRegistry("registry", {}, lock=Lock.load())       # 127.0.0.1:5000
PythonImage("api", {"repository": registry.address.apply(lambda a: f"{a}/api"), ...})

repo = EcrRepository("api", {})
PythonImage("api", {"repository": repo.repository_url, "registry": {
    "address": repo.address, "username": repo.username, "password": repo.password}, ...})
"""

# No `from __future__ import annotations` here: the component provider host reads the args'
# annotations at runtime to infer the package schema, and needs them as types, not strings.
import json
import re
from typing import TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker
from pydantic import Field, field_validator

from components._args import Model, digest_ref, validate
from components._lock import load_lock, run_lock
from imagepin.errors import ConfigError, LockError
from imagepin.lock import DEFAULT_PATH, Lock
from imagepin.refs import ImageReference, InvalidReference

LOCAL_TYPE = "imagepin:index:LocalRegistry"
ECR_TYPE = "imagepin:index:EcrRepository"
REGISTRY_PORT = 5000
"""The port the registry listens on inside its container (registry:2's default)."""
STORAGE = "/var/lib/registry"
"""Where registry:2 keeps its blobs and manifests (its default filesystem root)."""
_ECR_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")


class LocalRegistryArgs(TypedDict, total=False):
    """A registry:2-compatible registry container on 127.0.0.1, for the dev stack."""

    image: str
    """The registry image, pinned (`...@sha256:...`) or a tag in the lock (default registry:2)."""
    lock_file: str
    """The lock file a tag is pinned through (default images.lock)."""
    port: int
    """The port on 127.0.0.1 (default 5000)."""
    container_name: str
    """The container's name (default: the component name)."""
    volume_name: str
    """The named volume holding the images (default: <name>-data)."""
    healthcheck_command: list[str]
    """The health check (exec form; default: `wget --spider` of /v2/, as in registry:2)."""


class _Local(Model):
    image: str = "registry:2"
    lock_file: str = str(DEFAULT_PATH)
    port: int = Field(default=REGISTRY_PORT, ge=1, le=65535)
    container_name: str | None = None
    volume_name: str | None = None
    healthcheck_command: list[str] = Field(
        default_factory=lambda: ["wget", "-q", "--spider", f"http://127.0.0.1:{REGISTRY_PORT}/v2/"],
        min_length=1,
    )


def pinned_registry_image(image: str, lock: Lock | None, lock_file: str, where: str) -> str:
    """`image` by digest: as given when pinned, else through the lock."""
    hint = f"run `imagepin lock add {image}`, or pass a pinned reference (image@sha256:...)"
    try:
        ref = ImageReference.parse(image)
    except InvalidReference as exc:
        raise ConfigError(f"{where}: image: {exc}") from None
    if ref.digest is not None:
        return digest_ref(image, where, "image", hint)
    try:
        if (given := run_lock()) is not None:  # --lock wins over a lock passed in too
            lock = given
        lock = lock if lock is not None else load_lock(lock_file, missing_ok=True)
        pinned = lock.pin(ref)
    except LockError as exc:
        raise ConfigError(f"{where}: image {image!r} is not pinned ({exc}); {hint}") from None
    return str(pinned.without_tag())


class LocalRegistry(pulumi.ComponentResource):
    """A local registry container (image pinned by digest) with a named volume, on 127.0.0.1."""

    address: pulumi.Output[str]
    """`127.0.0.1:<port>`, the registry PythonImage pushes to (known once it is healthy)."""
    image: pulumi.Output[str]
    """The registry image it runs, by digest."""
    volume_name: pulumi.Output[str]
    """The volume holding the pushed images (kept when the stack is destroyed)."""

    def __init__(
        self,
        name: str,
        args: LocalRegistryArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        lock: Lock | None = None,
    ) -> None:
        where = f"LocalRegistry {name!r}"
        settings = validate(_Local, args, where)
        image = pinned_registry_image(settings.image, lock, settings.lock_file, where)
        super().__init__(LOCAL_TYPE, name, None, opts)
        remote = docker.RemoteImage(
            f"{name}-image", name=image, keep_locally=True, opts=pulumi.ResourceOptions(parent=self)
        )
        volume = docker.Volume(
            f"{name}-data",
            name=settings.volume_name or f"{name}-data",
            # the images pushed there outlive the stack, like every published image
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )
        container = docker.Container(
            f"{name}-container",
            name=settings.container_name or name,
            image=remote.name,
            restart="unless-stopped",
            ports=[
                docker.ContainerPortArgs(
                    internal=REGISTRY_PORT, external=settings.port, ip="127.0.0.1", protocol="tcp"
                )
            ],
            volumes=[docker.ContainerVolumeArgs(volume_name=volume.name, container_path=STORAGE)],
            envs=["REGISTRY_STORAGE_DELETE_ENABLED=true"],
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=["CMD", *settings.healthcheck_command],
                interval="5s",
                timeout="3s",
                retries=3,
                start_period="2s",
            ),
            read_only=True,
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            tmpfs={"/tmp": "rw,noexec,nosuid,nodev,size=64m"},
            security_opts=["no-new-privileges"],
            log_driver="json-file",
            log_opts={"max-size": "10m", "max-file": "3"},
            must_run=True,
            wait=True,
            wait_timeout=60,
            opts=pulumi.ResourceOptions(
                parent=self, delete_before_replace=True, replace_on_changes=["*"]
            ),
        )
        # through the container, so pushes wait until the registry is up and healthy
        self.address = container.name.apply(lambda _: f"127.0.0.1:{settings.port}")
        self.image = pulumi.Output.from_input(image)
        self.volume_name = volume.name
        self.register_outputs(
            {"address": self.address, "image": self.image, "volume_name": self.volume_name}
        )


class EcrRepositoryArgs(TypedDict, total=False):
    """An ECR repository: immutable tags, scan on push, expiry of old images (or, with
    `build_cache`, the mutable repository a build cache lives in)."""

    name: str
    """The repository name (default: the component name with a random suffix)."""
    untagged_expiry_days: int
    """Untagged images are expired this many days after their push (default 14)."""
    keep_tagged: int
    """How many tagged images to keep; older ones are expired (default 100)."""
    build_cache: bool
    """A build-cache repository (PythonImage's `cache_repository`): mutable tags, since the
    cache tag is rewritten by every build, and no scan on push (cache manifests are not images
    anyone runs); default false: immutable tags, scanned."""


class _Ecr(Model):
    name: str | None = Field(default=None, max_length=256)
    untagged_expiry_days: int = Field(default=14, ge=1)
    keep_tagged: int = Field(default=100, ge=1)
    build_cache: bool = False

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not _ECR_NAME.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an ECR repository name; use lowercase letters, digits and "
                "._- between them, with / between path components"
            )
        return value


def lifecycle_policy(untagged_expiry_days: int, keep_tagged: int) -> str:
    """Expire untagged images after N days, and tagged ones beyond the newest `keep_tagged`."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"keep the last {keep_tagged} tagged images",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPatternList": ["*"],
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_tagged,
                    },
                    "action": {"type": "expire"},
                },
            ]
        }
    )


class EcrRepository(pulumi.ComponentResource):
    """An ECR repository and the credentials to push to it (the password a secret).

    The credentials come from `aws.ecr.get_authorization_token` at every `pulumi up`; the
    token lasts 12 hours, long enough for the push that follows.
    """

    repository_url: pulumi.Output[str]
    """`<account>.dkr.ecr.<region>.amazonaws.com/<name>`: PythonImage's `repository`."""
    arn: pulumi.Output[str]
    address: pulumi.Output[str]
    """The registry host, for PythonImage's `registry.address`."""
    username: pulumi.Output[str]
    password: pulumi.Output[str]
    """The registry password (a secret)."""

    def __init__(
        self, name: str, args: EcrRepositoryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        settings = validate(_Ecr, args, f"EcrRepository {name!r}")
        super().__init__(ECR_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        repository = aws.ecr.Repository(
            f"{name}-repository",
            name=settings.name,
            image_tag_mutability="MUTABLE" if settings.build_cache else "IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=not settings.build_cache
            ),
            force_delete=False,  # deleting the stack must never delete pushed images
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repository.name,
            policy=lifecycle_policy(settings.untagged_expiry_days, settings.keep_tagged),
            opts=child,
        )
        token = aws.ecr.get_authorization_token_output(
            registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.repository_url = repository.repository_url
        self.arn = repository.arn
        self.address = token.proxy_endpoint.apply(lambda url: url.removeprefix("https://"))
        self.username = token.user_name
        self.password = pulumi.Output.secret(token.password)
        self.register_outputs(
            {
                "repository_url": self.repository_url,
                "arn": self.arn,
                "address": self.address,
                "username": self.username,
                "password": self.password,
            }
        )
