"""Run every benchmark and print one JSON object with all their figures.

Each benchmark runs as its own process (`python benchmarks/<name>.py`, in this order:
lock_resolve, program_scale, policy_throughput, image_size, rebuild, interpreter); its stdout is
its JSON, kept under its name with the seconds it took. A benchmark that is missing is reported
as skipped, one that fails with its exit code and the end of its stderr; the others still run.
With `--quick`, `--quick` is passed to each benchmark that accepts it, and the whole run must
stay under 5 minutes (`met`).

    .venv/bin/python benchmarks/run.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "lock_resolve",
    "program_scale",
    "policy_throughput",
    "image_size",
    "rebuild",
    "interpreter",
)
QUICK_LIMIT_S = 300


def run(name: str, quick: bool) -> dict[str, Any]:
    script = HERE / f"{name}.py"
    if not script.exists():
        return {"status": "skipped", "reason": f"{script.name} is not there"}
    args = [sys.executable, str(script)]
    if quick and '"--quick"' in script.read_text():
        args.append("--quick")
    print(f"[run] {' '.join(args[1:])}", file=sys.stderr, flush=True)
    started = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, check=False, cwd=HERE.parent)
    seconds = round(time.monotonic() - started, 1)
    sys.stderr.write(proc.stderr)
    result: dict[str, Any] = {"seconds": seconds, "quick": "--quick" in args}
    if proc.returncode != 0:
        return result | {
            "status": "failed",
            "exit_code": proc.returncode,
            "stderr_tail": proc.stderr.strip().splitlines()[-15:],
        }
    try:
        figures = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        return result | {"status": "failed", "error": f"stdout is not one JSON object: {exc}"}
    return result | {"status": "ok", "figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every benchmark in its quick form")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="a subset, in order")
    args = parser.parse_args()
    started = time.monotonic()
    results = {name: run(name, args.quick) for name in args.only or BENCHMARKS}
    total = round(time.monotonic() - started, 1)
    summary: dict[str, Any] = {
        "benchmark": "run",
        "quick": args.quick,
        "benchmarks": results,
        "seconds": {name: result.get("seconds") for name, result in results.items()},
        "met": {
            name: result["figures"].get("met")
            for name, result in results.items()
            if result["status"] == "ok"
        },
        "failed": [name for name, result in results.items() if result["status"] == "failed"],
        "skipped": [name for name, result in results.items() if result["status"] == "skipped"],
        "total_seconds": total,
    }
    if args.quick:
        summary["quick_target"] = {
            "total_seconds_max": QUICK_LIMIT_S,
            "met": total < QUICK_LIMIT_S,
        }
    print(json.dumps(summary, indent=2))
    sys.exit(1 if summary["failed"] else 0)


if __name__ == "__main__":
    main()
