"""Bad input at every door: each CLI command and each component, fed malformed, missing and
hostile values (path traversal, huge and non-UTF-8 files, YAML bombs, deep nesting).

CLI: exit 2, no traceback, a message naming what is wrong, and nothing written: every case
runs in its own copy of a project (stacks, app, a lock) and the whole folder (with a sibling
"outside" folder for traversal) is hashed before and after. Components run under the SDK's
mock monitor: an `ImagepinError` whose message names the field, nothing written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from collector import BadInput, Report, normalize

from components.container_service import ContainerService
from components.preview import record
from components.python_image import PythonImage
from components.registry import EcrRepository, LocalRegistry
from imagepin.config import load_all, stack_bases
from imagepin.errors import ImagepinError
from imagepin.lock import Lock, LockEntry

from helpers import ROOT, run_cli

D = "sha256:" + "a" * 64
PLATFORMS = ("linux/amd64", "linux/arm64/v8", "linux/arm/v7")
NON_UTF8 = os.fsdecode(b"3.1\xff\xfe")  # as argv arrives from a shell with a bad byte in it


def fake(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`, with each file's content hash."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = f"-> {path.readlink()}"
        elif path.is_dir():
            found[key] = "dir"
        else:
            found[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project every case copies: the repo's program, stacks and app, and a lock."""
    root = tmp_path_factory.mktemp("template") / "project"
    root.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, root / name)
    for folder in ("stacks", "app"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".*", "__py*"))
    entries = {
        ref.familiar(): LockEntry(
            digest=fake(str(ref)),
            media_type="application/vnd.oci.image.index.v1+json",
            platforms={p: fake(f"{ref}{p}") for p in PLATFORMS},
            registry="docker.io",
            resolved_at=datetime(2026, 11, 25, tzinfo=UTC),
        )
        for ref, _ in stack_bases(load_all(root))
    }
    Lock(root / "images.lock", entries).save()
    ok = run_cli("preview", "--stack", "dev", "--root", str(root))  # writes app/.dockerignore
    assert ok.returncode == 0, ok.stderr
    return root


# --- CLI ----------------------------------------------------------------------------------------

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Cli:
    door: str
    case: str
    args: tuple[str, ...]
    says: tuple[str, ...]  # fragments of stderr (after <project> replaces the folder)
    setup: Setup | None = None
    env: dict[str, str] = field(default_factory=dict)


def stack_with(**image: Any) -> Setup:
    """A `bad` stack: the dev stack with these fields of its image replaced."""

    def setup(root: Path) -> None:
        doc = yaml.safe_load((root / "stacks" / "Pulumi.dev.yaml").read_text())
        doc["config"]["imagepin:images"][0].update(image)
        (root / "stacks" / "Pulumi.bad.yaml").write_text(yaml.safe_dump(doc))

    return setup


