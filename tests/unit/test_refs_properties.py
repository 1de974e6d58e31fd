"""Property tests for image references: round trips on generated valid references, and
nothing but `InvalidReference` on arbitrary text.

Example counts are Hypothesis' defaults, so a profile (`--hypothesis-profile`) can raise them.
"""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from imagepin.refs import ImageReference, InvalidReference, is_digest

LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
HEX_DIGITS = "0123456789abcdef"
TAG_FIRST = LOWER_ALNUM + "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"

alnum = st.text(LOWER_ALNUM, min_size=1, max_size=6)
separator = st.sampled_from([".", "_", "__", "-", "--", "---"])
component = st.builds(
    lambda head, rest: head + "".join(sep + part for sep, part in rest),
    alnum,
    st.lists(st.tuples(separator, alnum), max_size=2),
)
path = st.lists(component, min_size=1, max_size=4).map("/".join)

label = st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?", fullmatch=True)
host_name = st.lists(label, min_size=2, max_size=4).map(".".join)
ipv4 = st.integers(0, 2**32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
ipv6 = st.integers(0, 2**128 - 1).map(lambda n: f"[{ipaddress.IPv6Address(n)}]")
port = st.integers(0, 65535).map(lambda n: f":{n}")
# Domains the parser must keep as given: they have a '.', a ':' or capitals, or are localhost.
kept_domain = st.one_of(
    st.builds(lambda h, p: h + p, st.one_of(host_name, ipv4, ipv6), st.one_of(st.just(""), port)),
    st.builds(
        lambda h, p: h + p, st.sampled_from(["localhost", "LOCALDOMAIN", "Reg"]), port | st.just("")
    ),
)
hub_domain = st.sampled_from(["docker.io", "index.docker.io"])

tag = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(TAG_FIRST),
    st.text(TAG_FIRST + ".-", max_size=20) | st.text("a.-_", min_size=127, max_size=127),
)
digest = st.sampled_from([("sha256", 64), ("sha384", 96), ("sha512", 128)]).flatmap(
    lambda alg: st.text(HEX_DIGITS, min_size=alg[1], max_size=alg[1]).map(
        lambda hexes: f"{alg[0]}:{hexes}"
    )
)
optional_tag = st.none() | tag
optional_digest = st.none() | digest


def compose(domain: str | None, repo: str, t: str | None, d: str | None) -> str:
    return (f"{domain}/" if domain else "") + repo + (f":{t}" if t else "") + (f"@{d}" if d else "")


@st.composite
def references(draw: st.DrawFn) -> str:
    """Valid reference text, with any kind of domain or none."""
    domain = draw(st.none() | kept_domain | hub_domain)
    repo = draw(path)
    first = repo.split("/")[0]
    if domain is None and "/" in repo and "." in first and "_" in first:
        repo = "x" + repo.replace(".", "-", first.count("."))  # would be read as a bad domain
    text = compose(domain, repo, draw(optional_tag), draw(optional_digest))
    return "sha/" + text if is_digest(text) else text


@given(references())
def test_parse_round_trips(text: str) -> None:
    ref = ImageReference.parse(text)
    again = ImageReference.parse(str(ref))
    assert again == ref
    assert str(again) == str(ref)
    assert hash(again) == hash(ref)
    assert ImageReference.parse(ref.familiar()) == ref
    assert ImageReference.parse(ref.name) == ref.without_tag().without_digest()


@given(kept_domain, path, optional_tag, optional_digest)
def test_kept_domain_and_parts(domain: str, repo: str, t: str | None, d: str | None) -> None:
    ref = ImageReference.parse(compose(domain, repo, t, d))
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, repo, t, d)
    assert str(ref) == compose(domain, repo, t, d)
    assert ref.familiar_name == f"{domain}/{repo}"


@given(hub_domain, path, optional_tag, optional_digest)
def test_docker_hub_normalization(domain: str, repo: str, t: str | None, d: str | None) -> None:
    ref = ImageReference.parse(compose(domain, repo, t, d))
    expected_path = repo if "/" in repo else f"library/{repo}"
    assert (ref.domain, ref.path, ref.tag, ref.digest) == ("docker.io", expected_path, t, d)
    assert ImageReference.parse(compose("docker.io", expected_path, t, d)) == ref


@given(references(), tag, digest)
def test_with_tag_and_digest(text: str, t: str, d: str) -> None:
    ref = ImageReference.parse(text).with_tag(t).with_digest(d)
    assert (ref.tag, ref.digest) == (t, d)
    assert str(ref).endswith(f":{t}@{d}")
    assert ImageReference.parse(str(ref)) == ref
    assert ImageReference.parse(ref.familiar()) == ref


def assert_only_invalid_reference(text: str) -> None:
    try:
        ref = ImageReference.parse(text)
    except InvalidReference as exc:
        assert str(exc).startswith("invalid reference '")
    else:
        assert ImageReference.parse(str(ref)) == ref


grammar_soup = st.lists(
    st.sampled_from([*"abzAZ09._-:/@[]%$ \n", "sha256:", "localhost", "docker.io/", "__"]),
    max_size=30,
).map("".join)
any_char = st.characters(codec=None, exclude_categories=())
latin1 = st.binary(max_size=64).map(lambda raw: raw.decode("latin-1"))
very_long = st.builds(
    lambda chunk, n: chunk * n, st.text(min_size=1, max_size=4), st.integers(1000, 20000)
)


@settings(deadline=None)
@given(st.one_of(st.text(), st.text(any_char), latin1, grammar_soup, very_long))
def test_arbitrary_text_raises_only_invalid_reference(text: str) -> None:
    assert_only_invalid_reference(text)


@given(references(), st.data())
def test_mutated_references_raise_only_invalid_reference(text: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.sampled_from([*":/@.-_A[]%é ", "\x00", "\ud800", "sha256:"]))
    assert_only_invalid_reference(text[:at] + junk + text[at:])
    assert_only_invalid_reference(text[:at] + text[at + 1 :])
