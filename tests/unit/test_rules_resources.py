"""ARCH001, OPS001, OPS002, REG001, SEC001 on the provider resources (and SEC001, REG001 on
Dockerfiles): compliant, non-compliant with exact messages, unknowns noted, suppressed."""

from __future__ import annotations

from typing import Any

import pytest

from imagepin.check import check_resources, check_text
from imagepin.rules import RULES, Settings
from imagepin.rules.values import SECRET_SIG, SIG_KEY, UNKNOWN, Secret

A = "sha256:" + "a" * 64
PLATFORMS = Settings(required_platforms=("linux/amd64", "linux/arm64"))
REGISTRIES = Settings(allowed_registries=("docker.io", "*.dkr.ecr.*.amazonaws.com", "ghcr.io/acme"))


def image(
    name: str = "app", options: dict[str, Any] | None = None, **inputs: Any
) -> dict[str, Any]:
    inputs.setdefault("dockerfile", {"inline": f"FROM python:3.12-slim-bookworm@{A}\n"})
    return {
        "type": "docker-build:index:Image",
        "name": name,
        "inputs": inputs,
        "options": options or {},
    }


def container(**inputs: Any) -> dict[str, Any]:
    return {"type": "docker:index/container:Container", "name": "web", "inputs": inputs}


def found(resources: list[dict[str, Any]], rule: str, settings: Settings = Settings()) -> list[str]:
    report = check_resources(resources, settings, [RULES[rule]])
    assert all(v.rule == rule and v.severity is RULES[rule].severity for v in report.violations)
    return [v.message for v in report.violations]


def noted(resources: list[dict[str, Any]], rule: str, settings: Settings = Settings()) -> list[str]:
    report = check_resources(resources, settings, [RULES[rule]])
    assert report.violations == ()
    return [n.message for n in report.notes if n.rule == rule]


def suppressed(resource: dict[str, Any], rule: str, settings: Settings = Settings()) -> None:
    assert found([resource], rule, settings)
    quiet = resource | {"suppress": {rule: "accepted in review: see the runbook"}}
    assert found([quiet], rule, settings) == []


# --- ARCH001 ----------------------------------------------------------------------------------


def test_arch001_accepts_every_required_platform_and_unpushed_images() -> None:
    ok = image(push=True, platforms=["linux/amd64", "linux/arm64/v8"])
    assert found([ok, image("local", push=False)], "ARCH001", PLATFORMS) == []
    assert found([image(push=True)], "ARCH001") == []  # nothing required


def test_arch001_reports_missing_platforms() -> None:
    assert found([image(push=True, platforms=["linux/amd64"])], "ARCH001", PLATFORMS) == [
        'docker-build:index:Image "app" pushes an image for linux/amd64, but the stack requires '
        "linux/amd64, linux/arm64: missing linux/arm64; add it to platforms"
    ]
    assert found([image(push=True)], "ARCH001", PLATFORMS) == [
        'docker-build:index:Image "app" pushes an image without platforms, so it is built for '
        "the build host only; the stack requires linux/amd64, linux/arm64: set platforms=[...] "
        "to them"
    ]


def test_arch001_notes_unknowns() -> None:
    assert noted([image(push=UNKNOWN)], "ARCH001", PLATFORMS) == [
        'docker-build:index:Image "app": push is unknown at preview'
    ]
    assert noted([image(push=True, platforms=UNKNOWN)], "ARCH001", PLATFORMS) == [
        'docker-build:index:Image "app": platforms is unknown at preview'
    ]


PARENT = "urn:pulumi:prod::imagepin::imagepin:index:PythonImage::api"


def component(platforms: Any = None) -> dict[str, Any]:
    inputs = {"retainOnDelete": True, **({"platforms": platforms} if platforms else {})}
    return {"type": "imagepin:index:PythonImage", "name": "api", "inputs": inputs, "urn": PARENT}


