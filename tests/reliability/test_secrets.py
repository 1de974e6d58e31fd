"""Secrets: a stack with a registry password, a pip index token and a secret env var, rendered,
built for real and deployed under the recorder; none of the three may show up anywhere.

The stack (a project copy) pulls its base through the registry behind Basic auth and pushes
there (the password reaches the CLI and Docker through DOCKER_CONFIG, as after `docker login`),
installs its one requirement from an HTTPS package index that refuses requests without the
token (served here, on the Docker bridge, with its own CA as the `pip-ca` secret), and runs
with `API_TOKEN` as secret env. After `imagepin lock add --from-stacks`, `imagepin render`,
`docker build` of the recorded Dockerfile with the recorded BuildKit secrets, `docker push`,
and `imagepin preview --format json` / `run_preview`, each secret (plain and base64-encoded,
as it travels in HTTP Basic auth and docker config) is searched for in: every Dockerfile and
.dockerignore, the lock, the build's arguments, labels and log, the image's config, history
(`docker history --no-trunc`) and every layer (`docker save`), every Pulumi value that is not
marked secret, and every line the CLI printed, errors included.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import http.server
import io
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import tarfile
import threading
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from collector import Report, SecretScan

from components.cli_preview import run_preview
from components.preview import Secret

import infra
from helpers import ROOT, run_cli
from tlsregistry import make_certificates

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:8]
PACKAGE = "imagepin-secret-probe"
WHEEL = "imagepin_secret_probe-1.0-py3-none-any.whl"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass
class Secrets:
    user: str
    password: str
    pip_token: str
    api_token: str
    forms: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.forms = {
            "registry password": self.password,
            "registry password (base64 user:password)": b64(f"{self.user}:{self.password}"),
            "pip index token": self.pip_token,
            "pip index token (base64 __token__:token)": b64(f"__token__:{self.pip_token}"),
            "secret env API_TOKEN": self.api_token,
        }


class Scanner:
    def __init__(self, secrets: Secrets, report: Report) -> None:
        self.secrets, self.report = secrets, report

    def __call__(self, artifact: str, data: bytes | str) -> None:
        self.stream(artifact, [data.encode() if isinstance(data, str) else data])

    def stream(self, artifact: str, chunks: Iterable[bytes]) -> None:
        """Scan `chunks` as one text (matches across chunk borders included)."""
        values = {name: value.encode() for name, value in self.secrets.forms.items()}
        keep = max(len(v) for v in values.values())
        found: set[str] = set()
        size, tail = 0, b""
        for chunk in chunks:
            window = tail + chunk
            found |= {name for name, value in values.items() if value in window}
            size += len(chunk)
            tail = window[-keep:]
        self.report.scans.append(SecretScan(artifact, size, len(found)))
        assert not found, f"{artifact}: {', '.join(sorted(found))}"


# --- an HTTPS package index that wants the token ------------------------------------------


def _wheel() -> bytes:
    """A pure-Python wheel with one module, RECORD hashes and all."""
    dist = "imagepin_secret_probe-1.0.dist-info"
    files = {
        "imagepin_secret_probe/__init__.py": b"PROBE = True\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {PACKAGE}\nVersion: 1.0\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: reliability\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    files[f"{dist}/RECORD"] = ("\n".join([*record, f"{dist}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass
class Index:
    url: str  # without credentials, as the stack writes it
    ca: Path
    hits: list[tuple[str, bool]]  # (path, authorized)


def _bridge_gateway() -> str:
    """The host's address on Docker's default bridge: build containers reach it there."""
    out = subprocess.run(
        [infra.DOCKER, "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    config = json.loads(out)[0]
    if config.get("Gateway"):
        return str(config["Gateway"])
    return str(next(ipaddress.ip_network(config["Subnet"]).hosts()))


@contextlib.contextmanager
def package_index(folder: Path, token: str) -> Iterator[Index]:
    ip = _bridge_gateway()
    ca, cert, key = make_certificates(folder, ip)
    wheel = _wheel()
    wheel_sha = hashlib.sha256(wheel).hexdigest()
    wanted = "Basic " + b64(f"__token__:{token}")
    hits: list[tuple[str, bool]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            authorized = self.headers.get("Authorization") == wanted
            hits.append((self.path, authorized))
            if not authorized:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="index"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path.rstrip("/") == f"/simple/{PACKAGE}":
                body = (
                    f'<html><body><a href="/files/{WHEEL}#sha256={wheel_sha}">{WHEEL}</a>'
                    "</body></html>"
                ).encode()
                kind = "text/html"
            elif self.path == f"/files/{WHEEL}":
                body, kind = wheel, "application/octet-stream"
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer((ip, 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Index(f"https://{ip}:{server.server_address[1]}/simple", ca, hits)
    finally:
        server.shutdown()
        server.server_close()


# --- the stack --------------------------------------------------------------------------------


def stack_file(index: Index, ca: Path, auth_host: str, host_port: int) -> dict[str, Any]:
    return {
        "config": {
            "imagepin:baseMirror": auth_host,
            "imagepin:allowPrerelease": False,
            "imagepin:registry": {
                "kind": "server",
                "server": auth_host,
                "namespace": f"relsecrets-{RUN}",
            },
            "imagepin:backend": "docker",
            "imagepin:cache": {"enabled": False},
            "imagepin:buildSecrets": {
                "pip-ca": {"file": str(ca)},
                "pip-token": {"env": "RELIABILITY_PIP_TOKEN"},
            },
            "imagepin:images": [
                {
                    "name": "service",
                    "app": "app",
                    "python": "3.11",
                    "variant": "slim",
                    "distro": "bookworm",
                    "command": ["python3", "-m", "service"],
                    "port": 8000,
                    "healthcheck": {"path": "/healthz"},
                    "pip": {
                        "caSecret": "pip-ca",
                        "indexUrl": index.url,
                        "tokenSecret": "pip-token",
                    },
                }
            ],
            "imagepin:services": [
                {
                    "name": "service",
                    "image": "service",
                    "port": 8000,
                    "hostPort": host_port,
                    "secretEnv": {"API_TOKEN": {"env": "RELIABILITY_API_TOKEN"}},
                }
            ],
        }
    }


def project(root: Path, stack: dict[str, Any]) -> Path:
    root.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, root / name)
    (root / "app" / "service").mkdir(parents=True)
    (root / "app" / "requirements.txt").write_text(f"{PACKAGE}==1.0\n")
    (root / "app" / "service" / "__init__.py").write_text("")
    (root / "app" / "service" / "__main__.py").write_text("import imagepin_secret_probe\n")
    (root / "stacks").mkdir()
    (root / "stacks" / "Pulumi.sec.yaml").write_text(yaml.safe_dump(stack, sort_keys=False))
    return root


def copy_base(auth: tuple[str, str, str]) -> None:
    """The slim stand-in (linux/amd64) into the registry behind Basic auth, once."""
    host, user, password = auth
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--override-arch",
            "amd64",
            "--dest-creds",
            f"{user}:{password}",
            f"docker://{infra.OPEN_REGISTRY}/library/python:3.11-slim-bookworm",
            f"docker://{host}/library/python:3.11-slim-bookworm",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


def docker(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [infra.DOCKER, *args],
        env={**os.environ, **env, "DOCKER_BUILDKIT": "1"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"docker {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def unmarked(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) of every string in `value` that is not inside a Secret marker."""
    if isinstance(value, Secret):
        return
    if isinstance(value, dict):
        for key, child in value.items():
            yield path + f".{key}", str(key)
            yield from unmarked(child, f"{path}.{key}")
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from unmarked(child, f"{path}[{i}]")
    else:
        yield path, str(value)


