"""DF001 after the audit: pip's abbreviated options, caches emptied later in the RUN, settings
exported by the script, mounts over the cache where it really is (also for a non-root USER)."""

from __future__ import annotations

from imagepin.rules import pip_options
from imagepin.rules.dockerfile_model import Dockerfile
from imagepin.rules.script_env import Environment, environments
from imagepin.rules.shell import run_commands
from tests.unit.test_rules_df import CACHE, MOUNT, UV_CACHE, UV_FIX, found


def pip(line: int, run: str, fixed: str, why: str = "", mount: str = MOUNT) -> tuple[int, str]:
    """The finding on a `pip install`: `why` goes between the problem and the fix."""
    problem = CACHE.removesuffix("; write")
    return (line, f"RUN {run} {problem}{why}; write {fixed} {mount}")


def test_pip_reads_any_unambiguous_prefix_of_no_cache_dir_as_it() -> None:
    prefixes = ["--no-ca", "--no-cac", "--no-cache", "--no-cache-", "--no-cache-d"]
    prefixes += ["--no-cache-di", "--no-cache-dir"]
    text = "FROM a\n" + "".join(f"RUN pip install {p} mlflow\n" for p in prefixes)
    text += "RUN pip --no-cache install x\nRUN python -m pip install -r r.txt --no-cache\n"
    text += "RUN pip install -qr r.txt --no-ca\n"
    assert found(text, "DF001") == []


def test_pip_no_cache_dir_counts_only_as_an_option_of_that_pip_command() -> None:
    text = (
        "FROM a\nRUN pip install --no-c x\nRUN pip install x -- --no-cache-dir\n"
        "RUN pip install -r --no-cache-dir\nRUN pip install y && pip download --no-cache-dir y\n"
        "RUN pip install --no-cache-dir --cache-dir=/c z\n"
    )
    assert found(text, "DF001") == [
        pip(2, "pip install --no-c x", "pip install --no-cache-dir --no-c x"),
        pip(3, "pip install x -- --no-cache-dir", "pip install --no-cache-dir x -- --no-cache-dir"),
        pip(4, "pip install -r --no-cache-dir", "pip install --no-cache-dir -r --no-cache-dir"),
        pip(5, "pip install y", "pip install --no-cache-dir y"),
        pip(
            6,
            "pip install --no-cache-dir --cache-dir=/c z",
            "pip install --no-cache-dir --cache-dir=/c z --no-cache-dir",
            mount="(or RUN --mount=type=cache,target=/c)",
        ),
    ]


def test_pip_no_cache_dir_variable_with_any_value_disables_the_cache_unless_isolated() -> None:
    text = (
        "FROM a\nENV PIP_NO_CACHE_DIR=0\nRUN pip install a\n"
        "RUN PIP_NO_CACHE_DIR=false pip install b\n"
        "RUN PIP_NO_CACHE_DIR=off pip install c\nRUN pip --isolated install d\n"
        "RUN PIP_NO_CACHE_DIR= pip install e\nRUN pip install --cache-dir /c f\n"
    )
    assert found(text, "DF001") == [
        pip(6, "pip --isolated install d", "pip --isolated install --no-cache-dir d"),
        pip(7, "pip install e", "pip install --no-cache-dir e"),
        pip(
            8,
            "pip install --cache-dir /c f",
            "pip install --cache-dir /c f --no-cache-dir",
            mount="(or RUN --mount=type=cache,target=/c)",
        ),
    ]


def test_pip_options_read_as_optparse_reads_them() -> None:
    assert pip_options.long_option("--no-ca") == "--no-cache-dir"
    assert pip_options.long_option("--no-c") is None  # --no-clean, --no-color, --no-compile
    assert pip_options.long_option("--ca") == "--cache-dir"
    assert pip_options.parse(["install", "-qr", "r.txt", "--index", "u", "x", "--", "-y"]) == (
        (("-q", None), ("-r", "r.txt"), ("--index-url", "u")),
        ("install", "x", "-y"),
    )
    assert pip_options.parse(["-rr.txt", "--ca=/c", "--upgrade"]).options == (
        ("-r", "r.txt"),
        ("--cache-dir", "/c"),
        ("--upgrade", None),
    )
    env = {"PIP_CACHE_DIR": "/p", "XDG_CACHE_HOME": "/x"}
    assert pip_options.cache_dir(["install", "a"], {}) == "~/.cache/pip"
    assert pip_options.cache_dir(["install", "a"], {"XDG_CACHE_HOME": "/x/"}) == "/x/pip"
    assert pip_options.cache_dir(["install", "a"], env) == "/p"
    assert pip_options.cache_dir(["--isolated", "install", "a"], env) == "/x/pip"
    assert pip_options.cache_dir(["install"], env | {"PIP_NO_CACHE_DIR": "0"}) is None
    assert pip_options.cache_dir(["install", "--no-cache-dir", "--cache", "/c"], {}) == "/c"


