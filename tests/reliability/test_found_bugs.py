"""Regression tests for the product bugs the reliability suite found, one per fix.

Each test records its fix for `docs/RELIABILITY.md` ("Failures found and fixed") only once it
has passed, so the document lists what is fixed and tested, not what was hoped.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from collector import Fixed, Report

from components.preview import record
from components.python_image import PythonImage
from imagepin import config_files, registry_faults
from imagepin.config import ConfigError, load_stack
from imagepin.lock import Lock, LockEntry, LockError

from helpers import run_cli


def fixed(report: Report, key: str, where: str, what: str, test: str) -> None:
    report.fixed[key] = Fixed(key, where, what, f"tests/reliability/test_found_bugs.py::{test}")


@pytest.mark.parametrize("text", ["[" * 100_000, '{"version": 1, "images": ' + '{"a": ' * 5000])
def test_deeply_nested_lock_is_a_corrupt_lock(text: str, tmp_path: Path, report: Report) -> None:
    with pytest.raises(LockError, match="nested too deeply"):
        Lock.loads(text, "images.lock")
    lock = tmp_path / "images.lock"
    lock.write_text(text)
    proc = run_cli("lock", "show", "--lock", str(lock))
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "Traceback" not in proc.stderr and "nested too deeply" in proc.stderr
    fixed(
        report,
        "lock-recursion",
        "imagepin/lock.py",
        "A lock file of deeply nested JSON (`[[[[...`) crashed `Lock.loads` and every "
        "`imagepin lock` command with a RecursionError traceback (exit 1); it is now a corrupt "
        "lock (LockError, exit 2).",
        "test_deeply_nested_lock_is_a_corrupt_lock",
    )


@pytest.mark.parametrize("nested", ["[" * 5000 + "]" * 5000, "{a: " * 3000 + "1" + "}" * 3000])
def test_deeply_nested_stack_file_is_a_config_error(
    nested: str, tmp_path: Path, report: Report
) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(f"config:\n  imagepin:images: {nested}\n")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_stack("dev", tmp_path)
    proc = run_cli("render", "--stack", "dev", "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr[-500:]
    assert "Traceback" not in proc.stderr
    assert "stacks/Pulumi.dev.yaml: lists or mappings nested too deeply" in proc.stderr
    assert not (tmp_path / "out").exists()
    fixed(
        report,
        "stack-recursion",
        "imagepin/config_files.py",
        "A stack file with deeply nested flow lists or mappings crashed `load_stack` (and "
        "`render`, `preview`, `lock add --from-stacks`) with a RecursionError traceback; it is "
        "now a ConfigError naming the file (exit 2).",
        "test_deeply_nested_stack_file_is_a_config_error",
    )


def _project(root: Path, stack: str) -> Path:
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    (root / "app").mkdir(exist_ok=True)
    (root / "Pulumi.yaml").write_text("name: p\nruntime: python\nstackConfigDir: stacks\n")
    (root / "stacks" / "Pulumi.dev.yaml").write_text(stack)
    return root


@pytest.mark.parametrize(
    ("stack", "where"),
    [
        ("config:\n  imagepin:images: '" + "x" * 200_000 + "'\n", "imagepin:images"),
        ("config:\n  imagepin:backend: [" + "slim, " * 20_000 + "slim]\n", "imagepin:backend"),
        ("config:\n  imagepin:allowedVariants: [[" + "1, " * 20_000 + "1]]\n", "[0]"),
        ("'" + "y" * 200_000 + "'\n", "expected a mapping"),
    ],
    ids=["huge string", "huge list", "huge nested list", "huge top-level string"],
)
def test_error_messages_quote_huge_values_in_part(
    stack: str, where: str, tmp_path: Path, report: Report
) -> None:
    root = _project(tmp_path, stack)
    with pytest.raises(ConfigError) as caught:
        load_stack("dev", root)
    message = str(caught.value)
    assert len(message) <= 800 and where in message and "stacks/Pulumi.dev.yaml" in message
    fixed(
        report,
        "huge-values-in-messages",
        "imagepin/config_errors.py",
        "Config errors quoted the offending value whole: `--stack /etc/passwd` printed the "
        "file, a 200 kB string printed 200 kB, and a YAML alias bomb printed 52 MB over 35 s. "
        "Values are now quoted in part (reprlib) and messages capped at 800 characters.",
        "test_error_messages_quote_huge_values_in_part",
    )


BOMB = "config:\n" + "".join(
    f"  x:{name}: &{name} [{', '.join([prev] * 10)}]\n"
    for name, prev in zip("abcdefgh", ['"lol"', *("*" + c for c in "abcdefg")], strict=True)
)


def test_yaml_alias_bomb_is_refused(tmp_path: Path, report: Report) -> None:
    root = _project(tmp_path, BOMB)
    (root / "__main__.py").write_text("raise SystemExit('the program must not run')\n")
    with pytest.raises(ConfigError, match="expand to more than 100000 values"):
        load_stack("dev", root)
    proc = run_cli("preview", "--stack", "dev", "--root", str(root), timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "stacks/Pulumi.dev.yaml: its &anchors and *aliases expand" in proc.stderr
    # anchors and aliases of a sane size keep working
    (root / "stacks" / "Pulumi.dev.yaml").write_text(
        "config:\n  x:p: &p [linux/amd64]\n  imagepin:allowedVariants: &v [slim]\n"
        "  imagepin:allowPrerelease: false\n"
    )
    assert load_stack("dev", root).allowed_variants == ("slim",)
    fixed(
        report,
        "alias-bomb",
        "imagepin/config_files.py",
        'A 9-line stack file of nested YAML aliases ("billion laughs") made `imagepin '
        "preview` expand 580 MB of config JSON (1.1 GB of memory, 13 s; one more line would "
        "exhaust memory). Stack files expanding to more than 100,000 values are now refused "
        "with a ConfigError naming the file.",
        "test_yaml_alias_bomb_is_refused",
    )


def test_a_bad_local_registry_image_names_the_stack_key(tmp_path: Path, report: Report) -> None:
    root = _project(
        tmp_path,
        "config:\n  imagepin:registry: {kind: local, image: /registry:2}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_stack("dev", root)
    assert str(caught.value).startswith(
        "stacks/Pulumi.dev.yaml: imagepin:registry.image: invalid reference '/registry:2'"
    )
    proc = run_cli("lock", "add", "--from-stacks", cwd=root)
    assert proc.returncode == 2 and "imagepin:registry.image" in proc.stderr
    assert not (root / "images.lock").exists()
    fixed(
        report,
        "registry-image",
        "imagepin/config.py",
        "`imagepin:registry.image` was not checked when the stack loaded: a malformed image "
        "passed validation and `lock add --from-stacks` (and the program) later failed with "
        "an InvalidReference naming neither the stack file nor the key. It is now checked "
        "with the rest of the stack.",
        "test_a_bad_local_registry_image_names_the_stack_key",
    )


def test_two_lock_keys_for_one_image_are_a_corrupt_lock(tmp_path: Path, report: Report) -> None:
    entry = {
        "media_type": "application/vnd.oci.image.index.v1+json",
        "platforms": {},
        "registry": "docker.io",
        "resolved_at": "2026-11-25T16:40:00Z",
    }
    images = {
        "docker.io/library/python:3.12": {**entry, "digest": "sha256:" + "a" * 64},
        "python:3.12": {**entry, "digest": "sha256:" + "b" * 64},
    }
    text = json.dumps({"version": 1, "images": images}, indent=2)
    with pytest.raises(LockError, match=r"both name docker\.io/library/python:3\.12") as caught:
        Lock.loads(text, "images.lock")
    assert "line 11:" in str(caught.value)  # the second key
    lock = tmp_path / "images.lock"
    lock.write_text(text)
    proc = run_cli("lock", "show", "--lock", str(lock))
    assert proc.returncode == 2 and "ambiguous" in proc.stderr
    fixed(
        report,
        "lock-duplicate-keys",
        "imagepin/lock.py",
        "A lock with two keys for one image (`python:3.12` and "
        "`docker.io/library/python:3.12`, as a merge can leave it) loaded without complaint "
        "and pinned the image to whichever digest sorted last. It is now a corrupt lock "
        "naming both keys and the line.",
        "test_two_lock_keys_for_one_image_are_a_corrupt_lock",
    )


@pytest.mark.parametrize(("field", "line"), [("platforms", 8), ("registry", 10), ("media_type", 6)])
def test_a_lone_surrogate_in_a_lock_is_a_corrupt_lock(
    field: str, line: int, tmp_path: Path, report: Report
) -> None:
    digest = "sha256:" + "a" * 64
    entry: dict[str, object] = {
        "digest": digest,
        "media_type": "application/vnd.oci.image.index.v1+json",
        "platforms": {"linux/amd64": digest},
        "registry": "docker.io",
        "resolved_at": "2026-11-25T16:40:00Z",
    }
    if field == "platforms":
        entry["platforms"] = {"\udcfflinux/arm/v7": digest}
    else:
        entry[field] = f"{entry[field]}\udcff"
    text = json.dumps({"version": 1, "images": {"python:3.12": entry}}, indent=1)  # \udcff escaped
    with pytest.raises(LockError, match="lone UTF-16 surrogate") as caught:
        Lock.loads(text, "images.lock")
    assert f"line {line}:" in str(caught.value) and "\\udcff" in str(caught.value)
    str(caught.value).encode("utf-8")  # the message itself can be printed
    lock = tmp_path / "images.lock"
    lock.write_text(text)
    proc = run_cli("lock", "show", "--lock", str(lock))
    assert proc.returncode == 2 and "lone UTF-16 surrogate" in proc.stderr, proc.stderr[-500:]
    assert "Traceback" not in proc.stderr
    fixed(
        report,
        "lock-lone-surrogate",
        "imagepin/lock.py",
        "A lock file with an unpaired \\udXXX escape in a platform, registry or media type "
        "loaded, and writing it back turned the character into U+FFFD, so the lock changed "
        "under a load-and-save (found by the Lock.loads fuzz target). It is now a corrupt lock "
        "naming the line, the key path and the string.",
        "test_a_lone_surrogate_in_a_lock_is_a_corrupt_lock",
    )


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limit_advice_names_only_options_that_exist(status: int, report: Report) -> None:
    request = httpx.Request("GET", "http://127.0.0.1:5000/v2/x/manifests/1")
    response = httpx.Response(status, headers={"Retry-After": "1"}, request=request)
    message = str(registry_faults.unavailable(response, 5, 3.0))
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", message))
    assert options, message
    for command in ("add", "refresh", "check"):
        usage = run_cli("lock", command, "--help", env={"COLUMNS": "300"}).stdout
        assert all(option in usage for option in options), (options, usage)
    fixed(
        report,
        "no-concurrency-option",
        "imagepin/registry_faults.py",
        "The 429 error told users to 'lower --concurrency', an option no `imagepin lock` "
        "command has; it now says to wait and retry or use a --mirror.",
        "test_rate_limit_advice_names_only_options_that_exist",
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://__token__:{token}@pypi.example.com/simple",
        "__token__:{token}@pypi.example.com/simple",
        "http://ci:{token}@pypi.example.com:8443/simple",
    ],
)
def test_a_token_written_into_the_index_url_is_not_echoed(
    url: str, tmp_path: Path, report: Report
) -> None:
    token = "pypi-AgEIcHlwaS5vcmc-reliability"
    stack = (
        "config:\n  imagepin:images:\n    - name: service\n      app: app\n"
        "      python: '3.12'\n      command: [python3, -m, service]\n"
        f"      pip: {{indexUrl: '{url.format(token=token)}'}}\n"
    )
    root = _project(tmp_path, stack)
    with pytest.raises(ConfigError) as caught:
        load_stack("dev", root)
    assert "imagepin:images[0].pip.indexUrl" in str(caught.value)
    assert "***@pypi.example.com" in str(caught.value)
    proc = run_cli("render", "--stack", "dev", "--out", "out", cwd=root)
    assert proc.returncode == 2 and "indexUrl" in proc.stderr
    assert token not in proc.stderr + proc.stdout + str(caught.value)
    fixed(
        report,
        "token-in-index-url",
        "imagepin/dockerfile_options.py",
        "A pip index URL with the token written into it (`https://__token__:<token>@host/...`) "
        "was rejected with a message quoting the URL, token included, into the terminal and "
        "CI logs. The credentials are now shown as `***`.",
        "test_a_token_written_into_the_index_url_is_not_echoed",
    )


def test_a_stack_file_too_big_without_aliases_is_not_called_an_alias_bomb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The alias limit (above) first blamed aliases for any file over the limit."""
    monkeypatch.setattr(config_files, "MAX_NODES", 50)  # the real 100,000 takes PyYAML seconds
    images = "".join(f"    - {{name: s{i}, app: app}}\n" for i in range(20))
    root = _project(tmp_path, "config:\n  imagepin:images:\n" + images)
    with pytest.raises(ConfigError) as caught:
        load_stack("dev", root)
    assert str(caught.value) == (
        "stacks/Pulumi.dev.yaml: holds more than 50 values; Pulumi config has no use for that many"
    )
    few = "".join(f"    - {{name: s{i}, app: app}}\n" for i in range(4))
    root = _project(tmp_path, f"config:\n  x:a: &a\n{few}  x:b: [*a, *a, *a, *a]\n")
    with pytest.raises(ConfigError, match="aliases expand to more than 50 values"):
        load_stack("dev", root)


