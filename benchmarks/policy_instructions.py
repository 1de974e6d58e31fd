"""Benchmark: the policy pack's own work, counted in CPU instructions (exact, unlike wall time).

`policy_throughput.py` times the pack through gRPC, where a shared machine's noise moves the
ratio by 0.1 or more from run to run. This counts, under valgrind's callgrind, the instructions
the pack's analyzer executes for the same 1000 resources, with the same prod config, once with
the rules and once as the floor (every validation returning at once): in process, without gRPC,
so the ratio here is of the analysis alone and a change to the pack moves it by what it saves.

The Go parser inside the `dockerfile` package is not counted: valgrind cannot follow the Go
runtime's stack switches, so each Dockerfile is parsed before counting starts and the pack gets
the parser's own result from a table. Everything the pack does with it is counted.

Needs valgrind (`apt-get install valgrind`); about 80 s per pack, both packs run at once.
Prints one JSON object.

    .venv/bin/python benchmarks/policy_instructions.py
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARK = "sys_call_tracing"
"""Counting is on only inside this C function: the counted loop runs through `sys.call_tracing`,
which nothing else on the way calls."""


class _CapturedError(Exception):
    """Stops `PolicyPack` before it serves: the servicer is all this needs."""


def _servicer(floor: bool) -> Any:
    """The pack's analyzer servicer, built as `pulumi.policy` builds it, without serving it."""
    import pulumi_policy.policy as sdk

    found: list[Any] = []

    def capture(servicer: Any, server: Any) -> None:
        found.append(servicer)
        raise _CapturedError

    sdk.analyzer_pb2_grpc.add_AnalyzerServicer_to_server = capture
    import imagepin_pack

    with contextlib.suppress(_CapturedError):
        imagepin_pack.build_pack(floor=floor)
    return found[0]


def count(mode: str, resources: int) -> None:
    """Run inside valgrind: configure one pack, analyze every resource once, counted."""
    sys.path[:0] = [str(ROOT / d) for d in ("policies", "tests/policy", "benchmarks")]
    import dockerfile
    import policy_throughput
    from analyzer import Analyzer, configure_request

    servicer = _servicer(floor=mode == "floor")
    with tempfile.TemporaryDirectory() as tmp:
        config = policy_throughput.prod_config(Path(tmp))
        names = [p.name for p in servicer.GetAnalyzerInfo(None, None).policies]
        servicer.Configure(configure_request(config, names), None)
        for kind, name, props in policy_throughput.resources(20, round_=-1):  # warm-up
            servicer.Analyze(Analyzer.request(kind, name, props), None)
        items = policy_throughput.resources(resources, round_=0)
        parsed = {
            props["dockerfile"]["inline"]: dockerfile.parse_string(props["dockerfile"]["inline"])
            for _, _, props in items
            if "dockerfile" in props
        }
        dockerfile.parse_string = parsed.__getitem__
        requests = [Analyzer.request(kind, name, props) for kind, name, props in items]
        sys.call_tracing(lambda: [servicer.Analyze(r, None) for r in requests], ())


def _valgrind(mode: str, resources: int) -> subprocess.Popen[str]:
    env = dict(os.environ, GODEBUG="asyncpreemptoff=1")  # fewer signals for valgrind to relay
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--toggle-collect={MARK}",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--count",
        mode,
        "--resources",
        str(resources),
    ]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=1000)
    parser.add_argument("--count", choices=("floor", "rules"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    resources = args.resources
    if args.count:  # inside valgrind
        count(args.count, resources)
        return
    if shutil.which("valgrind") is None:
        sys.exit("policy_instructions: needs valgrind (apt-get install valgrind)")
    runs = {mode: _valgrind(mode, resources) for mode in ("floor", "rules")}
    counted: dict[str, int] = {}
    for mode, run in runs.items():
        _, err = run.communicate()
        found = re.search(r"Collected : (\d+)", err)
        if run.returncode != 0 or found is None or int(found[1]) < 1_000_000:
            sys.exit(f"policy_instructions: the {mode} run failed:\n{err[-2000:]}")
        counted[mode] = int(found[1])
    floor, rules = counted["floor"], counted["rules"]
    print(
        json.dumps(
            {
                "benchmark": "policy_instructions",
                "resources": resources,
                "floor_instructions": floor,
                "rules_instructions": rules,
                "rules_own_per_resource": round((rules - floor) / resources),
                "ratio": round(rules / floor, 3),
                "not_counted": "the Go parser in the dockerfile package; gRPC",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
