"""ContainerService on Amazon ECS (Fargate): log group, execution role, task definition, service.

The task runs the image by digest with the same settings the Docker backend gives a container
(non-root user, read-only root filesystem with a scratch volume on /tmp, all capabilities
dropped, the same health probe); deployments stop and roll back on the circuit breaker.
ECS cannot take secret values inline: secret env is a map of SSM Parameter Store or Secrets
Manager ARNs that the execution role (given read access to exactly those) resolves at task start.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components._service_spec import EcsSettings, ServiceSpec, secret_arn_input

EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
ASSUME_ROLE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
TMP_VOLUME = "tmp"


@dataclass(frozen=True)
class EcsService:
    endpoint: pulumi.Output[str]
    service_name: pulumi.Output[str]


def _slug(text: str, allowed: str, limit: int) -> str:
    return re.sub(f"[^{allowed}]", "-", text)[:limit]


def family(name: str, settings: EcsSettings) -> str:
    """Task definition family: per project and stack, so stacks sharing an account never mix."""
    default = f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}"
    return settings.family or _slug(default, "A-Za-z0-9_-", 255)


def log_group_name(name: str) -> str:
    return _slug(f"/imagepin/{pulumi.get_project()}/{pulumi.get_stack()}/{name}", r"\w./#-", 512)


def container_name(name: str) -> str:
    return _slug(name, "A-Za-z0-9_-", 255)


def container_definition(
    name: str,
    spec: ServiceSpec,
    image: str | pulumi.Output[str],
    secrets: dict[str, str | pulumi.Output[str]],
    log_group: pulumi.Input[str],
    region: pulumi.Input[str],
) -> dict[str, Any]:
    """The one container of the task (values may be Outputs; `Output.from_input` resolves)."""
    check = spec.healthcheck
    definition: dict[str, Any] = {
        "name": container_name(name),
        "image": image,
        "essential": True,
        "user": spec.user,
        "readonlyRootFilesystem": spec.read_only,
        "portMappings": [{"containerPort": spec.port, "hostPort": spec.port, "protocol": "tcp"}],
        "healthCheck": {
            "command": check.test(spec.port),
            "interval": check.interval,
            "timeout": check.timeout,
            "retries": check.retries,
            "startPeriod": check.start_period,
        },
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": container_name(name),
            },
        },
    }
    if spec.env:
        definition["environment"] = [{"name": k, "value": spec.env[k]} for k in sorted(spec.env)]
    if secrets:
        definition["secrets"] = [{"name": k, "valueFrom": secrets[k]} for k in sorted(secrets)]
    if spec.read_only:
        definition["mountPoints"] = [
            {"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}
        ]
    if spec.labels:
        definition["dockerLabels"] = dict(sorted(spec.labels.items()))
    return definition


def read_secrets_policy(arns: list[str]) -> str:
    """Execution-role policy reading exactly these SSM parameters and Secrets Manager secrets."""
    ssm = sorted({a for a in arns if a.split(":")[2] == "ssm"})
    # a Secrets Manager valueFrom may carry :json-key:version-stage:version-id after the ARN
    managed = sorted({":".join(a.split(":")[:7]) for a in arns if a.split(":")[2] != "ssm"})
    statements = []
    if ssm:
        statements.append({"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": ssm})
    if managed:
        statements.append(
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": managed}
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def create(
    parent: pulumi.Resource,
    name: str,
    spec: ServiceSpec,
    image: str | pulumi.Output[str],
    where: str,
) -> EcsService:
    """The ECS resources of the service `name`, children of `parent`."""
    settings = spec.ecs
    if settings is None:
        raise ValueError("the ECS backend needs spec.ecs")
    child = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=log_group_name(name),
        retention_in_days=settings.log_retention_days,
        opts=child,
    )
    role = aws.iam.Role(
        f"{name}-execution",
        assume_role_policy=json.dumps(ASSUME_ROLE_POLICY),
        description=f"ECS task execution role of the imagepin service {name}",
        opts=child,
    )
    grants: list[pulumi.Resource] = [
        aws.iam.RolePolicyAttachment(
            f"{name}-execution-policy", role=role.name, policy_arn=EXECUTION_POLICY, opts=child
        )
    ]
    secrets = {k: secret_arn_input(where, k, v) for k, v in spec.secret_env.items()}
    if secrets:
        arns = pulumi.Output.all(*(secrets[k] for k in sorted(secrets)))
        grants.append(
            aws.iam.RolePolicy(
                f"{name}-execution-secrets",
                role=role.id,
                policy=arns.apply(read_secrets_policy),
                opts=child,
            )
        )
    region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=parent)).region
    definition = container_definition(name, spec, image, secrets, log_group.name, region)
    task = aws.ecs.TaskDefinition(
        f"{name}-task",
        family=family(name, settings),
        cpu=str(spec.cpu_units),
        memory=str(spec.memory),
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE"],
        runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
            operating_system_family="LINUX", cpu_architecture=settings.cpu_architecture
        ),
        execution_role_arn=role.arn,
        task_role_arn=settings.task_role_arn,
        volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=TMP_VOLUME)] if spec.read_only else None,
        container_definitions=pulumi.Output.from_input(definition).apply(lambda d: json.dumps([d])),
        opts=child,
    )
    balanced = settings.target_group_arn is not None
    service = aws.ecs.Service(
        f"{name}-service",
        cluster=settings.cluster,
        task_definition=task.arn,
        launch_type="FARGATE",
        desired_count=settings.desired_count,
        deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
            enable=True, rollback=True
        ),
        deployment_minimum_healthy_percent=100,
        deployment_maximum_percent=200,
        network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
            subnets=settings.subnets,
            security_groups=settings.security_groups or None,
            assign_public_ip=settings.assign_public_ip,
        ),
        load_balancers=[
            aws.ecs.ServiceLoadBalancerArgs(
                target_group_arn=settings.target_group_arn,
                container_name=container_name(name),
                container_port=spec.port,
            )
        ]
        if balanced
        else None,
        health_check_grace_period_seconds=settings.health_check_grace_period if balanced else None,
        wait_for_steady_state=True,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=grants),
    )
    return EcsService(endpoint=service.arn, service_name=service.name)
