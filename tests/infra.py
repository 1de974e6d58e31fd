"""Test infrastructure: a real Docker daemon, real registries and stand-in Python bases.

One script for CI (`.ci/run` via `make test`) and for the pytest fixtures in `tests/conftest.py`:

    python tests/infra.py up       # dockerd (if none answers), registries, stand-in bases
    python tests/infra.py down     # stop what `up` started, nothing else
    python tests/infra.py status   # print the addresses as JSON

Docker Hub is unreachable here, so the stand-ins are Debian roots made with debootstrap,
imported into Docker and pushed to the open registry under the names Docker Hub uses
(`library/python:3.11-slim-bookworm`, ...). Pointing the base mirror at that registry makes the
code under test resolve, pin and build exactly as it would against Docker Hub.

The debootstrap roots are cached as tarballs under `$IMAGEPIN_CACHE` (default
`/var/cache/imagepin`), keyed by their recipe, so a machine that keeps that folder skips the
slow part; with nothing cached everything is built from scratch.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import urllib.response
from dataclasses import dataclass
from pathlib import Path

STATE = Path(os.environ.get("IMAGEPIN_INFRA_STATE", "/tmp/imagepin-infra"))
CACHE = Path(os.environ.get("IMAGEPIN_CACHE", "/var/cache/imagepin"))
DOCKER = os.environ.get("IMAGEPIN_DOCKER", "/usr/bin/docker")
DEBIAN_MIRROR = os.environ.get("IMAGEPIN_DEBIAN_MIRROR", "http://deb.debian.org/debian")

OPEN_REGISTRY = "127.0.0.1:5000"
AUTH_REGISTRY = "127.0.0.1:5001"
AUTH_USER = "imagepin"
# A throwaway password for a loopback-only test registry; it guards nothing.
AUTH_PASSWORD = "stand-in-registry-password"

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)


@dataclass(frozen=True)
class StandIn:
    """A Debian root that stands in for a Docker Hub image, for one or more architectures."""

    repository: str  # path as on Docker Hub, e.g. library/python
    tag: str
    arches: tuple[str, ...]
    packages: tuple[str, ...]
    python: bool = True

    def key(self, arch: str) -> str:
        recipe = json.dumps([self.repository, self.tag, arch, self.packages, self.python, 2])
        return hashlib.sha256(recipe.encode()).hexdigest()[:16]


PYTHON_PKGS = ("python3", "python3-pip", "python3-venv")
STANDINS: tuple[StandIn, ...] = (
    # The slim stand-in is a real two-platform index (amd64 + arm64 built under qemu).
    StandIn("library/python", "3.11-slim-bookworm", ("amd64", "arm64"), PYTHON_PKGS),
    # The full stand-in carries the toolchain and headers, like python:3.11-bookworm.
    StandIn(
        "library/python",
        "3.11-bookworm",
        ("amd64",),
        (*PYTHON_PKGS, "python3-dev", "build-essential", "libpq-dev"),
    ),
    # Debian itself, for the debian-apt layout (apt-get install python3 inside the build).
    StandIn("library/debian", "bookworm", ("amd64",), (), python=False),
)


def log(msg: str) -> None:
    print(f"[infra] {msg}", file=sys.stderr, flush=True)


def run(*cmd: str, quiet: bool = False, **kw: object) -> subprocess.CompletedProcess[str]:
    if not quiet:
        log("$ " + " ".join(cmd))
    return subprocess.run(cmd, check=True, text=True, **kw)  # type: ignore[call-overload,no-any-return]


def docker(*args: str, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    return run(DOCKER, *args, quiet=quiet, env=env, capture_output=quiet)


def wait_until(check: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise SystemExit(f"[infra] {what} did not come up within {timeout:.0f}s; see {STATE}/*.log")


# --- processes ------------------------------------------------------------------------------


def spawn(name: str, cmd: list[str]) -> None:
    """Start `cmd` in its own session, logging to STATE/<name>.log; `stop(name)` ends it."""
    STATE.mkdir(parents=True, exist_ok=True)
    with (STATE / f"{name}.log").open("ab") as logf:  # the child keeps its own copy
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
    (STATE / f"{name}.pid").write_text(str(proc.pid))
    log(f"started {name} (pid {proc.pid})")


def stop(name: str) -> None:
    pidfile = STATE / f"{name}.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            with contextlib.suppress(ChildProcessError):  # started by this process: reap it
                os.waitpid(pid, os.WNOHANG)
            os.kill(pid, 0)
            time.sleep(0.2)
        os.killpg(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    log(f"stopped {name}")


def docker_answers() -> bool:
    return (
        subprocess.run(
            [DOCKER, "info"], capture_output=True, check=False, env={**os.environ}
        ).returncode
        == 0
    )


def ensure_dockerd() -> None:
    if docker_answers():
        return
    if not shutil.which("dockerd"):
        raise SystemExit("[infra] dockerd is not installed: apt-get install -y docker.io")
    spawn("dockerd", ["dockerd"])
    wait_until(docker_answers, "dockerd", timeout=90)


def registry_answers(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/v2/", timeout=2):
            return True
    except urllib.error.HTTPError as exc:  # 401 from the auth registry still means "up"
        return exc.code == 401
    except OSError:
        return False


def _registry_config(name: str, addr: str, auth: bool) -> Path:
    data = STATE / f"{name}-data"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    lines = [
        "version: 0.1",
        "log: {level: warn}",
        f"storage: {{filesystem: {{rootdirectory: {data}}}, delete: {{enabled: true}}}}",
        f"http: {{addr: {addr}}}",
    ]
    if auth:
        import bcrypt

        hashed = bcrypt.hashpw(AUTH_PASSWORD.encode(), bcrypt.gensalt(rounds=6)).decode()
        htpasswd = STATE / "htpasswd"
        htpasswd.write_text(f"{AUTH_USER}:{hashed}\n")
        lines.append(f"auth: {{htpasswd: {{realm: imagepin-test, path: {htpasswd}}}}}")
    config = STATE / f"{name}.yml"
    config.write_text("\n".join(lines) + "\n")
    return config


def ensure_registry(name: str, addr: str, auth: bool) -> None:
    if registry_answers(addr):
        return
    spawn(name, ["docker-registry", "serve", str(_registry_config(name, addr, auth))])
    wait_until(lambda: registry_answers(addr), name)


# --- stand-in bases ---------------------------------------------------------------------------


def _rootfs_tarball(s: StandIn, arch: str) -> Path:
    """A debootstrap root for `s` on `arch`, cached by recipe under CACHE."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / f"{s.repository.replace('/', '_')}-{s.tag}-{arch}-{s.key(arch)}.tar"
    if tarball.exists():
        return tarball
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        root = Path(tmp) / "root"
        cmd = ["debootstrap", "--variant=minbase", f"--arch={arch}"]
        if s.packages:
            cmd.append("--include=" + ",".join(s.packages))
        run(*cmd, "bookworm", str(root), DEBIAN_MIRROR, stdout=subprocess.DEVNULL)
        if s.python:
            # Behave like the official image: `python`/`pip` on PATH, pip may install globally.
            for link, target in (("python", "python3"), ("pip", "pip3")):
                (root / "usr/bin" / link).unlink(missing_ok=True)
                (root / "usr/bin" / link).symlink_to(target)
            for marker in root.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
                marker.unlink()
        for junk in ("var/lib/apt/lists", "var/cache/apt/archives"):
            for entry in (root / junk).glob("*"):
                if entry.is_file():
                    entry.unlink()
        partial = tarball.with_suffix(".partial")
        run("tar", "-C", str(root), "-cf", str(partial), ".")
        partial.rename(tarball)  # only a complete tarball ever carries the final name
    return tarball


