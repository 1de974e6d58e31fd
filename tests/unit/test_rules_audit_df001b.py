"""DF001 after the second review: one reading of pip's command line, pip's help is no install,
the RUN is read in linear time and space, child shells keep their variables to themselves, and
a user-switching wrapper (gosu, su-exec, sudo -u, doas -u) runs pip with that user's home."""

from __future__ import annotations

import tracemalloc
from collections import Counter
from typing import Any

import pytest

from imagepin.rules import df001_pip_cache, pip_options
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.script_env import Environment, environments
from imagepin.rules.shell import pip_install, run_commands, runs_as
from tests.unit.test_rules_audit_df001 import pip
from tests.unit.test_rules_df import found


def test_pip_install_is_read_with_pips_abbreviated_options() -> None:
    text = (
        "FROM a\nRUN pip --prox http://proxy:3128 install flask\n"
        "RUN pip --prox http://proxy:3128 --no-cache install flask\n"
        "RUN python -m pip --ret 3 install -r r.txt\nRUN pip --log l download x\n"
    )
    assert found(text, "DF001") == [
        pip(
            2,
            "pip --prox http://proxy:3128 install flask",
            "pip --prox http://proxy:3128 install --no-cache-dir flask",
        ),
        pip(
            4,
            "python -m pip --ret 3 install -r r.txt",
            "python -m pip --ret 3 install --no-cache-dir -r r.txt",
        ),
    ]
    assert pip_install(("pip", "--prox", "P", "install", "x")) == ("x",)
    words = ["sudo", "pip3", "--retr", "3", "install", "-qr", "r.txt"]
    assert pip_install(words) == ["-qr", "r.txt"]
    assert pip_install(("pip", "--prox", "install", "x")) is None  # `install` is the proxy


def test_pip_that_only_prints_help_or_its_version_installs_nothing() -> None:
    text = (
        "FROM a\nRUN pip install --help && uv pip install --help\nRUN pip install -h\n"
        "RUN pip install --he\nRUN pip -h install x\nRUN pip --version install x\n"
        "RUN pip -V install x\nRUN pip install -r -h\nRUN pip install --version x\n"
    )
    assert found(text, "DF001") == [
        pip(8, "pip install -r -h", "pip install --no-cache-dir -r -h"),
        pip(9, "pip install --version x", "pip install --no-cache-dir --version x"),
    ]
    assert pip_options.install_at(["--timeout", "5", "install", "x"]) == 2
    assert pip_options.install_at(["install", "-qh", "x"]) is None
    assert pip_options.install_at(["-q", "download", "install"]) is None
    assert pip_options.install_at(["-q"]) is None


def test_a_folder_ending_as_the_cache_below_an_unknown_home_covers_it() -> None:
    text = (
        "FROM a\nUSER app\nRUN pip install a && rm -rf /srv/.cache\n"
        "RUN pip install b && rm -rf /srv/app/.cache/pip/\nRUN pip install c && rm -rf /srv/.cach\n"
        "RUN pip install d && rm -rf /srv/pip\nRUN pip install e && rm -rf /.cache/pipe\n"
    )
    home = "(or RUN --mount=type=cache,target=<home of USER app>/.cache/pip)"
    assert found(text, "DF001") == [
        pip(5, "pip install c", "pip install --no-cache-dir c", mount=home),
        pip(6, "pip install d", "pip install --no-cache-dir d", mount=home),
        pip(7, "pip install e", "pip install --no-cache-dir e", mount=home),
    ]


def test_a_long_cache_dir_is_compared_in_linear_space() -> None:
    """Each start of an 80 KB cache dir was once copied to compare it with `/tmp/x` (1.6 GB)."""
    cache = "~" + "/a" * 5000
    text = f"FROM a\nRUN pip install --cache-dir {cache} x && rm -rf /tmp/x\n"
    found("FROM a\nRUN pip install x\n", "DF001")  # what is read once per process
    tracemalloc.start()
    try:
        assert found(text, "DF001") == [
            pip(
                2,
                f"pip install --cache-dir {cache} x",
                f"pip install --cache-dir {cache} x --no-cache-dir",
                mount=f"(or RUN --mount=type=cache,target=/root{cache[1:]})",
            )
        ]
        assert tracemalloc.get_traced_memory()[1] < 1_000_000  # 25 MB when quadratic
    finally:
        tracemalloc.stop()