def test_arch001_checks_a_python_image_by_the_index_it_pushes() -> None:
    # with a registry cache the component builds one image per platform and joins them
    split = [
        image(f"api-{arch}", {"parent": PARENT}, push=True, platforms=[f"linux/{arch}"])
        for arch in ("amd64", "arm64")
    ]
    whole = component(["linux/amd64", "linux/arm64"])
    assert found([whole, *split], "ARCH001", PLATFORMS) == []
    assert found([component(["linux/amd64"]), split[0]], "ARCH001", PLATFORMS) == [
        'imagepin:index:PythonImage "api" pushes an image for linux/amd64, but the stack '
        "requires linux/amd64, linux/arm64: missing linux/arm64; add it to platforms"
    ]
    assert noted([component()], "ARCH001", PLATFORMS) == [
        'imagepin:index:PythonImage "api" does not state its platforms (made by an older imagepin)'
    ]
    assert noted([component(UNKNOWN)], "ARCH001", PLATFORMS) == [
        'imagepin:index:PythonImage "api": platforms is unknown at preview'
    ]


def test_arch001_still_checks_per_platform_builds_nobody_joins() -> None:
    # a hand-written build (no imagepin parent) pushes exactly what it builds
    lone = image("lone", {"parent": "urn:pulumi:p::x::my:Thing::t"}, platforms=["linux/arm64"])
    lone["inputs"]["push"] = True
    assert len(found([lone], "ARCH001", PLATFORMS)) == 1


def test_arch001_suppressed() -> None:
    suppressed(image(push=True, platforms=["linux/amd64"]), "ARCH001", PLATFORMS)


# --- OPS001 -----------------------------------------------------------------------------------

RETAINED = {"retainOnDelete": True}
DELETES = "but is not retained on delete, so replacing or destroying it deletes the published image"


def test_ops001_accepts_retained_and_unpushed_images() -> None:
    resources = [
        image(push=True, tags=["r/app:1"], options=RETAINED),
        image("local", push=False),
        {
            "type": "docker:index/registryImage:RegistryImage",
            "name": "ri",
            "inputs": {"name": "r/x:1", "keepRemotely": True},
        },
    ]
    assert found(resources, "OPS001") == []


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (
            image(push=True, tags=["127.0.0.1:5000/app:1"]),
            f'docker-build:index:Image "app" pushes 127.0.0.1:5000/app:1 {DELETES}; set '
            "opts=ResourceOptions(retain_on_delete=True)",
        ),
        (
            image(exports=[{"registry": {"names": ["r/x:1"]}}]),
            f'docker-build:index:Image "app" pushes r/x:1 {DELETES}; set '
            "opts=ResourceOptions(retain_on_delete=True)",
        ),
        (
            {
                "type": "docker:index/registryImage:RegistryImage",
                "name": "ri",
                "inputs": {"name": "r/x:1"},
            },
            f'docker:index/registryImage:RegistryImage "ri" pushes r/x:1 {DELETES}; set '
            "keep_remotely=True (or retain_on_delete=True)",
        ),
        (
            {"type": "docker-build:index:Index", "name": "idx", "inputs": {"tag": "r/x:1"}},
            f'docker-build:index:Index "idx" pushes r/x:1 {DELETES}; set '
            "opts=ResourceOptions(retain_on_delete=True)",
        ),
    ],
)
def test_ops001_reports_pushes_that_a_delete_would_remove(resource, message) -> None:
    assert found([resource], "OPS001") == [message]


def test_ops001_notes_an_option_it_cannot_see() -> None:
    hidden = image(push=True, options={"retainOnDelete": UNKNOWN})
    assert noted([hidden], "OPS001") == [
        'docker-build:index:Image "app": the retainOnDelete option is not known here, so OPS001 '
        "is not checked (`imagepin check --stack` sees resource options)"
    ]


def test_ops001_suppressed() -> None:
    suppressed(image(push=True), "OPS001")


# --- OPS002 -----------------------------------------------------------------------------------

BROKEN = "so traffic keeps going to a container that is up but broken"


def test_ops002_accepts_declared_health_checks_and_sidecars() -> None:
    defs = (
        '[{"name": "app", "image": "x", "healthCheck": {"command": ["CMD", "true"]}},'
        ' {"name": "log", "image": "y", "essential": false}]'
    )
    resources = [
        container(image="x", healthcheck={"tests": ["CMD", "true"]}),
        {
            "type": "aws:ecs/taskDefinition:TaskDefinition",
            "name": "svc",
            "inputs": {"containerDefinitions": defs},
        },
    ]
    assert found(resources, "OPS002") == []


