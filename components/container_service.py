"""`ContainerService`: run a digest-pinned image on one Docker host or on Amazon ECS (Fargate).

    api = PythonImage("api", {...})
    ContainerService("api", {"image": api.ref, "port": 8000, "env": {"LOG_LEVEL": "info"}})
    ContainerService("api", {"image": api.ref, "ecs": {"cluster": cluster.arn,
                                                      "subnets": vpc.private_subnet_ids}})

Only digest references run (`repo@sha256:...`, `repo:tag@sha256:...`; the tag is dropped, the
digest is the identity): a tag is an error that says to pass `PythonImage.ref`. A plain string
is checked here; an Output (such as `PythonImage.ref`) when its value arrives, with the same
error. The backend is Docker unless `ecs` is set; the shared args mean the same on both.

Docker: `docker.RemoteImage` by digest (kept locally) and a `docker.Container` running as a
non-root user on a read-only root filesystem (tmpfs on /tmp), all capabilities dropped,
no-new-privileges, with a healthcheck it waits for, a restart policy, memory and CPU limits,
ports on 127.0.0.1, env and secret env (each secret entry stays a Pulumi secret), labels and
rotated json-file logs. Any change replaces the container, the old one deleted first.

ECS: see `components._ecs` (secret env is a map of SSM / Secrets Manager ARNs there).
"""

# No `from __future__ import annotations` here: the component provider host reads the args'
# annotations at runtime to infer the package schema, and needs them as types, not strings.
from typing import NotRequired, TypedDict

import pulumi

from components import _docker_service, _ecs
from components._args import digest_input, validate
from components._service_spec import ServiceSpec

TYPE = "imagepin:index:ContainerService"
TAG_HINT = (
    "ContainerService runs images by digest only: pass PythonImage.ref "
    "(repo@sha256:...), or pin the image with `imagepin lock add` and pass the pinned reference"
)


class ServiceHealthcheckArgs(TypedDict, total=False):
    """The health probe run inside the container (Docker HEALTHCHECK, ECS healthCheck)."""

    path: str
    """HTTP path the default probe GETs on `port` with the image's python3 (default /healthz)."""
    command: list[str]
    """A command to run instead of the HTTP probe (exec form; exit status 0 means healthy)."""
    interval: int
    """Seconds between probes, 5-300 (default 10)."""
    timeout: int
    """Seconds a probe may take, 2-60 (default 3)."""
    retries: int
    """Failed probes in a row that make the service unhealthy, 1-10 (default 3)."""
    start_period: int
    """Seconds after start during which failures do not count, 0-300 (default 5)."""


class DockerOptions(TypedDict, total=False):
    """Options of the Docker backend (one host)."""

    container_name: str
    """The container's name (default: the component name)."""
    host_port: int
    """The host port published for `port` (default: `port`)."""
    host_ip: str
    """The host address the port is published on (default 127.0.0.1)."""
    restart: str
    """Restart policy: unless-stopped (default), always or on-failure."""
    networks: list[pulumi.Input[str]]
    """Docker networks to attach the container to (names or ids)."""
    wait_timeout: int
    """Seconds `pulumi up` waits for the container to become healthy (default 60)."""
    log_max_size: str
    """json-file log size before rotation, e.g. 10m (default)."""
    log_max_files: int
    """json-file log files kept (default 3)."""
    tmp_size: str
    """Size of the tmpfs on /tmp when the root filesystem is read-only (default 64m)."""


