"""PIN001-PIN004: bases pinned by digest, pinned to what images.lock says, workloads run by digest,
tags that say what is pinned. Each rule: compliant, non-compliant (exact message), suppressed."""

from __future__ import annotations

import json
from datetime import date

import pytest

from imagepin.check import check_resources, check_text
from imagepin.lock import Lock
from imagepin.rules import RULES, Settings
from imagepin.rules.pin001_base_digest import remediate
from imagepin.rules.values import UNKNOWN

ON = Settings(today=date(2026, 11, 25))
A, B, C = ("sha256:" + c * 64 for c in "abc")
ENTRY = {
    "digest": B,
    "media_type": "application/vnd.oci.image.index.v1+json",
    "platforms": {"linux/amd64": C},
    "registry": "127.0.0.1:5000",
    "resolved_at": "2026-11-25T00:00:00Z",
}
LOCK = Lock.loads(
    json.dumps({"version": 1, "images": {"python:3.12-slim-bookworm": ENTRY}}), "images.lock"
)
LOCKED = Settings(today=date(2026, 11, 25), lock=LOCK)


def found(text: str, rule: str, settings: Settings = ON) -> list[tuple[int | None, str]]:
    report = check_text(text, settings, [RULES[rule]])
    assert all(v.rule == rule and v.severity is RULES[rule].severity for v in report.violations)
    return [(v.line, v.message) for v in report.violations]


def notes(text: str, rule: str) -> list[tuple[int | None, str]]:
    return [(n.line, n.message) for n in check_text(text, ON, [RULES[rule]]).notes]


# --- PIN001 -----------------------------------------------------------------------------------


def test_pin001_accepts_digests_build_stages_and_scratch() -> None:
    text = f"FROM python:3.12-slim-bookworm@{A} AS build\nFROM build\nFROM scratch\n"
    assert found(text, "PIN001") == []


def test_pin001_reports_an_unpinned_from_with_how_to_lock_it() -> None:
    assert found("FROM python:3.12-slim-bookworm\n", "PIN001") == [
        (
            1,
            "FROM python:3.12-slim-bookworm in stage 0 has no digest, so the base can change "
            "under the same tag without a change in review; record it with `imagepin lock add "
            "python:3.12-slim-bookworm` and write FROM python:3.12-slim-bookworm@sha256:<digest "
            "from images.lock>",
        )
    ]


def test_pin001_gives_the_locked_digest_when_the_lock_has_the_tag() -> None:
    assert found("FROM python:3.12-slim-bookworm AS app\n", "PIN001", LOCKED) == [
        (
            1,
            "FROM python:3.12-slim-bookworm in stage 0 (app) has no digest, so the base can "
            "change under the same tag without a change in review; pin it from images.lock: "
            f"FROM python:3.12-slim-bookworm@{B}",
        )
    ]


def test_pin001_reads_from_through_arg_substitution_and_no_tag_as_latest() -> None:
    text = "ARG PY=3.12\nFROM python:${PY}-slim-bookworm\nFROM debian\n"
    assert [m[:70] for _, m in found(text, "PIN001")] == [
        "FROM python:3.12-slim-bookworm (written python:${PY}-slim-bookworm) in",
        "FROM debian in stage 1 has no digest, so the base can change under the",
    ]
    assert "`imagepin lock add debian:latest`" in found(text, "PIN001")[1][1]


def test_pin001_notes_what_it_cannot_judge_instead_of_reporting_it() -> None:
    assert found("ARG T\nFROM python:$T\n", "PIN001") == []
    assert notes("ARG T\nFROM python:$T\n", "PIN001") == [
        (
            2,
            "FROM python:$T in stage 0 is not checked: $T has no value here (an ARG without a "
            "default, or a build arg unknown at preview)",
        )
    ]
    assert notes("FROM Python:3\n", "PIN001") == []


def test_pin001_reports_a_from_docker_would_reject() -> None:
    assert found(f"FROM Python:3@{A}\nFROM python:3.12-slim-bookworm@sha256:abc\n", "PIN001") == [
        (
            1,
            f"FROM Python:3@{A} in stage 0 is not a valid image reference, so `docker build` "
            f"rejects it: invalid reference 'Python:3@{A}': repository name must be lowercase; "
            "use 'library/python', not 'library/Python'",
        ),
        (
            2,
            "FROM python:3.12-slim-bookworm@sha256:abc in stage 1 is not a valid image "
            "reference, so `docker build` rejects it: invalid reference "
            "'python:3.12-slim-bookworm@sha256:abc': invalid reference format; digest "
            "'sha256:abc' is not valid: write it as sha256:<64 lowercase hex> (or "
            "sha384/sha512)",
        ),
    ]