@pytest.mark.parametrize("out", ["/dev/null/rendered", "/proc/imagepin-rendered", "lockfile/x"])
def test_render_into_an_unwritable_folder_is_a_usage_error(
    out: str, tmp_path: Path, report: Report
) -> None:
    root = _project(
        tmp_path,
        "config:\n  imagepin:images:\n    - {name: service, app: app, python: '3.12', "
        "distro: bookworm, command: [python3, -m, service]}\n",
    )
    (root / "app" / "requirements.txt").write_text("")
    entry = {
        "digest": "sha256:" + "a" * 64,
        "media_type": "application/vnd.oci.image.index.v1+json",
        "platforms": {"linux/amd64": "sha256:" + "b" * 64},
        "registry": "docker.io",
        "resolved_at": "2026-11-25T16:40:00Z",
    }
    lock = {"version": 1, "images": {"python:3.12-slim-bookworm": entry}}
    (root / "images.lock").write_text(json.dumps(lock))
    (root / "lockfile").write_text("a file, not a folder")
    proc = run_cli("render", "--stack", "dev", "--out", out, cwd=root)
    assert proc.returncode == 2, proc.stderr[-400:]
    assert "Traceback" not in proc.stderr
    assert f"--out {out}: cannot write the rendered files there" in proc.stderr
    fixed(
        report,
        "render-out",
        "imagepin/cli_render.py",
        "`imagepin render --out` into a folder that cannot be made or written (under a file, "
        "under /proc) crashed with a NotADirectoryError / FileNotFoundError traceback (exit "
        "1); it is now a usage error naming --out (exit 2).",
        "test_render_into_an_unwritable_folder_is_a_usage_error",
    )