class EcsOptions(TypedDict):
    """Options of the ECS backend: where the Fargate tasks run and how many."""

    cluster: pulumi.Input[str]
    """The ECS cluster (ARN or name)."""
    subnets: list[pulumi.Input[str]]
    """Subnets of the tasks' network interfaces (awsvpc)."""
    security_groups: NotRequired[list[pulumi.Input[str]]]
    """Security groups of the tasks (default: the VPC's default group)."""
    assign_public_ip: NotRequired[bool]
    """Give tasks a public IP (default false: private subnets with NAT or VPC endpoints)."""
    desired_count: NotRequired[int]
    """How many tasks run (default 2)."""
    target_group_arn: NotRequired[pulumi.Input[str]]
    """A load balancer target group to register the tasks' `port` with."""
    health_check_grace_period: NotRequired[int]
    """Seconds the load balancer's health checks are ignored after a task starts (default 60)."""
    log_retention_days: NotRequired[int]
    """Days CloudWatch keeps the logs (default 30; one of the values CloudWatch allows)."""
    cpu_architecture: NotRequired[str]
    """X86_64 (default) or ARM64; the image index must hold that platform."""
    task_role_arn: NotRequired[pulumi.Input[str]]
    """The IAM role the application itself runs with (default: none)."""
    family: NotRequired[str]
    """Task definition family (default: <project>-<stack>-<name>)."""


class ContainerServiceArgs(TypedDict):
    """A service run from a digest-pinned image, on Docker (default) or ECS (set `ecs`)."""

    image: pulumi.Input[str]
    """The image by digest, `repo@sha256:...`: pass `PythonImage.ref`. Tags are refused."""
    port: NotRequired[int]
    """The port the service listens on inside the container (default 8000)."""
    env: NotRequired[dict[str, pulumi.Input[str]]]
    """Environment variables."""
    secret_env: NotRequired[dict[str, pulumi.Input[str]]]
    """Secret env. Docker: the values, kept secret. ECS: SSM / Secrets Manager ARNs."""
    healthcheck: NotRequired[ServiceHealthcheckArgs]
    """The health probe (default: GET /healthz on `port`)."""
    cpu: NotRequired[float]
    """CPU limit in vCPUs (default 0.25; on ECS one of Fargate's sizes)."""
    memory: NotRequired[int]
    """Memory limit in MiB (default 512; on ECS a size Fargate allows with `cpu`)."""
    user: NotRequired[str]
    """uid[:gid] the service runs as; never root (default 10001:10001, PythonImage's user)."""
    read_only: NotRequired[bool]
    """Read-only root filesystem with a writable /tmp (default true)."""
    labels: NotRequired[dict[str, str]]
    """Container labels (Docker labels on both backends)."""
    suppress: NotRequired[dict[str, str]]
    """Policy rule id -> the reason it does not apply to this service (e.g. OPS002)."""
    docker: NotRequired[DockerOptions]
    """Docker backend options."""
    ecs: NotRequired[EcsOptions]
    """ECS backend options; setting them selects the ECS backend."""


class ContainerService(pulumi.ComponentResource):
    """A service run from a digest-pinned image on one Docker host or on ECS Fargate."""

    image: pulumi.Output[str]
    """The image the service runs, `repo@sha256:...`."""
    endpoint: pulumi.Output[str]
    """Docker: `http://127.0.0.1:<host port>`. ECS: the service ARN."""
    service_name: pulumi.Output[str]
    """Docker: the container name. ECS: the service name."""
    backend: pulumi.Output[str]
    """`docker` or `ecs`."""

    def __init__(
        self, name: str, args: ContainerServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        where = f"ContainerService {name!r}"
        spec = validate(ServiceSpec, args, where)
        image = digest_input(spec.image, where, "image", TAG_HINT)
        # the policy pack and `imagepin check` read `suppress` from the component's props
        super().__init__(TYPE, name, {"suppress": spec.suppress}, opts)
        if spec.ecs is not None:
            made: _docker_service.DockerService | _ecs.EcsService = _ecs.create(
                self, name, spec, image, where
            )
        else:
            made = _docker_service.create(self, name, spec, image)
        self.image = pulumi.Output.from_input(image)
        self.endpoint = made.endpoint
        self.service_name = made.service_name
        self.backend = pulumi.Output.from_input(spec.backend)
        self.register_outputs(
            {
                "image": self.image,
                "endpoint": self.endpoint,
                "service_name": self.service_name,
                "backend": self.backend,
            }
        )
