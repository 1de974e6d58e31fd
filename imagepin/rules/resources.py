"""Resources as the rules read them: the concrete provider resources, whoever created them.

The engine takes resource dicts `{"type", "name", "inputs", "options"}` (optionally `"urn"`,
`"parent"` and `"suppress"`), or objects with those attributes (a preview recorder's records).
Property names are the engine's (camelCase: `dockerfile.inline`, `buildArgs`); options use the
engine's names too (`retainOnDelete`, `protect`, `parent`). Inputs are normalized: secrets and
values unknown at preview become markers (`imagepin.rules.values`).

Views for the rules: `build_of` (what a `docker-build:index:Image` builds and pushes),
`pushed_refs`, `run_images` (what a container, swarm service or ECS task definition runs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from imagepin.rules.values import UNKNOWN, Secret, Unknown, dig, normalize, reveal

BUILD_IMAGE = "docker-build:index:Image"
BUILD_INDEX = "docker-build:index:Index"
CONTAINER = "docker:index/container:Container"
SERVICE = "docker:index/service:Service"
ECS_TASK = "aws:ecs/taskDefinition:TaskDefinition"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
REGISTRY_IMAGE = "docker:index/registryImage:RegistryImage"
LEGACY_IMAGE = "docker:index/image:Image"
COMPONENT_PREFIX = "imagepin:"
PYTHON_IMAGE = "imagepin:index:PythonImage"
RUN_TYPES = frozenset({CONTAINER, SERVICE, ECS_TASK, REMOTE_IMAGE})
"""Resources that run or pull an image."""
PUSH_TYPES = frozenset({BUILD_IMAGE, BUILD_INDEX, REGISTRY_IMAGE, LEGACY_IMAGE})
"""Resources that may publish an image."""


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    urn: str | None = None
    parent: str | None = None
    """URN (or name) of the parent resource."""
    suppress: Any = None
    """`{"RULE": "reason"}`: given on the record, else a component's `suppress` input."""
    memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """What was derived from the resource once (its parsed Dockerfile), for reuse."""

    @classmethod
    def from_any(cls, item: Resource | Mapping[str, Any] | object) -> Resource:
        """A `Resource` from a dict or from any object with `type`, `name`, `inputs`..."""
        if isinstance(item, Resource):
            return item
        if isinstance(item, Mapping):
            get = item.get
        else:

            def get(key: str, default: Any = None) -> Any:
                return getattr(item, key, default)

        kind, name = get("type"), get("name")
        if not isinstance(kind, str) or not isinstance(name, str):
            raise ValueError(
                f"a resource needs a string 'type' and 'name' (got type={kind!r}, name={name!r}); "
                "pass {'type': ..., 'name': ..., 'inputs': {...}, 'options': {...}}"
            )
        inputs = normalize(get("inputs") or {})
        options = normalize(get("options") or {})
        parent = get("parent") or (options.get("parent") if isinstance(options, dict) else None)
        suppress = get("suppress")
        if suppress is None and isinstance(inputs, dict):
            suppress = inputs.get("suppress")
        return cls(
            type=kind,
            name=name,
            inputs=inputs if isinstance(inputs, dict) else {},
            options=options if isinstance(options, dict) else {},
            urn=get("urn"),
            parent=parent if isinstance(parent, str) and parent else None,
            suppress=normalize(suppress),
        )

    @property
    def label(self) -> str:
        """`docker-build:index:Image "app"`, for messages."""
        return f'{self.type} "{self.name}"'

    @property
    def is_component(self) -> bool:
        return self.type.startswith(COMPONENT_PREFIX)

    @property
    def parent_type(self) -> str | None:
        """The parent's type, read from its URN (`urn:pulumi:<stack>::<project>::<types>::<name>`,
        the last of the `$`-joined types being its own); None when the parent is not a URN."""
        if self.parent is None or not self.parent.startswith("urn:pulumi:"):
            return None
        parts = self.parent.split("::")
        return parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else None

    def get(self, *path: str | int) -> Any:
        return dig(self.inputs, *path)

    @cached_property
    def build(self) -> Build | None:
        """What a `docker-build:index:Image` builds (None for other types); computed once."""
        return _build_of(self)

    @cached_property
    def runs(self) -> RunImages:
        """The images the resource runs or pulls; computed once."""
        return _run_images(self)


@dataclass(frozen=True)
class Build:
    """What a `docker-build:index:Image` builds: its Dockerfile and build context choices."""

    inline: str | Unknown | None
    location: str | Unknown | None
    context: str | Unknown | None
    build_args: Mapping[str, Any] | Unknown
    build_args_secret: bool
    """The whole `buildArgs` map is secret (the SDK marks it so when one value is)."""
    platforms: list[Any] | Unknown | None
    pushes: bool | Unknown
    target: str | Unknown | None


def _text(value: Any) -> str | Unknown | None:
    value = reveal(value)
    return value if isinstance(value, (str, Unknown)) else None


def build_of(resource: Resource) -> Build | None:
    return resource.build


def _build_of(resource: Resource) -> Build | None:
    if resource.type != BUILD_IMAGE:
        return None
    args = resource.get("buildArgs")
    platforms = resource.get("platforms")
    return Build(
        inline=_text(resource.get("dockerfile", "inline")),
        location=_text(resource.get("dockerfile", "location")),
        context=_text(resource.get("context", "location")),
        build_args=args if isinstance(args, (dict, Unknown)) else {},
        build_args_secret=isinstance(resource.inputs.get("buildArgs"), Secret),
        platforms=platforms if isinstance(platforms, (list, Unknown)) else None,
        pushes=pushes(resource),
        target=_text(resource.get("target")),
    )