def test_ops002_reports_each_workload_without_a_health_check() -> None:
    resources = [
        container(image="x"),
        container(image="x", healthcheck={"tests": ["NONE"]}),
        {
            "type": "aws:ecs/taskDefinition:TaskDefinition",
            "name": "svc",
            "inputs": {"containerDefinitions": '[{"name": "app", "image": "x"}]'},
        },
        {
            "type": "docker:index/service:Service",
            "name": "sw",
            "inputs": {"taskSpec": {"containerSpec": {"image": "x"}}},
        },
    ]
    docker = (
        f'docker:index/container:Container "web" declares no health check, {BROKEN}; add '
        'healthcheck=ContainerHealthcheckArgs(tests=["CMD", ...], interval="10s")'
    )
    assert found(resources, "OPS002") == [
        docker,
        docker,
        f'aws:ecs/taskDefinition:TaskDefinition "svc" declares no health check for '
        f'containerDefinitions[0] (app), {BROKEN}; add "healthCheck": {{"command": '
        '["CMD-SHELL", "..."]} to the container definition',
        f'docker:index/service:Service "sw" declares no health check for '
        f"taskSpec.containerSpec, {BROKEN}; add taskSpec.containerSpec.healthcheck with tests",
    ]


def test_ops002_notes_unknowns() -> None:
    ecs = {
        "type": "aws:ecs/taskDefinition:TaskDefinition",
        "name": "svc",
        "inputs": {"containerDefinitions": UNKNOWN},
    }
    assert noted([container(image="x", healthcheck=UNKNOWN), ecs], "OPS002") == [
        'docker:index/container:Container "web": its health check is unknown at preview',
        'aws:ecs/taskDefinition:TaskDefinition "svc": containerDefinitions is unknown at preview',
    ]


def test_ops002_suppressed() -> None:
    suppressed(container(image="x"), "OPS002")


# --- REG001 -----------------------------------------------------------------------------------

NOT_ALLOWED = (
    "which is not an allowed registry (docker.io, *.dkr.ecr.*.amazonaws.com, ghcr.io/acme)"
)


def test_reg001_accepts_allowed_hosts_patterns_and_prefixes_and_no_list() -> None:
    tags = ["python:3.12", "123.dkr.ecr.us-east-1.amazonaws.com/app:1", "ghcr.io/acme/app:1"]
    assert found([image(push=True, tags=tags)], "REG001", REGISTRIES) == []
    assert found([image(push=True, tags=["quay.io/x:1"])], "REG001") == []


def test_reg001_reports_pulls_pushes_and_runs_outside_the_list() -> None:
    build = image(
        push=True,
        tags=["quay.io/x:1", "ghcr.io/evil/app:1"],
        dockerfile={"inline": "FROM quay.io/py:3\n"},
    )
    run = container(image=f"quay.io/x@{A}")
    fix = "use an allowed registry or mirror, or add"
    assert found([build, run], "REG001", REGISTRIES) == [
        f'docker-build:index:Image "app" pushes quay.io/x:1 (tags[0]) to quay.io, {NOT_ALLOWED}; '
        f"{fix} quay.io to the stack's allowed registries",
        f'docker-build:index:Image "app" pushes ghcr.io/evil/app:1 (tags[1]) to ghcr.io, '
        f"{NOT_ALLOWED}; {fix} ghcr.io to the stack's allowed registries",
        f"FROM quay.io/py:3 in stage 0 pulls from quay.io, {NOT_ALLOWED}; {fix} quay.io to the "
        "stack's allowed registries",
        f'docker:index/container:Container "web" runs quay.io/x@{A} (image) from quay.io, '
        f"{NOT_ALLOWED}; {fix} quay.io to the stack's allowed registries",
    ]


def test_reg001_on_a_dockerfile_and_suppressed() -> None:
    text = "FROM ghcr.io/other/base:1\n"
    assert len(check_text(text, REGISTRIES, [RULES["REG001"]]).violations) == 1
    quiet = "# imagepin: ignore REG001 -- mirrored next quarter\n" + text
    assert check_text(quiet, REGISTRIES, [RULES["REG001"]]).violations == ()
    suppressed(container(image="quay.io/x:1"), "REG001", REGISTRIES)


