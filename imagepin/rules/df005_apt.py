"""DF005: `apt-get install` without `--no-install-recommends` or without cleaning the lists."""

from __future__ import annotations

import re

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.dockerfile_model import Dockerfile, Instruction
from imagepin.rules.shell import Command, run_commands

_NO_RECOMMENDS = re.compile(r"APT::Install-Recommends=(false|0|no)", re.IGNORECASE)
_CONF_NO_RECOMMENDS = re.compile(
    r"APT::Install-Recommends\s*[\"']?\s*(false|0|no)\b.*apt\.conf\.d/", re.IGNORECASE | re.DOTALL
)
"""A RUN that writes `APT::Install-Recommends "false";` into /etc/apt/apt.conf.d/."""


def _recommends_off(args: tuple[str, ...]) -> bool:
    return "--no-install-recommends" in args or any(_NO_RECOMMENDS.search(a) for a in args)


def _cleans_lists(commands: tuple[Command, ...]) -> bool:
    """`rm -rf /var/lib/apt/lists/*`, or `find /var/lib/apt/lists ... -delete` (or -exec rm)."""
    for command in commands:
        run = command.program
        name = run[0].rsplit("/", 1)[-1] if run else ""
        if name not in ("rm", "find") or not any(
            a.startswith("/var/lib/apt/lists") for a in run[1:]
        ):
            continue
        if name == "rm" or "-delete" in run or any(a.rsplit("/", 1)[-1] == "rm" for a in run):
            return True
    return False


def _lists_cached(instruction: Instruction) -> bool:
    for mount in instruction.flag_values("mount"):
        fields = dict(part.partition("=")[::2] for part in mount.split(","))
        target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
        if fields.get("type") in ("cache", "tmpfs") and target.startswith("/var/lib/apt"):
            return True
    return False


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    configured: dict[int, bool] = {}  # per stage: apt.conf.d turns recommends off (inherited)
    for stage in subject.stages:
        off = configured.get(stage.parent, False) if stage.parent is not None else False
        for instruction in stage.instructions:
            if instruction.cmd != "RUN":
                continue
            off = off or _CONF_NO_RECOMMENDS.search(instruction.original) is not None
            found += _check_run(subject, instruction, off)
        configured[stage.index] = off
    return found


def _check_run(subject: Dockerfile, instruction: Instruction, off: bool) -> list[Finding]:
    """DF005 on one RUN; `off`: apt is configured not to install recommends by now."""
    commands = run_commands(instruction)
    installs = [(c, args) for c in commands if (args := c.apt_install) is not None]
    if not installs:
        return []
    problems = []
    if not off and not all(_recommends_off(args) for _, args in installs):
        problems.append("installs recommended packages too (add --no-install-recommends)")
    if not _cleans_lists(commands) and not _lists_cached(instruction):
        problems.append(
            "leaves /var/lib/apt/lists in the layer (end the same RUN with "
            "rm -rf /var/lib/apt/lists/*)"
        )
    if not problems:
        return []
    shown = " ".join(installs[0][0].program)
    where = subject.at(instruction.start_line)
    return [RULE.violation(f"RUN {shown} " + " and ".join(problems), **where)]


RULE = Rule(
    id="DF005",
    severity=Severity.WARNING,
    title="apt-get install keeps recommends or package lists",
    rationale=(
        "Recommended packages and the apt lists add tens of MB and attack surface to every "
        "image that nothing uses."
    ),
    fix=(
        "Write `apt-get install -y --no-install-recommends ... && rm -rf /var/lib/apt/lists/*` "
        "in the same RUN."
    ),
    scope=("dockerfile",),
    check=check,
)
