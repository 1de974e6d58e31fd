"""`imagepin check --stack NAME`: the program under Pulumi's mock monitor (no CLI, no cloud), every
resource it registers checked with the stack's policy config (`policies/config/<stack>.json`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from components.cli_preview import run_preview
from imagepin.errors import ConfigError
from imagepin.policy_config import PolicyConfig
from imagepin.rules import RULES
from imagepin.rules.settings_schema import CONFIG

from helpers import ROOT, run_cli

PROGRAM = """\
import pulumi
import pulumi_docker as docker
import pulumi_docker_build as db

image = db.Image(
    "app",
    push=True,
    tags=["quay.io/acme/app:1"],
    dockerfile=db.DockerfileArgs(inline="FROM python:3.9-slim-bookworm\\nCMD python app.py\\n"),
    context=db.BuildContextArgs(location="."),
    platforms=["linux/amd64"],
    build_args={"DB_URL": pulumi.Output.secret("postgres://u:p@db/app")},
)
docker.Container("web", image="nginx:1.27")
docker.Container("api", image=image.ref)
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "__main__.py").write_text(PROGRAM)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.test.yaml").write_text("config:\n  demo:greeting: hello\n")
    (tmp_path / "policies" / "config").mkdir(parents=True)
    config = {
        "REG001": {"enforcementLevel": "mandatory", "allowedRegistries": ["docker.io"]},
        "DF004": "disabled",
    }
    (tmp_path / "policies" / "config" / "test.json").write_text(json.dumps(config))
    return tmp_path


def check(project: Path, *args: str) -> tuple[int, dict[str, list[dict[str, object]]]]:
    result = run_cli(
        "check", "--stack", "test", "--root", str(project), "--format", "json",
        "--on", "2026-11-25", *args,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def test_every_registered_resource_is_checked_with_the_stack_policy(project: Path) -> None:
    code, doc = check(project)
    assert code == 1
    assert [(v["rule"], v["resource"], v["line"]) for v in doc["violations"]] == [
        ("OPS002", "api", None),
        ("SEC001", "app", None),
        ("OPS001", "app", None),
        ("REG001", "app", None),
        ("PIN001", "app", 1),
        ("PY001", "app", 1),
        ("DF002", "app", 2),
        ("PIN003", "web", None),
        ("OPS002", "web", None),
    ]  # resources by name; DF004 is disabled for this stack
    assert doc["violations"][1]["message"].startswith(
        'docker-build:index:Image "app" passes build args that hold a Pulumi secret'
    )
    assert "postgres" not in json.dumps(doc)
    assert doc["violations"][3]["message"].endswith(
        "which is not an allowed registry (docker.io); use an allowed registry or mirror, or add "
        "quay.io to allowedRegistries of REG001 in policies/config/test.json"
    )  # the fix names where the allow-list came from
    assert [(n["rule"], n["resource"]) for n in doc["notes"]] == [
        ("PIN003", "api"),
        ("REG001", "api"),
    ]


def test_command_line_settings_override_the_stack_policy(project: Path) -> None:
    _, doc = check(project, "--allow-registry", "quay.io")  # replaces the list: docker.io out
    reg001 = [v for v in doc["violations"] if v["rule"] == "REG001"]
    assert [(v["resource"], v["line"]) for v in reg001] == [
        ("app", 1),  # FROM python: pulled from docker.io
        ("web", None),  # nginx: run from docker.io
    ]
    assert reg001[1]["message"].endswith(
        "which is not an allowed registry (quay.io); use an allowed registry or mirror, or pass "
        "`--allow-registry docker.io`"
    )
    _, doc = check(project, "--allow-registry", "quay.io", "--allow-registry", "docker.io")
    assert "REG001" not in [v["rule"] for v in doc["violations"]]


def test_sarif_anchors_resource_results_at_the_stack_file(project: Path) -> None:
    """URIs are relative to where the check runs (the checkout code scanning resolves them
    against): from the project root, `stacks/...`; from above it, with its folder; from outside
    it, an absolute file URI."""
    args = ["check", "--stack", "test", "--format", "sarif", "--on", "2026-11-25"]
    above = run_cli(*args, "--root", project.name, cwd=project.parent)
    uri = json.loads(above.stdout)["runs"][0]["results"][1]["locations"][0]["physicalLocation"]
    assert uri["artifactLocation"] == {"uri": f"{project.name}/stacks/Pulumi.test.yaml"}
    elsewhere = run_cli(*args, "--root", str(project), cwd=ROOT)
    uri = json.loads(elsewhere.stdout)["runs"][0]["results"][1]["locations"][0]
    assert uri["physicalLocation"]["artifactLocation"]["uri"] == (
        (project / "stacks" / "Pulumi.test.yaml").resolve().as_uri()
    )
    result = run_cli(*args, "--root", ".", cwd=project)
    assert result.returncode == 1
    results = json.loads(result.stdout)["runs"][0]["results"]
    assert results[1]["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "stacks/Pulumi.test.yaml"},
                "region": {"startLine": 1},
            },
            "logicalLocations": [{"name": "app", "kind": "resource"}],
        }
    ]
    fingerprints = [r["partialFingerprints"]["imagepin/v1"] for r in results]
    assert len(set(fingerprints)) == len(results)  # one alert per finding, not per file and line


