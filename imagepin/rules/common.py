"""Helpers several rules share: how a FROM is named in messages, lock look-ups, the newest
series, RUN mounts, who a USER names, how `rm` is told to recurse, option sets written as text
(the tags fixes name are made in `imagepin.rules.tags`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from functools import lru_cache

from imagepin.catalog import newest_series
from imagepin.lock import Lock, LockEntry
from imagepin.refs import ImageReference, InvalidReference
from imagepin.rules.dockerfile_model import Dockerfile, Instruction, Stage


def from_phrase(stage: Stage) -> str:
    """`FROM python:3.12-slim in stage 0 (build)`."""
    return f"FROM {stage.shown} in {stage.label}"


def mounts(instruction: Instruction) -> list[dict[str, str]]:
    """Each `--mount=type=cache,target=/root/.cache` of a RUN as its fields, with `target` also
    when written `dst` or `destination`."""
    found = []
    for mount in instruction.flag_values("mount"):
        fields = dict(part.partition("=")[::2] for part in mount.split(","))
        fields["target"] = (
            fields.get("target") or fields.get("dst") or fields.get("destination") or ""
        )
        found.append(fields)
    return found


def external_stages(df: Dockerfile) -> Iterator[tuple[Stage, ImageReference]]:
    """Stages built on a registry image whose reference is known."""
    for stage in df.stages:
        if stage.is_external and stage.ref is not None:
            yield stage, stage.ref


def lock_entry(lock: Lock | None, ref: ImageReference) -> tuple[str, LockEntry] | None:
    """The lock entry for `ref`'s tag, also when `ref` names it through the mirror it was
    resolved from (`127.0.0.1:5000/library/python:3.12` for `python:3.12`)."""
    if lock is None or ref.tag is None:
        return None
    base = ref.without_digest()
    if base in lock:
        return lock.key(base), lock.entry(base)
    for key, entry in lock.entries.items():
        try:
            locked = ImageReference.parse(key)
        except InvalidReference:
            continue
        if (locked.path, locked.tag, entry.registry) == (base.path, base.tag, base.domain):
            return key, entry
    return None


def written(ref: ImageReference, stage: Stage) -> str:
    """`ref` spelled as the Dockerfile spells it (short names stay short), without digest."""
    text = stage.resolved or str(ref)
    return text.split("@", 1)[0]


@lru_cache(maxsize=64)
def newest(on: date) -> str:
    """The newest supported series on `on` (cached: rules ask for it on every FROM)."""
    return newest_series(on)


def user_part(written: str) -> str:
    """`USER`'s user, before the `:group` (a `:` inside `${U:-x}` is not the separator), so an
    unknown group does not hide a known root user (`USER 0:$GID`)."""
    depth = 0
    for i, char in enumerate(written):
        if char == "{" and written[i - 1 : i] == "$":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == ":" and not depth:
            return written[:i]
    return written


def is_root(name: str) -> bool:
    """`root`, or uid 0 however written (`0`, `00`, `0000`)."""
    return name.lower() == "root" or (name.isascii() and name.isdigit() and int(name) == 0)


def word_set(text: str) -> frozenset[str]:
    """The words of `text`: option names listed as they are read in a man page."""
    return frozenset(text.split())


def rm_recursive(args: Sequence[str]) -> bool:
    """Whether `rm ARGS` is given -r (-R, --recursive, or in a group: -rf): only then does it
    remove a folder."""
    return any(
        a == "--recursive" or (a[:1] == "-" and a[1:2] != "-" and ("r" in a or "R" in a))
        for a in args
    )