def test_reg001_reads_a_host_written_in_capitals_against_a_repository_entry() -> None:
    assert check_text("FROM GHCR.IO/acme/app:1\n", REGISTRIES, [RULES["REG001"]]).violations == ()
    assert (
        len(check_text("FROM GHCR.IO/other/app:1\n", REGISTRIES, [RULES["REG001"]]).violations) == 1
    )


def test_reg001_sees_images_that_copy_from_pulls_but_not_stages() -> None:
    text = (
        "ARG TOOLS=quay.io/evil/tool:1\nFROM docker.io/library/python:3.12 AS build\nARG TOOLS\n"
        "COPY --from=build /a /a\nCOPY --from=0 /b /b\nCOPY --from=$TOOLS /t /t\n"
        "COPY --from=docker.io/library/busybox:1 /c /c\n"
        "RUN --mount=type=bind,from=build,target=/b --mount=type=bind,from=quay.io/x/y:1,target=/y "
        "true\n"
    )
    report = check_text(text, REGISTRIES, [RULES["REG001"]])
    assert [(v.line, v.message) for v in report.violations] == [
        (
            6,
            "COPY --from=$TOOLS pulls from quay.io, which is not an allowed registry "
            f"({', '.join(REGISTRIES.allowed_registries)}); use an allowed registry or mirror, or "
            "add quay.io to the stack's allowed registries",
        ),
        (
            8,
            "RUN --mount=...,from=quay.io/x/y:1 pulls from quay.io, which is not an allowed "
            f"registry ({', '.join(REGISTRIES.allowed_registries)}); use an allowed registry or "
            "mirror, or add quay.io to the stack's allowed registries",
        ),
    ]


# --- SEC001 -----------------------------------------------------------------------------------

HISTORY = "build args are stored in the image history"


def test_sec001_accepts_harmless_build_args_and_env() -> None:
    args = {"PUBLIC_KEY": "k", "VERSION": "1", "TOKEN_URL": "https://h/t", "KEY_ID": "7"}
    assert found([image(buildArgs=args)], "SEC001") == []
    text = "FROM a\nENV GPG_KEY=abc PYTHON_VERSION=3.12\nARG PASSWORD_FILE=/run/secrets/pw\n"
    assert check_text(text, Settings(), [RULES["SEC001"]]).violations == ()


def test_sec001_reports_secret_names_pulumi_secrets_and_credentials_in_urls() -> None:
    wire_secret = {SIG_KEY: SECRET_SIG, "value": "postgres://u:p@h/db"}
    args = {
        "GITHUB_TOKEN": "x",
        "DB_URL": wire_secret,
        "PLAIN": Secret("also a secret"),
        "PIP_INDEX_URL": "https://u:p@pypi.acme/simple",
    }
    fix = "pass it in the image's secrets and read it with RUN --mount=type=secret,id="
    assert found([image(buildArgs=args)], "SEC001") == [
        'docker-build:index:Image "app" passes build arg GITHUB_TOKEN, which looks like a '
        f"secret (TOKEN); {HISTORY}; {fix}GITHUB_TOKEN",
        'docker-build:index:Image "app" passes build arg DB_URL, which is a Pulumi secret, but '
        f"{HISTORY} in plain text; {fix}DB_URL",
        'docker-build:index:Image "app" passes build arg PLAIN, which is a Pulumi secret, but '
        f"{HISTORY} in plain text; {fix}PLAIN",
        'docker-build:index:Image "app" passes build arg PIP_INDEX_URL, which carries '
        f"credentials in a URL (user:password@); {HISTORY}; {fix}PIP_INDEX_URL",
    ]


