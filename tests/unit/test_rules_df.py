"""DF001-DF005: the Dockerfile pattern (no pip cache, exec-form CMD, dependencies before source,
a non-root final stage, lean apt installs). Each: compliant, non-compliant, suppressed."""

from __future__ import annotations

from datetime import date

from imagepin.check import check_text
from imagepin.rules import RULES, Settings
from imagepin.rules.shell import program, split_script

ON = Settings(today=date(2026, 11, 25))


def found(text: str, rule: str) -> list[tuple[int, str]]:
    report = check_text(text, ON, [RULES[rule]])
    assert all(v.rule == rule and v.severity is RULES[rule].severity for v in report.violations)
    return [(v.line or 0, v.message) for v in report.violations]


def suppressed(text: str, line: int, rule: str) -> None:
    """Violations of `rule` at `line` disappear when a reasoned comment precedes that line."""
    assert any(at == line for at, _ in found(text, rule))
    lines = text.splitlines(keepends=True)
    lines.insert(line - 1, f"# imagepin: ignore {rule} -- agreed in review\n")
    assert all(at != line + 1 for at, _ in found("".join(lines), rule))


CACHE = "keeps pip's download cache in the layer; write"
MOUNT = "(or RUN --mount=type=cache,target=/root/.cache/pip)"


def test_df001_accepts_no_cache_dir_env_and_cache_mounts() -> None:
    text = (
        "FROM a\nRUN pip install --no-cache-dir -r requirements.txt\n"
        "RUN PIP_NO_CACHE_DIR=1 pip install y\n"
        "RUN --mount=type=cache,target=/root/.cache/pip pip install q\n"
        "ENV PIP_NO_CACHE_DIR=1\nRUN pip install w\n"
    )
    assert found(text, "DF001") == []


UV_CACHE = "keeps uv's cache in the layer; write"
UV_FIX = "(or ENV UV_NO_CACHE=1, or RUN --mount=type=cache,target=/root/.cache/uv)"


def test_df001_accepts_uv_without_its_cache() -> None:
    text = (
        "FROM a\nRUN uv pip install --no-cache --system flask\nRUN uv --no-cache sync --frozen\n"
        "RUN uv -n tool install ruff\nRUN uv -qn sync\nRUN uv pip install --no-cache-dir x\n"
        "RUN UV_NO_CACHE=true uv add httpx\nRUN uv add --frozen httpx && uv sync --help\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv sync\n"
        "RUN --mount=type=cache,target=/root/.cache/ uv pip sync r.txt\n"
        "RUN --mount=type=cache,target=/uvc uv --cache-dir=/uvc/ pip install x\n"
        "RUN uv pip install x && uv cache clean\nRUN uvx ruff check && uv -q cache clear\n"
        "RUN uv sync && rm -rf /root/.cache/uv\nRUN uv run --no-sync app && uv venv /v\n"
        'RUN ["python3", "-m", "uv", "pip", "install", "--no-cache", "x"]\n'
        "FROM a\nENV UV_CACHE_DIR=/cache/uv\nRUN --mount=type=cache,target=/cache uv sync\n"
        "FROM a\nENV XDG_CACHE_HOME=/xdg\nRUN --mount=type=cache,target=/xdg/uv uv sync\n"
        "FROM a\nENV UV_NO_CACHE=1\nRUN /usr/local/bin/uv sync\n"
    )
    assert found(text, "DF001") == []


def test_df001_reads_uv_run_and_uvx_options_with_values_before_the_program() -> None:
    text = (
        "FROM a\nRUN uv run --python 3.12 --no-cache pytest -n 4\n"
        "RUN uv run --with httpx --no-cache python x.py\n"
        "RUN uvx --from ruff==0.5 --no-cache ruff check\nRUN uvx -p 3.12 -n ruff check\n"
        "RUN uv run --no-project python -c 1\n"
        "RUN uv sync && uv cache clean --cache-dir ~/.cache/uv\n"
        "RUN --mount=type=cache,target=/root uv sync\n"
    )
    assert found(text, "DF001") == []
    wrong = "FROM a\nRUN uv pip install -Pnumpy numpy\nRUN uv sync && rm /root/.cache/uv\n"
    assert [line for line, _ in found(wrong, "DF001")] == [2, 3]
    project = "FROM a\nCOPY . .\nRUN uv --no-cache --project . pip install flask\n"
    assert found(project, "DF003") == []


