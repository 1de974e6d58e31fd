"""`imagepin check` and `imagepin rules` as users run them: formats, exit codes, SARIF for code
scanning, the rules reference that docs/RULES.md must match."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from imagepin.rules import RULES
from imagepin.rules.reference import markdown

from helpers import IMAGEPIN, ROOT, run_cli

A = "sha256:" + "a" * 64
GOOD = f'FROM python:3.12-slim-bookworm@{A}\nUSER 10001\nCMD ["python", "-m", "app"]\n'
WARN = f"FROM python:3.12-slim-bookworm@{A}\nUSER 10001\nCMD python -m app\n"
BAD = "FROM python:3.9\nRUN pip install x\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name, text in {"good": GOOD, "warn": WARN, "bad": BAD}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(text)
    return tmp_path


def test_a_clean_dockerfile_passes(files: Path) -> None:
    result = run_cli("check", "--dockerfile", "good/Dockerfile", cwd=files)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0 violations in 1 Dockerfile\n"


def test_a_file_given_twice_is_checked_once(files: Path) -> None:
    once = run_cli("check", "--dockerfile", "bad/Dockerfile", "--format", "json", cwd=files)
    twice = run_cli(
        "check", "-f", "bad/Dockerfile", "bad/Dockerfile", "--format", "json", cwd=files
    )
    assert twice.returncode == once.returncode == 1
    assert json.loads(twice.stdout) == json.loads(once.stdout)


def test_warnings_pass_unless_strict(files: Path) -> None:
    result = run_cli("check", "--dockerfile", "warn/Dockerfile", cwd=files)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].startswith(
        "warn/Dockerfile:3: warning DF002 CMD python -m app is in shell form"
    )
    assert run_cli("check", "-f", "warn/Dockerfile", "--strict", cwd=files).returncode == 1


def test_errors_fail_in_text_and_json(files: Path) -> None:
    text = run_cli(
        "check",
        "--dockerfile",
        "bad/Dockerfile",
        "good/Dockerfile",
        "--on",
        "2026-11-25",
        cwd=files,
    )
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert [line.split(" ", 3)[:3] for line in lines[:-1]] == [
        ["bad/Dockerfile:1:", "error", "PIN001"],
        ["bad/Dockerfile:1:", "error", "PY001"],
        ["bad/Dockerfile:1:", "warning", "VAR001"],
        ["bad/Dockerfile:1:", "warning", "VAR003"],
        ["bad/Dockerfile:1:", "warning", "DF004"],
        ["bad/Dockerfile:2:", "warning", "DF001"],
    ]
    assert lines[-1] == "6 violations (2 errors, 4 warnings) in 2 Dockerfiles"
    result = run_cli(
        "check", "-f", "bad/Dockerfile", "--format", "json", "--on", "2026-11-25", cwd=files
    )
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert list(doc) == ["violations"]
    assert doc["violations"][1] == {
        "rule": "PY001",
        "severity": "error",
        "message": "FROM python:3.9 in stage 0 runs Python 3.9, past its end of life on "
        "2025-10-31 (PEP 596): no more security fixes; move to python:3.15-trixie "
        "(`imagepin base 3.15 --variant full --distro trixie`) and re-lock",
        "file": "bad/Dockerfile",
        "line": 1,
        "resource": None,
    }


def test_options_reach_the_rules(files: Path) -> None:
    (files / "images.lock").write_text(
        json.dumps(
            {
                "version": 1,
                "images": {
                    "python:3.12-slim-bookworm": {
                        "digest": "sha256:" + "b" * 64,
                        "media_type": "application/vnd.oci.image.index.v1+json",
                        "platforms": {},
                        "registry": "docker.io",
                        "resolved_at": "2026-11-25T00:00:00Z",
                    }
                },
            }
        )
    )
    drift = run_cli("check", "-f", "good/Dockerfile", "--format", "json", cwd=files)
    assert [v["rule"] for v in json.loads(drift.stdout)["violations"]] == ["PIN002"]
    registry = run_cli(
        "check",
        "-f",
        "good/Dockerfile",
        "--allow-registry",
        "ghcr.io",
        "--lock",
        "images.lock",
        "--format",
        "json",
        cwd=files,
    )
    assert [v["rule"] for v in json.loads(registry.stdout)["violations"]] == ["PIN002", "REG001"]
    (files / "pre").mkdir()
    (files / "pre" / "Dockerfile").write_text(GOOD.replace("3.12-slim-bookworm", "3.15-rc-slim"))
    strict = run_cli("check", "-f", "pre/Dockerfile", "--format", "json", cwd=files)
    assert "PY002" in [v["rule"] for v in json.loads(strict.stdout)["violations"]]
    allowed = run_cli(
        "check", "-f", "pre/Dockerfile", "--allow-prerelease", "--format", "json", cwd=files
    )
    assert "PY002" not in [v["rule"] for v in json.loads(allowed.stdout)["violations"]]


EMPTY_REGISTRY = (
    "Invalid value for --allow-registry: '' is empty, which allows no registry; give a host "
    "(docker.io), a host pattern (*.dkr.ecr.*.amazonaws.com) or a repository prefix (ghcr.io/acme)"
)  # the rest: "or leave --allow-registry out to allow any registry", wrapped in a box


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check"], "nothing to check: give --dockerfile PATH"),
        (["check", "-f", "missing/Dockerfile"], "missing/Dockerfile: no such file"),
        (["check", "-f", "good/Dockerfile", "--lock", "nope.lock"], "nope.lock: no such lock"),
        (["check", "-f", "good/Dockerfile", "--format", "xml"], "Invalid value for '--format'"),
        (["check", "-f", "good/Dockerfile", "--on", "soon"], "'soon' is not a date"),
        (["check", "--stack", "prod"], "no Pulumi program here (Pulumi.yaml and __main__.py)"),
        (["check", "--stack", "prod", "-f", "good/Dockerfile"], "give --stack or --dockerfile"),
        (["check", "-f", "good/Dockerfile", "--allow-registry", ""], EMPTY_REGISTRY),
        (
            ["check", "--stack", "prod", "--allow-registry", " / "],
            EMPTY_REGISTRY.replace("''", "' / '"),
        ),
    ],
)
def test_usage_errors_exit_2(files: Path, args: list[str], message: str) -> None:
    result = run_cli(*args, cwd=files)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split()), result.stderr


def test_an_unparsable_dockerfile_is_a_usage_error(files: Path) -> None:
    (files / "empty").write_text("# nothing\n")
    result = run_cli("check", "-f", "empty", cwd=files)
    assert result.returncode == 2
    assert "empty: not a Dockerfile BuildKit can parse" in result.stderr


# --- SARIF --------------------------------------------------------------------------------------

SARIF_SUBSET = {  # what SARIF 2.1.0 requires of the parts imagepin writes (section numbers: spec)
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "pattern": "^https://"},
        "runs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["tool"],
                "properties": {
                    "tool": {
                        "type": "object",
                        "required": ["driver"],
                        "properties": {
                            "driver": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "rules": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["id"],
                                            "properties": {
                                                "defaultConfiguration": {
                                                    "type": "object",
                                                    "properties": {
                                                        "level": {
                                                            "enum": [
                                                                "none",
                                                                "note",
                                                                "warning",
                                                                "error",
                                                            ]
                                                        }
                                                    },
                                                },
                                                "shortDescription": {
                                                    "type": "object",
                                                    "required": ["text"],
                                                },
                                            },
                                        },
                                    },
                                },
                            }
                        },
                    },
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["message"],
                            "properties": {
                                "message": {"type": "object", "required": ["text"]},
                                "level": {"enum": ["none", "note", "warning", "error"]},
                                "ruleIndex": {"type": "integer", "minimum": 0},
                                "locations": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "physicalLocation": {
                                                "type": "object",
                                                "properties": {
                                                    "artifactLocation": {
                                                        "type": "object",
                                                        "required": ["uri"],
                                                    },
                                                    "region": {
                                                        "type": "object",
                                                        "properties": {
                                                            "startLine": {
                                                                "type": "integer",
                                                                "minimum": 1,
                                                            }
                                                        },
                                                    },
                                                },
                                            }
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_sarif_for_code_scanning(files: Path) -> None:
    result = run_cli(
        "check", "-f", "bad/Dockerfile", "--format", "sarif", "--on", "2026-11-25", cwd=files
    )
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SARIF_SUBSET)
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    assert rules[0]["defaultConfiguration"] == {"level": "error"}
    assert rules[12]["defaultConfiguration"] == {"level": "note"}  # DF003 is info
    assert rules[0]["help"]["text"].startswith("A tag can be moved")
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    first = run["results"][0]
    assert first["ruleId"] == "PIN001" and first["level"] == "error"
    assert first["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "bad/Dockerfile"},
                "region": {"startLine": 1},
            }
        }
    ]


def test_sarif_locates_resource_violations_logically() -> None:
    from imagepin.check import Report
    from imagepin.rules.base import Severity, Violation
    from imagepin.sarif import to_sarif

    report = Report((Violation("OPS002", Severity.WARNING, "no health check", resource="web"),))
    (result,) = to_sarif(report, default_uri="__main__.py")["runs"][0]["results"]
    assert result["message"] == {"text": "resource web: no health check"}
    assert result["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "__main__.py"},
                "region": {"startLine": 1},  # code scanning needs a line
            },
            "logicalLocations": [{"name": "web", "kind": "resource"}],
        }
    ]
    assert result["partialFingerprints"] == {"imagepin/v1": "OPS002:__main__.py:0:web"}
    jsonschema.validate(to_sarif(report), SARIF_SUBSET)
    (result,) = to_sarif(report, default_uri="stacks/Pulumi.a b.yaml")["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "stacks/Pulumi.a%20b.yaml"


# --- imagepin rules ----------------------------------------------------------------------------


def test_rules_lists_every_rule_with_its_fix() -> None:
    result = run_cli("rules")  # 200 columns
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "ID        Severity   Title" + " " * 50 + "Fix"
    assert lines[2] == (
        "PIN001    error      Base image without a digest" + " " * 28 + "Record the tag with "
        "`imagepin lock add IMAGE:TAG` and pin it: `FROM IMAGE:TAG@sha256:<digest from "
        "images.lock>` (the policy"
    )
    assert lines[3] == " " * 76 + "pack can remediate)."
    assert [line.split()[0] for line in lines[2:] if not line.startswith(" ")] == list(RULES)
    assert all(line == line.rstrip() for line in lines)
    text = " ".join(result.stdout.split())
    for rule in RULES.values():  # every fix in full (titles fit on one line at this width)
        assert " ".join(rule.fix.split()) in text, rule.id
    narrow = run_cli("rules", env={"COLUMNS": "80"})
    assert max(map(len, narrow.stdout.splitlines())) == 80
    assert "python:3.12-slim-bookworm@sh\n" in narrow.stdout  # a long word folds, not cut off
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    piped = subprocess.run(
        [sys.executable, "-m", "imagepin", "rules"], capture_output=True, text=True, env=env
    )
    rows = piped.stdout.splitlines()[2:]  # piped, no COLUMNS: one line per rule, for grep
    assert [row.split()[0] for row in rows] == list(RULES)
    assert all(" ".join(r.fix.split()) in row for r, row in zip(RULES.values(), rows, strict=True))
    doc = json.loads(run_cli("rules", "--json").stdout)
    assert doc["rules"][15]["id"] == "SEC001"
    assert doc["rules"][15]["checks"] == ["dockerfile", "resource"]


def test_docs_rules_md_is_what_imagepin_rules_markdown_prints() -> None:
    result = run_cli("rules", "--markdown")
    assert result.returncode == 0
    assert result.stdout == markdown()
    assert (ROOT / "docs" / "RULES.md").read_text() == result.stdout, (
        "docs/RULES.md is stale: run `imagepin rules --markdown > docs/RULES.md`"
    )


def sarif_uris(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Each result's artifact URI, once each, in order."""
    results = json.loads(result.stdout)["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    return list(dict.fromkeys(uris))


def test_sarif_uris_are_percent_encoded_and_normalised(files: Path) -> None:
    for name in ("sp ace", "h#ash", "pct%20", "ünï"):
        (files / name).mkdir()
        (files / name / "Dockerfile").write_text(BAD)
    given = ["sp ace/Dockerfile", "h#ash/Dockerfile", "pct%20/Dockerfile", "ünï/Dockerfile"]
    result = run_cli("check", *given, "--format", "sarif", cwd=files)
    assert result.returncode == 1, result.stderr
    assert sarif_uris(result) == [
        "sp%20ace/Dockerfile",  # a raw space is no URI
        "h%23ash/Dockerfile",  # a raw # would start a fragment
        "pct%2520/Dockerfile",  # a raw %20 would be read as a space
        "%C3%BCn%C3%AF/Dockerfile",
    ]
    folded = run_cli("check", "good/../bad/./Dockerfile", "--format", "sarif", cwd=files)
    assert sarif_uris(folded) == ["bad/Dockerfile"]
    # outside the working directory: an absolute file URI, which upload-sarif can resolve
    outside = run_cli("check", "../bad/Dockerfile", "--format", "sarif", cwd=files / "good")
    assert sarif_uris(outside) == [(files.resolve() / "bad" / "Dockerfile").as_uri()]
    assert sarif_uris(outside)[0].startswith("file:///")
    inside = run_cli("check", str(files / "bad" / "Dockerfile"), "--format", "sarif", cwd=files)
    assert sarif_uris(inside) == ["bad/Dockerfile"]


def test_with_a_stack_uris_are_relative_to_the_checkout_not_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are named relative to the project root (--root), but code scanning resolves URIs
    against the checkout, where the check runs: a project in a subdirectory keeps its prefix."""
    from imagepin.check import Report
    from imagepin.rules.base import Severity, Violation
    from imagepin.sarif import to_sarif

    project = tmp_path / "proj"
    project.mkdir()
    monkeypatch.chdir(tmp_path)
    found = Violation("DF002", Severity.WARNING, "shell form", "app/../app/Dockerfile", 3, "app")
    resource = Violation("OPS002", Severity.WARNING, "no health check", None, None, "web")
    sarif = to_sarif(Report((found, resource)), "stacks/Pulumi.prod.yaml", base=project)
    file_result, resource_result = sarif["runs"][0]["results"]
    location = file_result["locations"][0]["physicalLocation"]
    assert location == {
        "artifactLocation": {"uri": "proj/app/Dockerfile"},
        "region": {"startLine": 3},
    }
    stack = resource_result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert stack == {"uri": "proj/stacks/Pulumi.prod.yaml"}
    monkeypatch.chdir(project)  # run from the project root: as before
    sarif = to_sarif(Report((found,)), "stacks/Pulumi.prod.yaml", base=Path())
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "app/Dockerfile"}


def test_a_file_named_several_ways_is_checked_once_as_first_spelled(files: Path) -> None:
    (files / "link").symlink_to(files / "bad" / "Dockerfile")
    ways = ["good/../bad/Dockerfile", str(files / "bad" / "Dockerfile"), "bad/Dockerfile", "link"]
    once = run_cli("check", "bad/Dockerfile", "--format", "json", cwd=files)
    for output in ("text", "json", "sarif"):
        result = run_cli("check", *ways, "--format", output, cwd=files)
        assert result.returncode == 1, result.stderr
        if output == "text":
            lines = result.stdout.splitlines()
            assert all(line.startswith("good/../bad/Dockerfile:") for line in lines[:-1])
            assert lines[-1] == "6 violations (2 errors, 4 warnings) in 1 Dockerfile"
        elif output == "json":
            violations = json.loads(result.stdout)["violations"]
            assert violations == [
                {**v, "file": "good/../bad/Dockerfile"}
                for v in json.loads(once.stdout)["violations"]
            ]
        else:
            assert len(json.loads(result.stdout)["runs"][0]["results"]) == 6
            assert sarif_uris(result) == ["bad/Dockerfile"]


STDIN = (
    "error: -: imagepin check does not read a Dockerfile from standard input; give its path "
    "(or /dev/stdin: `imagepin check /dev/stdin < Dockerfile`)\n"
)


def test_dash_is_not_stdin_but_dev_stdin_is(files: Path) -> None:
    for args in (["-"], ["-f", "-"]):
        result = run_cli("check", *args, cwd=files)
        assert (result.returncode, result.stdout, result.stderr) == (2, "", STDIN)
    with (files / "good" / "Dockerfile").open() as stdin:
        result = subprocess.run(
            [IMAGEPIN, "check", "/dev/stdin"], stdin=stdin, capture_output=True, text=True,
            cwd=files, timeout=120, check=False,
        )  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "0 violations in 1 Dockerfile\n")


@pytest.mark.parametrize(
    ("encoding", "error"),
    [
        (
            "latin-1",
            "it is not UTF-8 text (byte 0xe9 on line 2: invalid continuation byte); save it as "
            "UTF-8 (from Latin-1: `iconv -f LATIN1 -t UTF-8`)",
        ),
        ("utf-16", "it is UTF-16 text, not UTF-8; save it as UTF-8 (`iconv -f UTF-16 -t UTF-8`)"),
        (
            "utf-16-le",
            "it is UTF-16 text, not UTF-8; save it as UTF-8 (`iconv -f UTF-16 -t UTF-8`)",
        ),
    ],
)
def test_a_dockerfile_not_in_utf8_says_to_save_it_as_utf8(
    files: Path, encoding: str, error: str
) -> None:
    for text in (GOOD.replace("USER", "# café\nUSER"), GOOD):  # GOOD: ASCII
        (files / "Dockerfile").write_text(text, encoding=encoding)
        result = run_cli("check", "Dockerfile", "--format", "sarif", cwd=files)
        if encoding == "latin-1" and text == GOOD:
            assert result.returncode == 0  # ASCII is UTF-8 too
            continue
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == f"error: Dockerfile: cannot read the Dockerfile: {error}\n"
    (files / "Dockerfile").write_text(GOOD.replace("USER", "# café\nUSER"), encoding="utf-8")
    assert run_cli("check", "Dockerfile", cwd=files).returncode == 0


def test_every_file_that_cannot_be_checked_is_named_and_nothing_is_printed(files: Path) -> None:
    (files / "empty").write_text("# nothing\n")
    (files / "latin").write_bytes(b"FROM python:3.12\n# caf\xe9\n")
    args = ["nope1", "good/Dockerfile", "empty", "-", "bad", "latin", "bad/Dockerfile", "nope2"]
    for output in ("text", "sarif"):
        result = run_cli("check", *args, "--format", output, cwd=files)
        assert (result.returncode, result.stdout) == (2, "")
        lines = result.stderr.splitlines()
        assert [line.split(": ", 2)[1] for line in lines] == [
            "nope1", "empty", "-", "bad", "latin", "nope2"
        ]  # fmt: skip
        assert lines[0] == "error: nope1: no such file; give the path of a Dockerfile"
        assert lines[1].startswith("error: empty: not a Dockerfile BuildKit can parse (")
        assert lines[3] == "error: bad: is a directory; give the Dockerfile in it (bad/Dockerfile)"
        assert "Traceback" not in result.stderr


def run_to(stdout: int, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`imagepin` with its stdout on the file descriptor `stdout` (stderr captured)."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [IMAGEPIN, *args], stdout=stdout, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env,
        timeout=120, check=False,
    )  # fmt: skip


def test_a_report_that_cannot_be_written_is_an_error_not_a_traceback(files: Path) -> None:
    with Path("/dev/full").open("w") as full:
        result = run_to(full.fileno(), "check", "bad/Dockerfile", "--format", "sarif", cwd=files)
    assert result.returncode == 2  # not 1: that would read as "violations found"
    assert result.stderr == (
        "error: cannot write the SARIF report to standard output (/dev/full): No space left on "
        "device; free space where it goes, or redirect it to another disk, then run again\n"
    )
    read, write = os.pipe()
    os.close(read)  # the reader is gone
    try:
        result = run_to(write, "check", "good/Dockerfile", cwd=files)
    finally:
        os.close(write)
    assert result.returncode == 2
    assert result.stderr == (
        "error: cannot write the report to standard output: Broken pipe; the program reading it "
        "stopped before the end; let it read everything, then run again\n"
    )


def test_a_closed_stdout_is_an_error_not_a_silent_pass(files: Path) -> None:
    for args, what in [(("check", "good/Dockerfile"), "the report"), (("rules",), "the rules")]:
        result = subprocess.run(
            ["sh", "-c", '"$0" "$@" >&-', IMAGEPIN, *args],
            capture_output=True, text=True, cwd=files, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 2
        assert result.stderr == (
            f"error: cannot write {what}: standard output is closed (`>&-`); give the command "
            "one, e.g. `> report.txt`\n"
        )


NOT_SECURITY = {"PIN004", "VAR002", "VAR003", "ARCH001", "DF001", "DF002", "DF003", "DF005"}
NOT_SECURITY |= {"OPS001", "OPS002", "SUP001", "SUP002"}


def test_only_security_rules_are_security_alerts(files: Path) -> None:
    result = run_cli("check", "-f", "bad/Dockerfile", "--format", "sarif", cwd=files)
    rules = {r["id"]: r for r in json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    security = {i for i, r in rules.items() if "security-severity" in r["properties"]}
    assert security == {
        "PIN001", "PIN002", "PIN003", "PY001", "PY002", "VAR001", "DF004", "SEC001", "REG001",
    }  # fmt: skip
    assert set(RULES) - security == NOT_SECURITY  # a new rule is classified on purpose
    for rule_id, rule in rules.items():
        tags = rule["properties"]["tags"]
        assert ("security" in tags) is (rule_id in security)
    assert rules["DF001"]["properties"] == {"tags": ["imagepin", "dockerfile"]}
    assert rules["SEC001"]["properties"] == {
        "tags": ["imagepin", "security", "dockerfile", "resource"],
        "security-severity": "8.0",
    }
    assert rules["DF004"]["properties"]["security-severity"] == "5.0"  # a warning: medium


def test_reg001_says_how_to_allow_the_registry_on_the_command_line(files: Path) -> None:
    result = run_cli(
        "check", "-f", "good/Dockerfile", "--allow-registry", "ghcr.io", "--format", "json",
        cwd=files,
    )  # fmt: skip
    (violation,) = json.loads(result.stdout)["violations"]
    assert violation["message"] == (
        "FROM python:3.12-slim-bookworm@" + A + " in stage 0 pulls from docker.io, which is not "
        "an allowed registry (ghcr.io); use an allowed registry or mirror, or pass "
        "`--allow-registry docker.io`"
    )
