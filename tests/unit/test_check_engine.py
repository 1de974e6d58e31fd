"""The engine: resources as recorded (dicts, records, wire-format secrets and unknowns), each
image's Dockerfile with its build args and platforms, parents, notes, reports and exit codes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from imagepin.check import (
    Report,
    check_dockerfile_paths,
    check_resources,
    check_text,
    render_json,
    render_text,
)
from imagepin.check_files import STDIN, unique
from imagepin.errors import ConfigError, ConfigErrors
from imagepin.rules import RULES, Settings
from imagepin.rules.base import Note, Severity, Violation
from imagepin.rules.resources import Resource
from imagepin.rules.values import SECRET_SIG, SIG_KEY, UNKNOWN, Secret, normalize

A = "sha256:" + "a" * 64
ON = Settings(today=date(2026, 11, 25))


def test_normalize_reads_every_spelling_of_secret_and_unknown() -> None:
    class ForeignSecret:  # a recorder's own marker, recognized by shape
        def __init__(self, value: object) -> None:
            self.value = value

    ForeignSecret.__name__ = "Secret"

    class Unknown:
        pass

    raw = {
        "a": {SIG_KEY: SECRET_SIG, "value": {"b": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}},
        "c": [ForeignSecret("s"), Unknown(), "plain", 1, None],
    }
    assert normalize(raw) == {
        "a": Secret({"b": UNKNOWN}),
        "c": [Secret("s"), UNKNOWN, "plain", 1, None],
    }
    assert repr(Secret("hunter2")) == "Secret([secret])"


@dataclass
class Record:  # the shape of a preview recorder's resources
    type: str
    name: str
    urn: str
    parent: str | None
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)


def test_records_with_attributes_are_read_like_dicts() -> None:
    record = Record("docker:index/container:Container", "web", "urn:web", None, {"image": "x:1"})
    report = check_resources([record], ON, [RULES["PIN003"]])
    assert [(v.rule, v.resource) for v in report.violations] == [("PIN003", "web")]


def test_a_resource_needs_a_type_and_a_name() -> None:
    with pytest.raises(ValueError, match="a resource needs a string 'type' and 'name'"):
        Resource.from_any({"name": "x"})


def test_an_image_dockerfile_is_checked_with_its_build_args_platforms_and_target() -> None:
    inline = (
        "ARG PY\nFROM python:${PY}-windowsservercore-ltsc2022 AS win\n"
        f'FROM python:${{PY}}-slim-bookworm@{A} AS app\nUSER 10001\nCMD ["python"]\n'
    )
    image = {
        "type": "docker-build:index:Image",
        "name": "app",
        "inputs": {
            "dockerfile": {"inline": inline},
            "buildArgs": {"PY": "3.12"},
            "platforms": ["linux/amd64"],
            "target": "app",
        },
    }
    report = check_resources([image], ON)
    assert [(v.rule, v.line, v.file, v.resource) for v in report.violations] == [
        ("PIN001", 2, None, "app"),
        ("VAR002", 2, None, "app"),
    ]
    assert report.violations[0].where == "resource app, inline Dockerfile line 2"


def test_a_dockerfile_location_is_read_under_base_dir(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.12\n")
    image = {
        "type": "docker-build:index:Image",
        "name": "app",
        "inputs": {"context": {"location": "app"}},
    }
    settings = Settings(today=date(2026, 11, 25), base_dir=tmp_path)
    report = check_resources([image], settings, [RULES["PIN001"]])
    assert [(v.file, v.line, v.where) for v in report.violations] == [
        ("app/Dockerfile", 1, "app/Dockerfile:1 (resource app)")
    ]
    assert [n.message for n in check_resources([image], ON, [RULES["PIN001"]]).notes] == [
        'docker-build:index:Image "app": its Dockerfile app/Dockerfile is not read here'
    ]


@pytest.mark.parametrize(
    ("inputs", "note"),
    [
        ({"dockerfile": {"inline": UNKNOWN}}, "its Dockerfile is unknown at preview"),
        ({"context": {"location": UNKNOWN}}, "its build context is unknown at preview"),
        (
            {"context": {"location": "https://github.com/a/b.git"}},
            "its Dockerfile is in a remote context (https://github.com/a/b.git) and not read",
        ),
        (
            {"dockerfile": {"location": "https://x/Dockerfile"}},
            "its Dockerfile is remote (https://x/Dockerfile) and not read",
        ),
    ],
)
def test_dockerfiles_that_cannot_be_read_are_noted(inputs: dict[str, Any], note: str) -> None:
    image = {"type": "docker-build:index:Image", "name": "app", "inputs": inputs}
    report = check_resources([image], ON, [RULES["PIN001"]])
    assert report.violations == ()
    assert [(n.rule, n.message) for n in report.notes] == [
        ("*", f'docker-build:index:Image "app": {note}')
    ]


def test_an_unparsable_inline_dockerfile_is_a_note_not_a_crash() -> None:
    image = {
        "type": "docker-build:index:Image",
        "name": "app",
        "inputs": {"dockerfile": {"inline": "# nothing\n"}},
    }
    (note,) = check_resources([image], ON).notes
    assert note.message.startswith("the inline Dockerfile of app: not a Dockerfile BuildKit")


def test_parent_cycles_do_not_hang() -> None:
    a = {"type": "imagepin:index:X", "name": "a", "urn": "u:a", "parent": "u:b", "inputs": {}}
    b = {"type": "imagepin:index:X", "name": "b", "urn": "u:b", "parent": "u:a", "inputs": {}}
    assert check_resources([a, b], ON) == Report()


def test_dockerfile_paths_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^nope/Dockerfile: no such file; give the path"):
        check_dockerfile_paths(["nope/Dockerfile"], ON)
    with pytest.raises(ConfigError, match=r"is a directory; give the Dockerfile in it"):
        check_dockerfile_paths([tmp_path], ON)
    (tmp_path / "Dockerfile").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="cannot read the Dockerfile: it is UTF-16 text"):
        check_dockerfile_paths([tmp_path / "Dockerfile"], ON)
    (tmp_path / "Dockerfile").write_bytes(b"\x1f\x8b\x08\x00\x00\x00")  # a gzip header
    with pytest.raises(ConfigError, match=r": it holds NUL bytes, so it is no text file; give"):
        check_dockerfile_paths([tmp_path / "Dockerfile"], ON)


def test_every_dockerfile_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    (tmp_path / "ok").write_text("FROM scratch\n")
    with pytest.raises(ConfigErrors) as raised:
        check_dockerfile_paths([tmp_path / "ok", "nope/a", "-", tmp_path, "nope/b"], ON)
    assert raised.value.messages() == [
        "nope/a: no such file; give the path of a Dockerfile",
        STDIN,
        f"{tmp_path}: is a directory; give the Dockerfile in it ({tmp_path / 'Dockerfile'})",
        "nope/b: no such file; give the path of a Dockerfile",
    ]
    assert str(raised.value) == "\n".join(raised.value.messages())


def test_unique_keeps_the_first_spelling_of_each_file(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    spellings = ["Dockerfile", "./Dockerfile", "sub/../Dockerfile", str(tmp_path / "Dockerfile")]
    assert unique([*spellings, "sub/Dockerfile", "Dockerfile"]) == ["Dockerfile", "sub/Dockerfile"]


def test_report_exit_codes_json_and_text() -> None:
    error = Violation("PIN001", Severity.ERROR, "m1", "Dockerfile", 1)
    warning = Violation("DF001", Severity.WARNING, "m2", None, 3, "app")
    info = Violation("DF003", Severity.INFO, "m3", resource="app")
    note = Note("PIN003", "skipped", resource="web")
    assert Report((info,)).exit_code(strict=True) == 0
    assert Report((warning,)).exit_code() == 0 and Report((warning,)).exit_code(strict=True) == 1
    assert Report((error,)).exit_code() == 1
    report = Report((error, warning, info), (note,))
    assert json.loads(render_json(report)) == {
        "violations": [
            {
                "rule": "PIN001",
                "severity": "error",
                "message": "m1",
                "file": "Dockerfile",
                "line": 1,
                "resource": None,
            },
            {
                "rule": "DF001",
                "severity": "warning",
                "message": "m2",
                "file": None,
                "line": 3,
                "resource": "app",
            },
            {
                "rule": "DF003",
                "severity": "info",
                "message": "m3",
                "file": None,
                "line": None,
                "resource": "app",
            },
        ],
        "notes": [
            {"rule": "PIN003", "message": "skipped", "file": None, "line": None, "resource": "web"}
        ],
    }
    assert json.loads(render_json(Report())) == {"violations": []}
    assert render_text(report, "2 Dockerfiles").splitlines() == [
        "Dockerfile:1: error PIN001 m1",
        "resource app, inline Dockerfile line 3: warning DF001 m2",
        "resource app: info DF003 m3",
        "resource web: note PIN003 skipped",
        "3 violations (1 error, 1 warning, 1 info) in 2 Dockerfiles",
    ]
    assert Report((error, error)).summary() == "2 violations (2 errors)"


def test_violations_are_sorted_by_line_then_rule_order() -> None:
    text = "FROM python:3.12\nRUN pip install x\n"
    report = check_text(text, ON)
    assert [(v.line, v.rule) for v in report.violations] == [
        (1, "PIN001"),
        (1, "VAR001"),
        (1, "VAR003"),
        (1, "DF004"),
        (2, "DF001"),
    ]


def test_a_finding_that_would_show_a_secret_keeps_only_its_title() -> None:
    settings = Settings(today=date(2026, 11, 25), allowed_registries=("docker.io",))
    web = {
        "type": "docker:index/container:Container",
        "name": "web",
        "inputs": {"image": Secret("Registry.Corp.example:5000/acmestealth/app:1")},
    }
    withheld = "(details withheld: they would show a value held in a Pulumi secret)"
    report = check_resources([web], settings)
    assert [(v.rule, v.message) for v in report.violations] == [
        ("PIN003", f"Workload image not referenced by digest {withheld}"),
        (  # shows nothing of the secret: kept whole
            "OPS002",
            'docker:index/container:Container "web" declares no health check, so traffic keeps '
            "going to a container that is up but broken; add healthcheck=ContainerHealthcheckArgs("
            'tests=["CMD", ...], interval="10s")',
        ),
        ("REG001", f"Registry outside the allow-list {withheld}"),
    ]
    short = {  # a short secret counts as a whole word only
        "type": "docker-build:index:Image",
        "name": "app",
        "inputs": {
            "dockerfile": {"inline": f"ARG PY\nFROM python:${{PY}}-slim-bookworm@{A}\n"},
            "buildArgs": Secret({"PY": "3.9"}),
        },
    }
    py001 = check_resources([short], settings, [RULES["PY001"], RULES["DF004"]])
    assert [(v.rule, v.message) for v in py001.violations] == [
        ("PY001", f"Python past its end of life {withheld}"),
        (
            "DF004",
            "the final stage, stage 0, never sets USER, so it runs as root (the python image "
            "sets no USER); add `RUN useradd --uid 10001 --no-create-home app` and `USER 10001` "
            "before CMD",
        ),
    ]