def test_a_stack_the_program_does_not_have_is_a_usage_error(project: Path) -> None:
    result = run_cli("check", "--stack", "nope", "--root", str(project))
    assert result.returncode == 2
    assert "Pulumi.nope.yaml" in " ".join(result.stderr.split())


def test_the_stacks_enforcement_levels_set_what_fails(project: Path) -> None:
    config = {"all": "advisory", "PY001": "mandatory", "DF002": {"enforcementLevel": "disabled"}}
    (project / "policies" / "config" / "test.json").write_text(json.dumps(config))
    code, doc = check(project)
    severities = {v["rule"]: v["severity"] for v in doc["violations"]}
    assert code == 1 and severities["PY001"] == "error"  # mandatory fails, as in the pack
    assert severities["PIN001"] == severities["PIN003"] == "warning"  # errors, advisory here
    assert severities["OPS002"] == "warning" and "DF002" not in severities
    del config["PY001"]
    (project / "policies" / "config" / "test.json").write_text(json.dumps(config))
    assert check(project)[0] == 0  # everything advisory: nothing fails


FILE = "policies/config/test.json"
EXAMPLE = '{"all": "advisory", "PIN001": {"enforcementLevel": "mandatory"}}'
LEVELS = "advisory, mandatory, remediate, disabled"


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ({"PIN999": "mandatory"}, f"{FILE}: 'PIN999' is not a rule ID (a typo configures nothing); "
         "`imagepin rules` lists them"),
        ({"PIN001": "sometimes"}, f"{FILE}: PIN001: 'sometimes' is not an enforcement level; use "
         f"one of {LEVELS}"),
        ([], f"{FILE}: expected a JSON object of rule IDs (or \"all\") to enforcement levels or "
         f"settings, got a list; write e.g. {EXAMPLE}"),
        ("x", f"{FILE}: expected a JSON object of rule IDs (or \"all\") to enforcement levels or "
         f"settings, got the string 'x'; write e.g. {EXAMPLE}"),
        ({"PY001": []}, f"{FILE}: PY001: expected an enforcement level ({LEVELS}) or a mapping of "
         "enforcementLevel and the rule's settings, got a list; write e.g. \"PY001\": "
         '"mandatory" or "PY001": {"enforcementLevel": "mandatory"}'),
        ({"all": None}, f"{FILE}: all: expected an enforcement level ({LEVELS}) or a mapping of "
         'enforcementLevel, got nothing (null); write e.g. "all": "mandatory"'),
        ({"REG001": {"allowedRegistries": [5]}}, f"{FILE}: REG001.allowedRegistries[0]: expected "
         'a string, got the number 5; for example "allowedRegistries": ["docker.io", '
         '"*.dkr.ecr.*.amazonaws.com"]'),
        ({"REG001": {"allowedRegistries": "docker.io"}}, f"{FILE}: REG001.allowedRegistries: "
         "expected a list, got the string 'docker.io'; for example \"allowedRegistries\": "
         '["docker.io", "*.dkr.ecr.*.amazonaws.com"]'),
        ({"PY002": {"allowPrerelease": "yes"}}, f"{FILE}: PY002.allowPrerelease: expected true or "
         "false, got the string 'yes'; for example \"allowPrerelease\": true"),
        ({"PIN001": {"lockfile": "images.lock"}}, f"{FILE}: PIN001.lockfile: unknown key; did you "
         "mean 'lockFile'?"),
        ({"all": "mandatry"}, f"{FILE}: all: 'mandatry' is not an enforcement level; use one of "
         f"{LEVELS}; did you mean 'mandatory'?"),
        ({"all": {"enforcementLevel": "advisory", "allowPrerelease": True}}, f"{FILE}: "
         "all.allowPrerelease: unknown key; `all` sets only enforcementLevel (set settings per "
         "rule)"),
        ({"ARCH001": {"enforcementLevel": 1}}, f"{FILE}: ARCH001.enforcementLevel: 1 is not an "
         f"enforcement level; use one of {LEVELS}"),
        ({"PIN001": {"allowedRegistries": ["docker.io"]}}, f"{FILE}: PIN001: policy config key "
         "'allowedRegistries' does nothing on this policy (it reads lockFile); set it on the "
         "policy of the rule that uses it (docs/RULES.md lists each rule's keys)"),
        ({"PIN002": {"lockFile": "nope.lock"}}, f"{FILE}: PIN002: lockFile 'nope.lock' was not "
         "found (looked in nope.lock, "),
    ],
)  # fmt: skip
def test_a_policy_config_mistake_is_a_usage_error_naming_the_file_and_key(
    project: Path, config: object, error: str
) -> None:
    (project / "policies" / "config" / "test.json").write_text(json.dumps(config))
    result = run_cli(
        "check", "--stack", "test", "--root", str(project), "--format", "sarif", cwd=project
    )
    assert (result.returncode, result.stdout) == (2, "")  # no SARIF for CI to read as a result
    assert "Traceback" not in result.stderr
    assert " ".join(result.stderr.split()).startswith(f"error: {error}")


