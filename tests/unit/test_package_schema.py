"""The package schema the provider host infers for other Pulumi languages (`pulumi package add`)."""

from __future__ import annotations

import json

import yaml
from pulumi.provider.experimental.component import ComponentProvider

from components import ContainerService, EcrRepository, LocalRegistry, PythonImage

from helpers import ROOT


def schema() -> dict:
    provider = ComponentProvider(
        [PythonImage, ContainerService, LocalRegistry, EcrRepository], "imagepin", version="0.1.0"
    )
    return json.loads(provider.schema)


def test_plugin_file_names_the_python_runtime() -> None:
    assert yaml.safe_load((ROOT / "components" / "PulumiPlugin.yaml").read_text()) == {
        "runtime": "python"
    }


def test_every_component_is_in_the_schema_with_its_token() -> None:
    resources = schema()["resources"]
    assert sorted(resources) == [
        "imagepin:index:ContainerService",
        "imagepin:index:EcrRepository",
        "imagepin:index:LocalRegistry",
        "imagepin:index:PythonImage",
    ]
    assert all(r["isComponent"] for r in resources.values())


def test_python_image_inputs_and_outputs() -> None:
    image = schema()["resources"]["imagepin:index:PythonImage"]
    assert sorted(image["requiredInputs"]) == ["app", "command", "python", "repository"]
    inputs = image["inputProperties"]
    assert {"platforms", "layout", "buildPackages", "registry", "buildSecrets", "cache"} <= set(
        inputs
    )
    assert inputs["platforms"]["type"] == "array"
    assert inputs["registry"]["$ref"] == "#/types/imagepin:index:RegistryArgs"
    assert sorted(image["properties"]) == [
        "base",
        "digest",
        "dockerfile",
        "platforms",
        "ref",
        "tags",
    ]
    assert "(the index for several platforms)" in image["properties"]["ref"]["description"]


def test_container_service_inputs_and_outputs() -> None:
    service = schema()["resources"]["imagepin:index:ContainerService"]
    assert service["requiredInputs"] == ["image"]
    assert {"image", "port", "env", "secretEnv", "healthcheck", "docker", "ecs"} <= set(
        service["inputProperties"]
    )
    assert sorted(service["properties"]) == ["backend", "endpoint", "image", "serviceName"]
    types = schema()["types"]
    assert sorted(types["imagepin:index:EcsOptions"]["required"]) == ["cluster", "subnets"]
