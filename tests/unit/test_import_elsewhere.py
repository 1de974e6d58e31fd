"""Another team's Python stack imports the components from the installed package."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROGRAM = textwrap.dedent(
    """
    import json
    from datetime import datetime, timezone

    import pulumi
    from components import ContainerService, PythonImage
    from components.preview import record
    from imagepin.lock import Lock, LockEntry

    Lock("images.lock", {"python:3.12-slim-bookworm": LockEntry(
        digest="sha256:" + "1" * 64, media_type="application/vnd.oci.image.index.v1+json",
        platforms={"linux/amd64": "sha256:" + "2" * 64}, registry="docker.io",
        resolved_at=datetime(2026, 11, 25, tzinfo=timezone.utc))}).save()

    def program():
        image = PythonImage("api", {"app": "app", "repository": "registry.example.com/api",
                                    "python": "3.12", "distro": "bookworm",
                                    "command": ["python3", "-m", "api"]})
        ContainerService("api", {"image": image.ref, "port": 8000})

    rec = record(program, project="theirs", stack="test", preview=False)
    import components
    print(json.dumps({"components": components.__file__,
                      "types": sorted({r.type for r in rec.resources})}))
    """
)


def test_a_separate_project_imports_and_uses_the_components(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements.txt").write_text("")
    (tmp_path / "__main__.py").write_text(PROGRAM)
    proc = subprocess.run(
        [sys.executable, "__main__.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    import json

    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not result["components"].startswith(str(tmp_path))
    assert result["types"] == [
        "docker-build:index:Image",
        "docker:index/container:Container",
        "docker:index/remoteImage:RemoteImage",
        "imagepin:index:ContainerService",
        "imagepin:index:PythonImage",
    ]