def test_df001_reports_uv_commands_that_keep_its_cache() -> None:
    text = (
        "FROM a\nENV PIP_NO_CACHE_DIR=1 UV_NO_CACHE=0\nRUN uv pip install --system -r r.txt\n"
        "RUN uv cache clean && uv sync --frozen\n"
        "RUN --mount=type=cache,target=/root/.cache/pip uv tool install ruff\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv --cache-dir /c add httpx\n"
        "RUN pip install --no-cache-dir uv && uv pip sync r.txt\n"
        "RUN uv sync && uv cache clean httpx\nRUN uv --cache-dir /c sync && uv cache clean\n"
        "RUN uvx ruff check\nRUN uv run manage.py collectstatic\n"
        "RUN python -m uv --preview-features x pip install y\n"
    )
    assert found(text, "DF001") == [
        (
            3,
            f"RUN uv pip install --system -r r.txt {UV_CACHE} uv --no-cache pip install "
            f"--system -r r.txt {UV_FIX}",
        ),
        (4, f"RUN uv sync --frozen {UV_CACHE} uv --no-cache sync --frozen {UV_FIX}"),
        (5, f"RUN uv tool install ruff {UV_CACHE} uv --no-cache tool install ruff {UV_FIX}"),
        (
            6,
            f"RUN uv --cache-dir /c add httpx {UV_CACHE} uv --no-cache --cache-dir /c add httpx "
            f"{UV_FIX.replace('/root/.cache/uv', '/c')}",
        ),
        (7, f"RUN uv pip sync r.txt {UV_CACHE} uv --no-cache pip sync r.txt {UV_FIX}"),
        (8, f"RUN uv sync {UV_CACHE} uv --no-cache sync {UV_FIX}"),
        (
            9,
            f"RUN uv --cache-dir /c sync {UV_CACHE} uv --no-cache --cache-dir /c sync "
            f"{UV_FIX.replace('/root/.cache/uv', '/c')}",
        ),
        (10, f"RUN uvx ruff check {UV_CACHE} uvx --no-cache ruff check {UV_FIX}"),
        (
            11,
            f"RUN uv run manage.py collectstatic {UV_CACHE} uv --no-cache run manage.py "
            f"collectstatic {UV_FIX}",
        ),
        (
            12,
            f"RUN python -m uv --preview-features x pip install y {UV_CACHE} python -m uv "
            f"--no-cache --preview-features x pip install y {UV_FIX}",
        ),
    ]


def test_df001_reads_the_setting_after_a_wrapper_that_passes_it_on() -> None:
    text = (
        "FROM a\nRUN env PIP_NO_CACHE_DIR=1 pip install e\n"
        "RUN sudo -u app PIP_NO_CACHE_DIR=1 pip3 install s\n"
        "RUN env -u PIP_NO_CACHE_DIR pip install u\nRUN PIP_NO_CACHE_DIR= pip install v\n"
    )
    assert found(text, "DF001") == [
        (4, f"RUN pip install u {CACHE} pip install --no-cache-dir u {MOUNT}"),
        (5, f"RUN pip install v {CACHE} pip install --no-cache-dir v {MOUNT}"),
    ]


def test_df001_reports_each_pip_install_with_the_fixed_command() -> None:
    text = (
        "FROM a\nRUN pip install -r requirements.txt && python -m pip install x\n"
        'RUN ["pip3", "install", "z"]\n'
    )
    assert found(text, "DF001") == [
        (
            2,
            f"RUN pip install -r requirements.txt {CACHE} pip install --no-cache-dir -r "
            f"requirements.txt {MOUNT}",
        ),
        (2, f"RUN python -m pip install x {CACHE} python -m pip install --no-cache-dir x {MOUNT}"),
        (3, f"RUN pip3 install z {CACHE} pip3 install --no-cache-dir z {MOUNT}"),
    ]


def test_df001_reads_heredoc_scripts_but_not_heredoc_input() -> None:
    text = "FROM a\nRUN <<EOF\nset -e\npip install x\nEOF\nRUN python3 <<EOF\npip install y\nEOF\n"
    assert [line for line, _ in found(text, "DF001")] == [2]