def write(name: str, data: bytes | str) -> Setup:
    def setup(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    return setup


def symlinked_app(root: Path) -> None:
    (root / "stacks" / "Pulumi.bad.yaml").write_text(
        (root / "stacks" / "Pulumi.dev.yaml").read_text().replace("app: app", "app: escape")
    )
    (root / "escape").symlink_to(root.parent / "outside")


def both(*setups: Setup) -> Setup:
    def setup(root: Path) -> None:
        for one in setups:
            one(root)

    return setup


BOMB = "config:\n" + "".join(
    f"  x:{n}: &{n} [{', '.join([p] * 10)}]\n"
    for n, p in zip("abcdefgh", ['"lol"', *("*" + c for c in "abcdefg")], strict=True)
)
RANDOM = hashlib.sha256(b"seed").digest() * 700_000  # 22 MB, mostly not UTF-8
DUPLICATE_LOCK = json.dumps(
    {
        "version": 1,
        "images": {
            key: {
                "digest": D,
                "media_type": "application/vnd.oci.image.index.v1+json",
                "platforms": {},
                "registry": "docker.io",
                "resolved_at": "2026-11-25T16:40:00Z",
            }
            for key in ("python:3.12", "docker.io/library/python:3.12")
        },
    }
)
PREVIEW = ("preview", "--root", ".")
UNSET = "RELIABILITY_UNSET_SECRET"

CLI = [
    # base
    Cli("base", "unknown version", ("base", "9.99"), ("python 9.99 is not in the catalog",)),
    Cli("base", "misspelt variant", ("base", "3.12", "--variant", "slimm"), ("'slimm'",)),
    Cli("base", "distro path traversal", ("base", "3.12", "--distro", "../../etc"), ("../../etc",)),
    Cli("base", "empty version", ("base", ""), ("version ''",)),
    Cli("base", "non-UTF-8 version", ("base", NON_UTF8), ("is not a Python version",)),
    Cli("base", "bad date", ("base", "3.12", "--on", "2026-13-45"), ("--on",)),
    Cli(
        "base",
        "registry with a path",
        ("base", "3.12", "--registry", "http://x/y"),
        ("http://x/y",),
    ),
    Cli("base", "missing version", ("base",), ("VERSION",)),
    # lock add
    Cli("lock add", "empty reference", ("lock", "add", ""), ("invalid reference ''",)),
    Cli(
        "lock add",
        "reference with a digest",
        ("lock", "add", f"python:3.12@{D}"),
        ("already carries a digest",),
    ),
    Cli(
        "lock add",
        "non-UTF-8 reference",
        ("lock", "add", "py" + NON_UTF8),
        ("invalid reference",),
    ),
    Cli(
        "lock add",
        "mirror with a path",
        ("lock", "add", "python:3.12", "--mirror", "http://evil/x"),
        ("--mirror takes a host[:port]",),
    ),
    Cli(
        "lock add",
        "negative timeout",
        ("lock", "add", "python:3.12", "--timeout", "-1"),
        ("--timeout",),
    ),
    Cli(
        "lock add", "lock is a folder", ("lock", "add", "python:3.12", "--lock", "app"), ("--lock",)
    ),
    Cli("lock add", "nothing to add", ("lock", "add"), ("nothing to add",)),
    Cli(
        "lock add",
        "--from-stacks with an app path leading out",
        ("lock", "add", "--from-stacks"),
        ("stacks/Pulumi.bad.yaml: imagepin:images[0].app", "leaves the project"),
        stack_with(app="../outside"),
    ),
    # lock refresh / check / show
    Cli(
        "lock refresh",
        "missing lock",
        ("lock", "refresh", "--lock", "nosuch.lock"),
        ("nosuch.lock: no such lock file",),
    ),
    Cli(
        "lock refresh",
        "truncated lock",
        ("lock", "refresh"),
        ("images.lock: corrupt lock file",),
        lambda root: (root / "images.lock").write_text((root / "images.lock").read_text()[:300]),
    ),
    Cli(
        "lock refresh",
        "non-UTF-8 lock (22 MB)",
        ("lock", "refresh"),
        ("images.lock: corrupt lock file, not UTF-8",),
        write("images.lock", RANDOM),
    ),
    Cli(
        "lock refresh",
        "reference not in the lock",
        ("lock", "refresh", "python:2.7"),
        ("'python:2.7' is not in images.lock",),
    ),
    Cli(
        "lock refresh",
        "lock from a newer imagepin",
        ("lock", "refresh"),
        ("format version 99", "upgrade imagepin"),
        write("images.lock", '{"version": 99, "images": {}}'),
    ),
    Cli(
        "lock refresh",
        "two keys for one image",
        ("lock", "refresh"),
        ("both name docker.io/library/python:3.12",),
        write("images.lock", DUPLICATE_LOCK),
    ),
    Cli(
        "lock check",
        "corrupt lock",
        ("lock", "check"),
        ("images.lock: corrupt lock file",),
        write("images.lock", '{"version": 1, "images": {"python:3.12": {"digest": 5}}}'),
    ),
    Cli("lock check", "malformed reference", ("lock", "check", "NOT A REF"), ("'NOT A REF'",)),
    Cli(
        "lock show",
        "deeply nested lock",
        ("lock", "show"),
        ("nested too deeply",),
        write("images.lock", "[" * 100_000),
    ),
    Cli("lock show", "lock is a folder", ("lock", "show", "--lock", "stacks"), ("--lock",)),
    # render
    Cli(
        "render",
        "unknown stack",
        ("render", "--stack", "qa", "--out", "out"),
        ("stacks/Pulumi.qa.yaml: no such stack file",),
    ),
    Cli(
        "render",
        "stack path traversal to a file outside the project",
        ("render", "--stack", "../outside/keep", "--out", "out"),
        ("../outside/keep: expected a mapping with a config: key",),
    ),
    Cli(
        "render",
        "app path leading out",
        ("render", "--stack", "bad", "--out", "out"),
        ("imagepin:images[0].app: '../outside' leaves the project",),
        stack_with(app="../outside"),
    ),
    Cli(
        "render",
        "absolute app path",
        ("render", "--stack", "bad", "--out", "out"),
        ("imagepin:images[0].app: '/etc' leaves the project",),
        stack_with(app="/etc"),
    ),
    Cli(
        "render",
        "app symlinked out of the project",
        ("render", "--stack", "bad", "--out", "out"),
        ("imagepin:images[0].app: 'escape' leads outside the project through a symlink",),
        symlinked_app,
    ),
    Cli(
        "render",
        "requirements path leading out",
        ("render", "--stack", "bad", "--out", "out"),
        ("imagepin:images[0].requirements[0]", "is not a file inside the app directory"),
        stack_with(requirements=["../../../etc/passwd"]),
    ),
    Cli(
        "render",
        "non-UTF-8 stack file",
        ("render", "--stack", "bad", "--out", "out"),
        ("stacks/Pulumi.bad.yaml: cannot read the stack file",),
        write("stacks/Pulumi.bad.yaml", b"config:\n  imagepin:images: \xff\xfe\n"),
    ),
    Cli(
        "render",
        "2 MB string in a stack file",
        ("render", "--stack", "bad", "--out", "out"),
        ("imagepin:baseMirror", "[...]"),
        write("stacks/Pulumi.bad.yaml", "config:\n  imagepin:baseMirror: " + "a" * 2_000_000),
    ),
    Cli(
        "render",
        "YAML alias bomb",
        ("render", "--stack", "bad", "--out", "out"),
        ("aliases expand to more than 100000 values",),
        write("stacks/Pulumi.bad.yaml", BOMB),
    ),
    Cli(
        "render",
        "deeply nested stack file",
        ("render", "--stack", "bad", "--out", "out"),
        ("nested too deeply",),
        write("stacks/Pulumi.bad.yaml", "config:\n  imagepin:images: " + "[" * 5000),
    ),
    Cli(
        "render",
        "--out under a file",
        ("render", "--stack", "dev", "--out", "images.lock/x"),
        ("--out images.lock/x: cannot write",),
    ),
    Cli(
        "render",
        "unknown image",
        ("render", "--stack", "dev", "--out", "out", "--image", "nosuch"),
        ("no image named 'nosuch'",),
    ),
    Cli(
        "render",
        "missing lock",
        ("render", "--stack", "dev", "--out", "out", "--lock", "nosuch.lock"),
        ("nosuch.lock: no such lock file",),
    ),
    # preview
    Cli(
        "preview", "unknown stack", (*PREVIEW, "--stack", "qa"), ("Pulumi.qa.yaml: no such stack",)
    ),
    Cli(
        "preview",
        "no project at --root",
        ("preview", "--stack", "dev", "--root", "app"),
        ("no Pulumi program here",),
    ),
    Cli(
        "preview", "unknown format", (*PREVIEW, "--stack", "dev", "--format", "xml"), ("--format",)
    ),
    Cli(
        "preview",
        "misspelt variant in the stack",
        (*PREVIEW, "--stack", "bad"),
        ("imagepin:images[0].variant: 'slimm' is not one of", "did you mean 'slim'"),
        stack_with(variant="slimm"),
    ),
    Cli(
        "preview",
        "secret env from an unset variable",
        (*PREVIEW, "--stack", "bad"),
        (f"{UNSET} is not set",),
        lambda root: (root / "stacks" / "Pulumi.bad.yaml").write_text(
            (root / "stacks" / "Pulumi.dev.yaml")
            .read_text()
            .replace(
                "      env:\n",
                "      secretEnv: {T: {env: RELIABILITY_UNSET_SECRET}}\n      env:\n",
            )
        ),
    ),
    # check
    Cli("check", "nothing to check", ("check",), ("nothing to check",)),
    Cli(
        "check",
        "missing Dockerfile",
        ("check", "--dockerfile", "nosuch"),
        ("nosuch: no such file",),
    ),
    Cli(
        "check",
        "Dockerfile is a folder",
        ("check", "--dockerfile", "app"),
        ("app: is a directory",),
    ),
    Cli(
        "check",
        "non-UTF-8 Dockerfile (22 MB)",
        ("check", "--dockerfile", "Dockerfile"),
        ("Dockerfile: cannot read the Dockerfile",),
        write("Dockerfile", RANDOM),
    ),
    Cli(
        "check", "unknown format", ("check", "--dockerfile", "x", "--format", "yaml"), ("--format",)
    ),
    Cli("check", "bad date", ("check", "--dockerfile", "x", "--on", "yesterday"), ("--on",)),
    Cli(
        "check",
        "corrupt --lock",
        ("check", "--dockerfile", "app/requirements.txt", "--lock", "bad.lock"),
        ("bad.lock: corrupt lock file",),
        write("bad.lock", "{"),
    ),
    Cli("check", "unknown stack", ("check", "--stack", "qa"), ("qa",)),
    # rules
    Cli("rules", "two formats", ("rules", "--markdown", "--json"), ("--json",)),
    Cli("rules", "unexpected argument", ("rules", "PIN001"), ("unexpected extra argument",)),
]


def shown(stderr: str, root: Path) -> str:
    """The message itself: imagepin's `error: ...`, or the text of click's error box."""
    box = [line.strip("│ ") for line in stderr.splitlines() if line.startswith("│")]
    text = " ".join(box) if box else stderr
    return normalize(text, {str(root): "<project>"}).removeprefix("error: ")


@dataclass
class Ran:
    proc: Any
    before: dict[str, str]
    after: dict[str, str]
    root: Path


def run_case(case: Cli, template: Path, folder: Path) -> Ran:
    root = folder / "project"
    shutil.copytree(template, root, symlinks=True)
    (folder / "outside").mkdir()
    (folder / "outside" / "keep").write_text("outside the project\n")
    if case.setup is not None:
        case.setup(root)
    before = snapshot(folder)
    proc = run_cli(*case.args, cwd=root, env=case.env, timeout=120)
    return Ran(proc, before, snapshot(folder), root)


@pytest.fixture(scope="module")
def cli_runs(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Ran]:
    base = tmp_path_factory.mktemp("cli")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            f"{c.door}: {c.case}": pool.submit(run_case, c, template, base / str(i))
            for i, c in enumerate(CLI)
        }
    return {key: future.result() for key, future in futures.items()}


