"""Suppressions, for every rule and every path: a Dockerfile comment, the resource's own
`suppress`, a component's `suppress` above it; without a reason nothing is suppressed (SUP001),
and an ID that names no rule is reported (SUP002)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from imagepin.check import check_resources, check_text
from imagepin.rules import RULES, SUPPRESSION_RULES, Settings

A = "sha256:" + "a" * 64
SETTINGS = Settings(
    today=date(2026, 11, 25),
    required_platforms=("linux/amd64", "linux/arm64"),
    allowed_registries=("docker.io",),
)
GOOD_FROM = f"FROM python:3.12-slim-bookworm@{A}"
GOOD_TAIL = 'USER 10001\nCMD ["python", "-m", "app"]\n'

DOCKERFILE_CASES = {  # rule -> a Dockerfile that breaks it (and, as far as possible, only it)
    "PIN001": f"FROM python:3.12-slim-bookworm\n{GOOD_TAIL}",
    "PIN004": f"FROM python:3-slim-bookworm@{A}\n{GOOD_TAIL}",
    "PY001": f"FROM python:3.9-slim-bookworm@{A}\n{GOOD_TAIL}",
    "PY002": f"FROM python:3.15.0a8-slim-trixie@{A}\n{GOOD_TAIL}",
    "VAR001": f"FROM python:3.12-bookworm@{A}\n{GOOD_TAIL}",
    "VAR002": f"FROM --platform=windows/amd64 python:3.12-slim-bookworm@{A}\n{GOOD_TAIL}",
    "VAR003": f"FROM python:3.12-slim@{A}\n{GOOD_TAIL}",
    "DF001": f"{GOOD_FROM}\nRUN pip install x\n{GOOD_TAIL}",
    "DF002": f"{GOOD_FROM}\nUSER 10001\nCMD python -m app\n",
    "DF003": f"{GOOD_FROM}\nCOPY . .\nRUN pip install --no-cache-dir -r r.txt\n{GOOD_TAIL}",
    "DF004": f'{GOOD_FROM}\nCMD ["python"]\n',
    "DF005": f"{GOOD_FROM}\nRUN apt-get install -y x\n{GOOD_TAIL}",
    "SEC001": f"{GOOD_FROM}\nARG NPM_TOKEN\n{GOOD_TAIL}",
    "REG001": f"FROM quay.io/python:3.12-slim-bookworm@{A}\n{GOOD_TAIL}",
}
PIN002_LOCKED = "PIN002"  # needs a lock: covered in test_rules_pin.py (test_pin002_suppressed)

RESOURCE_CASES: dict[str, dict[str, Any]] = {
    "PIN003": {"type": "docker:index/container:Container", "inputs": {"image": "nginx:1"}},
    "ARCH001": {
        "type": "docker-build:index:Image",
        "inputs": {"push": True, "platforms": ["linux/amd64"]},
        "options": {"retainOnDelete": True},
    },
    "OPS001": {"type": "docker-build:index:Image", "inputs": {"push": True}},
    "OPS002": {"type": "docker:index/container:Container", "inputs": {"image": f"x@{A}"}},
    "SEC001": {"type": "docker-build:index:Image", "inputs": {"buildArgs": {"API_TOKEN": "t"}}},
    "REG001": {"type": "docker:index/container:Container", "inputs": {"image": f"quay.io/x@{A}"}},
}


def test_every_rule_has_a_suppression_case() -> None:
    covered = set(DOCKERFILE_CASES) | set(RESOURCE_CASES) | {PIN002_LOCKED} | SUPPRESSION_RULES
    assert covered == set(RULES)


def rule_ids(report: Any) -> list[str]:
    return [v.rule for v in report.violations]


@pytest.mark.parametrize("rule", sorted(DOCKERFILE_CASES))
def test_dockerfile_comment_suppresses_only_with_a_reason(rule: str) -> None:
    text = DOCKERFILE_CASES[rule]
    first = next(v for v in check_text(text, SETTINGS).violations if v.rule == rule)
    lines = text.splitlines(keepends=True)
    at = (first.line or 1) - 1
    reasoned = [*lines[:at], f"# imagepin: ignore {rule} -- accepted in review\n", *lines[at:]]
    assert rule not in rule_ids(check_text("".join(reasoned), SETTINGS))
    bare = [*lines[:at], f"# imagepin: ignore {rule}\n", *lines[at:]]
    ids = rule_ids(check_text("".join(bare), SETTINGS))
    assert rule in ids and "SUP001" in ids


def build(inline: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "docker-build:index:Image",
        "name": "app",
        "inputs": {"dockerfile": {"inline": inline}, "platforms": ["linux/amd64", "linux/arm64"]},
        "options": {"retainOnDelete": True},
        **extra,
    }


def resource_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = [(rule, {"name": "r", **spec}) for rule, spec in RESOURCE_CASES.items()]
    cases += [(rule, build(text)) for rule, text in DOCKERFILE_CASES.items()]
    return cases


@pytest.mark.parametrize(("rule", "resource"), resource_cases(), ids=lambda v: str(v)[:30])
def test_resource_and_component_suppress_mappings(rule: str, resource: dict[str, Any]) -> None:
    assert rule in rule_ids(check_resources([resource], SETTINGS))
    own = resource | {"suppress": {rule: "accepted in review"}}
    assert rule not in rule_ids(check_resources([own], SETTINGS))
    component = {
        "type": "imagepin:index:PythonImage",
        "name": "svc",
        "urn": "urn:pulumi:prod::p::imagepin:index:PythonImage::svc",
        "inputs": {"suppress": {rule: "accepted in review"}},
    }
    child = resource | {"parent": component["urn"]}
    assert rule not in rule_ids(check_resources([component, child], SETTINGS))
    assert rule not in rule_ids(check_resources([child], SETTINGS, context=[component]))
    bare = resource | {"suppress": {rule: "  "}}
    ids = rule_ids(check_resources([bare], SETTINGS))
    assert rule in ids and "SUP001" in ids


def test_sup001_messages() -> None:
    report = check_text(
        "FROM a\n# imagepin: ignore DF004, DF001\nRUN x\n", SETTINGS, [RULES["SUP001"]]
    )
    assert [(v.line, v.message) for v in report.violations] == [
        (
            2,
            "# imagepin: ignore DF004, DF001 (line 2) gives no reason, so it suppresses nothing; "
            "write # imagepin: ignore DF004, DF001 -- <why this is acceptable>",
        )
    ]
    resource = {
        "type": "docker:index/container:Container",
        "name": "web",
        "suppress": {"OPS002": ""},
    }
    report = check_resources([resource], SETTINGS, [RULES["SUP001"]])
    assert [v.message for v in report.violations] == [
        'docker:index/container:Container "web" suppresses OPS002 without a reason, so it '
        'suppresses nothing; write suppress={"OPS002": "<why this is acceptable>"}'
    ]


def test_an_unknown_reason_applies_and_is_noted_not_reported() -> None:
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's sentinel at preview
    web = {"type": "docker:index/container:Container", "name": "web", "inputs": {"image": "x:1"}}
    report = check_resources([web | {"suppress": {"PIN003": unknown}}], SETTINGS)
    assert "PIN003" not in rule_ids(report) and "SUP001" not in rule_ids(report)
    assert [(n.rule, n.message) for n in report.notes if n.rule == "SUP001"] == [
        (
            "SUP001",
            'docker:index/container:Container "web": the reason for suppressing PIN003 is '
            "unknown at preview; the suppression applies, and the reason is checked once known",
        )
    ]
    whole = check_resources([web | {"suppress": unknown}], SETTINGS, [RULES["SUP001"]])
    assert [n.message for n in whole.notes] == [
        'docker:index/container:Container "web": suppress is unknown at preview, so its '
        "reasons are checked once known"
    ]


def test_a_suppress_unknown_as_a_whole_turns_what_it_may_cover_into_notes() -> None:
    """At preview the engine may not know a `suppress` at all: any finding on the resource (or
    under the component) might be covered, so none blocks the preview; each is noted instead."""
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    web = {"type": "docker:index/container:Container", "name": "web", "inputs": {"image": "x:1"}}
    report = check_resources([web | {"suppress": unknown}], SETTINGS)
    assert report.violations == ()
    assert [(n.rule, n.message) for n in report.notes if n.rule == "PIN003"] == [
        (
            "PIN003",
            'docker:index/container:Container "web" runs x:1 (image) by tag, so each host runs '
            "whatever the tag points to when it pulls; use a digest reference such as "
            "x:1@sha256:<digest> (PythonImage.ref is one) (not enforced at preview: the "
            'suppress of docker:index/container:Container "web" is unknown until deployment '
            "and may cover PIN003)",
        )
    ]
    component = {"type": "imagepin:index:ContainerService", "name": "svc", "urn": "urn:svc"}
    image = {
        "type": "docker-build:index:Image",
        "name": "img",
        "parent": "urn:svc",
        "inputs": {"push": True, "dockerfile": {"inline": f"{GOOD_FROM}\nCMD python\n"}},
        "options": {"retainOnDelete": True},
    }
    under = check_resources([image], SETTINGS, context=[component | {"suppress": unknown}])
    assert under.violations == ()
    assert {n.rule for n in under.notes} >= {"DF002", "DF004", "ARCH001"}
    assert all(
        n.message.endswith(
            'the suppress of imagepin:index:ContainerService "svc" is unknown until '
            f"deployment and may cover {n.rule})"
        )
        for n in under.notes
        if n.rule in ("DF002", "DF004", "ARCH001")
    )
    # the suppression rules still report on what is known (an empty reason, an unknown ID)
    own = {"DF004": "", "NOPE001": "why"}
    sup = check_resources([web | {"suppress": own}], SETTINGS, context=[])
    assert {v.rule for v in sup.violations} >= {"SUP001", "SUP002"}
    under_unknown = check_resources(
        [image | {"suppress": own}], SETTINGS, context=[component | {"suppress": unknown}]
    )
    assert {v.rule for v in under_unknown.violations} == {"SUP001", "SUP002"}
    # known: reported as ever
    known = check_resources([image], SETTINGS, context=[component | {"suppress": {}}])
    assert {v.rule for v in known.violations} >= {"DF002", "DF004", "ARCH001"}


@pytest.mark.parametrize(("value", "kind"), [(["OPS002"], "list"), ("OPS002", "string")])
def test_a_suppress_that_is_not_a_mapping_is_reported(value: Any, kind: str) -> None:
    web = {"type": "docker:index/container:Container", "name": "web", "suppress": value}
    report = check_resources([web], SETTINGS, [RULES["SUP001"]])
    assert [v.message for v in report.violations] == [
        f'docker:index/container:Container "web" has a suppress that is a {kind}, not a '
        "mapping of rule IDs to reasons, so it suppresses nothing; write "
        'suppress={"DF004": "<why this is acceptable>"}'
    ]


def test_sup002_reports_ids_that_name_no_rule() -> None:
    text = "FROM a\n# imagepin: ignore DF04 -- typo\nRUN x\n# imagepin: ignore -- nothing\nRUN y\n"
    report = check_text(text, SETTINGS, [RULES["SUP002"]])
    assert all(v.severity.value == "warning" for v in report.violations)
    assert [(v.line, v.message) for v in report.violations] == [
        (
            2,
            "# imagepin: ignore DF04 -- typo (line 2) names DF04, which is no imagepin rule (did "
            "you mean DF004?); use an ID from `imagepin rules`",
        ),
        (
            4,
            "# imagepin: ignore -- nothing (line 4) names no rule; use an ID from `imagepin rules`",
        ),
    ]
    resource = {
        "type": "imagepin:index:PythonImage",
        "name": "svc",
        "inputs": {"suppress": {"X": "y"}},
    }
    report = check_resources([resource], SETTINGS, [RULES["SUP002"]])
    assert [v.message for v in report.violations] == [
        'the suppress mapping of imagepin:index:PythonImage "svc" names X, which is no imagepin '
        "rule; use an ID from `imagepin rules`"
    ]


def test_suppression_rules_cannot_be_suppressed() -> None:
    text = "# imagepin: ignore SUP001 -- quiet\n# imagepin: ignore DF004\nFROM a\n"
    assert "SUP001" in rule_ids(check_text(text, SETTINGS))


def test_a_suppression_covers_only_its_instruction() -> None:
    text = (
        f"{GOOD_FROM}\n# imagepin: ignore DF001 -- vendored wheel cache\nRUN pip install a\n"
        f"RUN pip install b\n{GOOD_TAIL}"
    )
    assert [(v.rule, v.line) for v in check_text(text, SETTINGS).violations] == [("DF001", 4)]