def test_sec001_reads_a_token_written_as_a_urls_user_name() -> None:
    token = "ghp_" + "A1b2" * 9
    text = (
        f"FROM a\nARG REPO=https://{token}@github.com/acme/lib.git\n"
        f"ENV INDEX=https://{'x' * 40}@pypi.acme/simple\n"
        "ENV PLAIN=https://git@github.com/acme/lib.git\n"
        f"ENV IMAGE=docker://{'a' * 40}@sha256:{'b' * 64}\n"
    )
    report = check_text(text, Settings(), [RULES["SEC001"]])
    assert [(v.line, v.message) for v in report.violations] == [
        (
            2,
            "ARG REPO (line 2) carries credentials in a URL (a token as its user name); build "
            "arg values are kept in the image history; pass the URL as a BuildKit secret "
            "instead (RUN --mount=type=secret,id=repo)",
        ),
        (
            3,
            "ENV INDEX (line 3) carries credentials in a URL (a token as its user name); ENV "
            "values are stored in the image config; pass the URL as a BuildKit secret instead "
            "(RUN --mount=type=secret,id=index)",
        ),
    ]
    args = {"GIT_URL": f"https://glpat-{'z' * 20}@gitlab.acme/x.git", "OK": "https://git@h/x"}
    fix = "pass it in the image's secrets and read it with RUN --mount=type=secret,id="
    assert found([image(buildArgs=args)], "SEC001") == [
        'docker-build:index:Image "app" passes build arg GIT_URL, which carries credentials in '
        f"a URL (a token as its user name); {HISTORY}; {fix}GIT_URL",
    ]
    assert all(token not in v.message for v in report.violations)  # the value is never shown


def test_sec001_reads_credentials_written_into_command_lines() -> None:
    text = (
        "FROM a\nRUN pip install --index-url https://deploy:s3cr3t@pypi.acme/simple x\n"
        'RUN curl -H "Authorization: Bearer sk_live_abc123" https://api.acme/x\n'
        "ADD https://ghp_AAAAbbbbCCCCddddEEEEffff1234@raw.acme/f /f\n"
        "RUN pip install --index-url https://$USER:${TOKEN}@pypi.acme/simple y\n"
        'CMD ["curl", "-H", "PRIVATE-TOKEN: glpat-zzzzzzzzzzzzzzzzzzzz", "https://x"]\n'
    )
    report = check_text(text, Settings(), [RULES["SEC001"]])
    history = "readable by anyone who can pull the image; read them from a BuildKit secret"
    assert [(v.line, v.message) for v in report.violations] == [
        (
            2,
            "RUN (line 2) writes credentials in a URL (user:password@) into its command line, "
            f"which is stored in the image history, {history} instead "
            "(RUN --mount=type=secret,id=credentials)",
        ),
        (
            3,
            "RUN (line 3) writes credentials in an HTTP header into its command line, which is "
            f"stored in the image history, {history} instead "
            "(RUN --mount=type=secret,id=credentials)",
        ),
        (
            4,
            "ADD (line 4) writes credentials in a URL (a token as its user name) into its "
            f"command line, which is stored in the image history, {history} instead "
            "(RUN --mount=type=secret,id=credentials)",
        ),
        (
            6,
            "CMD (line 6) writes credentials in an HTTP header into its command line, which is "
            "stored in the image config, readable by anyone who can pull the image; pass them "
            "when the container starts, from the platform's secrets",
        ),
    ]


def test_sec001_takes_no_variable_or_secret_read_at_build_time_for_a_credential() -> None:
    text = (
        "FROM a\n"
        'RUN --mount=type=secret,id=gh curl -H "Authorization: Bearer $(cat /run/secrets/gh)" '
        "https://api.github.com/x\n"
        'RUN curl -H "Authorization: token ${GH_TOKEN}" https://x\n'
        'RUN curl -H "PRIVATE-TOKEN: `cat /run/secrets/t`" https://x\n'
        "RUN pip install --index-url https://$USER:${TOKEN}@pypi.acme/simple y\n"
        "RUN pip install --index-url https://$GIT_USER:ghp_abcdefghijklmnopqrstuvwxyz0123@g/o x\n"
    )
    report = check_text(text, Settings(), [RULES["SEC001"]])
    assert [v.line for v in report.violations] == [6]  # a literal password after a variable user


def test_sec001_reads_a_file_a_copy_heredoc_writes() -> None:
    text = (
        "FROM a\nCOPY <<EOF /etc/pip.conf\n[global]\nindex-url = https://u:pw@host/simple\nEOF\n"
        "COPY <<EOF /etc/motd\nhello\nEOF\nCOPY . .\n"
    )
    report = check_text(text, Settings(), [RULES["SEC001"]])
    assert [(v.line, v.message) for v in report.violations] == [
        (
            2,
            "COPY (line 2) writes credentials in a URL (user:password@) into a file of the image "
            "from a heredoc, readable by anyone who can pull the image; mount the file as a "
            "BuildKit secret instead (RUN --mount=type=secret,id=...,target=...)",
        )
    ]


