"""`imagepin lock add | refresh | check | show`: resolve references and keep `images.lock`.

Exit codes: 0 ok, 1 drift found (`check`), 2 usage, config or registry errors. Nothing is written
unless every reference resolved: a failure leaves the lock byte-for-byte as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from imagepin.console import err, out
from imagepin.errors import ConfigError
from imagepin.lock import DEFAULT_PATH, Lock, exclusive
from imagepin.refs import ImageReference, InvalidReference
from imagepin.registry import RegistryClient, Resolution

lock_app = typer.Typer(
    help="Resolve image references to digests and keep them in images.lock.",
    no_args_is_help=True,
)

PROGRESS_THRESHOLD = 4  # show a progress bar from this many references on

LockOpt = typer.Option(DEFAULT_PATH, "--lock", help="The lock file.", dir_okay=False)
MirrorOpt = typer.Option(
    None,
    "--mirror",
    envvar="IMAGEPIN_BASE_MIRROR",
    help="Resolve docker.io references through this registry host (pull-through cache, private "
    "mirror); the lock still records the docker.io reference. Default: the registry each entry "
    "was resolved from.",
)
InsecureOpt = typer.Option(
    [], "--insecure", help="Registry host to reach over plain http (loopback hosts always are)."
)
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")
TimeoutOpt = typer.Option(
    10.0,
    "--timeout",
    envvar="IMAGEPIN_REGISTRY_TIMEOUT",
    min=0.1,
    help="Seconds to wait for each registry response before giving up.",
)


def _parse_all(refs: Sequence[str]) -> list[ImageReference]:
    parsed = []
    for written in refs:
        try:
            ref = ImageReference.parse(written)
        except InvalidReference as exc:
            raise ConfigError(f"{exc}; fix the reference on the command line") from None
        if ref.digest:
            raise ConfigError(
                f"{written!r} already carries a digest; the lock records tags "
                f"(pass {ref.without_digest().familiar()!r})"
            )
        parsed.append(ref)
    return parsed


def _recorded_mirror(lock: Lock, written: str) -> str | None:
    """The mirror an entry was resolved through, if it was not the reference's own registry."""
    ref = ImageReference.parse(written)
    asked = lock.entries[written].registry
    own = {ref.domain, "registry-1.docker.io", "index.docker.io"}
    return None if asked in own else asked


def _selected(
    lock: Lock, refs: Sequence[str] | None, mirror: str | None
) -> tuple[list[str], list[str | None]]:
    """The lock keys REFS name (default: all), each with the mirror to resolve it through."""
    keys = [lock.key(r) for r in _parse_all(refs)] if refs else list(lock.entries)
    return keys, [mirror or _recorded_mirror(lock, k) for k in keys]


def _resolve(
    written: Sequence[str],
    *,
    mirrors: Sequence[str | None],
    insecure: Sequence[str],
    timeout: float,
    platforms: bool = True,
) -> list[tuple[str, Resolution]]:
    """Resolve every reference (grouped by mirror), with a progress bar for larger batches."""
    groups: dict[str | None, list[int]] = {}
    for i, mirror in enumerate(mirrors):
        groups.setdefault(mirror, []).append(i)
    results: list[Resolution | None] = [None] * len(written)
    # a transient bar draws nothing where stderr is not a terminal (CI logs): not built there
    bar = len(written) >= PROGRESS_THRESHOLD and err.is_terminal
    progress = _progress() if bar else None
    with progress or nullcontext():
        advance: Callable[[Resolution], None] | None = None
        if progress is not None:
            task = progress.add_task("resolve", total=len(written))
            advance = lambda _res: progress.advance(task)  # noqa: E731
        for mirror, indexes in groups.items():
            client = RegistryClient(mirror=mirror, insecure=insecure, timeout=timeout)
            batch = client.resolve_all(
                [written[i] for i in indexes], platforms=platforms, on_done=advance
            )
            for i, res in zip(indexes, batch, strict=True):
                results[i] = res
    return [(w, r) for w, r in zip(written, results, strict=True) if r is not None]