PYTHON_IMAGE = {
    "app": "app",
    "repository": "127.0.0.1:5000/api",
    "python": "3.12",
    "distro": "bookworm",
    "command": ["python3", "-m", "service"],
}


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"cache_mode": "fastest"}, "cache_mode 'fastest' is not min or max"),
        ({"build_secrets": {"token": "x"}}, "build_secrets token is mounted by nothing"),
        ({"platforms": ["linux/arm/v5"]}, "'linux/arm/v5' cannot be built through"),
        ({"registry": {"address": "127.0.0.1:5000"}}, "registry must hold address, username"),
        ({"registry": "127.0.0.1:5000"}, "registry must hold address, username"),
        ({"app": "../outside"}, "app: '../outside' leads outside the project"),
        ({"app": "app/../../outside"}, "leads outside the project"),
        ({"repository": "Not A Repo"}, "repository: invalid reference 'Not A Repo'"),
        ({"repository": "127.0.0.1:5000/api:v1"}, "repository: '127.0.0.1:5000/api:v1' is not"),
        (None, "args must be a mapping of the documented keys, got NoneType"),
    ],
    ids=lambda v: str(v)[:40],
)
def test_python_image_checks_everything_before_writing(
    change: dict[str, object] | None,
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    report: Report,
) -> None:
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (root / "app" / "requirements.txt").write_text("")
    entry = LockEntry(
        digest="sha256:" + "a" * 64,
        media_type="application/vnd.oci.image.index.v1+json",
        platforms={"linux/amd64": "sha256:" + "b" * 64, "linux/arm/v5": "sha256:" + "c" * 64},
        registry="docker.io",
        resolved_at=datetime(2026, 11, 25, tzinfo=UTC),
    )
    Lock(root / "images.lock", {"python:3.12-slim-bookworm": entry}).save()
    monkeypatch.chdir(root)
    args = None if change is None else {**PYTHON_IMAGE, **change}
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(ConfigError) as caught:
        record(lambda: PythonImage("api", args), preview=True)  # type: ignore[arg-type]
    assert says in str(caught.value)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # no .dockerignore anywhere
    fixed(
        report,
        "python-image-validation",
        "components/python_image.py",
        "PythonImage wrote the app's `.dockerignore` before checking the rest of its args, so "
        "a bad cache_mode, build_secrets or platform left a file behind; a relative app "
        "leading out of the project (`../x`) got a `.dockerignore` written there; registry "
        "credentials without all three keys raised KeyError and args=None TypeError (not "
        "ImagepinError); an invalid or tagged repository passed until the deploy. All are "
        "now ConfigErrors naming the field, raised before anything is written.",
        "test_python_image_checks_everything_before_writing",
    )


