"""A copy of the prod stack with one bad change per rule fails with exactly that rule.

The prod program is recorded once (under the mock monitor, from a project copy with a lock);
each case changes one thing in the recorded resources, the way a pull request editing a stack,
a Dockerfile or a hand-written resource would, and the rules run at prod's policy config.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from analyzer import Analyzer, diagnostics, digest, wire

from components.cli_preview import run_preview
from components.preview import RecordedResource
from imagepin.check import check_resources
from imagepin.rules import RULES
from imagepin.rules.base import Settings
from imagepin.rules.settings_schema import stack_policy

IMAGE = "docker-build:index:Image"
TASK = "aws:ecs/taskDefinition:TaskDefinition"


@pytest.fixture
def prod(project: Path) -> tuple[Path, list[RecordedResource]]:
    return project, run_preview("prod", project).resources


def rules_found(root: Path, resources: list[RecordedResource]) -> set[str]:
    document = json.loads((root / "policies" / "config" / "prod.json").read_text())
    today = date(2026, 11, 25)
    enabled, per_rule = stack_policy(document, search=[root], today=today)
    report = check_resources(
        resources, Settings(today=today), [RULES[r] for r in enabled], per_rule=per_rule
    )
    return {v.rule for v in report.violations}


def of(resources: list[RecordedResource], type_token: str) -> RecordedResource:
    return next(r for r in resources if r.type == type_token)


def edit_dockerfile(change: Callable[[str], str]) -> Callable[[list[RecordedResource]], None]:
    def apply(resources: list[RecordedResource]) -> None:
        inputs = of(resources, IMAGE).inputs
        inputs["dockerfile"] = {"inline": change(inputs["dockerfile"]["inline"])}

    return apply


def edit_image(**changes: Any) -> Callable[[list[RecordedResource]], None]:
    def apply(resources: list[RecordedResource]) -> None:
        of(resources, IMAGE).inputs.update(changes)

    return apply


def hand_written_task(image: str, health: bool = True) -> Callable[[list[RecordedResource]], None]:
    """The task definition's containers as someone might write them by hand."""

    def apply(resources: list[RecordedResource]) -> None:
        probe = [
            "CMD",
            "python3",
            "-c",
            "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/healthz')",
        ]
        container = {"name": "service", "image": image, "healthCheck": {"command": probe}}
        if not health:
            del container["healthCheck"]
        of(resources, TASK).inputs["containerDefinitions"] = json.dumps([container])

    return apply


FROM = re.compile(r"^FROM (\S+)", re.M)


def base(change: Callable[[str], str]) -> Callable[[list[RecordedResource]], None]:
    return edit_dockerfile(lambda text: FROM.sub(lambda m: f"FROM {change(m.group(1))}", text))


def amd64_only(resources: list[RecordedResource]) -> None:
    """platforms: [linux/amd64] in the stack: the component pushes an index of one platform
    (built as one image per platform, so the arm64 build is gone)."""
    of(resources, "imagepin:index:PythonImage").inputs["platforms"] = ["linux/amd64"]
    resources[:] = [
        r for r in resources if not (r.type == IMAGE and "linux/arm64" in r.inputs["platforms"])
    ]
    assert any(r.type == IMAGE for r in resources)


def drop_retain(resources: list[RecordedResource]) -> None:
    of(resources, IMAGE).options.pop("retainOnDelete", None)
    for r in resources:
        if r.type == "imagepin:index:PythonImage":
            r.inputs["retainOnDelete"] = False


