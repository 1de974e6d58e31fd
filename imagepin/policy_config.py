"""`policies/config/<stack>.json`: the policy pack's config for one stack, as `imagepin check
--stack` reads it.

    policy = PolicyConfig.load(root, "prod")     # validated: errors name the file and the key
    enabled, per_rule = policy.rules(search=[root], today=date.today())
    policy.levels                                # {"PIN001": "mandatory", ...}

The Pulumi engine checks this file against each policy's config schema
(`imagepin.rules.settings_schema.CONFIG`) before the pack sees it; `check --stack` reads it
itself, so it checks the same here, with the same schema: a JSON object whose keys are rule IDs
or `all`, each value an enforcement level or a mapping of `enforcementLevel` and the rule's
settings, each setting of its schema's type. Mistakes are `ConfigError`s (exit 2) naming the
file, the key, what is wrong and the fix.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, StrictBool, StrictStr, ValidationError, create_model

from imagepin.config_errors import did_you_mean, kind_of, path_of, short_repr
from imagepin.config_files import display_path
from imagepin.errors import ConfigError
from imagepin.rules import RULES, Settings
from imagepin.rules.settings_schema import CONFIG, LEVELS, Level, stack_levels, stack_policy

_TYPES: dict[str, Any] = {"string": StrictStr, "boolean": StrictBool}


def _python_type(schema: Mapping[str, Any]) -> Any:
    """The pydantic type of a config value's JSON schema (strings, booleans, lists of those)."""
    if schema["type"] == "array":
        return list.__class_getitem__(_python_type(schema["items"]))
    return _TYPES[schema["type"]]


_STRICT = ConfigDict(extra="forbid")
_LEVEL: dict[str, Any] = {"enforcementLevel": (Level, None)}
_SETTINGS: dict[str, Any] = {key: (_python_type(schema), None) for key, schema in CONFIG.values()}
# one policy's mapping: the engine's enforcementLevel and every setting
_POLICY = create_model("PolicyEntry", __config__=_STRICT, **_LEVEL, **_SETTINGS)
_ALL = create_model("AllPolicies", __config__=_STRICT, **_LEVEL)  # `all`: the level only
_EXAMPLES = {
    "enforcementLevel": '"mandatory"',
    "lockFile": '"images.lock"',
    "allowedRegistries": '["docker.io", "*.dkr.ecr.*.amazonaws.com"]',
    "requiredPlatforms": '["linux/amd64", "linux/arm64"]',
    "allowPrerelease": "true",
}
_EXPECTED = {"string_type": "a string", "bool_type": "true or false", "list_type": "a list"}
_LEVELS = ", ".join(LEVELS)


@dataclass(frozen=True)
class PolicyConfig:
    """A stack's policy pack config, validated; `shown` is the file as messages name it."""

    document: Mapping[str, Any]
    shown: str

    @classmethod
    def load(cls, root: Path, stack: str) -> PolicyConfig:
        """`root/policies/config/<stack>.json`; no file is an empty config (the pack's defaults)."""
        path = root / "policies" / "config" / f"{stack}.json"
        shown = display_path(path, root)
        if not path.is_file():
            return cls({}, shown)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise ConfigError(f"{shown}: not valid JSON ({exc}); fix the policy config") from None
        except OSError as exc:
            raise ConfigError(f"{shown}: cannot read the policy config: {exc.strerror}") from None
        return cls.parse(document, shown)

    @classmethod
    def parse(cls, document: object, shown: str) -> PolicyConfig:
        """Check `document` (the file's JSON) as the engine would; `shown` names the file."""
        if not isinstance(document, dict):
            raise ConfigError(
                f'{shown}: expected a JSON object of rule IDs (or "all") to enforcement levels '
                f"or settings, got {kind_of(document)}; write e.g. "
                '{"all": "advisory", "PIN001": {"enforcementLevel": "mandatory"}}'
            )
        for key, value in document.items():
            if key != "all" and key not in RULES:
                raise ConfigError(
                    f"{shown}: {key!r} is not a rule ID (a typo configures nothing)"
                    f"{did_you_mean(key, list(RULES))}; `imagepin rules` lists them"
                )
            _check_entry(key, value, shown)
        return cls(document, shown)

    @property
    def levels(self) -> dict[str, str]:
        """Each rule's enforcement level the file sets (directly or through `all`); its IDs and
        levels were checked when it was read."""
        return stack_levels(self.document)

    def rules(
        self, *, search: Sequence[Path] = (), today: date | None = None, lock_given: bool = False
    ) -> tuple[list[str], dict[str, Settings]]:
        """(rules to run, settings per rule); `lock_given`: the command line names the lock,
        so each `lockFile` is left unread (it would be replaced anyway)."""
        document = self.document
        if lock_given:
            document = {k: _without_lock(v) for k, v in document.items()}
        try:
            return stack_policy(document, search=search, today=today)
        except ConfigError as exc:
            raise ConfigError(f"{self.shown}: {exc}") from None


def _without_lock(entry: Any) -> Any:
    if not isinstance(entry, Mapping):
        return entry
    return {k: v for k, v in entry.items() if k != "lockFile"}


def _check_entry(key: str, value: object, shown: str) -> None:
    if isinstance(value, str):
        if value not in LEVELS:
            raise ConfigError(f"{shown}: {key}: {_not_a_level(value)}")
        return
    if not isinstance(value, dict):
        settings = "" if key == "all" else " and the rule's settings"
        raise ConfigError(
            f"{shown}: {key}: expected an enforcement level ({_LEVELS}) or a mapping of "
            f'enforcementLevel{settings}, got {kind_of(value)}; write e.g. "{key}": "mandatory"'
            + ("" if key == "all" else f' or "{key}": {{"enforcementLevel": "mandatory"}}')
        )
    model = _ALL if key == "all" else _POLICY
    try:
        model.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc, what = (key, *error["loc"]), error["type"]
        name = str(error["loc"][0])
        given = error.get("input")
        if what == "extra_forbidden":
            known = sorted(model.model_fields)
            hint = did_you_mean(name, known) or f"; the keys here are {', '.join(known)}"
            detail = f"unknown key{hint}"
            if key == "all":
                detail = "unknown key; `all` sets only enforcementLevel (set settings per rule)"
        elif what == "literal_error":
            detail = _not_a_level(given)
        else:
            expected = _EXPECTED.get(what, error["msg"].lower())
            detail = f"expected {expected}, got {kind_of(given)}"
            if name in _EXAMPLES:
                detail += f'; for example "{name}": {_EXAMPLES[name]}'

        raise ConfigError(f"{shown}: {path_of(loc)}: {detail}") from None


def _not_a_level(value: object) -> str:
    hint = did_you_mean(value, LEVELS) if isinstance(value, str) and len(value) < 100 else ""
    return f"{short_repr(value)} is not an enforcement level; use one of {_LEVELS}{hint}"
