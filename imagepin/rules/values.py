"""Values as rules see them: plain data, with markers for secrets and for values not known yet.

Resource inputs reach the rules from three places, each with its own spelling of "secret" and
"unknown": the Pulumi wire format (`{"4dabf18193072939515e22adb298388d":
"1b47061264138c4ac30d75fd1eb44270", "value": ...}` and the unknown sentinel strings) as a policy
pack or a recorded JSON file carries it, recorders that mark them with their own `Secret` /
`Unknown` objects, and our own markers. `normalize` turns all of them into `Secret` and `UNKNOWN`,
so a rule never mistakes an unknown for a value or a secret for plain text.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN_SENTINELS: Final = frozenset(
    {
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",  # string
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
    }
)
"""What Pulumi sends for a value that is only known after deployment (sdk/go/common/resource)."""


class Unknown:
    """A value only known after deployment (an output of another resource, at preview)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()


@dataclass(frozen=True, slots=True)
class Secret:
    """A value the program marked secret. `repr` never shows it."""

    value: Any

    def __repr__(self) -> str:
        return "Secret([secret])"


def _foreign_marker(value: object) -> Secret | Unknown | None:
    """Markers of other recorders, recognized by shape: a `Secret` with `.value`, an `Unknown`."""
    name = type(value).__name__
    if name == "Secret" and hasattr(value, "value"):
        return Secret(normalize(value.value))
    if name == "Unknown":
        return UNKNOWN
    return None


def normalize(value: Any) -> Any:
    """A plain copy of `value` with every secret as `Secret` and every unknown as `UNKNOWN`."""
    if value is UNKNOWN or isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, Mapping):
        if value.get(SIG_KEY) == SECRET_SIG:
            return Secret(normalize(value.get("value")))
        return {str(k): normalize(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [normalize(v) for v in value]
    marker = _foreign_marker(value)
    return value if marker is None else marker


def reveal(value: Any) -> Any:
    """`value` with secrets unwrapped (unknowns stay `UNKNOWN`); for reading, never for output."""
    while isinstance(value, Secret):
        value = value.value
    return value


def secret_texts(value: Any) -> set[str]:
    """Every string held in a secret within `value` (for a secret JSON text, also the strings in
    it), for `reveals`."""
    found: set[str] = set()
    _collect(value, False, found)
    return found


def _collect(value: Any, inside: bool, found: set[str]) -> None:
    kind = type(value)
    if kind is str:
        if inside and value.strip():
            found.add(value.strip())
            if value.lstrip()[:1] in ("[", "{"):  # a JSON document (ECS container definitions)
                with contextlib.suppress(ValueError, RecursionError):  # not JSON, or too deep
                    _collect(json.loads(value), True, found)
    elif kind is dict:
        for item in value.values():
            _collect(item, inside, found)
    elif kind is list:
        for item in value:
            _collect(item, inside, found)
    elif kind is Secret:
        _collect(value.value, True, found)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, inside, found)


def reveals(text: str, secrets: set[str]) -> bool:
    """Whether `text` shows one of `secrets`, or a part a message could quote on its own: a
    reference's host, path segments or tag (`ghcr.io/acme/app:1` -> `acme`), in any case.

    A secret shorter than 4 characters counts as a whole word only, and so do none of its parts
    that short; a false alarm only withholds a message's details."""
    lowered = text.lower()
    for secret in secrets:
        whole = secret.strip().lower()
        # a reference's parts; text with spaces (a Dockerfile, a command) only as a whole
        spaced = any(c.isspace() for c in whole)
        parts = set() if spaced else {p for p in re.split(r"[/@:]+", whole) if len(p) >= 4}
        if len(whole) >= 4:
            parts.add(whole)
        elif re.search(rf"(?<![\w.-]){re.escape(whole)}(?![\w.-])", lowered):
            return True
        if any(part in lowered for part in parts):
            return True
    return False


def is_secret(value: Any) -> bool:
    return isinstance(value, Secret)


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def dig(value: Any, *path: str | int) -> Any:
    """`value[path[0]][path[1]]...`, secrets unwrapped on the way; None when a step is missing,
    `UNKNOWN` as soon as a step is unknown."""
    for step in path:
        if type(value) is dict and type(step) is str:  # plain inputs: the common case
            value = value.get(step)
            continue
        value = reveal(value)
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
            value = value[step]
        elif isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
    return reveal(value)


def contains_unknown(value: Any) -> bool:
    """True when `value` is unknown or holds an unknown anywhere inside."""
    value = reveal(value)
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False
