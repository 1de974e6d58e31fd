"""The mock-monitor recorder behind `imagepin preview`, and the provider-schema check."""

from __future__ import annotations

import gc

import pulumi
import pulumi_docker as docker
import pulumi_docker_build as db
import pytest

from components.preview import SECRET, UNKNOWN, Secret, record

from provider_schema import errors


def image_program(platforms: list[str] | None = None, **extra: object) -> None:
    db.Image(
        "app",
        push=True,
        tags=["127.0.0.1:5000/app:1"],
        dockerfile=db.DockerfileArgs(inline="FROM scratch\n"),
        context=db.BuildContextArgs(location="."),
        platforms=platforms or ["linux/amd64", "linux/arm64"],
        registries=[
            db.RegistryArgs(
                address="127.0.0.1:5000", username="u", password=pulumi.Output.secret("hunter2")
            )
        ],
        opts=pulumi.ResourceOptions(retain_on_delete=True),
        **extra,  # type: ignore[arg-type]
    )


def test_records_engine_names_options_secrets_and_unknowns() -> None:
    def program() -> None:
        image_program()
        pulumi.export("password", pulumi.Output.secret("s3cret"))
        pulumi.export("plain", "hello")

    rec = record(program, preview=True)
    (image,) = rec.of_type("docker-build:index:Image")
    assert image.name == "app"
    assert image.inputs["dockerfile"] == {"inline": "FROM scratch\n"}
    assert image.inputs["buildOnPreview"] is True
    assert image.options["retainOnDelete"] is True
    assert isinstance(image.inputs["registries"], Secret)
    shown = rec.display()
    assert shown["resources"][0]["inputs"]["registries"] == SECRET
    assert "hunter2" not in str(shown)
    assert shown["outputs"] == {"password": SECRET, "plain": "hello"}


def test_outputs_known_only_after_create_are_unknown_in_preview() -> None:
    def program() -> None:
        image = db.Image(
            "app",
            push=False,
            tags=["app:1"],
            dockerfile=db.DockerfileArgs(inline="FROM scratch\n"),
            context=db.BuildContextArgs(location="."),
        )
        pulumi.export("ref", image.ref)

    assert record(program, preview=True).display()["outputs"] == {"ref": UNKNOWN}
    ref = record(program, preview=False).outputs["ref"]
    assert ref.startswith("app:1@sha256:") and len(ref) == len("app:1@sha256:") + 64


def test_valid_resources_pass_the_provider_schemas() -> None:
    def program() -> None:
        image_program(platforms=["linux/amd64", "linux/arm"])
        docker.Container(
            "c",
            image="127.0.0.1:5000/app@sha256:" + "a" * 64,
            restart="unless-stopped",
            memory=128,
            ports=[docker.ContainerPortArgs(internal=8000, external=8080)],
            healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", "true"]),
        )

    rec = record(program)
    assert [errors(r) for r in rec.resources] == [[], []]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda i: i.update(bogus=1), "docker-build:index:Image 'app'.bogus: unknown property"),
        (lambda i: i.update(push="yes"), "'app'.push: expected boolean, got 'yes'"),
        (
            lambda i: i.update(platforms=["linux/arm/v7"]),
            "'app'.platforms[0]: 'linux/arm/v7' is not one of",
        ),
        (lambda i: i.pop("push"), "'app'.push: required input missing"),
        (
            lambda i: i.update(dockerfile={"inlined": "FROM x"}),
            "'app'.dockerfile.inlined: unknown property",
        ),
    ],
)
def test_schema_check_catches_what_the_provider_would_reject(mutate, expected) -> None:
    (image,) = record(image_program).of_type("docker-build:index:Image")
    mutate(image.inputs)
    problems = errors(image)
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_paused_while_the_program_runs_then_left_as_found(enabled: bool) -> None:
    seen: list[bool] = []

    def program() -> None:
        seen.append(gc.isenabled())
        image_program()

    (gc.enable if enabled else gc.disable)()
    try:
        record(program)
        assert seen == [False]
        assert gc.isenabled() is enabled
        with pytest.raises(RuntimeError, match="boom"):
            record(lambda: (_ for _ in ()).throw(RuntimeError("boom")))
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