def test_df001_reads_commands_inside_shell_keywords_and_wrapper_options() -> None:
    text = (
        "FROM a\nRUN if [ -f requirements.txt ]; then pip install -r requirements.txt; fi\n"
        "RUN for p in a b; do pip install $p; done\nRUN { pip install x; }\n"
        "RUN sudo -u app pip install r\nRUN while ! pip3 install y; do sleep 1; done\n"
    )
    assert found(text, "DF001") == [
        (
            2,
            f"RUN pip install -r requirements.txt {CACHE} pip install --no-cache-dir -r "
            f"requirements.txt {MOUNT}",
        ),
        (3, f"RUN pip install $p {CACHE} pip install --no-cache-dir $p {MOUNT}"),
        (4, f"RUN pip install x {CACHE} pip install --no-cache-dir x {MOUNT}"),
        (
            5,
            f"RUN pip install r {CACHE} pip install --no-cache-dir r "
            "(or RUN --mount=type=cache,target=<home of app>/.cache/pip)",
        ),
        (6, f"RUN pip3 install y {CACHE} pip3 install --no-cache-dir y {MOUNT}"),
    ]


def test_df001_accepts_no_cache_dir_as_a_general_option_before_install() -> None:
    text = (
        "FROM a\nRUN pip --no-cache-dir install flask\n"
        "RUN python -m pip --no-cache-dir install flask\n"
        "RUN pip --proxy http://p:3128 --no-cache-dir install flask\n"
    )
    assert found(text, "DF001") == []
    assert found("FROM a\nRUN pip --proxy http://p:3128 install flask\n", "DF001") == [
        (
            2,
            f"RUN pip --proxy http://p:3128 install flask {CACHE} pip --proxy http://p:3128 "
            f"install --no-cache-dir flask {MOUNT}",
        )
    ]


def test_shell_comments_start_only_at_an_unquoted_word() -> None:
    assert split_script("pip install git+https://h/r.git#egg=r && rm -rf /l/* # done") == [
        ["pip", "install", "git+https://h/r.git#egg=r"],
        ["rm", "-rf", "/l/*"],
    ]
    assert split_script("V=v1 && pip install m==${V#v} && echo $# ${#V} a\\#b;# c") == [
        ["V=v1"],
        ["pip", "install", "m==${V#v}"],
        ["echo", "$#", "${#V}", "a#b"],
    ]
    assert split_script("echo \"a # b\" '#' # c\n# whole line\necho d") == [
        ["echo", "a # b", "#"],
        ["echo", "d"],
    ]


