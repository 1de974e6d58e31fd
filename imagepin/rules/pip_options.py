"""pip's command line as pip reads it, and where a pip command keeps its cache.

pip parses its options with optparse: a long option may be written as any prefix that names no
other option (`--no-ca`, `--no-cache` are `--no-cache-dir`; `--no-c` also starts `--no-clean`,
`--no-color` and `--no-compile`, so pip rejects it), with its value after it or its `=`; short
options group (`-qr r.txt`); options may follow the operands, and `--` ends them. The options
are those of `pip install` (general options included) from pip 19.3 on, and `pip cache`'s.
Whether a pip command installs is read here too (`install_at`), so that a rule never sees an
install this reading of pip's options does not.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

from imagepin.rules.common import word_set

_VALUES = word_set(
    "--abi --all-releases --build --build-constraint --build-dir --build-directory --cache-dir "
    "--cert --client-cert --config-settings --constraint --default-timeout --editable "
    "--exists-action --extra-index-url --find-links --format --global-option --group "
    "--implementation --index-url --install-option --keyring-provider --local-log --log "
    "--log-file --no-binary --only-binary --only-final --platform --prefix --progress-bar "
    "--proxy --pypi-url --python --python-version --refresh-package --report --requirement "
    "--requirements-from-script --resume-retries --retries --root --root-user-action "
    "--skip-requirements-regex --source --source-dir --source-directory --src --target "
    "--timeout --trusted-host --upgrade-strategy --uploaded-prior-to --use-deprecated "
    "--use-feature"
)
"""Long options that take a value."""
_LONG = _VALUES | word_set(
    "--break-system-packages --check-build-dependencies --compile --debug "
    "--disable-pip-version-check --dry-run --force-reinstall --help --ignore-installed "
    "--ignore-requires-python --isolated --no-build-isolation --no-cache-dir --no-clean "
    "--no-color --no-compile --no-dependencies --no-deps --no-index --no-input --no-proxy-env "
    "--no-python-version-warning --no-require-hashes --no-use-pep517 --no-user "
    "--no-warn-conflicts --no-warn-script-location --only-dependencies --only-deps --pre "
    "--prefer-binary --quiet --require-hashes --require-venv --require-virtualenv --upgrade "
    "--use-pep517 --user --verbose --version"
)
_SHORT_VALUES = frozenset("Cbcefirt")
"""Short options that take a value (`-r FILE`, `-rFILE`); the others (`-q`, `-U`...) take none."""
DEFAULT_CACHE = "~/.cache/pip"
"""pip's cache when not told otherwise (under XDG_CACHE_HOME when that is set)."""


@lru_cache(maxsize=1024)
def long_option(word: str) -> str | None:
    """The long option `word` names: itself, or the one option it starts; None when it names
    none or several (pip stops with an error)."""
    if word in _LONG:
        return word
    found = [option for option in _LONG if option.startswith(word)]
    return found[0] if len(found) == 1 else None


class PipArgs(NamedTuple):
    options: tuple[tuple[str, str | None], ...]
    """Each option in order, by its full name (`--no-cache-dir`, `-r`), and its value (None
    for a flag; an unknown or ambiguous option keeps its spelling)."""
    operands: tuple[str, ...]
    """The words that are no option nor an option's value: the command (`install`) first."""


def parse(words: Sequence[str]) -> PipArgs:
    """`words`, pip's arguments (after `pip`), as pip reads them."""
    return _parse(tuple(words))


@lru_cache(maxsize=4096)
def _parse(words: tuple[str, ...]) -> PipArgs:
    """`parse`, cached: DF001 reads each pip command's options three to four times."""
    options: list[tuple[str, str | None]] = []
    operands: list[str] = []
    for at, name, value in _read(words):
        if name is None:
            operands.append(words[at])
        else:
            options.append((name, value))
    return PipArgs(tuple(options), tuple(operands))


def _read(words: Sequence[str]) -> Iterator[tuple[int, str | None, str | None]]:
    """Each option and operand of `words` in order: where it is written, the option's full name
    (None for an operand) and its value (None for a flag)."""
    i = 0
    while i < len(words):
        start, word = i, words[i]
        i += 1
        if word == "--":
            yield from ((j, None, None) for j in range(i, len(words)))
            return
        if word.startswith("--"):
            written, eq, value = word.partition("=")
            name = long_option(written) or written
            if name in _VALUES and not eq:
                value, i = (words[i] if i < len(words) else ""), i + 1
            yield start, name, value if eq or name in _VALUES else None
        elif word.startswith("-") and word != "-":
            for at, char in enumerate(word[1:], 2):
                if char in _SHORT_VALUES:
                    value = word[at:]
                    if not value:
                        value, i = (words[i] if i < len(words) else ""), i + 1
                    yield start, "-" + char, value
                    break
                yield start, "-" + char, None
        else:
            yield start, None, None


_HELP = frozenset({"-h", "--help"})
"""Options after which pip prints help and stops, wherever they are (optparse's help action)."""
_VERSION = frozenset({"-V", "--version"})
"""Options after which pip prints its version and stops, when they come before the command: the
main parser reads them there; after the command, `pip install` takes `--version` and ignores it."""


def install_at(words: Sequence[str]) -> int | None:
    """Where the `install` command is in `words` (pip's arguments) when pip installs: None for
    another command (`pip download`), or when pip only prints its help (`pip install --help`) or
    its version (`pip --version install x`)."""
    found = None
    for at, name, _ in _read(words):
        if name in _HELP or (name in _VERSION and found is None):
            return None
        if name is None and found is None:
            if words[at] != "install":
                return None
            found = at
    return found


def cache_dir(words: Sequence[str], env: Mapping[str, str]) -> str | None:
    """Where pip, run with `words` in `env`, keeps its cache, `~` for the home; None for no
    cache. The last of `--no-cache-dir` and `--cache-dir DIR` wins, else PIP_NO_CACHE_DIR with
    any value (pip takes `0` or `false` for no cache too, for compatibility), else
    PIP_CACHE_DIR, else XDG_CACHE_HOME/pip, else ~/.cache/pip. Under `--isolated` pip reads no
    PIP_ variable. (`--no-cache-dir=VALUE` is None too: pip stops, it takes no value.)"""
    found: str | None = DEFAULT_CACHE
    if xdg := env.get("XDG_CACHE_HOME", "").strip():
        found = xdg.rstrip("/") + "/pip"
    if "--isolated" not in words:  # pip looks for this exact word
        found = env.get("PIP_CACHE_DIR") or found
        found = None if env.get("PIP_NO_CACHE_DIR") else found
    for name, value in parse(words).options:
        if name == "--no-cache-dir":
            found = None
        elif name == "--cache-dir" and value:
            found = value
    return found
