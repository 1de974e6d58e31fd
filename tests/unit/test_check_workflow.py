"""`.github/workflows/policy.yml`: the pull-request gate, with and without Pulumi credentials."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from helpers import ROOT

WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "policy.yml").read_text())
REFRESH = yaml.safe_load((ROOT / ".github" / "workflows" / "lock-refresh.yml").read_text())


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
    assert str(upload["uses"]).startswith("github/codeql-action/upload-sarif@")
    assert upload["with"] == {"sarif_file": "imagepin.sarif", "category": "imagepin"}
    assert "!cancelled()" in str(upload["if"])  # after a failing check too, not on cancel
    assert "exit_code == '1'" in str(upload["if"])  # exit 2 writes no SARIF: nothing to upload
    assert job.index(upload) < len(job) - 1
    assert job[-1]["if"] == "!cancelled() && steps.check.outputs.exit_code != '0'"


def test_pulumi_preview_runs_the_pack_only_with_credentials() -> None:
    job = WORKFLOW["jobs"]["pulumi-preview"]
    assert job["env"] == {
        "PULUMI_ACCESS_TOKEN": "${{ secrets.PULUMI_ACCESS_TOKEN }}",
        "AWS_ROLE_ARN": "${{ secrets.AWS_ROLE_ARN }}",
    }
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    steps = job["steps"]
    action = next(s for s in steps if str(s.get("uses", "")).startswith("pulumi/actions"))
    pin = next(s for s in steps if "lock add --from-stacks" in str(s.get("run", "")))
    aws = next(s for s in steps if str(s.get("uses", "")).startswith("aws-actions/"))
    assert steps.index(pin) < steps.index(action) and steps.index(aws) < steps.index(action)
    assert aws["with"]["role-to-assume"] == "${{ env.AWS_ROLE_ARN }}"
    assert action["if"] == "env.PULUMI_ACCESS_TOKEN != ''"
    assert action["with"] == {
        "command": "preview",
        "stack-name": "prod",
        "policyPacks": "policies",
        "policyPackConfigs": "policies/config/prod.json",
    }
    json.loads((ROOT / "policies" / "config" / "prod.json").read_text())


def test_the_check_uses_the_committed_lock_or_resolves_one_with_a_warning() -> None:
    job = steps("imagepin-check")
    pin = next(s for s in job if "lock add --from-stacks" in str(s.get("run", "")))
    check = next(s for s in job if "imagepin check" in str(s.get("run", "")))
    assert job.index(pin) < job.index(check)
    assert "if [ -f images.lock ]" in str(pin["run"]) and "::warning" in str(pin["run"])


def test_a_weekly_job_refreshes_moved_digests_through_a_pull_request() -> None:
    assert REFRESH[True] == {"schedule": [{"cron": "17 6 * * 1"}], "workflow_dispatch": None}
    assert REFRESH["permissions"] == {"contents": "read"}
    job = REFRESH["jobs"]["refresh"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    by_name = {s.get("name", s.get("uses")): s for s in job["steps"]}
    check = by_name["Check the locked digests against their registries"]
    assert ".venv/bin/imagepin lock check" in check["run"]
    assert 'if [ "$code" -ge 2 ]; then exit "$code"; fi' in check["run"]  # errors fail the job
    refresh = by_name["Refresh the lock"]
    opened = by_name["Open a pull request with the new digests"]
    for step in (refresh, opened):
        assert step["if"] == "steps.check.outputs.exit_code == '1'"
    assert str(opened["uses"]).startswith("peter-evans/create-pull-request@")
    assert opened["with"]["add-paths"] == "images.lock"


@pytest.mark.parametrize(("exit_code", "job_fails"), [(0, False), (1, False), (2, True)])
def test_the_check_step_records_drift_and_fails_only_on_errors(
    tmp_path: Path, exit_code: int, job_fails: bool
) -> None:
    # the step's script as GitHub runs it (`bash -e`), with an imagepin that exits as told
    stub = tmp_path / ".venv" / "bin" / "imagepin"
    stub.parent.mkdir(parents=True)
    stub.write_text(f"#!/bin/sh\nexit {exit_code}\n")
    stub.chmod(0o755)
    output = tmp_path / "github_output"
    step = next(s for s in REFRESH["jobs"]["refresh"]["steps"] if s.get("id") == "check")
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
    )
    assert (proc.returncode != 0) == job_fails
    assert output.read_text() == f"exit_code={exit_code}\n"


def test_every_action_is_pinned_to_a_commit_with_its_release_named() -> None:
    """A tag can be moved to other code, as a base image's tag can: actions are pinned by commit
    SHA, with the release it was taken from in a comment (Dependabot updates both)."""
    pinned = re.compile(r"^\s*(?:- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+$")
    for workflow in (ROOT / ".github" / "workflows").glob("*.yml"):
        lines = [line for line in workflow.read_text().splitlines() if "uses:" in line]
        assert lines, workflow
        for line in lines:
            assert pinned.match(line), f"{workflow.name}: {line.strip()}"
    dependabot = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert {"package-ecosystem": "github-actions", "directory": "/"}.items() <= dependabot[
        "updates"
    ][0].items()
