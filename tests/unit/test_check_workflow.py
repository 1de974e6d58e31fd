"""`.github/workflows/policy.yml`: the pull-request gate, with and without Pulumi credentials."""

from __future__ import annotations

import json

import yaml

from helpers import ROOT

WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "policy.yml").read_text())


def steps(job: str) -> list[dict[str, object]]:
    return WORKFLOW["jobs"][job]["steps"]  # type: ignore[no-any-return]


def test_runs_on_pull_requests_with_least_privilege() -> None:
    assert WORKFLOW[True] == {"pull_request": None}  # YAML 1.1 reads the `on` key as True
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert WORKFLOW["jobs"]["imagepin-check"]["permissions"] == {
        "contents": "read",
        "security-events": "write",
    }


def test_imagepin_check_uploads_sarif_then_fails_on_violations() -> None:
    job = steps("imagepin-check")
    run = [s for s in job if "run" in s]
    check = next(s for s in run if "imagepin check" in str(s["run"]))
    assert ".venv/bin/imagepin check --stack prod --format sarif > imagepin.sarif" in str(
        check["run"]
    )
    upload = next(s for s in job if str(s.get("uses", "")).startswith("github/codeql-action/"))
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["with"] == {"sarif_file": "imagepin.sarif", "category": "imagepin"}
    assert "always()" in str(upload["if"])
    assert job.index(upload) < len(job) - 1
    assert job[-1]["if"] == "steps.check.outputs.exit_code != '0'"


def test_pulumi_preview_runs_the_pack_only_with_credentials() -> None:
    job = WORKFLOW["jobs"]["pulumi-preview"]
    assert job["env"] == {"PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}"}
    action = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions"))
    assert action["if"] == "env.PULUMI_ACCESS_TOKEN != ''"
    assert action["with"] == {
        "command": "preview",
        "stack-name": "prod",
        "policyPacks": "policies",
        "policyPackConfigs": "policies/config/prod.json",
    }
    json.loads((ROOT / "policies" / "config" / "prod.json").read_text())
