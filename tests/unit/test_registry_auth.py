"""Credential sources (docker config, credential helpers, Amazon ECR) and challenge parsing,
each end to end through RegistryClient where a registry is involved."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
from pathlib import Path

import httpx
import pytest
from moto import mock_aws

from imagepin.errors import ConfigError, RegistryAuthError
from imagepin.registry import RegistryClient
from imagepin.registry_auth import (
    ANONYMOUS,
    Challenge,
    Credential,
    CredentialStore,
    docker_config_path,
    parse_challenges,
)

SECRET = "helper-Secret-123"
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"

HELPER = """#!/bin/sh
# a docker credential helper: `get` reads a server URL on stdin, answers JSON on stdout
[ "$1" = get ] || exit 2
read -r server || true
echo "$server" >> "{log}"
case "$server" in
  {known}) printf '{{"ServerURL":"%s","Username":"{user}","Secret":"{secret}"}}' "$server" ;;
  broken.example) echo "pass store is locked" >&2; exit 3 ;;
  garbage.example) echo "Username=x" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
"""


def install_helper(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    known: str,
    user: str = "helper-user",
    name: str = "test",
) -> Path:
    """Write docker-credential-<name> into tmp_path, put it first on PATH; returns its stdin log."""
    log = tmp_path / f"{name}-helper.log"
    script = tmp_path / "bin" / f"docker-credential-{name}"
    script.parent.mkdir(exist_ok=True)
    script.write_text(HELPER.format(log=log, known=known, user=user, secret=SECRET))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    return log


def write_config(tmp_path: Path, config: object) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class BasicRegistry:
    """Serves one manifest to anyone presenting the expected Basic credentials."""

    def __init__(self, expected: str) -> None:
        self.expected = expected
        self.seen: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.headers.get("authorization"))
        if request.headers.get("authorization") != self.expected:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="registry"'})
        body = b'{"schemaVersion":2,"config":{},"layers":[]}'
        media_type = "application/vnd.oci.image.manifest.v1+json"
        return httpx.Response(200, headers={"Content-Type": media_type}, content=body)


# -- docker config --------------------------------------------------------------------------------


def test_docker_config_path_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "dc"))
    assert docker_config_path() == tmp_path / "dc" / "config.json"
    monkeypatch.delenv("DOCKER_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert docker_config_path() == tmp_path / ".docker" / "config.json"
    assert docker_config_path(tmp_path) == tmp_path / "config.json"  # a folder
    assert docker_config_path(tmp_path / "x.json") == tmp_path / "x.json"


def test_auths_entry_with_base64_auth(tmp_path: Path) -> None:
    auth = base64.b64encode(b"alice:pa:ss").decode()  # the password may hold a colon
    config = write_config(tmp_path, {"auths": {"http://127.0.0.1:5001/v2/": {"auth": auth}}})
    found = CredentialStore(config).lookup("127.0.0.1:5001")
    assert (found.username, found.password) == ("alice", "pa:ss")
    assert found.source == f"docker config auths for 127.0.0.1:5001 ({config})"


def test_docker_hub_entries_are_found_under_the_index_url(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, {"auths": {"https://index.docker.io/v1/": {"username": "hub", "password": "pw"}}}
    )
    store = CredentialStore(config)
    for host in ("docker.io", "registry-1.docker.io", "index.docker.io"):
        assert store.lookup(host).username == "hub"
    assert store.lookup("ghcr.io") is ANONYMOUS


def test_an_auths_entry_without_credentials_is_anonymous(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"auths": {"ghcr.io": {}}})
    assert CredentialStore(config).lookup("ghcr.io") is ANONYMOUS


def test_a_missing_docker_config_is_anonymous(tmp_path: Path) -> None:
    assert CredentialStore(tmp_path / "nothing.json").lookup("ghcr.io") is ANONYMOUS


def test_invalid_docker_config_is_a_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=f"docker config {path} cannot be read"):
        CredentialStore(path).lookup("ghcr.io")


def test_an_auth_value_that_is_not_base64_says_to_log_in_again(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"auths": {"ghcr.io": {"auth": "%%%"}}})
    with pytest.raises(
        ConfigError, match=re.escape("not base64 of user:password; run `docker login ghcr.io`")
    ):
        CredentialStore(config).lookup("ghcr.io")


# -- credential helpers ---------------------------------------------------------------------------


def test_cred_helpers_run_the_helper_with_the_host_on_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = install_helper(tmp_path, monkeypatch, known="registry.example")
    config = write_config(
        tmp_path,
        {
            "credHelpers": {"registry.example": "test"},
            "auths": {"registry.example": {"username": "ignored", "password": "ignored"}},
        },
    )
    registry = BasicRegistry(basic("helper-user", SECRET))
    client = RegistryClient(docker_config=config, transport=httpx.MockTransport(registry))
    assert client.resolve("registry.example/team/app:1").digest.startswith("sha256:")
    assert registry.seen == [None, basic("helper-user", SECRET)]
    assert log.read_text() == "registry.example\n"
    assert (
        client._auth.store.lookup("registry.example").source
        == "credential helper docker-credential-test"
    )


def test_creds_store_is_asked_for_docker_hub_under_the_index_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = install_helper(tmp_path, monkeypatch, known="https://index.docker.io/v1/", name="store")
    config = write_config(tmp_path, {"credsStore": "store"})
    found = CredentialStore(config).lookup("registry-1.docker.io")
    assert (found.username, found.password) == ("helper-user", SECRET)
    assert found.source == "credential helper docker-credential-store"
    assert log.read_text() == "https://index.docker.io/v1/\n"


def test_creds_store_not_found_falls_back_to_anonymous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_helper(tmp_path, monkeypatch, known="registry.example")
    config = write_config(tmp_path, {"credsStore": "test"})
    assert CredentialStore(config).lookup("other.example") is ANONYMOUS


def test_a_helper_token_user_is_an_identity_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_helper(tmp_path, monkeypatch, known="registry.example", user="<token>")
    config = write_config(tmp_path, {"credHelpers": {"registry.example": "test"}})
    found = CredentialStore(config).lookup("registry.example")
    assert (found.username, found.identity_token, found.basic()) == (None, SECRET, None)


def test_a_missing_helper_says_to_install_or_remove_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"credsStore": "nosuch-imagepin-test"})
    with pytest.raises(
        RegistryAuthError,
        match=re.escape("nosuch-imagepin-test for x.example, but it is not on PATH: install it"),
    ):
        CredentialStore(config).lookup("x.example")


def test_a_failing_helper_is_an_auth_error_with_its_first_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_helper(tmp_path, monkeypatch, known="registry.example")
    config = write_config(tmp_path, {"credHelpers": {"broken.example": "test"}})
    with pytest.raises(
        RegistryAuthError,
        match=re.escape(
            "docker-credential-test failed for broken.example (exit 3: pass store is locked); "
            "run `docker login broken.example`"
        ),
    ):
        CredentialStore(config).lookup("broken.example")


def test_a_helper_answering_garbage_is_an_auth_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_helper(tmp_path, monkeypatch, known="registry.example")
    config = write_config(tmp_path, {"credHelpers": {"garbage.example": "test"}})
    with pytest.raises(
        RegistryAuthError, match="does not speak the docker credential helper protocol"
    ):
        CredentialStore(config).lookup("garbage.example")


def test_lookups_run_once_per_host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = install_helper(tmp_path, monkeypatch, known="registry.example")
    store = CredentialStore(write_config(tmp_path, {"credsStore": "test"}))
    assert store.lookup("registry.example") == store.lookup("registry.example")
    assert log.read_text().splitlines() == ["registry.example"]


# -- Amazon ECR -----------------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@mock_aws
def test_ecr_hosts_get_a_token_from_boto3(aws: None, tmp_path: Path) -> None:
    registry = BasicRegistry(basic("AWS", "123456789012-auth-token"))  # what moto issues
    client = RegistryClient(
        docker_config=tmp_path / "none.json", transport=httpx.MockTransport(registry)
    )
    got = client.resolve(f"{ECR}/team/app:1")
    assert registry.seen[-1] == basic("AWS", "123456789012-auth-token")
    assert got.registry == ECR
    assert client._auth.store.lookup(ECR).source == "Amazon ECR token via boto3"


@mock_aws
def test_a_docker_config_entry_wins_over_ecr(aws: None, tmp_path: Path) -> None:
    config = write_config(
        tmp_path, {"auths": {ECR: {"username": "AWS", "password": "from-config"}}}
    )
    assert CredentialStore(config).lookup(ECR).password == "from-config"


def test_ecr_without_aws_credentials_says_how_to_configure_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(
        RegistryAuthError,
        match=r"no Amazon ECR token for .*NoCredentialsError.*login-password --region eu-west-1",
    ):
        CredentialStore(tmp_path / "none.json").lookup(ECR)


# -- challenges and secrecy -----------------------------------------------------------------------


def test_parse_challenges_handles_quotes_commas_and_several_schemes() -> None:
    header = (
        'Bearer realm="https://auth.example/token",service="registry.example",'
        'scope="repository:a/b:pull,push" , Basic realm="say \\"hi\\"", Negotiate'
    )
    assert parse_challenges(header) == [
        Challenge(
            "bearer",
            {
                "realm": "https://auth.example/token",
                "service": "registry.example",
                "scope": "repository:a/b:pull,push",
            },
        ),
        Challenge("basic", {"realm": 'say "hi"'}),
        Challenge("negotiate", {}),
    ]
    assert parse_challenges("BASIC realm=plain") == [Challenge("basic", {"realm": "plain"})]
    assert parse_challenges("") == []


def test_a_401_without_a_usable_challenge_is_an_auth_error(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, headers={"WWW-Authenticate": "Negotiate"})

    client = RegistryClient(
        docker_config=tmp_path / "c.json", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(RegistryAuthError, match="without a Basic or Bearer challenge"):
        client.resolve("registry.example/a:1")


def test_credentials_keep_secrets_out_of_repr() -> None:
    credential = Credential("docker config auths for x", username="alice", password=SECRET)
    token = Credential("credential helper docker-credential-x", identity_token=SECRET)
    for text in (repr(credential), str(credential), repr(token), str(token)):
        assert SECRET not in text and "alice" not in text
    assert credential.basic() == basic("alice", SECRET)
    assert ANONYMOUS.basic() is None
