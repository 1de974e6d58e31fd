"""Options of an image build that are models of their own: the health check and pip settings.

Both are frozen pydantic models with camelCase aliases (`startPeriod`, `caSecret`), like every
model in stack config; `imagepin.dockerfile_spec.ImageSpec` holds them.
"""

from __future__ import annotations

import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from imagepin.config_errors import FieldError

_SECRET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_URL = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?")
_HTTP_PATH = re.compile(r"/[A-Za-z0-9._~/-]*")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)?[^/?#]*@")


class Model(BaseModel):
    """Frozen, no unknown keys, camelCase aliases (snake_case accepted too)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class Healthcheck(Model):
    """An HTTP probe of the running app: `GET http://127.0.0.1:<port><path>` must answer 2xx.

    Rendered as a Docker `HEALTHCHECK` running a python one-liner (no curl in the image), or,
    for Ubuntu rocks, as a pebble check that `pebble health` reports.
    """

    path: str = "/healthz"
    port: int | None = Field(default=None, ge=1, le=65535)
    """Default: the spec's `port`."""
    interval: int = Field(default=30, ge=1)
    timeout: int = Field(default=3, ge=1)
    start_period: int = Field(default=5, ge=0)
    retries: int = Field(default=3, ge=1)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _HTTP_PATH.fullmatch(value):
            raise ValueError(f"{value!r} is not a URL path; write one such as /healthz")
        return value


class PipSettings(Model):
    """Where pip installs from, with credentials only ever as BuildKit secrets.

    `ca_secret` names a secret holding a CA bundle (`PIP_CERT=/run/secrets/<id>`); `token_secret`
    one holding the token for `index_url`, read inside the `RUN` as
    `https://<token_user>:$(cat /run/secrets/<id>)@host/...`. Neither reaches an ARG, ENV or layer.
    """

    ca_secret: str | None = None
    index_url: str | None = None
    token_secret: str | None = None
    token_user: str = "__token__"

    @field_validator("ca_secret", "token_secret")
    @classmethod
    def _secret_id(cls, value: str | None) -> str | None:
        if value is not None and not _SECRET_ID.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a BuildKit secret id; use letters, digits, '.', '_' and '-' "
                "(e.g. pip-ca)"
            )
        return value

    @field_validator("index_url")
    @classmethod
    def _index_url(cls, value: str | None) -> str | None:
        if value is not None and not _URL.fullmatch(value):
            shown = _USERINFO.sub(r"\1***@", value)  # never echo a token written into the URL
            raise ValueError(
                f"{shown!r} is not an https index URL without credentials; write one such as "
                "https://pypi.example.com/simple and put the token in tokenSecret"
            )
        return value

    @field_validator("token_user")
    @classmethod
    def _token_user(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
            raise ValueError(f"{value!r}: use letters, digits, '.', '_' and '-' (e.g. __token__)")
        return value

    @model_validator(mode="after")
    def _token_needs_index(self) -> Self:
        if self.token_secret and not self.index_url:
            raise FieldError(
                ("index_url",),
                f"tokenSecret {self.token_secret!r} needs the index it unlocks; "
                "set indexUrl: https://pypi.example.com/simple",
            )
        return self

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.ca_secret, self.token_secret) if s)
