"""`imagepin lock` over https against a real registry with a certificate from a private CA.

Every registry users reach off their machine speaks TLS; these tests make the client verify a
real server certificate (from a throwaway CA, trusted through SSL_CERT_FILE as httpx reads it),
and check what it says when the certificate is not trusted or when it speaks plain http to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagepin.errors import RegistryUnreachable
from imagepin.registry import RegistryClient

import infra
from helpers import run_cli
from tlsregistry import TlsRegistry

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tls_registry(
    open_registry: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TlsRegistry]:
    with TlsRegistry(tmp_path_factory.mktemp("tls")) as registry:
        yield registry


@pytest.fixture(scope="module")
def pushed(open_registry: str) -> tuple[str, str]:
    """(repository:tag, index digest) of a two-platform index in the shared storage."""
    repository = f"tls/{uuid.uuid4().hex[:10]}"
    digest = infra.push_synthetic(
        open_registry, repository, "1", platforms=("linux/amd64", "linux/arm64/v8")
    )
    return f"{repository}:1", digest


def test_lock_add_over_https_verifies_the_certificate_and_agrees_with_skopeo(
    tls_registry: TlsRegistry, pushed: tuple[str, str], tmp_path: Path, docker_config: Path
) -> None:
    ref = f"{tls_registry.host}/{pushed[0]}"
    lock = tmp_path / "images.lock"
    trusted = {"SSL_CERT_FILE": str(tls_registry.ca)}
    proc = run_cli("lock", "add", ref, "--lock", str(lock), env=trusted)
    assert proc.returncode == 0, proc.stderr

    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--cert-dir", str(tls_registry.cert_dir), f"docker://{ref}"],
        capture_output=True,
        check=True,
    ).stdout
    entry = json.loads(lock.read_text())["images"][ref]
    assert entry["digest"] == "sha256:" + hashlib.sha256(raw).hexdigest() == pushed[1]
    assert entry["registry"] == tls_registry.host
    assert set(entry["platforms"]) == {"linux/amd64", "linux/arm64/v8"}

    # the scheduled drift check over https: nothing moved
    check = run_cli("lock", "check", "--lock", str(lock), env=trusted)
    assert check.returncode == 0, check.stderr


def failed_add(ref: str, lock: Path, *options: str, env: dict[str, str]) -> str:
    """`imagepin lock add` that must fail with exit 2 and write nothing: its message."""
    proc = run_cli("lock", "add", ref, *options, "--lock", str(lock), env=env)
    assert proc.returncode == 2, proc.stderr
    assert not lock.exists()
    return " ".join(proc.stderr.split())


def test_an_untrusted_certificate_names_the_registry_and_how_to_trust_it(
    tls_registry: TlsRegistry, pushed: tuple[str, str], tmp_path: Path, docker_config: Path
) -> None:
    ref = f"{tls_registry.host}/{pushed[0]}"
    # httpx's default bundle (certifi), which does not hold the throwaway CA
    untrusted = {"SSL_CERT_FILE": "", "SSL_CERT_DIR": ""}
    message = failed_add(ref, tmp_path / "images.lock", env=untrusted)
    assert f"cannot reach {tls_registry.host} over https" in message
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert "add that CA to the bundle SSL_CERT_FILE names" in message
    assert "--insecure" not in message  # plain http cannot reach a TLS port


def test_plain_http_to_a_tls_registry_says_it_serves_https(
    tls_registry: TlsRegistry, pushed: tuple[str, str], tmp_path: Path, docker_config: Path
) -> None:
    ref = f"{tls_registry.host}/{pushed[0]}"
    trusted = {"SSL_CERT_FILE": str(tls_registry.ca)}
    insecure = ("--insecure", tls_registry.host)
    message = failed_add(ref, tmp_path / "images.lock", *insecure, env=trusted)
    assert f"{tls_registry.host} serves https" in message
    assert f"remove {tls_registry.host} from --insecure" in message


def test_a_head_over_plain_http_to_a_tls_registry_says_it_serves_https(
    tls_registry: TlsRegistry, pushed: tuple[str, str], docker_config: Path
) -> None:
    # top digests only: a HEAD, which does not read the text Go's TLS port answers with
    client = RegistryClient(insecure=[tls_registry.host])
    with pytest.raises(RegistryUnreachable) as caught:
        client.resolve(f"{tls_registry.host}/{pushed[0]}", platforms=False)
    assert f"{tls_registry.host} serves https" in str(caught.value)
    assert client.requests == 1


def test_top_digest_over_https_is_one_head(
    tls_registry: TlsRegistry,
    pushed: tuple[str, str],
    docker_config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_registry.ca))
    client = RegistryClient()
    resolution = client.resolve(f"{tls_registry.host}/{pushed[0]}", platforms=False)
    assert resolution.digest == pushed[1]
    assert client.requests == 1


def test_concurrent_requests_to_a_tls_registry_go_over_http2(
    tls_registry: TlsRegistry,
    open_registry: str,
    docker_config: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    repository = f"tls/{uuid.uuid4().hex[:10]}"
    tags = [str(i) for i in range(12)]
    for tag in tags:
        infra.push_synthetic(open_registry, repository, tag)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_registry.ca))
    caplog.set_level(logging.DEBUG, logger="imagepin.registry")
    client = RegistryClient()
    client.resolve_all([f"{tls_registry.host}/{repository}:{tag}" for tag in tags])
    answers = [r.getMessage() for r in caplog.records if r.name == "imagepin.registry"]
    assert len(answers) == client.requests == len(tags)
    assert all(a.endswith(": 200 (HTTP/2)") for a in answers), answers

    # a plain-http registry stays on HTTP/1.1 (no h2c)
    caplog.clear()
    RegistryClient().resolve(f"{open_registry}/{repository}:{tags[0]}")
    answers = [r.getMessage() for r in caplog.records if r.name == "imagepin.registry"]
    assert answers and all(a.endswith(": 200 (HTTP/1.1)") for a in answers), answers
