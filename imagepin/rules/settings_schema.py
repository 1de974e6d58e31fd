"""The `Settings` a rule reads, as the policy pack exposes them: camelCase config keys with a
JSON schema each, so `pulumi preview --policy-pack-config` can set them per rule and per stack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args

from imagepin.errors import ConfigError
from imagepin.lock import DEFAULT_PATH, Lock
from imagepin.rules.base import Settings

CONFIG: dict[str, tuple[str, dict[str, Any]]] = {
    "lock": (
        "lockFile",
        {
            "type": "string",
            "description": "Path of images.lock (relative to the working directory, else to "
            "the repository holding the policy pack). Unset: images.lock there when it exists, "
            "else no lock (PIN002 has nothing to compare with).",
        },
    ),
    "allowed_registries": (
        "allowedRegistries",
        {
            "type": "array",
            "items": {"type": "string"},
            "description": "Registries images may be pulled from or pushed to: hosts "
            "(docker.io, 127.0.0.1:5000), host patterns (*.dkr.ecr.*.amazonaws.com) or "
            "repository prefixes (ghcr.io/acme). Empty: any registry.",
        },
    ),
    "required_platforms": (
        "requiredPlatforms",
        {
            "type": "array",
            "items": {"type": "string"},
            "description": "Platforms every pushed image must be built for "
            "(linux/amd64, linux/arm64).",
        },
    ),
    "allow_prerelease": (
        "allowPrerelease",
        {
            "type": "boolean",
            "description": "Allow pre-release Pythons (3.15.0a8, 3.15-rc) in this stack.",
            "default": False,
        },
    ),
}
"""Settings field -> (policy config key, JSON schema of its value)."""


def settings_from_config(
    config: Mapping[str, Any],
    *,
    search: Sequence[Path] = (),
    today: date | None = None,
    reads: Sequence[str] | None = None,
) -> Settings:
    """`Settings` from one policy's config (camelCase keys, as `CONFIG` names them).

    A relative `lockFile` is looked up in the working directory, then under each `search` folder;
    a lock file that is named but missing is a `ConfigError`; unset, `images.lock` is read from
    there when it exists. The schema gives `lockFile` no default on purpose: the engine fills
    schema defaults in, which would turn "no lock here" into "the named lock is missing". Unknown
    keys, empty registries and platforms that are not `os/arch[/variant]` are `ConfigError`s (the
    engine checks only the types: a typo would otherwise be ignored, or fail every image).
    `reads` (the `Settings` fields of the policy's rule) also makes a key that the policy does
    not read an error (`allowedRegistries` set on PIN001 does nothing).
    """
    _validate(config, None if reads is None else {CONFIG[field][0] for field in reads})
    lock = None
    name = config.get("lockFile")
    candidates = [Path(name)] if isinstance(name, str) and name else []
    if candidates and not candidates[0].is_absolute():
        candidates += [folder / candidates[0] for folder in search]
    found = next((p for p in candidates if p.is_file()), None)
    if found is not None:
        lock = Lock.load(found)
    elif candidates:
        raise ConfigError(
            f"lockFile {name!r} was not found (looked in {', '.join(map(str, candidates))}); "
            "set lockFile to the path of images.lock"
        )
    else:
        default = next(
            (f / DEFAULT_PATH for f in [Path(), *search] if (f / DEFAULT_PATH).is_file()), None
        )
        lock = Lock.load(default) if default is not None else None
    return Settings(
        today=today or date.today(),
        lock=lock,
        allowed_registries=_strings(config.get("allowedRegistries")),
        required_platforms=_strings(config.get("requiredPlatforms")),
        allow_prerelease=config.get("allowPrerelease") is True,
        base_dir=search[0] if search else None,
    )


_KEYS = {key for key, _ in CONFIG.values()}
# fmt: off
_OS = {  # Go's GOOS values, as OCI platforms name them
    "aix", "android", "darwin", "dragonfly", "freebsd", "illumos", "ios", "js", "linux",
    "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows",
}
_ARCH = {  # Go's GOARCH values
    "386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle", "ppc64",
    "ppc64le", "riscv64", "s390x", "wasm",
}
# fmt: on


def _validate(config: Mapping[str, Any], reads: set[str] | None) -> None:
    """Config mistakes the engine lets through, named with the fix."""
    for key in config:
        if key not in _KEYS:
            raise ConfigError(
                f"policy config key {key!r} is not one imagepin reads; use "
                f"{', '.join(sorted(_KEYS))} (and enforcementLevel)"
            )
        if reads is not None and key not in reads:
            raise ConfigError(
                f"policy config key {key!r} does nothing on this policy (it reads "
                f"{', '.join(sorted(reads)) or 'only enforcementLevel'}); set it on the policy of "
                "the rule that uses it (docs/RULES.md lists each rule's keys)"
            )
    for i, entry in enumerate(_strings(config.get("allowedRegistries"))):
        if not entry.strip().strip("/"):
            raise ConfigError(
                f"allowedRegistries[{i}] is empty, which allows no registry; remove it, or "
                "write a host (docker.io), a host pattern or a repository prefix (ghcr.io/acme)"
            )
    for i, platform in enumerate(_strings(config.get("requiredPlatforms"))):
        parts = platform.strip().lower().split("/")
        if not (2 <= len(parts) <= 3 and parts[0] in _OS and parts[1] in _ARCH):
            raise ConfigError(
                f"requiredPlatforms[{i}] {platform!r} is not a platform as os/arch[/variant] "
                "(linux/amd64, linux/arm64, linux/arm/v7, windows/amd64); fix it"
            )
    if "allowPrerelease" in config and not isinstance(config["allowPrerelease"], bool):
        raise ConfigError("allowPrerelease must be true or false")


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return ()


Level = Literal["advisory", "mandatory", "remediate", "disabled"]
"""A policy's enforcement level, as the Pulumi engine takes it."""
LEVELS: tuple[str, ...] = get_args(Level)


def stack_levels(document: Mapping[str, Any]) -> dict[str, str]:
    """Each rule's enforcement level as a policy pack config file sets it (directly or through
    `all`); rules it leaves at their default are absent. A key that is no rule ID and a level
    that is no level are `ConfigError`s (a typo would configure nothing)."""
    from imagepin.rules import RULES  # the registry imports the rules, which import this module

    for key in document:
        if key != "all" and key not in RULES:
            raise ConfigError(
                f"{key!r} is not a rule ID (a typo configures nothing); `imagepin rules` lists them"
            )
    every = document.get("all")
    every_level = every if isinstance(every, str) else _level_of(every)
    levels: dict[str, str] = {}
    for rule_id in RULES:
        entry = document.get(rule_id)
        level = entry if isinstance(entry, str) else _level_of(entry) or every_level
        if level is None:
            continue
        if level not in LEVELS:
            raise ConfigError(
                f"{rule_id}: enforcementLevel {level!r} is not one of {', '.join(LEVELS)}"
            )
        levels[rule_id] = level
    return levels


def _level_of(entry: Any) -> Any:
    return entry.get("enforcementLevel") if isinstance(entry, Mapping) else None


def stack_policy(
    document: Mapping[str, Any], *, search: Sequence[Path] = (), today: date | None = None
) -> tuple[list[str], dict[str, Settings]]:
    """(rules to run, settings per rule) from a policy pack config file's content.

    The file is the one `pulumi preview --policy-pack-config` reads
    (`{"all": "advisory", "REG001": {"enforcementLevel": ..., "allowedRegistries": [...]}}`);
    a rule whose level is `disabled` is left out (`stack_levels` gives each rule's level).
    """
    from imagepin.rules import RULES  # the registry imports the rules, which import this module

    levels = stack_levels(document)
    enabled: list[str] = []
    per_rule: dict[str, Settings] = {}
    for rule_id in RULES:
        if levels.get(rule_id) == "disabled":
            continue
        enabled.append(rule_id)
        entry = document.get(rule_id)
        config = dict(entry) if isinstance(entry, Mapping) else {}
        config.pop("enforcementLevel", None)
        try:
            per_rule[rule_id] = settings_from_config(
                config, search=search, today=today, reads=RULES[rule_id].config
            )
        except ConfigError as exc:
            raise ConfigError(f"{rule_id}: {exc}") from None
    return enabled, per_rule
