"""Audit fixes: DF005 takes `apt-get dist-clean` and a removal of a directory above the lists for
cleaning them; SEC001 leaves an ENV that stores nothing secret alone and reports a secret-looking
name set to a written-out value in a command line (`RUN GITHUB_TOKEN=ghp_... pip install`), or a
token in a known format anywhere; `redact` masks both in every message."""

from __future__ import annotations

from imagepin.check import check_text
from imagepin.rules import RULES, Settings
from imagepin.rules.credentials import credentials, redact, shown

GH = "ghp_" + "abcdefghijklmnopqrstuvwxyz0123456789"
PYPI = "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoaWprbG1ub3BxcnN0"


def found(text: str, rule: str) -> list[tuple[int, str]]:
    report = check_text(text, Settings(), [RULES[rule]])
    assert all(v.rule == rule and v.severity is RULES[rule].severity for v in report.violations)
    return [(v.line or 0, v.message) for v in report.violations]


# --- DF005 ------------------------------------------------------------------------------------

INSTALL = "apt-get update && apt-get install -y --no-install-recommends curl"
LISTS = "leaves /var/lib/apt/lists in the layer (end the same RUN with rm -rf /var/lib/apt/lists/*)"


def test_df005_accepts_apt_get_dist_clean() -> None:
    """apt 2.7.8+ `distclean` (alias `dist-clean`, in apt-get and apt) removes the lists but
    the Release files (apt-get(8)); docker-library/python's trixie images end their RUNs so."""
    cleans = [
        "apt-get dist-clean",
        "apt-get distclean",
        "apt dist-clean",
        "apt-get -qq dist-clean",
        "apt-get -o Debug::NoLocking=1 dist-clean",
        "sudo /usr/bin/apt-get dist-clean",
    ]
    text = "FROM a\n" + "".join(f"RUN {INSTALL} && {clean}\n" for clean in cleans)
    assert found(text, "DF005") == []


def test_df005_accepts_removing_the_lists_or_a_directory_above_them() -> None:
    removals = [
        "rm -rf /var/lib/apt/lists/*",
        "rm -rf /var/lib/apt/lists/",
        "rm -r /var/lib/apt/lists",
        "rm -f /var/lib/apt/lists/*",  # files only: the lists are files
        "rm -rf /var/lib/apt",
        "rm -rf /var/lib/apt/",
        "rm -rf /var/lib/apt/*",
        "rm --recursive --force /var/lib/apt",
        "rm -Rf /var/lib/*",  # takes dpkg's database too, but the lists are gone
        "rm -rf /var",
        "find /var/lib/apt -type f -delete",
        "find /var/lib/apt/ /var/cache/apt/ -type f -delete",
    ]
    text = "FROM a\n" + "".join(f"RUN {INSTALL} && {removal}\n" for removal in removals)
    assert found(text, "DF005") == []


def test_df005_still_reports_what_leaves_the_lists() -> None:
    leaves = [
        "apt-get clean",  # the downloaded .debs only
        "apt-get autoclean",
        "apt-get -s dist-clean",  # simulates
        "rm -f /var/lib/apt",  # rm refuses a directory without -r
        "rm -f /var/lib/apt/*",  # the files directly there; lists/ is a directory
        "rm -rf /var/lib/apt/lists.old",
        "rm -rf /var/cache/apt/* /var/lib/dpkg/info/*.list",
        "rm -rf /",  # refused (--preserve-root)
        "find /var/lib/apt -name '*.bin' -delete",
        "echo apt-get dist-clean",
    ]
    text = "FROM a\n" + "".join(f"RUN {INSTALL} && {leave}\n" for leave in leaves)
    text += f"RUN {INSTALL}\nRUN apt-get dist-clean\n"  # another layer keeps them
    message = f"RUN apt-get install -y --no-install-recommends curl {LISTS}"
    assert found(text, "DF005") == [(line, message) for line in [*range(2, 12), 12]]


