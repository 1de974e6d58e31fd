"""Carrying out recorded Docker resources with the real daemon: the helpers the e2e tests share.

`run_command` turns the recorded inputs of a `docker:index/container:Container` into `docker run`
flags, and fails on any recorded input it does not carry out, so nothing recorded goes untried.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from components.preview import Secret

import infra


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    done = subprocess.run([infra.DOCKER, *args], capture_output=True, text=True, env=env)
    if check and done.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)}: {done.returncode}\n{done.stderr}")
    return done


def inspect(container: str) -> dict[str, Any]:
    return json.loads(docker("inspect", container).stdout)[0]  # type: ignore[no-any-return]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain(value: Any) -> Any:
    """A recorded value with its Secret markers taken off (the daemon gets the real value)."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


# --- recorded inputs -> `docker run` --------------------------------------------------------


def run_command(inputs: dict[str, Any], env_file: Path) -> tuple[list[str], list[str]]:
    """`docker run` arguments for recorded Container inputs, and the networks to connect after.

    Env goes through an --env-file (secret values never on a command line). Every recorded key
    must be handled here.
    """
    values = plain(inputs)
    handled: set[str] = set()

    def take(key: str) -> Any:
        handled.add(key)
        return values.get(key)

    args = ["run", "--detach", "--name", take("name")]
    if take("user"):
        args.append(f"--user={values['user']}")
    if take("readOnly"):
        args.append("--read-only")
    for path, options in (take("tmpfs") or {}).items():
        args += ["--tmpfs", f"{path}:{options}"]
    capabilities = take("capabilities") or {}
    args += [f"--cap-drop={c}" for c in capabilities.get("drops", [])]
    args += [f"--cap-add={c}" for c in capabilities.get("adds", [])]
    args += [f"--security-opt={o}" for o in take("securityOpts") or []]
    check = take("healthcheck")
    if check:
        form, *command = check["tests"]
        # `docker run` takes the shell form only; the exec form, quoted, means the same
        shell = shlex.join(command) if form == "CMD" else command[0]
        args += [
            f"--health-cmd={shell}",
            f"--health-interval={check['interval']}",
            f"--health-timeout={check['timeout']}",
            f"--health-retries={int(check['retries'])}",
            f"--health-start-period={check['startPeriod']}",
        ]
    args.append(f"--restart={take('restart')}")
    if take("memory"):
        args.append(f"--memory={int(values['memory'])}m")
    if take("cpus"):
        args.append(f"--cpus={values['cpus']}")
    for port in take("ports") or []:
        published = f"{port['ip']}:{int(port['external'])}:{int(port['internal'])}"
        args += ["--publish", f"{published}/{port.get('protocol', 'tcp')}"]
    env_file.write_text("".join(f"{entry}\n" for entry in take("envs") or []))
    args += ["--env-file", str(env_file)]
    args += [f"--label={item['label']}={item['value']}" for item in take("labels") or []]
    args.append(f"--log-driver={take('logDriver')}")
    args += [f"--log-opt={k}={v}" for k, v in (take("logOpts") or {}).items()]
    for volume in take("volumes") or []:
        mode = ":ro" if volume.get("readOnly") else ""
        args += ["--volume", f"{volume['volumeName']}:{volume['containerPath']}{mode}"]
    networks = [n["name"] for n in take("networksAdvanced") or []]
    if networks:
        args.append(f"--network={networks[0]}")
    # carried out by the test: the container must be running (mustRun), and healthy within
    # waitTimeout (wait)
    for key in ("mustRun", "wait", "waitTimeout"):
        take(key)
    args.append(take("image"))
    unknown = sorted(set(values) - handled)
    assert not unknown, f"recorded inputs the translator does not carry out: {unknown}"
    return args, networks[1:]


def wait_for(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f}s")
        time.sleep(0.5)


def healthy(container: str) -> bool:
    return inspect(container)["State"].get("Health", {}).get("Status") == "healthy"


def get(port: int, path: str = "/") -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def exec_in(container: str, script: str) -> subprocess.CompletedProcess[str]:
    return docker("exec", container, "sh", "-c", script, check=False)
