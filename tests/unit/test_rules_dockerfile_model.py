"""The Dockerfile model the rules read: BuildKit's parser, stages, ARG substitution, scopes,
suppression comments."""

from __future__ import annotations

from datetime import date

import pytest

from imagepin.check import check_text
from imagepin.rules import RULES, Settings
from imagepin.rules.dockerfile_model import Dockerfile, DockerfileError, expand, unquote
from imagepin.rules.shell import (
    Command,
    apt_install,
    commands,
    pip_install,
    program,
    run_commands,
    split_script,
)

MULTI = """\
# syntax=docker/dockerfile:1
ARG PY=3.12
ARG DISTRO
FROM --platform=$BUILDPLATFORM python:${PY}-slim-${DISTRO:-bookworm} AS build
RUN --mount=type=cache,target=/root/.cache/pip \\
    pip install -r requirements.txt
FROM build AS test
RUN pytest
FROM python:${PY}-slim-bookworm AS runtime
COPY --from=build /w /w
CMD ["python", "-m", "app"]
"""


def test_stages_names_parents_and_platform_flags() -> None:
    df = Dockerfile.parse(MULTI, file="Dockerfile")
    build, test, runtime = df.stages
    assert (build.name, build.line, build.parent, build.is_external) == ("build", 4, None, True)
    assert build.image == "python:${PY}-slim-${DISTRO:-bookworm}"
    assert build.resolved == "python:3.12-slim-bookworm"
    assert str(build.ref) == "docker.io/library/python:3.12-slim-bookworm"
    assert (build.platform_written, build.platform) == ("$BUILDPLATFORM", None)
    assert (test.parent, test.is_external, test.ref) == (0, False, None)
    assert df.final is runtime and df.chain(test) == [build, test]
    assert [i.cmd for i in runtime.instructions] == ["COPY", "CMD"]
    assert build.instructions[0].start_line == 5 and build.instructions[0].end_line == 6


def test_build_args_override_arg_defaults_and_fill_args_without_one() -> None:
    df = Dockerfile.parse(MULTI, build_args={"PY": "3.13", "DISTRO": "trixie"})
    assert df.stages[0].resolved == "python:3.13-slim-trixie"
    assert df.stages[2].resolved == "python:3.13-slim-bookworm"


def test_a_variable_without_value_leaves_the_from_unresolved() -> None:
    df = Dockerfile.parse("ARG TAG\nFROM python:$TAG\n")
    (stage,) = df.stages
    assert (stage.resolved, stage.missing, stage.ref) == (None, ("TAG",), None)


def test_target_picks_the_final_stage_and_platform_args_resolve_for_one_platform() -> None:
    df = Dockerfile.parse(
        "FROM --platform=$TARGETPLATFORM alpine:3.20 AS a\nFROM scratch AS b\n",
        platforms=["linux/arm64"],
        target="a",
    )
    assert df.final is df.stages[0]
    assert df.stages[0].platform == "linux/arm64"
    assert df.stages[1].is_scratch and not df.stages[1].is_external


@pytest.mark.parametrize(
    ("word", "scope", "expected"),
    [
        ("$A", {"A": "1"}, ("1", ())),
        ("${A}-x", {"A": "1"}, ("1-x", ())),
        ("${A:-d}", {"A": ""}, ("d", ())),
        ("${A-d}", {"A": ""}, ("", ())),
        ("${A:-d}", {}, ("d", ())),
        ("${A:+alt}", {"A": "1"}, ("alt", ())),
        ("${A:+alt}", {"A": ""}, ("", ())),
        ("${A+alt}", {"A": ""}, ("alt", ())),
        ("$A", {"A": None}, ("", ("A",))),
        ("${B:-$A}", {"A": None}, ("", ("A",))),
        ("\\$A", {"A": "1"}, ("$A", ())),
    ],
)
def test_expand_follows_buildkit_substitution(word, scope, expected) -> None:
    assert expand(word, scope) == expected