def test_df005_on_the_audits_trixie_dockerfile() -> None:
    text = (
        "FROM python:3.12-slim-trixie\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends curl && "
        "apt-get dist-clean\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends git && "
        "rm -rf /var/lib/apt\n"
        "USER 10001\n"
    )
    assert found(text, "DF005") == []


# --- SEC001: ENV values that store nothing secret ------------------------------------------


def kept(instruction: str, name: str, line: int, word: str) -> str:
    where = (
        "build arg values are kept in the image history"
        if instruction == "ARG"
        else "ENV values are stored in the image config"
    )
    return (
        f"{instruction} {name} (line {line}) looks like a secret ({word}); {where}, readable "
        "by anyone who can pull the image; read it from a BuildKit secret instead "
        f"(RUN --mount=type=secret,id={name.lower()})"
    )


def test_sec001_leaves_an_env_set_to_nothing_a_path_or_a_switch_alone() -> None:
    """An ENV is stored as written: empty, it blanks a variable the container gets when it
    starts; a path says where a secret is; 1 or true switches something. An ARG is reported
    whatever its default: its value is passed at build time and kept in the image history."""
    text = (
        "FROM a\n"
        'ENV OPENAI_API_KEY="" \\\n    WEBUI_SECRET_KEY=""\n'
        "ENV HF_TOKEN= PLAIN=1\n"
        "ENV DB_PASSWORD ''\n"
        "ENV GOOGLE_APPLICATION_CREDENTIALS=/run/secrets/sa.json\n"
        "ENV HF_HUB_DISABLE_IMPLICIT_TOKEN=1 SKIP_PASSWORD_CHECK=True\n"
        "ENV API_TOKEN=t1\n"
        "ARG NPM_TOKEN\n"
        "ENV NPM_TOKEN=${NPM_TOKEN}\n"
        'ARG GH_TOKEN=""\n'
        "ARG SSL_KEY=/etc/ssl/private/key.pem\n"
    )
    assert found(text, "SEC001") == [
        (8, kept("ENV", "API_TOKEN", 8, "TOKEN")),
        (9, kept("ARG", "NPM_TOKEN", 9, "TOKEN")),
        (10, kept("ENV", "NPM_TOKEN", 10, "TOKEN")),
        (11, kept("ARG", "GH_TOKEN", 11, "TOKEN")),
        (12, kept("ARG", "SSL_KEY", 12, "KEY")),
    ]


# --- SEC001: secrets set in a command line -------------------------------------------------

HISTORY = "which is stored in the image history, readable by anyone who can pull the image"
CONFIG = "which is stored in the image config, readable by anyone who can pull the image"


def set_in_run(line: int, name: str, word: str) -> tuple[int, str]:
    return (
        line,
        f"RUN (line {line}) sets {name}, a secret by its name ({word}), to a value written into "
        f"its command line, {HISTORY}; read it from a BuildKit secret instead "
        f"(RUN --mount=type=secret,id={name.lower()},env={name})",
    )


def test_sec001_reports_a_secret_set_to_a_written_value_in_a_command_line() -> None:
    text = (
        "FROM a\n"
        f"RUN GITHUB_TOKEN={GH} pip install --no-cache-dir -r requirements.txt\n"
        "RUN export NPM_TOKEN=abc123 && npm ci\n"
        "RUN env apiKey='k-1' ./build.sh && declare -x DB_PASSWORD=\"s3cr3t\"\n"
        'RUN sh -c "SECRET_KEY=k9-s3cret python manage.py collectstatic"\n'
        "RUN <<EOF\nexport PASSWORD=hunter2\nEOF\n"
        "CMD DB_PASSWORD=x ./app\n"
        'ENTRYPOINT ["env", "API_KEY=abc", "app"]\n'
    )
    at_start = "when the container starts, from the platform's secrets"
    assert found(text, "SEC001") == [
        set_in_run(2, "GITHUB_TOKEN", "TOKEN"),
        set_in_run(3, "NPM_TOKEN", "TOKEN"),
        set_in_run(4, "apiKey", "KEY"),
        set_in_run(4, "DB_PASSWORD", "PASSWORD"),
        set_in_run(5, "SECRET_KEY", "SECRET"),
        set_in_run(6, "PASSWORD", "PASSWORD"),
        (
            9,
            "CMD (line 9) sets DB_PASSWORD, a secret by its name (PASSWORD), to a value written "
            f"into its command line, {CONFIG}; pass it {at_start}",
        ),
        (
            10,
            "ENTRYPOINT (line 10) sets API_KEY, a secret by its name (KEY), to a value written "
            f"into its command line, {CONFIG}; pass it {at_start}",
        ),
    ]


