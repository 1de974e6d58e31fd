"""DF001: `pip install` without `--no-cache-dir`."""

from __future__ import annotations

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import mounts
from imagepin.rules.dockerfile_model import Dockerfile, Instruction
from imagepin.rules.shell import assignments, run_commands


def _cache_mounted(instruction: Instruction) -> bool:
    return any(
        m.get("type") == "cache" and ("pip" in m["target"] or m["target"].endswith("/.cache"))
        for m in mounts(instruction)
    )


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    for stage in subject.stages:
        for instruction in stage.instructions:
            if instruction.cmd != "RUN" or _cache_mounted(instruction):
                continue
            if instruction.scope.get("PIP_NO_CACHE_DIR") not in (None, ""):
                continue
            for command in run_commands(instruction):
                run = command.program
                if command.pip_install is None or "--no-cache-dir" in run:
                    continue  # also `pip --no-cache-dir install x`: a general option
                if assignments(command.argv).get("PIP_NO_CACHE_DIR"):
                    continue
                at = run.index("install") + 1 if "install" in run else len(run)
                shown = " ".join(run)
                fixed = " ".join([*run[:at], "--no-cache-dir", *run[at:]])
                found.append(
                    RULE.violation(
                        f"RUN {shown} keeps pip's download cache in the layer; write "
                        f"{fixed} (or RUN --mount=type=cache,target=/root/.cache/pip)",
                        **subject.at(instruction.start_line),
                    )
                )
    return found


RULE = Rule(
    id="DF001",
    severity=Severity.WARNING,
    title="pip install keeps its download cache",
    rationale=(
        "The download cache of pip ends up in the image layer: size that is shipped everywhere "
        "and never used at run time."
    ),
    fix=(
        "Add `--no-cache-dir` (or set `ENV PIP_NO_CACHE_DIR=1`, or use "
        "`RUN --mount=type=cache,target=/root/.cache/pip`)."
    ),
    scope=("dockerfile",),
    check=check,
)