@pytest.mark.parametrize("case", CLI, ids=[f"{c.door}: {c.case}" for c in CLI])
def test_cli_refuses_bad_input_cleanly(case: Cli, cli_runs: dict[str, Ran], report: Report) -> None:
    ran = cli_runs[f"{case.door}: {case.case}"]
    proc = ran.proc
    message = normalize(proc.stderr, {str(ran.root): "<project>"})
    assert proc.returncode == 2, f"exit {proc.returncode}: {proc.stdout[-300:]}{message[-800:]}"
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr) < 4000, f"{len(proc.stderr)} characters of error"
    for fragment in case.says:
        assert fragment in message, message
    assert ran.after == ran.before, "the command wrote or deleted files"
    report.bad_inputs.append(
        BadInput(f"imagepin {case.door}", case.case, "exit 2", shown(proc.stderr, ran.root))
    )


# --- components -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Door:
    component: str
    case: str
    args: Any
    says: tuple[str, ...]  # the field, and what is wrong
    setup: Setup | None = None


IMAGE = {
    "app": "app",
    "repository": "127.0.0.1:5000/api",
    "python": "3.12",
    "distro": "bookworm",
    "command": ["python3", "-m", "service"],
    "lock_file": "images.lock",
}
SERVICE = {"image": f"127.0.0.1:5000/api@{D}"}
REGISTRY = {"image": "registry:2", "lock_file": "images.lock"}
ECS = {"cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/x", "subnets": ["subnet-1"]}
MAKERS: dict[str, Callable[[Any], object]] = {
    "PythonImage": lambda args: PythonImage("api", args),
    "ContainerService": lambda args: ContainerService("api", args),
    "LocalRegistry": lambda args: LocalRegistry("registry", args),
    "EcrRepository": lambda args: EcrRepository("api", args),
}


