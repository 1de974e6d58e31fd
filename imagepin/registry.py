"""An OCI distribution client: image references -> verified index and per-platform digests.

A GET's bytes are checked against `Docker-Content-Digest` and the reference's digest (a HEAD is
one request); 429 and 5xx are retried with capped, jittered backoff. Auth: `registry_auth`;
what a failed exchange means, and the fix to name: `registry_faults`.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ipaddress
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from httpx import AsyncClient, Response

from imagepin import __version__
from imagepin.errors import (
    ConfigError,
    DigestMismatch,
    ManifestNotFound,
    RegistryProtocolError,
    UnsupportedMediaType,
)
from imagepin.refs import ImageReference as Ref
from imagepin.registry_auth import Authenticator, CredentialStore, LoopLocal
from imagepin.registry_faults import (
    MAX_DELAY,
    from_a_tls_port,
    retry_after,
    spoke_http_to_tls,
    unavailable,
    unreachable,
)

log = logging.getLogger(__name__)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MANIFEST_MEDIA_TYPES = (OCI_INDEX, DOCKER_LIST, DOCKER_MANIFEST, OCI_MANIFEST)
INDEX_MEDIA_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
_HASHES = frozenset({"sha256", "sha384", "sha512"})
DOCKER_HUB_API = "registry-1.docker.io"
MAX_REDIRECTS = 5
_BROKEN = "the registry or a proxy in front of it is broken; check --mirror or use the origin"
_DROPPED = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
_REWRITTEN = "refusing to pin it. A mirror or proxy serves other content; check --mirror"
OnDone = Callable[["Resolution"], None] | None


@dataclass(frozen=True)
class Resolution:
    """What a reference resolved to, and where that answer came from."""

    reference: Ref  # canonical, as asked (never the mirror)
    digest: str  # of the index or manifest
    media_type: str
    platforms: dict[str, str]  # "linux/arm/v7" -> digest; {} for a single manifest or HEAD
    registry: str  # the host actually asked


@dataclass(frozen=True)
class _Target:
    """One reference and where to ask for its manifest."""

    ref: Ref
    host: str
    scheme: str

    @property
    def tag_or_digest(self) -> str:
        return self.ref.digest or self.ref.tag or "latest"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}/v2/{self.ref.path}/manifests/{self.tag_or_digest}"


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or [::1], with or without a port."""
    name = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
    try:
        return name.lower() == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _hostport(value: str, option: str) -> tuple[str, str | None]:
    """`http://h:5000/` -> ("h:5000", "http"); anything with a path is a configuration error."""
    scheme, sep, rest = value.strip().partition("://")
    host, scheme = (rest, scheme.lower()) if sep else (scheme, "")
    host = host.rstrip("/").lower()
    if not host or "/" in host or scheme not in ("", "http", "https"):
        raise ConfigError(f"{option} takes a host[:port] like 127.0.0.1:5000, not {value!r}")
    return host, scheme or None


