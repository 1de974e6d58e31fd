"""Container image references, parsed and normalized the way Docker does it.

The grammar, the Docker Hub normalization and the error kinds follow
github.com/distribution/reference (`ParseNormalizedNamed`, `ParseAnyReference`) and the
digest checks of github.com/opencontainers/go-digest with sha256, sha384 and sha512 registered:

    reference := [domain "/"] path [":" tag] ["@" digest]

`python:3.12` becomes `docker.io/library/python:3.12`; `index.docker.io` becomes `docker.io`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

from imagepin.errors import ImagepinError

__all__ = [
    "DEFAULT_DOMAIN",
    "MAX_NAME_LENGTH",
    "ImageReference",
    "InvalidReference",
    "is_digest",
]

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_PREFIX = "library/"
MAX_NAME_LENGTH = 255
"""Longest repository path accepted; like Docker, the domain is not counted."""

# Go's RE2 classes are ASCII-only, so `\w` is spelled out; all matching uses `fullmatch`.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|-+)"
_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_PATH = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST_SYNTAX = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_GO_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")
_IDENTIFIER = re.compile(r"[a-f0-9]{64}")
_LOWER_HEX = re.compile(r"[a-f0-9]+")
_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

FORMAT = "invalid reference format"
UPPERCASE = "repository name must be lowercase"
EMPTY = "repository name must have at least one component"
TOO_LONG = f"repository name must not be more than {MAX_NAME_LENGTH} characters"
HEX_NAME = "repository name cannot be a 64-byte hexadecimal string"
NO_NAME = "reference has no repository name"
TAG_FORMAT = "invalid tag format"
DIGEST_FORMAT = "invalid checksum digest format"
DIGEST_LENGTH = "invalid checksum digest length"
DIGEST_UNSUPPORTED = "unsupported digest algorithm"

_TAG_RULE = "tags are 1 to 128 of A-Z a-z 0-9 _ . - and must not start with '.' or '-'"
_DOMAIN_RULE = "use a host name, IPv4 or [IPv6] address, with an optional :port"
_PATH_RULE = "use '/'-separated parts of a-z 0-9 joined by single '.', '_', '__' or dashes"
_DIGEST_RULE = "write it as sha256:<64 lowercase hex> (or sha384/sha512)"


class InvalidReference(ImagepinError, ValueError):  # noqa: N818 (public name, fixed by contract)
    """An image reference, tag or digest is malformed; the message quotes it and says why."""


def _quote(s: str) -> str:
    """Like `repr`, but always in single quotes."""
    r = repr(s)
    if r.startswith('"'):
        r = "'" + r[1:-1].replace("'", "\\'") + "'"
    return r


def _invalid(what: str, value: str, kind: str, hint: str = "") -> InvalidReference:
    return InvalidReference(
        f"invalid {what} {_quote(value)}: {kind}" + (f"; {hint}" if hint else "")
    )


def _digest_problem(d: str) -> str | None:
    """The go-digest error kind for `d`, or None when it is a valid registered digest."""
    algorithm, sep, encoded = d.partition(":")
    if not sep or not encoded:
        return DIGEST_FORMAT
    length = _HEX_LENGTHS.get(algorithm)
    if length is None:
        return DIGEST_UNSUPPORTED if _GO_DIGEST.fullmatch(d) else DIGEST_FORMAT
    if len(encoded.encode("utf-8", "surrogatepass")) != length:  # Go counts bytes
        return DIGEST_LENGTH
    return None if _LOWER_HEX.fullmatch(encoded) else DIGEST_FORMAT


def is_digest(s: str) -> bool:
    """True if `s` is a digest with a registered algorithm and correct lowercase hex."""
    return isinstance(s, str) and _digest_problem(s) is None


def _go_lower(s: str) -> str:
    """`str.lower` as Go's `strings.ToLower` does it (simple mapping: 'İ' becomes 'i')."""
    return s.replace("\u0130", "i").lower()


def _split_docker_domain(s: str) -> tuple[str, str]:
    """Split off the registry domain, applying Docker Hub defaults (normalize.go rules)."""
    first, slash, rest = s.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, OFFICIAL_PREFIX + s
    if first == LEGACY_DEFAULT_DOMAIN:
        domain, remainder = DEFAULT_DOMAIN, rest
    elif first == "localhost" or "." in first or ":" in first or _go_lower(first) != first:
        domain, remainder = first, rest
    else:
        domain, remainder = DEFAULT_DOMAIN, s
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_PREFIX + remainder
    return domain, remainder


_Parts = tuple[str, str, str | None, str | None]


def _match(s: str) -> _Parts | str:
    """Match `s` against the reference grammar: (domain, path, tag, digest) or why it fails.

    Equivalent to the anchored Go regexp, but split by hand so matching stays linear.
    The domain is "" when the first component is not a domain but the whole name is a path.
    """
    rest, at, digest = s.partition("@")
    colon = rest.rfind(":")
    tag = None
    if colon > rest.rfind("/"):  # a name holds ':' only in its domain, before a '/'
        rest, tag = rest[:colon], rest[colon + 1 :]
    first, slash, path = rest.partition("/")
    domain = first if slash and _DOMAIN.fullmatch(first) else ""
    if not domain:
        path = rest
        if slash and not _PATH.fullmatch(path):
            return f"registry domain {_quote(first)} is not valid: {_DOMAIN_RULE}"
    if not _PATH.fullmatch(path):
        return f"path {_quote(path)} is not valid: {_PATH_RULE}"
    if tag is not None and not _TAG.fullmatch(tag):
        return f"tag {_quote(tag)} is not valid: {_TAG_RULE}"
    if at and not _DIGEST_SYNTAX.fullmatch(digest):
        return f"digest {_quote(digest)} is not valid: {_DIGEST_RULE}"
    return domain, path, tag, (digest if at else None)


