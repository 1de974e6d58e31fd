"""RegistryClient against an in-memory registry (httpx.MockTransport): manifests, digests, auth,
faults, mirrors and concurrency. Credential sources have their own module, test_registry_auth."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from imagepin.errors import (
    ConfigError,
    DigestMismatch,
    ManifestNotFound,
    RegistryAuthError,
    RegistryError,
    RegistryProtocolError,
    RegistryUnavailable,
    RegistryUnreachable,
    UnsupportedMediaType,
)
from imagepin.refs import ImageReference
from imagepin.registry import MANIFEST_MEDIA_TYPES, RegistryClient, Resolution, is_loopback

OCI_INDEX, DOCKER_LIST, DOCKER_MANIFEST, OCI_MANIFEST = MANIFEST_MEDIA_TYPES
REGISTRY = "registry.example"
REALM = "https://auth.example/token"
SECRET = "s3cret-Pa55word"
TOKEN = "registry-token-abc"
PATH = "/v2/team/app/manifests/1.0"


def manifest(media_type: str = DOCKER_MANIFEST, size: int = 1) -> bytes:
    doc = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": "sha256:" + "c" * 64,
            "size": size,
        },
        "layers": [],
    }
    return json.dumps(doc).encode()


def index(entries: list[dict[str, Any]], media_type: str = OCI_INDEX) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": entries}).encode()


def entry(
    digest: str, os: str, arch: str, variant: str | None = None, **extra: Any
) -> dict[str, Any]:
    platform = {"os": os, "architecture": arch} | ({"variant": variant} if variant else {})
    return {"mediaType": OCI_MANIFEST, "digest": digest, "size": 500, "platform": platform, **extra}


def sha(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


class FakeRegistry:
    """An in-memory registry and token service, recording every request it is sent."""

    def __init__(self) -> None:
        self.manifests: dict[tuple[str, str], tuple[bytes, str]] = {}
        self.requests: list[httpx.Request] = []
        self.basic: tuple[str, str] | None = None  # require HTTP Basic with these
        self.bearer = False  # require a token from REALM
        self.token_queries: list[dict[str, str]] = []
        self.token_expires_in: int | None = 300
        self.omit_digest = False
        self.claimed_digest: str | None = None
        self.content_type: str | None = None
        self.faults: list[httpx.Response | Exception] = []  # served (in order) before anything

    def add(self, repo: str, tag: str, body: bytes, media_type: str = DOCKER_MANIFEST) -> str:
        digest = sha(body)
        self.manifests[(repo, tag)] = self.manifests[(repo, digest)] = (body, media_type)
        return digest

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.faults:
            fault = self.faults.pop(0)
            if isinstance(fault, Exception):
                raise fault
            return fault
        if request.url.host == "auth.example":
            return self.token(request)
        if (denied := self.check_auth(request)) is not None:
            return denied
        return self.serve(request)

    def token(self, request: httpx.Request) -> httpx.Response:
        self.token_queries.append(dict(request.url.params))
        if self.basic and request.headers.get("authorization") != basic_header(*self.basic):
            return httpx.Response(401, json={"details": "bad credentials"})
        body: dict[str, Any] = {"access_token": TOKEN}
        if self.token_expires_in is not None:
            body["expires_in"] = self.token_expires_in
        return httpx.Response(200, json=body)

    def check_auth(self, request: httpx.Request) -> httpx.Response | None:
        sent = request.headers.get("authorization")
        if self.bearer and sent != f"Bearer {TOKEN}":
            scope = f"repository:{request.url.path.split('/manifests/')[0][4:]}:pull"
            challenge = f'Bearer realm="{REALM}",service="{REGISTRY}",scope="{scope}"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        if not self.bearer and self.basic and sent != basic_header(*self.basic):
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="fake"'})
        return None

    def serve(self, request: httpx.Request) -> httpx.Response:
        repo, _, ref = request.url.path.removeprefix("/v2/").partition("/manifests/")
        if (repo, ref) not in self.manifests:
            known = any(r == repo for r, _ in self.manifests)
            code = "MANIFEST_UNKNOWN" if known else "NAME_UNKNOWN"
            return httpx.Response(404, json={"errors": [{"code": code, "message": "unknown"}]})
        body, media_type = self.manifests[(repo, ref)]
        headers = {"Content-Type": self.content_type or media_type}
        if not self.omit_digest:
            headers["Docker-Content-Digest"] = self.claimed_digest or sha(body)
        if request.method == "HEAD":
            return httpx.Response(200, headers=headers | {"Content-Length": str(len(body))})
        return httpx.Response(200, headers=headers, content=body)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.host}{r.url.path}" for r in self.requests]


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def fake() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def make(fake: FakeRegistry, tmp_path: Path) -> Callable[..., RegistryClient]:
    def build(**kwargs: Any) -> RegistryClient:
        kwargs.setdefault("docker_config", tmp_path / "config.json")
        kwargs.setdefault("transport", httpx.MockTransport(fake))
        return RegistryClient(**kwargs)

    return build


def write_config(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


# -- manifests, media types, digests ---------------------------------------------------------


@pytest.mark.parametrize("media_type", MANIFEST_MEDIA_TYPES)
def test_each_manifest_media_type_resolves_to_the_sha256_of_its_bytes(
    fake: FakeRegistry, make: Callable[..., RegistryClient], media_type: str
) -> None:
    is_index = media_type in (OCI_INDEX, DOCKER_LIST)
    body = index([], media_type) if is_index else manifest(media_type)
    digest = fake.add("team/app", "1.0", body, media_type)
    got = make().resolve(f"{REGISTRY}/team/app:1.0")
    assert got == Resolution(
        reference=ImageReference.parse(f"{REGISTRY}/team/app:1.0"),
        digest=digest,
        media_type=media_type,
        platforms={},
        registry=REGISTRY,
    )
    assert fake.requests[0].headers["accept"].split(", ") == list(MANIFEST_MEDIA_TYPES)


def test_index_platforms_carry_variants_and_skip_attestations(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    d = {name: "sha256:" + ch * 64 for name, ch in zip("abcdefg", "1234567", strict=True)}
    attestation = {"vnd.docker.reference.type": "attestation-manifest"}
    body = index(
        [
            entry(d["a"], "linux", "amd64"),
            entry(d["b"], "linux", "arm", "v7"),
            entry(d["c"], "linux", "arm64", "v8"),
            entry(d["d"], "unknown", "unknown", annotations=attestation),
            entry(d["e"], "linux", "386", annotations=attestation),
            entry(d["f"], "unknown", "unknown"),
            entry(d["g"], "linux", "amd64"),  # a duplicate platform: the first one wins
        ],
        DOCKER_LIST,
    )
    fake.add("library/python", "3.12", body, DOCKER_LIST)
    got = make(mirror="127.0.0.1:5000").resolve("python:3.12")
    assert got.platforms == {
        "linux/amd64": d["a"],
        "linux/arm/v7": d["b"],
        "linux/arm64/v8": d["c"],
    }
    assert got.media_type == DOCKER_LIST


def test_head_costs_one_request_and_get_costs_one_request(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    digest = fake.add(
        "team/app", "1.0", index([entry("sha256:" + "a" * 64, "linux", "amd64")]), OCI_INDEX
    )
    client = make()
    head = client.resolve(f"{REGISTRY}/team/app:1.0", platforms=False)
    assert (head.digest, head.platforms, client.requests) == (digest, {}, 1)
    full = client.resolve(f"{REGISTRY}/team/app:1.0")
    assert (full.digest, list(full.platforms), client.requests) == (digest, ["linux/amd64"], 2)
    assert [r.method for r in fake.requests] == ["HEAD", "GET"]


def test_a_reference_with_a_digest_is_fetched_by_digest(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    digest = fake.add("team/app", "1.0", manifest())
    got = make().resolve(f"{REGISTRY}/team/app:1.0@{digest}")
    assert got.digest == digest
    assert fake.paths() == [f"GET {REGISTRY}/v2/team/app/manifests/{digest}"]


def test_a_header_digest_that_does_not_match_the_bytes_is_refused(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.claimed_digest = "sha256:" + "0" * 64
    with pytest.raises(DigestMismatch, match="refusing to pin it") as caught:
        make().resolve(f"{REGISTRY}/team/app:1.0")
    assert "0" * 64 in str(caught.value) and "--mirror" in str(caught.value)


def test_bytes_that_do_not_match_the_reference_digest_are_refused(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    wanted = "sha256:" + "e" * 64
    fake.manifests[("team/app", wanted)] = (manifest(), DOCKER_MANIFEST)
    fake.omit_digest = True
    with pytest.raises(DigestMismatch, match=f"does not hash to {wanted} as the reference says"):
        make().resolve(f"{REGISTRY}/team/app@{wanted}")


def test_head_digest_other_than_the_reference_digest_is_refused(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    wanted = "sha256:" + "e" * 64
    fake.manifests[("team/app", wanted)] = (manifest(), DOCKER_MANIFEST)
    with pytest.raises(DigestMismatch, match=f"asks for {wanted}"):
        make().resolve(f"{REGISTRY}/team/app@{wanted}", platforms=False)


def test_without_docker_content_digest_the_digest_is_the_sha256_of_the_body(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    digest = fake.add("team/app", "1.0", manifest())
    fake.omit_digest = True
    client = make()
    assert client.resolve(f"{REGISTRY}/team/app:1.0").digest == digest
    assert client.resolve(f"{REGISTRY}/team/app:1.0", platforms=False).digest == digest
    assert [r.method for r in fake.requests] == ["GET", "HEAD", "GET"]  # HEAD fell back to GET


def test_a_generic_content_type_uses_the_manifest_media_type(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest(OCI_MANIFEST))
    fake.content_type = "application/json"
    assert make().resolve(f"{REGISTRY}/team/app:1.0").media_type == OCI_MANIFEST


def test_a_schema1_manifest_is_a_clear_error(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add(
        "team/app",
        "old",
        b'{"schemaVersion": 1}',
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
    )
    with pytest.raises(UnsupportedMediaType, match=r"Docker schema 1.*re-push the image"):
        make().resolve(f"{REGISTRY}/team/app:old")


def test_malformed_json_is_a_protocol_error(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", b'{"schemaVersion": 2, "manifests": [', OCI_INDEX)
    with pytest.raises(RegistryProtocolError, match=r"not a JSON object.*--mirror"):
        make().resolve(f"{REGISTRY}/team/app:1.0")


def test_an_index_without_descriptor_digests_is_a_protocol_error(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", json.dumps({"manifests": [{"platform": {}}]}).encode(), OCI_INDEX)
    with pytest.raises(RegistryProtocolError, match="not a list of descriptors"):
        make().resolve(f"{REGISTRY}/team/app:1.0")


# -- hosts: scheme, mirror ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost:5000", True),
        ("127.0.0.1:5000", True),
        ("127.9.8.7", True),
        ("[::1]:5000", True),
        ("registry.example", False),
        ("10.0.0.1:5000", False),
        ("[2001:db8::1]:443", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_https_by_default_http_for_loopback_and_insecure_hosts(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    client = make(insecure=["plain.example:5000", "other.example"])
    for host in ("registry.example", "127.0.0.1:5000", "plain.example:5000", "other.example"):
        client.resolve(f"{host}/team/app:1.0")
    assert [str(r.url).split("/v2/")[0] for r in fake.requests] == [
        "https://registry.example",
        "http://127.0.0.1:5000",
        "http://plain.example:5000",
        "http://other.example",
    ]


def test_docker_hub_goes_to_registry_1_without_a_mirror(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("library/python", "3.12-slim", manifest())
    got = make().resolve("python:3.12-slim")
    assert fake.paths() == ["GET registry-1.docker.io/v2/library/python/manifests/3.12-slim"]
    assert str(fake.requests[0].url).startswith("https://")
    assert got.registry == "registry-1.docker.io"


def test_a_mirror_serves_docker_hub_references_only(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("library/python", "3.12-slim-bookworm", manifest())
    fake.add("team/app", "1.0", manifest())
    client = make(mirror="127.0.0.1:5000")
    hub = client.resolve("python:3.12-slim-bookworm")
    other = client.resolve(f"{REGISTRY}/team/app:1.0")
    assert fake.paths() == [
        "GET 127.0.0.1/v2/library/python/manifests/3.12-slim-bookworm",
        f"GET {REGISTRY}/v2/team/app/manifests/1.0",
    ]
    assert str(fake.requests[0].url).startswith("http://127.0.0.1:5000/")
    assert str(hub.reference) == "docker.io/library/python:3.12-slim-bookworm"
    assert (hub.registry, other.registry) == ("127.0.0.1:5000", REGISTRY)


def test_a_mirror_given_with_a_scheme_keeps_it(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("library/python", "3.12", manifest())
    make(mirror="https://127.0.0.1:5443/").resolve("python:3.12")
    assert str(fake.requests[0].url) == "https://127.0.0.1:5443/v2/library/python/manifests/3.12"


def test_a_mirror_with_a_path_is_a_config_error(make: Callable[..., RegistryClient]) -> None:
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "--mirror takes a host[:port] like 127.0.0.1:5000, not 'mirror.example/v2/hub'"
        ),
    ):
        make(mirror="mirror.example/v2/hub")


# -- authentication ------------------------------------------------------------------------------


def test_anonymous_registries_get_no_authorization(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    make().resolve(f"{REGISTRY}/team/app:1.0")
    assert "authorization" not in fake.requests[0].headers


def test_basic_auth_from_docker_config_auths(
    fake: FakeRegistry, make: Callable[..., RegistryClient], tmp_path: Path
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.basic = ("alice", SECRET)
    auth = base64.b64encode(f"alice:{SECRET}".encode()).decode()
    config = write_config(tmp_path, {"auths": {f"https://{REGISTRY}": {"auth": auth}}})
    client = make(docker_config=config)
    client.resolve(f"{REGISTRY}/team/app:1.0")
    client.resolve(f"{REGISTRY}/team/app:1.0")
    statuses = [r.headers.get("authorization") for r in fake.requests]
    # the first request is challenged; after that Basic goes up front
    assert statuses == [None, basic_header("alice", SECRET), basic_header("alice", SECRET)]


def test_basic_auth_from_username_and_password_fields(
    fake: FakeRegistry, make: Callable[..., RegistryClient], tmp_path: Path
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.basic = ("bob", SECRET)
    config = write_config(tmp_path, {"auths": {REGISTRY: {"username": "bob", "password": SECRET}}})
    assert make(docker_config=config).resolve(f"{REGISTRY}/team/app:1.0").digest


def test_basic_challenge_without_credentials_says_how_to_log_in(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.basic = ("alice", SECRET)
    with pytest.raises(
        RegistryAuthError, match=f"no credentials were found \\(anonymous.*docker login {REGISTRY}"
    ):
        make().resolve(f"{REGISTRY}/team/app:1.0")


def test_bearer_token_dance_caches_the_token_per_host_and_scope(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.add("team/app", "2.0", manifest(size=2))
    fake.add("team/other", "1.0", manifest(size=3))
    fake.bearer = True
    client = make()
    client.resolve(f"{REGISTRY}/team/app:1.0")
    client.resolve(f"{REGISTRY}/team/app:2.0")
    client.resolve(f"{REGISTRY}/team/other:1.0", platforms=False)
    assert fake.token_queries == [
        {"service": REGISTRY, "scope": "repository:team/app:pull"},
        # a new scope on a host whose challenge is known: the token comes first, no 401
        {"service": REGISTRY, "scope": "repository:team/other:pull"},
    ]
    assert [f"{r.method} {r.url.host}" for r in fake.requests] == [
        f"GET {REGISTRY}",  # 401
        "GET auth.example",
        f"GET {REGISTRY}",
        f"GET {REGISTRY}",  # cached token
        "GET auth.example",
        f"HEAD {REGISTRY}",
    ]
    assert client.requests == 6
    assert "authorization" not in fake.requests[1].headers  # anonymous token request


def test_bearer_tokens_are_fetched_again_once_expired(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.bearer = True
    fake.token_expires_in = 0
    client = make()
    client.resolve(f"{REGISTRY}/team/app:1.0")
    client.resolve(f"{REGISTRY}/team/app:1.0")
    assert len(fake.token_queries) == 2


def test_bearer_token_request_carries_basic_credentials(
    fake: FakeRegistry, make: Callable[..., RegistryClient], tmp_path: Path
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.bearer, fake.basic = True, ("alice", SECRET)
    config = write_config(
        tmp_path, {"auths": {REGISTRY: {"username": "alice", "password": SECRET}}}
    )
    make(docker_config=config).resolve(f"{REGISTRY}/team/app:1.0")
    token_request = next(r for r in fake.requests if r.url.host == "auth.example")
    assert token_request.headers["authorization"] == basic_header("alice", SECRET)
    assert "alice" not in str(token_request.url)  # no account name in URLs (they get logged)


def test_identity_token_uses_the_refresh_token_grant(
    fake: FakeRegistry, make: Callable[..., RegistryClient], tmp_path: Path
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.bearer = True
    config = write_config(tmp_path, {"auths": {REGISTRY: {"identitytoken": SECRET}}})
    make(docker_config=config).resolve(f"{REGISTRY}/team/app:1.0")
    token_request = next(r for r in fake.requests if r.url.host == "auth.example")
    form = dict(httpx.QueryParams(token_request.content.decode()))
    assert token_request.method == "POST"
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": SECRET,
        "client_id": "imagepin",
        "service": REGISTRY,
        "scope": "repository:team/app:pull",
    }


def test_a_rejected_token_request_names_the_source_and_the_fix(
    fake: FakeRegistry, make: Callable[..., RegistryClient], tmp_path: Path
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.bearer, fake.basic = True, ("alice", "another-password")
    config = write_config(
        tmp_path, {"auths": {REGISTRY: {"username": "alice", "password": SECRET}}}
    )
    with pytest.raises(RegistryAuthError) as caught:
        make(docker_config=config).resolve(f"{REGISTRY}/team/app:1.0")
    message = str(caught.value)
    assert f"docker config auths for {REGISTRY}" in message
    assert f"docker login {REGISTRY}" in message
    assert SECRET not in message and SECRET not in repr(caught.value)


def test_a_token_response_without_a_token_is_a_protocol_error(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.bearer = True
    fake.faults = [
        httpx.Response(401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}",service="x"'}),
        httpx.Response(200, json={"nothing": "here"}),
    ]
    with pytest.raises(RegistryProtocolError, match="without a JSON token"):
        make().resolve(f"{REGISTRY}/team/app:1.0")


# -- faults ----------------------------------------------------------------------------------------


def test_connection_refused_names_the_host_and_what_to_check(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.ConnectError("[Errno 111] Connection refused")]
    with pytest.raises(RegistryUnreachable) as caught:
        make(mirror="127.0.0.1:5999").resolve("python:3.12")
    message = str(caught.value)
    assert "cannot reach 127.0.0.1:5999" in message and "Connection refused" in message
    assert "--mirror" in message and "--insecure" in message


def test_a_dropped_connection_is_retried(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.faults = [httpx.RemoteProtocolError("Server disconnected"), httpx.ReadError("reset")]
    sleeps = Sleeps()
    client = make(sleep=sleeps, backoff=1.0)
    assert client.resolve(f"{REGISTRY}/team/app:1.0").digest
    assert len(sleeps.delays) == 2 and client.requests == 3


def test_a_connection_that_keeps_dropping_fails_after_the_retries(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.RemoteProtocolError("Server disconnected")] * 5
    sleeps = Sleeps()
    with pytest.raises(
        RegistryUnreachable, match=re.escape("Server disconnected. Is the registry running")
    ):
        make(sleep=sleeps, max_retries=2).resolve(f"{REGISTRY}/team/app:1.0")
    assert len(sleeps.delays) == 2 and len(fake.requests) == 3


def test_tls_to_a_plain_http_registry_suggests_insecure(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number")]
    with pytest.raises(
        RegistryUnreachable, match=f"if {REGISTRY} serves plain http, list it in --insecure"
    ):
        make().resolve(f"{REGISTRY}/team/app:1.0")


def test_an_unverified_certificate_says_how_to_trust_a_private_ca(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [
        httpx.ConnectError(
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
            "issuer certificate (_ssl.c:1006)"
        )
    ]
    with pytest.raises(RegistryUnreachable) as caught:
        make().resolve(f"{REGISTRY}/team/app:1.0")
    message = str(caught.value)
    assert "add that CA to the bundle SSL_CERT_FILE names" in message
    assert "--insecure" not in message  # plain http would not reach a TLS registry


@pytest.mark.parametrize(
    ("host", "options", "fix"),
    [
        ("10.0.0.7:5443", {"insecure": ["10.0.0.7:5443"]}, "remove 10.0.0.7:5443 from --insecure"),
        ("127.0.0.1:5443", {}, "give it as --mirror https://127.0.0.1:5443"),
    ],
)
def test_plain_http_answered_by_a_tls_server_says_it_serves_https(
    fake: FakeRegistry,
    make: Callable[..., RegistryClient],
    host: str,
    options: dict[str, Any],
    fix: str,
) -> None:
    # what Go's net/http answers a plain-http request on a TLS port: a bare HTTP/1.0 400 with a
    # line of text, which a HEAD does not read
    body = b"Client sent an HTTP request to an HTTPS server.\n"
    bare = {"http_version": b"HTTP/1.0"}
    for platforms, answer in (
        (True, httpx.Response(400, content=body, extensions=bare)),
        (False, httpx.Response(400, extensions=bare)),
    ):
        fake.faults = [answer]
        with pytest.raises(RegistryUnreachable) as caught:
            make(**options).resolve(f"{host}/team/app:1.0", platforms=platforms)
        assert f"{host} serves https, but imagepin spoke plain http to it" in str(caught.value)
        assert fix in str(caught.value)
        assert fake.requests[-1].url.scheme == "http"


def test_a_registrys_own_400_is_not_taken_for_a_tls_port(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.Response(400, json={"errors": [{"code": "MANIFEST_INVALID"}]})]
    with pytest.raises(RegistryProtocolError, match="answered 400 Bad Request to HEAD"):
        make(insecure=["10.0.0.7:5000"]).resolve("10.0.0.7:5000/team/app:1.0", platforms=False)


def test_a_timeout_names_the_host_and_the_limit(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.ReadTimeout("timed out")]
    with pytest.raises(
        RegistryUnreachable,
        match=f"reach {REGISTRY} over https for GET {PATH}: timed out, no answer within 2.5s",
    ):
        make(timeout=2.5).resolve(f"{REGISTRY}/team/app:1.0")


def test_401_after_authenticating_names_registry_source_and_login(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.bearer = True
    fake.token_expires_in = 300
    challenge = {"WWW-Authenticate": f'Bearer realm="{REALM}",service="{REGISTRY}"'}
    fake.faults = [
        httpx.Response(401, headers=challenge),
        httpx.Response(200, json={"token": "x"}),
        httpx.Response(401, headers=challenge),
    ]
    with pytest.raises(RegistryAuthError) as caught:
        make().resolve(f"{REGISTRY}/team/app:1.0")
    assert str(caught.value) == (
        f"{REGISTRY} refused to serve {REGISTRY}/team/app:1.0 (401 Unauthorized) "
        f"anonymously: run `docker login {REGISTRY}` with an account that can pull "
        "team/app"
    )


def test_401_from_docker_hub_mentions_missing_repositories(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    challenge = {"WWW-Authenticate": f'Bearer realm="{REALM}",service="registry.docker.io"'}
    fake.faults = [
        httpx.Response(401, headers=challenge),
        httpx.Response(200, json={"token": "x"}),
        httpx.Response(401, headers=challenge),
    ]
    with pytest.raises(
        RegistryAuthError,
        match=r"run `docker login` .*Docker Hub says 401 for missing repositories too",
    ):
        make().resolve("nosuchuser/nosuchimage:1")


def test_403_names_the_repository_and_how_to_get_access(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.Response(403, json={"errors": [{"code": "DENIED"}]})]
    with pytest.raises(
        RegistryAuthError,
        match=f"denied pull access to team/app .*403 Forbidden.*docker login {REGISTRY}",
    ):
        make().resolve(f"{REGISTRY}/team/app:1.0")


def test_404_says_when_the_tag_is_missing(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    with pytest.raises(ManifestNotFound) as caught:
        make().resolve(f"{REGISTRY}/team/app:9.9")
    assert str(caught.value) == (
        f"{REGISTRY}/team/app:9.9 not found: the tag 9.9 does not exist in {REGISTRY}/team/app "
        "(MANIFEST_UNKNOWN; the repository exists); pick an existing tag or push it first"
    )


def test_404_says_when_the_repository_is_missing(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    with pytest.raises(
        ManifestNotFound,
        match=f"the repository team/nope does not exist on {REGISTRY} \\(NAME_UNKNOWN\\)",
    ):
        make().resolve(f"{REGISTRY}/team/nope:1.0")


def test_404_on_head_says_the_registry_did_not_say_which(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    with pytest.raises(
        ManifestNotFound, match="without saying whether the tag or the repository is missing"
    ):
        make().resolve(f"{REGISTRY}/team/nope:1.0", platforms=False)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def test_429_honours_retry_after(fake: FakeRegistry, make: Callable[..., RegistryClient]) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.faults = [
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(429, headers={"Retry-After": "3"}),
    ]
    sleeps = Sleeps()
    client = make(sleep=sleeps, backoff=0.01)
    assert client.resolve(f"{REGISTRY}/team/app:1.0").digest
    assert sleeps.delays == [7.0, 3.0]
    assert client.requests == 3


def test_500_then_success_retries_with_growing_jittered_backoff(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.faults = [httpx.Response(500), httpx.Response(502), httpx.Response(503)]
    sleeps = Sleeps()
    client = make(sleep=sleeps, backoff=1.0)
    assert client.resolve(f"{REGISTRY}/team/app:1.0").digest
    assert client.requests == 4
    first, second, third = sleeps.delays
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0 and 2.0 <= third <= 4.0


def test_backoff_is_capped(fake: FakeRegistry, make: Callable[..., RegistryClient]) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.faults = [httpx.Response(503)] * 3
    sleeps = Sleeps()
    make(sleep=sleeps, backoff=100.0).resolve(f"{REGISTRY}/team/app:1.0")
    assert sleeps.delays == [30.0, 30.0, 30.0]


def test_persistent_5xx_names_the_status_and_the_attempts(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.Response(503)] * 10
    sleeps = Sleeps()
    with pytest.raises(
        RegistryUnavailable,
        match=re.escape(f"{REGISTRY} answered 503 Service Unavailable to GET {PATH} 3 time(s)"),
    ):
        make(sleep=sleeps, max_retries=2, backoff=0.01).resolve(f"{REGISTRY}/team/app:1.0")
    assert len(sleeps.delays) == 2


def test_a_retry_after_over_the_cap_fails_at_once(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.Response(429, headers={"Retry-After": "3600"})]
    sleeps = Sleeps()
    with pytest.raises(
        RegistryUnavailable,
        match=r"429 Too Many Requests .*1 time\(s\).*asked for 3600s more .*run `docker login",
    ):
        make(sleep=sleeps).resolve(f"{REGISTRY}/team/app:1.0")
    assert sleeps.delays == []


def test_real_sleeps_are_short_with_a_small_backoff(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.add("team/app", "1.0", manifest())
    fake.faults = [httpx.Response(500), httpx.Response(500)]
    started = time.monotonic()
    make(backoff=0.05).resolve(f"{REGISTRY}/team/app:1.0")
    assert 0.05 <= time.monotonic() - started < 1.0  # 0.025-0.05 then 0.05-0.1 seconds


def test_a_redirect_to_another_host_drops_authorization(
    fake: FakeRegistry, make: Callable[..., RegistryClient], tmp_path: Path
) -> None:
    body = manifest()
    fake.basic = ("alice", SECRET)
    config = write_config(
        tmp_path, {"auths": {REGISTRY: {"username": "alice", "password": SECRET}}}
    )
    fake.faults = [
        httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}),
        httpx.Response(307, headers={"Location": "/v2/team/app/manifests/moved"}),
        httpx.Response(302, headers={"Location": "https://cdn.example/blob?sig=1"}),
        httpx.Response(200, headers={"Content-Type": DOCKER_MANIFEST}, content=body),
    ]
    got = make(docker_config=config).resolve(f"{REGISTRY}/team/app:1.0")
    assert got.digest == sha(body)
    assert [(r.url.host, r.headers.get("authorization")) for r in fake.requests] == [
        (REGISTRY, None),
        (REGISTRY, basic_header("alice", SECRET)),
        (REGISTRY, basic_header("alice", SECRET)),  # same host: kept
        ("cdn.example", None),  # another host: dropped
    ]


def test_a_401_after_a_cross_host_redirect_is_not_answered(
    fake: FakeRegistry, make: Callable[..., RegistryClient], tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, {"auths": {REGISTRY: {"username": "alice", "password": SECRET}}}
    )
    fake.faults = [
        httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}),
        httpx.Response(302, headers={"Location": "https://elsewhere.example/v2/x"}),
        httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="elsewhere"'}),
    ]
    with pytest.raises(
        RegistryAuthError, match=re.escape("redirected to elsewhere.example, which")
    ):
        make(docker_config=config).resolve(f"{REGISTRY}/team/app:1.0")
    assert [(r.url.host, "authorization" in r.headers) for r in fake.requests] == [
        (REGISTRY, False),
        (REGISTRY, True),
        ("elsewhere.example", False),
    ]


def test_a_challenge_from_a_redirect_target_is_never_answered(
    fake: FakeRegistry, make: Callable[..., RegistryClient], tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, {"auths": {REGISTRY: {"username": "alice", "password": SECRET}}}
    )
    evil = 'Bearer realm="https://evil.example/token",service="x"'
    fake.faults = [
        httpx.Response(302, headers={"Location": "https://elsewhere.example/v2/x"}),
        httpx.Response(401, headers={"WWW-Authenticate": evil}),
    ]
    with pytest.raises(RegistryAuthError, match=re.escape("never sends registry.example's")):
        make(docker_config=config).resolve(f"{REGISTRY}/team/app:1.0")
    assert [r.url.host for r in fake.requests] == [REGISTRY, "elsewhere.example"]


def test_endless_redirects_are_a_protocol_error(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.Response(302, headers={"Location": f"/hop/{i}"}) for i in range(10)]
    with pytest.raises(
        RegistryProtocolError, match=r"redirected more than 5 times: .*misconfigured"
    ):
        make().resolve(f"{REGISTRY}/team/app:1.0")


def test_an_unexpected_status_is_a_protocol_error(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    fake.faults = [httpx.Response(418)]
    with pytest.raises(
        RegistryProtocolError, match=r"answered 418 I'm a teapot .*check that registry.example is"
    ):
        make().resolve(f"{REGISTRY}/team/app:1.0")


# -- concurrency ----------------------------------------------------------------------------------


class InFlight:
    """An async transport that holds each request a moment and records the most at once."""

    def __init__(self, registry: FakeRegistry, delay: float) -> None:
        self.registry, self.delay = registry, delay
        self.now = self.most = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(self.delay)
            return self.registry(request)
        finally:
            self.now -= 1


def test_resolve_all_is_concurrent_bounded_and_ordered(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    digests = [fake.add("library/python", f"3.{i}", manifest(size=i)) for i in range(50)]
    fake.bearer = True
    flight = InFlight(fake, 0.02)
    client = make(mirror="127.0.0.1:5000", concurrency=8, transport=httpx.MockTransport(flight))
    done: list[str] = []
    started = time.monotonic()
    got = client.resolve_all(
        [f"python:3.{i}" for i in range(50)], on_done=lambda r: done.append(r.digest)
    )
    elapsed = time.monotonic() - started
    assert [r.digest for r in got] == digests
    assert sorted(done) == sorted(digests)
    assert 1 < flight.most <= 8
    assert len(fake.token_queries) == 1  # one token for the one scope
    assert client.requests == 52  # probe 401, token, 50 manifests
    assert elapsed < 50 * 0.02  # far below one round trip per reference in a row


def test_aresolve_calls_share_the_concurrency_bound(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    for i in range(12):
        fake.add("team/app", str(i), manifest(size=i))
    flight = InFlight(fake, 0.01)
    client = make(concurrency=3, transport=httpx.MockTransport(flight))

    async def many() -> list[Resolution]:
        return list(
            await asyncio.gather(*(client.aresolve(f"{REGISTRY}/team/app:{i}") for i in range(12)))
        )

    assert len(asyncio.run(many())) == 12
    assert 1 < flight.most <= 3


def test_resolve_all_raises_the_first_error_and_cancels_the_rest(
    fake: FakeRegistry, make: Callable[..., RegistryClient]
) -> None:
    for i in range(20):
        fake.add("team/app", str(i), manifest(size=i))
    flight = InFlight(fake, 0.05)
    client = make(concurrency=4, transport=httpx.MockTransport(flight))
    refs = [f"{REGISTRY}/team/app:{i}" for i in range(20)]
    refs[1] = f"{REGISTRY}/team/app:missing"
    done: list[Resolution] = []
    with pytest.raises(ManifestNotFound, match="missing"):
        client.resolve_all(refs, on_done=done.append)
    assert len(done) < 19
    assert client.requests < 21


def test_resolve_all_of_nothing_is_nothing(make: Callable[..., RegistryClient]) -> None:
    assert make().resolve_all([]) == []


# -- secrets -------------------------------------------------------------------------------------


def test_no_secret_reaches_a_message_or_a_repr(
    fake: FakeRegistry, make: Callable[..., RegistryClient], tmp_path: Path
) -> None:
    config = write_config(
        tmp_path, {"auths": {REGISTRY: {"username": "alice", "password": SECRET}}}
    )
    encoded = base64.b64encode(f"alice:{SECRET}".encode()).decode()
    fake.add("team/app", "1.0", manifest())
    scenarios: list[list[httpx.Response | Exception]] = [
        [
            httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}),
            httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}),
        ],
        [httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}), httpx.Response(403)],
        [
            httpx.Response(401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'}),
            httpx.Response(401),
        ],
        [
            httpx.Response(401, headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'}),
            httpx.Response(200, text="not json"),
        ],
        [
            httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}),
            httpx.ConnectError("refused"),
        ],
        [
            httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}),
            httpx.Response(503),
            httpx.Response(503),
        ],
    ]
    texts: list[str] = []
    for faults in scenarios:
        fake.faults = list(faults)
        client = make(docker_config=config, max_retries=1, sleep=Sleeps())
        with pytest.raises(RegistryError) as caught:
            client.resolve(f"{REGISTRY}/team/app:1.0")
        texts += [str(caught.value), repr(caught.value), repr(client.__dict__)]
    good = make(docker_config=config)
    fake.basic = ("alice", SECRET)
    texts.append(repr(good.resolve(f"{REGISTRY}/team/app:1.0")))
    texts.append(repr(good.__dict__) + repr(good._auth.__dict__))
    assert len(texts) == 20
    for text in texts:
        assert SECRET not in text and encoded not in text