CASES: dict[str, Callable[[list[RecordedResource]], None]] = {
    "PIN001": base(lambda ref: ref.split("@")[0]),
    "PIN002": base(lambda ref: ref.split("@")[0] + "@" + digest("moved upstream")),
    "PIN003": hand_written_task("123456789012.dkr.ecr.eu-west-1.amazonaws.com/service:1.4.0"),
    "DF001": edit_dockerfile(lambda t: t.replace("pip install --no-cache-dir", "pip install")),
    "DF002": edit_dockerfile(
        lambda t: re.sub(r"^CMD \[.*\]$", "CMD python3 -m service", t, flags=re.M)
    ),
    "DF004": edit_dockerfile(lambda t: re.sub(r"^USER .*$", "USER root", t, flags=re.M)),
    "SEC001": edit_image(buildArgs={"PYPI_TOKEN": "t0ps3cret"}),
    "ARCH001": amd64_only,
    "OPS001": drop_retain,
    "REG001": edit_image(tags=["quay.io/acme/service:1"]),
    "OPS002": hand_written_task(
        f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/s@{digest('s')}", False
    ),
    "DF005": edit_dockerfile(
        lambda t: t.replace("\nCOPY ", "\nRUN apt-get update && apt-get install -y curl\nCOPY ", 1)
    ),
    "SUP001": edit_dockerfile(
        lambda t: t.replace("\nUSER ", "\n# imagepin: ignore DF004\nUSER ", 1)
    ),
    "PY001": base(lambda ref: ref.replace(":3.12-", ":3.9-")),
    "VAR001": base(lambda ref: ref.replace("-slim-", "-")),
    "VAR003": base(lambda ref: ref.replace("-slim-bookworm", "-slim")),
    "PY002": base(lambda ref: ref.replace(":3.12-slim-bookworm", ":3.15.0a8-slim-trixie")),
    "VAR002": base(lambda ref: ref.replace("-slim-bookworm", "-windowsservercore-ltsc2022")),
    # a major-only tag (`latest` is also the full variant: VAR001 and VAR003 too)
    "PIN004": base(lambda ref: ref.replace(":3.12-slim-bookworm", ":3-slim-bookworm")),
    # the whole context copied before the dependencies are installed (every edit reinstalls)
    "DF003": edit_dockerfile(
        lambda t: re.sub(r"^(RUN .*pip)", r"COPY . .\n\1", t, count=1, flags=re.M)
    ),
    "SUP002": edit_dockerfile(
        lambda t: t.replace("\nUSER ", "\n# imagepin: ignore DF040 -- typo of DF004\nUSER ", 1)
    ),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_one_bad_change_fails_with_exactly_its_rule(prod, rule: str) -> None:
    root, recorded = prod
    assert rules_found(root, recorded) == set()
    resources = copy.deepcopy(recorded)
    CASES[rule](resources)
    assert rules_found(root, resources) == {rule}


def test_each_bad_change_fails_the_pack_over_grpc_with_exactly_its_rule(prod) -> None:
    """The same cases through the real analyzer (Analyze per resource, then AnalyzeStack), at
    prod's policy config: the policies that report are exactly the changed rule."""
    root, recorded = prod
    pack = Analyzer.start(cwd=root)
    try:
        pack.configure(json.loads((root / "policies" / "config" / "prod.json").read_text()))
        reported = {"clean": policies_reporting(pack, recorded)}
        for rule, change in CASES.items():
            resources = copy.deepcopy(recorded)
            change(resources)
            reported[rule] = policies_reporting(pack, resources)
    finally:
        pack.stop()
    expected = {"clean": set()} | {rule: {rule} for rule in CASES}
    assert reported == expected


def policies_reporting(pack: Analyzer, resources: list[RecordedResource]) -> set[str]:
    found = []
    for r in resources:
        props = wire(r.inputs)
        found += diagnostics(
            pack.analyze(r.type, r.name, props, parent=r.parent or "", the_urn=r.urn)
        )
    stack = [
        {"type": r.type, "name": r.name, "props": wire(r.inputs), "urn": r.urn,
         "parent": r.parent or ""}
        for r in resources
    ]  # fmt: skip
    found += diagnostics(pack.analyze_stack(stack))
    return {policy for policy, _level, _message in found}
