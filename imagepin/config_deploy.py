"""Stack configuration for pushing and running the images: `imagepin:registry`,
`imagepin:services`, `imagepin:backend`, `imagepin:ecs` (the build side is in `imagepin.config`).

    config:
      imagepin:backend: docker            # or ecs (staging, prod)
      imagepin:ecs: {cluster: arn:aws:ecs:..., subnets: [subnet-1, subnet-2]}
      imagepin:services:
        - name: service
          image: service                  # an entry of imagepin:images: run its digest
          port: 8000
          hostPort: 8080                  # docker backend
          env: {LOG_LEVEL: info}
          secretEnv: {API_TOKEN: {env: SERVICE_API_TOKEN}}
          desiredCount: 2                 # ecs backend
"""

from __future__ import annotations

import os
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from imagepin.config_errors import FieldError, did_you_mean
from imagepin.dockerfile_options import Model
from imagepin.dockerfile_spec import check_registry_host
from imagepin.errors import ConfigError
from imagepin.refs import ImageReference

Backend = Literal["docker", "ecs"]


class ServiceHealthcheck(Model):
    """The probe the orchestrator runs: GET `path` on the service port, from inside the task."""

    path: str = "/healthz"
    interval: int = Field(default=10, ge=5, le=300)
    timeout: int = Field(default=3, ge=2, le=60)
    retries: int = Field(default=3, ge=1, le=10)
    start_period: int = Field(default=5, ge=0, le=300)


class SecretValue(Model):
    """Where a secret env value comes from: a variable of the deploying shell (docker backend)
    or an SSM parameter / Secrets Manager ARN (ecs backend: ECS injects it at start)."""

    env: str | None = Field(default=None, pattern=r"[A-Za-z_][A-Za-z0-9_]*")
    arn: str | None = Field(default=None, pattern=r"arn:aws[a-z-]*:(ssm|secretsmanager):.+")

    def read(self, where: str) -> str:
        """The value of an `env` secret in the deploying shell; unset names `where`."""
        value = os.environ.get(self.env or "")
        if value is None:
            raise ConfigError(
                f"{where}: the environment variable {self.env} is not set; export it in the "
                "shell that runs pulumi (its value stays a Pulumi secret)"
            )
        return value


class ServiceConfig(Model):
    """One running service: which image of the stack, how it listens, what it gets."""

    name: str = Field(pattern=r"[a-z0-9][a-z0-9-]{0,62}")
    image: str
    """The `name` of an entry of imagepin:images; the service runs that image's digest."""
    port: int = Field(default=8000, ge=1, le=65535)
    host_port: int | None = Field(default=None, ge=1, le=65535)
    env: dict[str, str] = Field(default_factory=dict)
    secret_env: dict[str, SecretValue] = Field(default_factory=dict)
    healthcheck: ServiceHealthcheck = ServiceHealthcheck()
    cpu: float = Field(default=0.25, gt=0)
    memory: int = Field(default=512, ge=6)
    desired_count: int = Field(default=2, ge=0)

    @field_validator("env", "secret_env")
    @classmethod
    def _names(cls, value: dict[str, object]) -> dict[str, object]:
        for key in value:
            if not key.replace("_", "a").isalnum() or key[0].isdigit():
                raise ValueError(f"{key!r} is not an environment variable name (e.g. LOG_LEVEL)")
        return value


class EcsConfig(Model):
    """Where Fargate tasks run: an existing cluster and subnets (imagepin creates neither)."""

    cluster: str
    subnets: tuple[str, ...] = Field(min_length=1)
    security_groups: tuple[str, ...] = ()
    assign_public_ip: bool = False
    target_group_arn: str | None = None
    log_retention_days: int = 30


def check_services(
    services: tuple[ServiceConfig, ...], images: tuple[str, ...], backend: Backend, has_ecs: bool
) -> None:
    """Stack-wide rules: known images, unique names, secrets the backend can deliver."""
    if backend == "ecs" and not has_ecs:
        raise FieldError(
            ("ecs",),
            "missing; the ecs backend runs on an existing cluster: set "
            "imagepin:ecs: {cluster: <arn>, subnets: [subnet-...]}",
        )
    names: set[str] = set()
    for i, service in enumerate(services):
        if service.name in names:
            raise FieldError(("services", i, "name"), f"{service.name!r} is already a service")
        names.add(service.name)
        if service.image not in images:
            raise FieldError(
                ("services", i, "image"),
                f"{service.image!r} is not an image of this stack (imagepin:images has "
                f"{', '.join(images) or 'none'}){did_you_mean(service.image, images)}",
            )
        wanted = "arn" if backend == "ecs" else "env"
        for key, value in service.secret_env.items():
            if getattr(value, wanted) is None:
                raise FieldError(
                    ("services", i, "secretEnv", key),
                    f"the {backend} backend takes secret values from "
                    + (
                        "an SSM parameter or Secrets Manager ARN: {arn: arn:aws:ssm:...}"
                        if backend == "ecs"
                        else "a variable of the deploying shell: {env: NAME}"
                    ),
                )


class RegistryConfig(Model):
    """Where the stack pushes its images: `<server>/<namespace>/<image name>`.

    kind `server` (default) pushes to an existing registry; `local` runs one as a container on
    127.0.0.1:<port> (the dev stack: nothing but Docker needed); `ecr` creates one Amazon ECR
    repository per image (immutable tags, scan on push) and pushes there.
    """

    kind: Literal["server", "local", "ecr"] = "server"
    server: str | None = None
    namespace: str | None = None
    port: int = Field(default=5000, ge=1, le=65535)  # local: the port on 127.0.0.1
    image: str = "registry:2"  # local: the registry image, pinned through images.lock

    @field_validator("server")
    @classmethod
    def _server(cls, value: str | None) -> str | None:
        if value is not None:
            check_registry_host(value)
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        try:
            ImageReference.parse(value)
        except ValueError as exc:
            raise ValueError(f"{exc}; give the registry image, e.g. registry:2") from None
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ok = ImageReference.parse(f"x.io/{value}").path == value
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"{value!r} is not a repository path such as team/apps")
        return value

    @model_validator(mode="after")
    def _server_for_kind(self) -> Self:
        if self.kind == "server" and self.server is None:
            raise FieldError(
                ("server",), "missing; give the registry host, e.g. server: 127.0.0.1:5000"
            )
        if self.kind != "server" and self.server is not None:
            raise FieldError(
                ("server",), f"a {self.kind} registry has its own address; remove server"
            )
        return self

    @property
    def host(self) -> str | None:
        """The host when config alone knows it (not for ecr: AWS assigns it)."""
        return f"127.0.0.1:{self.port}" if self.kind == "local" else self.server

    def path(self, image: str) -> str:
        """`imagepin/service`: the repository path of image `service` under the namespace."""
        return "/".join(p for p in (self.namespace, image) if p)

    def repository(self, image: str) -> str:
        """`127.0.0.1:5000/imagepin/service` for image `service` (ecr: the path alone)."""
        return "/".join(p for p in (self.host, self.path(image)) if p)