def test_a_pip_cache_emptied_later_in_the_run_is_not_reported() -> None:
    text = (
        "FROM a\nRUN pip install -r r.txt && rm -rf /root/.cache/pip\n"
        "RUN pip install a && rm -rf ~/.cache/pip\nRUN pip install b && rm -rf $HOME/.cache/pip\n"
        "RUN pip install c && rm -rf /root/.cache\nRUN pip install d; rm -fr ~/.cache/*\n"
        "RUN pip install flask && pip cache purge\nRUN pip install e && pip cache remove '*'\n"
        "RUN pip install --cache-dir /c f && pip --cache-dir=/c/ cache purge\n"
        "ENV PIP_CACHE_DIR=/var/cache/pip\nRUN pip install g && rm -rf /var/cache/pip\n"
    )
    assert found(text, "DF001") == []


def test_only_what_empties_that_pip_cache_counts() -> None:
    text = (
        "FROM a\nRUN pip install a && pip cache remove flask\n"
        "RUN pip install b && rm /root/.cache/pip\n"
        "RUN rm -rf /root/.cache/pip && pip install c\nRUN pip install d && uv cache clean\n"
        "RUN pip install e && rm -rf /root/.cache/uv\n"
        "RUN pip install --cache-dir /c f && pip cache purge\n"
    )
    assert found(text, "DF001") == [
        pip(2, "pip install a", "pip install --no-cache-dir a"),
        pip(3, "pip install b", "pip install --no-cache-dir b"),
        pip(4, "pip install c", "pip install --no-cache-dir c"),
        pip(5, "pip install d", "pip install --no-cache-dir d"),
        pip(6, "pip install e", "pip install --no-cache-dir e"),
        pip(
            7,
            "pip install --cache-dir /c f",
            "pip install --cache-dir /c f --no-cache-dir",
            mount="(or RUN --mount=type=cache,target=/c)",
        ),
    ]


def test_settings_exported_earlier_in_the_run_count_in_order() -> None:
    text = (
        "FROM a\nRUN export PIP_NO_CACHE_DIR=1 && pip install -r requirements.txt\n"
        "RUN PIP_NO_CACHE_DIR=1; export PIP_NO_CACHE_DIR; pip install a\n"
        "RUN export PIP_NO_CACHE_DIR; PIP_NO_CACHE_DIR=1; pip install b\n"
        "RUN set -a; PIP_NO_CACHE_DIR=1; pip install c\nRUN declare -x UV_NO_CACHE=1; uv sync\n"
        "RUN <<EOF\nexport UV_NO_CACHE=1\nuv pip install --system -r requirements.txt\nEOF\n"
        'RUN sh -c "export PIP_NO_CACHE_DIR=1 && pip install d"\n'
    )
    assert found(text, "DF001") == []