class RegistryClient:
    """Resolves references concurrently over one connection pool; `requests` counts HTTP sends.

    `sleep` is the coroutine awaited between retries (tests pass a recorder).
    """

    def __init__(
        self,
        *,
        mirror: str | None = None,
        insecure: Iterable[str] = (),
        timeout: float = 10.0,
        max_retries: int = 4,
        concurrency: int = 32,
        docker_config: Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        backoff: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if concurrency < 1 or max_retries < 0:
            raise ConfigError("concurrency must be at least 1 and max_retries at least 0")
        self.mirror, self._mirror_scheme = _hostport(mirror, "--mirror") if mirror else ("", None)
        self.insecure = frozenset(_hostport(host, "--insecure")[0] for host in insecure)
        self.timeout, self.max_retries, self.backoff = timeout, max_retries, backoff
        self.concurrency, self.requests = concurrency, 0
        self._sleep, self._transport = sleep, transport
        self._auth = Authenticator(CredentialStore(docker_config))
        self._slots = LoopLocal(lambda: asyncio.Semaphore(concurrency))

    def resolve(self, ref: Ref | str, *, platforms: bool = True) -> Resolution:
        """Resolve one reference (blocking). Inside async code use `await aresolve(...)`."""
        return asyncio.run(self.aresolve(ref, platforms=platforms))

    def resolve_all(
        self, refs: Sequence[Ref | str], *, platforms: bool = True, on_done: OnDone = None
    ) -> list[Resolution]:
        """Resolve every reference concurrently, in order; the first error cancels the rest."""
        return asyncio.run(self._gather([_parse(r) for r in refs], platforms, on_done))

    async def aresolve(self, ref: Ref | str, *, platforms: bool = True) -> Resolution:
        async with self._client() as client:
            return await self._resolve(client, _parse(ref), platforms)

    def _client(self) -> AsyncClient:
        async def count(request: httpx.Request) -> None:
            self.requests += 1

        return AsyncClient(
            transport=self._transport,
            timeout=self.timeout,
            limits=httpx.Limits(max_connections=self.concurrency),
            # over TLS every request to a host shares one connection (ALPN h2, which Docker
            # Hub, GHCR and ECR speak) instead of a handshake per concurrent request
            http2=True,
            follow_redirects=True,  # httpx drops Authorization when the origin changes
            max_redirects=MAX_REDIRECTS,
            headers={"User-Agent": f"imagepin/{__version__}"},
            event_hooks={"request": [count]},
        )

    async def _gather(self, refs: list[Ref], platforms: bool, on_done: OnDone) -> list[Resolution]:
        async def one(client: AsyncClient, ref: Ref) -> Resolution:
            resolution = await self._resolve(client, ref, platforms)
            if on_done is not None:
                on_done(resolution)
            return resolution

        async with self._client() as client:
            try:
                async with asyncio.TaskGroup() as group:
                    tasks = [group.create_task(one(client, ref)) for ref in refs]
            except BaseExceptionGroup as failed:  # the first failure cancelled the rest
                raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    async def _resolve(self, client: AsyncClient, ref: Ref, platforms: bool) -> Resolution:
        target = self._target(ref)
        async with self._slots.get():
            if not platforms:
                response = await self._fetch(client, target, "HEAD")
                digest = response.headers.get("docker-content-digest")
                if digest and (media_type := _content_type(response)) in MANIFEST_MEDIA_TYPES:
                    _check_claim(target, digest)
                    return Resolution(ref, digest, media_type, {}, target.host)
            response = await self._fetch(client, target, "GET")
        return _resolution(target, response, platforms)

    def _target(self, ref: Ref) -> _Target:
        host, scheme = ref.domain, None
        if ref.domain == "docker.io":
            host, scheme = self.mirror or DOCKER_HUB_API, self._mirror_scheme
        if scheme is None:
            plain = {host, host.rsplit(":", 1)[0]} & self.insecure or is_loopback(host)
            scheme = "http" if plain else "https"
        return _Target(ref, host, scheme)

    async def _fetch(self, client: AsyncClient, target: _Target, method: str) -> Response:
        send = functools.partial(self._send, client)
        host, scope = target.host, f"repository:{target.ref.path}:pull"
        headers = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
        async with self._auth.first_contact(host):
            if authorization := await self._auth.header(send, host, scope):
                headers["Authorization"] = authorization
            response = await send(method, target.url, {"headers": headers})
            if response.status_code == 401:
                headers["Authorization"] = await self._auth.answer(send, host, scope, response)
                response = await send(method, target.url, {"headers": headers})
        if response.status_code != 200:
            raise _refusal(response, target, self._auth)
        return response

    async def _send(
        self, client: AsyncClient, method: str, url: str, options: dict[str, Any]
    ) -> Response:
        """One request; 429, 5xx and broken connections are retried with backoff, boundedly."""
        started = time.monotonic()
        for attempt in range(self.max_retries + 1):
            try:
                response = await client.request(method, url, **options)
            except httpx.TooManyRedirects:
                raise RegistryProtocolError(
                    f"{url} redirected more than {MAX_REDIRECTS} times: the registry or a proxy "
                    "in front of it is misconfigured; check the address and --mirror"
                ) from None
            except _DROPPED as exc:  # the connection broke mid-exchange: worth another try
                if attempt == self.max_retries:
                    raise unreachable(httpx.URL(url), method, exc, self.timeout) from None
                await self._sleep(self._delay(attempt, None) or 0.0)
                continue
            except httpx.TransportError as exc:
                raise unreachable(httpx.URL(url), method, exc, self.timeout) from None
            log.debug("%s %s: %s (%s)", method, url, response.status_code, response.http_version)
            if response.status_code != 429 and response.status_code < 500:
                return response
            delay = self._delay(attempt, response)
            if attempt == self.max_retries or delay is None:
                break
            log.debug("%s %s: %s; retry in %.2fs", method, url, response.status_code, delay)
            await self._sleep(delay)
        raise unavailable(response, attempt + 1, time.monotonic() - started)

    def _delay(self, attempt: int, response: Response | None) -> float | None:
        """Jittered exponential backoff, at least Retry-After; None when that is over the cap."""
        wanted = retry_after(response)
        if wanted > MAX_DELAY:
            return None
        jittered = self.backoff * 2.0**attempt * random.uniform(0.5, 1.0)
        return min(MAX_DELAY, max(jittered, wanted))


def _parse(ref: Ref | str) -> Ref:
    return ref if isinstance(ref, Ref) else Ref.parse(ref)


def _refusal(response: Response, target: _Target, auth: Authenticator) -> Exception:
    """The error for a final status other than 200."""
    status, host, ref, repository = response.status_code, target.host, target.ref, target.ref.path
    if status in (401, 403):
        return auth.refused(host, str(ref), repository, response)
    if status == 400 and target.scheme == "http" and from_a_tls_port(response):
        return spoke_http_to_tls(host, loopback=is_loopback(host))
    if status != 404:
        return RegistryProtocolError(
            f"{host} answered {status} {response.reason_phrase} to {response.request.method} "
            f"{target.url} for {ref}; expected 200: check that {host} is an OCI registry"
        )
    try:
        errors = response.json().get("errors", []) if response.request.method == "GET" else []
        codes = {e.get("code") for e in errors}
    except (ValueError, AttributeError, TypeError):
        codes = set()
    kind, tag_or_digest = ("digest" if ref.digest else "tag"), target.tag_or_digest
    if "NAME_UNKNOWN" in codes:
        return ManifestNotFound(
            f"{ref} not found: the repository {repository} does not exist on {host} "
            "(NAME_UNKNOWN); check the image name, or push it there first"
        )
    if "MANIFEST_UNKNOWN" in codes:
        return ManifestNotFound(
            f"{ref} not found: the {kind} {tag_or_digest} does not exist in {host}/{repository} "
            f"(MANIFEST_UNKNOWN; the repository exists); pick an existing {kind} or push it first"
        )
    return ManifestNotFound(
        f"{ref} not found: {host} has no manifest {tag_or_digest} in {repository} (404, without "
        "saying whether the tag or the repository is missing); check the name and tag, and "
        "--mirror if one is set"
    )


def _check_claim(target: _Target, claimed: str) -> None:
    """A digest the registry claims must be a digest, and the one the reference asks for."""
    algorithm, _, hex_part = claimed.partition(":")
    if algorithm not in _HASHES or not hex_part:
        raise RegistryProtocolError(
            f"{target.host} sent Docker-Content-Digest {claimed!r} (not a digest): {_BROKEN}"
        )
    if target.ref.digest and claimed != target.ref.digest:
        raise DigestMismatch(
            f"{target.ref} asks for {target.ref.digest} but {target.host} says it serves "
            f"{claimed}: {_REWRITTEN}"
        )


def _verify(target: _Target, body: bytes, claimed: str | None) -> str:
    """The manifest digest, checked against the header and the reference; never guessed."""
    if claimed:
        _check_claim(target, claimed)
    for expected, who in ((claimed, "Docker-Content-Digest"), (target.ref.digest, "the reference")):
        algorithm, _, hex_part = (expected or "").partition(":")
        if expected and hex_part != hashlib.new(algorithm, body).hexdigest():
            raise DigestMismatch(
                f"{target.host} sent a manifest for {target.ref} that does not hash to {expected} "
                f"as {who} says: {_REWRITTEN}"
            )
    return claimed or target.ref.digest or "sha256:" + hashlib.sha256(body).hexdigest()


def _resolution(target: _Target, response: Response, platforms: bool) -> Resolution:
    digest = _verify(target, response.content, response.headers.get("docker-content-digest"))
    try:
        document = json.loads(response.content)
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        document = None
    if not isinstance(document, dict):
        raise RegistryProtocolError(
            f"{target.host} sent a manifest for {target.ref} that is not a JSON object: {_BROKEN}"
        )
    media_type = _media_type(target, response, document)
    found = _platforms(target, document) if platforms and media_type in INDEX_MEDIA_TYPES else {}
    return Resolution(target.ref, digest, media_type, found, target.host)


def _content_type(response: Response) -> str:
    return str(response.headers.get("content-type", "")).split(";")[0].strip().lower()


def _media_type(target: _Target, response: Response, document: dict[str, Any]) -> str:
    """The Content-Type, or for a plain JSON one the manifest's own mediaType."""
    content_type = _content_type(response)
    if content_type in MANIFEST_MEDIA_TYPES:
        return content_type
    declared = document.get("mediaType")
    if content_type in ("", "application/json") and declared in MANIFEST_MEDIA_TYPES:
        return str(declared)
    schema1 = " (Docker schema 1, removed from Docker in 2019)" if "v1+" in content_type else ""
    raise UnsupportedMediaType(
        f"{target.host} answered {target.ref} with media type {content_type or '(none)'}"
        f"{schema1}, not one of {', '.join(MANIFEST_MEDIA_TYPES)}: re-push the image with a "
        "current docker or buildx, or pin another tag"
    )


def _platforms(target: _Target, document: dict[str, Any]) -> dict[str, str]:
    """os/arch[/variant] -> digest of each image in an index, attestation manifests left out."""
    entries = document.get("manifests")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("digest"), str) for e in entries
    ):
        raise RegistryProtocolError(
            f"{target.host} sent an index for {target.ref} whose `manifests` is not a list of "
            f"descriptors with digests: {_BROKEN}"
        )
    found: dict[str, str] = {}
    for entry in entries:
        annotations = entry.get("annotations") or {}
        if annotations.get("vnd.docker.reference.type") == "attestation-manifest":
            continue
        platform = entry.get("platform") or {}
        parts = [platform.get("os"), platform.get("architecture"), platform.get("variant")]
        if not all(isinstance(p, str) for p in parts[:2]) or parts[:2] == ["unknown", "unknown"]:
            continue
        found.setdefault("/".join(p for p in parts if isinstance(p, str) and p), entry["digest"])
    return found
