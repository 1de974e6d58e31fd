"""Names that say their value is a secret (`GITHUB_TOKEN`, `DB_PASSWORD`, `apiKey`), read from
the words of the name. SEC001 reports ARG/ENV names and build args that look like one, and
variables set to a written-out value in a command line (`RUN GITHUB_TOKEN=... pip install`);
`credentials.redact` masks the value of such an assignment wherever a message quotes it."""

from __future__ import annotations

import re
from functools import lru_cache

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SECRET = {
    *("TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS"),
    *("CREDENTIAL", "CREDENTIALS"),
}
"""Words that make a name a secret whatever else it says (`OIDC_ID_TOKEN`, `PGP_PASSWORD`)."""
_SECRET_SUFFIX = (
    "TOKEN",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "APIKEY",
    "ACCESSKEY",
    "PRIVATEKEY",
)
_REFERENCE = {"FILE", "PATH", "DIR", "NAME", "ARN", "URL", "TYPE"}
_REFERENCE |= {"LENGTH", "LEN", "LIFETIME", "TTL", "TIMEOUT", "EXPIRY", "EXPIRES", "AGE"}
_REFERENCE |= {"MIN", "MAX", "SIZE", "COUNT", "RETRIES", "ROUNDS"}
"""Words that make the value say where a secret is, or a setting about secrets, not the
secret (`PASSWORD_FILE`, `PASSWORD_MIN_LENGTH`, `JWT_TOKEN_LIFETIME`)."""
_NOT_SECRET_KEY = {"PUBLIC", "GPG", "PGP", "ID", "CACHE", "SORT", "PRIMARY", "FOREIGN", "PARTITION"}
"""Words that make a plain KEY no secret (`PUBLIC_KEY`, `GPG_KEY`, `KEY_ID`, `CACHE_KEY`, a
database's `SORT_KEY`); a stronger word
still wins (`GPG_PRIVATE_KEY`, `PUBLIC_KEY_PASSWORD`)."""


@lru_cache(maxsize=4096)
def secret_word(name: str) -> str | None:
    """The word that makes `name` look like a secret (`TOKEN` in `GITHUB_TOKEN`), or None."""
    words = [str(w).upper() for w in _WORDS.findall(name)]
    if any(w in _REFERENCE for w in words):
        return None
    for i, word in enumerate(words):
        if word == "KEY" and i and words[i - 1] == "PRIVATE":
            return "PRIVATE_KEY"
        if word in _SECRET:
            return word
        if word.endswith(_SECRET_SUFFIX):
            return next(str(s) for s in _SECRET_SUFFIX if word.endswith(s))
    if words and words[-1] == "PASS":  # `DB_PASS`, not `PASS_THROUGH`
        return "PASS"
    if "KEY" in words and not any(w in _NOT_SECRET_KEY for w in words):
        return "KEY"
    return None


_FLAGS = frozenset({"0", "1", "true", "false", "yes", "no", "on", "off"})
_PLACEHOLDERS = frozenset({"dummy", "placeholder", "fake", "unused", "notasecret"})
"""Words that mark a value as a stand-in, set so a build step runs without the real secret
(`RUN SECRET_KEY=dummy python manage.py collectstatic`, `SECRET_KEY_BASE=DUMMY rails
assets:precompile`)."""
_FILLERS = frozenset({"key", "secret", "token", "password", "value", "for", "build", "only"})
"""Words a stand-in may carry besides a placeholder (`dummy-key-for-build`)."""
_PARTS = re.compile(r"[-_. ]+")


def stores_secret(value: str) -> bool:
    """Whether a value written out for a secret-looking name can hold the secret: not when it
    is empty (`ENV OPENAI_API_KEY=""` blanks a variable the container gets at run time), an
    absolute path (`GOOGLE_APPLICATION_CREDENTIALS=/run/secrets/sa.json` says where it is), a
    switch (`HF_HUB_DISABLE_IMPLICIT_TOKEN=1`) or a stand-in made only of placeholder words
    (`SECRET_KEY=dummy`, `dummy-key-for-build`; not `ChangeMe2024!` nor `x9-fake-Zq81`)."""
    stripped = value.strip()
    lower = stripped.lower()
    if not stripped or stripped[0] == "/" or lower in _FLAGS:
        return False
    parts = set(_PARTS.split(lower)) - {""}
    return not (parts & _PLACEHOLDERS and parts <= _PLACEHOLDERS | _FILLERS)
