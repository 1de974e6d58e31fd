"""The lock the components read: the one their `lock_file` names, unless the run names one.

`imagepin check --stack NAME --lock PATH` and `imagepin preview --stack NAME --lock PATH` run the
program in this process under `lock_for_run(lock)`: every component then pins from that lock
instead of reading its `lock_file`, as the rules compare with it. Outside such a run (`pulumi up`,
the provider host) nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from imagepin.lock import Lock

_RUN_LOCK: ContextVar[Lock | None] = ContextVar("imagepin_run_lock", default=None)


@contextmanager
def lock_for_run(lock: Lock | None) -> Iterator[None]:
    """While inside, components read `lock` (None: their own `lock_file`, as usual)."""
    token = _RUN_LOCK.set(lock)
    try:
        yield
    finally:
        _RUN_LOCK.reset(token)


def run_lock() -> Lock | None:
    """The lock the run names (`--lock`), if any: it wins over a component's own lock too."""
    return _RUN_LOCK.get()


def load_lock(lock_file: str | Path, *, missing_ok: bool = False) -> Lock:
    """The run's lock when one is set, else `Lock.load(lock_file)`."""
    given = _RUN_LOCK.get()
    return given if given is not None else Lock.load(lock_file, missing_ok=missing_ok)
