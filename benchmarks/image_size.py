"""Benchmark: image sizes of the sample app, naive Dockerfile vs imagepin's layouts.

Builds `app/` (linux/amd64, on the stand-in bases of `tests/infra.py` in the local registry):
  - naive: `FROM` the full stand-in by tag (no pin), `COPY . .`, `pip install`, one stage;
  - slim: imagepin's single-stage layout on the slim stand-in;
  - builder: imagepin's builder -> runtime layout, `requirements-native.txt` included
    (psycopg2 compiled in the full stand-in, only the venv and libpq5 in the slim runtime);
  - debian-apt: Debian's python3 from apt on `debian:bookworm` (skipped with `--quick`).

Each image is built with `--no-cache` (its build time is a cold build's). For each image:
uncompressed size (`docker image inspect .Size`, the sum of file sizes Docker
counts), compressed size (the sum of layer sizes in the manifest pushed to the local registry),
both above the base the image runs on, whether a compiler is present, and what the bytes above
the base are made of, measured inside the image: the app (`/usr/src/app`), the installed
dependency closure of the requirements files (the files each distribution's RECORD lists,
sized like Docker sizes a layer), the Debian packages added to the base (`dpkg-query`
Installed-Size), the package manager's state those installs rewrote (dpkg's database,
debconf's, ldconfig's cache: read from the pushed layers) and the leftovers (apt's caches, pip's
cache, the venv's own pip/setuptools).

Targets (`met` per target):
  - each imagepin layout adds at most 1.05 x (app + installed dependencies [+ runtime packages]);
  - the builder -> runtime image is at most 1.10 x (slim image + its runtime packages).

    .venv/bin/python benchmarks/image_size.py [--quick]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    RUNTIME_BASE,
    Workspace,
    bench_workspace,
    infra,
    local_base,
    naive_dockerfile,
    platform_manifest,
)

# Runs inside each image as root: what the bytes above the base are made of.
PROBE = r"""
import glob, json, os, re, shutil
from importlib import metadata

def size(path):
    # Like Docker's layer size: regular files and symlinks, hard links once, no directories.
    total, seen = 0, set()
    for top, dirs, files in os.walk(path):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            st = os.lstat(os.path.join(top, name))
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                total += st.st_size
    return total

def requirement_names():
    names = []
    for req in sorted(glob.glob("/usr/src/app/requirements*.txt")):
        for line in open(req):
            m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line.split("#")[0])
            if m:
                names.append(m.group(1))
    return names

def closure(names):
    found, todo = {}, list(names)
    while todo:
        name = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # not installed in this layout (requirements-native.txt in slim)
        found[key] = dist
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(re.match(r"[A-Za-z0-9._-]+", req).group(0))
    return found

def dist_size(dist):
    total, seen = 0, set()
    for f in dist.files or []:
        path = str(dist.locate_file(f))
        if os.path.lexists(path) and not os.path.isdir(path):
            st = os.lstat(path)
            if st.st_ino not in seen:
                seen.add(st.st_ino)
                total += st.st_size
    return total

dists = closure(requirement_names())
deps = {key: dist_size(dist) for key, dist in sorted(dists.items())}
in_venv = sum(
    deps[key] for key, dist in dists.items() if str(dist.locate_file("")).startswith("/opt/venv")
)
print(json.dumps({
    "compiler": [p for p in ("gcc", "cc", "g++", "c++") if shutil.which(p)]
    + glob.glob("/usr/bin/*-gcc-*"),
    "app_bytes": size("/usr/src/app"),
    "dependencies": deps,
    "venv_tooling_bytes": size("/opt/venv") - in_venv,
}))
"""
# Runs in the images and in their bases (debian:bookworm has no Python): Debian packages with
# their Installed-Size, and the bytes of the caches apt and pip leave behind (files and links).
SHELL_PROBE = r"""
dpkg-query -W -f '${Package}\t${Installed-Size}\n'
for d in /var/cache/apt /var/lib/apt/lists /root/.cache/pip; do
  printf '%s\t' "$d"
  find "$d" \( -type f -o -type l \) -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}'
