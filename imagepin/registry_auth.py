"""Registry credentials (docker config `credHelpers`, `auths`, `credsStore`; boto3 for Amazon
ECR) and the distribution auth handshake (Basic, or the Bearer token dance, tokens cached).
Secrets never reach a repr or a message: only a `Credential.source` does.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import os
import re
import shutil
import subprocess
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx

from imagepin.errors import ConfigError, RegistryAuthError, RegistryProtocolError

DOCKER_HUB_SERVER = "https://index.docker.io/v1/"
_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
ECR_HOST = re.compile(r"(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?")

T = TypeVar("T")
Send = Callable[[str, str, dict[str, Any]], Awaitable[httpx.Response]]  # method, url, options


def is_docker_hub(host: str) -> bool:
    return host in _HUB_HOSTS


def login_command(host: str) -> str:
    """The command a person runs to store credentials for `host`."""
    return "docker login" if is_docker_hub(host) else f"docker login {host}"


@dataclass(frozen=True)
class Credential:
    """What to authenticate with, and where it came from. Secrets never show in `repr`."""

    source: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    identity_token: str | None = field(default=None, repr=False)

    def basic(self) -> str | None:
        """The `Authorization: Basic ...` value, or None without a username and password."""
        if self.username is None or self.password is None:
            return None
        return "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()


ANONYMOUS = Credential(source="anonymous")


def docker_config_path(explicit: Path | None = None) -> Path:
    """`explicit` (a file, or a folder holding config.json), else $DOCKER_CONFIG, else ~/.docker."""
    if explicit is not None:
        return explicit / "config.json" if explicit.is_dir() else explicit
    folder = os.environ.get("DOCKER_CONFIG")
    return (Path(folder) if folder else Path.home() / ".docker") / "config.json"


def _matching(section: object, host: str) -> object:
    """The value in a docker config mapping whose key ("https://h:5000/v1/", "h:5000") is host."""
    wanted = _HUB_HOSTS if is_docker_hub(host) else {host.lower()}
    for key, value in section.items() if isinstance(section, dict) else ():
        if isinstance(key, str) and key.split("://")[-1].split("/")[0].lower() in wanted:
            return value
    return None


class CredentialStore:
    """Looks credentials up once per host (helpers and boto3 are slow) and remembers them."""

    def __init__(self, docker_config: Path | None = None) -> None:
        self.path = docker_config_path(docker_config)
        self._config: dict[str, Any] | None = None
        self._found: dict[str, Credential] = {}
        self._lock = threading.Lock()

    def lookup(self, host: str) -> Credential:
        with self._lock:
            if host not in self._found:
                self._found[host] = self._find(host)
            return self._found[host]

    def _find(self, host: str) -> Credential:
        config = self._load()
        helper, store = _matching(config.get("credHelpers"), host), config.get("credsStore")
        entry = _matching(config.get("auths"), host)
        if isinstance(helper, str) and helper and (found := self._from_helper(helper, host)):
            return found
        if isinstance(entry, dict) and (found := self._from_auths(entry, host)):
            return found
        if isinstance(store, str) and store and (found := self._from_helper(store, host)):
            return found
        if match := ECR_HOST.fullmatch(host):
            return ecr_credential(host, account=match[1], region=match[2])
        return ANONYMOUS

    def _load(self) -> dict[str, Any]:
        if self._config is None:
            try:
                data = json.loads(self.path.read_text("utf-8")) if self.path.is_file() else {}
                problem = "" if isinstance(data, dict) else "not a JSON object"
            except (OSError, ValueError) as exc:  # ValueError: bad JSON or UTF-8
                data, problem = {}, type(exc).__name__
            if problem:
                raise ConfigError(
                    f"docker config {self.path} cannot be read ({problem}): fix or remove it, "
                    "or point DOCKER_CONFIG at a folder with a valid config.json"
                )
            self._config = data
        return self._config

    def _from_auths(self, entry: dict[str, Any], host: str) -> Credential | None:
        source = f"docker config auths for {host} ({self.path})"
        if isinstance(token := entry.get("identitytoken"), str) and token:
            return Credential(source, identity_token=token)
        user, password = entry.get("username"), entry.get("password")
        if isinstance(auth := entry.get("auth"), str) and auth:
            try:
                user, _, password = base64.b64decode(auth, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise ConfigError(
                    f"docker config {self.path}: the auths entry for {host} has an `auth` that is "
                    f"not base64 of user:password; run `{login_command(host)}` again"
                ) from None
        if isinstance(user, str) and user and isinstance(password, str):
            return Credential(source, username=user, password=password)
        return None

    def _from_helper(self, name: str, host: str) -> Credential | None:
        program = f"docker-credential-{name}"
        server = DOCKER_HUB_SERVER if is_docker_hub(host) else host
        source = f"credential helper {program}"
        if (exe := shutil.which(program)) is None:
            raise RegistryAuthError(
                f"{self.path} names the credential helper {program} for {host}, but it is not on "
                f"PATH: install it, or remove it from credHelpers/credsStore in {self.path}"
            )
        try:
            done = subprocess.run(
                [exe, "get"], input=server, capture_output=True, text=True, timeout=30
            )
        except (subprocess.TimeoutExpired, OSError) as exc:
            raise RegistryAuthError(
                f"{source} did not answer for {host} ({type(exc).__name__}): see why with "
                f"`echo {server} | {program} get`"
            ) from None
        if done.returncode == 0:
            return _helper_answer(done.stdout, source, host)
        said = (done.stdout.strip() or done.stderr.strip() or "no output").splitlines()[0][:200]
        if "credentials not found" in said.lower():
            return None
        raise RegistryAuthError(
            f"{source} failed for {host} (exit {done.returncode}: {said}); run "
            f"`{login_command(host)}` again or try `echo {server} | {program} get`"
        )


def _helper_answer(stdout: str, source: str, host: str) -> Credential:
    answer: Any = None
    with contextlib.suppress(json.JSONDecodeError):
        answer = json.loads(stdout)
    answer = answer if isinstance(answer, dict) else {}
    user, secret = answer.get("Username"), answer.get("Secret")
    if not isinstance(user, str) or not isinstance(secret, str):
        raise RegistryAuthError(
            f"{source} answered for {host} without a JSON {{Username, Secret}} object: it does "
            "not speak the docker credential helper protocol; fix or replace it"
        )
    if user == "<token>":
        return Credential(source, identity_token=secret)
    return Credential(source, username=user, password=secret)


def ecr_credential(host: str, account: str, region: str) -> Credential:
    """The registry password of an Amazon ECR host, from `ecr.get_authorization_token`."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        ecr = boto3.client("ecr", region_name=region)
        data = ecr.get_authorization_token(registryIds=[account])["authorizationData"]
        user, _, password = base64.b64decode(data[0]["authorizationToken"]).decode().partition(":")
    except (BotoCoreError, ClientError) as exc:
        raise RegistryAuthError(
            f"no Amazon ECR token for {host} via boto3 ({type(exc).__name__}: {exc}): set AWS "
            f"credentials for account {account} (AWS_PROFILE, ...) or `aws ecr get-login-password "
            f"--region {region} | docker login --username AWS --password-stdin {host}`"
        ) from None
    return Credential("Amazon ECR token via boto3", username=user, password=password)


