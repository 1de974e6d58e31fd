"""Turn pydantic validation errors into one message a person can act on.

Every message reads `<where>: <key path>: <what is wrong>; <what to do>`, for example
`stacks/Pulumi.prod.yaml: imagepin:images[0].variant: 'slimm' is not one of full, slim, alpine,
windowsservercore; did you mean 'slim'?`. Key paths use the spelling the file uses (camelCase in
stack files). Validators raise `FieldError` to point below the field pydantic blames (a
model-level check about one field), or a plain `ValueError` for the field they validate.
"""

from __future__ import annotations

import difflib
import reprlib
import types
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from imagepin.errors import ConfigError

Loc = tuple[str | int, ...]


class FieldError(ConfigError):
    """A value is wrong; `loc` is its key path below the model that raised it (snake_case)."""

    def __init__(self, loc: Loc, detail: str) -> None:
        super().__init__(f"{path_of(loc)}: {detail}")
        self.loc = loc
        self.detail = detail


def path_of(loc: Sequence[str | int], prefix: str = "") -> str:
    """`('images', 0, 'variant')` -> `images[0].variant`; `prefix` goes in front as written."""
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text and not text.endswith(":") else part
    return text


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 80
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxlevel = 2
MAX_MESSAGE = 800
"""Longest message `explain` returns: a huge value (a stack file of MBs, a YAML alias bomb)
is quoted in part, never in full."""


def short_repr(value: object) -> str:
    """`repr(value)` cut to a readable length (long strings and big lists are elided)."""
    return _REPR.repr(value)


def _bounded(text: str) -> str:
    if len(text) <= MAX_MESSAGE:
        return text
    return f"{text[: MAX_MESSAGE - 200]} [...] {text[-150:]}"


def kind_of(value: object) -> str:
    """How YAML would describe a value: `the number 3.12`, `a list`, `the string 'x'`."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {short_repr(value)}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing (null)" if value is None else type(value).__name__


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, list, tuple, dict)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, tuple, dict):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _keys(model: type[BaseModel]) -> dict[str, str]:
    """Key as written in files (the alias) -> field name."""
    return {(f.alias or name): name for name, f in model.model_fields.items()}


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        name = _keys(model).get(part, part)
        field = model.model_fields.get(name)
        found = _models_in(field.annotation) if field else []
        model = found[0] if found else None
    return model


def _alias_loc(root: type[BaseModel], loc: Loc, given: object) -> Loc:
    """A snake_case key path (from a `FieldError`) spelled as the input spells it.

    `given` is the input of the model that raised: a key written snake_case stays so, anything
    else takes the alias (camelCase, as stack files write it).
    """
    out: list[str | int] = []
    for i, part in enumerate(loc):
        model = _model_at(root, loc[:i])
        if isinstance(part, str) and model is not None and part in model.model_fields:
            alias = model.model_fields[part].alias or part
            written = isinstance(given, dict) and part in given and alias not in given
            out.append(part if written else alias)
            given = given.get(alias, given.get(part)) if isinstance(given, dict) else None
        else:
            out.append(part)
            given = None
    return tuple(out)


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _explain(
    error: ErrorDetails, root: type[BaseModel], examples: dict[str, str]
) -> tuple[Loc, str]:
    loc: Loc = tuple(error["loc"])
    kind, value = error["type"], error.get("input")
    cause = error.get("ctx", {}).get("error")
    key = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if isinstance(cause, FieldError):
        return loc + _alias_loc(_model_at(root, loc) or root, cause.loc, value), cause.detail
    if isinstance(cause, Exception):
        return loc, str(cause)
    if kind == "missing":
        example = examples.get(key)
        return loc, "missing; add it" + (f", for example `{key}: {example}`" if example else "")
    if kind == "extra_forbidden":
        model = _model_at(root, loc[:-1])
        known = sorted(_keys(model)) if model else []
        hint = did_you_mean(str(key), known) or f"; the keys here are {', '.join(known)}"
        return loc, f"unknown key{hint}"
    expected = {
        "string_type": "a string",
        "list_type": "a list",
        "tuple_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "int_type": "a whole number",
        "int_parsing": "a whole number",
        "int_from_float": "a whole number",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
    }.get(kind)
    if expected is not None:
        hint = ""
        if kind == "string_type" and isinstance(value, int | float) and not isinstance(value, bool):
            hint = f"; quote it: {key}: '{value}'"
            if isinstance(value, float) and len(str(value).partition(".")[2]) == 1:
                hint += f" (or '{value}0': YAML reads an unquoted 3.10 as the number 3.1)"
        elif kind in ("list_type", "tuple_type") and isinstance(value, str):
            hint = f"; write it as a list: {key}: [{value}]"
        example = examples.get(str(key))
        if not hint and example:
            hint = f"; for example `{key}: {example}`"
        return loc, f"expected {expected}, got {kind_of(value)}{hint}"
    if kind == "literal_error":
        allowed = [c.strip(" '") for c in str(error.get("ctx", {}).get("expected", "")).split(",")]
        allowed = [a for part in allowed for a in part.split(" or ")]
        allowed = [a.strip(" '") for a in allowed if a.strip(" '")]
        hint = did_you_mean(value, allowed) if isinstance(value, str) and len(value) < 100 else ""
        return loc, f"{short_repr(value)} is not one of {', '.join(allowed)}{hint}"
    return loc, f"{error['msg'][0].lower()}{error['msg'][1:]} (got {kind_of(value)})"


def explain(
    exc: ValidationError,
    root: type[BaseModel],
    *,
    where: str,
    prefix: str = "",
    examples: dict[str, str] | None = None,
) -> ConfigError:
    """One `ConfigError` for the first problem in `exc` (the one a person fixes first).

    `where` names the file (`stacks/Pulumi.dev.yaml`) or the object (`ImageSpec`); `prefix`
    goes before the key path (`imagepin:`). `examples` maps a key to a value to suggest.
    """
    loc, message = _explain(exc.errors()[0], root, examples or {})
    path = path_of(loc, prefix)
    return ConfigError(_bounded(f"{where}: {path}: {message}" if path else f"{where}: {message}"))