def test_settings_the_script_does_not_export_or_takes_back_are_reported() -> None:
    text = (
        "FROM a\nRUN PIP_NO_CACHE_DIR=1; pip install a\n"
        "RUN export PIP_NO_CACHE_DIR=1 && unset PIP_NO_CACHE_DIR && pip install b\n"
        "RUN pip install c && export PIP_NO_CACHE_DIR=1\nRUN UV_NO_CACHE=1 && uv sync\n"
        "FROM a\nENV PIP_NO_CACHE_DIR=1\nRUN unset PIP_NO_CACHE_DIR; pip install d\n"
        "RUN export PIP_NO_CACHE_DIR=; pip install e\n"
    )
    unexported = " (PIP_NO_CACHE_DIR is set in the script but not exported, so pip does not see it)"
    assert found(text, "DF001") == [
        pip(2, "pip install a", "pip install --no-cache-dir a", unexported),
        pip(3, "pip install b", "pip install --no-cache-dir b"),
        pip(4, "pip install c", "pip install --no-cache-dir c"),
        (
            5,
            "RUN uv sync keeps uv's cache in the layer (UV_NO_CACHE is set in the script but not "
            f"exported, so uv does not see it); write uv --no-cache sync {UV_FIX}",
        ),
        pip(8, "pip install d", "pip install --no-cache-dir d"),
        pip(9, "pip install e", "pip install --no-cache-dir e"),
    ]


def test_environments_follow_the_script() -> None:
    text = (
        "FROM a\nENV E=1\nRUN true; A=1; export B=2; set -o allexport; C=3; set +a; D=4; unset E; "
        "export -n B; F=5 env\n"
    )
    run = Dockerfile.parse(text).stages[0].instructions[1]
    envs = environments(run.scope, run_commands(run))
    assert envs[-1] == Environment({"C": "3", "F": "5"}, frozenset({"A", "B", "D"}))
    assert envs[0] == Environment({"E": "1"}, frozenset())


def test_mounts_over_the_cache_where_it_is_keep_it_out_of_the_layer() -> None:
    text = (
        "FROM a\nRUN --mount=type=cache,target=/root/.cache/ pip install -r requirements.txt\n"
        "RUN --mount=type=tmpfs,target=/root/.cache/pip pip install a\n"
        "RUN --mount=type=tmpfs,target=/root/.cache/uv uv sync\n"
        "RUN --mount=type=cache,target=/c pip install --cache-dir /c b\n"
        "RUN --mount=type=cache,target=/c pip --cache-dir=/c/pip install c\n"
        "ENV PIP_CACHE_DIR=/var/cache/build\n"
        "RUN --mount=type=cache,target=/var/cache/build pip install -r requirements.txt\n"
        "FROM a\nENV XDG_CACHE_HOME=/xdg\nRUN --mount=type=cache,target=/xdg pip install d\n"
    )
    assert found(text, "DF001") == []


def test_a_mount_elsewhere_than_the_cache_does_not_count() -> None:
    text = (
        "FROM a\nRUN --mount=type=secret,id=s,target=/root/.cache/pip pip install a\n"
        "RUN --mount=type=cache,target=/root/.cache/pip pip install --cache-dir /c b\n"
        "RUN --mount=type=cache,target=/pipcache pip install c\n"
        "ENV PIP_CACHE_DIR=/var/cache/build\n"
        "RUN --mount=type=cache,target=/root/.cache/pip pip install d\n"
    )
    assert found(text, "DF001") == [
        pip(2, "pip install a", "pip install --no-cache-dir a"),
        pip(
            3,
            "pip install --cache-dir /c b",
            "pip install --cache-dir /c b --no-cache-dir",
            mount="(or RUN --mount=type=cache,target=/c)",
        ),
        pip(4, "pip install c", "pip install --no-cache-dir c"),
        pip(
            6,
            "pip install d",
            "pip install --no-cache-dir d",
            mount="(or RUN --mount=type=cache,target=/var/cache/build)",
        ),
    ]


NONROOT = "it runs as USER app, whose home is not /root"


def test_a_mount_under_root_misses_the_cache_of_a_non_root_user() -> None:
    text = (
        "FROM python:3.12-slim-bookworm AS base\nRUN useradd --create-home --uid 10001 app\n"
        "USER app\n"
        "RUN --mount=type=cache,target=/root/.cache/pip pip install --user -r requirements.txt\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv sync\n"
        "FROM base\nRUN pip install --user x && rm -rf /root/.cache/pip\n"
        "USER 10001\nRUN --mount=type=tmpfs,target=/root/.cache pip install y\n"
    )
    home = "(or RUN --mount=type=cache,target=<home of USER app>/.cache/pip)"
    assert found(text, "DF001") == [
        pip(
            4,
            "pip install --user -r requirements.txt",
            "pip install --no-cache-dir --user -r requirements.txt",
            f" ({NONROOT}, so the mount on /root/.cache/pip misses its cache)",
            home,
        ),
        (
            5,
            f"RUN uv sync keeps uv's cache in the layer ({NONROOT}, so the mount on "
            "/root/.cache/uv misses its cache); write uv --no-cache sync (or ENV UV_NO_CACHE=1, "
            "or RUN --mount=type=cache,target=<home of USER app>/.cache/uv)",
        ),
        pip(7, "pip install --user x", "pip install --no-cache-dir --user x", mount=home),
        pip(
            9,
            "pip install y",
            "pip install --no-cache-dir y",
            " (it runs as USER 10001, whose home is not /root, so the mount on /root/.cache "
            "misses its cache)",
            home.replace("USER app", "USER 10001"),
        ),
    ]