def test_sec001_takes_no_variable_command_empty_value_or_path_for_a_written_secret() -> None:
    text = (
        "FROM a\n"
        "RUN NPM_TOKEN=$NPM_TOKEN npm ci && TOKEN=${TOKEN:-} make\n"
        'RUN --mount=type=secret,id=t TOKEN="$(cat /run/secrets/t)" ./fetch.sh\n'
        "RUN --mount=type=secret,id=k OPENAI_API_KEY=$(cat /run/secrets/k) && export "
        "OPENAI_API_KEY\n"
        "RUN TOKEN=`cat /run/secrets/t` ./fetch.sh\n"
        'RUN GITHUB_TOKEN= pip install x && API_KEY="" ./build.sh\n'
        "RUN GOOGLE_APPLICATION_CREDENTIALS=/run/secrets/sa.json python seed.py\n"
        "RUN PASSWORD_FILE=pw.txt DEBIAN_FRONTEND=noninteractive ./setup.sh\n"
        "RUN sed -i 's/^PASSWORD=.*/PASSWORD=/' /etc/app.conf\n"
        "RUN HF_HUB_DISABLE_IMPLICIT_TOKEN=1 python -c 'import x'\n"
        "RUN APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE=DontWarn apt-key adv --fetch-keys k.asc\n"
        "RUN pip install pypi-simple-index-mirror-client-library\n"
    )
    assert found(text, "SEC001") == []


def test_sec001_reads_a_token_in_a_known_format_anywhere_in_a_command_line() -> None:
    npm = "npm_" + "A1b2C3d4" * 4
    text = (
        "FROM a\n"
        f"RUN echo {GH} | gh auth login --with-token\n"
        f"RUN twine upload -u __token__ -p {PYPI} dist/*\n"
        f"RUN GITHUB_TOKEN={GH} pip install x && echo //registry.npmjs.org/:_authToken={npm} "
        "> .npmrc\n"
        f"ENV GIT_REF=glpat-{'z' * 20}\n"
    )
    history = f"{HISTORY}; read them from a BuildKit secret instead"
    assert found(text, "SEC001") == [
        (
            2,
            "RUN (line 2) writes credentials as a GitHub token into its command line, "
            f"{history} (RUN --mount=type=secret,id=credentials)",
        ),
        (
            3,
            "RUN (line 3) writes credentials as a PyPI token into its command line, "
            f"{history} (RUN --mount=type=secret,id=credentials)",
        ),
        set_in_run(4, "GITHUB_TOKEN", "TOKEN"),  # its value is not reported again as a token
        (
            4,
            "RUN (line 4) writes credentials as an npm token into its command line, "
            f"{history} (RUN --mount=type=secret,id=credentials)",
        ),
        (
            5,
            "ENV GIT_REF (line 5) carries credentials as a GitLab token; ENV values are stored "
            "in the image config; pass the value as a BuildKit secret instead "
            "(RUN --mount=type=secret,id=git_ref)",
        ),
    ]


# --- redact: no message quotes these ----------------------------------------------------------


def test_df003_quotes_the_run_line_with_the_token_masked() -> None:
    text = (
        "FROM python:3.12-slim-bookworm\nCOPY . .\n"
        f"RUN GITHUB_TOKEN={GH} pip install --no-cache-dir -r requirements.txt\n"
    )
    assert found(text, "DF003") == [
        (
            2,
            "COPY . . (line 2) copies the whole build context before RUN GITHUB_TOKEN=*** pip "
            "install --no-cache-dir -r requirements.txt (line 3) installs dependencies, so every "
            "source change reinstalls them; COPY requirements.txt (or pyproject.toml and its "
            "lock) first, install, then copy the rest",
        )
    ]
    report = check_text(text, Settings())
    assert all(GH not in f.message for f in (*report.violations, *report.notes))


