"""The Bearer token flow against a real registry: Debian's `docker-registry` (distribution v2)
with `auth: token`, and a token issuer in this module that signs ES256 JWTs with a key whose
self-signed certificate is the registry's `rootcertbundle` (the JWT header carries it in `x5c`;
distribution's registry/auth/token verifies the chain, `iss`, `aud`, `exp`/`nbf` and `access`).

The test pushes an image (two platform manifests and an OCI index) through the HTTP API with a
push-scoped token, then resolves it with RegistryClient, which must find the realm, ask it for
the right service and scope with the docker config's credentials, and pin the registry's digest.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from imagepin.errors import RegistryAuthError
from imagepin.registry import RegistryClient

from tlsregistry import certificate

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not Path("/usr/bin/docker-registry").exists(),
        reason="/usr/bin/docker-registry is absent: install Debian's docker-registry package",
    ),
]

REGISTRY_BIN = "/usr/bin/docker-registry"
SERVICE = "test-registry"
ISSUER = "imagepin-test"
USER, PASSWORD = "pusher", "token-flow-test-password"  # guards a throwaway loopback registry
REPO = "test/app"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Issuer:
    """Signs registry tokens: pull for anyone, push too for USER:PASSWORD, nothing for others."""

    key: ec.EllipticCurvePrivateKey
    cert_der: bytes
    queries: list[dict[str, list[str]]] = field(default_factory=list)
    authorized: list[bool] = field(default_factory=list)

    def token(self, scopes: list[str], trusted: bool) -> str:
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            allowed = [a for a in actions.split(",") if a == "pull" or trusted]
            access.append({"type": kind, "name": name, "actions": allowed})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        claims = {
            "iss": ISSUER,
            "sub": USER if trusted else "",
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = (
            f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
        )
        r, s = decode_dss_signature(
            self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        )
        return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                sent = self.headers.get("Authorization")
                good = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
                issuer.queries.append(query)
                issuer.authorized.append(sent == good)
                if sent is not None and sent != good:
                    self.answer(401, {"details": "wrong credentials"})
                    return
                token = issuer.token(query.get("scope", []), trusted=sent == good)
                self.answer(200, {"token": token, "expires_in": 300})

            def answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def make_issuer(tmp_path: Path) -> tuple[Issuer, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = certificate(
        "imagepin test token issuer",
        key.public_key(),
        key,
        extensions=[(x509.BasicConstraints(ca=True, path_length=None), True)],
    )
    bundle = tmp_path / "token-cert.pem"
    bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Issuer(key, cert.public_bytes(serialization.Encoding.DER)), bundle


@dataclass
class TokenRegistry:
    host: str
    issuer: Issuer
    realm: str


@pytest.fixture
def token_registry(tmp_path: Path) -> Iterator[TokenRegistry]:
    issuer, bundle = make_issuer(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), issuer.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    realm = f"http://127.0.0.1:{server.server_address[1]}/token"
    host = f"127.0.0.1:{free_port()}"
    config = tmp_path / "registry.yml"
    config.write_text(
        json.dumps(  # YAML is a superset of JSON
            {
                "version": 0.1,
                "log": {"level": "warn", "accesslog": {"disabled": True}},
                "storage": {"filesystem": {"rootdirectory": str(tmp_path / "data")}},
                "http": {"addr": host, "secret": secrets.token_hex(16)},
                "auth": {
                    "token": {
                        "realm": realm,
                        "service": SERVICE,
                        "issuer": ISSUER,
                        "rootcertbundle": str(bundle),
                    }
                },
            }
        )
    )
    log = (tmp_path / "registry.log").open("wb")
    proc = subprocess.Popen([REGISTRY_BIN, "serve", str(config)], stdout=log, stderr=log)
    try:
        wait_for(host, proc, tmp_path / "registry.log")
        yield TokenRegistry(host, issuer, realm)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        server.shutdown()
        server.server_close()


def wait_for(host: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"docker-registry exited {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://{host}/v2/", timeout=1).status_code == 401:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"docker-registry did not answer on {host} within 15s:\n{log.read_text()}")


def push_token(registry: TokenRegistry) -> str:
    answer = httpx.get(
        registry.realm,
        params={"service": SERVICE, "scope": f"repository:{REPO}:pull,push"},
        auth=(USER, PASSWORD),
    )
    answer.raise_for_status()
    token: str = answer.json()["token"]
    return token


def push_blob(http: httpx.Client, data: bytes) -> dict[str, Any]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    started = http.post(f"/v2/{REPO}/blobs/uploads/")
    assert started.status_code == 202, started.text
    location = started.headers["location"]  # its query holds the upload state; params= drops it
    separator = "&" if "?" in location else "?"
    done = http.put(f"{location}{separator}digest={digest}", content=data)
    assert done.status_code == 201, done.text
    return {"digest": digest, "size": len(data)}


def push_manifest(http: httpx.Client, tag: str, body: bytes, media_type: str) -> str:
    answer = http.put(
        f"/v2/{REPO}/manifests/{tag}", content=body, headers={"Content-Type": media_type}
    )
    assert answer.status_code == 201, answer.text
    digest: str = answer.headers["docker-content-digest"]
    return digest


def push_image(registry: TokenRegistry) -> dict[str, str]:
    """Two single-platform manifests and the index over them; returns tag -> digest."""
    headers = {"Authorization": f"Bearer {push_token(registry)}"}
    with httpx.Client(base_url=f"http://{registry.host}", headers=headers) as http:
        assert http.get("/v2/").status_code == 200  # the registry accepted our token
        digests, entries = {}, []
        for arch, variant in (("amd64", None), ("arm", "v7")):
            config = {
                "architecture": arch,
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": []},
            }
            manifest = {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    **push_blob(http, json.dumps(config).encode()),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        **push_blob(http, f"layer for {arch}".encode()),
                    }
                ],
            }
            body = json.dumps(manifest).encode()
            digests[arch] = push_manifest(http, f"1.0-{arch}", body, OCI_MANIFEST)
            platform = {"architecture": arch, "os": "linux"} | (
                {"variant": variant} if variant else {}
            )
            entries.append(
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": digests[arch],
                    "size": len(body),
                    "platform": platform,
                }
            )
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        digests["1.0"] = push_manifest(http, "1.0", json.dumps(index).encode(), OCI_INDEX)
        head = http.head(f"/v2/{REPO}/manifests/1.0", headers={"Accept": OCI_INDEX})
        assert head.headers["docker-content-digest"] == digests["1.0"]
    return digests


def docker_config(tmp_path: Path, host: str, password: str) -> Path:
    path = tmp_path / "docker-config.json"
    auth = base64.b64encode(f"{USER}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": auth}}}))
    return path


def test_resolve_through_a_real_token_flow(token_registry: TokenRegistry, tmp_path: Path) -> None:
    digests = push_image(token_registry)
    token_registry.issuer.queries.clear()
    token_registry.issuer.authorized.clear()
    client = RegistryClient(docker_config=docker_config(tmp_path, token_registry.host, PASSWORD))

    got = client.resolve(f"{token_registry.host}/{REPO}:1.0")

    assert got.digest == digests["1.0"]
    assert got.media_type == OCI_INDEX
    assert got.platforms == {"linux/amd64": digests["amd64"], "linux/arm/v7": digests["arm"]}
    assert got.registry == token_registry.host
    assert token_registry.issuer.queries == [
        {"service": [SERVICE], "scope": [f"repository:{REPO}:pull"]}
    ]
    assert token_registry.issuer.authorized == [True]  # Basic from the docker config
    assert client.requests == 3  # 401 with the challenge, the token, the manifest

    head = client.resolve(f"{token_registry.host}/{REPO}:1.0-arm", platforms=False)
    assert head.digest == digests["arm"]
    assert client.requests == 4  # the token was cached for this scope
    assert len(token_registry.issuer.queries) == 1


def test_anonymous_pull_gets_a_pull_token(token_registry: TokenRegistry, tmp_path: Path) -> None:
    digests = push_image(token_registry)
    token_registry.issuer.authorized.clear()
    client = RegistryClient(docker_config=tmp_path / "no-config.json")
    assert client.resolve(f"{token_registry.host}/{REPO}:1.0-amd64").digest == digests["amd64"]
    assert token_registry.issuer.authorized == [False]


def test_wrong_credentials_name_the_source_and_the_login(
    token_registry: TokenRegistry, tmp_path: Path
) -> None:
    config = docker_config(tmp_path, token_registry.host, "not-the-password")
    client = RegistryClient(docker_config=config)
    with pytest.raises(RegistryAuthError) as caught:
        client.resolve(f"{token_registry.host}/{REPO}:1.0")
    message = str(caught.value)
    assert f"docker config auths for {token_registry.host}" in message
    assert f"docker login {token_registry.host}" in message
    assert "not-the-password" not in message
