"""Fixtures of the policy tests: a copy of this project with a lock for every base it names.

The program pins its bases from images.lock; the fixture writes one for the bases the stacks
name, with made-up digests (nothing is pulled or pushed at preview).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from analyzer import ROOT, digest

from imagepin.config import bases_from_stacks

PROJECT_FILES = ("Pulumi.yaml", "__main__.py", "stacks", "policies", "app")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy2(source, tmp_path / name)
    images = {
        ref: {
            "digest": digest(ref),
            "media_type": "application/vnd.oci.image.index.v1+json",
            "platforms": {"linux/amd64": digest(ref + "a"), "linux/arm64/v8": digest(ref + "b")},
            "registry": mirror or "docker.io",
            "resolved_at": "2026-11-25T00:00:00Z",
        }
        for ref, mirror in bases_from_stacks(tmp_path)
    }
    (tmp_path / "images.lock").write_text(json.dumps({"version": 1, "images": images}))
    return tmp_path