def secret_texts(value: Any) -> Iterator[str]:
    """Every string inside a Secret marker."""
    if isinstance(value, Secret):
        yield json.dumps(plain(value.value))
    elif isinstance(value, dict):
        for child in value.values():
            yield from secret_texts(child)
    elif isinstance(value, list):
        for child in value:
            yield from secret_texts(child)


# --- the test ---------------------------------------------------------------------------------


@pytest.fixture
def secrets(auth_registry: tuple[str, str, str]) -> Secrets:
    _, user, password = auth_registry
    return Secrets(user, password, f"piptok-{uuid.uuid4().hex}", f"apitok-{uuid.uuid4().hex}")


def test_no_secret_leaks_through_render_build_or_deploy(
    auth_registry: tuple[str, str, str],
    secrets: Secrets,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    report: Report,
) -> None:
    host, user, password = auth_registry
    scan = Scanner(secrets, report)
    report.secrets = {
        "registry password": "the Basic-auth registry's, in DOCKER_CONFIG (as `docker login` "
        "leaves it); the stack pulls its base from and pushes to that registry",
        "pip index token": "in the deploying shell's environment (`buildSecrets: {pip-token: "
        "{env: ...}}`), mounted as a BuildKit secret; the package index refuses requests "
        "without it",
        "secret env var": "`secretEnv: {API_TOKEN: {env: ...}}` of the service, from the "
        "deploying shell",
    }
    copy_base(auth_registry)
    config = tmp_path / "docker-config"
    config.mkdir()
    (config / "config.json").write_text(
        json.dumps({"auths": {host: {"auth": b64(f"{user}:{password}")}}})
    )
    token_file = tmp_path / "pip-token"
    token_file.write_text(secrets.pip_token)
    env = {
        "DOCKER_CONFIG": str(config),
        "RELIABILITY_PIP_TOKEN": secrets.pip_token,
        "RELIABILITY_API_TOKEN": secrets.api_token,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    with package_index(tmp_path, secrets.pip_token) as index:
        root = project(tmp_path / "project", stack_file(index, index.ca, host, 18080))

        # render: pin the bases through the password-protected mirror, write the Dockerfile
        pinned = run_cli("lock", "add", "--from-stacks", cwd=root, env=env)
        assert pinned.returncode == 0, pinned.stderr
        scan("`imagepin lock add --from-stacks` output", pinned.stdout + pinned.stderr)
        scan("images.lock", (root / "images.lock").read_bytes())
        rendered = run_cli("render", "--stack", "sec", "--out", "rendered", cwd=root, env=env)
        assert rendered.returncode == 0, rendered.stderr
        scan("`imagepin render` output", rendered.stdout + rendered.stderr)
        for file in sorted((root / "rendered").iterdir()):
            scan(f"rendered {file.name}", file.read_bytes())
        checked = run_cli("check", "--dockerfile", "rendered/service.Dockerfile", cwd=root, env=env)
        scan("`imagepin check --dockerfile` output", checked.stdout + checked.stderr)

        # deploy, recorded: the program under the mock monitor
        shown = run_cli("preview", "--stack", "sec", "--format", "json", "--root", str(root))
        assert shown.returncode == 0, shown.stderr
        scan("`imagepin preview --format json` output", shown.stdout + shown.stderr)
        rec = run_preview("sec", root)
        for resource in sorted(rec.resources, key=lambda r: (r.type, r.name)):
            texts = [t for _, t in unmarked(resource.inputs)]
            texts += [t for _, t in unmarked(resource.options)]
            scan(
                f"recorded {resource.type} {resource.name}: values not marked secret",
                "\n".join(texts),
            )
        scan("stack outputs not marked secret", "\n".join(t for _, t in unmarked(rec.outputs)))
        scan("the recording as displayed", json.dumps(rec.display()))
        build = rec.named("service-build").inputs
        container = rec.named("service-container").inputs
        inside = "\n".join(secret_texts(build)) + "\n".join(secret_texts(container))
        assert secrets.pip_token in inside and secrets.api_token in inside  # marked, not lost

        # build: the recorded Dockerfile, context, labels, tags and BuildKit secrets
        assert "buildArgs" not in build
        dockerfile = tmp_path / "Dockerfile"
        dockerfile.write_text(build["dockerfile"]["inline"])
        scan("recorded Dockerfile", dockerfile.read_bytes())
        # --no-cache: the RUN must reach the index. The index URL (with its port) is in the RUN
        # line, and the daemon keeps BuildKit's cache between CI runs, so a port drawn again
        # would replay an old layer without a request (seen once in CI: no hits at all).
        command = ["build", "--no-cache", "--progress=plain", "--file", str(dockerfile)]
        command += ["--platform", ",".join(build["platforms"])]
        for key, value in sorted(plain(build["secrets"]).items()):
            source = tmp_path / f"secret-{key}"
            source.write_text(value)
            command += ["--secret", f"id={key},src={source}"]
        for key, value in sorted(build["labels"].items()):
            command += ["--label", f"{key}={value}"]
        for tag in build["tags"]:
            command += ["--tag", tag]
        scan("build arguments and labels", "\n".join(command))
        built = docker(env, *command, str(root / build["context"]["location"]))
        tag = build["tags"][0]
    used = [path for path, ok in index.hits if ok]
    assert any(path.endswith(".whl") for path in used), (  # the token was needed
        f"index hits {index.hits}; build log:\n{built.stderr[-4000:]}"
    )
    scan("`docker build` log", built.stdout + built.stderr)
    try:
        scan("`docker image inspect`", docker(env, "image", "inspect", tag).stdout)
        history = docker(env, "history", "--no-trunc", "--format", "{{json .}}", tag).stdout
        assert "/run/secrets/pip-token" in history  # the RUN is there, the token is not
        scan("`docker history --no-trunc`", history)
        saved = tmp_path / "image.tar"
        docker(env, "save", "--output", str(saved), tag)
        scan_tarball(scan, saved)
        pushed = docker(env, "push", tag)
        scan("`docker push` output", pushed.stdout + pushed.stderr)
    finally:
        subprocess.run([infra.DOCKER, "rmi", "--force", *build["tags"]], capture_output=True)

    # errors while the secrets are in play
    monkeypatch.delenv("RELIABILITY_PIP_TOKEN")
    no_token = run_cli("preview", "--stack", "sec", "--root", str(root))
    assert no_token.returncode == 2 and "RELIABILITY_PIP_TOKEN" in no_token.stderr
    scan("error: preview without the pip token's variable", no_token.stdout + no_token.stderr)
    intruder = tmp_path / "intruder"
    intruder.mkdir()
    (intruder / "config.json").write_text(
        json.dumps({"auths": {host: {"auth": b64(f"intruder:{password}")}}})
    )
    refused = run_cli(
        "lock",
        "add",
        "python:3.11-slim-bookworm",
        "--mirror",
        host,
        "--lock",
        str(tmp_path / "other.lock"),
        env={"DOCKER_CONFIG": str(intruder)},
    )
    assert refused.returncode == 2 and host in refused.stderr
    scan("error: the registry refuses the credentials", refused.stdout + refused.stderr)
    inline = json.loads(json.dumps(stack_file(index, index.ca, host, 18080)))
    image = inline["config"]["imagepin:images"][0]
    image["pip"]["indexUrl"] = index.url.replace(
        "https://", f"https://__token__:{secrets.pip_token}@"
    )
    (root / "stacks" / "Pulumi.inline.yaml").write_text(yaml.safe_dump(inline))
    written = run_cli("render", "--stack", "inline", "--out", "out2", cwd=root)
    assert written.returncode == 2 and "indexUrl" in written.stderr
    scan("error: a token written into the index URL", written.stdout + written.stderr)


def scan_tarball(scan: Scanner, saved: Path) -> None:
    """Every member of `docker save`'s tarball (layers unpacked file by file), and the file."""

    def members() -> Iterator[bytes]:
        with tarfile.open(saved) as archive:
            for member in archive:
                handle = archive.extractfile(member) if member.isfile() else None
                if handle is None:
                    continue
                data = handle.read()
                if data[:2] == b"\x1f\x8b":
                    data = gzip.decompress(data)
                yield data
                if data[257:262] == b"ustar":  # a layer: each file in it on its own too
                    with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                        for entry in layer:
                            inner = layer.extractfile(entry) if entry.isfile() else None
                            if inner is not None:
                                yield inner.read()

    def raw() -> Iterator[bytes]:
        with saved.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk

    scan.stream("`docker save` tarball: every file of every layer, and the image config", members())
    scan.stream("`docker save` tarball as written", raw())