def _true(value: Any) -> bool | Unknown:
    value = reveal(value)
    return value if isinstance(value, Unknown) else value is True


def pushes(resource: Resource) -> bool | Unknown:
    """Whether the resource publishes an image to a registry (Unknown when that is unknown)."""
    if resource.type == BUILD_IMAGE:
        flags: list[bool | Unknown] = [_true(resource.get("push"))]
        exports = resource.get("exports")
        if isinstance(exports, Unknown):
            flags.append(UNKNOWN)
        for export in exports if isinstance(exports, list) else []:
            export = reveal(export)
            if not isinstance(export, dict) or _true(export.get("disabled")) is True:
                continue
            if reveal(export.get("registry")) is not None:
                push = dig(export, "registry", "push")
                flags.append(True if push is None else _true(push))
            elif reveal(export.get("image")) is not None:
                flags.append(_true(dig(export, "image", "push")))
        if True in flags:
            return True
        return UNKNOWN if UNKNOWN in flags else False
    if resource.type == BUILD_INDEX:
        push = resource.get("push")
        return True if push is None else _true(push)
    if resource.type == REGISTRY_IMAGE:
        return True
    if resource.type == LEGACY_IMAGE:
        skip = resource.get("skipPush")
        return UNKNOWN if isinstance(skip, Unknown) else skip is not True
    return False


def pushed_refs(resource: Resource) -> list[tuple[str, Any]]:
    """(property path, reference) of every reference the resource pushes to."""
    found: list[tuple[str, Any]] = []
    if resource.type == BUILD_IMAGE:
        tags = resource.get("tags")
        items = tags if isinstance(tags, list) else [tags] if tags is not None else []
        found += [(f"tags[{i}]", reveal(t)) for i, t in enumerate(items)]
        exports = resource.get("exports")
        for i, export in enumerate(exports if isinstance(exports, list) else []):
            for kind in ("registry", "image"):
                names = dig(export, kind, "names")
                for j, name in enumerate(names if isinstance(names, list) else []):
                    found.append((f"exports[{i}].{kind}.names[{j}]", reveal(name)))
    elif resource.type == BUILD_INDEX:
        found.append(("tag", resource.get("tag")))
    elif resource.type == REGISTRY_IMAGE:
        found.append(("name", resource.get("name")))
    elif resource.type == LEGACY_IMAGE:
        found.append(("imageName", resource.get("imageName")))
    return [(path, ref) for path, ref in found if ref is not None]


@dataclass(frozen=True)
class RunImage:
    """One image a workload runs (or a RemoteImage pulls) and the health check it declares."""

    image: Any
    path: str
    """Where the image is written: `image`, `containerDefinitions[0].image`..."""
    healthcheck: bool | Unknown | None
    """True: declared; False: absent or disabled; None: not asked for (a pull, a sidecar)."""


@dataclass(frozen=True)
class RunImages:
    images: list[RunImage]
    problem: str | None = None
    """Why some of the resource could not be read (unknown at preview, invalid JSON)."""


def _docker_health(value: Any) -> bool | Unknown:
    value = reveal(value)
    if isinstance(value, Unknown):
        return UNKNOWN
    if not isinstance(value, dict):
        return False
    tests = reveal(value.get("tests"))
    if isinstance(tests, Unknown):
        return UNKNOWN
    return isinstance(tests, list) and bool(tests) and reveal(tests[0]) != "NONE"


def _ecs_health(value: Any) -> bool:
    command = value.get("command") if isinstance(value, dict) else None
    return isinstance(command, list) and bool(command) and command[0] != "NONE"


def run_images(resource: Resource) -> RunImages:
    return resource.runs


def _run_images(resource: Resource) -> RunImages:
    if resource.type == CONTAINER:
        health = _docker_health(resource.get("healthcheck"))
        return RunImages([RunImage(resource.get("image"), "image", health)])
    if resource.type == SERVICE:
        spec = resource.get("taskSpec", "containerSpec")
        if isinstance(spec, Unknown):
            return RunImages([], "taskSpec.containerSpec is unknown at preview")
        image = dig(spec, "image")
        health = _docker_health(dig(spec, "healthcheck"))
        return RunImages([RunImage(image, "taskSpec.containerSpec.image", health)])
    if resource.type == REMOTE_IMAGE:
        return RunImages([RunImage(resource.get("name"), "name", None)])
    if resource.type == ECS_TASK:
        return _ecs_images(resource.inputs.get("containerDefinitions"))
    return RunImages([])


def _ecs_images(raw: Any) -> RunImages:
    secret = isinstance(raw, Secret)
    raw = reveal(raw)
    if isinstance(raw, Unknown):
        return RunImages([], "containerDefinitions is unknown at preview")
    try:
        definitions = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        what = "a secret that is" if secret else "a string"
        return RunImages([], f"containerDefinitions is {what} not valid JSON ({exc})")
    except RecursionError:
        return RunImages([], "containerDefinitions is nested too deeply to read")
    if not isinstance(definitions, list):
        return RunImages([], "containerDefinitions is not a JSON list of container definitions")
    found = []
    for i, definition in enumerate(definitions):
        if not isinstance(definition, dict):
            continue
        name = definition.get("name")
        path = f"containerDefinitions[{i}]" + (f" ({name})" if isinstance(name, str) else "")
        health: bool | None = _ecs_health(definition.get("healthCheck"))
        if definition.get("essential") is False:
            health = None  # a sidecar that may stop: its health does not gate the task
        found.append(RunImage(normalize(definition.get("image")), f"{path}.image", health))
    return RunImages(found)