def test_the_policy_config_is_checked_before_the_program_runs(project: Path) -> None:
    (project / "__main__.py").write_text('raise RuntimeError("the program ran")\n')
    (project / "policies" / "config" / "test.json").write_text('{"all": "mandatry"}')
    result = run_cli("check", "--stack", "test", "--root", str(project))
    assert result.returncode == 2 and "the program ran" not in result.stderr
    assert f"{FILE}: all: 'mandatry' is not an enforcement level" in result.stderr


def test_a_policy_config_that_is_not_json_names_the_file(project: Path) -> None:
    (project / "policies" / "config" / "test.json").write_text('{"all": advisory}')
    result = run_cli("check", "--stack", "test", "--root", str(project))
    assert (result.returncode, result.stdout) == (2, "")
    assert " ".join(result.stderr.split()) == (
        f"error: {FILE}: not valid JSON (Expecting value: line 1 column 9 (char 8)); fix the "
        "policy config"
    )


@pytest.mark.parametrize("key", sorted(key for key, _ in CONFIG.values()))
def test_every_setting_of_the_pack_schema_is_type_checked(key: str) -> None:
    schema = dict(CONFIG.values())[key]
    wrong = 5 if schema["type"] != "boolean" else "yes"
    rule = next(r.id for r in RULES.values() if key in (CONFIG[f][0] for f in r.config))
    with pytest.raises(ConfigError) as info:
        PolicyConfig.parse({rule: {key: wrong}}, "p.json")
    assert str(info.value).startswith(f"p.json: {rule}.{key}: expected ")
    assert f'; for example "{key}": ' in str(info.value)


def test_the_shipped_policy_configs_are_valid() -> None:
    for stack in ("dev", "staging", "prod"):
        assert PolicyConfig.load(ROOT, stack).levels


def test_the_programs_prints_never_reach_the_report(project: Path) -> None:
    with (project / "__main__.py").open("a") as program:
        program.write('print("hello from the program")\n')
    code, doc = check(project)  # stdout parses as JSON
    assert code == 1 and doc["violations"]


@pytest.mark.parametrize(
    ("tail", "error"),
    [
        ('raise RuntimeError("boom")\n', "the program failed for stack test at __main__.py:16: "
         "RuntimeError: boom"),
        ("import no_such_module_xyz\n", "ModuleNotFoundError: No module named 'no_such_module_x"),
        ("x = (\n", "SyntaxError: "),
    ],
)  # fmt: skip
def test_a_program_that_fails_is_a_usage_error_not_a_traceback(
    project: Path, tail: str, error: str
) -> None:
    with (project / "__main__.py").open("a") as program:
        program.write(tail)
    result = run_cli("check", "--stack", "test", "--root", str(project), "--format", "sarif")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert error in " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("tail", "code"),
    [("sys.exit(0)", "code 0"), ('sys.exit("stop here")', "code 1: stop here"),
     ("sys.exit(3)", "code 3"), ("sys.exit()", "code 0")],
)  # fmt: skip
@pytest.mark.parametrize("command", ["check", "preview"])
def test_a_program_that_calls_sys_exit_is_a_usage_error(
    project: Path, tail: str, code: str, command: str
) -> None:
    with (project / "__main__.py").open("a") as program:
        program.write(f"import sys; {tail}\n")
    result = run_cli(command, "--stack", "test", "--root", str(project), "--format", "json")
    assert (result.returncode, result.stdout) == (2, "")
    assert " ".join(result.stderr.split()) == (
        f"error: __main__.py: the program exited ({code}) before it finished for stack test at "
        "__main__.py:16; nothing it would register after that is recorded or checked: remove the "
        "sys.exit call (raise an exception to make the program fail)"
    )


def test_what_the_program_writes_to_file_descriptor_1_goes_to_stderr(project: Path) -> None:
    with (project / "__main__.py").open("a") as program:
        program.write(
            "import os, subprocess, sys\n"
            'os.write(1, b"written to fd 1\\n")\n'
            'subprocess.run([sys.executable, "-c", "print(\'from a subprocess\')"], check=True)\n'
        )
    code, doc = check(project)  # stdout parses as JSON
    assert code == 1 and doc["violations"]
    result = run_cli("check", "--stack", "test", "--root", str(project), "--format", "sarif")
    assert json.loads(result.stdout)["runs"][0]["results"]
    assert "written to fd 1\n" in result.stderr and "from a subprocess\n" in result.stderr


def test_file_descriptor_1_is_restored_after_the_program_also_when_it_fails(
    project: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with (project / "__main__.py").open("a") as program:
        program.write('import os\nos.write(1, b"during\\n")\nraise RuntimeError("boom")\n')
    with pytest.raises(ConfigError, match="RuntimeError: boom"):
        run_preview("test", project)
    os.write(1, b"after\n")
    captured = capfd.readouterr()
    assert captured.out == "after\n"
    assert "during\n" in captured.err
