"""`imagepin lock` against the real local registries, compared with skopeo and the registry."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import uuid
from pathlib import Path

import pytest

import infra
from helpers import IMAGEPIN, run_cli

pytestmark = pytest.mark.integration


def skopeo_raw(ref: str, creds: str | None = None) -> bytes:
    cmd = ["skopeo", "inspect", "--raw", "--tls-verify=false"]
    if creds:
        cmd += ["--creds", creds]
    return subprocess.run([*cmd, f"docker://{ref}"], capture_output=True, check=True).stdout


def sha(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def show_json(lock: Path) -> dict:
    proc = run_cli("lock", "show", "--json", "--lock", str(lock))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def unique(prefix: str = "it") -> str:
    return f"{prefix}/{uuid.uuid4().hex[:10]}"


def test_lock_add_the_two_platform_standin_through_the_mirror(
    standins: str, tmp_path: Path, docker_config: Path
) -> None:
    lock = tmp_path / "images.lock"
    proc = run_cli(
        "lock", "add", "python:3.11-slim-bookworm", "--mirror", standins, "--lock", str(lock)
    )
    assert proc.returncode == 0, proc.stderr

    raw = skopeo_raw(f"{standins}/library/python:3.11-slim-bookworm")
    index = json.loads(raw)
    expected_platforms = {}
    for m in index["manifests"]:
        p = m["platform"]
        key = "/".join([p["os"], p["architecture"], *([p["variant"]] if "variant" in p else [])])
        expected_platforms[key] = m["digest"]
    assert set(expected_platforms) == {"linux/amd64", "linux/arm64/v8"}

    registry_digest = infra.manifest_digest(standins, "library/python", "3.11-slim-bookworm")
    assert registry_digest == sha(raw)
    assert show_json(lock) == {
        "images": {
            "python:3.11-slim-bookworm": {
                "digest": registry_digest,
                "media_type": index["mediaType"],
                "platforms": expected_platforms,
            }
        }
    }
    on_disk = json.loads(lock.read_text())
    assert on_disk["version"] == 1
    entry = on_disk["images"]["python:3.11-slim-bookworm"]
    assert entry["registry"] == standins  # the mirror actually asked
    assert entry["resolved_at"].endswith("Z")

    # the lock keeps the canonical reference: any spelling pins the same digest
    from imagepin.lock import Lock

    pinned = Lock.load(lock).pin("docker.io/library/python:3.11-slim-bookworm")
    assert str(pinned) == f"docker.io/library/python:3.11-slim-bookworm@{registry_digest}"
    assert (
        Lock.load(lock).platform_digest("python:3.11-slim-bookworm", "linux/arm64")
        == (expected_platforms["linux/arm64/v8"])
    )

    check = run_cli("lock", "check", "--lock", str(lock))  # reuses the recorded mirror
    assert check.returncode == 0, check.stderr
    assert "1 reference(s) match their registries" in check.stdout


def test_single_manifest_has_no_platforms_and_matches_skopeo(
    open_registry: str, tmp_path: Path, docker_config: Path
) -> None:
    repo = unique()
    digest = infra.push_synthetic(open_registry, repo, "1.0")
    lock = tmp_path / "images.lock"
    ref = f"{open_registry}/{repo}:1.0"
    assert run_cli("lock", "add", ref, "--lock", str(lock)).returncode == 0
    assert sha(skopeo_raw(ref)) == digest
    assert show_json(lock)["images"][ref] == {
        "digest": digest,
        "media_type": "application/vnd.oci.image.manifest.v1+json",
        "platforms": {},
    }


def test_drift_check_refresh_cycle(open_registry: str, tmp_path: Path, docker_config: Path) -> None:
    repo = unique()
    platforms = ("linux/amd64", "linux/arm/v7")
    first = infra.push_synthetic(open_registry, repo, "3.12", platforms=platforms, seed="a")
    ref = f"{open_registry}/{repo}:3.12"
    lock = tmp_path / "images.lock"
    assert run_cli("lock", "add", ref, "--lock", str(lock)).returncode == 0
    assert set(show_json(lock)["images"][ref]["platforms"]) == set(platforms)
    assert show_json(lock)["images"][ref]["digest"] == first

    same = run_cli("lock", "refresh", "--lock", str(lock))
    assert same.returncode == 0 and "nothing moved" in same.stdout
    before = lock.read_bytes()

    moved_to = infra.push_synthetic(open_registry, repo, "3.12", platforms=platforms, seed="b")
    check = run_cli("lock", "check", "--json", "--lock", str(lock))
    assert check.returncode == 1
    assert json.loads(check.stdout) == {
        "checked": 1,
        "drift": [{"reference": ref, "locked": first, "registry": moved_to}],
    }
    assert lock.read_bytes() == before  # check never writes

    refresh = run_cli("lock", "refresh", "--json", "--lock", str(lock))
    assert refresh.returncode == 0, refresh.stderr
    moves = json.loads(refresh.stdout)["moved"]
    assert [m["platform"] for m in moves] == ["index", "linux/amd64", "linux/arm/v7"]
    assert moves[0] == {"reference": ref, "platform": "index", "old": first, "new": moved_to}
    assert run_cli("lock", "check", "--lock", str(lock)).returncode == 0


def test_basic_auth_through_docker_config(
    auth_registry: tuple[str, str, str], tmp_path: Path, docker_config: Path
) -> None:
    host, user, password = auth_registry
    repo = unique()
    digest = infra.push_synthetic(host, repo, "v1", auth=(user, password))
    ref = f"{host}/{repo}:v1"
    lock = tmp_path / "images.lock"

    denied = run_cli("lock", "add", ref, "--lock", str(lock))
    assert denied.returncode == 2
    assert host in denied.stderr and "docker login" in denied.stderr
    assert not lock.exists()

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    (docker_config / "config.json").write_text(json.dumps({"auths": {host: {"auth": token}}}))
    ok = run_cli("lock", "add", ref, "--lock", str(lock))
    assert ok.returncode == 0, ok.stderr
    assert show_json(lock)["images"][ref]["digest"] == digest
    assert sha(skopeo_raw(ref, creds=f"{user}:{password}")) == digest
    for text in (ok.stdout, ok.stderr, lock.read_text(), denied.stderr):
        assert password not in text and token not in text


def test_missing_tag_and_repository_fail_cleanly(
    open_registry: str, tmp_path: Path, docker_config: Path
) -> None:
    repo = unique()
    infra.push_synthetic(open_registry, repo, "present")
    lock = tmp_path / "images.lock"
    assert (
        run_cli("lock", "add", f"{open_registry}/{repo}:present", "--lock", str(lock)).returncode
        == 0
    )
    before = lock.read_bytes()
    for missing in (f"{open_registry}/{repo}:absent", f"{open_registry}/{unique()}:x"):
        proc = run_cli(
            "lock", "add", f"{open_registry}/{repo}:present", missing, "--lock", str(lock)
        )
        assert proc.returncode == 2
        assert missing.split("/", 1)[1].split(":")[0] in proc.stderr
        assert "Traceback" not in proc.stderr
        assert lock.read_bytes() == before  # all or nothing


def test_connection_refused_names_the_host(tmp_path: Path, docker_config: Path) -> None:
    lock = tmp_path / "images.lock"
    proc = run_cli("lock", "add", "127.0.0.1:9/nothing/here:1", "--lock", str(lock))
    assert proc.returncode == 2
    assert "127.0.0.1:9" in proc.stderr
    assert not lock.exists()


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    lock = tmp_path / "images.lock"
    bad = run_cli("lock", "add", "Not A Ref", "--lock", str(lock))
    assert bad.returncode == 2 and "'Not A Ref'" in bad.stderr
    pinned = run_cli("lock", "add", "python:3.12@sha256:" + "a" * 64, "--lock", str(lock))
    assert pinned.returncode == 2 and "already carries a digest" in pinned.stderr
    missing = run_cli("lock", "show", "--lock", str(lock))
    assert missing.returncode == 2 and "no such lock file" in missing.stderr
    lock.write_text("{ nope")
    corrupt = run_cli("lock", "show", "--lock", str(lock))
    assert corrupt.returncode == 2 and "line 1, column 3" in corrupt.stderr
    assert not list(tmp_path.glob(".images.lock.*"))


def test_concurrent_lock_add_processes_both_land(
    open_registry: str, tmp_path: Path, docker_config: Path
) -> None:
    lock = tmp_path / "images.lock"
    refs = []
    for i in range(6):
        repo = unique()
        infra.push_synthetic(open_registry, repo, str(i))
        refs.append(f"{open_registry}/{repo}:{i}")
    procs = [
        subprocess.Popen(
            [IMAGEPIN, "lock", "add", ref, "--lock", str(lock)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for ref in refs
    ]
    for p in procs:
        assert p.wait(120) == 0, p.stderr.read() if p.stderr else ""
    assert set(show_json(lock)["images"]) == set(refs)


def test_a_progress_bar_on_a_terminal_and_nothing_in_a_log(
    open_registry: str, tmp_path: Path
) -> None:
    repo = unique("bar")
    refs = []
    for i in range(5):
        infra.push_synthetic(open_registry, repo, f"t{i}")
        refs.append(f"{open_registry}/{repo}:t{i}")
    plain = run_cli("lock", "add", *refs, "--lock", str(tmp_path / "a.lock"))
    assert plain.returncode == 0 and plain.stderr == ""
    # FORCE_COLOR makes rich treat stderr as a terminal: the transient bar is drawn, then erased
    bar = run_cli(
        "lock", "add", *refs, "--lock", str(tmp_path / "b.lock"), env={"FORCE_COLOR": "1"}
    )
    assert bar.returncode == 0
    assert "resolving" in bar.stderr and "5/5" in bar.stderr