def _image_has_key(image: str, key: str) -> bool:
    out = subprocess.run(
        [
            DOCKER,
            "image",
            "inspect",
            "--format",
            '{{index .Config.Labels "imagepin.standin"}}',
            image,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.returncode == 0 and out.stdout.strip() == key


def _push_standin(s: StandIn) -> None:
    target = f"{OPEN_REGISTRY}/{s.repository}:{s.tag}"
    per_arch = []
    for arch in s.arches:
        image = f"{target}-{arch}" if len(s.arches) > 1 else target
        if not _image_has_key(image, s.key(arch)):
            tarball = _rootfs_tarball(s, arch)
            changes = [f"LABEL imagepin.standin={s.key(arch)}", "ENV LANG=C.UTF-8"]
            changes.append('CMD ["python3"]' if s.python else 'CMD ["bash"]')
            args = ["import", "--platform", f"linux/{arch}"]
            for change in changes:
                args += ["--change", change]
            docker(*args, str(tarball), image)
        docker("push", image, quiet=True)
        per_arch.append((arch, image))
    if len(per_arch) > 1:
        docker("manifest", "create", "--amend", "--insecure", target, *[img for _, img in per_arch])
        for arch, img in per_arch:
            extra = ["--variant", "v8"] if arch == "arm64" else []
            docker("manifest", "annotate", "--os", "linux", "--arch", arch, *extra, target, img)
        docker("manifest", "push", "--purge", "--insecure", target, quiet=True)
    digest = manifest_digest(OPEN_REGISTRY, s.repository, s.tag)
    log(f"stand-in {target} ({', '.join(s.arches)}) -> {digest}")


def manifest_digest(host: str, repository: str, reference: str) -> str:
    """The registry's `Docker-Content-Digest` for a tag, via HEAD (what tests compare with)."""
    req = urllib.request.Request(
        f"http://{host}/v2/{repository}/manifests/{reference}",
        method="HEAD",
        headers={"Accept": MANIFEST_TYPES},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return str(resp.headers["Docker-Content-Digest"])


def _http(
    method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> urllib.response.addinfourl:
    req = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
    return urllib.request.urlopen(req, timeout=30)  # type: ignore[no-any-return]


def _put_blob(base: str, repository: str, blob: bytes, auth: dict[str, str]) -> str:
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    with _http("POST", f"{base}/v2/{repository}/blobs/uploads/", headers=auth) as resp:
        location = resp.headers["Location"]
    if location.startswith("/"):
        location = base + location
    sep = "&" if "?" in location else "?"
    headers = {**auth, "Content-Type": "application/octet-stream"}
    _http("PUT", f"{location}{sep}digest={digest}", blob, headers).close()
    return digest


def push_synthetic(
    host: str,
    repository: str,
    tag: str,
    *,
    platforms: tuple[str, ...] = (),
    seed: str = "",
    auth: tuple[str, str] | None = None,
) -> str:
    """Push a tiny image (or an index over `platforms`) through the registry API; its digest.

    No Docker needed: one random layer per platform, a config, a manifest, and an OCI index when
    more than one platform is given. `seed` makes the content (hence the digest) differ per call.
    """
    import base64

    base = f"http://{host}"
    hdrs = {}
    if auth:
        hdrs["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    manifests = []
    for platform in platforms or ("linux/amd64",):
        os_, arch, *variant = platform.split("/")
        layer = f"{repository}:{tag}:{platform}:{seed}:{time.time_ns()}".encode()
        config = json.dumps({"architecture": arch, "os": os_, "rootfs": {"type": "layers"}})
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _put_blob(base, repository, config.encode(), hdrs),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": _put_blob(base, repository, layer, hdrs),
                    "size": len(layer),
                }
            ],
        }
        body = json.dumps(manifest).encode()
        ref = tag if len(platforms) <= 1 else "sha256:" + hashlib.sha256(body).hexdigest()
        headers = {**hdrs, "Content-Type": manifest["mediaType"]}
        with _http("PUT", f"{base}/v2/{repository}/manifests/{ref}", body, headers) as resp:
            digest = str(resp.headers["Docker-Content-Digest"])
        plat = {"os": os_, "architecture": arch} | ({"variant": variant[0]} if variant else {})
        manifests.append(
            {
                "mediaType": manifest["mediaType"],
                "digest": digest,
                "size": len(body),
                "platform": plat,
            }
        )
    if len(platforms) <= 1:
        return manifests[0]["digest"]  # type: ignore[return-value]
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }
    body = json.dumps(index).encode()
    headers = {**hdrs, "Content-Type": str(index["mediaType"])}
    with _http("PUT", f"{base}/v2/{repository}/manifests/{tag}", body, headers) as resp:
        return str(resp.headers["Docker-Content-Digest"])


def enable_qemu(binfmt: Path = Path("/proc/sys/fs/binfmt_misc")) -> None:
    """qemu-aarch64 registered and enabled (multi-arch builds and the arm64 stand-ins need it)."""
    if not (binfmt / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)], check=False)
    handler = binfmt / "qemu-aarch64"
    if not handler.exists():
        run("update-binfmts", "--enable", "qemu-aarch64")
    elif handler.read_text().startswith("disabled"):  # e.g. benchmarks/rebuild.py killed mid-run
        handler.write_text("1")
        log(f"switched {handler} back on")