def test_redact_masks_known_tokens_and_written_secret_values() -> None:
    assert redact(f"RUN GITHUB_TOKEN={GH} pip install x") == "RUN GITHUB_TOKEN=*** pip install x"
    assert redact(f"echo {GH} | gh auth login") == "echo *** | gh auth login"
    assert redact(f"twine upload -p {PYPI} dist/*") == "twine upload -p *** dist/*"
    assert redact(f"x glpat-{'z' * 20} npm_{'a' * 36}") == "x *** ***"
    assert redact('export TOKEN="a b" && declare -x DB_PASS=pw') == (
        "export TOKEN=*** && declare -x DB_PASS=***"
    )
    assert redact("mysql --password=hunter2 -e 'select 1'") == "mysql --password=*** -e 'select 1'"
    assert redact("FLAGS=a,TOKEN=x y") == "FLAGS=a,TOKEN=*** y"
    assert redact("https://u:p@h TOKEN=abc") == "https://u:***@h TOKEN=***"
    assert redact(redact(f"TOKEN={GH}")) == "TOKEN=***"


def test_redact_leaves_variables_empty_values_paths_and_plain_words() -> None:
    kept = [
        'TOKEN=$NPM_TOKEN A_TOKEN="$(cat /run/secrets/t)" B_KEY=`cat k` C_TOKEN= D_KEY=""',
        "GOOGLE_APPLICATION_CREDENTIALS=/run/secrets/sa.json PASSWORD_FILE=pw.txt",
        "HF_HUB_DISABLE_IMPLICIT_TOKEN=1 SKIP_PASSWORD_CHECK=false",
        "RUN --mount=type=secret,id=github_token,env=GITHUB_TOKEN pip install x",
        "pip install pypi-simple-index-mirror-client-library npm_config_cache=/tmp/npm",
        "ENV API_TOKEN (line 7) looks like a secret (TOKEN)",
        "xghp_abcdefghijklmnopqrstuvwxyz0123 sha256:" + "a" * 64,
    ]
    assert [redact(text) for text in kept] == kept
    plain = "RUN pip install -r requirements.txt keeps pip's download cache in the layer"
    assert redact(plain) is plain  # the quick check says no: nothing else runs


def test_credentials_names_the_issuer_of_a_known_token() -> None:
    assert credentials(f"echo {GH}") == "as a GitHub token"
    assert credentials(f"x github_pat_{'A' * 22}") == "as a GitHub token"
    assert credentials(f"x glpat-{'z' * 20}") == "as a GitLab token"
    assert credentials(f"x {PYPI}") == "as a PyPI token"
    assert credentials(f"x npm_{'a' * 36}") == "as an npm token"
    assert credentials(f"https://{GH}@github.com/o/r") == "in a URL (a token as its user name)"
    assert credentials("pip install pypi-simple-index-mirror-client-library") is None


# --- review follow-ups: whole values masked, stand-ins and numbers are no secret ---------------


def test_df003_masks_a_quoted_secret_value_with_spaces_whole() -> None:
    """DF003 quotes the RUN's shell words, quotes removed: the value is masked from its word,
    not from the joined text (which would leave ` (prod)&x` after the mask)."""
    text = (
        "FROM a\nCOPY . .\n"
        "RUN PIP_INDEX_PASSWORD='hunter2 (prod)&x' pip install --no-cache-dir -r r.txt\n"
    )
    [(line, message)] = found(text, "DF003")
    assert line == 2
    assert "RUN PIP_INDEX_PASSWORD=*** pip install --no-cache-dir -r r.txt (line 3)" in message
    assert "hunter2" not in message and "prod" not in message


