"""What the components share about their args: validation into pydantic, digest references.

Public args are TypedDicts (the component provider host infers the package schema from them);
each component validates them into a frozen pydantic model that owns the defaults, and turns
the first problem into a `ConfigError` naming the component, the field and the fix.
"""

from collections.abc import Mapping
from typing import Annotated, TypeVar

import pulumi
from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError

from imagepin.config_errors import explain
from imagepin.errors import ConfigError
from imagepin.refs import ImageReference, InvalidReference

M = TypeVar("M", bound=BaseModel)


def _str_input(value: object) -> str | pulumi.Output[str]:
    if isinstance(value, str | pulumi.Output):
        return value
    raise ValueError(f"expected a string or a pulumi Output, got {type(value).__name__} {value!r}")


StrInput = Annotated[str | pulumi.Output[str], PlainValidator(_str_input)]
"""A string known now, or an Output (from another resource) known at deployment."""


class Model(BaseModel):
    """Base of the components' internal args models: frozen, unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


def validate(model: type[M], args: Mapping[str, object] | None, where: str) -> M:
    """`args` checked into `model`; the first problem as a `ConfigError` prefixed by `where`."""
    if args is not None and not isinstance(args, Mapping):
        raise ConfigError(f"{where}: args must be a mapping of the documented keys, got {args!r}")
    try:
        return model.model_validate(dict(args or {}))
    except ValidationError as exc:
        raise explain(exc, model, where=where) from None


def digest_ref(value: str, where: str, field: str, hint: str) -> str:
    """`value` as `name@sha256:...` (any tag dropped: the digest is the identity).

    A reference without a digest is a `ConfigError` ending in `hint`, the way to get one.
    """
    try:
        ref = ImageReference.parse(value)
    except InvalidReference as exc:
        raise ConfigError(f"{where}: {field}: {exc}") from None
    if ref.digest is None:
        raise ConfigError(f"{where}: {field}: {value!r} has no digest; {hint}")
    return str(ref.without_tag())


def digest_input(
    value: str | pulumi.Output[str], where: str, field: str, hint: str
) -> str | pulumi.Output[str]:
    """`digest_ref` now for a plain string; for an Output, when its value arrives."""
    if isinstance(value, str):
        return digest_ref(value, where, field, hint)
    return value.apply(lambda v: digest_ref(v, where, field, hint))
