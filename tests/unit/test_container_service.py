"""ContainerService under the mock monitor: every registered resource asserted exactly."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pulumi_docker_build as db
import pytest
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.runtime import settings
from pulumi.runtime.sync_await import _sync_await

from components._docker_service import env_list
from components.container_service import ContainerService, ContainerServiceArgs
from components.preview import SECRET, UNKNOWN, Recording, Secret, Unknown, record
from imagepin.errors import ConfigError

from provider_schema import errors

DIGEST = "sha256:" + "a" * 64
REF = f"127.0.0.1:5000/api@{DIGEST}"
PROBE = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"
SSM = "arn:aws:ssm:us-east-1:123456789012:parameter/api/token"
SM = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-db-AbCdEf"
SERVICE = "imagepin:index:ContainerService"
CONTAINER = "docker:index/container:Container"
REMOTE = "docker:index/remoteImage:RemoteImage"
ECS_ARGS: dict[str, Any] = {"cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/main"}


def run(args: Any, name: str = "api", preview: bool = False) -> Recording:
    def program() -> None:
        service = ContainerService(name, args)
        pulumi.export("image", service.image)
        pulumi.export("endpoint", service.endpoint)
        pulumi.export("service_name", service.service_name)
        pulumi.export("backend", service.backend)

    return record(program, preview=preview)


def shape(rec: Recording) -> list[tuple[str, str, str | None]]:
    """(type, name, parent's name) of every registration, sorted (the order is the SDK's)."""
    return sorted(
        (r.type, r.name, r.parent and r.parent.rsplit("::", 1)[-1]) for r in rec.resources
    )


@pytest.fixture
def failed_outputs() -> Iterator[None]:
    """For programs that fail inside an apply: mark the SDK's failed futures as seen.

    Otherwise each is logged ("exception was never retrieved") whenever, and from whichever
    thread, it is dropped; CPython 3.11's traceback printing then races the main thread's
    `ast.parse` and can crash pytest's summary with "AST constructor recursion depth mismatch".
    """
    yield
    settings.reset_options()
    gc.collect()
    for item in gc.get_objects():
        if isinstance(item, asyncio.Future) and item.done() and not item.cancelled():
            item.exception()


# --- Docker backend ------------------------------------------------------------------------


def test_docker_backend_registers_a_pinned_image_and_a_hardened_container() -> None:
    args: ContainerServiceArgs = {
        "image": REF,
        "env": {"LOG_LEVEL": "info", "APP_MODE": "prod"},
        "secret_env": {"API_TOKEN": "hunter2"},
        "labels": {"team": "payments", "org.opencontainers.image.title": "api"},
        "cpu": 1.5,
        "memory": 256,
        "healthcheck": {"path": "/ready", "interval": 5, "retries": 5},
        "docker": {
            "host_port": 18080,
            "restart": "always",
            "networks": ["backend"],
            "log_max_size": "5m",
            "log_max_files": 2,
            "wait_timeout": 30,
        },
    }
    rec = run(args)
    assert shape(rec) == [
        (CONTAINER, "api-container", "api"),
        (REMOTE, "api-image", "api"),
        (SERVICE, "api", "imagepin-dev"),
    ]
    assert rec.named("api").inputs == {"suppress": {}}  # what the policy pack reads
    assert rec.named("api-image").inputs == {"name": REF, "keepLocally": True}
    container = rec.named("api-container")
    assert container.inputs == {
        "name": "api",
        "image": REF,
        "user": "10001:10001",
        "readOnly": True,
        "tmpfs": {"/tmp": "rw,noexec,nosuid,nodev,size=64m"},
        "capabilities": {"drops": ["ALL"]},
        "securityOpts": ["no-new-privileges"],
        "healthcheck": {
            "tests": ["CMD", "python3", "-c", PROBE.replace("/healthz", "/ready")],
            "interval": "5s",
            "timeout": "3s",
            "retries": 5,
            "startPeriod": "5s",
        },
        "restart": "always",
        "memory": 256,
        "cpus": "1.5",
        "ports": [{"internal": 8000, "external": 18080, "ip": "127.0.0.1", "protocol": "tcp"}],
        "envs": Secret(["API_TOKEN=hunter2", "APP_MODE=prod", "LOG_LEVEL=info"]),
        "labels": [
            {"label": "org.opencontainers.image.title", "value": "api"},
            {"label": "team", "value": "payments"},
        ],
        "logDriver": "json-file",
        "logOpts": {"max-size": "5m", "max-file": "2"},
        "networksAdvanced": [{"name": "backend"}],
        "mustRun": True,
        "wait": True,
        "waitTimeout": 30,
    }
    assert container.options == {"deleteBeforeReplace": True, "replaceOnChanges": ["*"]}
    assert [errors(r) for r in rec.resources] == [[], [], []]
    assert rec.outputs == {
        "image": REF,
        "endpoint": "http://127.0.0.1:18080",
        "service_name": "api",
        "backend": "docker",
    }
    shown = json.dumps(rec.display())
    assert "hunter2" not in shown
    assert rec.display()["resources"][2]["inputs"]["envs"] == SECRET


def test_docker_defaults() -> None:
    rec = run({"image": REF}, name="web")
    container = rec.named("web-container")
    assert container.inputs == {
        "name": "web",
        "image": REF,
        "user": "10001:10001",
        "readOnly": True,
        "tmpfs": {"/tmp": "rw,noexec,nosuid,nodev,size=64m"},
        "capabilities": {"drops": ["ALL"]},
        "securityOpts": ["no-new-privileges"],
        "healthcheck": {
            "tests": ["CMD", "python3", "-c", PROBE],
            "interval": "10s",
            "timeout": "3s",
            "retries": 3,
            "startPeriod": "5s",
        },
        "restart": "unless-stopped",
        "memory": 512,
        "cpus": "0.25",
        "ports": [{"internal": 8000, "external": 8000, "ip": "127.0.0.1", "protocol": "tcp"}],
        "envs": [],
        "labels": [],
        "logDriver": "json-file",
        "logOpts": {"max-size": "10m", "max-file": "3"},
        "mustRun": True,
        "wait": True,
        "waitTimeout": 60,
    }
    assert errors(container) == []
    assert rec.outputs["endpoint"] == "http://127.0.0.1:8000"


def test_writable_root_has_no_tmpfs_and_custom_probe_and_names_are_used() -> None:
    rec = run(
        {
            "image": REF,
            "port": 9000,
            "read_only": False,
            "user": "app:app",
            "healthcheck": {"command": ["/bin/check", "--quick"]},
            "docker": {"container_name": "api-blue", "host_ip": "0.0.0.0"},
        }
    )
    container = rec.named("api-container")
    assert "tmpfs" not in container.inputs
    assert container.inputs["readOnly"] is False
    assert container.inputs["user"] == "app:app"
    assert container.inputs["name"] == "api-blue"
    assert container.inputs["healthcheck"]["tests"] == ["CMD", "/bin/check", "--quick"]
    assert container.inputs["ports"] == [
        {"internal": 9000, "external": 9000, "ip": "0.0.0.0", "protocol": "tcp"}
    ]
    assert rec.outputs["endpoint"] == "http://127.0.0.1:9000"
    assert rec.outputs["service_name"] == "api-blue"


def test_secret_env_entries_are_secret_outputs_each_and_plain_ones_stay_plain() -> None:
    def program() -> None:
        entries = env_list({"B": "2", "D": pulumi.Output.from_input("4")}, {"A": "1", "C": "3"})
        plain = [e for e in entries if isinstance(e, str)]
        outputs = [e for e in entries if not isinstance(e, str)]
        assert plain == ["B=2"]
        secret = [_sync_await(o.is_secret()) for o in outputs]
        values = [_sync_await(o.future()) for o in outputs]
        assert values == ["A=1", "C=3", "D=4"]
        assert secret == [True, True, False]

    record(program)


def test_tag_and_digest_reference_runs_by_digest_only() -> None:
    rec = run({"image": f"127.0.0.1:5000/api:1.2@{DIGEST}"})
    assert rec.named("api-image").inputs["name"] == REF
    assert rec.named("api-container").inputs["image"] == REF
    assert rec.outputs["image"] == REF


def test_docker_hub_names_are_normalized() -> None:
    rec = run({"image": f"python@{DIGEST}"})
    assert rec.outputs["image"] == f"docker.io/library/python@{DIGEST}"


def test_image_output_from_another_resource_is_used_when_known() -> None:
    rec = run({"image": pulumi.Output.from_input(f"127.0.0.1:5000/api:7@{DIGEST}")})
    assert rec.named("api-container").inputs["image"] == REF


def test_image_unknown_at_preview_stays_unknown() -> None:
    def program() -> None:
        built = db.Image(  # like PythonImage.ref: only known once pushed
            "build",
            push=True,
            tags=["127.0.0.1:5000/api:1"],
            dockerfile=db.DockerfileArgs(inline="FROM scratch\n"),
            context=db.BuildContextArgs(location="."),
        )
        service = ContainerService("api", {"image": built.ref})
        pulumi.export("image", service.image)

    rec = record(program, preview=True)
    assert rec.named("api-image").inputs["name"] == Unknown()
    assert rec.named("api-container").inputs["image"] == Unknown()
    assert rec.outputs["image"] == Unknown()
    shown = rec.display()
    assert shown["outputs"]["image"] == UNKNOWN


TAG_MESSAGE = (
    "ContainerService 'api': image: '127.0.0.1:5000/api:1.2' has no digest; ContainerService "
    "runs images by digest only: pass PythonImage.ref (repo@sha256:...), or pin the image with "
    "`imagepin lock add` and pass the pinned reference"
)


def test_tag_only_string_is_refused_before_anything_registers() -> None:
    registered: list[Recording] = []
    with pytest.raises(ConfigError) as caught:
        registered.append(run({"image": "127.0.0.1:5000/api:1.2"}))
    assert str(caught.value) == TAG_MESSAGE
    assert registered == []


def test_tag_only_output_is_refused_with_the_same_message(failed_outputs: None) -> None:
    with pytest.raises(ValueError) as caught:
        run({"image": pulumi.Output.from_input("127.0.0.1:5000/api:1.2")})
    assert TAG_MESSAGE in str(caught.value)


def test_invalid_reference_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"^ContainerService 'api': image: .*'Api:1'"):
        run({"image": "Api:1"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"user": "root"},
            "user: 'root' runs the service as root; use a non-root uid such as 10001:10001",
        ),
        ({"user": "0:0"}, "user: '0:0' runs the service as root"),
        ({"user": "1:2:3"}, "user: '1:2:3' is not a user; write uid[:gid] or name[:group]"),
        ({"port": 0}, "port: input should be greater than or equal to 1 (got the number 0)"),
        ({"prot": 80}, "prot: unknown key; did you mean 'port'?"),
        ({"env": {"1X": "y"}}, "env.1X: not an environment variable name"),
        ({"env": {"X": 1}}, "env.X: expected a string or a pulumi Output, got int 1"),
        (
            {"env": {"TOKEN": "a"}, "secret_env": {"TOKEN": "b"}},
            "secret_env.TOKEN: is also in env; keep each variable in one of them",
        ),
        (
            {"docker": {"restart": "no"}},
            "docker.restart: 'no' is not one of always, unless-stopped, on-failure",
        ),
        ({"docker": {"log_max_size": "10 MB"}}, "docker.log_max_size: '10 MB' is not a size"),
        ({"healthcheck": {"interval": 1}}, "healthcheck.interval: input should be greater"),
        ({"healthcheck": {"path": "healthz"}}, "healthcheck.path: 'healthz' is not a URL path"),
        (
            {"docker": {}, "ecs": {**ECS_ARGS, "subnets": ["subnet-1"]}},
            "ecs: docker and ecs are both set; keep the backend's one",
        ),
        ({"ecs": ECS_ARGS}, "ecs.subnets: missing; add it"),
        (
            {"ecs": {**ECS_ARGS, "subnets": ["s"]}, "cpu": 0.3},
            "cpu: Fargate runs 0.25, 0.5, 1, 2, 4, 8, 16 vCPUs, not 0.3",
        ),
        (
            {"ecs": {**ECS_ARGS, "subnets": ["s"]}, "cpu": 1, "memory": 1024},
            "memory: Fargate gives 1 vCPU 2048, 3072, 4096, 5120, 6144, 7168, 8192 MiB "
            "(in steps of 1024), not 1024",
        ),
        (
            {"ecs": {**ECS_ARGS, "subnets": ["s"], "log_retention_days": 10}},
            "ecs.log_retention_days: CloudWatch keeps logs for 1, 3, 5",
        ),
        (
            {"ecs": {**ECS_ARGS, "subnets": ["s"]}, "secret_env": {"TOKEN": "hunter2"}},
            "secret_env.TOKEN: ECS reads secrets from SSM Parameter Store or Secrets Manager at "
            "task start and cannot take a value inline",
        ),
    ],
)
def test_invalid_args_name_the_field_and_the_fix(args: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        run({"image": REF, **args})
    assert str(caught.value).startswith(f"ContainerService 'api': {message}"), caught.value


def test_args_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match="args must be a mapping"):
        run(REF)


def test_secret_value_never_shows_even_in_a_failed_ecs_check_of_an_output(
    failed_outputs: None,
) -> None:
    with pytest.raises(ValueError) as caught:
        run(
            {
                "image": REF,
                "secret_env": {"TOKEN": pulumi.Output.secret("hunter2")},
                "ecs": {**ECS_ARGS, "subnets": ["s"]},
            }
        )
    assert "ContainerService 'api': secret_env.TOKEN: ECS reads secrets" in str(caught.value)
    assert "hunter2" not in str(caught.value)


# --- ECS backend ---------------------------------------------------------------------------


ECS_FULL: dict[str, Any] = {
    "image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/api:3@{DIGEST}",
    "port": 8080,
    "env": {"LOG_LEVEL": "info"},
    "secret_env": {"API_TOKEN": SSM, "DB_PASSWORD": SM + ":password::"},
    "cpu": 0.5,
    "memory": 1024,
    "labels": {"team": "payments"},
    "ecs": {
        **ECS_ARGS,
        "subnets": ["subnet-1", "subnet-2"],
        "security_groups": ["sg-1"],
        "desired_count": 3,
        "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/b",
        "cpu_architecture": "ARM64",
        "task_role_arn": "arn:aws:iam::123456789012:role/api",
    },
}
ECS_IMAGE = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/api@{DIGEST}"


def test_ecs_backend_registers_logs_role_task_and_service() -> None:
    rec = run(ECS_FULL)
    assert shape(rec) == [
        ("aws:cloudwatch/logGroup:LogGroup", "api-logs", "api"),
        ("aws:ecs/service:Service", "api-service", "api"),
        ("aws:ecs/taskDefinition:TaskDefinition", "api-task", "api"),
        ("aws:iam/role:Role", "api-execution", "api"),
        ("aws:iam/rolePolicy:RolePolicy", "api-execution-secrets", "api"),
        ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "api-execution-policy", "api"),
        (SERVICE, "api", "imagepin-dev"),
    ]
    assert rec.named("api-logs").inputs == {
        "name": "/imagepin/imagepin/dev/api",
        "retentionInDays": 30,
    }
    role = rec.named("api-execution").inputs
    assert json.loads(role["assumeRolePolicy"])["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    assert rec.named("api-execution-policy").inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    )
    policy = json.loads(rec.named("api-execution-secrets").inputs["policy"])
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": [SSM]},
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [SM]},
    ]
    task = rec.named("api-task").inputs
    definitions = json.loads(task.pop("containerDefinitions"))
    assert task == {
        "family": "imagepin-dev-api",
        "cpu": "512",
        "memory": "1024",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"},
        "taskRoleArn": "arn:aws:iam::123456789012:role/api",
        "volumes": [{"name": "tmp"}],
    }
    assert definitions == [
        {
            "name": "api",
            "image": ECS_IMAGE,
            "essential": True,
            "user": "10001:10001",
            "readonlyRootFilesystem": True,
            "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
            "healthCheck": {
                "command": ["CMD", "python3", "-c", PROBE.replace("8000", "8080")],
                "interval": 10,
                "timeout": 3,
                "retries": 3,
                "startPeriod": 5,
            },
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": "/imagepin/imagepin/dev/api",
                    "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "api",
                },
            },
            "environment": [{"name": "LOG_LEVEL", "value": "info"}],
            "secrets": [
                {"name": "API_TOKEN", "valueFrom": SSM},
                {"name": "DB_PASSWORD", "valueFrom": SM + ":password::"},
            ],
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
            "dockerLabels": {"team": "payments"},
        }
    ]
    service = rec.named("api-service").inputs
    assert service == {
        "cluster": ECS_ARGS["cluster"],
        "launchType": "FARGATE",
        "desiredCount": 3,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "deploymentMinimumHealthyPercent": 100,
        "deploymentMaximumPercent": 200,
        "networkConfiguration": {
            "subnets": ["subnet-1", "subnet-2"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": False,
        },
        "loadBalancers": [
            {
                "targetGroupArn": ECS_FULL["ecs"]["target_group_arn"],
                "containerName": "api",
                "containerPort": 8080,
            }
        ],
        "healthCheckGracePeriodSeconds": 60,
        "waitForSteadyState": True,
    }
    assert rec.outputs["image"] == ECS_IMAGE
    assert rec.outputs["backend"] == "ecs"


def test_ecs_minimal_has_no_secrets_policy_or_load_balancer() -> None:
    rec = run({"image": REF, "read_only": False, "ecs": {**ECS_ARGS, "subnets": ["s"]}})
    assert sorted(r.name for r in rec.resources) == [
        "api",
        "api-execution",
        "api-execution-policy",
        "api-logs",
        "api-service",
        "api-task",
    ]
    (definition,) = json.loads(rec.named("api-task").inputs["containerDefinitions"])
    for absent in ("secrets", "environment", "mountPoints", "dockerLabels"):
        assert absent not in definition
    assert definition["readonlyRootFilesystem"] is False
    assert "volumes" not in rec.named("api-task").inputs
    service = rec.named("api-service").inputs
    assert "loadBalancers" not in service
    assert "healthCheckGracePeriodSeconds" not in service
    assert service["desiredCount"] == 2
    assert service["networkConfiguration"] == {"subnets": ["s"], "assignPublicIp": False}


def test_ecs_at_preview_knows_the_definition_but_not_the_service_arn() -> None:
    rec = run(ECS_FULL, preview=True)
    (definition,) = json.loads(rec.named("api-task").inputs["containerDefinitions"])
    assert definition["image"] == ECS_IMAGE
    assert rec.named("api-task").inputs["executionRoleArn"] == Unknown()
    assert rec.outputs["endpoint"] == Unknown()


def test_ecs_secret_arns_from_outputs_are_checked_at_deployment() -> None:
    args = {**ECS_FULL, "secret_env": {"API_TOKEN": pulumi.Output.from_input(SSM)}}
    rec = run(args)
    policy = json.loads(rec.named("api-execution-secrets").inputs["policy"])
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": [SSM]}
    ]


# --- the schema the component provider host infers ---------------------------------------


def test_provider_host_infers_the_args_and_outputs() -> None:
    result = Analyzer("imagepin").analyze([ContainerService])
    component = result["component_definitions"]["ContainerService"]
    assert sorted(component.inputs) == [
        "cpu",
        "docker",
        "ecs",
        "env",
        "healthcheck",
        "image",
        "labels",
        "memory",
        "port",
        "readOnly",
        "secretEnv",
        "suppress",
        "user",
    ]
    assert [k for k, p in component.inputs.items() if not p.optional] == ["image"]
    assert sorted(component.outputs) == ["backend", "endpoint", "image", "serviceName"]
    types = result["type_definitions"]
    assert sorted(types) == ["DockerOptions", "EcsOptions", "ServiceHealthcheckArgs"]
    ecs = types["EcsOptions"].properties
    assert [k for k, p in ecs.items() if not p.optional] == ["cluster", "subnets"]
    assert component.inputs["image"].description == (
        "The image by digest, `repo@sha256:...`: pass `PythonImage.ref`. Tags are refused."
    )
