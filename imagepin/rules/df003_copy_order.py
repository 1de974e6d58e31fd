"""DF003: the application source copied before dependencies are installed (cache busting)."""

from __future__ import annotations

from collections.abc import Sequence

from imagepin.rules.base import Finding, Rule, Settings, Severity
from imagepin.rules.credentials import shown
from imagepin.rules.dockerfile_model import Dockerfile, Instruction, Stage
from imagepin.rules.shell import Command, run_commands, uv_command

_WHOLE_CONTEXT = {".", "./", "*", "./*", "./."}
_TOOL_INSTALLS = {("poetry", "install"), ("pipenv", "install"), ("pdm", "install")}


def _copies_everything(instruction: Instruction) -> bool:
    if instruction.cmd not in ("COPY", "ADD") or instruction.flag_values("from"):
        return False
    sources = [v for v in instruction.value[:-1] if not v.startswith("<<")]
    return any(source in _WHOLE_CONTEXT for source in sources)


def _installs_from_files(args: Sequence[str]) -> bool:
    """Whether a `pip install` (or `uv pip install`) reads requirements or the project."""
    if "--no-deps" in args:
        return False
    files = {"-r", "--requirement", "--requirements", "-c", "--constraint", "--constraints"}
    return any(
        a in files
        or a.startswith(("-r", "--requirement=", "--requirements="))
        or a in (".", "./", "-e.", "-e", "--editable")
        or a.startswith((".[", "./["))
        for a in args
    )


def _installs_dependencies(command: Command) -> bool:
    if command.pip_install is not None:
        return _installs_from_files(command.pip_install)
    run = command.program
    uv = uv_command(run)
    if uv is not None:
        if uv.command == ("pip", "install"):  # its own arguments: not `uv --project . pip`
            return _installs_from_files(uv.args[uv.args.index("install") + 1 :])
        return uv.command in (("pip", "sync"), ("sync",))
    return len(run) >= 2 and (command.name, run[1]) in _TOOL_INSTALLS


def _copy_then_install(
    df: Dockerfile, stage: Stage
) -> tuple[Instruction, Instruction, Command] | None:
    """The whole-context COPY and the RUN that installs dependencies after it, when the first
    such install of `stage`'s build is in `stage` itself. The build runs the stages `stage` is
    built FROM first, so a parent that installed the dependencies before any `COPY . .` makes
    the layout right (`FROM deps` / `COPY . .` / `pip install .`), and a first install in a
    parent is that parent's finding, not this stage's (so it is reported once)."""
    copy: Instruction | None = None
    for built in df.chain(stage):
        for instruction in built.instructions:
            if copy is None and _copies_everything(instruction):
                copy = instruction
                continue
            if instruction.cmd != "RUN":
                continue
            installs = [c for c in run_commands(instruction) if _installs_dependencies(c)]
            if not installs:
                continue
            if copy is None or built.index != stage.index:
                return None
            return copy, instruction, installs[0]
    return None


def check(subject: object, settings: Settings) -> list[Finding]:
    if not isinstance(subject, Dockerfile):
        return []
    found: list[Finding] = []
    for stage in subject.stages:
        pair = _copy_then_install(subject, stage)
        if pair is None:
            continue
        copy, run, install = pair
        found.append(
            RULE.violation(
                f"{copy.original.splitlines()[0]} (line {copy.start_line}) copies the whole "
                f"build context before RUN {shown(install.argv)} (line {run.start_line}) "
                "installs dependencies, so every source change reinstalls them; COPY "
                "requirements.txt (or pyproject.toml and its lock) first, install, then copy "
                "the rest",
                **subject.at(copy.start_line),
            )
        )
    return found


RULE = Rule(
    id="DF003",
    severity=Severity.INFO,
    title="Application copied before dependencies are installed",
    rationale=(
        "Every source change invalidates the layer cache from the COPY on, so dependencies are "
        "downloaded and installed again on every build."
    ),
    fix=("COPY requirements.txt (or pyproject.toml and its lock) first, install, then `COPY . .`."),
    scope=("dockerfile",),
    check=check,
)
