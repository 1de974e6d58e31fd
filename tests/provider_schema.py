"""Validate recorded resource inputs against a Pulumi provider schema (tests/schemas/).

No provider plugin runs here, so this stands in for the provider's Check: an unknown property, a
wrong type, a value outside an enum or a missing required input is an error, as it would be at
`pulumi up`. Secrets and unknowns (components.preview markers) are checked by what they wrap.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from components.preview import RecordedResource, Secret, Unknown

SCHEMAS = Path(__file__).resolve().parent / "schemas"
FILES = {
    "docker-build": "docker-build.provider-schema.json",
    "docker": "docker.provider-schema.json",
}


@cache
def load(package: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / FILES[package]).read_text())  # type: ignore[no-any-return]


def errors(resource: RecordedResource) -> list[str]:
    """Every way the resource's inputs break its provider's schema ([] when valid)."""
    package = resource.type.split(":", 1)[0]
    if package not in FILES:
        return []  # no schema for this package here (aws, our components)
    schema = load(package)
    spec = schema["resources"].get(resource.type)
    if spec is None:
        return [f"{resource.type}: no such resource in the {package} schema"]
    where = f"{resource.type} {resource.name!r}"
    return _object(
        schema,
        spec.get("inputProperties", {}),
        spec.get("requiredInputs", []),
        resource.inputs,
        where,
    )


def assert_valid(resource: RecordedResource) -> None:
    problems = errors(resource)
    assert not problems, "\n".join(problems)


def _object(
    schema: dict[str, Any], props: dict[str, Any], required: list[str], value: Any, where: str
) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {type(value).__name__}"]
    out = [f"{where}.{name}: required input missing" for name in required if name not in value]
    for key, item in value.items():
        if key.startswith("__"):
            continue
        if key not in props:
            out.append(f"{where}.{key}: unknown property (known: {', '.join(sorted(props))})")
            continue
        out += _value(schema, props[key], item, f"{where}.{key}")
    return out


def _value(schema: dict[str, Any], spec: dict[str, Any], value: Any, where: str) -> list[str]:
    if isinstance(value, Secret):
        return _value(schema, spec, value.value, where)
    if isinstance(value, Unknown) or value is None:
        return []
    if "oneOf" in spec:
        tries = [_value(schema, option, value, where) for option in spec["oneOf"]]
        return [] if any(not t for t in tries) else tries[0]
    ref = spec.get("$ref")
    if ref is not None:
        return _ref(schema, ref, value, where)
    kind = spec.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: (
            (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, float) and v.is_integer())
        ),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    }
    if kind in checks:
        return [] if checks[kind](value) else [f"{where}: expected {kind}, got {value!r}"]
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array, got {value!r}"]
        return [
            e
            for i, v in enumerate(value)
            for e in _value(schema, spec["items"], v, f"{where}[{i}]")
        ]
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected a map, got {value!r}"]
        inner = spec.get("additionalProperties", {})
        return [e for k, v in value.items() for e in _value(schema, inner, v, f"{where}.{k}")]
    return []


def _ref(schema: dict[str, Any], ref: str, value: Any, where: str) -> list[str]:
    if ref.startswith("pulumi.json#/"):
        return []  # Any, Asset, Archive, Json
    token = ref.split("#/types/", 1)[-1]
    spec = schema["types"].get(token)
    if spec is None:
        return []  # a type from another package's schema
    if "enum" in spec:
        allowed = [e["value"] for e in spec["enum"]]
        return [] if value in allowed else [f"{where}: {value!r} is not one of {allowed}"]
    return _object(schema, spec.get("properties", {}), spec.get("required", []), value, where)
