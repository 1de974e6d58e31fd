"""DF001: `pip install` without `--no-cache-dir` (or a `uv` install without `--no-cache`)."""

from __future__ import annotations

from collections.abc import Sequence

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import mounts
from imagepin.rules.dockerfile_model import Dockerfile, Instruction
from imagepin.rules.shell import Command, assignments, run_commands, uv_install

_FALSE = {"", "0", "false", "no", "off", "n", "f"}
"""What uv reads as false in a boolean setting such as `UV_NO_CACHE`."""


def _cache_mounted(instruction: Instruction, tool: str, cache_dir: str | None = None) -> bool:
    """Whether the RUN mounts a cache over `tool`'s cache directory: ~/.cache or one of its own
    (for uv, `cache_dir` when the command was told to keep its cache there)."""
    for mount in mounts(instruction):
        if mount.get("type") != "cache":
            continue
        target = mount["target"].rstrip("/")
        if tool == "pip":
            found = "pip" in target or target.endswith("/.cache")
        else:
            found = target == cache_dir if cache_dir else target.endswith(("/.cache", "/uv"))
        if found:
            return True
    return False


def _uv_cache_dir(instruction: Instruction, command: Command) -> str | None:
    """Where the uv command keeps its cache when not the default: `--cache-dir` or
    `UV_CACHE_DIR`."""
    run = command.program
    for i, word in enumerate(run):
        if word == "--cache-dir" and i + 1 < len(run):
            return run[i + 1].rstrip("/")
        if word.startswith("--cache-dir="):
            return word.partition("=")[2].rstrip("/")
    found = assignments(command.argv).get("UV_CACHE_DIR", instruction.scope.get("UV_CACHE_DIR"))
    return found.rstrip("/") if found else None


def _pip(instruction: Instruction, command: Command) -> str | None:
    """The fix for a `pip install` that keeps pip's cache, or None when it keeps none."""
    run = command.program
    if command.pip_install is None or "--no-cache-dir" in run:
        return None  # also `pip --no-cache-dir install x`: a general option
    if instruction.scope.get("PIP_NO_CACHE_DIR") not in (None, ""):
        return None
    if assignments(command.argv).get("PIP_NO_CACHE_DIR") or _cache_mounted(instruction, "pip"):
        return None
    at = run.index("install") + 1 if "install" in run else len(run)
    fixed = " ".join([*run[:at], "--no-cache-dir", *run[at:]])
    return (
        f"RUN {' '.join(run)} keeps pip's download cache in the layer; write {fixed} "
        "(or RUN --mount=type=cache,target=/root/.cache/pip)"
    )


def _uv(instruction: Instruction, command: Command, after: Sequence[Command]) -> str | None:
    """The fix for a `uv` install that keeps uv's cache, or None when it keeps none."""
    run = command.program
    sub = uv_install(run)
    if sub is None or "--no-cache" in run or "-n" in run:
        return None  # a global option: before or after the subcommand
    setting = assignments(command.argv).get("UV_NO_CACHE", instruction.scope.get("UV_NO_CACHE"))
    if (setting or "").lower() not in _FALSE or _cache_mounted(
        instruction, "uv", _uv_cache_dir(instruction, command)
    ):
        return None
    if any(c.name == "uv" and c.program[1:3] == ("cache", "clean") for c in after):
        return None  # the cache is emptied before the layer is written
    at = run.index(sub[-1]) + 1
    fixed = " ".join([*run[:at], "--no-cache", *run[at:]])
    return (
        f"RUN {' '.join(run)} keeps uv's cache in the layer; write {fixed} (or ENV "
        "UV_NO_CACHE=1, or RUN --mount=type=cache,target=/root/.cache/uv)"
    )


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    for stage in subject.stages:
        for instruction in stage.instructions:
            if instruction.cmd != "RUN":
                continue
            commands = run_commands(instruction)
            for i, command in enumerate(commands):
                if command.name == "uv":
                    message = _uv(instruction, command, commands[i + 1 :])
                else:
                    message = _pip(instruction, command)
                if message is not None:
                    found.append(RULE.violation(message, **subject.at(instruction.start_line)))
    return found


RULE = Rule(
    id="DF001",
    severity=Severity.WARNING,
    title="pip or uv install keeps its download cache",
    rationale=(
        "The download cache of pip or uv ends up in the image layer: size that is shipped "
        "everywhere and never used at run time."
    ),
    fix=(
        "Add `--no-cache-dir` to pip (`--no-cache` to uv), or set `ENV PIP_NO_CACHE_DIR=1` "
        "(`ENV UV_NO_CACHE=1`), or use `RUN --mount=type=cache,target=/root/.cache/pip` "
        "(`/root/.cache/uv`)."
    ),
    scope=("dockerfile",),
    check=check,
)
