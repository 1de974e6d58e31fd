"""Fuzzing the four parsers users feed by hand: references, base tags, the lock, stack config.

Each target gets at least 10,000 generated inputs (the `reliability` profile) from three kinds
of source: arbitrary text, text built from the grammar's own pieces, and valid input mutated
(a character inserted, dropped or replaced; a JSON or YAML node deleted, retyped or replaced).
The contract: the function returns a valid object, or raises its documented error (an
`ImagepinError`), never anything else. Accepted inputs are also checked for consistency
(round trips, properties that must not raise).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from collector import Report
from hypothesis import given, settings
from hypothesis import strategies as st

from imagepin.catalog import PythonBase, UnknownBase, images_table, lifecycle_table
from imagepin.config import ConfigError, StackConfig, load_stack, stack_bases
from imagepin.errors import ImagepinError
from imagepin.lock import Lock, LockEntry, LockError
from imagepin.refs import ImageReference, InvalidReference

ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings.get_profile("reliability")  # registered in conftest.py
HEX = "0123456789abcdef"

# --- mutation --------------------------------------------------------------------------------

JUNK = st.sampled_from(
    [*"/:@._-[]{}#\"' \t\n\\", "\x00", "\u0130", "\udcff", "é", "…", "../", "sha256:", "--", "A"]
)


@st.composite
def mutated_text(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    """`base` with up to four character-level edits: insert, delete, replace, truncate."""
    text = draw(base)
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "double"]))
        at = draw(st.integers(0, len(text)))
        piece = draw(JUNK | st.text(max_size=3))
        if op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        elif op == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        elif op == "truncate":
            text = text[:at]
        else:
            text = text[:at] + text[at:] * 2
    return text


def json_values(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=12) | st.sampled_from(KEYS), inner, max_size=4)
        ),
        max_leaves=12,
    )


@st.composite
def mutated_tree(draw: st.DrawFn, tree: Any, values: st.SearchStrategy[Any]) -> Any:
    """`tree` (JSON-like) with up to four nodes deleted, replaced, retyped or added."""

    def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        found = [prefix]
        if isinstance(node, dict):
            for key, child in node.items():
                found += paths(child, (*prefix, key))
        elif isinstance(node, list):
            for i, child in enumerate(node):
                found += paths(child, (*prefix, i))
        return found

    tree = json.loads(json.dumps(tree))
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.sampled_from(paths(tree)))
        if not where:
            tree = draw(values) if draw(st.integers(0, 9)) == 0 else tree
            continue
        parent = tree
        for part in where[:-1]:
            parent = parent[part]
        last = where[-1]
        op = draw(st.sampled_from(["delete", "replace", "retype", "add", "duplicate"]))
        if op == "delete":
            del parent[last]
        elif op == "replace":
            parent[last] = draw(values)
        elif op == "retype":
            old = parent[last]
            parent[last] = (
                [old] if not isinstance(old, list) else old[0] if old else {str(last): old}
            )
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10) | st.sampled_from(KEYS))] = draw(values)
        elif op == "add":
            parent.insert(last, draw(values))
        elif isinstance(parent, list):
            parent.append(parent[last])
        else:
            parent[f"{last}2"] = parent[last]
    return tree


def run_target(
    report: Report, name: str, contract: str, errors: type[Exception], sources: tuple[str, ...]
) -> Callable[[str, Callable[[], object]], None]:
    """Call one input; count it and its outcome; let anything but `errors` fail the test."""
    target = report.fuzz_target(name, contract)
    for source in sources:  # every outcome listed, zeros too: the document's rows stay put
        for outcome in ("accepted", errors.__name__):
            target.outcomes[f"{source}: {outcome}"] += 0

    def attempt(source: str, call: Callable[[], object]) -> None:
        assert source in sources
        target.tried += 1
        try:
            call()
        except errors as exc:
            assert isinstance(exc, ImagepinError)
            assert str(exc).strip(), "an error with no message"
            target.outcomes[f"{source}: {errors.__name__}"] += 1
            return
        target.outcomes[f"{source}: accepted"] += 1

    return attempt


# --- ImageReference.parse ----------------------------------------------------------------

LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
ref_piece = st.sampled_from(
    [
        *"/:@._-",
        "__",
        "--",
        "docker.io",
        "index.docker.io",
        "localhost",
        "library",
        "python",
        "3.12-slim",
        "[::1]",
        "127.0.0.1:5000",
        "Reg.Example.COM",
        "sha256:",
        "sha512:",
        "a" * 64,
        "f" * 128,
        "x" * 256,
        "İ",
        "\x00",
    ]
) | st.text(LOWER + "ABCXYZ", min_size=1, max_size=8)
grammar_refs = st.lists(ref_piece, max_size=12).map("".join)
path_component = st.builds(
    lambda head, sep, tail: head + (sep + tail if tail else ""),
    st.text(LOWER, min_size=1, max_size=6),
    st.sampled_from([".", "_", "__", "-", "--"]),
    st.text(LOWER, max_size=4),
)
valid_refs = st.builds(
    lambda domain, path, tag, digest: (
        f"{domain}{'/'.join(path)}{f':{tag}' if tag else ''}{f'@sha256:{digest}' if digest else ''}"
    ),
    st.sampled_from(["", "docker.io/", "ghcr.io/", "127.0.0.1:5000/", "localhost/", "[::1]:5/"]),
    st.lists(path_component, min_size=1, max_size=3),
    st.none() | st.text(LOWER + "ABC_.-", min_size=1, max_size=12).filter(lambda t: t[0] > "-"),
    st.none() | st.integers(0, 2**256 - 1).map(lambda n: f"{n:064x}"),
)
ref_inputs = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=300)),
    st.tuples(st.just("grammar"), grammar_refs),
    st.tuples(st.just("mutated"), mutated_text(valid_refs)),
)


def test_image_reference_parse(report: Report) -> None:
    attempt = run_target(
        report,
        "ImageReference.parse",
        "an ImageReference that parses back to itself (full and familiar form), or "
        "InvalidReference",
        InvalidReference,
        ("text", "grammar", "mutated"),
    )

    def parse_and_round_trip(text: str) -> None:
        ref = ImageReference.parse(text)
        assert ImageReference.parse(str(ref)) == ref
        assert ImageReference.parse(ref.familiar()) == ref

    @FUZZ
    @given(ref_inputs)
    def check(case: tuple[str, str]) -> None:
        source, text = case
        attempt(source, lambda: parse_and_round_trip(text))

    check()
    assert report.fuzz["ImageReference.parse"].tried >= FUZZ.max_examples


# --- PythonBase.from_tag -----------------------------------------------------------------

SERIES = sorted(lifecycle_table().series)
DISTROS = sorted(images_table().distros)
version = st.one_of(
    st.sampled_from(SERIES),
    st.sampled_from(["2", "3", "4", "3.15-rc", "3.15.0a8", "3.14.0rc2", "3.12.7", "3.99", "0"]),
    st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}((a|b|rc)[0-9]{1,2}|-rc)?", fullmatch=True),
)
tag_rest = st.one_of(
    st.just(""),
    st.sampled_from(["slim", "alpine", "windowsservercore", "full", "slimm"]),
    st.sampled_from(DISTROS),
    st.builds(
        lambda variant, distro: f"{variant}-{distro}",
        st.sampled_from(["slim", "windowsservercore", "alpine"]),
        st.sampled_from([*DISTROS, "ltsc2022", "1809", "alpine3.99", ""]),
    ),
)
structured_tags = st.builds(lambda v, rest: f"{v}-{rest}" if rest else v, version, tag_rest)
tag_inputs = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=60)),
    st.tuples(st.just("structured"), structured_tags),
    st.tuples(st.just("mutated"), mutated_text(structured_tags)),
)


def test_python_base_from_tag(report: Report) -> None:
    attempt = run_target(
        report,
        "PythonBase.from_tag",
        "a PythonBase whose tag is the input and whose series, end of life, platforms and "
        "support status can be read, or UnknownBase",
        UnknownBase,
        ("text", "structured", "mutated"),
    )

    def from_tag(tag: str) -> None:
        base = PythonBase.from_tag(tag)
        assert base.tag == tag
        assert base.repository and base.series
        assert base.end_of_life >= base.first_release
        assert base.platforms and isinstance(base.is_prerelease, bool)
        base.is_supported()
        assert ImageReference.parse(str(base.reference)).tag == tag

    @FUZZ
    @given(tag_inputs)
    def check(case: tuple[str, str]) -> None:
        source, tag = case
        attempt(source, lambda: from_tag(tag))

    check()
    assert report.fuzz["PythonBase.from_tag"].tried >= FUZZ.max_examples


# --- Lock.loads ----------------------------------------------------------------------------

KEYS = [
    "version",
    "images",
    "digest",
    "media_type",
    "platforms",
    "registry",
    "resolved_at",
    "imagepin:images",
    "imagepin:baseMirror",
    "config",
    "name",
    "app",
    "python",
]
DIGESTS = [f"sha256:{hashlib.sha256(bytes([i])).hexdigest()}" for i in range(16)]
digests = st.sampled_from(DIGESTS)
# one spelling per image, the first one met (two spellings of one image make a lock ambiguous)
_SPELLINGS: dict[ImageReference, str] = {}
for _key in (
    f"{domain}{path}:{tag}"
    for domain in ("", "docker.io/", "ghcr.io/", "127.0.0.1:5000/", "localhost/")
    for path in ("python", "library/python", "team/app", "a.b/c")
    for tag in ("3.12-slim-bookworm", "latest", "2", "V_1.0-rc")
):
    _SPELLINGS.setdefault(ImageReference.parse(_key), _key)
LOCK_KEYS = list(_SPELLINGS.values())
lock_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    digests,
    st.sampled_from(["linux/amd64", "2026-11-25T16:40:00Z", "python:3.12", "docker.io", "1"]),
)
lock_entries = st.builds(
    lambda digest, platforms, registry: {
        "digest": digest,
        "media_type": "application/vnd.oci.image.index.v1+json",
        "platforms": platforms,
        "registry": registry,
        "resolved_at": "2026-11-25T16:40:00Z",
    },
    digests,
    st.dictionaries(st.sampled_from(["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]), digests),
    st.sampled_from(["docker.io", "127.0.0.1:5000", "ghcr.io"]),
)
valid_locks = st.builds(
    lambda images: {"version": 1, "images": images},
    st.dictionaries(st.sampled_from(LOCK_KEYS), lock_entries, max_size=3),
)


def _deep(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"version": 1, "images": ' + '{"a": ' * depth + "1" + "}" * (depth + 1)


lock_inputs = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=300)),
    st.tuples(st.just("JSON value"), json_values(lock_leaves).map(json.dumps)),
    st.tuples(
        st.just("deep"),
        st.builds(_deep, st.integers(1, 4000), st.sampled_from(["array", "object"])),
    ),
    st.tuples(
        st.just("mutated tree"),
        valid_locks.flatmap(lambda doc: mutated_tree(doc, lock_leaves)).map(
            lambda doc: json.dumps(doc, indent=2)
        ),
    ),
    st.tuples(
        st.just("mutated text"),
        mutated_text(valid_locks.map(lambda doc: json.dumps(doc, indent=2))),
    ),
)


def _load_lock(text: str) -> None:
    lock = Lock.loads(text, "images.lock")
    again = Lock.loads(lock.dumps(), "images.lock")
    assert again.entries == lock.entries
    for key in lock.entries:
        assert key in lock
        assert lock.pin(key).digest == lock.entries[key].digest


def test_lock_loads(report: Report) -> None:
    attempt = run_target(
        report,
        "Lock.loads",
        "a Lock whose dump loads back to the same entries and pins every key, or LockError; "
        "on arbitrary text, JSON values, deep nesting and valid lock files with JSON nodes or "
        "characters mutated",
        LockError,
        ("text", "JSON value", "deep", "mutated tree", "mutated text"),
    )

    @FUZZ
    @given(lock_inputs)
    def check(case: tuple[str, str]) -> None:
        source, text = case
        attempt(source, lambda: _load_lock(text))

    check()
    assert report.fuzz["Lock.loads"].tried >= FUZZ.max_examples


@settings(FUZZ, max_examples=50)
@given(valid_locks)
def test_the_valid_lock_generator_makes_valid_locks(doc: dict[str, Any]) -> None:
    """The mutations start from valid locks: a failure here would hide every finding."""
    lock = Lock.loads(json.dumps(doc))
    assert set(lock.entries) == set(doc["images"])
    when = datetime(2026, 11, 25, 16, 40, tzinfo=UTC)
    assert all(isinstance(e, LockEntry) and e.resolved_at == when for e in lock.entries.values())


# --- load_stack --------------------------------------------------------------------------

STACK_KEYS = [
    "images",
    "baseMirror",
    "registry",
    "cache",
    "allowPrerelease",
    "allowedVariants",
    "buildSecrets",
    "backend",
    "ecs",
    "services",
]
stack_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.floats(allow_nan=False, width=32),
    st.text(max_size=12),
    st.sampled_from(
        [
            "3.12",
            "3.11",
            "3.15",
            "slim",
            "builder",
            "debian-apt",
            "ubuntu-rock",
            "alpine",
            "bookworm",
            "trixie",
            "app",
            "../app",
            "/etc",
            "service",
            "linux/amd64",
            "linux/arm64",
            "requirements.txt",
            "127.0.0.1:5000",
            "docker.io",
            "local",
            "ecr",
            "server",
            "ecs",
            "docker",
            "pip-ca",
            "/healthz",
            "https://pypi.example.com/simple",
            "arn:aws:ecs:eu-west-1:123456789012:cluster/x",
            "subnet-1",
        ]
    ),
)
stack_values = st.recursive(
    stack_leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "app",
                    "python",
                    "variant",
                    "distro",
                    "layout",
                    "platforms",
                    "command",
                    "port",
                    "pip",
                    "caSecret",
                    "kind",
                    "server",
                    "file",
                    "env",
                    "image",
                    "secretEnv",
                    "cluster",
                    "subnets",
                    "healthcheck",
                    "path",
                ]
            )
            | st.text(max_size=8),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)
random_stacks = st.dictionaries(
    st.sampled_from(STACK_KEYS).map(lambda k: f"imagepin:{k}") | st.text(max_size=12),
    stack_values,
    max_size=6,
).map(lambda config: {"config": config})
REAL_STACKS = [
    yaml.safe_load((ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())
    for name in ("dev", "staging", "prod")
]
REAL_TEXTS = [  # without comment lines: the same YAML in less text to scan
    "".join(
        line
        for line in (ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text().splitlines(True)
        if not line.lstrip().startswith("#")
    )
    for name in ("dev", "prod")
]


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


stack_inputs = st.one_of(
    st.tuples(st.just("text"), st.text(max_size=300)),
    st.tuples(st.just("text"), st.text("{}[]:,-&*!|>'\"#% \n\tab1.", max_size=200)),
    st.tuples(st.just("bytes"), st.binary(max_size=200)),
    st.tuples(st.just("random tree"), random_stacks.map(_dump)),
    # PyYAML takes ~0.1 s per 500 levels (and recursion ends at ~450): kept rare
    st.tuples(
        st.just("deep"),
        st.sampled_from([*range(1, 41), 460, 600]).map(
            lambda n: "config:\n  imagepin:images: " + "[" * n + "]" * n
        ),
    ),
    st.tuples(
        st.just("mutated tree"),
        st.sampled_from(REAL_STACKS)
        .flatmap(lambda doc: mutated_tree(doc, stack_leaves))
        .map(_dump),
    ),
    st.tuples(st.just("mutated text"), mutated_text(st.sampled_from(REAL_TEXTS))),
)


def stack_project(root: Path) -> Path:
    """A project that a stack file can name things in: Pulumi.yaml, stacks/, app/."""
    (root / "stacks").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: imagepin\nruntime: python\nstackConfigDir: stacks\n")
    (root / "app").mkdir()
    (root / "app" / "requirements.txt").write_text("falcon==4.4.0\n")
    (root / "app" / "requirements-native.txt").write_text("psycopg2==2.9.10\n")
    return root


def _load_stack(root: Path, text: str | bytes) -> None:
    file = root / "stacks" / "Pulumi.fuzz.yaml"
    if isinstance(text, bytes):
        file.write_bytes(text)
    else:
        file.write_bytes(text.encode("utf-8", "surrogatepass"))  # lone surrogates: not UTF-8
    stack = load_stack("fuzz", root)
    assert isinstance(stack, StackConfig)
    stack.specs()
    stack_bases([stack])


def test_load_stack(report: Report, tmp_path: Path) -> None:
    root = stack_project(tmp_path)
    attempt = run_target(
        report,
        "load_stack",
        "a StackConfig whose image specs and bases can be computed, or ConfigError; on "
        "arbitrary text and bytes, random YAML trees under imagepin: keys, deep nesting, and "
        "the dev, staging and prod stack files with YAML nodes or characters mutated",
        ConfigError,
        ("text", "bytes", "random tree", "deep", "mutated tree", "mutated text"),
    )

    @FUZZ
    @given(stack_inputs)
    def check(case: tuple[str, str | bytes]) -> None:
        source, text = case
        attempt(source, lambda: _load_stack(root, text))

    check()
    assert report.fuzz["load_stack"].tried >= FUZZ.max_examples


def test_the_real_stacks_load_in_the_fuzz_project(tmp_path: Path) -> None:
    """The mutations start from stacks that load: a failure here would hide every finding."""
    root = stack_project(tmp_path)
    for doc in REAL_STACKS:
        _load_stack(root, _dump(doc))
    assert load_stack("fuzz", root).images[0].name == "service"


def test_the_errors_are_the_documented_ones() -> None:
    for error in (InvalidReference, UnknownBase, LockError, ConfigError):
        assert issubclass(error, ImagepinError)
    assert issubclass(InvalidReference, ValueError)
