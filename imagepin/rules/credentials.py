"""Credentials written into text: in a URL (`https://user:password@host`, `https://TOKEN@host`)
or an HTTP header (`Authorization: Bearer TOKEN`). SEC001 reports them where a Dockerfile or
build arg would store them; `redact` keeps them out of every finding's message (a message quotes
the RUN line it is about, and ends up in logs, JSON and SARIF uploaded to code scanning).

In a command line (`RUN`, `CMD`...) a variable reference (`https://$USER:${TOKEN}@host`) writes
no credential: the line is stored as written. In an `ENV` or `ARG` value it does: the value is
stored expanded.

Two more forms are credentials wherever they are written: a word in a known token format
(`ghp_...`, `github_pat_...`, `glpat-...`, `pypi-AgE...`, `npm_...`), and, for `redact`, the value
of a secret-looking name (`GITHUB_TOKEN=...`, `--password=...`, `secret_names.secret_word`) written
out; SEC001 reads such assignments in a command line itself, from its shell words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from imagepin.rules.secret_names import secret_word, stores_secret

_TOKEN = (
    r"(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}"
    r"|pypi-[\w-]{20,}|npm_[A-Za-z0-9]{20,}|[A-Za-z0-9_-]{32,})"
)
"""A token: a known prefix (GitHub, GitLab, PyPI, npm), or 32 characters or more of token
alphabet."""
_KNOWN_TOKEN = re.compile(
    r"()(?<![A-Za-z0-9_])((?:gh[opusr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}"
    r"|pypi-AgE[\w-]{20,}|npm_[A-Za-z0-9]{20,}))()"
)
"""A word in a known token format anywhere in the text (group 2). PyPI's take `pypi-AgE` (every
PyPI and TestPyPI token is a macaroon whose serialization starts so): a package named
`pypi-...` is no token."""
_ISSUERS = {"gh": "a GitHub", "gi": "a GitHub", "gl": "a GitLab", "py": "a PyPI", "np": "an npm"}
"""Who issued a `_KNOWN_TOKEN`, by its first two letters (`gh`p_..., `gi`thub_pat_...)."""
_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
_VALUE = re.compile(
    r"""(?:"(?:[^"\\]|\\.)*"|\$'(?:[^'\\]|\\.)*'|'[^']*'|\\.|[^\s"'`;&|()<>\\$]|\$(?!'))*"""
)
"""What `NAME=` sets, read as sh reads one word: quoted parts (`"..."`, `'...'`, `$'...'`),
escaped characters (`a\\ b`) and the rest, up to an unquoted space or shell operator
(`FLAGS=a,TOKEN=x` holds a second assignment, found from its own `=`). Each alternative starts
with a different character, so matching is linear."""
_LONGEST_NAME = 256
"""How far back from an `=` a name is looked for (a longer run of name characters is no name)."""
_PASSWORD = re.compile(r"(://[^/\s:@]+:)([^/\s@$`][^/\s]*)(@)(?=[^/\s@]+)")
"""`://user:password@host` with the password written out (group 2; it may hold `@`: the host
starts after the last one, as URL parsers read it)."""
_ANY_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")
"""`://user:password@`, also through variables (`://$USER:${PASSWORD}@`)."""
_URL_TOKEN = re.compile(rf"(://)({_TOKEN})(@)(?!sha256:)")
"""`://TOKEN@` (not `image@sha256:`)."""
_HEADER = re.compile(
    r"((?:authorization|proxy-authorization|private-token|x-api-key|api-key)\s*:\s*"
    r"(?:(?:bearer|basic|token)\s+)?+)([^\s\"'$`(][^\s\"']*)",
    re.IGNORECASE,
)
"""`Authorization: Bearer TOKEN`, `PRIVATE-TOKEN: TOKEN`... with the value written out (group 2;
the scheme word, once read, is never taken for the value: `Bearer $(cat /run/secrets/t)` is
none)."""
_KINDS = (
    (_PASSWORD, "in a URL (user:password@)"),
    (_URL_TOKEN, "in a URL (a token as its user name)"),
    (_HEADER, "in an HTTP header"),
)
_MASKED = (*(pattern for pattern, _ in _KINDS), _KNOWN_TOKEN)
"""What `redact` masks (group 2 of each; groups 1 and 3, when there, stay)."""
_MASK = "***"


def _maybe(text: str, lower: str) -> bool:
    """Whether `text` has a URL, a credential header or a known token prefix at all (most text
    has none: plain substring tests, no generator, as this runs on every finding's message)."""
    if "://" in text or "authorization" in lower or "private-token" in lower:
        return True
    if "api-key" in lower or "glpat-" in text or "pypi-AgE" in text:
        return True
    return "_" in text and ("gh" in text or "github_pat_" in text or "npm_" in text)


def _assigns_secret(text: str, lower: str) -> bool:
    """Whether `text` may set a secret-looking name (`X_TOKEN=`, `--password=`): cheap, as
    `_maybe`; `secret_names.secret_word` decides."""
    if "=" not in text:
        return False
    if "token" in lower or "pass" in lower or "secret" in lower:
        return True
    return "key" in lower or "credential" in lower


def credentials(text: str, *, expanded: bool = False) -> str | None:
    """Where `text` carries credentials ("in a URL (user:password@)", "in a URL (a token as its
    user name)", "in an HTTP header", "as a GitHub token"...), or None. `expanded`: `text` is
    stored with its variables expanded (an `ENV` value), so `$USER:$PASSWORD@` counts too."""
    if not _maybe(text, text.lower()):
        return None
    if expanded and _ANY_PASSWORD.search(text):
        return _KINDS[0][1]
    for pattern, kind in _KINDS:
        if pattern.search(text):
            return kind
    token = _KNOWN_TOKEN.search(text)
    return f"as {_ISSUERS[token[2][:2]]} token" if token else None


def redact(text: str) -> str:
    """`text` with every written credential replaced by `***` (`https://deploy:***@host`,
    `GITHUB_TOKEN=***`)."""
    lower = text.lower()
    if _maybe(text, lower):
        for pattern in _MASKED:
            text = pattern.sub(lambda m: f"{m[1]}{_MASK}{m[3] if m.lastindex == 3 else ''}", text)
    if _assigns_secret(text, lower):
        text = _mask_assignments(text)
    return text


def _mask_assignments(text: str) -> str:
    """`text` with the written-out value of each secret-looking name masked (`TOKEN=***`); a
    value that reads a variable or a command (`TOKEN=$(cat /run/secrets/t)`), an empty one or
    a path (`secret_names.stores_secret`) holds none. Found from each `=` back to the name
    (`rstrip`: a regex trying every position costs several times more, and every SEC001
    message holds `=`, in its `--mount=type=secret,id=...`)."""
    out: list[str] = []
    done = 0  # where the text not yet copied starts
    at = text.find("=")
    while at != -1:
        end = at - 1 if text[at - 1 : at] == "+" else at  # `TOKEN+=more`
        low = max(0, end - _LONGEST_NAME)
        start = low + len(text[low:end].rstrip(_NAME_CHARS))
        name = text[start:end]
        if (
            (start > low or low == 0)
            and (name[:1].isalpha() or name[:1] == "_")
            and start >= done
            and text[start - 1 : start] != "$"
            and secret_word(name)
        ):
            value = _VALUE.match(text, at + 1)
            raw = value[0] if value else ""
            written = raw.strip("\"'")
            reads = written[:1] in ("$", "`") and not raw.startswith("$'")  # `$'...'` is literal
            if value and not reads and stores_secret(written):
                out += (text[done : at + 1], _MASK)
                done = value.end()
        at = text.find("=", at + 1)
    return "".join(out) + text[done:] if out else text


def shown(words: Sequence[str]) -> str:
    """Shell words joined for a message, each secret-looking `NAME=value` word with its whole
    value masked: the word is one shell word however it was quoted (`PASSWORD='a b (c)'`),
    where `redact`, reading the joined text, could only read the value up to its space."""
    return " ".join(map(_shown_word, words))


def _shown_word(word: str) -> str:
    if "://" in word and "@" in word:
        word = _url_password_masked(word)
    name, eq, value = word.partition("=")
    key = name.lstrip("-").removesuffix("+").replace("-", "_")  # `--auth-token=...`
    if not eq or not key or not (key[0].isalpha() or key[0] == "_"):
        return word
    if key.strip(_NAME_CHARS) or not secret_word(key) or value[:1] in ("$", "`"):
        return word
    return f"{name}={_MASK}" if stores_secret(value) else word


def _url_password_masked(word: str) -> str:
    """`word` with each URL's written password masked up to its host, spaces and all (one shell
    word: `"https://u:p w@h/"`); the authority ends at the first `/`, as URL parsers read it."""
    out: list[str] = []
    done = 0
    at = word.find("://")
    while at != -1:
        start = at + 3
        following = word.find("://", start)  # a second URL in the same word
        ends = [i for i in (word.find("/", start), following) if i != -1]
        end = min(ends) if ends else len(word)
        host = word.rfind("@", start, end)
        colon = word.find(":", start, host)
        if host != -1 and colon != -1 and word[colon + 1 : colon + 2] not in ("$", "`", "@"):
            out += (word[done : colon + 1], _MASK)
            done = host
        at = following
    return "".join(out) + word[done:] if out else word
