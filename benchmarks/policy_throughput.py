"""Benchmark: the policy pack analyzing 1000 resources through its real gRPC analyzer, against the
same pack with every validation returning at once (the floor: gRPC, the SDK's per-policy
deserialization, 21 policies), in one run.

Resources are shaped like the provider resources the engine sends: 400 docker-build Images (each
its own inline Dockerfile, half compliant, half not), 300 docker Containers, 100 ECS task
definitions and 200 unrelated S3 buckets; the pack is configured like the prod stack. Each pack is
warmed up on 20 resources, then timed over all 1000 requests, one after another (as the engine
sends them), in 7 interleaved rounds (each round's Dockerfiles are new, so nothing parsed in one
round helps the next). Each round times the floor and then the rules on the same requests, back to
back, so the round's ratio compares the two under the same machine load; the reported `ratio` is
the median of the rounds' ratios (a shared machine's load drifts over a run: the floor alone took
1.9 s in one round and 2.8 s two rounds later). Also reported: each pack's median wall time and
the ratio of those medians, and the analyzer processes' CPU time. Prints one JSON object; target:
ratio <= 1.5.

    .venv/bin/python benchmarks/policy_throughput.py [--resources 1000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "policy"))

from analyzer import Analyzer, diagnostics  # noqa: E402

TARGET = 1.5
A = "sha256:" + "a" * 64
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def dockerfile(i: int, good: bool, round_: int = 0) -> str:
    if good:
        return (
            f"FROM python:3.12-slim-bookworm@{A}\nWORKDIR /srv/app{i}\nCOPY requirements.txt ./\n"
            "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nUSER 10001\n"
            f'LABEL build="{round_}.{i}"\nCMD ["python", "-m", "app"]\n'
        )
    return (
        f"ARG PY=3.{9 + i % 4}\nFROM python:${{PY}} AS build\nRUN apt-get update && "
        f"apt-get install -y gcc\nCOPY . /w{round_}.{i}\nRUN pip install -r /w/requirements.txt\n"
        f"FROM build\nENV API_TOKEN=t{i}\nCMD python -m app\n"
    )


Item = tuple[str, str, dict[str, Any]]


def resources(n: int, round_: int = 0) -> list[Item]:
    """`n` resources; each round's Dockerfiles differ, so no round reuses another's parses."""
    found: list[Item] = []
    for i in range(n):
        kind = i % 10
        if kind < 4:
            good = i % 2 == 0
            props = {
                "push": True,
                "tags": [f"{ECR}/app{i}:1" if good else f"quay.io/app{i}:1"],
                "platforms": ["linux/amd64", "linux/arm64"] if good else ["linux/amd64"],
                "dockerfile": {"inline": dockerfile(i, good, round_)},
                "context": {"location": "app"},
                "buildArgs": {} if good else {"GITHUB_TOKEN": "x"},
            }
            found.append(("docker-build:index:Image", f"image-{i}", props))
        elif kind < 7:
            image = f"{ECR}/app{i}@{A}" if i % 2 else f"nginx:1.{i}"
            health = {"tests": ["CMD", "true"]} if i % 2 else None
            props = {"image": image, **({"healthcheck": health} if health else {})}
            found.append(("docker:index/container:Container", f"web-{i}", props))
        elif kind == 7:
            defs = json.dumps([{"name": f"app{i}", "image": f"{ECR}/app{i}:{i}"}])
            found.append(
                (
                    "aws:ecs/taskDefinition:TaskDefinition",
                    f"task-{i}",
                    {"containerDefinitions": defs},
                )
            )
        else:
            found.append(("aws:s3/bucket:Bucket", f"bucket-{i}", {"bucket": f"b{i}"}))
    return found


def prod_config(folder: Path) -> dict[str, Any]:
    """The prod stack's pack config, with PIN001/PIN002 reading an empty images.lock in `folder`."""
    config: dict[str, Any] = json.loads((ROOT / "policies" / "config" / "prod.json").read_text())
    lock = folder / "images.lock"
    lock.write_text('{"version": 1, "images": {}}\n')
    for name in ("PIN001", "PIN002"):
        config[name] = {"enforcementLevel": "mandatory", "lockFile": str(lock)}
    return config


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_pass(analyzer: Analyzer, items: list[Item]) -> tuple[float, float, int]:
    """(wall seconds, analyzer CPU seconds, diagnostics) for analyzing every item once.

    Requests are marshalled before the clock starts (the engine does that in Go)."""
    requests = [Analyzer.request(kind, name, props) for kind, name, props in items]
    found = 0
    cpu = cpu_seconds(analyzer.process.pid)
    started = time.perf_counter()
    for request in requests:
        found += len(diagnostics(analyzer.stub.Analyze(request)))
    wall = time.perf_counter() - started
    return wall, cpu_seconds(analyzer.process.pid) - cpu, found


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if args.resources < 1 or args.rounds < 1:
        parser.error("--resources and --rounds must be at least 1")
    samples: dict[str, dict[str, list[float]]] = {
        name: {"wall": [], "cpu": []} for name in ("floor", "rules")
    }
    diagnostics_found = {"floor": 0, "rules": 0}
    with tempfile.TemporaryDirectory() as tmp:
        config = prod_config(Path(tmp))
        packs = {"floor": Analyzer.start(floor=True), "rules": Analyzer.start()}
        try:
            for pack in packs.values():
                pack.configure(config)
                for kind, name, props in resources(20, round_=-1):
                    pack.analyze(kind, name, props)
            for round_ in range(args.rounds):  # interleaved, so load changes hit both alike
                items = resources(args.resources, round_)
                for name, pack in packs.items():
                    wall, cpu, found = one_pass(pack, items)
                    samples[name]["wall"].append(round(wall, 3))
                    samples[name]["cpu"].append(round(cpu, 3))
                    diagnostics_found[name] = found
        finally:
            for pack in packs.values():
                pack.stop()
    floor, rules = (median(samples[n]["wall"]) for n in ("floor", "rules"))
    walls = zip(samples["floor"]["wall"], samples["rules"]["wall"], strict=True)
    paired = [r / f for f, r in walls]  # each round's rules against its own floor
    ratio = median(paired)
    cpu_floor, cpu_rules = (median(samples[n]["cpu"]) for n in ("floor", "rules"))
    print(
        json.dumps(
            {
                "benchmark": "policy_throughput",
                "resources": args.resources,
                "policies": 21,
                "rounds": args.rounds,
                "floor": {
                    "seconds": floor,
                    "per_resource_ms": round(1000 * floor / args.resources, 3),
                    "diagnostics": diagnostics_found["floor"],
                    "samples": samples["floor"],
                },
                "rules": {
                    "seconds": rules,
                    "per_resource_ms": round(1000 * rules / args.resources, 3),
                    "diagnostics": diagnostics_found["rules"],
                    "samples": samples["rules"],
                },
                "round_ratios": [round(r, 3) for r in paired],
                "ratio": round(ratio, 3),
                "ratio_of_medians": round(rules / floor, 3),
                "cpu_ratio": round(cpu_rules / cpu_floor, 3) if cpu_floor else None,
                "target": TARGET,
                "met": ratio <= TARGET,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
