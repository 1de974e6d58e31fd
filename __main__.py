"""The imagepin program: stack config -> registry -> images -> services -> exports.

Wiring only: `stacks/Pulumi.<stack>.yaml` is read and validated by `imagepin.config` (errors
name the file and key), the components do the rest. Run with `pulumi up --stack dev`, or offline
with `imagepin preview --stack dev`.
"""

from pathlib import Path
from typing import Any

import pulumi

from components import ContainerService, EcrRepository, LocalRegistry, PythonImage
from imagepin.config import ImageConfig, StackConfig, load_stack
from imagepin.errors import ConfigError

ROOT = Path(__file__).resolve().parent
stack: StackConfig = load_stack(pulumi.get_stack(), ROOT)
registry = stack.registry
local = None
if registry is not None and registry.kind == "local":
    local = LocalRegistry(
        "registry",
        {"image": registry.image, "port": registry.port, "lock_file": str(ROOT / "images.lock")},
    )
    pulumi.export("registryAddress", local.address)


def target(image: ImageConfig) -> dict[str, Any]:
    """Where one image is pushed: repository and, for ECR, the credentials."""
    if registry is None:
        raise ConfigError(
            f"{stack.file}: imagepin:registry is missing; say where to push, e.g. "
            "imagepin:registry: {kind: local} (dev) or {kind: ecr}"
        )
    if registry.kind == "ecr":
        ecr = EcrRepository(image.name, {"name": registry.path(image.name)})
        creds = {"address": ecr.address, "username": ecr.username, "password": ecr.password}
        found: dict[str, Any] = {"repository": ecr.repository_url, "registry": creds}
        if stack.cache.enabled:  # the image's tags are immutable; the cache tag moves each build
            cache = EcrRepository(
                f"{image.name}-buildcache",
                {
                    "name": f"{registry.path(image.name)}-buildcache",
                    "build_cache": True,
                    "untagged_expiry_days": 1,  # superseded cache manifests
                },
            )
            found["cache_repository"] = cache.repository_url
        return found
    server = local.address if local is not None else registry.host
    return {"repository": pulumi.Output.concat(server, "/", registry.path(image.name))}


images: dict[str, PythonImage] = {}
for image in stack.images:
    spec_fields = image.model_dump(exclude={"name", "app"}, exclude_unset=True)
    images[image.name] = built = PythonImage(
        image.name,
        {
            **spec_fields,  # type: ignore[typeddict-item]
            **target(image),
            "app": str(stack.app_dir(image).relative_to(ROOT)),
            "base_mirror": stack.base_mirror,
            "lock_file": str(ROOT / "images.lock"),
            "cache": stack.cache.enabled,
            "cache_mode": stack.cache.mode,
            "cache_tag": stack.cache.tag,
            "build_secrets": {
                key: pulumi.Output.secret(stack.build_secrets[key].read(key))
                for key in image.spec(stack.base_mirror).build_secrets
            },
        },
        opts=pulumi.ResourceOptions(depends_on=[local] if local is not None else []),
    )
    pulumi.export(f"{image.name}Ref", built.ref)
    pulumi.export(f"{image.name}Dockerfile", built.dockerfile)

for service in stack.services:
    args: dict[str, Any] = {
        "image": images[service.image].ref,
        "port": service.port,
        "env": service.env,
        "cpu": service.cpu,
        "memory": service.memory,
        "healthcheck": service.healthcheck.model_dump(),
    }
    if stack.backend == "ecs" and stack.ecs is not None:
        ecs = stack.ecs
        args["secret_env"] = {k: v.arn for k, v in service.secret_env.items()}
        args["ecs"] = {
            "cluster": ecs.cluster,
            "subnets": list(ecs.subnets),
            "security_groups": list(ecs.security_groups),
            "assign_public_ip": ecs.assign_public_ip,
            "desired_count": service.desired_count,
            "log_retention_days": ecs.log_retention_days,
            **({"target_group_arn": ecs.target_group_arn} if ecs.target_group_arn else {}),
        }
    else:
        args["secret_env"] = {
            key: pulumi.Output.secret(
                value.read(f"imagepin:services.{service.name}.secretEnv.{key}")
            )
            for key, value in service.secret_env.items()
        }
        args["docker"] = {"host_port": service.host_port or service.port}
    running = ContainerService(service.name, args)  # type: ignore[arg-type]
    pulumi.export(f"{service.name}Endpoint", running.endpoint)
