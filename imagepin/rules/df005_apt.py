"""DF005: `apt-get install` without `--no-install-recommends` or without cleaning the lists."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise, takewhile

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.common import mounts, rm_recursive
from imagepin.rules.dockerfile_model import Dockerfile, Instruction
from imagepin.rules.shell import Command, apt_command, run_commands

_NO_RECOMMENDS = re.compile(r"APT::Install-Recommends=(false|0|no)", re.IGNORECASE)
_CONF_NO_RECOMMENDS = re.compile(r"APT::Install-Recommends\s+[\"']?(?:false|0|no)\b", re.I)
"""`APT::Install-Recommends "false";` as written into a file of /etc/apt/apt.conf.d/."""
_CONF_DIR = "/etc/apt/apt.conf.d/"
_FIND_FILTERS = frozenset(
    {"-prune", "-name", "-iname", "-path", "-ipath", "-wholename", "-regex", "-iregex", "-not", "!"}
)
"""`find` tests that leave some of the lists behind (`find /var/lib/apt/lists -name lock`)."""
_LISTS = "/var/lib/apt/lists"
_ABOVE_LISTS = frozenset({"/var", "/var/lib", "/var/lib/apt"})
"""The directories the lists are in: removing one of them, or all it holds, removes the lists
too (`rm -rf /var/lib/apt`); whatever else that removes is no concern of DF005."""
_DIST_CLEAN = frozenset({"distclean", "dist-clean"})
"""apt 2.7.8+ (Debian 13 trixie, Ubuntu 24.04): removes every file under /var/lib/apt/lists but
the Release, Release.gpg and InRelease files, as the docker-library images end their RUNs
(apt-get(8); `clean` leaves the lists)."""
_SIMULATE = frozenset({"-s", "--simulate", "--just-print", "--dry-run", "--recon", "--no-act"})


def _recommends_off(args: tuple[str, ...]) -> bool:
    return "--no-install-recommends" in args or any(_NO_RECOMMENDS.search(a) for a in args)


def _removes_lists(path: str, recursive: bool) -> bool:
    """Whether removing `path` removes the lists: what they hold (`/var/lib/apt/lists/*`), or,
    `recursive`ly, the lists or a directory they are in, or all it holds (`/var/lib/apt/`,
    `/var/lib/apt/*`; without -r, rm refuses a directory)."""
    if path.startswith(_LISTS + "/") and path != _LISTS + "/":
        return True
    return recursive and path.removesuffix("*").rstrip("/") in (_LISTS, *_ABOVE_LISTS)


def _cleans_lists(commands: tuple[Command, ...]) -> bool:
    """`rm -rf /var/lib/apt/lists/*` (or of a directory above: `rm -rf /var/lib/apt`), `find
    /var/lib/apt/lists -delete` (or `-exec rm`), or `apt-get dist-clean`."""
    for command in commands:
        run, name = command.program, command.name
        if apt_command(run) in _DIST_CLEAN and _SIMULATE.isdisjoint(run):
            return True
        if name == "rm":
            recursive = rm_recursive(run[1:])
            if any(_removes_lists(a, recursive) for a in run[1:] if a[:1] != "-"):
                return True
        if name != "find" or not _FIND_FILTERS.isdisjoint(run):
            continue
        starts = takewhile(lambda a: a[:1] not in ("-", "(", "!"), run[1:])
        if any(_removes_lists(a, True) for a in starts) and ("-delete" in run or "rm" in run):
            return True
    return False


def _turns_recommends_off(
    command: Command, before: Command | None, heredocs: Sequence[str]
) -> bool:
    """Whether `command` writes `APT::Install-Recommends "false";` into /etc/apt/apt.conf.d/
    (`echo ... > FILE`, `cat > FILE <<EOF`, `printf ... | tee FILE`)."""
    argv, run = command.argv, command.program
    writes = any(a in (">", ">>") and b.startswith(_CONF_DIR) for a, b in pairwise(argv))
    content: Sequence[str] = argv
    if command.name == "tee":
        writes = writes or any(a.startswith(_CONF_DIR) for a in run[1:])
        content = before.argv if before is not None else ()
    if not writes:
        return False
    return any(_CONF_NO_RECOMMENDS.search(text) for text in (*content, *heredocs))


def _lists_cached(instruction: Instruction) -> bool:
    return any(
        m.get("type") in ("cache", "tmpfs") and m["target"].startswith("/var/lib/apt")
        for m in mounts(instruction)
    )


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    configured: dict[int, bool] = {}  # per stage: apt.conf.d turns recommends off (inherited)
    for stage in subject.stages:
        off = configured.get(stage.parent, False) if stage.parent is not None else False
        for instruction in stage.instructions:
            if instruction.cmd == "RUN":
                off, problems = _check_run(instruction, off)
                if problems:
                    found.append(RULE.violation(problems, **subject.at(instruction.start_line)))
        configured[stage.index] = off
    return found


def _check_run(instruction: Instruction, off: bool) -> tuple[bool, str | None]:
    """Whether recommends are off after this RUN (`off`: before it), and its DF005 message."""
    commands = run_commands(instruction)
    installs: list[Command] = []
    recommends = False  # an install that takes recommended packages
    before: Command | None = None
    for command in commands:
        off = off or _turns_recommends_off(command, before, instruction.heredocs)
        if command.apt_install is not None:
            installs.append(command)
            recommends = recommends or not (off or _recommends_off(command.apt_install))
        before = command
    if not installs:
        return off, None
    problems = []
    if recommends:
        problems.append("installs recommended packages too (add --no-install-recommends)")
    if not _cleans_lists(commands) and not _lists_cached(instruction):
        problems.append(
            "leaves /var/lib/apt/lists in the layer (end the same RUN with "
            "rm -rf /var/lib/apt/lists/*)"
        )
    if not problems:
        return off, None
    return off, f"RUN {' '.join(installs[0].program)} " + " and ".join(problems)


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
