"""Benchmark: a program of N components, N/2 images and N/2 services, evaluated under mocks.

N counts the components, so N = 1000 is the issue's "program with 500 images and 500 services"
(`tests/unit/test_program_scale.py` checks that program's 2500 resources, untimed). Each image is
a PythonImage (rendered Dockerfile, one docker-build Image) and each service a ContainerService
(docker backend: RemoteImage + Container), all from one images.lock, as `imagepin preview` runs
them: 5 resources per image+service pair. Each N, and the floor, is evaluated in a fresh
interpreter (as `pulumi preview` starts a new language host per run) and timed from the program's
first line until `record` returns: every registration settled and the recording's memory
reclaimed. Prints one JSON object with the time per N, the time
per pair, the growth ratio 1000/100 normalised (1 means linear) and the SDK's own floor: the same
number of bare resources with nothing of ours (at N = 100, and at N = 1000 in the full run).
Target: linear, and under 10 s for N = 1000.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components import ContainerService, PythonImage  # noqa: E402
from components.preview import record  # noqa: E402
from imagepin.lock import Lock, LockEntry  # noqa: E402


def prepare(root: Path) -> None:
    (root / "app").mkdir()
    (root / "app" / "requirements.txt").write_text("falcon==4.0.2\n")
    Lock(
        root / "images.lock",
        {
            "python:3.12-slim-bookworm": LockEntry(
                digest="sha256:" + "1" * 64,
                media_type="application/vnd.oci.image.index.v1+json",
                platforms={"linux/amd64": "sha256:" + "2" * 64},
                registry="docker.io",
                resolved_at=datetime(2026, 11, 25, tzinfo=UTC),
            )
        },
    ).save()


def program(pairs: int, lock: str) -> None:
    """`pairs` PythonImages, each run by a ContainerService."""
    for i in range(pairs):
        image = PythonImage(
            f"svc{i}",
            {
                "app": "app",
                "repository": f"127.0.0.1:5000/svc{i}",
                "python": "3.12",
                "distro": "bookworm",
                "command": ["python3", "-m", "service"],
                "port": 8000,
                "healthcheck": {"path": "/healthz"},
                "lock_file": lock,
            },
        )
        ContainerService(
            f"svc{i}", {"image": image.ref, "port": 8000, "docker": {"host_port": 20000 + i}}
        )


def bare(count: int) -> None:
    """The SDK's own floor: `count` top-level Containers with one input, nothing of ours."""
    import pulumi_docker as docker

    for i in range(count):
        docker.Container(f"bare{i}", image="x@sha256:" + "a" * 64)


def measure(what: str, n: int) -> float:
    """Seconds to evaluate one program in this process: `program` with n components, or `bare`
    with n resources. Prepares its own project directory, then times `record` alone."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        prepare(root)
        os.chdir(root)
        started = time.perf_counter()
        if what == "program":
            rec = record(lambda: program(n // 2, "images.lock"), preview=True)
            expected = 5 * (n // 2)
        else:
            rec = record(lambda: bare(n), preview=True)
            expected = n
        elapsed = time.perf_counter() - started
        os.chdir(ROOT)
    assert len(rec.resources) == expected, (len(rec.resources), expected)
    return elapsed


def in_fresh_process(what: str, n: int) -> float:
    """`measure` in a new interpreter, as `pulumi preview` runs every program in a new language
    host: nothing one size leaves behind (heap, caches) slows or speeds the next."""
    cmd = [sys.executable, __file__, "--one", what, str(n)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"program_scale: {what} {n} failed:\n{proc.stderr.strip()}")
    return float(proc.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 10, 100, 300")
    parser.add_argument("--one", nargs=2, metavar=("WHAT", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # the child: print the seconds of one evaluation
        print(measure(args.one[0], int(args.one[1])))
        return
    sizes = (10, 100, 300) if args.quick else (10, 100, 1000)
    figures: dict[str, object] = {"benchmark": "program_scale"}
    times = {n: in_fresh_process("program", n) for n in sizes}
    # the SDK's floor at the middle size, and in the full run at N = 1000 too (the target's size)
    floor_sizes = (sizes[1],) if args.quick else (sizes[1], sizes[-1])
    floors = {n: in_fresh_process("bare", 5 * (n // 2)) for n in floor_sizes}
    big, mid = sizes[-1], sizes[-2]
    growth = (times[big] / times[mid]) / (big / mid)
    figures.update(
        {
            "components": {str(n): {"images": n // 2, "services": n // 2} for n in sizes},
            "resources": {str(n): 5 * (n // 2) for n in sizes},
            "seconds": {str(n): round(t, 2) for n, t in times.items()},
            "ms_per_pair": {str(n): round(1000 * t / (n // 2), 2) for n, t in times.items()},
            f"growth_{big}_over_{mid}_normalised": round(growth, 2),
            # as many resources as the program of N components (5 per pair), bare: top-level
            # Containers with one input, no components; what the Pulumi SDK's mock monitor alone
            # costs on this machine for that many registrations
            "sdk_floor_bare_resources_s": {
                str(5 * (n // 2)): round(t, 2) for n, t in floors.items()
            },
            "ours_over_floor": {str(n): round(times[n] / t, 2) for n, t in floors.items()},
            "targets": {"seconds_at_1000_max": 10, "growth_normalised_max": 1.5},
            "met": times[big] < 10 and growth <= 1.5 if big == 1000 else None,
        }
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