def test_pin001_reports_a_from_that_cannot_hold_a_digest_whatever_its_arg_holds() -> None:
    assert found("ARG PY\nFROM python:${PY}-bookworm\n", "PIN001") == [
        (
            2,
            "FROM python:${PY}-bookworm in stage 0 has no digest whatever $PY holds, so the base "
            "can change under the same tag without a change in review; write FROM "
            "python:${PY}-bookworm@sha256:<digest from images.lock>",
        )
    ]
    assert found(f"ARG PY\nFROM python:${{PY}}-bookworm@{A}\n", "PIN001") == []
    assert found("ARG BASE\nFROM ${BASE}\n", "PIN001") == []  # BASE may carry the digest
    stages = f"ARG ENV\nFROM python@{A} AS dev-runtime\nFROM python@{A} AS prod-runtime\n"
    assert found(stages + "FROM ${ENV}-runtime\n", "PIN001") == []  # may be a stage
    assert [line for line, _ in notes(stages + "FROM ${ENV}-runtime\n", "PIN001")] == [4]


def test_pin001_remediation_pins_every_from_also_after_a_continued_one() -> None:
    text = (
        "FROM \\\n  python:3.12-slim-bookworm AS build\nRUN true\n"
        "FROM \\\n  python:3.12-slim-bookworm AS app\nUSER 10001\n"
    )
    assert remediate(text, LOCK) == text.replace("bookworm AS", f"bookworm@{B} AS")


def test_pin001_suppressed_with_a_reason_only() -> None:
    reasoned = "# imagepin: ignore PIN001 -- rebuilt nightly on purpose\nFROM python:3.12\n"
    assert check_text(reasoned, ON, [RULES["PIN001"], RULES["SUP001"]]).violations == ()
    bare = "# imagepin: ignore PIN001\nFROM python:3.12\n"
    report = check_text(bare, ON, [RULES["PIN001"], RULES["SUP001"]])
    assert [v.rule for v in report.violations] == ["SUP001", "PIN001"]


def test_pin001_remediation_pins_each_literal_from_the_lock_knows() -> None:
    text = (
        "ARG PY=3.12\n"
        "FROM --platform=$BUILDPLATFORM python:3.12-slim-bookworm AS build\n"
        "FROM python:${PY}-slim-bookworm\n"
        "from python:3.12-slim-bookworm\n"
        f"FROM python:3.12-slim-bookworm@{A}\n"
        "FROM debian:bookworm\n"
    )
    assert remediate(text, LOCK) == (
        "ARG PY=3.12\n"
        f"FROM --platform=$BUILDPLATFORM python:3.12-slim-bookworm@{B} AS build\n"
        "FROM python:${PY}-slim-bookworm\n"
        f"from python:3.12-slim-bookworm@{B}\n"
        f"FROM python:3.12-slim-bookworm@{A}\n"
        "FROM debian:bookworm\n"
    )


# --- PIN002 -----------------------------------------------------------------------------------


def test_pin002_accepts_the_locked_index_or_platform_digest_and_unlocked_tags() -> None:
    text = (
        f"FROM python:3.12-slim-bookworm@{B}\nFROM python:3.12-slim-bookworm@{C}\n"
        f"FROM python:3.13-slim-bookworm@{A}\n"
    )
    assert found(text, "PIN002", LOCKED) == []
    assert found(f"FROM python:3.12-slim-bookworm@{A}\n", "PIN002") == []  # no lock


def test_pin002_reports_drift_also_through_the_mirror_the_lock_used() -> None:
    text = f"FROM 127.0.0.1:5000/library/python:3.12-slim-bookworm@{A}\n"
    assert found(text, "PIN002", LOCKED) == [
        (
            1,
            f"FROM 127.0.0.1:5000/library/python:3.12-slim-bookworm@{A} in stage 0 is pinned to "
            f"{A}, but images.lock records {B} for python:3.12-slim-bookworm; write FROM "
            f"127.0.0.1:5000/library/python:3.12-slim-bookworm@{B}, or run `imagepin lock "
            "refresh python:3.12-slim-bookworm` and review what moved",
        )
    ]


