"""`ServiceSpec`: ContainerService's args, validated, with every default in one place.

The public args (`components.container_service.ContainerServiceArgs`) are TypedDicts so the
component provider host can infer a schema; this frozen model checks them, fills the defaults and
derives what both backends need (the health probe, the env lists, the Fargate sizes).
"""

import re
from typing import Literal, Self

import pulumi
from pydantic import Field, field_validator, model_validator

from components._args import Model, StrInput
from imagepin.config_errors import FieldError
from imagepin.dockerfile_spec import DEFAULT_UID
from imagepin.errors import ConfigError

DEFAULT_USER = f"{DEFAULT_UID}:{DEFAULT_UID}"
"""The uid:gid PythonImage creates its `app` user with."""

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HTTP_PATH = re.compile(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*")
_SIZE = re.compile(r"[1-9][0-9]*[kmg]?")
_SECRET_ARN = re.compile(r"arn:aws[a-z-]*:(ssm|secretsmanager):[a-z0-9-]+:[0-9]{12}:.+")

# Fargate task sizes: CPU units -> the memory sizes (MiB) allowed with them.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
LOG_RETENTION_DAYS: tuple[int, ...] = (
    *(1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731),
    *(1096, 1827, 2192, 2557, 2922, 3288, 3653),
)


class Healthcheck(Model):
    """The probe both platforms run inside the container (Docker HEALTHCHECK, ECS healthCheck).

    The default GETs `http://127.0.0.1:<port><path>` with the image's own python3 (slim images
    have no curl); `command` replaces it. Ranges are the ones ECS accepts.
    """

    path: str = "/healthz"
    command: list[str] | None = Field(default=None, min_length=1)
    interval: int = Field(default=10, ge=5, le=300)
    timeout: int = Field(default=3, ge=2, le=60)
    retries: int = Field(default=3, ge=1, le=10)
    start_period: int = Field(default=5, ge=0, le=300)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _HTTP_PATH.fullmatch(value):
            raise ValueError(f"{value!r} is not a URL path; write one such as /healthz")
        return value

    def test(self, port: int) -> list[str]:
        """The exec-form check, `["CMD", ...]`, as Docker and ECS both take it."""
        if self.command is not None:
            return ["CMD", *self.command]
        url = f"http://127.0.0.1:{port}{self.path}"
        probe = f"import urllib.request; urllib.request.urlopen('{url}', timeout={self.timeout})"
        return ["CMD", "python3", "-c", probe]


class DockerSettings(Model):
    """Options only the Docker backend has (one host, one container)."""

    container_name: str | None = None
    host_port: int | None = Field(default=None, ge=1, le=65535)
    host_ip: str = "127.0.0.1"
    restart: Literal["always", "unless-stopped", "on-failure"] = "unless-stopped"
    networks: list[StrInput] = Field(default_factory=list)
    wait_timeout: int = Field(default=60, ge=1, le=3600)
    log_max_size: str = "10m"
    log_max_files: int = Field(default=3, ge=1, le=100)
    tmp_size: str = "64m"

    @field_validator("log_max_size", "tmp_size")
    @classmethod
    def _size(cls, value: str) -> str:
        if not _SIZE.fullmatch(value):
            raise ValueError(f"{value!r} is not a size; write a number with k, m or g, e.g. 10m")
        return value


class EcsSettings(Model):
    """Options only the ECS (Fargate) backend has: where the tasks run and how many."""

    cluster: StrInput
    subnets: list[StrInput] = Field(min_length=1)
    security_groups: list[StrInput] = Field(default_factory=list)
    assign_public_ip: bool = False
    desired_count: int = Field(default=2, ge=0, le=1000)
    target_group_arn: StrInput | None = None
    health_check_grace_period: int = Field(default=60, ge=0, le=2147483647)
    log_retention_days: int = 30
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    task_role_arn: StrInput | None = None
    family: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,255}$")

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            near = min(LOG_RETENTION_DAYS, key=lambda d: abs(d - value))
            raise ValueError(
                f"CloudWatch keeps logs for {', '.join(map(str, LOG_RETENTION_DAYS))} days, "
                f"not {value}; use {near}"
            )
        return value