def test_redact_reads_a_value_as_sh_reads_one_word() -> None:
    cases = {
        'PIP_INDEX_PASSWORD="hunter2 (prod)&x" pip install': "PIP_INDEX_PASSWORD=*** pip install",
        "GITHUB_TOKEN=abc\\ def\\;ghi x": "GITHUB_TOKEN=*** x",
        'TOKEN=""secret y': "TOKEN=*** y",
        "TOKEN=$'x y' z": "TOKEN=*** z",
        "TOKEN+=xyz w": "TOKEN+=*** w",
        "TOKEN=$T ok": "TOKEN=$T ok",
        'TOKEN="$(cat /run/secrets/t)" ok': 'TOKEN="$(cat /run/secrets/t)" ok',
        "cut -d= -f2 && SECRET_KEY=dummy x": "cut -d= -f2 && SECRET_KEY=dummy x",
        "--mount=type=secret,id=api_key": "--mount=type=secret,id=api_key",
    }
    assert {text: redact(text) for text in cases} == cases


def test_shown_masks_each_secret_word_whole() -> None:
    words = ["PIP_INDEX_PASSWORD=a b", "pip", "install", "--password=c d", "X=1", "TOKEN=$T"]
    assert shown(words) == "PIP_INDEX_PASSWORD=*** pip install --password=*** X=1 TOKEN=$T"
    assert shown(["SECRET_KEY=dummy", "python", "manage.py"]) == "SECRET_KEY=dummy python manage.py"


def test_sec001_takes_stand_ins_and_settings_about_secrets_for_no_secret() -> None:
    text = (
        "FROM a\nRUN SECRET_KEY=dummy python manage.py collectstatic --noinput\n"
        "RUN SECRET_KEY_BASE=DUMMY ./bin/rails assets:precompile\n"
        "RUN export PASSWORD_MIN_LENGTH=8 JWT_TOKEN_LIFETIME=3600 && ./configure\n"
        "RUN API_KEY=build-placeholder make && TOKEN_TTL=60 ./setup\n"
        "ENV SECRET_KEY=dummy-key-for-build\n"
    )
    assert found(text, "SEC001") == []
    real = (
        "FROM a\nRUN SECRET_KEY=s3cr3t-dummyish python m.py\n"
        "RUN POSTGRES_PASSWORD=123456 ./init && ADMIN_PASSWORD=ChangeMe2024! ./seed\n"
        "ENV API_TOKEN=x9-fake-Zq81LmN3vT5wR7yP0 DB_PASSWORD=changeme\n"
    )
    reported = found(real, "SEC001")
    assert [(line, message.split(",")[0]) for line, message in reported] == [
        (2, "RUN (line 2) sets SECRET_KEY"),
        (3, "RUN (line 3) sets POSTGRES_PASSWORD"),
        (3, "RUN (line 3) sets ADMIN_PASSWORD"),
        (
            4,
            "ENV API_TOKEN (line 4) looks like a secret (TOKEN); ENV values are stored in the "
            "image config",
        ),
        (
            4,
            "ENV DB_PASSWORD (line 4) looks like a secret (PASSWORD); ENV values are stored in "
            "the image config",
        ),
    ]
    assert not any(s in m for _, m in reported for s in ("s3cr3t", "123456", "ChangeMe", "Zq81"))


def test_df001_masks_a_url_password_with_a_space_and_a_quoted_secret_option() -> None:
    text = (
        "FROM a\nRUN pip install --index-url \"https://u:p w@h/simple\" --password='x y' flask "
        "git+https://$U:$P@h/r.git\n"
    )
    [(line, message)] = found(text, "DF001")
    assert line == 2
    assert message.startswith(
        "RUN pip install --index-url https://u:***@h/simple --password=*** flask "
        "git+https://$U:$P@h/r.git keeps pip's download cache"
    )
    assert "p w" not in message and "x y" not in message
    assert (
        shown(["x://a:b@c/d://e:f g@h", "https://tok@h/x"])
        == "x://a:***@c/d://e:***@h https://tok@h/x"
    )