def test_pin002_suppressed_on_an_image_resource() -> None:
    image = {
        "type": "docker-build:index:Image",
        "name": "app",
        "inputs": {"dockerfile": {"inline": f"FROM python:3.12-slim-bookworm@{A}\n"}},
    }
    report = check_resources([image], LOCKED, [RULES["PIN002"]])
    assert [(v.resource, v.line) for v in report.violations] == [("app", 1)]
    quiet = image | {"suppress": {"PIN002": "canary of the next digest"}}
    assert check_resources([quiet], LOCKED, [RULES["PIN002"]]).violations == ()


def test_pin002_suppressed() -> None:
    text = (
        "# imagepin: ignore PIN002 -- testing the next digest\n"
        f"FROM python:3.12-slim-bookworm@{A}\n"
    )
    assert found(text, "PIN002", LOCKED) == []


# --- PIN003 -----------------------------------------------------------------------------------


def container(image: object, **inputs: object) -> dict[str, object]:
    return {
        "type": "docker:index/container:Container",
        "name": "web",
        "inputs": {"image": image, **inputs},
    }


def resource_found(resources: list[dict[str, object]], rule: str) -> list[tuple[str | None, str]]:
    report = check_resources(resources, ON, [RULES[rule]])
    return [(v.resource, v.message) for v in report.violations]


def test_pin003_accepts_digest_references() -> None:
    assert resource_found([container(f"127.0.0.1:5000/app@{A}")], "PIN003") == []


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        (
            container("nginx:1.27"),
            'docker:index/container:Container "web" runs nginx:1.27 (image) by tag, so each host '
            "runs whatever the tag points to when it pulls; use a digest reference such as "
            "nginx:1.27@sha256:<digest> (PythonImage.ref is one)",
        ),
        (
            {
                "type": "aws:ecs/taskDefinition:TaskDefinition",
                "name": "svc",
                "inputs": {
                    "containerDefinitions": '[{"name": "app", "image": "acme/app:1"}, '
                    f'{{"name": "ok", "image": "acme/app@{A}"}}]'
                },
            },
            'aws:ecs/taskDefinition:TaskDefinition "svc" runs acme/app:1 (containerDefinitions[0] '
            "(app).image) by tag, so each host runs whatever the tag points to when it pulls; "
            "use a digest reference such as acme/app:1@sha256:<digest> (PythonImage.ref is one)",
        ),
        (
            {
                "type": "docker:index/service:Service",
                "name": "swarm",
                "inputs": {"taskSpec": {"containerSpec": {"image": "ghcr.io/acme/app"}}},
            },
            'docker:index/service:Service "swarm" runs ghcr.io/acme/app '
            "(taskSpec.containerSpec.image) by tag, so each host runs whatever the tag points to "
            "when it pulls; use a digest reference such as ghcr.io/acme/app@sha256:<digest> "
            "(PythonImage.ref is one)",
        ),
        (
            {
                "type": "docker:index/remoteImage:RemoteImage",
                "name": "pull",
                "inputs": {"name": "redis:7"},
            },
            'docker:index/remoteImage:RemoteImage "pull" pulls redis:7 (name) by tag, so each '
            "host runs whatever the tag points to when it pulls; use a digest reference such as "
            "redis:7@sha256:<digest> (PythonImage.ref is one)",
        ),
    ],
)
def test_pin003_reports_each_workload_run_by_tag(resource, message) -> None:
    assert resource_found([resource], "PIN003") == [(resource["name"], message)]


def test_pin003_skips_unknown_images_with_a_note() -> None:
    report = check_resources([container(UNKNOWN)], ON, [RULES["PIN003"]])
    assert report.violations == ()
    assert [n.message for n in report.notes] == [
        'docker:index/container:Container "web": image is unknown at preview (an output of '
        "another resource), so it is checked once known"
    ]
    bad_json = {
        "type": "aws:ecs/taskDefinition:TaskDefinition",
        "name": "svc",
        "inputs": {"containerDefinitions": "[{"},
    }
    (note,) = check_resources([bad_json], ON, [RULES["PIN003"]]).notes
    assert note.message.startswith(
        'aws:ecs/taskDefinition:TaskDefinition "svc": containerDefinitions is a string not '
        "valid JSON ("
    )