def test_python_image_lock_errors_name_the_lock_file_arg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, report: Report
) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "bad.lock").write_bytes(b"\xff\xfe")
    monkeypatch.chdir(tmp_path)
    for lock_file, says in (("nosuch.lock", "no such lock file"), ("bad.lock", "not UTF-8")):
        with pytest.raises(LockError) as caught:
            record(lambda f=lock_file: PythonImage("api", {**PYTHON_IMAGE, "lock_file": f}))
        assert str(caught.value).startswith(f"PythonImage 'api': lock_file: {lock_file}: ")
        assert says in str(caught.value)
    fixed(
        report,
        "python-image-lock-file",
        "components/python_image.py",
        "A missing or corrupt `lock_file` made PythonImage fail with the lock's own message, "
        "naming neither the component nor the `lock_file` arg; it now does.",
        "test_python_image_lock_errors_name_the_lock_file_arg",
    )


@pytest.mark.parametrize(
    ("args", "quoted"),
    [
        (("base", "3:smile:"), "'3:smile:'"),
        (("lock", "add", "a:thumbs_up:"), "'a:thumbs_up:'"),
        (("lock", "show", "--lock", "x:x:.lock"), "x:x:.lock: no such lock file"),
    ],
)
def test_messages_print_colons_as_written(
    args: tuple[str, ...], quoted: str, tmp_path: Path, report: Report
) -> None:
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2 and quoted in proc.stderr, proc.stderr
    fixed(
        report,
        "emoji",
        "imagepin/console.py",
        "Rich turned `:name:` sequences of messages into emoji, so errors misquoted the input "
        "they were about (`imagepin lock add a:thumbs_up:` answered `invalid reference 'a👍'`, "
        "`--stack /etc/passwd` showed `root❌0:0`). The consoles now print text as written.",
        "test_messages_print_colons_as_written",
    )