def _parse(s: str) -> ImageReference:
    if not isinstance(s, str):
        raise InvalidReference(
            f"invalid reference {s!r}: expected a string, got {type(s).__name__}"
        )
    if not s:
        raise _invalid("reference", s, EMPTY, "write an image name such as 'python:3.12-slim'")
    if _IDENTIFIER.fullmatch(s):
        raise _invalid(
            "reference", s, HEX_NAME, "that is an image ID; pin with '<name>@sha256:<hex>'"
        )
    if is_digest(s):
        raise _invalid(
            "reference", s, NO_NAME, f"a digest alone names no image; write '<name>@{s}'"
        )
    domain, remainder = _split_docker_domain(s)
    remote = remainder.partition(":")[0]
    if _go_lower(remote) != remote:
        name_part, at, _ = remote.partition("@")
        if at and _go_lower(name_part) == name_part:  # Docker checks up to the first ':'
            hint = "the digest algorithm must be lowercase too, e.g. 'sha256'"
        else:
            hint = f"use {_quote(_go_lower(remote))}, not {_quote(remote)}"
        raise _invalid("reference", s, UPPERCASE, hint)
    full = f"{domain}/{remainder}"
    parts = _match(full)
    if isinstance(parts, str):
        lower = _go_lower(full)
        if lower != full and not isinstance(_match(lower), str):
            raise _invalid("reference", s, UPPERCASE, "only the domain and tag may have capitals")
        raise _invalid("reference", s, FORMAT, parts)
    found_domain, path, tag, digest = parts
    if len(path) > MAX_NAME_LENGTH:
        hint = f"its path is {len(path)} characters long"
        if path.startswith(OFFICIAL_PREFIX) and domain == DEFAULT_DOMAIN:
            hint += " (with the 'library/' prefix Docker Hub adds)"
        raise _invalid("reference", s, TOO_LONG, hint)
    if digest is not None and (problem := _digest_problem(digest)) is not None:
        raise _invalid("reference", s, problem, f"digest {_quote(digest)}: {_DIGEST_RULE}")
    if found_domain != domain:  # 'my_host.com/app': Docker would accept it with no domain at all
        hint = f"registry domain {_quote(domain)} is not valid: {_DOMAIN_RULE}"
        raise _invalid("reference", s, FORMAT, hint)
    return ImageReference(domain, path, tag, digest)


# The rules parse the same references again and again (each image reference by several rules,
# per resource and per preview); the result is immutable, so repeats are served from memory.
_parse_str = functools.lru_cache(maxsize=4096)(_parse)


@dataclass(frozen=True, slots=True, repr=False)
class ImageReference:
    """A normalized image reference; build it with `ImageReference.parse`."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, s: str) -> ImageReference:
        """Parse and normalize `s` like `docker pull` does; raise `InvalidReference` if invalid."""
        return _parse_str(s) if isinstance(s, str) else _parse(s)

    @property
    def name(self) -> str:
        """Full repository name, e.g. `docker.io/library/python`."""
        return f"{self.domain}/{self.path}" if self.domain else self.path

    @property
    def familiar_name(self) -> str:
        """Short name as Docker prints it, e.g. `python` or `ghcr.io/org/app`.

        Unlike Docker, the domain or `library/` stays when dropping it would parse differently
        (`docker.io/foo.bar/x`, `docker.io/localhost/x`, `docker.io/library/<64 hex>`).
        """
        if self.domain != DEFAULT_DOMAIN:
            return self.name
        first = self.path.partition("/")[0]
        if "." in first or ":" in first or first == "localhost" or _go_lower(first) != first:
            return self.name
        short = self.path.removeprefix(OFFICIAL_PREFIX)
        if short != self.path and "/" not in short and not _IDENTIFIER.fullmatch(short):
            return short
        return self.path

    def _suffix(self) -> str:
        return (f":{self.tag}" if self.tag is not None else "") + (
            f"@{self.digest}" if self.digest is not None else ""
        )

    def familiar(self) -> str:
        """Short form, e.g. `python:3.12@sha256:...`; parses back to an equal reference."""
        short = self.familiar_name + self._suffix()
        return self.path + self._suffix() if is_digest(short) else short

    def __str__(self) -> str:
        return self.name + self._suffix()

    def __repr__(self) -> str:
        return f"ImageReference({str(self)!r})"

    def with_tag(self, tag: str) -> ImageReference:
        """A copy with `tag` (validated), keeping any digest."""
        if not isinstance(tag, str) or not _TAG.fullmatch(tag):
            raise _invalid("tag", str(tag), TAG_FORMAT, f"{_TAG_RULE} (for {self})")
        return replace(self, tag=tag)

    def with_digest(self, digest: str) -> ImageReference:
        """A copy pinned to `digest` (validated like go-digest), keeping any tag."""
        problem = _digest_problem(digest) if isinstance(digest, str) else DIGEST_FORMAT
        if problem is not None:
            raise _invalid("digest", str(digest), problem, f"{_DIGEST_RULE} (for {self})")
        return replace(self, digest=digest)

    def without_tag(self) -> ImageReference:
        """A copy with no tag."""
        return ImageReference(self.domain, self.path, None, self.digest) if self.tag else self

    def without_digest(self) -> ImageReference:
        """A copy with no digest."""
        return ImageReference(self.domain, self.path, self.tag, None) if self.digest else self