def test_a_hash_inside_a_word_hides_nothing_from_the_rules() -> None:
    text = (
        "FROM a\nRUN apt-get update && apt-get install -y --no-install-recommends git \\\n"
        "    && pip install --no-cache-dir git+https://github.com/o/r.git#egg=r \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "RUN V=v1.2 && pip install --no-cache-dir m==${V#v} && pip install flask\n"
    )
    assert found(text, "DF005") == []
    assert found(text, "DF001") == [
        (
            5,
            "RUN pip install flask keeps pip's download cache in the layer; write "
            f"pip install --no-cache-dir flask {MOUNT}",
        )
    ]


def test_shell_skips_reserved_words_and_the_values_of_wrapper_options() -> None:
    assert split_script("if true; then pip install x; elif false; then :; else { y; }; fi") == [
        ["true"],
        ["pip", "install", "x"],
        ["false"],
        [":"],
        ["y"],
        ["}"],
        ["fi"],
    ]
    assert split_script("echo then do") == [["echo", "then", "do"]]  # only in command position
    cases = {
        ("sudo", "-u", "app", "pip", "install", "r"): ("pip", "install", "r"),
        ("sudo", "--user", "app", "-E", "--", "pip"): ("pip",),
        ("sudo", "--user=app", "-g", "staff", "pip"): ("pip",),
        ("env", "-u", "HOME", "A=1", "pip"): ("pip",),
        ("timeout", "-s", "KILL", "60", "pip"): ("pip",),
        ("gosu", "app", "nice", "-n", "5", "pip"): ("pip",),
        ("time", "-f", "%e", "pip"): ("pip",),
        ("echo", "-u", "x"): ("echo", "-u", "x"),
    }
    assert {argv: program(argv) for argv in cases} == cases


def test_df001_suppressed() -> None:
    suppressed("FROM a\nRUN pip install x\n", 2, "DF001")


SHELL = "is in shell form: it runs under /bin/sh -c, so SIGTERM never reaches Python and a stop"


def test_df002_accepts_exec_form_and_an_explicit_exec() -> None:
    text = 'FROM a\nCMD ["python"]\nENTRYPOINT ["tini", "--"]\nFROM b\nCMD exec python -m app\n'
    assert found(text, "DF002") == []
    assert found("FROM a AS build\nCMD python x\nFROM b\n", "DF002") == []  # not the final stage


def test_df002_reports_the_effective_shell_form_commands_of_the_final_stage() -> None:
    text = "FROM a AS b\nENTRYPOINT python -m app | tee log\nFROM b\nCMD python x\n"
    assert found(text, "DF002") == [
        (
            2,
            f"ENTRYPOINT python -m app | tee log {SHELL} waits for the kill timeout; put the "
            'shell logic in a script and exec it: ENTRYPOINT ["./start.sh"]',
        ),
        (4, f'CMD python x {SHELL} waits for the kill timeout; write CMD ["python", "x"]'),
    ]


def test_df002_rewrites_a_list_that_is_not_json_as_one() -> None:
    text = "FROM a\nCMD ['python', '-m', 'app']\nENTRYPOINT [\"python\", \n"
    taken = "so Docker took it for a shell command; write"
    assert found(text, "DF002") == [
        (
            2,
            f"CMD ['python', '-m', 'app'] {SHELL} waits for the kill timeout; single quotes are "
            f'not JSON (the exec form needs double quotes), {taken} CMD ["python", "-m", "app"]',
        ),
        (
            3,
            f'ENTRYPOINT ["python", {SHELL} waits for the kill timeout; the list is not valid '
            f'JSON, {taken} ENTRYPOINT ["python"]',
        ),
    ]
    assert found("FROM a\nCMD [python, -m, app]\n", "DF002")[0][1].endswith(
        f'the list is not valid JSON, {taken} CMD ["python", "-m", "app"]'
    )
    assert found('FROM a\nCMD ["python\n', "DF002")[0][1].endswith(
        "the list is not valid JSON, so Docker took it for a shell command; write a JSON list "
        'of double-quoted strings: CMD ["python", "app.py"]'
    )
    for test in ("[ -f x ] && python app", '[ "$ENV" = "prod" ] && exec app || exec dev'):
        assert found(f"FROM a\nCMD {test}\n", "DF002")[0][1].endswith(
            'put the shell logic in a script and exec it: CMD ["./start.sh"]'
        )


def test_df002_suppressed() -> None:
    suppressed("FROM a\nCMD python x\n", 2, "DF002")


REINSTALL = "installs dependencies, so every source change reinstalls them; COPY requirements.txt"


def test_df003_accepts_dependencies_first_and_copies_from_stages() -> None:
    text = (
        "FROM a AS build\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        "COPY . .\nRUN pip install --no-deps .\nFROM b\nCOPY --from=build . .\n"
        "RUN pip install -r requirements.txt\n"
    )
    assert found(text, "DF003") == []


def test_df003_reports_source_copied_before_the_install() -> None:
    text = (
        "FROM a\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n"
        "FROM b\nADD . /app\nRUN poetry install\n"
    )
    assert found(text, "DF003") == [
        (
            3,
            "COPY . . (line 3) copies the whole build context before RUN pip install "
            f"--no-cache-dir -r requirements.txt (line 4) {REINSTALL} (or pyproject.toml and "
            "its lock) first, install, then copy the rest",
        ),
        (
            6,
            f"ADD . /app (line 6) copies the whole build context before RUN poetry install "
            f"(line 7) {REINSTALL} (or pyproject.toml and its lock) first, install, then copy "
            "the rest",
        ),
    ]


def test_df003_reads_installs_inside_shell_keywords() -> None:
    text = "FROM a\nCOPY . .\nRUN if [ -f r.txt ]; then pip install -r r.txt; fi\n"
    assert found(text, "DF003") == [
        (
            2,
            f"COPY . . (line 2) copies the whole build context before RUN pip install -r r.txt "
            f"(line 3) {REINSTALL} (or pyproject.toml and its lock) first, install, then copy "
            "the rest",
        )
    ]


def test_df003_reads_uv_installs_like_pip() -> None:
    first = (
        "FROM a\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --frozen --no-install-project\n"
        "COPY . .\nRUN uv sync --frozen\nFROM a\nCOPY . .\nRUN uv pip install --system flask\n"
        "RUN uv pip install --system --no-deps -e .\n"
    )
    assert found(first, "DF003") == []
    text = (
        "FROM a\nCOPY . .\nRUN uv pip install --system -r requirements.txt\n"
        "FROM a\nCOPY . .\nRUN uv --no-cache pip sync requirements.txt\n"
        "FROM a\nCOPY . .\nRUN uv pip install --requirements=r.txt\n"
        "FROM a\nCOPY . .\nRUN pip install --no-cache-dir '.[dev]'\n"
    )
    assert [(line, m.split(" (line")[1]) for line, m in found(text, "DF003")] == [
        (
            2,
            " 2) copies the whole build context before RUN uv pip install --system -r "
            "requirements.txt",
        ),
        (
            5,
            " 5) copies the whole build context before RUN uv --no-cache pip sync requirements.txt",
        ),
        (8, " 8) copies the whole build context before RUN uv pip install --requirements=r.txt"),
        (11, " 11) copies the whole build context before RUN pip install --no-cache-dir .[dev]"),
    ]


def test_df003_suppressed() -> None:
    suppressed("FROM a\nCOPY . .\nRUN uv sync\n", 2, "DF003")


def test_df004_accepts_a_non_root_final_user_also_inherited() -> None:
    assert found("FROM a\nUSER root\nRUN x\nUSER 10001:10001\n", "DF004") == []
    assert found("FROM a AS base\nUSER app\nFROM base\n", "DF004") == []
    assert found("FROM gcr.io/distroless/python3:nonroot\n", "DF004") == []
    assert found('FROM a\nENV APP_UID="10001"\nUSER ${APP_UID}\n', "DF004") == []


def test_df004_reports_root_by_default_or_by_a_last_user_root() -> None:
    assert found("FROM a AS build\nUSER app\nFROM python:3.12-slim-bookworm AS run\n", "DF004") == [
        (
            3,
            "the final stage, stage 1 (run), never sets USER, so it runs as root (the python "
            "image sets no USER); add `RUN useradd --uid 10001 --no-create-home app` and `USER "
            "10001` before CMD",
        )
    ]
    assert found("FROM a\nUSER app\nUSER 0:0\n", "DF004") == [
        (
            3,
            "USER 0:0 (line 3) is the last USER of the final stage, stage 0, so it runs as "
            "root; switch to an unprivileged user (USER 10001) after the steps that need root",
        )
    ]


def test_df004_reports_uid_zero_however_written_and_root_with_an_unknown_group() -> None:
    tail = (
        "so it runs as root; switch to an unprivileged user (USER 10001) after the steps that "
        "need root"
    )
    for user in ("00", "0000", "0:${GID}", "root:$GID", '"0:$GID"', "${U:-0}"):
        assert found(f"FROM a\nUSER {user}\n", "DF004") == [
            (
                2,
                f"USER {user} (line 2) is the last USER of the final stage, stage 0, {tail}",
            )
        ]
    assert found("FROM a\nUSER 10001:$GID\nUSER ${U:-app}:0\n", "DF004") == []
    report = check_text("FROM a\nUSER $U:0\n", ON, [RULES["DF004"]])
    assert report.violations == () and [n.message for n in report.notes] == [
        "USER $U:0 (line 2) is not checked: $U is not set in this Dockerfile (the base image's "
        "ENV may set it), so the user is not known here"
    ]


def test_df004_on_scratch_asks_for_a_numeric_user_not_useradd() -> None:
    assert found("FROM scratch\nCOPY app /app\n", "DF004") == [
        (
            1,
            "the final stage, stage 0, never sets USER, so it runs as root; add `USER 10001` "
            "(scratch has no useradd; a numeric user needs no /etc/passwd)",
        )
    ]


def test_df004_notes_a_user_it_cannot_resolve() -> None:
    report = check_text("FROM a\nARG U\nUSER $U\n", ON, [RULES["DF004"]])
    assert report.violations == ()
    assert [n.message for n in report.notes] == [
        "USER $U (line 3) is not checked: $U has no value here; give it a default so the user "
        "is known"
    ]


def test_df004_suppressed_on_the_from_or_user_line() -> None:
    suppressed("FROM a\nRUN x\n", 1, "DF004")
    suppressed("FROM a\nUSER root\n", 2, "DF004")


LISTS = "leaves /var/lib/apt/lists in the layer (end the same RUN with rm -rf /var/lib/apt/lists/*)"


def test_df005_accepts_lean_installs_and_cache_mounts() -> None:
    text = (
        "FROM a\nRUN apt-get update && apt-get install -y --no-install-recommends x \\\n"
        "    && rm -rf /var/lib/apt/lists/*\n"
        "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get install -y "
        "-o APT::Install-Recommends=false y\n"
    )
    assert found(text, "DF005") == []


def test_df005_reports_recommends_and_lists_separately() -> None:
    text = (
        "FROM a\nRUN apt-get update && apt-get install -y curl\n"
        "RUN apt-get install -y --no-install-recommends git\n"
        "RUN apt install -y vim && rm -rf /var/lib/apt/lists/*\n"
    )
    assert found(text, "DF005") == [
        (
            2,
            "RUN apt-get install -y curl installs recommended packages too (add "
            f"--no-install-recommends) and {LISTS}",
        ),
        (3, f"RUN apt-get install -y --no-install-recommends git {LISTS}"),
        (
            4,
            "RUN apt install -y vim installs recommended packages too (add "
            "--no-install-recommends)",
        ),
    ]


def test_df005_reads_installs_inside_shell_keywords_and_rm_by_path() -> None:
    text = (
        "FROM a\nRUN apt-get update && apt-get install -y --no-install-recommends x \\\n"
        "    && /bin/rm -rf /var/lib/apt/lists/*\n"
        "RUN if true; then apt-get install -y curl; fi\n"
    )
    assert found(text, "DF005") == [
        (
            4,
            "RUN apt-get install -y curl installs recommended packages too (add "
            f"--no-install-recommends) and {LISTS}",
        )
    ]


def test_df005_reads_apt_conf_for_recommends_and_find_delete_for_the_lists() -> None:
    conf = "echo 'APT::Install-Recommends \"false\";' > /etc/apt/apt.conf.d/99lean"
    clean = "find /var/lib/apt/lists -type f -delete"
    text = (
        f"FROM a AS base\nRUN {conf}\nRUN apt-get install -y x && {clean}\n"
        "FROM base\nRUN apt-get install -y y && find /var/lib/apt/lists -exec rm {} +\n"
        "FROM a\nRUN apt-get install -y z && find /var/lib/apt/lists -name '*.gz'\n"
    )
    assert found(text, "DF005") == [
        (
            7,
            "RUN apt-get install -y z installs recommended packages too (add "
            f"--no-install-recommends) and {LISTS}",
        )
    ]


def test_df005_suppressed() -> None:
    suppressed("FROM a\nRUN apt-get install -y x\n", 2, "DF005")


# --- SEC001 (the names it reads as secrets) ---------------------------------------------------


def test_sec001_a_strong_secret_word_wins_over_a_harmless_one() -> None:
    names = [
        "GPG_PRIVATE_KEY", "PGP_PASSWORD", "PUBLIC_KEY_PASSWORD", "OIDC_ID_TOKEN",
        "GPG_PASSPHRASE", "SSH_KEY_PASSPHRASE", "PUBLIC_KEY", "GPG_KEY_ID", "KEYBOARD_LAYOUT",
        "MONKEY", "PASSWORD_FILE", "DB_PASS", "APP_SECRETS", "PASS_THROUGH", "CACHE_KEY",
        "SORT_KEY", "PRIMARY_KEY",
    ]  # fmt: skip
    text = "FROM a\n" + "".join(f"ARG {name}\n" for name in names)
    kept = "build arg values are kept in the image history, readable by anyone who can pull"
    assert found(text, "SEC001") == [
        (
            line,
            f"ARG {name} (line {line}) looks like a secret ({word}); {kept} the image; read it "
            f"from a BuildKit secret instead (RUN --mount=type=secret,id={name.lower()})",
        )
        for line, name, word in [
            (2, "GPG_PRIVATE_KEY", "PRIVATE_KEY"),
            (3, "PGP_PASSWORD", "PASSWORD"),
            (4, "PUBLIC_KEY_PASSWORD", "PASSWORD"),
            (5, "OIDC_ID_TOKEN", "TOKEN"),
            (6, "GPG_PASSPHRASE", "PASSPHRASE"),
            (7, "SSH_KEY_PASSPHRASE", "PASSPHRASE"),
            (13, "DB_PASS", "PASS"),
            (14, "APP_SECRETS", "SECRETS"),
        ]
    ]


def test_commands_inside_sh_c_are_read_like_any_other() -> None:
    text = (
        'FROM a\nRUN bash -o pipefail -c "curl -fsS x | sh && pip install a"\n'
        'RUN ["/bin/sh", "-c", "pip install b && apt-get install -y gcc"]\n'
        "RUN sh -ec \"bash -c 'pip3 install c'\"\n"
        'RUN PIP_NO_CACHE_DIR=1 sh -c "pip install d"\nRUN sh script.sh\nRUN bash -c\n'
    )
    assert found(text, "DF001") == [
        (2, f"RUN pip install a {CACHE} pip install --no-cache-dir a {MOUNT}"),
        (3, f"RUN pip install b {CACHE} pip install --no-cache-dir b {MOUNT}"),
        (4, f"RUN pip3 install c {CACHE} pip3 install --no-cache-dir c {MOUNT}"),
    ]
    assert [line for line, _ in found(text, "DF005")] == [3]
    assert [program(c) for c in split_script('sh -c "x && y"')] == [["sh", "-c", "x && y"]]


def test_sh_c_after_grouped_options_and_assignments_only_where_they_reach_the_program() -> None:
    text = (
        'FROM a\nRUN bash -eo pipefail -c "pip install a"\n'
        'RUN ["/bin/bash", "-euo", "pipefail", "-c", "pip install b"]\n'
        "RUN timeout 10 PIP_NO_CACHE_DIR=1 pip install c\n"
        "RUN sudo -u app PIP_NO_CACHE_DIR=1 timeout 10 pip install d\n"
    )
    assert [line for line, _ in found(text, "DF001")] == [2, 3, 4]


def test_df005_takes_apt_conf_in_command_order_and_only_into_apt_conf_d() -> None:
    conf = "'APT::Install-Recommends \"false\";'"
    lists = "rm -rf /var/lib/apt/lists/*"
    text = (
        f"FROM a AS one\nRUN apt-get install -y a && echo {conf} > /etc/apt/apt.conf.d/9 "
        f"&& {lists}\n"
        f"RUN apt-get install -y b && {lists}\n"
        f"FROM a AS two\nRUN echo {conf} > /tmp/x && apt-get install -y c && {lists}\n"
        f"FROM a AS three\nRUN printf {conf} | tee /etc/apt/apt.conf.d/9\n"
        f"RUN apt-get install -y d && {lists}\n"
        'FROM a AS four\nRUN cat > /etc/apt/apt.conf.d/9 <<EOT\nAPT::Install-Recommends "0";\nEOT\n'
        f"RUN apt-get install -y e && {lists}\n"
        "FROM a AS five\nRUN apt-get install -y --no-install-recommends f && "
        "find / -path /var/lib/apt/lists -prune -o -name '*.pyc' -delete\n"
        "RUN apt-get install -y --no-install-recommends g && "
        "find /var/lib/apt/lists -name lock -delete\n"
    )
    reported = [(line, "recommended" in m, LISTS in m) for line, m in found(text, "DF005")]
    assert reported == [(2, True, False), (5, True, False), (15, False, True), (16, False, True)]
    slow = (
        "FROM a\nRUN echo 'APT::Install-Recommends" + " " * 32000 + "x' > /etc/apt/apt.conf.d/9\n"
    )
    assert found(slow, "DF005") == []  # linear: no backtracking over the spaces