def test_each_command_of_a_run_is_read_once_for_what_it_empties(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`pip install a && rm -rf /tmp/0 && pip install a && ...`: each command's clean-up is read
    once, and the cache compared once with each folder removed (each install read every later
    command: 1000 installs took 1.65 s)."""
    calls = Counter[str]()
    for name in ("_cleaned", "_covers"):
        real = getattr(df001_pip_cache, name)

        def counted(*args: Any, _real: Any = real, _name: str = name) -> Any:
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(df001_pip_cache, name, counted)
    n = 200
    run = " && ".join(f"pip install a && rm -rf /tmp/{i}" for i in range(n))
    assert found(f"FROM a\nRUN {run}\n", "DF001") == [
        pip(2, "pip install a", "pip install --no-cache-dir a")
    ]
    assert calls == {"_cleaned": 2 * n, "_covers": n}
    calls.clear()
    assert found(f"FROM a\nRUN --mount=type=tmpfs,target=/root/.cache {run}\n", "DF001") == []
    assert calls == {"_cleaned": 2 * n, "_covers": 1}


def test_the_environments_of_a_script_take_linear_space() -> None:
    """Each command's environment was a copy of every variable: 4000 exports took 273 MB."""
    n = 1000
    script = " && ".join(f"export V{i}=1" for i in range(n))
    run = (
        Dockerfile.parse(f"FROM a\nENV E=1\nRUN {script}; A=2 B=3 env\n").stages[0].instructions[1]
    )
    commands = run_commands(run)
    tracemalloc.start()
    try:
        envs = environments(run.scope, commands)
        assert tracemalloc.get_traced_memory()[1] < 2_000_000  # 15 MB when copied
    finally:
        tracemalloc.stop()
    assert envs[0] == Environment({"E": "1"}, frozenset())
    assert envs[1].variables == {"E": "1", "V0": "1"}
    assert dict(envs[-1].variables) == {"A": "2", "B": "3", "E": "1"} | {
        f"V{i}": "1" for i in range(n)
    }
    assert envs[-1].unexported == set()


def test_what_a_child_shell_sets_goes_when_it_ends() -> None:
    text = (
        "FROM a\nENV PIP_NO_CACHE_DIR=1\n"
        "RUN sh -c 'unset PIP_NO_CACHE_DIR; echo sub' && pip install a\n"
        "RUN (unset PIP_NO_CACHE_DIR; echo sub) && pip install b\n"
        "RUN echo $(unset PIP_NO_CACHE_DIR) && pip install c\n"
        "RUN (cd /src && (unset PIP_NO_CACHE_DIR) && pip install d)\n"
        "RUN (unset PIP_NO_CACHE_DIR; pip install e)\n"
        "RUN bash -c 'unset PIP_NO_CACHE_DIR; pip install f'\n"
        "FROM a\nRUN bash -c 'export PIP_NO_CACHE_DIR=1' && pip install g\n"
        "RUN (export PIP_NO_CACHE_DIR=1; pip install h) && pip install i\n"
        "RUN (set -a); PIP_NO_CACHE_DIR=1; pip install j\n"
        "RUN <<EOF\n(\n  export PIP_NO_CACHE_DIR=1\n)\npip install k\nEOF\n"
    )
    unexported = " (PIP_NO_CACHE_DIR is set in the script but not exported, so pip does not see it)"
    assert found(text, "DF001") == [
        pip(7, "pip install e", "pip install --no-cache-dir e"),
        pip(8, "pip install f", "pip install --no-cache-dir f"),
        pip(10, "pip install g", "pip install --no-cache-dir g"),
        pip(11, "pip install i", "pip install --no-cache-dir i"),
        pip(12, "pip install j", "pip install --no-cache-dir j", unexported),
        pip(13, "pip install k", "pip install --no-cache-dir k"),
    ]


def test_parentheses_that_open_no_subshell_keep_the_script_in_its_shell() -> None:
    text = (
        "FROM a\nRUN case $V in *) export PIP_NO_CACHE_DIR=1;; esac; pip install a\n"
        "RUN case $V in (x) echo;; (*) export PIP_NO_CACHE_DIR=1;; esac; pip install b\n"
        "RUN echo $((1 + 2)) && ((n = 1)) && export PIP_NO_CACHE_DIR=1 && pip install c\n"
        "RUN f() { echo; } && A=(1 2) && export PIP_NO_CACHE_DIR=1 && pip install d\n"
        "RUN find / \\( -name x \\) -delete && export PIP_NO_CACHE_DIR=1 && pip install e\n"
    )
    assert found(text, "DF001") == []


def test_commands_are_told_the_child_shells_they_run_in() -> None:
    text = "FROM a\nRUN (a; (b)); c && sh -c 'd; (e)' && $(f) && g\n"
    run = Dockerfile.parse(text).stages[0].instructions[0]
    assert [(c.argv[-1], c.within) for c in run_commands(run)] == [
        ("a", (1,)),
        ("b", (1, 2)),
        ("c", ()),
        ("d", (4,)),  # numbered after the RUN's own subshells, once per RUN all the same
        ("e", (4, 5)),
        ("$", ()),
        ("f", (3,)),
        ("g", ()),
    ]


def test_a_wrapper_that_switches_user_runs_pip_with_that_users_home() -> None:
    root_mount = "RUN --mount=type=cache,target=/root/.cache/pip"
    text = (
        "FROM a\nRUN gosu app pip install --user flask\n"
        f"{root_mount} gosu app pip install --user flask\n"
        f"{root_mount} su-exec app:app pip install b\n{root_mount} sudo -u app pip install c\n"
        f"{root_mount} sudo --user=app pip install d\n{root_mount} doas -u app pip install e\n"
        "RUN --mount=type=cache,target=/root/.cache/uv /usr/sbin/gosu 1000 uv sync\n"
        "RUN gosu app pip install f && rm -rf /root/.cache/pip\n"
    )
    mount = "(or RUN --mount=type=cache,target=<home of app>/.cache/pip)"

    def missed(by: str, user: str = "app") -> str:
        return (
            f" ({by} runs it as {user}, whose home is not /root, so the mount on "
            "/root/.cache/pip misses its cache)"
        )

    assert found(text, "DF001") == [
        pip(2, "pip install --user flask", "pip install --no-cache-dir --user flask", mount=mount),
        pip(
            3,
            "pip install --user flask",
            "pip install --no-cache-dir --user flask",
            missed("gosu"),
            mount,
        ),
        pip(4, "pip install b", "pip install --no-cache-dir b", missed("su-exec"), mount),
        pip(5, "pip install c", "pip install --no-cache-dir c", missed("sudo"), mount),
        pip(6, "pip install d", "pip install --no-cache-dir d", missed("sudo"), mount),
        pip(7, "pip install e", "pip install --no-cache-dir e", missed("doas"), mount),
        (
            8,
            "RUN uv sync keeps uv's cache in the layer (gosu runs it as 1000, whose home is not "
            "/root, so the mount on /root/.cache/uv misses its cache); write uv --no-cache sync "
            "(or ENV UV_NO_CACHE=1, or RUN --mount=type=cache,target=<home of 1000>/.cache/uv)",
        ),
        pip(9, "pip install f", "pip install --no-cache-dir f", mount=mount),
    ]


def test_a_wrapper_that_runs_pip_as_root_or_an_unknown_user_keeps_roots_cache() -> None:
    root_mount = "RUN --mount=type=cache,target=/root/.cache/pip"
    text = (
        f"FROM a\nUSER app\n{root_mount} sudo pip install a\n{root_mount} doas pip install b\n"
        f"{root_mount} sudo -u root pip install c\n{root_mount} gosu 0:0 pip install d\n"
        f"{root_mount} sudo -u '#0' pip install e\n{root_mount} gosu $RUNNER pip install f\n"
        "RUN --mount=type=cache,target=/home/app/.cache/pip gosu app pip install g\n"
        "RUN gosu app pip install h && rm -rf /home/app/.cache\n"
        "ARG RUNNER=root\nRUN --mount=type=cache,target=/root/.cache gosu $RUNNER pip install i\n"
    )
    assert found(text, "DF001") == []
    assert runs_as(("sudo", "-g", "grp", "-uapp", "env", "A=1", "pip")) == ("sudo", "app")
    assert runs_as(["sudo", "gosu", "app:grp", "pip"]) == ("gosu", "app:grp")
    assert runs_as(("env", "-u", "gosu", "pip", "install")) is None