def test_no_finding_shows_a_credential_written_in_a_dockerfile() -> None:
    """Every message that quotes a command (DF001's fix, DF002, DF003...) masks the credentials
    in it: messages end up in logs, JSON and SARIF uploaded to code scanning."""
    text = (
        "FROM python:3.12\nCOPY . .\n"
        "RUN pip install --index-url https://deploy:s3cr3t@pypi.acme/simple -r r.txt\n"
        "RUN uv pip install --extra-index-url https://__token__:glpat-ABCDEFGHIJKLMNOPQRST@g/x y\n"
        'CMD curl -H "Authorization: Bearer sk_live_abc123" https://api.acme/x\n'
        "RUN pip install --index-url https://deploy:P@ssw0rd@pypi.corp.example/simple flask\n"
        "RUN pip install --index-url https://$GIT_USER:ghp_abcdefghijklmnopqrstuvwxyz0123@g/o x\n"
    )
    report = check_text(text, Settings())
    shown = " ".join(f.message for f in (*report.violations, *report.notes))
    for secret in ("s3cr3t", "glpat-ABCDEFGHIJKLMNOPQRST", "sk_live_abc123", "ssw0rd", "ghp_"):
        assert secret not in shown
    assert "https://deploy:***@pypi.corp.example/simple" in shown
    assert "https://$GIT_USER:***@g/o" in shown
    assert "https://deploy:***@pypi.acme/simple" in shown
    assert "https://__token__:***@g/x" in shown
    assert "Authorization: Bearer ***" in shown
    assert {v.rule for v in report.violations} >= {"DF001", "DF002", "DF003", "SEC001"}


def test_sec001_when_the_whole_build_args_map_is_secret() -> None:
    wire = {SIG_KEY: SECRET_SIG, "value": {"DB_URL": "x", "MODE": "prod"}}
    assert found([image(buildArgs=wire)], "SEC001") == [
        'docker-build:index:Image "app" passes build args that hold a Pulumi secret (buildArgs '
        "is secret; its keys: DB_URL, MODE), but build args are stored in the image history in "
        "plain text; pass the secret in the image's secrets and read it with "
        "RUN --mount=type=secret,id=<name>"
    ]


def test_sec001_in_a_dockerfile() -> None:
    text = (
        "FROM a\nARG NPM_TOKEN\nENV AWS_SECRET_ACCESS_KEY=x\n"
        "ENV PIP_INDEX_URL=https://u:p@h/simple\nARG apiKey=1\n"
    )
    report = check_text(text, Settings(), [RULES["SEC001"]])
    readable = "readable by anyone who can pull the image; read it from a BuildKit secret instead"
    assert [(v.line, v.message) for v in report.violations] == [
        (
            2,
            "ARG NPM_TOKEN (line 2) looks like a secret (TOKEN); build arg values are kept in "
            f"the image history, {readable} (RUN --mount=type=secret,id=npm_token)",
        ),
        (
            3,
            "ENV AWS_SECRET_ACCESS_KEY (line 3) looks like a secret (SECRET); ENV values are "
            f"stored in the image config, {readable} "
            "(RUN --mount=type=secret,id=aws_secret_access_key)",
        ),
        (
            4,
            "ENV PIP_INDEX_URL (line 4) carries credentials in a URL (user:password@); ENV "
            "values are stored in the image config; pass the URL as a BuildKit secret instead "
            "(RUN --mount=type=secret,id=pip_index_url)",
        ),
        (
            5,
            "ARG apiKey (line 5) looks like a secret (KEY); build arg values are kept in the "
            f"image history, {readable} (RUN --mount=type=secret,id=apikey)",
        ),
    ]


def test_sec001_notes_unknown_build_args_and_is_suppressed() -> None:
    assert noted([image(buildArgs=UNKNOWN)], "SEC001") == [
        'docker-build:index:Image "app": buildArgs is unknown at preview'
    ]
    suppressed(image(buildArgs={"GITHUB_TOKEN": "x"}), "SEC001")
    text = "FROM a\n# imagepin: ignore SEC001 -- a public token for the mirror\nARG MIRROR_TOKEN\n"
    assert check_text(text, Settings(), [RULES["SEC001"]]).violations == ()