def test_unquote_removes_shell_quotes_only_when_balanced() -> None:
    assert unquote('"x y"') == "x y"
    assert unquote("'a'b") == "ab"
    assert unquote('"open') == '"open'


def test_env_and_arg_scopes_follow_stages() -> None:
    df = Dockerfile.parse(
        'ARG G=1\nFROM a AS one\nARG G\nENV U="app user" V=$G\nUSER $U\nFROM one\nARG X\nUSER $X\n'
    )
    user_one = df.stages[0].instructions[-1]
    assert user_one.scope == {"G": "1", "U": "app user", "V": "1"}
    user_two = df.stages[1].instructions[-1]
    assert user_two.scope == {"G": "1", "U": "app user", "V": "1", "X": None}


def test_an_arg_default_that_reads_an_unset_variable_is_a_build_arg() -> None:
    """`ARG U=${U}` (the "pass it at build time" idiom) or a default built from an ARG without
    one is set at build time: unknown here, not the empty string BuildKit gives without it."""
    df = Dockerfile.parse(
        "FROM a\nARG REG\nARG BASE=${REG}/python:3.12\nARG OK=${REG:-docker.io}/python\n"
        "ARG U=${U}\nARG W=${V:-app}\nUSER $U\n"
    )
    assert df.stages[0].instructions[-1].scope == {
        "REG": None,
        "BASE": None,
        "OK": "docker.io/python",
        "U": None,
        "W": "app",
    }
    text = 'FROM python\nARG USER_NAME=${USER_NAME}\nUSER ${USER_NAME}\nCMD ["python"]\n'
    report = check_text(text, Settings(today=date(2026, 11, 25)), [RULES["DF004"]])
    assert report.violations == ()
    assert [n.message for n in report.notes] == [
        "USER ${USER_NAME} (line 3) is not checked: $USER_NAME has no value here; give it a "
        "default so the user is known"
    ]


def test_heredocs_and_json_form_are_kept() -> None:
    df = Dockerfile.parse(
        "FROM a\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n"
        'RUN ["pip", "install", "x"]\n'
    )
    heredoc, exec_form = df.stages[0].instructions
    assert heredoc.heredocs == ("apt-get update\napt-get install -y curl\n",)
    assert commands(heredoc) == [["apt-get", "update"], ["apt-get", "install", "-y", "curl"]]
    assert exec_form.json and commands(exec_form) == [["pip", "install", "x"]]


def test_suppression_comments_bind_to_the_next_or_enclosing_instruction() -> None:
    df = Dockerfile.parse(
        "FROM a\n"
        "# imagepin: ignore DF001, df005 -- cache mount elsewhere\n"
        "\n"
        "RUN pip install x && \\\n"
        "    # imagepin: ignore DF002 -- inside the instruction\n"
        "    true\n"
        "# imagepin: ignore DF004\n"
        "USER root\n"
        "# imagepin:ignore=DF003 -- hadolint spelling\n"
    )
    first, inner, bare, trailing = df.suppressions
    assert (first.rules, first.reason) == (("DF001", "DF005"), "cache mount elsewhere")
    assert first.line == 2
    assert (first.first_line, first.last_line) == (4, 6)
    assert (inner.rules, inner.first_line, inner.last_line) == (("DF002",), 4, 6)
    assert (bare.rules, bare.reason, bare.active) == (("DF004",), "", False)
    assert (bare.first_line, bare.last_line) == (8, 8)
    assert (trailing.rules, trailing.first_line) == (("DF003",), None)
    assert first.covers_line("DF005", 5) and not first.covers_line("DF004", 5)
    assert not bare.covers_line("DF004", 8)


