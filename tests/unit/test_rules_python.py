"""PY001, PY002, VAR001-VAR003: a supported, released Python, the slim variant in production, the
right OS for the platform, a distro release in the tag."""

from __future__ import annotations

from datetime import date

from imagepin.check import check_text
from imagepin.rules import RULES, Settings

ON = Settings(today=date(2026, 11, 25))
D = "sha256:" + "a" * 64


def found(text: str, rule: str, settings: Settings = ON, **kw: object) -> list[tuple[int, str]]:
    report = check_text(text, settings, [RULES[rule]], **kw)  # type: ignore[arg-type]
    assert all(v.rule == rule and v.severity is RULES[rule].severity for v in report.violations)
    return [(v.line or 0, v.message) for v in report.violations]


def suppressed(line: str, rule: str, **kw: object) -> None:
    """The first violation of `rule` in `line` disappears under a reasoned suppression."""
    assert found(line, rule, **kw)  # type: ignore[arg-type]
    text = f"# imagepin: ignore {rule} -- accepted in review for the legacy job\n{line}"
    assert found(text, rule, **kw) == []  # type: ignore[arg-type]


# --- PY001 ------------------------------------------------------------------------------------


def test_py001_accepts_supported_series_and_pre_releases() -> None:
    text = (
        "FROM python:3.12-slim-bookworm\nFROM python:3.15-rc\n"
        "FROM ubuntu/python:3.12-24.04_stable\n"
    )
    assert found(text, "PY001") == []


def test_py001_reports_series_past_end_of_life_with_the_move() -> None:
    text = (
        "FROM python:3.9-slim-bookworm\nFROM python:2.7.18-slim-buster\n"
        "FROM ubuntu/python:3.13-25.04_stable\n"
    )
    assert found(text, "PY001") == [
        (
            1,
            "FROM python:3.9-slim-bookworm in stage 0 runs Python 3.9, past its end of life on "
            "2025-10-31 (PEP 596): no more security fixes; move to python:3.15-slim-bookworm "
            "(`imagepin base 3.15`) and re-lock",
        ),
        (
            2,
            "FROM python:2.7.18-slim-buster in stage 1 runs Python 2.7, past its end of life on "
            "2020-01-01 (PEP 373): no more security fixes; move to python:3.15-slim-bookworm "
            "(`imagepin base 3.15`) and re-lock",
        ),
        (
            3,
            "FROM ubuntu/python:3.13-25.04_stable in stage 2 runs Python 3.13 from Ubuntu 25.04, "
            "out of support since 2026-01-15; move to a supported rock (`imagepin base --list`) "
            "and re-lock",
        ),
    ]


def test_py001_every_2x_even_when_the_catalog_cannot_place_the_tag() -> None:
    assert found("FROM python:2.7-windowsservercore-1809\n", "PY001") == [
        (
            1,
            "FROM python:2.7-windowsservercore-1809 in stage 0 runs Python 2, past its end of "
            "life on 2020-01-01: no more security fixes; move to python:3.15-slim-bookworm and "
            "re-lock",
        )
    ]


def test_py001_310_ends_in_november_2026() -> None:
    line = "FROM python:3.10-slim-bookworm\n"
    assert found(line, "PY001", Settings(today=date(2026, 10, 30))) == []
    assert [m[:64] for _, m in found(line, "PY001", Settings(today=date(2026, 11, 1)))] == [
        "FROM python:3.10-slim-bookworm in stage 0 runs Python 3.10, past"
    ]


def test_py001_a_known_series_past_its_end_even_when_the_catalog_has_no_image_of_the_tag() -> None:
    text = "FROM python:3.3\nFROM python:3.1-slim\nFROM python:3.13-slim-foo\n"
    assert found(text, "PY001") == [
        (
            1,
            "FROM python:3.3 in stage 0 runs Python 3.3, past its end of life on 2017-09-29 "
            "(PEP 398): no more security fixes; move to python:3.15-slim-bookworm (`imagepin "
            "base 3.15`) and re-lock",
        ),
        (
            2,
            "FROM python:3.1-slim in stage 1 runs Python 3.1, past its end of life on "
            "2012-04-09 (PEP 375): no more security fixes; move to python:3.15-slim-bookworm "
            "(`imagepin base 3.15`) and re-lock",
        ),
    ]


