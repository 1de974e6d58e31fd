"""ContainerService on one Docker host: a `RemoteImage` pulled by digest and a hardened `Container`.

The docker provider cannot update a container in place, and the container name and host port
are fixed, so every change replaces the container, deleting the old one first.
"""

from dataclasses import dataclass

import pulumi
import pulumi_docker as docker

from components._service_spec import ServiceSpec

TMPFS_OPTIONS = "rw,noexec,nosuid,nodev,size={size}"


@dataclass(frozen=True)
class DockerService:
    endpoint: pulumi.Output[str]
    service_name: pulumi.Output[str]


def _assign(key: str, value: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.from_input(value).apply(lambda v: f"{key}={v}")


def env_list(
    env: dict[str, str | pulumi.Output[str]], secret_env: dict[str, str | pulumi.Output[str]]
) -> list[str | pulumi.Output[str]]:
    """`KEY=value` entries sorted by key; each secret one stays a secret Output of its own."""
    out: list[str | pulumi.Output[str]] = []
    for key in sorted({**env, **secret_env}):
        if key in secret_env:
            out.append(_assign(key, pulumi.Output.secret(secret_env[key])))
        elif isinstance(value := env[key], str):
            out.append(f"{key}={value}")
        else:
            out.append(_assign(key, value))
    return out


def healthcheck(spec: ServiceSpec) -> docker.ContainerHealthcheckArgs:
    check = spec.healthcheck
    return docker.ContainerHealthcheckArgs(
        tests=check.test(spec.port),
        interval=f"{check.interval}s",
        timeout=f"{check.timeout}s",
        retries=check.retries,
        start_period=f"{check.start_period}s",
    )


def create(
    parent: pulumi.Resource, name: str, spec: ServiceSpec, image: str | pulumi.Output[str]
) -> DockerService:
    """The image and the container of the service `name`, children of `parent`."""
    settings = spec.docker_settings
    remote = docker.RemoteImage(
        f"{name}-image",
        name=image,
        keep_locally=True,  # other containers (or the next replacement) may run the same digest
        opts=pulumi.ResourceOptions(parent=parent),
    )
    host_port = settings.host_port or spec.port
    container = docker.Container(
        f"{name}-container",
        name=settings.container_name or name,
        image=remote.name,
        user=spec.user,
        read_only=spec.read_only,
        tmpfs={"/tmp": TMPFS_OPTIONS.format(size=settings.tmp_size)} if spec.read_only else None,
        capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
        security_opts=["no-new-privileges"],
        healthcheck=healthcheck(spec),
        restart=settings.restart,
        memory=spec.memory,
        cpus=f"{spec.cpu:g}",
        ports=[
            docker.ContainerPortArgs(
                internal=spec.port, external=host_port, ip=settings.host_ip, protocol="tcp"
            )
        ],
        envs=env_list(spec.env, spec.secret_env),
        labels=[
            docker.ContainerLabelArgs(label=key, value=value)
            for key, value in sorted(spec.labels.items())
        ],
        log_driver="json-file",
        log_opts={"max-size": settings.log_max_size, "max-file": str(settings.log_max_files)},
        networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=n) for n in settings.networks]
        or None,
        must_run=True,
        wait=True,
        wait_timeout=settings.wait_timeout,
        opts=pulumi.ResourceOptions(
            parent=parent, delete_before_replace=True, replace_on_changes=["*"]
        ),
    )
    host = "127.0.0.1" if settings.host_ip in ("0.0.0.0", "::", "") else settings.host_ip
    host = f"[{host}]" if ":" in host else host
    endpoint = container.name.apply(lambda _: f"http://{host}:{host_port}")
    return DockerService(endpoint=endpoint, service_name=container.name)