def _progress() -> Progress:
    return Progress(
        TextColumn("resolving"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _table(*columns: str, title: str) -> Table:
    """A table that folds long cells (digests, references) instead of cutting them off."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _short(digest: str | None) -> str:
    return "-" if digest is None else digest[:19]


@lock_app.command("add")
def add(
    refs: list[str] = typer.Argument(None, help="References to resolve, e.g. python:3.12-slim."),
    from_stacks: bool = typer.Option(
        False,
        "--from-stacks",
        help="Also add every base the project's stacks need (builder bases too), each through "
        "its stack's imagepin:baseMirror unless --mirror is given.",
    ),
    lock_path: Path = LockOpt,
    mirror: str | None = MirrorOpt,
    insecure: list[str] = InsecureOpt,
    timeout: float = TimeoutOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Resolve REFS and record them (index digest and every platform's digest)."""
    refs = list(refs or [])
    _parse_all(refs)
    mirrors: list[str | None] = [mirror] * len(refs)
    if from_stacks:
        from imagepin.config import bases_from_stacks  # the catalog and config models: only here

        for written, via in bases_from_stacks(Path(), mirror):
            if written not in refs:
                refs.append(written)
                mirrors.append(via)
    if not refs:
        raise ConfigError(
            "nothing to add: give references (imagepin lock add python:3.12-slim-bookworm) "
            "or --from-stacks"
        )
    resolved = _resolve(refs, mirrors=mirrors, insecure=insecure, timeout=timeout)
    with exclusive(lock_path):
        lock = Lock.load(lock_path, missing_ok=True).updated(resolved)
        lock.save()
    keys = [lock.key(w) for w, _ in resolved]
    if as_json:
        _print_entries(lock, keys, as_json)
        return
    # one line per reference, the digest whole and unwrapped (to copy); `show` draws the table
    out.print(f"{lock.path}: {len(keys)} reference(s) recorded", soft_wrap=True, markup=False)
    for key in keys:
        entry = lock.entries[key]
        platforms = ", ".join(entry.platforms) or "single manifest"
        out.print(f"  {key}  {entry.digest}  ({platforms})", soft_wrap=True, markup=False)


@lock_app.command("refresh")
def refresh(
    refs: list[str] = typer.Argument(None, help="References to refresh (default: all)."),
    lock_path: Path = LockOpt,
    mirror: str | None = MirrorOpt,
    insecure: list[str] = InsecureOpt,
    timeout: float = TimeoutOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Re-resolve locked references and print what moved (old -> new, per platform)."""
    before = Lock.load(lock_path)
    keys, mirrors = _selected(before, refs, mirror)
    resolved = _resolve(keys, mirrors=mirrors, insecure=insecure, timeout=timeout)
    with exclusive(lock_path):
        current = Lock.load(lock_path, missing_ok=True)
        after = current.updated(resolved)
        if after.dumps() != current.dumps():
            after.save()
    moves = _moves(before, after, keys)
    if as_json:
        out.print_json(data={"moved": moves})
        return
    if not moves:
        out.print(f"{len(keys)} reference(s) checked; nothing moved")
        return
    table = _table("reference", "platform", "old", "new", title="moved")
    for move in moves:
        table.add_row(move["reference"], move["platform"], _short(move["old"]), _short(move["new"]))
    out.print(table)


def _moves(before: Lock, after: Lock, keys: Sequence[str]) -> list[dict[str, str | None]]:
    moves: list[dict[str, str | None]] = []
    for key in keys:
        old, new = before.entries[key], after.entries[key]
        if old.digest != new.digest:
            moves.append(
                {"reference": key, "platform": "index", "old": old.digest, "new": new.digest}
            )
        for platform in sorted(set(old.platforms) | set(new.platforms)):
            o, n = old.platforms.get(platform), new.platforms.get(platform)
            if o != n:
                moves.append({"reference": key, "platform": platform, "old": o, "new": n})
    return moves


@lock_app.command("check")
def check(
    refs: list[str] = typer.Argument(None, help="References to check (default: all)."),
    lock_path: Path = LockOpt,
    mirror: str | None = MirrorOpt,
    insecure: list[str] = InsecureOpt,
    timeout: float = TimeoutOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Exit 1 when a locked digest no longer matches its registry (for a scheduled CI job)."""
    lock = Lock.load(lock_path)
    keys, mirrors = _selected(lock, refs, mirror)
    resolved = _resolve(keys, mirrors=mirrors, insecure=insecure, timeout=timeout, platforms=False)
    drift = [
        {"reference": key, "locked": lock.entries[key].digest, "registry": res.digest}
        for key, res in resolved
        if res.digest != lock.entries[key].digest
    ]
    if as_json:
        out.print_json(data={"drift": drift, "checked": len(keys)})
    elif drift:
        table = _table("reference", "locked", "registry now", title="drift")
        for d in drift:
            table.add_row(d["reference"], _short(d["locked"]), _short(d["registry"]))
        out.print(table)
        out.print("run `imagepin lock refresh` to take the new digests")
    else:
        out.print(f"{len(keys)} reference(s) match their registries")
    if drift:
        raise typer.Exit(1)


@lock_app.command("show")
def show(lock_path: Path = LockOpt, as_json: bool = JsonOpt) -> None:
    """Print the lock as a table (or JSON)."""
    lock = Lock.load(lock_path)
    _print_entries(lock, list(lock.entries), as_json)


def _print_entries(lock: Lock, keys: Sequence[str], as_json: bool) -> None:
    if as_json:
        images = {
            key: {
                "digest": lock.entries[key].digest,
                "media_type": lock.entries[key].media_type,
                "platforms": lock.entries[key].platforms,
            }
            for key in keys
        }
        typer.echo(json.dumps({"images": images}, indent=2))
        return
    table = _table("reference", "digest", "platforms", "registry", "resolved", title=str(lock.path))
    for key in keys:
        e = lock.entries[key]
        table.add_row(
            key,
            e.digest,
            "\n".join(e.platforms) or "(single manifest)",
            e.registry,
            e.resolved_at.isoformat(),
        )
    out.print(table)