done
"""
CACHES = {
    "/var/cache/apt": "apt_cache_bytes",
    "/var/lib/apt/lists": "apt_lists_bytes",
    "/root/.cache/pip": "pip_cache_bytes",
}

LAYOUTS = {
    "naive": "naive Dockerfile: FROM the full stand-in by tag, COPY . ., pip install, one stage",
    "slim": "imagepin slim layout on the slim stand-in",
    "builder": "imagepin builder -> runtime (psycopg2 compiled in the full stand-in)",
    "debian_apt": "imagepin debian-apt layout: Debian's python3 on debian:bookworm",
}
RENDERED = {"slim": "slim", "builder": "native", "debian_apt": "apt"}


def shell_probe(ws: Workspace, image: str) -> dict[str, Any]:
    out = ws.docker("run", "--rm", "--user", "0", "--entrypoint", "sh", image, "-c", SHELL_PROBE)
    facts: dict[str, Any] = {"packages": {}}
    for line in out.splitlines():
        name, _, value = line.partition("\t")
        if name in CACHES:
            facts[CACHES[name]] = int(value)
        else:
            facts["packages"][name] = int(value or 0) * 1024  # Installed-Size is in KiB
    return facts


def probe(ws: Workspace, image: str) -> dict[str, Any]:
    out = ws.docker("run", "--rm", "--user", "0", "--entrypoint", "python3", image, "-c", PROBE)
    return {**json.loads(out), **shell_probe(ws, image)}


# What dpkg, debconf and ldconfig rewrite whenever a package is installed: their databases and
# caches, not part of any package's Installed-Size. A file opened for writing is stored whole in
# the layer, even when its content did not change: debconf's templates.dat was, until imagepin's
# apt steps turned dpkg-preconfigure off (it now reads 0 here).
PACKAGE_STATE = ("var/lib/dpkg/", "var/cache/debconf/", "var/cache/ldconfig/", "etc/ld.so.cache")


def package_state_bytes(repository: str, layers: list[dict[str, Any]]) -> dict[str, int]:
    """Bytes of package-manager state files in these layers (from the registry), per folder."""
    found: dict[str, int] = {}
    for layer in layers:
        url = f"http://{infra.OPEN_REGISTRY}/v2/{repository}/blobs/{layer['digest']}"
        with urllib.request.urlopen(url, timeout=60) as resp:
            blob = io.BytesIO(resp.read())
        with tarfile.open(fileobj=blob, mode="r:*") as tar:
            for member in tar:
                prefix = next((p for p in PACKAGE_STATE if member.name.startswith(p)), None)
                if prefix is not None and member.isfile():
                    found[prefix] = found.get(prefix, 0) + member.size
    return found


def compressed(manifest: dict[str, Any]) -> tuple[int, set[str]]:
    layers = manifest["layers"]
    return sum(layer["size"] for layer in layers), {layer["digest"] for layer in layers}


def measure_base(ws: Workspace, key: str) -> dict[str, Any]:
    """The base as the built images see it: the local stand-in, checked against the registry."""
    local = local_base(key)
    repository, _, digest = ws.base(key).partition("/")[2].partition("@")
    manifest = platform_manifest(repository, digest)
    image_id = ws.docker("image", "inspect", "--format", "{{.Id}}", local)
    if image_id != manifest["config"]["digest"]:
        raise SystemExit(f"{local} is not the locked {key} ({image_id}); run tests/infra.py up")
    size, layers = compressed(manifest)
    facts = shell_probe(ws, local)
    return {
        "reference": ws.base(key),
        "uncompressed_bytes": ws.size(local),
        "compressed_bytes": size,
        "layers": layers,
        "facts": facts,
        "rootfs": ws.docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", local),
    }


def measure(ws: Workspace, name: str, base: dict[str, Any]) -> dict[str, Any]:
    if name == "naive":
        dockerfile = ws.root / "naive.Dockerfile"
        dockerfile.write_text(naive_dockerfile("127.0.0.1:5000/library/python:3.11-bookworm"))
    else:
        dockerfile = ws.out / f"{RENDERED[name]}.Dockerfile"
    tag = ws.tag(name.replace("_", "-"))
    _, seconds, _ = ws.build_file(dockerfile, tag, "--no-cache")  # a cold build, timed
    rootfs = json.loads(ws.docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", tag))
    base_rootfs = json.loads(base["rootfs"])
    if rootfs[: len(base_rootfs)] != base_rootfs:
        raise SystemExit(f"{tag} is not built on {base['reference']}")
    repository, digest = ws.push(tag, name.replace("_", "-"))
    manifest = platform_manifest(repository, digest)
    size, _ = compressed(manifest)
    facts, base_facts = probe(ws, tag), base["facts"]
    uncompressed = ws.size(tag)
    added_packages = {
        pkg: size for pkg, size in facts["packages"].items() if pkg not in base_facts["packages"]
    }
    deps = sum(facts["dependencies"].values())
    runtime = sum(added_packages.values())
    new_layers = [layer for layer in manifest["layers"] if layer["digest"] not in base["layers"]]
    state = package_state_bytes(repository, new_layers) if added_packages else {}
    above = uncompressed - base["uncompressed_bytes"]
    leftovers = {
        key: facts[key] - base_facts[key]
        for key in ("apt_cache_bytes", "apt_lists_bytes", "pip_cache_bytes")
    } | {"venv_tooling_bytes": facts["venv_tooling_bytes"]}
    return {
        "what": LAYOUTS[name],
        "base": base["reference"],
        "build_seconds": round(seconds, 1),
        "uncompressed_bytes": uncompressed,
        "compressed_bytes": size,
        "above_base_uncompressed_bytes": above,
        "above_base_compressed_bytes": sum(layer["size"] for layer in new_layers),
        "compiler_present": bool(facts["compiler"]),
        "compilers": facts["compiler"],
        "app_bytes": facts["app_bytes"],
        "dependencies_bytes": deps,
        "dependencies": facts["dependencies"],
        "runtime_packages_bytes": runtime,
        "runtime_packages": added_packages,
        "leftovers": leftovers,
        # rewritten when the runtime packages were installed (measured in the pushed layers)
        "package_manager_state_bytes": sum(state.values()),
        "package_manager_state": state,
        "unexplained_bytes": above
        - facts["app_bytes"]
        - deps
        - runtime
        - sum(leftovers.values())
        - sum(state.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the debian-apt layout")
    args = parser.parse_args()
    started = time.monotonic()
    names = ["naive", "slim", "builder"] + ([] if args.quick else ["debian_apt"])
    with bench_workspace("image-size") as ws:
        bases = {
            key: measure_base(ws, key)
            for key in sorted({RUNTIME_BASE[RENDERED.get(n, n)] for n in names})
        }
        images = {
            name: measure(ws, name, bases[RUNTIME_BASE[RENDERED.get(name, name)]]) for name in names
        }
    slim, builder, naive = images["slim"], images["builder"], images["naive"]
    targets: dict[str, dict[str, Any]] = {}
    for name in ("slim", "builder"):
        image = images[name]
        allowed = image["app_bytes"] + image["dependencies_bytes"] + image["runtime_packages_bytes"]
        targets[f"{name}_adds_at_most_app_deps_plus_5pct"] = {
            "app_deps_runtime_packages_bytes": allowed,
            "limit_bytes": round(allowed * 1.05),
            "above_base_bytes": image["above_base_uncompressed_bytes"],
            "ratio": round(image["above_base_uncompressed_bytes"] / allowed, 3),
            "met": image["above_base_uncompressed_bytes"] <= allowed * 1.05,
            # For reading only: the same ratio without the apt caches the stand-ins keep
            # (Docker Hub's images delete them through /etc/apt/apt.conf.d/docker-clean).
            "ratio_without_apt_cache": round(
                (image["above_base_uncompressed_bytes"] - image["leftovers"]["apt_cache_bytes"])
                / allowed,
                3,
            ),
        }
    reference = slim["uncompressed_bytes"] + builder["runtime_packages_bytes"]
    targets["builder_within_10pct_of_slim_plus_runtime_packages"] = {
        "slim_plus_runtime_packages_bytes": reference,
        "limit_bytes": round(reference * 1.10),
        "builder_bytes": builder["uncompressed_bytes"],
        "ratio": round(builder["uncompressed_bytes"] / reference, 3),
        "met": builder["uncompressed_bytes"] <= reference * 1.10,
        "ratio_without_apt_cache": round(
            (builder["uncompressed_bytes"] - builder["leftovers"]["apt_cache_bytes"]) / reference,
            3,
        ),
    }
    figures = {
        "benchmark": "image_size",
        "quick": args.quick,
        "platform": "linux/amd64",
        "bases": {
            key: {k: v for k, v in base.items() if k not in ("layers", "facts", "rootfs")}
            for key, base in bases.items()
        },
        "images": images,
        "naive_over_slim": {
            "uncompressed": round(naive["uncompressed_bytes"] / slim["uncompressed_bytes"], 2),
            "compressed": round(naive["compressed_bytes"] / slim["compressed_bytes"], 2),
        },
        "targets": targets,
        "met": {name: target["met"] for name, target in targets.items()},
        "note": (
            "Stand-in bases (debootstrap roots of Debian bookworm with its python3) are larger "
            "than Docker Hub's python images and, unlike them, have no "
            "/etc/apt/apt.conf.d/docker-clean: apt-get in a RUN step leaves its package caches "
            "(/var/cache/apt/*.bin) in the layer. Compare bytes above each base."
        ),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