# --- commands -----------------------------------------------------------------------------------


def status() -> dict[str, object]:
    return {
        "docker": docker_answers(),
        "open_registry": OPEN_REGISTRY if registry_answers(OPEN_REGISTRY) else None,
        "auth_registry": AUTH_REGISTRY if registry_answers(AUTH_REGISTRY) else None,
        "auth_user": AUTH_USER,
        "standins": [f"{OPEN_REGISTRY}/{s.repository}:{s.tag}" for s in STANDINS],
    }


def up(standins: bool = True) -> None:
    started = time.monotonic()
    ensure_registry("registry-open", OPEN_REGISTRY, auth=False)
    ensure_registry("registry-auth", AUTH_REGISTRY, auth=True)
    if standins:
        ensure_dockerd()
        enable_qemu()
        for s in STANDINS:
            _push_standin(s)
    log(f"up in {time.monotonic() - started:.0f}s")


def down() -> None:
    for name in ("registry-tls", "registry-auth", "registry-open", "dockerd"):
        stop(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--no-standins", action="store_true", help="registries only")
    args = parser.parse_args()
    if args.command == "up":
        up(standins=not args.no_standins)
    elif args.command == "down":
        down()
    print(json.dumps(status(), indent=2))


if __name__ == "__main__":
    main()
