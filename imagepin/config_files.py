"""Finding and reading Pulumi stack files: `<stackConfigDir>/Pulumi.<stack>.yaml`.

A stack file is YAML with a top-level `config:` mapping of namespaced keys (`imagepin:images`,
`aws:region`). `read_stack_file` returns the `imagepin:` keys without their prefix; YAML syntax
errors and repeated keys are reported with their line, bare keys with the namespaced spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from imagepin.config_errors import did_you_mean, kind_of
from imagepin.errors import ConfigError

NAMESPACE = "imagepin"
"""The Pulumi project name, so the namespace of this library's stack config keys."""


def display_path(path: Path, root: Path) -> str:
    """`stacks/Pulumi.dev.yaml` when under `root`, else the path as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class StackFiles:
    """The stack files of one project (`stackConfigDir` from Pulumi.yaml, default the root)."""

    root: Path
    folder: Path

    def all(self) -> list[Path]:
        return sorted(self.folder.glob("Pulumi.*.yaml"))

    def names(self) -> list[str]:
        return [p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in self.all()]

    def resolve(self, name_or_path: str | Path) -> tuple[Path, str]:
        """(path, stack name) for a stack name (`dev`) or a stack file path."""
        text = str(name_or_path)
        if isinstance(name_or_path, Path) or "/" in text or text.endswith((".yaml", ".yml")):
            path = Path(text)
            if not path.is_absolute() and not path.exists():
                path = self.root / path
            name = path.name.removeprefix("Pulumi.").rsplit(".", 1)[0]
        else:
            path, name = self.folder / f"Pulumi.{text}.yaml", text
        if not path.is_file():
            names = self.names()
            hint = did_you_mean(name, names) or (
                f"; the stacks here are {', '.join(names)}" if names else ""
            )
            raise ConfigError(
                f"{display_path(path, self.root)}: no such stack file{hint} (create it, or pass "
                "--stack with an existing stack)"
            )
        return path, name


def program_file(root: Path) -> Path:
    """The project's Pulumi program, `__main__.py` beside `Pulumi.yaml` (else a `ConfigError`)."""
    program = root / "__main__.py"
    if not program.is_file() or not (root / "Pulumi.yaml").is_file():
        raise ConfigError(
            f"{root}: no Pulumi program here (Pulumi.yaml and __main__.py); run from the project "
            "root or pass --root"
        )
    return program


def stack_files(root: Path) -> StackFiles:
    project = root / "Pulumi.yaml"
    folder = root
    if project.is_file():
        data = _load(project.read_text(encoding="utf-8"), display_path(project, root))
        if isinstance(data, dict) and isinstance(data.get("stackConfigDir"), str):
            folder = root / data["stackConfigDir"]
    return StackFiles(root, folder)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key repeated in one mapping (YAML says keys are unique)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise ConfigError(
                f"line {line}: {kind_of(key)} is used as a key; keys are names such as "
                "imagepin:images (quote it if it is meant as text)"
            )
        if key in seen:
            raise ConfigError(
                f"line {line}: key {key!r} repeats the one on line {seen[key]}; "
                "keep one of them (YAML keeps only the last, silently)"
            )
        seen[key] = line
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node))


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


MAX_NODES = 100_000
"""Most values a YAML document may hold, an alias counting as a copy of its anchor: more is an
alias bomb ("billion laughs") or a runaway generator, not configuration."""


def _expanded(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many nodes `node` stands for once every alias is expanded (memoized per node)."""
    if id(node) not in sizes:
        sizes[id(node)] = 1  # a node that contains itself counts once
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        sizes[id(node)] = 1 + sum(_expanded(child, sizes) for child in children)
    return sizes[id(node)]


def _load_document(text: str) -> Any:
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        sizes: dict[int, int] = {}
        if _expanded(node, sizes) > MAX_NODES:
            raise ConfigError(
                f"holds more than {MAX_NODES} values; Pulumi config has no use for that many"
                if len(sizes) > MAX_NODES
                else f"its &anchors and *aliases expand to more than {MAX_NODES} values; "
                "write the values out (Pulumi config has no use for that many)"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _load(text: str, shown: str) -> Any:
    try:
        return _load_document(text)
    except ConfigError as exc:
        raise ConfigError(f"{shown}: {exc}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(
            f"{shown}: {line}YAML syntax error: {problem}; check the indentation and quoting "
            "there (quote values that contain ': ' or start with a special character)"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{shown}: not valid YAML: {exc}") from None
    except RecursionError:  # the YAML composer recurses once per nested list or mapping
        raise ConfigError(
            f"{shown}: lists or mappings nested too deeply to be Pulumi config; check the "
            "brackets and indentation"
        ) from None


def read_stack_file(path: Path, shown: str) -> dict[str, Any]:
    """The `imagepin:` keys of a stack file, without the prefix (`images`, `baseMirror`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{shown}: cannot read the stack file: {exc}") from None
    doc = _load(text, shown)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{shown}: expected a mapping with a config: key, got {kind_of(doc)}")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(
            f"{shown}: config: expected a mapping of namespaced keys such as "
            f"{NAMESPACE}:images, got {kind_of(config)}"
        )
    ours: dict[str, Any] = {}
    for key, value in config.items():
        namespace, colon, name = str(key).partition(":")
        if not colon:
            raise ConfigError(
                f"{shown}: config.{key}: Pulumi config keys carry a namespace; "
                f"write {NAMESPACE}:{key}"
            )
        if namespace == NAMESPACE:
            ours[name] = value
    return ours