@dataclass(frozen=True)
class Challenge:
    """One `WWW-Authenticate` challenge: scheme in lower case, parameters unquoted."""

    scheme: str
    params: Mapping[str, str]


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_SCHEME = re.compile(rf"[\s,]*({_TOKEN})(?:\s+|$)")
_PARAM = re.compile(rf'[\s,]*({_TOKEN})\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*')


def parse_challenges(header: str) -> list[Challenge]:
    """`Bearer realm="r",scope="repository:a:pull,push", Basic realm="x"` -> two challenges."""
    found: list[Challenge] = []
    pos = 0
    while scheme := _SCHEME.match(header, pos):
        pos, params = scheme.end(), dict[str, str]()
        while param := _PARAM.match(header, pos):
            value, pos = param[2], param.end()
            unquoted = re.sub(r"\\(.)", r"\1", value[1:-1]) if value.startswith('"') else value
            params[param[1].lower()] = unquoted
        found.append(Challenge(scheme[1].lower(), params))
    return found


class LoopLocal(Generic[T]):
    """One value per running event loop: asyncio locks must not cross loops."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values = weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T]()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        if loop not in self._values:
            self._values[loop] = self._factory()
        return self._values[loop]


@dataclass(frozen=True)
class _Token:
    header: str = field(repr=False)
    expires: float


class Authenticator:
    """Answers challenges per registry host and caches Bearer tokens per (host, scope)."""

    def __init__(self, store: CredentialStore, clock: Callable[[], float] = time.monotonic) -> None:
        self.store, self._clock = store, clock
        self._challenges: dict[str, Challenge] = {}
        self._credentials: dict[str, Credential] = {}
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._locks = LoopLocal(lambda: defaultdict[object, asyncio.Lock](asyncio.Lock))
        self._seen: set[str] = set()

    @contextlib.asynccontextmanager
    async def first_contact(self, host: str) -> AsyncIterator[None]:
        """Until `host` has answered once its requests go one at a time, so that N concurrent
        first requests learn its challenge (and fetch a token) once, not N times."""
        lock, mine = self._locks.get()[host], False
        if host not in self._seen:
            await lock.acquire()
            if not (mine := host not in self._seen):
                lock.release()
        if not mine:
            yield
            return
        try:
            yield
        finally:
            self._seen.add(host)
            lock.release()

    @staticmethod
    def _moved(host: str, response: httpx.Response) -> RegistryAuthError | None:
        """A 401 from another host a redirect led to: never answered with `host`'s credentials."""
        asked = (response.history[0] if response.history else response).request.url.netloc
        if (moved := response.url.netloc.decode()) == asked.decode():
            return None
        return RegistryAuthError(
            f"a request to {host} was redirected to {moved}, which said {response.status_code}; "
            f"imagepin never sends {host}'s credentials elsewhere: use {moved} directly"
        )

    def refused(self, host: str, ref: str, repo: str, reply: httpx.Response) -> RegistryAuthError:
        """The error for a registry's final 401 or 403, naming the credential tried."""
        if moved := self._moved(host, reply):
            return moved
        status, login = reply.status_code, login_command(host)
        tried = self._credentials.get(host, ANONYMOUS)
        how = f"with credentials from {tried.source}" if tried is not ANONYMOUS else "anonymously"
        if status == 403:
            return RegistryAuthError(
                f"{host} denied pull access to {repo} for {ref} (403 Forbidden) {how}: "
                f"run `{login}` as an account allowed to pull it, or ask the registry's owner"
            )
        hub = " (Docker Hub says 401 for missing repositories too)" if is_docker_hub(host) else ""
        return RegistryAuthError(
            f"{host} refused to serve {ref} (401 Unauthorized) {how}: run `{login}` with an "
            f"account that can pull {repo}{hub}"
        )

    async def _credential(self, host: str) -> Credential:
        if host not in self._credentials:
            self._credentials[host] = await asyncio.to_thread(self.store.lookup, host)
        return self._credentials[host]

    async def header(self, send: Send, host: str, scope: str) -> str | None:
        """The Authorization to send up front: cached, or per the challenge the host sent before."""
        if (challenge := self._challenges.get(host)) is None:
            return None
        credential = await self._credential(host)
        if challenge.scheme == "basic":
            return credential.basic()
        async with self._locks.get()[(host, scope)]:
            token = self._tokens.get((host, scope))
            if token is None or self._clock() >= token.expires:
                token = await self._fetch_token(send, host, challenge, scope, credential)
                self._tokens[(host, scope)] = token
            return token.header

    async def answer(self, send: Send, host: str, scope: str, response: httpx.Response) -> str:
        """The Authorization that answers the 401 `response`; raises when there is none."""
        if moved := self._moved(host, response):
            raise moved
        header = ", ".join(response.headers.get_list("www-authenticate"))
        by_scheme = {c.scheme: c for c in parse_challenges(header)}
        if (challenge := by_scheme.get("bearer") or by_scheme.get("basic")) is None:
            raise RegistryAuthError(
                f"{host} asked for authentication (401) without a Basic or Bearer challenge "
                f"(WWW-Authenticate: {header[:200]!r}): imagepin cannot log in there; check the "
                "registry address"
            )
        self._challenges[host] = challenge
        credential = await self._credential(host)
        if challenge.scheme == "basic" and (basic := credential.basic()) is None:
            raise RegistryAuthError(
                f"{host} requires a login (HTTP Basic) and no credentials were found "
                f"({credential.source}; looked in {self.store.path}): run `{login_command(host)}`"
            )
        if challenge.scheme == "basic":
            return str(basic)
        async with self._locks.get()[(host, scope)]:
            wanted = challenge.params.get("scope") or scope
            token = await self._fetch_token(send, host, challenge, wanted, credential)
            self._tokens[(host, scope)] = token
        return token.header

    async def _fetch_token(
        self, send: Send, host: str, challenge: Challenge, scope: str, credential: Credential
    ) -> _Token:
        realm, service = challenge.params.get("realm", ""), challenge.params.get("service")
        if not realm.startswith(("https://", "http://")):
            raise RegistryProtocolError(
                f"{host} sent a Bearer challenge without an http(s) realm ({realm!r}), so it "
                "cannot issue tokens: check the registry's auth configuration"
            )
        query = {"service": service, "scope": scope} if service else {"scope": scope}
        response = await send(*_token_request(realm, query, credential))
        if response.status_code in (401, 403):
            raise RegistryAuthError(
                f"the token service {httpx.URL(realm).host} for {host} rejected the credentials "
                f"from {credential.source} ({response.status_code}): run "
                f"`{login_command(host)}` again, or check the account can pull {scope}"
            )
        try:
            data = response.json() if response.status_code == 200 else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        token = (data.get("token") or data.get("access_token")) if isinstance(data, dict) else None
        if not isinstance(token, str) or not token or not isinstance(data, dict):
            raise RegistryProtocolError(
                f"the token service {realm} for {host} answered {response.status_code} without "
                "a JSON token: check the registry's auth configuration or try again later"
            )
        lifetime = data.get("expires_in")
        if not isinstance(lifetime, int | float) or lifetime < 0:
            lifetime = 60  # seconds: the distribution spec's default
        return _Token(f"Bearer {token}", self._clock() + lifetime * 0.9)


def _token_request(
    realm: str, query: dict[str, str], credential: Credential
) -> tuple[str, str, dict[str, Any]]:
    """GET realm?service&scope (Basic when we have a password), or the refresh-token grant."""
    if credential.identity_token is not None:
        grant = {"grant_type": "refresh_token", "refresh_token": credential.identity_token}
        return "POST", realm, {"data": grant | {"client_id": "imagepin"} | query}
    basic = credential.basic()
    return "GET", realm, {"params": query, "headers": {"Authorization": basic} if basic else {}}
