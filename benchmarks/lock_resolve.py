"""Benchmark: `imagepin lock add` on 50 tags vs a `skopeo inspect` loop over the same 50.

Pushes 50 small images (a two-platform index each) to the local registry, then, in one run and
for each setting (loopback as is; a remote registry's round-trip time simulated by a proxy that
delays every request by `--rtt-ms`; and `https`, the same storage served over TLS on this
machine's own address with a certificate from a throwaway CA that both tools verify, which
imagepin reaches over HTTP/2):
  - times `imagepin lock add` of all 50 (one process, concurrent requests; the median of
    `--runs` runs, each into a fresh lock),
  - times `skopeo inspect --raw` once per tag, one after another (what a shell loop does);
and counts HTTP requests per reference with imagepin's client (HEAD for top digests only, GET
when per-platform digests are wanted).

Prints one JSON object, with `met` per setting. Targets: >= 10x faster than the skopeo loop,
<= 1 request per reference for top digests. On loopback both sides are bound by process start-up
and CPU (imagepin's start-up alone, `imagepin_startup_s`, is about 0.45 s of Python and its
imports; skopeo, a Go binary, takes about 30 ms a reference), so the speedup grows with the
round-trip time: that is where concurrency pays.
Needs the local registry (`python tests/infra.py up --no-standins`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

from imagepin.registry import RegistryClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import infra  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402
from tlsregistry import TlsRegistry  # noqa: E402

IMAGEPIN = str(Path(sys.executable).parent / "imagepin")


def time_imagepin(refs: list[str], env: dict[str, str]) -> float:
    """One `imagepin lock add` of every reference into a fresh lock, in seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        lock = Path(tmp) / "images.lock"
        started = time.perf_counter()
        cmd = [IMAGEPIN, "lock", "add", *refs, "--lock", str(lock)]
        subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, **env})
        elapsed = time.perf_counter() - started
        assert len(json.loads(lock.read_text())["images"]) == len(refs)
    return elapsed


def startup_s(runs: int) -> float:
    """`imagepin lock show --json` of an empty lock: the process, its imports, no request (the
    floor every `lock add` pays before its first byte goes out)."""
    with tempfile.TemporaryDirectory() as tmp:
        lock = Path(tmp) / "images.lock"
        lock.write_text('{"version": 1, "images": {}}\n')
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            cmd = [IMAGEPIN, "lock", "show", "--json", "--lock", str(lock)]
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_both(
    host: str, repo: str, n: int, runs: int, tls: TlsRegistry | None = None
) -> dict[str, object]:
    refs = [f"{host}/{repo}:{i}" for i in range(n)]
    env = {"SSL_CERT_FILE": str(tls.ca)} if tls else {}
    imagepin_runs = [time_imagepin(refs, env) for _ in range(runs)]
    imagepin_s = statistics.median(imagepin_runs)
    trust = ["--cert-dir", str(tls.cert_dir)] if tls else ["--tls-verify=false"]
    started = time.perf_counter()
    for ref in refs:
        cmd = ["skopeo", "inspect", "--raw", *trust, f"docker://{ref}"]
        subprocess.run(cmd, check=True, capture_output=True)
    skopeo_s = time.perf_counter() - started
    return {
        "imagepin_lock_add_s": round(imagepin_s, 3),
        "imagepin_runs_s": [round(t, 3) for t in imagepin_runs],
        "skopeo_loop_s": round(skopeo_s, 3),
        "speedup": round(skopeo_s / imagepin_s, 1),
    }


def requests_per_ref(host: str, repo: str, n: int) -> dict[str, float]:
    """HTTP requests per reference, for top digests (HEAD) and with platforms (GET)."""
    refs = [f"{host}/{repo}:{i}" for i in range(n)]
    head, get = RegistryClient(), RegistryClient()
    head.resolve_all(refs, platforms=False)
    get.resolve_all(refs, platforms=True)
    return {
        "requests_per_ref_top_digest": round(head.requests / n, 2),
        "requests_per_ref_with_platforms": round(get.requests / n, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="number of tags")
    parser.add_argument(
        "--rtt-ms", type=float, nargs="+", default=[50.0, 100.0], help="simulated round-trips"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="imagepin runs per setting (the median is compared)"
    )
    parser.add_argument("--quick", action="store_true", help="20 tags, one imagepin run")
    args = parser.parse_args()
    n = 20 if args.quick else args.n

    infra.ensure_registry("registry-open", infra.OPEN_REGISTRY, auth=False)
    repo = f"bench/{uuid.uuid4().hex[:8]}"
    for i in range(n):
        infra.push_synthetic(
            infra.OPEN_REGISTRY, repo, str(i), platforms=("linux/amd64", "linux/arm64/v8")
        )

    figures: dict[str, object] = {"benchmark": "lock_resolve", "references": n}
    # for loopback's target the whole `lock add` would have to finish in a tenth of the skopeo
    # loop: compare that budget with this floor
    figures["imagepin_startup_s"] = round(startup_s(1 if args.quick else 5), 3)
    settings: dict[str, float | None] = {"loopback": None}
    settings |= {f"rtt_{ms:g}ms": ms / 1000 for ms in args.rtt_ms}
    for label, delay in settings.items():
        proxy = FaultProxy(infra.OPEN_REGISTRY, "latency", delay=delay) if delay else None
        with proxy or nullcontext():
            host = proxy.host if proxy else infra.OPEN_REGISTRY
            figures[label] = time_both(host, repo, n, 1 if args.quick else args.runs)
            figures[label] |= requests_per_ref(host, repo, n)  # type: ignore[operator]
    # the same storage over TLS on this machine's own address: https with the certificate
    # verified, as every registry off the machine is reached (HTTP/2: one connection)
    with tempfile.TemporaryDirectory() as tmp, TlsRegistry(Path(tmp)) as tls:
        figures["https"] = time_both(tls.host, repo, n, 1 if args.quick else args.runs, tls)
        # the client reads it, as httpx does; put back as it was afterwards
        with mock.patch.dict(os.environ, {"SSL_CERT_FILE": str(tls.ca)}):
            figures["https"] |= requests_per_ref(tls.host, repo, n)  # type: ignore[operator]
    settings["https"] = None
    figures["targets"] = {"speedup_min": 10, "requests_per_ref_top_digest_max": 1}
    figures["met"] = {
        label: figures[label]["speedup"] >= 10  # type: ignore[index]
        and figures[label]["requests_per_ref_top_digest"] <= 1  # type: ignore[index]
        for label in settings
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
