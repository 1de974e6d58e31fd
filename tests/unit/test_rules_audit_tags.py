"""The tags fixes name (PIN004, PY001, PY002, VAR001, VAR003): only tags library/python
published, in the variant the FROM uses, on the release its tag pulls today; onbuild tags."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from imagepin.catalog import PythonBase, images_table, series_key
from imagepin.check import check_text
from imagepin.rules import RULES, Settings
from imagepin.rules.tags import base_command, built, fix_base, fresh_base, move_base

from helpers import run_cli

ON = Settings(today=date(2026, 11, 25))
D = "sha256:" + "a" * 64
MOVES = "names no distro release, so it moves between Debian releases (and their system libraries)"
TODAY = "the release it pulls today"


def found(text: str, rule: str, settings: Settings = ON) -> list[tuple[int, str]]:
    report = check_text(text, settings, [RULES[rule]])
    assert all(v.rule == rule for v in report.violations)
    return [(v.line or 0, v.message) for v in report.violations]


def last_built(series: str) -> str:
    return (
        f"the release it was last built on: library/python no longer builds Python {series}, "
        "past its end of life (PY001)"
    )


# --- the audit's FROMs --------------------------------------------------------------------------


def test_a_full_36_keeps_its_variant_and_the_release_it_was_last_built_on() -> None:
    text = "FROM python:3.6\nUSER 10001\n"
    assert found(text, "VAR003") == [
        (1, f"FROM python:3.6 in stage 0 {MOVES}; write python:3.6-bullseye, {last_built('3.6')}")
    ]
    assert found(text, "VAR001") == [
        (
            1,
            "the final stage, stage 0, is built on python:3.6, the full variant with compilers "
            "and headers; base it on python:3.6-slim-bullseye and build wheels in a separate "
            "full stage",
        )
    ]
    assert found(text, "PY001") == [
        (
            1,
            "FROM python:3.6 in stage 0 runs Python 3.6, past its end of life on 2021-12-23 "
            "(PEP 494): no more security fixes; move to python:3.15-bookworm (`imagepin base "
            "3.15 --variant full`) and re-lock",
        )
    ]


def test_2_slim_names_27_on_buster_and_says_no_series_comes_after() -> None:
    text = "FROM python:2-slim\nUSER 10001\n"
    assert found(text, "PIN004") == [
        (
            1,
            "FROM python:2-slim in stage 0 uses a floating tag: tag '2-slim' names only the "
            "major version, which stands for 2.7, the last Python 2 series; reviewers cannot "
            "tell what is pinned; name the release, e.g. python:2.7-slim-buster@sha256:<digest>",
        )
    ]
    assert found(text, "VAR003") == [
        (
            1,
            f"FROM python:2-slim in stage 0 {MOVES}; write python:2.7-slim-buster, "
            f"{last_built('2.7')}",
        )
    ]


def test_a_micro_release_names_the_release_library_python_built_it_on() -> None:
    text = "FROM python:3.7.10\nUSER 10001\n"
    assert found(text, "VAR001") == [
        (
            1,
            "the final stage, stage 0, is built on python:3.7.10, the full variant with "
            "compilers and headers; base it on python:3.7.10-slim-buster and build wheels in a "
            "separate full stage",
        )
    ]
    assert found(text, "VAR003") == [
        (
            1,
            f"FROM python:3.7.10 in stage 0 {MOVES}; write python:3.7.10-buster, "
            f"{last_built('3.7')}",
        )
    ]
    alpine = found("FROM python:3.7.10-alpine\n", "VAR003")
    assert [m.split("; ")[1] for _, m in alpine] == [
        f"write python:3.7.10-alpine3.14, {last_built('3.7')}"
    ]


def test_a_micro_release_the_catalog_cannot_place_names_no_made_up_tag() -> None:
    # 3.6.2 was built on jessie (and in full only on stretch), releases the catalog does not list
    assert found("FROM python:3.6.2\n", "VAR003") == [
        (
            1,
            f"FROM python:3.6.2 in stage 0 {MOVES}; name the release library/python built 3.6.2 "
            "on, which imagepin's catalog does not know",
        )
    ]
    assert (
        found("FROM python:3.6.2\n", "VAR001")[0][1]
        .split("base it on ")[1]
        .startswith("python:3.6.2-slim and")
    )


def test_a_floating_series_is_pinned_to_the_release_it_resolves_to_today() -> None:
    assert found("FROM python:3.13-slim\nUSER 10001\n", "VAR003") == [
        (1, f"FROM python:3.13-slim in stage 0 {MOVES}; write python:3.13-slim-trixie, {TODAY}")
    ]
    assert found("FROM python:3.13-slim-trixie\nFROM python:3.13-slim-bookworm\n", "VAR003") == []
    # 3.12.7 came out before trixie: its tag points at bookworm
    assert found("FROM python:3.12.7-slim\n", "VAR003")[0][1].endswith(
        f"write python:3.12.7-slim-bookworm, {TODAY}"
    )


def test_the_series_a_bare_major_stands_for_follows_the_checks_date() -> None:
    before_315 = Settings(today=date(2026, 9, 1))
    assert found("FROM python:3-slim\n", "VAR003", before_315)[0][1].endswith(
        f"write python:3.14-slim-trixie, {TODAY}"
    )
    assert found("FROM python:3-slim\n", "VAR003")[0][1].endswith(
        f"write python:3.15-slim-trixie, {TODAY}"
    )


def test_a_major_on_a_named_release_stands_for_the_last_series_built_there() -> None:
    text = "FROM python:3-bullseye\nFROM python:3-stretch\nFROM python:3-slim-bookworm\n"
    assert [m.split(": ", 1)[1] for _, m in found(text, "PIN004")] == [
        "tag '3-bullseye' names only the major version, which stands for 3.13, the last series "
        "library/python built on bullseye; reviewers cannot tell what is pinned; name the "
        "release, e.g. python:3.13-bullseye@sha256:<digest>",
        "tag '3-stretch' names only the major version, which stands for 3.7, the last series "
        "library/python built on stretch; reviewers cannot tell what is pinned; name the "
        "release, e.g. python:3.7-stretch@sha256:<digest>",
        "tag '3-slim-bookworm' names only the major version, so it moves to every new series; "
        "reviewers cannot tell what is pinned; name the release, e.g. "
        "python:3.15-slim-bookworm@sha256:<digest>",
    ]
    assert found(text, "PY001") == [
        (
            2,
            "FROM python:3-stretch in stage 1 runs Python 3.7, past its end of life on "
            "2023-06-27 (PEP 537): no more security fixes; move to python:3.15-bookworm "
            "(`imagepin base 3.15 --variant full`) and re-lock",
        )
    ]


# --- moving to a supported series keeps the release and the variant -------------------------------


def test_py001_moves_on_the_release_the_from_pulls_and_gives_the_command_that_prints_it() -> None:
    text = (
        "FROM python:3.9-slim\nFROM python:3.9-alpine\nFROM python:2.7.18-slim-buster\n"
        "FROM python:3.9-bookworm\n"
    )
    moves = [m.split("move to ")[1] for _, m in found(text, "PY001")]
    assert moves == [
        "python:3.15-slim-trixie (`imagepin base 3.15 --distro trixie`) and re-lock",
        "python:3.15-alpine3.24 (`imagepin base 3.15 --variant alpine`) and re-lock",
        # buster never had 3.15: a new choice, as `imagepin base 3.15` makes it
        "python:3.15-slim-bookworm (`imagepin base 3.15`) and re-lock",
        "python:3.15-bookworm (`imagepin base 3.15 --variant full`) and re-lock",
    ]


def test_py002_keeps_the_pre_releases_variant_and_release() -> None:
    assert [m.split("; ")[1] for _, m in found("FROM python:3.15-rc-slim-bookworm\n", "PY002")] == [
        "pick python:3.15-slim-bookworm (`imagepin base 3.15`), or allow pre-releases for a "
        "stack that tests them (allowPrerelease: true in its PY002 policy config, "
        "--allow-prerelease for imagepin check)"
    ]


# --- onbuild ------------------------------------------------------------------------------------


def test_pin004_reports_onbuild_tags_that_name_no_series() -> None:
    text = (
        "FROM python:3-onbuild\nFROM python:onbuild\nFROM python:2-onbuild\n"
        "FROM python:3.6-onbuild\nFROM python:3.6.5-onbuild\nFROM acme/app:3-onbuild\n"
    )
    held = "library/python stopped building onbuild images on 2018-07-20"
    assert found(text, "PIN004") == [
        (
            1,
            "FROM python:3-onbuild in stage 0 uses a floating tag: tag '3-onbuild' names only "
            f"the major version (it last held Python 3.6; {held}); reviewers cannot tell what "
            "is pinned; name the release, e.g. python:3.6-onbuild@sha256:<digest>",
        ),
        (
            2,
            "FROM python:onbuild in stage 1 uses a floating tag: tag 'onbuild' names no Python "
            f"version (it last held Python 3.6; {held}); reviewers cannot tell what is pinned; "
            "name the release, e.g. python:3.6-onbuild@sha256:<digest>",
        ),
        (
            3,
            "FROM python:2-onbuild in stage 2 uses a floating tag: tag '2-onbuild' names only "
            f"the major version (it last held Python 2.7; {held}); reviewers cannot tell what "
            "is pinned; name the release, e.g. python:2.7-onbuild@sha256:<digest>",
        ),
    ]


def test_py001_reports_onbuild_images_with_the_steps_to_write_out() -> None:
    text = f"FROM python:3-onbuild\nFROM python:onbuild@{D}\nFROM python:2.7.15-onbuild\n"
    steps = (
        "no more security fixes; move to python:3.15-slim-bookworm (`imagepin base 3.15`) and "
        "re-lock, writing out the steps its ONBUILD triggers ran (COPY requirements.txt, RUN "
        "pip install -r requirements.txt, COPY .)"
    )
    gone = "from an onbuild image that library/python stopped building on 2018-07-20"
    assert found(text, "PY001") == [
        (
            1,
            "FROM python:3-onbuild in stage 0 runs Python 3.6, past its end of life on "
            f"2021-12-23 (PEP 494), {gone}: {steps}",
        ),
        (
            2,
            f"FROM python:onbuild@{D} in stage 1 runs Python 3.6, past its end of life on "
            f"2021-12-23 (PEP 494), {gone}: {steps}",
        ),
        (
            3,
            "FROM python:2.7.15-onbuild in stage 2 runs Python 2.7, past its end of life on "
            f"2020-01-01 (PEP 373), {gone}: {steps}",
        ),
    ]
    assert found("FROM python:3-onbuild\n", "PY001", Settings(today=date(2018, 1, 1))) == []


# --- the shared function -------------------------------------------------------------------------


def test_built_reads_series_releases_and_pre_releases() -> None:
    assert built("bookworm", "3.7", "slim") and not built("bookworm", "3.7.10", "slim")
    assert built("buster", "3.7.10", "full") and built("bookworm", "3.7.17", "full")
    assert built("trixie", "3.13.99", "slim")  # still built there: no last release yet
    assert not built("trixie", "3.13.5", "slim") and built("trixie", "3.13.6", "slim")
    assert built("trixie", "3.15.0a8", "slim") and not built("bullseye", "3.15-rc", "full")
    assert not built("alpine3.24", "3.13", "slim") and not built("jessie", "3.6", "full")


def test_fix_base_keeps_a_named_release_and_base_command_prints_it() -> None:
    on = ON.today
    pinned = PythonBase.from_tag("3.9-slim-bookworm")
    assert fix_base(pinned, on) == pinned
    assert move_base(pinned, "3.15", on).tag == "3.15-slim-bookworm"
    assert fresh_base("2.7") == PythonBase.from_tag("2.7-slim-buster")
    assert fresh_base("2.7", "windowsservercore") is None
    assert base_command(PythonBase.from_tag("3.15-slim-bookworm")) == "imagepin base 3.15"
    assert base_command(PythonBase.from_tag("3.15-windowsservercore-ltsc2022")) == (
        "imagepin base 3.15 --variant windowsservercore --distro ltsc2022"
    )
    assert base_command(PythonBase(version="3.15")) == "imagepin base 3.15 --distro floating"


KIND_VARIANTS = {
    "debian": ("full", "slim"),
    "alpine": ("alpine",),
    "windows": ("windowsservercore",),
}


def _floating_tags() -> list[PythonBase]:
    """Every series, and the first and last release built on each distro release, as the tag
    without a release in each variant it was built in."""
    bases = {
        PythonBase(version=version, variant=variant)
        for release in images_table().distros.values()
        for series, (first, last) in release.finals.items()
        for version in {series, first, last or first}
        for variant in KIND_VARIANTS[release.kind]
    }
    return sorted(bases, key=lambda b: (series_key(b.series), b.tag))


@pytest.mark.parametrize("base", _floating_tags(), ids=lambda b: b.tag)
def test_every_pin_a_fix_names_was_built_in_the_froms_variant(base: PythonBase) -> None:
    fixed = fix_base(base, ON.today)
    assert fixed is not None and fixed.variant == base.variant and fixed.version == base.version
    assert fixed.distro is not None and built(fixed.distro, fixed.version, fixed.variant)
    newer = [d for d in images_table().distros if built(d, base.version, base.variant)]
    assert fixed.distro == newer[-1]  # where the floating tag points


def test_finals_agree_with_the_series_each_release_lists() -> None:
    for name, release in images_table().distros.items():
        assert list(release.finals) == list(release.python), name
        for series, (first, last) in release.finals.items():
            assert first.rsplit(".", 1)[0] == series, (name, series)
            if last is not None:
                assert last.rsplit(".", 1)[0] == series
                assert series_key(first) <= series_key(last), (name, series)


# --- as users run it -----------------------------------------------------------------------------


def test_the_cli_names_published_tags_for_the_audit_repros(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.13-slim\nUSER 10001\n")
    result = run_cli(
        "check", "--dockerfile", "Dockerfile", "--format", "json", "--on", "2026-11-25",
        cwd=tmp_path,
    )  # fmt: skip
    messages = {v["rule"]: v["message"] for v in json.loads(result.stdout)["violations"]}
    assert messages["VAR003"].endswith(f"write python:3.13-slim-trixie, {TODAY}")
