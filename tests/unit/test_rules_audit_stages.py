"""DF002-DF004 across the stages a final stage is built FROM: the CMD/ENTRYPOINT BuildKit leaves
in the image, dependencies installed in a parent stage, and who a stage without USER (or with an
empty USER) runs as. Each: compliant and non-compliant, exact messages."""

from __future__ import annotations

from datetime import date

from imagepin.check import check_text
from imagepin.rules import RULES, Settings

ON = Settings(today=date(2026, 11, 25))
SHELL = "is in shell form: it runs under /bin/sh -c, so SIGTERM never reaches Python and a stop"
REINSTALL = "installs dependencies, so every source change reinstalls them; COPY requirements.txt"
TAIL = "(or pyproject.toml and its lock) first, install, then copy the rest"
USERADD = "add `RUN useradd --uid 10001 --no-create-home app` and `USER 10001` before CMD"


def found(text: str, rule: str, **build: str) -> list[tuple[int, str]]:
    report = check_text(text, ON, [RULES[rule]], build_args=build or None)
    assert all(v.rule == rule and v.severity is RULES[rule].severity for v in report.violations)
    return [(v.line or 0, v.message) for v in report.violations]


def notes(text: str, rule: str) -> list[tuple[int, str]]:
    report = check_text(text, ON, [RULES[rule]])
    assert report.violations == ()
    return [(n.line or 0, n.message) for n in report.notes]


# DF002: what BuildKit leaves in the image


def test_df002_skips_a_parent_cmd_that_a_later_entrypoint_discards() -> None:
    repro = (
        "FROM python:3.12-slim-bookworm AS base\nCMD python app.py\n\nFROM base\n"
        'ENTRYPOINT ["python", "-m", "app"]\nUSER 10001\n'
    )
    assert found(repro, "DF002") == []
    chain = 'FROM a AS b\nCMD python x\nFROM b AS c\nRUN true\nFROM c\nENTRYPOINT ["app"]\n'
    assert found(chain, "DF002") == []  # also through a stage that sets neither
    replaced = 'FROM a AS b\nENTRYPOINT python -m app\nFROM b\nENTRYPOINT ["python", "-m", "app"]\n'
    assert found(replaced, "DF002") == []


def test_df002_keeps_a_cmd_its_own_stage_set_before_or_after_the_entrypoint() -> None:
    before = 'FROM a\nCMD python x\nENTRYPOINT ["tini", "--"]\n'
    assert found(before, "DF002") == [
        (2, f'CMD python x {SHELL} waits for the kill timeout; write CMD ["python", "x"]')
    ]
    after = "FROM a\nENTRYPOINT python -m app\nCMD python x\n"
    assert [line for line, _ in found(after, "DF002")] == [2, 3]
    child = 'FROM a AS b\nCMD python x\nFROM b\nCMD python y\nENTRYPOINT ["tini", "--"]\n'
    assert found(child, "DF002") == [
        (4, f'CMD python y {SHELL} waits for the kill timeout; write CMD ["python", "y"]')
    ]


def test_df002_keeps_what_a_stage_without_entrypoint_inherits() -> None:
    text = "FROM a AS b\nCMD python x\nENTRYPOINT python -m app\nFROM b\nRUN true\n"
    assert found(text, "DF002") == [
        (2, f'CMD python x {SHELL} waits for the kill timeout; write CMD ["python", "x"]'),
        (
            3,
            f"ENTRYPOINT python -m app {SHELL} waits for the kill timeout; write ENTRYPOINT "
            '["python", "-m", "app"]',
        ),
    ]
    # a parent's ENTRYPOINT stays when the child only sets CMD
    text = 'FROM a AS b\nENTRYPOINT python -m app\nFROM b\nCMD ["--port", "80"]\n'
    assert [line for line, _ in found(text, "DF002")] == [2]


def test_df002_leaves_an_exec_form_shell_alone() -> None:
    """`sh -c "gunicorn app"` in exec form is not flagged: whether the shell stays between Docker
    and Python depends on the shell (bash and BusyBox ash exec a lone simple command in its
    place), which the Dockerfile does not tell."""
    assert found('FROM a\nCMD ["sh", "-c", "gunicorn app"]\n', "DF002") == []


# DF003: installs in the stages a stage is built FROM


def test_df003_sees_dependencies_installed_in_the_parent_stage() -> None:
    repro = (
        "FROM python:3.12-slim-bookworm AS deps\nCOPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n\nFROM deps\nCOPY . .\n"
        "RUN pip install --no-cache-dir .\nUSER 10001\n"
    )
    assert found(repro, "DF003") == []
    grandparent = (
        "FROM a AS deps\nCOPY pyproject.toml uv.lock ./\n"
        "RUN uv sync --frozen --no-install-project\nFROM deps AS tools\nRUN true\n"
        "FROM tools\nCOPY . .\nRUN uv sync --frozen\n"
    )
    assert found(grandparent, "DF003") == []


