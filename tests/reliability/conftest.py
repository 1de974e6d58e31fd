"""The reliability suite: its hypothesis profile, its counters, and `docs/RELIABILITY.md`.

The profile `reliability` (at least 10,000 inputs per fuzz target, no deadline) is applied by
the fuzz tests themselves (`settings.get_profile("reliability")`), so it never changes the
example counts of other folders.
`IMAGEPIN_FUZZ_EXAMPLES=N` lowers it for a quick local run; such a run does not write the
document.

The document is written at the end of a session that collected every test of this folder (no
`-k`, `-m`, `--deselect` or `::` selection of it) and saw each of them pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from collector import DOC, REPORT, Report, render
from hypothesis import HealthCheck, settings

HERE = Path(__file__).resolve().parent
EXAMPLES = 10_000

settings.register_profile(
    "reliability",
    max_examples=int(os.environ.get("IMAGEPIN_FUZZ_EXAMPLES", EXAMPLES)),
    deadline=None,
    database=None,  # CI machines start clean; a local database would skew the counts
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
    ],
    print_blob=True,
)

_state: dict[str, object] = {"deselected": False, "ours": set(), "passed": set(), "seconds": 0.0}


def _ours(nodeid: str) -> bool:
    return nodeid.startswith("tests/reliability/")


@pytest.fixture(scope="session")
def report() -> Report:
    """The session-wide counters the document is written from."""
    return REPORT


def pytest_deselected(items: list[pytest.Item]) -> None:
    if any(_ours(item.nodeid) for item in items):
        _state["deselected"] = True


def pytest_collection_finish(session: pytest.Session) -> None:
    _state["ours"] = {item.nodeid for item in session.items if _ours(item.nodeid)}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not _ours(report.nodeid):
        return
    _state["seconds"] = float(_state["seconds"]) + report.duration  # type: ignore[arg-type]
    passed: set[str] = _state["passed"]  # type: ignore[assignment]
    if report.when == "call" and report.passed:
        passed.add(report.nodeid)
    elif report.failed:
        passed.discard(report.nodeid)
        _state["failed"] = True


def whole_folder_ran(session: pytest.Session) -> bool:
    ours: set[str] = _state["ours"]  # type: ignore[assignment]
    modules = {p.name for p in HERE.glob("test_*.py")}
    collected = {nodeid.split("::")[0].rsplit("/", 1)[-1] for nodeid in ours}
    selected_by_id = any("::" in arg and "reliability" in arg for arg in session.config.args)
    return (
        bool(ours)
        and modules <= collected
        and not _state["deselected"]
        and not selected_by_id
        and not _state.get("failed")
        and ours == _state["passed"]
        and "IMAGEPIN_FUZZ_EXAMPLES" not in os.environ
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not whole_folder_ran(session):
        return
    DOC.write_text(render(REPORT, float(_state["seconds"])), encoding="utf-8")  # type: ignore[arg-type]