def test_pin003_suppressed_by_the_resource_or_a_component_above_it() -> None:
    own = container("nginx:1.27") | {"suppress": {"PIN003": "vendor image, pinned by its tag"}}
    assert resource_found([own], "PIN003") == []
    parent = {
        "type": "imagepin:index:ContainerService",
        "name": "svc",
        "urn": "urn:svc",
        "inputs": {"suppress": {"PIN003": "legacy"}},
    }
    child = container("nginx:1.27") | {"parent": "urn:svc"}
    assert resource_found([parent, child], "PIN003") == []
    assert resource_found([child], "PIN003") != []


# --- PIN004 -----------------------------------------------------------------------------------


def test_pin004_accepts_tags_that_name_what_is_pinned() -> None:
    text = f"FROM python:3.12-slim-bookworm@{A}\nFROM node:20.11\nFROM python:3.12-slim\n"
    assert found(text, "PIN004") == []


def test_pin004_reports_floating_tags_even_when_pinned() -> None:
    text = (
        f"FROM python:3-slim@{A}\nFROM python:latest\nFROM python\nFROM debian:stable\n"
        "FROM python:slim\n"
    )
    assert found(text, "PIN004") == [
        (
            1,
            f"FROM python:3-slim@{A} in stage 0 uses a floating tag: tag '3-slim' names only the "
            "major version, so it moves to every new series; the digest stays, but reviewers "
            "cannot tell what is pinned; name the release, e.g. "
            "python:3.15-slim-trixie@sha256:<digest>",
        ),
        (
            2,
            "FROM python:latest in stage 1 uses a floating tag: tag 'latest' moves by design; "
            "reviewers cannot tell what is pinned; name the release, e.g. "
            "python:3.15-trixie@sha256:<digest>",  # latest is the full variant
        ),
        (
            3,
            "FROM python in stage 2 uses a floating tag: it has no tag (Docker reads that as "
            "latest); reviewers cannot tell what is pinned; name the release, e.g. "
            "python:3.15-trixie@sha256:<digest>",  # latest is the full variant
        ),
        (
            4,
            "FROM debian:stable in stage 3 uses a floating tag: tag 'stable' moves by design; "
            "reviewers cannot tell what is pinned; name the release, e.g. "
            "debian:<release>@sha256:<digest>",
        ),
        (
            5,
            "FROM python:slim in stage 4 uses a floating tag: tag 'slim' names no Python "
            "version; reviewers cannot tell what is pinned; name the release, e.g. "
            "python:3.15-slim-trixie@sha256:<digest>",
        ),
    ]


def test_pin004_reads_a_floating_word_before_a_variant() -> None:
    text = (
        f"FROM debian:stable-slim@{A}\nFROM node:lts-alpine\nFROM ubuntu:rolling\n"
        "FROM alpine:edge\nFROM node:20.11-alpine\nFROM debian:bookworm-slim\n"
    )
    assert [
        (line, message.split(": ", 1)[1].split(";")[0]) for line, message in found(text, "PIN004")
    ] == [
        (1, "tag 'stable-slim' moves by design"),
        (2, "tag 'lts-alpine' moves by design"),
        (3, "tag 'rolling' moves by design"),
        (4, "tag 'edge' moves by design"),
    ]
    snapshots = (
        f"FROM debian:stable-20240701-slim@{A}\nFROM debian:sid-20240701\n"
        "FROM alpine:edge-2024\nFROM rustlang/rust:nightly-2024-06-01-slim\n"
        "FROM node:lts-alpine3.20\n"
    )
    assert [line for line, _ in found(snapshots, "PIN004")] == [5]


def test_pin004_says_a_digest_only_reference_is_pulled_by_digest() -> None:
    text = f"FROM ubuntu@{A}\nFROM python@{A}\n"
    digest_only = (
        "names no release, only a digest (Docker pulls that digest, not latest), so reviewers "
        "cannot tell what is pinned; name the release, e.g."
    )
    assert found(text, "PIN004") == [
        (1, f"FROM ubuntu@{A} in stage 0 {digest_only} ubuntu:<release>@sha256:<digest>"),
        (2, f"FROM python@{A} in stage 1 {digest_only} python:3.15-slim-bookworm@sha256:<digest>"),
    ]


def test_pin004_suppressed() -> None:
    text = "# imagepin: ignore PIN004 -- the vendor only publishes latest\nFROM acme/tool\n"
    assert found(text, "PIN004") == []