def test_a_non_root_user_is_not_reported_when_the_mount_may_be_its_cache() -> None:
    text = (
        "FROM a AS base\nUSER app\nFROM base\n"
        "RUN --mount=type=cache,target=/home/app/.cache/pip pip install a\n"
        "RUN --mount=type=cache,target=/root/.cache/pip "
        "pip install --cache-dir /root/.cache/pip b\n"
        "RUN --mount=type=cache,target=/root/.cache/uv UV_CACHE_DIR=/root/.cache/uv uv sync\n"
        "RUN pip install c && rm -rf ~/.cache/pip\nRUN uv sync && uv cache clean\n"
        "RUN --mount=type=cache,target=/root/.cache/pip gosu root pip install d\n"
        "RUN --mount=type=cache,target=/root/.cache/pip HOME=/root pip install e\n"
        "FROM a\nARG APP_USER\nUSER $APP_USER\n"
        "RUN --mount=type=cache,target=/root/.cache/pip pip install f\n"
        "FROM a\nUSER root\nRUN --mount=type=cache,target=/root/.cache/pip pip install g\n"
        "FROM a\nUSER 10001\nRUN --mount=type=cache,target=/.cache/pip pip install h\n"
    )
    assert found(text, "DF001") == []


def test_env_home_says_where_the_cache_is() -> None:
    text = (
        "FROM a\nUSER app\nENV HOME=/home/app\n"
        "RUN --mount=type=cache,target=/home/app/.cache pip install a\n"
        "RUN --mount=type=cache,target=/root/.cache/pip pip install b\n"
        "FROM a\nENV HOME=/srv\nRUN --mount=type=cache,target=/root/.cache/uv uv sync\n"
    )
    assert found(text, "DF001") == [
        pip(
            5,
            "pip install b",
            "pip install --no-cache-dir b",
            " (HOME is /home/app, so the mount on /root/.cache/pip misses its cache)",
            "(or RUN --mount=type=cache,target=/home/app/.cache/pip)",
        ),
        (
            8,
            f"RUN uv sync {UV_CACHE.removesuffix('; write')} (HOME is /srv, so the mount on "
            "/root/.cache/uv misses its cache); write uv --no-cache sync "
            f"{UV_FIX.replace('/root/', '/srv/')}",
        ),
    ]


def test_the_audit_repros() -> None:
    r02 = "FROM python:3.12-slim-bookworm\nRUN pip install --no-cache mlflow\nUSER 10001\n"
    r03 = (
        "FROM python:3.12-slim-bookworm\n"
        "RUN pip install -r requirements.txt && rm -rf /root/.cache/pip\n"
        "RUN pip install flask && pip cache purge\nUSER 10001\n"
    )
    r05 = (
        "FROM python:3.12-slim-bookworm\n"
        "RUN export PIP_NO_CACHE_DIR=1 && pip install -r requirements.txt\n"
        "RUN --mount=type=cache,target=/root/.cache/ pip install -r requirements.txt\n"
        "ENV PIP_CACHE_DIR=/var/cache/build\n"
        "RUN --mount=type=cache,target=/var/cache/build pip install -r requirements.txt\n"
        "RUN <<EOF\nexport UV_NO_CACHE=1\nuv pip install --system -r requirements.txt\nEOF\n"
        "USER 10001\n"
    )
    assert found(r02, "DF001") == found(r03, "DF001") == found(r05, "DF001") == []
