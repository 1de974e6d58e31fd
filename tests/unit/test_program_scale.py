"""A program with 500 images and 500 services evaluates under the mock monitor (issue: scale).

Untimed: `benchmarks/program_scale.py` measures the time; this checks that every one of the 2500
resources is registered, wired to its own image by digest, and valid for its provider."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from components.preview import record

from helpers import ROOT
from provider_schema import errors

sys.path.insert(0, str(ROOT / "benchmarks"))

import program_scale

N = 500


def test_500_images_and_500_services_evaluate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program_scale.prepare(tmp_path)
    monkeypatch.chdir(tmp_path)
    rec = record(lambda: program_scale.program(N, "images.lock"), preview=True)
    by_type: dict[str, list[object]] = {}
    for r in rec.resources:
        by_type.setdefault(r.type, []).append(r)
    assert {kind: len(found) for kind, found in by_type.items()} == {
        "imagepin:index:PythonImage": N,
        "docker-build:index:Image": N,
        "imagepin:index:ContainerService": N,
        "docker:index/remoteImage:RemoteImage": N,
        "docker:index/container:Container": N,
    }
    assert len({r.urn for r in rec.resources}) == 5 * N
    containers = rec.of_type("docker:index/container:Container")
    ports = sorted(c.inputs["ports"][0]["external"] for c in containers)
    assert ports == list(range(20000, 20000 + N))
    for resource in rec.resources:
        if not resource.type.startswith("imagepin:"):
            assert errors(resource) == [], resource.name