def test_df003_ignores_installs_in_unrelated_stages() -> None:
    text = (
        "FROM a AS deps\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        "FROM a\nCOPY . .\nRUN pip install .\n"
    )
    assert found(text, "DF003") == [
        (
            5,
            f"COPY . . (line 5) copies the whole build context before RUN pip install . (line 6) "
            f"{REINSTALL} {TAIL}",
        )
    ]


def test_df003_reports_a_parent_copy_before_a_child_install_once_per_install() -> None:
    text = "FROM a AS src\nCOPY . /src\nFROM src\nRUN pip install -r /src/requirements.txt\n"
    assert found(text, "DF003") == [
        (
            2,
            "COPY . /src (line 2) copies the whole build context before RUN pip install -r "
            f"/src/requirements.txt (line 4) {REINSTALL} {TAIL}",
        )
    ]
    parent = "FROM a AS b\nCOPY . .\nRUN pip install -r r.txt\nFROM b\nRUN pip install .\nFROM b\n"
    assert found(parent, "DF003") == [
        (
            2,
            f"COPY . . (line 2) copies the whole build context before RUN pip install -r r.txt "
            f"(line 3) {REINSTALL} {TAIL}",
        )
    ]


# DF004: who a final stage runs as


def test_df004_does_not_claim_root_for_a_base_that_may_set_a_user() -> None:
    text = (
        "FROM mambaorg/micromamba:2.1.0\nCOPY env.yaml /tmp/env.yaml\n"
        'RUN micromamba install -y -n base -f /tmp/env.yaml\nCMD ["python", "app.py"]\n'
    )
    assert found(text, "DF004") == [
        (
            1,
            "the final stage, stage 0, never sets USER, so it runs as the base image's user "
            f"(root unless mambaorg/micromamba:2.1.0 sets one); make it explicit: {USERADD}, or "
            "USER the base image's own unprivileged user",
        )
    ]
    args = "ARG BASE=ghcr.io/acme/py:1\nFROM $BASE AS run\n"
    assert found(args, "DF004") == [
        (
            2,
            "the final stage, stage 0 (run), never sets USER, so it runs as the base image's "
            "user (root unless ghcr.io/acme/py:1 (written $BASE) sets one); make it explicit: "
            f"{USERADD}, or USER the base image's own unprivileged user",
        )
    ]


def test_df004_says_root_for_the_python_image_and_scratch() -> None:
    text = "FROM python:3.12-slim-bookworm AS base\nFROM base\nCMD python\n"
    assert found(text, "DF004") == [
        (
            2,
            "the final stage, stage 1, never sets USER, so it runs as root (the python image "
            f"sets no USER); {USERADD}",
        )
    ]
    assert found("FROM scratch\n", "DF004")[0][1].startswith(
        "the final stage, stage 0, never sets USER, so it runs as root; add `USER 10001`"
    )


EMPTY = (
    "and names no user once expanded, so it runs as root; switch to an unprivileged user "
    "(USER 10001) after the steps that need root"
)


def test_df004_reports_a_user_that_expands_to_nothing() -> None:
    repro = (
        'FROM python:3.12-slim-bookworm\nARG APP_USER=""\nUSER ${APP_USER}\n'
        'CMD ["python", "app.py"]\n'
    )
    assert found(repro, "DF004") == [
        (3, f"USER ${{APP_USER}} (line 3) is the last USER of the final stage, stage 0, {EMPTY}")
    ]
    for user in ('""', ":1000", "${APP_USER:-}"):
        assert found(f"FROM a\nARG APP_USER=\nUSER {user}\n", "DF004") == [
            (3, f"USER {user} (line 3) is the last USER of the final stage, stage 0, {EMPTY}")
        ]
    # an empty USER also drops a user set before it (in a parent stage)
    parent = "FROM a AS b\nUSER app\nFROM b\nENV WHO=\nUSER $WHO\n"
    assert [line for line, _ in found(parent, "DF004")] == [5]
    assert found(repro, "DF004", APP_USER="10001") == []


def test_df004_notes_a_user_whose_value_is_not_known_here() -> None:
    assert notes("FROM a\nARG USER_NAME\nUSER ${USER_NAME}\n", "DF004") == [
        (
            3,
            "USER ${USER_NAME} (line 3) is not checked: $USER_NAME has no value here; give it a "
            "default so the user is known",
        )
    ]
    for user in ("$MAMBA_USER", "${MAMBA_USER:-}"):
        assert notes(f"FROM mambaorg/micromamba:2.1.0\nUSER {user}\n", "DF004") == [
            (
                2,
                f"USER {user} (line 2) is not checked: $MAMBA_USER is not set in this Dockerfile "
                "(the base image's ENV may set it), so the user is not known here",
            )
        ]