def test_py001_notes_a_series_the_catalog_does_not_know_yet() -> None:
    text = (
        "FROM python:3.16-slim-bookworm\nFROM python:4-slim\nFROM python:3.16.0a1-slim\n"
        "FROM python:3.13.99-slim-bookworm\nFROM python:3.12-slim-bookworm\nFROM python:1.6\n"
    )
    report = check_text(text, ON, [RULES["PY001"]])
    assert report.violations == ()
    unknown = (
        "which imagepin's catalog does not know (reviewed 2026-11-25; newest series 3.15): its "
        "end of life, pre-release status and variant are not checked; update imagepin"
    )
    assert [(n.line, n.message) for n in report.notes] == [
        (1, f"FROM python:3.16-slim-bookworm in stage 0 runs Python 3.16, {unknown}"),
        (2, f"FROM python:4-slim in stage 1 runs Python 4, {unknown}"),
        (3, f"FROM python:3.16.0a1-slim in stage 2 runs Python 3.16, {unknown}"),
    ]


def test_py001_suppressed() -> None:
    suppressed("FROM python:3.9-slim-bookworm\n", "PY001")


# --- PY002 ------------------------------------------------------------------------------------


def test_py002_accepts_releases_and_pre_releases_where_allowed() -> None:
    assert found("FROM python:3.14-slim-bookworm\n", "PY002") == []
    allowed = Settings(today=date(2026, 11, 25), allow_prerelease=True)
    assert found("FROM python:3.15.0a8-slim-trixie\n", "PY002", allowed) == []


def test_py002_reports_pre_releases_in_a_stack_that_does_not_allow_them() -> None:
    text = "FROM python:3.15.0a8-slim-trixie\nFROM ubuntu/python:3.13-25.04_edge\n"
    assert found(text, "PY002") == [
        (
            1,
            "FROM python:3.15.0a8-slim-trixie in stage 0 is a pre-release (Python 3.15.0a8) and "
            "this stack does not allow pre-releases; pick python:3.15-slim-trixie (`imagepin "
            "base 3.15 --distro trixie`), or allow pre-releases for a stack that tests them "
            "(allowPrerelease: true in its PY002 policy config, --allow-prerelease for imagepin "
            "check)",
        ),
        (
            2,
            "FROM ubuntu/python:3.13-25.04_edge in stage 1 is a pre-release (the edge channel of "
            "the Python 3.13 rock) and this stack does not allow pre-releases; pick the stable "
            "channel (ubuntu/python:3.13-25.04_stable), or allow pre-releases for a stack that "
            "tests them (allowPrerelease: true in its PY002 policy config, --allow-prerelease "
            "for imagepin check)",
        ),
    ]


def test_py002_reports_docker_hubs_rc_tags() -> None:
    text = f"FROM python:rc-slim@{D}\nFROM python:rc\nFROM python:rc-bookworm\n"
    allow = (
        "or allow pre-releases for a stack that tests them (allowPrerelease: true in its PY002 "
        "policy config, --allow-prerelease for imagepin check)"
    )
    assert found(text, "PY002") == [
        (
            1,
            f"FROM python:rc-slim@{D} in stage 0 is a pre-release (Python 3.15-rc) and this "
            "stack does not allow pre-releases; pick python:3.15-slim-trixie (`imagepin base "
            f"3.15 --distro trixie`), {allow}",
        ),
        (
            2,
            "FROM python:rc in stage 1 is a pre-release (Python 3.15-rc) and this stack does not "
            "allow pre-releases; pick python:3.15-trixie (`imagepin base 3.15 --variant full "
            f"--distro trixie`), {allow}",
        ),
        (
            3,
            "FROM python:rc-bookworm in stage 2 is a pre-release (Python 3.15-rc) and this stack "
            "does not allow pre-releases; pick python:3.15-bookworm (`imagepin base 3.15 "
            f"--variant full`), {allow}",
        ),
    ]
    assert found("FROM python:latest\nFROM python:rcx\nFROM node:rc\n", "PY002") == []


def test_py002_suppressed() -> None:
    suppressed("FROM python:3.15-rc-slim\n", "PY002")


