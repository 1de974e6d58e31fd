"""`imagepin base`: one reference, the catalog, JSON, and the exit codes of errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from imagepin.catalog import UnknownBase
from imagepin.cli import app

runner = CliRunner(env={"COLUMNS": "200"})

DEBIAN_PLATFORMS = [
    "linux/amd64",
    "linux/arm64/v8",
    "linux/arm/v7",
    "linux/arm/v5",
    "linux/386",
    "linux/ppc64le",
    "linux/s390x",
]


@pytest.mark.parametrize(
    ("args", "reference"),
    [
        (
            ["3.12", "--variant", "slim", "--distro", "bookworm"],
            "docker.io/library/python:3.12-slim-bookworm",
        ),
        (["3.12"], "docker.io/library/python:3.12-slim-bookworm"),
        (["3.12", "--variant", "full"], "docker.io/library/python:3.12-bookworm"),
        (["3.11", "--distro", "trixie"], "docker.io/library/python:3.11-slim-trixie"),
        (["3.12", "--distro", "floating"], "docker.io/library/python:3.12-slim"),
        (["3", "--variant", "full", "--distro", "floating"], "docker.io/library/python:3"),
        (["3.12", "--variant", "alpine"], "docker.io/library/python:3.12-alpine3.24"),
        (
            ["3.12", "--variant", "alpine", "--distro", "alpine3.22"],
            "docker.io/library/python:3.12-alpine3.22",
        ),
        (
            ["3.13", "--variant", "windowsservercore", "--distro", "ltsc2022"],
            "docker.io/library/python:3.13-windowsservercore-ltsc2022",
        ),
        (["3.15-rc", "--distro", "trixie"], "docker.io/library/python:3.15-rc-slim-trixie"),
        (
            ["3.12", "--registry", "127.0.0.1:5000"],
            "127.0.0.1:5000/library/python:3.12-slim-bookworm",
        ),
    ],
)
def test_base_prints_the_full_reference(args: list[str], reference: str) -> None:
    result = runner.invoke(app, ["base", *args, "--on", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{reference}\n"


def test_base_warns_on_stderr_when_a_base_is_not_supported() -> None:
    result = runner.invoke(app, ["base", "3.9", "--on", "2026-01-01"])
    assert result.exit_code == 0
    assert result.stdout == "docker.io/library/python:3.9-slim-bookworm\n"
    assert result.stderr == (
        "warning: 3.9-slim-bookworm is end of life on 2025-10-31 (python 3.9, PEP 596); "
        "for production pick 3.14: `imagepin base 3.14`\n"
    )
    args = ["base", "3.15.0a8", "--distro", "trixie", "--on", "2026-05-01"]
    prerelease = runner.invoke(app, args)
    assert prerelease.stdout == "docker.io/library/python:3.15.0a8-slim-trixie\n"
    assert prerelease.stderr == (
        "warning: 3.15.0a8-slim-trixie is pre-release (python 3.15, PEP 790); "
        "for production pick 3.14: `imagepin base 3.14`\n"
    )


def test_base_json() -> None:
    result = runner.invoke(app, ["base", "3.12", "--json", "--on", "2026-11-25"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "reference": "docker.io/library/python:3.12-slim-bookworm",
        "repository": "docker.io/library/python",
        "tag": "3.12-slim-bookworm",
        "version": "3.12",
        "variant": "slim",
        "distro": "bookworm",
        "is_prerelease": False,
        "end_of_life": "2028-10-31",
        "supported": True,
        "platforms": DEBIAN_PLATFORMS,
    }


def test_base_json_of_an_end_of_life_alpine_on_a_mirror() -> None:
    args = ["base", "3.9", "--variant", "alpine", "--distro", "alpine3.22", "--json"]
    result = runner.invoke(app, [*args, "--registry", "127.0.0.1:5000", "--on", "2026-11-25"])
    data = json.loads(result.stdout)
    assert data["reference"] == "127.0.0.1:5000/library/python:3.9-alpine3.22"
    assert (data["end_of_life"], data["supported"]) == ("2025-10-31", False)
    assert "linux/riscv64" in data["platforms"]


def test_list_json() -> None:
    result = runner.invoke(app, ["base", "--list", "--json", "--on", "2026-11-25"])
    assert result.exit_code == 0
    bases = json.loads(result.stdout)["bases"]
    assert len(bases) == 43
    assert bases[0] == {
        "reference": "docker.io/library/python:3.15-bookworm",
        "repository": "docker.io/library/python",
        "tag": "3.15-bookworm",
        "version": "3.15",
        "variant": "full",
        "distro": "bookworm",
        "is_prerelease": False,
        "end_of_life": "2031-10-31",
        "supported": True,
        "platforms": DEBIAN_PLATFORMS,
    }
    assert bases[-1] == {
        "reference": "docker.io/library/debian:trixie",
        "repository": "docker.io/library/debian",
        "tag": "trixie",
        "version": "3.13",
        "variant": "apt",
        "distro": "trixie",
        "is_prerelease": False,
        "end_of_life": "2030-06-30",
        "supported": True,
        "platforms": [
            "linux/amd64",
            "linux/arm64/v8",
            "linux/arm/v7",
            "linux/arm/v5",
            "linux/386",
            "linux/ppc64le",
            "linux/riscv64",
            "linux/s390x",
        ],
    }
    rock = next(b for b in bases if b["variant"] == "rock")
    assert rock["reference"] == "docker.io/ubuntu/python:3.10-22.04_stable"
    assert rock["distro"] == "ubuntu-22.04"


def test_list_table_shows_support_status() -> None:
    result = runner.invoke(app, ["base", "--list", "--legacy", "--on", "2026-06-01"])
    assert result.exit_code == 0
    lines = [line.split() for line in result.stdout.splitlines()]
    assert "Python bases on 2026-06-01 (lifecycle reviewed 2026-11-25)" in result.stdout
    assert ["Image", "Python", "End", "of", "life", "Status"] in lines
    assert ["python:3.15-rc-slim-trixie", "3.15-rc", "2031-10-31", "pre-release"] in lines
    assert ["python:3.12-slim-bookworm", "3.12", "2028-10-31", "supported"] in lines
    eol = ["end", "of", "life", "on", "2020-01-01"]
    assert ["python:2.7-slim-buster", "2.7", "2020-01-01", *eol] in lines
    rock = ["ubuntu/python:3.13-25.04_stable", "3.13", "2026-01-15"]
    assert [*rock, "end", "of", "life", "on", "2026-01-15"] in lines
    assert ["debian:bullseye", "3.9", "2026-08-31", "supported"] in lines


def test_list_without_legacy_leaves_end_of_life_out() -> None:
    result = runner.invoke(app, ["base", "--list", "--on", "2026-11-25"])
    assert result.exit_code == 0
    assert "python:3.12-slim-bookworm" in result.stdout
    assert "end of life" not in result.stdout
    assert "3.13-25.04_stable" not in result.stdout


def test_impossible_base_raises_unknown_base_in_process() -> None:
    result = runner.invoke(app, ["base", "3.12", "--variant", "slim", "--distro", "alpine3.22"])
    assert isinstance(result.exception, UnknownBase)
    assert str(result.exception) == (
        "no python image 'slim' on 'alpine3.22': the alpine variant already is the small one; "
        "use variant='alpine', distro='alpine3.22'"
    )
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], ["Invalid value for VERSION: missing: type `imagepin base 3.12`", "--list"]),
        (["3.12", "--list"], ["Invalid value for --list: give VERSION or --list, not both"]),
        (["3.12", "--legacy"], ["Invalid value for --legacy: only applies to --list"]),
        (["3.12", "--on", "next week"], ["Invalid value for --on: 'next week' is not a date"]),
    ],
)
def test_usage_errors_exit_2_and_say_what_to_type(args: list[str], words: list[str]) -> None:
    result = runner.invoke(app, ["base", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    flat = " ".join(result.stderr.replace("│", " ").split())
    for phrase in words:
        assert phrase in flat


def test_main_exits_2_with_the_message() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "imagepin", "base", "3.12", "--variant", "slimm"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == (
        "error: variant 'slimm' is not one of full, slim, alpine, windowsservercore; "
        "did you mean 'slim'?\n"
    )


@pytest.mark.parametrize("args", [["base", "--list"], ["base", "--list", "--json"], ["--version"]])
def test_output_that_cannot_be_written_is_exit_2_with_one_line(args: list[str]) -> None:
    """Every command's output, not only `check`'s: a full disk is a usage error named in one
    line, never a traceback, an exit 1 or a silent exit 0."""
    imagepin = str(Path(sys.executable).parent / "imagepin")
    with Path("/dev/full").open("w") as full:
        result = subprocess.run(
            [imagepin, *args], stdout=full, stderr=subprocess.PIPE, text=True, check=False
        )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: cannot write the output to standard output (/dev/full): No space left on "
        "device; free space where it goes, or redirect it to another disk, then run again"
    ]


def test_an_os_error_of_the_command_itself_is_not_called_an_output_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only a failure of stdout is reported as output that cannot be written; any other
    OSError a command lets through keeps its own type and message."""
    import imagepin.cli as cli

    def app() -> None:
        raise FileNotFoundError(2, "No such file or directory", "missing.txt")

    monkeypatch.setattr(cli, "build_app", lambda *_: app)
    monkeypatch.setattr(sys, "argv", ["imagepin", "base"])
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        cli.main()