class ServiceSpec(Model):
    """ContainerService's args, validated; `ecs` set selects the ECS backend, else Docker."""

    image: StrInput
    port: int = Field(default=8000, ge=1, le=65535)
    env: dict[str, StrInput] = Field(default_factory=dict)
    secret_env: dict[str, StrInput] = Field(default_factory=dict)
    healthcheck: Healthcheck = Healthcheck()
    cpu: float = Field(default=0.25, gt=0, le=192)
    memory: int = Field(default=512, ge=6, le=122880)
    user: str = DEFAULT_USER
    read_only: bool = True
    labels: dict[str, str] = Field(default_factory=dict)
    suppress: dict[str, str] = Field(default_factory=dict)
    docker: DockerSettings | None = None
    ecs: EcsSettings | None = None

    @field_validator("env", "secret_env")
    @classmethod
    def _names(cls, value: dict[str, StrInput]) -> dict[str, StrInput]:
        for key in value:
            if not _ENV_NAME.fullmatch(key):
                raise FieldError(
                    (key,),
                    "not an environment variable name; use letters, digits and _, "
                    "not starting with a digit",
                )
        return value

    @field_validator("user")
    @classmethod
    def _non_root(cls, value: str) -> str:
        who, _, group = value.partition(":")
        if not who or (value.count(":") > 1) or (":" in value and not group):
            raise ValueError(f"{value!r} is not a user; write uid[:gid] or name[:group]")
        if who in ("0", "root"):
            raise ValueError(
                f"{value!r} runs the service as root; use a non-root uid such as {DEFAULT_USER} "
                "(the user PythonImage creates)"
            )
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not key or key != key.strip():
                raise FieldError((key,), "a label key must be non-empty without spaces around it")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        both = sorted(set(self.env) & set(self.secret_env))
        if both:
            raise FieldError(
                ("secret_env", both[0]), "is also in env; keep each variable in one of them"
            )
        if self.docker is not None and self.ecs is not None:
            raise FieldError(("ecs",), "docker and ecs are both set; keep the backend's one")
        if self.ecs is not None:
            self._check_fargate()
            for key, value in self.secret_env.items():
                if isinstance(value, str):
                    check_secret_arn(key, value)
        return self

    def _check_fargate(self) -> None:
        units = self.cpu_units
        if units not in FARGATE_SIZES:
            choices = ", ".join(f"{u / 1024:g}" for u in FARGATE_SIZES)
            raise FieldError(("cpu",), f"Fargate runs {choices} vCPUs, not {self.cpu:g}")
        if self.memory not in FARGATE_SIZES[units]:
            sizes = FARGATE_SIZES[units]
            allowed = ", ".join(map(str, sizes)) if len(sizes) < 8 else f"{sizes[0]}-{sizes[-1]}"
            raise FieldError(
                ("memory",),
                f"Fargate gives {self.cpu:g} vCPU {allowed} MiB (in steps of "
                f"{sizes[1] - sizes[0]}), not {self.memory}; pick one of those or change cpu",
            )

    @property
    def cpu_units(self) -> int:
        return round(self.cpu * 1024)

    @property
    def backend(self) -> Literal["docker", "ecs"]:
        return "ecs" if self.ecs is not None else "docker"

    @property
    def docker_settings(self) -> DockerSettings:
        return self.docker if self.docker is not None else DockerSettings()


SECRET_ARN_FIX = (
    "ECS reads secrets from SSM Parameter Store or Secrets Manager at task start and cannot "
    "take a value inline; store it there and pass the parameter's or secret's ARN "
    "(arn:aws:ssm:... or arn:aws:secretsmanager:...)"
)


def check_secret_arn(key: str, value: str) -> str:
    """ECS takes secret env as ARNs it resolves at task start, never as values."""
    if not _SECRET_ARN.fullmatch(value):
        raise FieldError(("secret_env", key), SECRET_ARN_FIX)
    return value


def secret_arn_input(
    where: str, key: str, value: str | pulumi.Output[str]
) -> str | pulumi.Output[str]:
    """`check_secret_arn` now, or when an Output's value arrives (errors name `where`)."""

    def check(v: str) -> str:
        try:
            return check_secret_arn(key, v)
        except FieldError as exc:
            raise ConfigError(f"{where}: {exc}") from None

    return check(value) if isinstance(value, str) else value.apply(check)