# --- VAR001 -----------------------------------------------------------------------------------


def test_var001_accepts_a_full_builder_with_a_slim_final_stage() -> None:
    text = "FROM python:3.12-bookworm AS build\nFROM python:3.12-slim-bookworm\n"
    assert found(text, "VAR001") == []
    assert found("FROM python:3.12-bookworm AS b\nFROM scratch\n", "VAR001") == []


def test_var001_reports_a_full_final_stage_also_through_a_build_stage() -> None:
    text = "FROM python:3.12-bookworm AS build\nFROM build AS final\nCMD x\n"
    assert found(text, "VAR001") == [
        (
            1,
            "the final stage, stage 1 (final), is built on python:3.12-bookworm (through stage 0 "
            "(build)), the full variant with compilers and headers; base it on "
            "python:3.12-slim-bookworm and build wheels in a separate full stage",
        )
    ]
    assert found("FROM python:3\n", "VAR001") == [
        (
            1,
            "the final stage, stage 0, is built on python:3, the full variant with compilers and "
            "headers; base it on python:3.15-slim-trixie and build wheels in a separate full "
            "stage",
        )
    ]


def test_var001_reports_the_version_less_full_tags_latest_untagged_and_a_codename() -> None:
    full = "the full variant with compilers and headers; base it on python:3.15-slim"
    # latest floats to the newest Debian release (trixie); `bookworm` names its own
    tags = ((f"python:latest@{D}", "trixie"), (f"python:bookworm@{D}", "bookworm"))
    for image, release in (*tags, ("python", "trixie")):
        assert found(f"FROM {image}\n", "VAR001") == [
            (
                1,
                f"the final stage, stage 0, is built on {image}, {full}-{release} and build "
                "wheels in a separate full stage",
            )
        ]
    # a digest alone names no variant (it cannot move either): PIN004 asks for the release
    quiet = (
        f"FROM python:slim@{D}\nFROM node:latest@{D}\nFROM ubuntu@{D}\nFROM python:foo\n"
        f"FROM python@{D}\n"
    )
    assert [found("\n".join(quiet.splitlines()[: i + 1]), "VAR001") for i in range(5)] == [[]] * 5


def test_var001_follows_the_build_target() -> None:
    text = "FROM python:3.12-bookworm AS build\nFROM python:3.12-slim-bookworm AS final\n"
    assert [line for line, _ in found(text, "VAR001", target="build")] == [1]


def test_var001_suppressed() -> None:
    suppressed("FROM python:3.12-bookworm\n", "VAR001")


# --- VAR002 -----------------------------------------------------------------------------------


def test_var002_accepts_matching_os_and_build_host_stages() -> None:
    text = "FROM --platform=$BUILDPLATFORM python:3.12-windowsservercore-ltsc2022 AS tools\n"
    assert found(text, "VAR002", platforms=["linux/amd64"]) == []
    assert found("FROM python:3.12-slim-bookworm\n", "VAR002", platforms=["linux/arm64"]) == []
    assert found("FROM python:3.12-windowsservercore-ltsc2022\n", "VAR002") == []


def test_var002_reports_windows_for_linux_and_linux_for_windows() -> None:
    text = (
        "FROM --platform=linux/amd64 python:3.12-windowsservercore-ltsc2022\n"
        "FROM python:3.13-slim-bookworm\n"
    )
    assert found(text, "VAR002", platforms=["windows/amd64", "linux/amd64"]) == [
        (
            1,
            "FROM python:3.12-windowsservercore-ltsc2022 in stage 0 is a Windows image, but it "
            "is built for linux/amd64; use python:3.12-slim-bookworm for Linux platforms",
        ),
        (
            2,
            "FROM python:3.13-slim-bookworm in stage 1 is a Linux image, but it is built for "
            "windows/amd64; use python:3.13-windowsservercore-ltsc2025 for Windows platforms",
        ),
    ]