def without(args: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k != key}


DOORS = [
    Door("PythonImage", "missing python", without(IMAGE, "python"), ("missing python",)),
    Door("PythonImage", "python not a version", {**IMAGE, "python": "3.x"}, ("python", "'3.x'")),
    Door("PythonImage", "misspelt variant", {**IMAGE, "variant": "slimm"}, ("variant", "slimm")),
    Door(
        "PythonImage",
        "platform the base lacks",
        {**IMAGE, "platforms": ["windows/amd64"]},
        ("platforms", "windows/amd64"),
    ),
    Door("PythonImage", "app path leading out", {**IMAGE, "app": "../outside"}, ("app:",)),
    Door("PythonImage", "app missing", {**IMAGE, "app": "nosuch"}, ("app:", "not a directory")),
    Door("PythonImage", "app is a file", {**IMAGE, "app": "images.lock"}, ("app:",)),
    Door(
        "PythonImage",
        "requirements leading out",
        {**IMAGE, "requirements": ["../../etc/passwd"]},
        ("requirements", "not a file inside the app directory"),
    ),
    Door(
        "PythonImage",
        "tagged repository",
        {**IMAGE, "repository": "127.0.0.1:5000/api:latest"},
        ("repository",),
    ),
    Door(
        "PythonImage",
        "repository not a reference",
        {**IMAGE, "repository": "Not A Repo"},
        ("repository", "invalid reference"),
    ),
    Door(
        "PythonImage",
        "lock file missing",
        {**IMAGE, "lock_file": "nosuch.lock"},
        ("lock_file: nosuch.lock: no such lock file",),
    ),
    Door(
        "PythonImage",
        "lock file not UTF-8 (22 MB)",
        {**IMAGE, "lock_file": "bad.lock"},
        ("lock_file: bad.lock: corrupt lock file",),
        write("bad.lock", RANDOM),
    ),
    Door(
        "PythonImage",
        "incomplete registry credentials",
        {**IMAGE, "registry": {"address": "127.0.0.1:5000", "username": "u"}},
        ("registry must hold address, username and password",),
    ),
    Door("PythonImage", "platforms a number", {**IMAGE, "platforms": 5}, ("platforms",)),
    Door(
        "PythonImage", "platforms a string", {**IMAGE, "platforms": "linux/amd64"}, ("platforms",)
    ),
    Door(
        "PythonImage",
        "cache repository with a tag",
        {**IMAGE, "cache_repository": "127.0.0.1:5000/api-cache:latest"},
        ("cache_repository:", "is not a repository"),
    ),
    Door("PythonImage", "args not a mapping", ["app"], ("args must be a mapping",)),
    Door(
        "ContainerService",
        "tag instead of digest",
        {"image": "python:3.12"},
        ("image", "has no digest"),
    ),
    Door("ContainerService", "missing image", {}, ("image: missing",)),
    Door("ContainerService", "port out of range", {**SERVICE, "port": 70000}, ("port",)),
    Door("ContainerService", "port not a number", {**SERVICE, "port": "http"}, ("port",)),
    Door(
        "ContainerService",
        "env name",
        {**SERVICE, "env": {"1BAD": "x"}},
        ("env.1BAD", "not an environment variable name"),
    ),
    Door("ContainerService", "negative memory", {**SERVICE, "memory": -5}, ("memory",)),
    Door("ContainerService", "root user", {**SERVICE, "user": "0"}, ("user",)),
    Door(
        "ContainerService",
        "health check path",
        {**SERVICE, "healthcheck": {"path": "no slash"}},
        ("healthcheck.path",),
    ),
    Door(
        "ContainerService",
        "ECS without subnets",
        {**SERVICE, "ecs": {**ECS, "subnets": []}},
        ("ecs.subnets",),
    ),
    Door(
        "ContainerService",
        "restart policy",
        {**SERVICE, "docker": {"restart": "sometimes"}},
        ("docker.restart",),
    ),
    Door(
        "ContainerService",
        "ECS secret env given as a value",
        {**SERVICE, "secret_env": {"TOKEN": "plain-text"}, "ecs": ECS},
        ("secret_env", "ARN"),
    ),
    Door("ContainerService", "misspelt key", {**SERVICE, "imgae": "x"}, ("imgae", "unknown key")),
    Door("LocalRegistry", "port not a number", {**REGISTRY, "port": "abc"}, ("port",)),
    Door(
        "LocalRegistry",
        "image not in the lock",
        {**REGISTRY, "image": "registry:3"},
        ("image", "not pinned", "imagepin lock add registry:3"),
    ),
    Door(
        "LocalRegistry",
        "image not a reference",
        {**REGISTRY, "image": "Not A Ref"},
        ("image", "invalid reference"),
    ),
    Door(
        "LocalRegistry",
        "lock file is /etc/passwd",
        {**REGISTRY, "lock_file": "/etc/passwd"},
        ("image", "corrupt lock file"),
    ),
    Door(
        "LocalRegistry",
        "empty health check",
        {**REGISTRY, "healthcheck_command": []},
        ("healthcheck_command",),
    ),
    Door("EcrRepository", "name path traversal", {"name": "../x"}, ("name", "ECR repository")),
    Door("EcrRepository", "zero expiry", {"untagged_expiry_days": 0}, ("untagged_expiry_days",)),
    Door("EcrRepository", "count not a number", {"keep_tagged": "many"}, ("keep_tagged",)),
    Door("EcrRepository", "misspelt key", {"nmae": "api"}, ("nmae", "unknown key")),
    Door("EcrRepository", "build_cache not a flag", {"build_cache": "sometimes"}, ("build_cache",)),
]


@pytest.mark.parametrize("door", DOORS, ids=[f"{d.component}: {d.case}" for d in DOORS])
def test_component_refuses_bad_args_cleanly(
    door: Door,
    template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    report: Report,
) -> None:
    root = tmp_path / "project"
    shutil.copytree(template, root, symlinks=True)
    (tmp_path / "outside").mkdir()
    if door.setup is not None:
        door.setup(root)
    monkeypatch.chdir(root)
    before = snapshot(tmp_path)
    make = MAKERS[door.component]
    with pytest.raises(ImagepinError) as caught:
        record(lambda: make(door.args), preview=True)
    message = normalize(str(caught.value), {str(root): "<project>"})
    for fragment in door.says:
        assert fragment in message, message
    assert len(message) < 2000
    assert snapshot(tmp_path) == before, "the component wrote or deleted files"
    report.bad_inputs.append(
        BadInput(door.component, door.case, type(caught.value).__name__, message)
    )
