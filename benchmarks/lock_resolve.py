"""Benchmark: `imagepin lock add` on 50 tags vs a `skopeo inspect` loop over the same 50.

Pushes 50 small images (one two-platform index each) to the local registry, then, in one run:
  - times `imagepin lock add` of all 50 (one process, concurrent requests),
  - times `skopeo inspect --raw` run once per tag, one after another (what a shell loop does),
  - counts HTTP requests per reference with imagepin's client (HEAD for top digests only, GET
    when per-platform digests are wanted).
Prints one JSON object. Targets: >= 10x faster than the skopeo loop, <= 1 request per reference
for top digests. Needs the local registry (`python tests/infra.py up --no-standins`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from imagepin.registry import RegistryClient  # noqa: E402

import infra  # noqa: E402

IMAGEPIN = str(Path(sys.executable).parent / "imagepin")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="number of tags")
    parser.add_argument("--quick", action="store_true", help="same figures, 20 tags")
    args = parser.parse_args()
    n = 20 if args.quick else args.n

    infra.ensure_registry("registry-open", infra.OPEN_REGISTRY, auth=False)
    host = infra.OPEN_REGISTRY
    repo = f"bench/{uuid.uuid4().hex[:8]}"
    platforms = ("linux/amd64", "linux/arm64/v8")
    refs = [f"{host}/{repo}:{i}" for i in range(n)]
    for i in range(n):
        infra.push_synthetic(host, repo, str(i), platforms=platforms)

    with tempfile.TemporaryDirectory() as tmp:
        lock = Path(tmp) / "images.lock"
        started = time.perf_counter()
        subprocess.run(
            [IMAGEPIN, "lock", "add", *refs, "--lock", str(lock)], check=True, capture_output=True
        )
        imagepin_s = time.perf_counter() - started
        locked = len(json.loads(lock.read_text())["images"])

    started = time.perf_counter()
    for ref in refs:
        subprocess.run(
            ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{ref}"],
            check=True,
            capture_output=True,
        )
    skopeo_s = time.perf_counter() - started

    head = RegistryClient()
    head.resolve_all(refs, platforms=False)
    get = RegistryClient()
    get.resolve_all(refs, platforms=True)

    print(
        json.dumps(
            {
                "benchmark": "lock_resolve",
                "references": n,
                "locked": locked,
                "imagepin_lock_add_s": round(imagepin_s, 3),
                "skopeo_loop_s": round(skopeo_s, 3),
                "speedup": round(skopeo_s / imagepin_s, 1),
                "requests_per_ref_top_digest": round(head.requests / n, 2),
                "requests_per_ref_with_platforms": round(get.requests / n, 2),
                "targets": {"speedup_min": 10, "requests_per_ref_top_digest_max": 1},
                "met": skopeo_s / imagepin_s >= 10 and head.requests / n <= 1,
            }
        )
    )


if __name__ == "__main__":
    main()