def test_var002_gives_a_windows_base_that_exists() -> None:
    text = (
        "FROM --platform=windows/amd64 ubuntu/python:3.12-24.04_stable\n"
        "FROM --platform=windows/amd64 python:2.7\nFROM --platform=windows/amd64 python:3.7\n"
        "FROM --platform=windows/amd64 python:latest\n"
    )
    linux = "is a Linux image, but it is built for windows/amd64"
    move = (
        "and a Windows build needs a Windows base: move to a series that has one, e.g. "
        "python:3.15-windowsservercore-ltsc2025"
    )
    assert found(text, "VAR002") == [
        (
            1,
            f"FROM ubuntu/python:3.12-24.04_stable in stage 0 {linux}; there is no Windows rock "
            "(ubuntu/python is Linux only); use python:3.12-windowsservercore-ltsc2025 for "
            "Windows platforms",
        ),
        (
            2,
            f"FROM python:2.7 in stage 1 {linux}; library/python has no Windows image of Python "
            f"2.7, {move}",
        ),
        (
            3,
            f"FROM python:3.7 in stage 2 {linux}; library/python has no Windows image of Python "
            f"3.7, {move}",
        ),
        (
            4,
            f"FROM python:latest in stage 3 {linux}; use python:3.15-windowsservercore-ltsc2025 "
            "for Windows platforms",
        ),
    ]


def test_var002_suppressed() -> None:
    suppressed("FROM --platform=linux/amd64 python:3.12-windowsservercore-ltsc2022\n", "VAR002")


# --- VAR003 -----------------------------------------------------------------------------------


def test_var003_accepts_tags_with_a_release_and_other_images() -> None:
    text = (
        "FROM python:3.12-slim-bookworm\nFROM python:3.12-alpine3.22\n"
        "FROM python:3.13-windowsservercore-ltsc2022\nFROM node:20-slim\n"
    )
    assert found(text, "VAR003") == []


def test_var003_reports_tags_that_float_between_distro_releases() -> None:
    text = (
        "FROM python:3.12-slim\nFROM python:3.12\nFROM python:3.12-alpine\n"
        "FROM python:3.13-windowsservercore\nFROM python:3-slim\nFROM python:3.12.7-slim\n"
    )
    moves, today = "(and their system libraries); write", "the release it pulls today"
    assert found(text, "VAR003") == [
        (
            1,
            "FROM python:3.12-slim in stage 0 names no distro release, so it moves between "
            f"Debian releases {moves} python:3.12-slim-trixie, {today}",
        ),
        (
            2,
            "FROM python:3.12 in stage 1 names no distro release, so it moves between Debian "
            f"releases {moves} python:3.12-trixie, {today}",
        ),
        (
            3,
            "FROM python:3.12-alpine in stage 2 names no distro release, so it moves between "
            f"Alpine releases {moves} python:3.12-alpine3.24, {today}",
        ),
        (
            4,
            "FROM python:3.13-windowsservercore in stage 3 names no distro release, so it moves "
            f"between Windows Server releases {moves} python:3.13-windowsservercore-ltsc2025, "
            "the newest of the releases it pulls today",
        ),
        (
            5,
            "FROM python:3-slim in stage 4 names no distro release, so it moves between Debian "
            f"releases {moves} python:3.15-slim-trixie, {today}",
        ),
        (
            6,
            "FROM python:3.12.7-slim in stage 5 names no distro release, so it moves between "
            f"Debian releases {moves} python:3.12.7-slim-bookworm, {today}",
        ),
    ]


def test_var003_reports_latest_and_untagged_python_even_by_digest() -> None:
    text = f"FROM python:latest@{D}\nFROM python:bookworm@{D}\nFROM python\nFROM python@{D}\n"
    moves = (
        "names no distro release, so it moves between Debian releases (and their system libraries)"
    )
    today = "the release it pulls today"
    assert found(text, "VAR003") == [
        (1, f"FROM python:latest@{D} in stage 0 {moves}; write python:3.15-trixie, {today}"),
        (3, f"FROM python in stage 2 {moves}; write python:3.15-trixie, {today}"),
    ]
    assert found(f"FROM node:latest@{D}\nFROM ubuntu@{D}\nFROM debian\n", "VAR003") == []


def test_var003_suppressed() -> None:
    suppressed("FROM python:3.12-slim\n", "VAR003")


def test_a_digest_only_python_reference_is_not_read_as_latest() -> None:
    text = f"FROM python@{D}\nUSER 1\n"
    for rule in ("VAR001", "VAR003", "PY001", "PY002"):
        assert found(text, rule) == [], rule