def test_tls_failures_name_the_fix_that_works(report: Report) -> None:
    url = httpx.URL("https://192.0.2.7:5443/v2/x/manifests/1")
    failure = httpx.ConnectError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    )
    message = str(registry_faults.unreachable(url, "GET", failure, 10.0))
    assert "SSL_CERT_FILE" in message and "--insecure" not in message, message
    request = httpx.Request("HEAD", "http://192.0.2.7:5443/v2/x/manifests/1")
    bare = httpx.Response(400, request=request, extensions={"http_version": b"HTTP/1.0"})
    assert registry_faults.from_a_tls_port(bare)
    told = str(registry_faults.spoke_http_to_tls("192.0.2.7:5443", loopback=False))
    assert "serves https" in told and "remove 192.0.2.7:5443 from --insecure" in told
    fixed(
        report,
        "tls-hint",
        "imagepin/registry_faults.py",
        "A registry with a certificate from a private CA failed with the advice to list it in "
        "--insecure, which makes imagepin speak plain http to a TLS port; that in turn failed "
        "as 'answered 400, check that it is an OCI registry'. Found by the https tests against a "
        "real TLS registry (tests/integration/test_registry_tls.py): the certificate error now "
        "says to add the CA to SSL_CERT_FILE, and a TLS port's answer to plain http says the "
        "host serves https.",
        "test_tls_failures_name_the_fix_that_works",
    )