def test_unparsable_text_is_an_error_that_names_the_file_or_resource() -> None:
    with pytest.raises(DockerfileError) as err:
        Dockerfile.parse("# only a comment\n", file="app/Dockerfile")
    assert str(err.value) == (
        "app/Dockerfile: not a Dockerfile BuildKit can parse (file with no instructions); fix "
        "it so `docker build` accepts it"
    )
    with pytest.raises(DockerfileError, match=r"^the inline Dockerfile of web: "):
        Dockerfile.parse("", resource="web")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "this is not a dockerfile\n",
            "line 1: unknown instruction 'THIS' (docker build rejects it)",
        ),
        ("ARG X=1\nRUN echo hi\nFROM scratch\n", "line 2: RUN comes before any FROM"),
        ("FROM\n", "line 1: FROM names no image; write FROM IMAGE[:TAG][@DIGEST]"),
    ],
)
def test_what_docker_build_rejects_is_an_error_too(text: str, error: str) -> None:
    with pytest.raises(DockerfileError) as err:
        Dockerfile.parse(text, file="Dockerfile")
    assert str(err.value).startswith(f"Dockerfile: {error}")
    assert Dockerfile.parse("ARG PY=3.12\nFROM scratch\n").stages[0].is_scratch
    # a frontend of its own may add instructions: only the standard ones are judged
    custom = "# syntax=devthefuture/dockerfile-x\nINCLUDE ./base.dockerfile\nFROM scratch\n"
    assert Dockerfile.parse(custom).stages[0].is_scratch
    with pytest.raises(DockerfileError, match="unknown instruction 'INCLUDE'"):
        Dockerfile.parse("# syntax=docker/dockerfile:1.7\n" + custom.split("\n", 1)[1])


def test_shell_splitting_finds_each_simple_command() -> None:
    script = (
        "set -e; apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -o X=1 install -y "
        "curl \\\n git && rm -rf /var/lib/apt/lists/* # done\n"
        "sudo -E python3.12 -m pip --quiet install --no-cache-dir -r r.txt | tee log"
    )
    found = split_script(script)
    assert found[2][:3] == ["DEBIAN_FRONTEND=noninteractive", "apt-get", "-o"]
    assert apt_install(found[2]) == ["-o", "X=1", "install", "-y", "curl", "git"]
    assert pip_install(found[4]) == ["--no-cache-dir", "-r", "r.txt"]
    assert program(found[4])[0] == "python3.12"
    assert [apt_install(c) for c in (["apt-get", "update"], ["apt", "-y", "remove", "x"])] == [
        None,
        None,
    ]
    assert pip_install(["uv", "pip", "install", "x"]) is None
    assert split_script("echo 'unbalanced") == [["echo", "'unbalanced"]]


def test_run_commands_work_out_what_the_rules_ask_once_per_command_line() -> None:
    df = Dockerfile.parse(
        "FROM a\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
        "RUN sudo python3 -m pip install --no-cache-dir -r r.txt\n"
        'RUN ["pip", "install", "x"]\n'
        "RUN apt-get update && apt-get install -y --no-install-recommends curl\n"
    )
    apt, pip, exec_form, apt_again = df.stages[0].instructions
    found = run_commands(apt)
    assert [c.argv for c in found] == [tuple(c) for c in commands(apt)]
    assert found[1] == Command(
        argv=("apt-get", "install", "-y", "--no-install-recommends", "curl"),
        program=("apt-get", "install", "-y", "--no-install-recommends", "curl"),
        pip_install=None,
        apt_install=("install", "-y", "--no-install-recommends", "curl"),
    )
    assert found[0].apt_install is None  # apt-get update
    (python_pip,) = run_commands(pip)
    assert python_pip.program[:3] == ("python3", "-m", "pip")
    assert python_pip.pip_install == ("--no-cache-dir", "-r", "r.txt")
    assert run_commands(exec_form) == (
        Command(("pip", "install", "x"), ("pip", "install", "x"), ("x",), None),
    )
    assert run_commands(apt_again) is found  # the same command line, worked out once
    # the plain helpers keep the type they are given
    assert program(("env", "A=1", "pip", "install", "y")) == ("pip", "install", "y")
    assert pip_install(("python", "-m", "pip", "install", "z")) == ("z",)
