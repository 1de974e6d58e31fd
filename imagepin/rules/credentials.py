"""Credentials written into text: in a URL (`https://user:password@host`, `https://TOKEN@host`)
or an HTTP header (`Authorization: Bearer TOKEN`). SEC001 reports them where a Dockerfile or
build arg would store them; `redact` keeps them out of every finding's message (a message quotes
the RUN line it is about, and ends up in logs, JSON and SARIF uploaded to code scanning).

In a command line (`RUN`, `CMD`...) a variable reference (`https://$USER:${TOKEN}@host`) writes
no credential: the line is stored as written. In an `ENV` or `ARG` value it does: the value is
stored expanded.
"""

from __future__ import annotations

import re

_TOKEN = (
    r"(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}"
    r"|pypi-[\w-]{20,}|npm_[A-Za-z0-9]{20,}|[A-Za-z0-9_-]{32,})"
)
"""A token: a known prefix (GitHub, GitLab, PyPI, npm), or 32 characters or more of token
alphabet."""
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
_MASK = "***"


def _maybe(text: str) -> bool:
    """Whether `text` has a URL or a credential header at all (most text has neither: cheap)."""
    if "://" in text:
        return True
    lower = text.lower()  # `or`, not any(): this runs on every finding's message
    return "authorization" in lower or "private-token" in lower or "api-key" in lower


def credentials(text: str, *, expanded: bool = False) -> str | None:
    """Where `text` carries credentials ("in a URL (user:password@)", "in a URL (a token as its
    user name)", "in an HTTP header"), or None. `expanded`: `text` is stored with its variables
    expanded (an `ENV` value), so `$USER:$PASSWORD@` counts too."""
    if not _maybe(text):
        return None
    if expanded and _ANY_PASSWORD.search(text):
        return _KINDS[0][1]
    for pattern, kind in _KINDS:
        if pattern.search(text):
            return kind
    return None


def redact(text: str) -> str:
    """`text` with every written credential replaced by `***` (`https://deploy:***@host`)."""
    if not _maybe(text):
        return text
    for pattern, _ in _KINDS:
        text = pattern.sub(lambda m: f"{m[1]}{_MASK}{m[3] if m.lastindex == 3 else ''}", text)
    return text
