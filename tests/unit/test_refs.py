"""Image references: the cases of distribution/reference's tables, as `docker pull` reads them.

Every input goes through `ImageReference.parse`, which normalizes like Docker's
`ParseNormalizedNamed`, so names without a domain land on docker.io (and `library/`).
"""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from imagepin.errors import ImagepinError
from imagepin.refs import DEFAULT_DOMAIN, ImageReference, InvalidReference, is_digest

HEX = hashlib.sha256(b"imagepin refs").hexdigest()
HEX2 = hashlib.sha256(b"another layer").hexdigest()
SHA = f"sha256:{HEX}"
SHA384 = "sha384:" + hashlib.sha384(b"imagepin refs").hexdigest()
SHA512 = "sha512:" + hashlib.sha512(b"imagepin refs").hexdigest()
IMAGE_ID = hashlib.sha256(b"an image id").hexdigest()
HUB = "docker.io"

# Error kinds, as the messages spell them.
FORMAT = "invalid reference format"
UPPER = "repository name must be lowercase"
EMPTY = "repository name must have at least one component"
LONG = "repository name must not be more than 255 characters"
HEXNAME = "64-byte hexadecimal string"
NONAME = "no repository name"
DIGEST_FORMAT = "invalid checksum digest format"
DIGEST_LENGTH = "invalid checksum digest length"
UNSUPPORTED = "unsupported digest algorithm"


def ok(
    text: str,
    normalized: str,
    domain: str,
    path: str,
    tag: str | None = None,
    digest: str | None = None,
) -> object:
    return pytest.param(text, normalized, domain, path, tag, digest, id=text[:80])


VALID = [
    # Plain names, ports and IPv4 addresses without a '/' are Docker Hub names with a tag.
    ok("test_com", f"{HUB}/library/test_com", HUB, "library/test_com"),
    ok("test.com:tag", f"{HUB}/library/test.com:tag", HUB, "library/test.com", "tag"),
    ok("test.com:5000", f"{HUB}/library/test.com:5000", HUB, "library/test.com", "5000"),
    ok("foo_bar.com:8080", f"{HUB}/library/foo_bar.com:8080", HUB, "library/foo_bar.com", "8080"),
    ok("foo/foo_bar.com:8080", f"{HUB}/foo/foo_bar.com:8080", HUB, "foo/foo_bar.com", "8080"),
    ok("192.168.1.1", f"{HUB}/library/192.168.1.1", HUB, "library/192.168.1.1"),
    ok("192.168.1.1:tag", f"{HUB}/library/192.168.1.1:tag", HUB, "library/192.168.1.1", "tag"),
    ok("192.168.1.1:5000", f"{HUB}/library/192.168.1.1:5000", HUB, "library/192.168.1.1", "5000"),
    ok("192.168.0.1:80", f"{HUB}/library/192.168.0.1:80", HUB, "library/192.168.0.1", "80"),
    ok("localhost", f"{HUB}/library/localhost", HUB, "library/localhost"),
    ok("localhost:5000", f"{HUB}/library/localhost:5000", HUB, "library/localhost", "5000"),
    ok(
        "lowercase:Uppercase",
        f"{HUB}/library/lowercase:Uppercase",
        HUB,
        "library/lowercase",
        "Uppercase",
    ),
    # Registries with a domain or a port.
    ok("test.com/repo:tag", "test.com/repo:tag", "test.com", "repo", "tag"),
    ok("test:5000/repo", "test:5000/repo", "test:5000", "repo"),
    ok("test:5000/repo:tag", "test:5000/repo:tag", "test:5000", "repo", "tag"),
    ok(f"test:5000/repo@{SHA}", f"test:5000/repo@{SHA}", "test:5000", "repo", None, SHA),
    ok(f"test:5000/repo:tag@{SHA}", f"test:5000/repo:tag@{SHA}", "test:5000", "repo", "tag", SHA),
    ok("test-com:8080/foo", "test-com:8080/foo", "test-com:8080", "foo"),
    ok("xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
    ok(
        "sub-dom1.foo.com/bar/baz/quux",
        "sub-dom1.foo.com/bar/baz/quux",
        "sub-dom1.foo.com",
        "bar/baz/quux",
    ),
    ok(
        "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
        "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
        "sub-dom1.foo.com",
        "bar/baz/quux",
        "some-long-tag",
    ),
    ok(
        "b.gcr.io/test.example.com/my-app:test.example.com",
        "b.gcr.io/test.example.com/my-app:test.example.com",
        "b.gcr.io",
        "test.example.com/my-app",
        "test.example.com",
    ),
    ok(
        "xn--n3h.com/myimage:xn--n3h.com",
        "xn--n3h.com/myimage:xn--n3h.com",
        "xn--n3h.com",
        "myimage",
        "xn--n3h.com",
    ),
    ok(
        f"xn--7o8h.com/myimage:xn--7o8h.com@{SHA}",
        f"xn--7o8h.com/myimage:xn--7o8h.com@{SHA}",
        "xn--7o8h.com",
        "myimage",
        "xn--7o8h.com",
        SHA,
    ),
    ok("192.168.1.1/repo", "192.168.1.1/repo", "192.168.1.1", "repo"),
    ok("192.168.1.1:5000/repo", "192.168.1.1:5000/repo", "192.168.1.1:5000", "repo"),
    ok(
        "192.168.1.1:5000/repo:5050",
        "192.168.1.1:5000/repo:5050",
        "192.168.1.1:5000",
        "repo",
        "5050",
    ),
    ok("192.168.0.1:8/debian", "192.168.0.1:8/debian", "192.168.0.1:8", "debian"),
    ok(
        "127.0.0.1:5000/library/debian",
        "127.0.0.1:5000/library/debian",
        "127.0.0.1:5000",
        "library/debian",
    ),
    ok("127.0.0.1:5000/debian", "127.0.0.1:5000/debian", "127.0.0.1:5000", "debian"),
    ok("localhost/debian", "localhost/debian", "localhost", "debian"),
    ok("localhost/library/debian", "localhost/library/debian", "localhost", "library/debian"),
    ok("localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000", "x", "1"),
    # A first component with capitals is taken for a domain, as normalize.go does.
    ok("LOCALDOMAIN/debian", "LOCALDOMAIN/debian", "LOCALDOMAIN", "debian"),
    ok("LOCALDOMAIN/library/debian", "LOCALDOMAIN/library/debian", "LOCALDOMAIN", "library/debian"),
    ok("Docker/docker", "Docker/docker", "Docker", "docker"),
    ok("DOCKER/docker", "DOCKER/docker", "DOCKER", "docker"),
    # IPv6 registries, in brackets.
    ok("[2001:db8::1]/repo", "[2001:db8::1]/repo", "[2001:db8::1]", "repo"),
    ok(
        "[2001:db8:1:2:3:4:5:6]/repo:tag",
        "[2001:db8:1:2:3:4:5:6]/repo:tag",
        "[2001:db8:1:2:3:4:5:6]",
        "repo",
        "tag",
    ),
    ok("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", "repo"),
    ok(
        "[2001:db8::1]:5000/repo:tag",
        "[2001:db8::1]:5000/repo:tag",
        "[2001:db8::1]:5000",
        "repo",
        "tag",
    ),
    ok(
        f"[2001:db8::1]:5000/repo@{SHA}",
        f"[2001:db8::1]:5000/repo@{SHA}",
        "[2001:db8::1]:5000",
        "repo",
        None,
        SHA,
    ),
    ok(
        f"[2001:db8::1]:5000/repo:tag@{SHA}",
        f"[2001:db8::1]:5000/repo:tag@{SHA}",
        "[2001:db8::1]:5000",
        "repo",
        "tag",
        SHA,
    ),
    ok("[2001:db8::]:5000/repo", "[2001:db8::]:5000/repo", "[2001:db8::]:5000", "repo"),
    ok("[::1]:5000/repo", "[::1]:5000/repo", "[::1]:5000", "repo"),
    ok(
        "[fc00::1]:5000/docker/docker",
        "[fc00::1]:5000/docker/docker",
        "[fc00::1]:5000",
        "docker/docker",
    ),
    ok(
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "[fc00:1:2:3:4:5:6:7]:5000",
        "library/debian",
    ),
    # Docker Hub spellings all normalize to docker.io, with library/ for one-part names.
    ok("debian", f"{HUB}/library/debian", HUB, "library/debian"),
    ok("library/debian", f"{HUB}/library/debian", HUB, "library/debian"),
    ok("docker/docker", f"{HUB}/docker/docker", HUB, "docker/docker"),
    ok("docker.io/debian", f"{HUB}/library/debian", HUB, "library/debian"),
    ok("docker.io/library/debian", f"{HUB}/library/debian", HUB, "library/debian"),
    ok("docker.io/docker/docker", f"{HUB}/docker/docker", HUB, "docker/docker"),
    ok("index.docker.io/debian", f"{HUB}/library/debian", HUB, "library/debian"),
    ok("index.docker.io/library/debian", f"{HUB}/library/debian", HUB, "library/debian"),
    ok("index.docker.io/docker/docker", f"{HUB}/docker/docker", HUB, "docker/docker"),
    ok("docker.io/library/foo/bar", f"{HUB}/library/foo/bar", HUB, "library/foo/bar"),
    ok("store/foo/bar", f"{HUB}/store/foo/bar", HUB, "store/foo/bar"),
    ok("other/library", f"{HUB}/other/library", HUB, "other/library"),
    ok("docker.io:443/foo", "docker.io:443/foo", "docker.io:443", "foo"),
    ok("redis:latest", f"{HUB}/library/redis:latest", HUB, "library/redis", "latest"),
    ok(f"redis@{SHA}", f"{HUB}/library/redis@{SHA}", HUB, "library/redis", None, SHA),
    ok(
        f"busybox:latest@{SHA}",
        f"{HUB}/library/busybox:latest@{SHA}",
        HUB,
        "library/busybox",
        "latest",
        SHA,
    ),
    ok(f"dmcgowan/myapp@{SHA}", f"{HUB}/dmcgowan/myapp@{SHA}", HUB, "dmcgowan/myapp", None, SHA),
    ok(
        f"gcr.io/library/busybox:latest@{SHA}",
        f"gcr.io/library/busybox:latest@{SHA}",
        "gcr.io",
        "library/busybox",
        "latest",
        SHA,
    ),
    # Path component separators.
    ok("docker-rules/docker", f"{HUB}/docker-rules/docker", HUB, "docker-rules/docker"),
    ok("docker---rules/docker", f"{HUB}/docker---rules/docker", HUB, "docker---rules/docker"),
    ok("dock__er/docker", f"{HUB}/dock__er/docker", HUB, "dock__er/docker"),
    ok("d/docker", f"{HUB}/d/docker", HUB, "d/docker"),
    ok("jess/t", f"{HUB}/jess/t", HUB, "jess/t"),
    ok("ubuntu-12.04-base", f"{HUB}/library/ubuntu-12.04-base", HUB, "library/ubuntu-12.04-base"),
    # Hex-looking names: fine unless exactly 64 hex digits with nothing else.
    ok(
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        f"{HUB}/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        HUB,
        "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
    ),
    ok(IMAGE_ID[:63], f"{HUB}/library/{IMAGE_ID[:63]}", HUB, f"library/{IMAGE_ID[:63]}"),
    ok(f"docker.io/{IMAGE_ID}", f"{HUB}/library/{IMAGE_ID}", HUB, f"library/{IMAGE_ID}"),
    ok(f"{IMAGE_ID}:tag", f"{HUB}/library/{IMAGE_ID}:tag", HUB, f"library/{IMAGE_ID}", "tag"),
    ok("dbcc1", f"{HUB}/library/dbcc1", HUB, "library/dbcc1"),
    # A short 'sha256:...' is only a name and a tag; a full one is a digest (see INVALID).
    ok("sha256:abc", f"{HUB}/library/sha256:abc", HUB, "library/sha256", "abc"),
    # Digests of every registered algorithm.
    ok(
        f"validname@{SHA384}",
        f"{HUB}/library/validname@{SHA384}",
        HUB,
        "library/validname",
        None,
        SHA384,
    ),
    ok(
        f"validname@{SHA512}",
        f"{HUB}/library/validname@{SHA512}",
        HUB,
        "library/validname",
        None,
        SHA512,
    ),
    # Length limits: the path counts (with library/), the domain does not; tags up to 128.
    ok("a" * 247, f"{HUB}/library/" + "a" * 247, HUB, "library/" + "a" * 247),
    ok(
        "a/" * 127 + "a:tag-puts-this-over-max",
        f"{HUB}/" + "a/" * 127 + "a:tag-puts-this-over-max",
        HUB,
        "a/" * 127 + "a",
        "tag-puts-this-over-max",
    ),
    ok(
        "example.com/" + "a" * 255 + ":tag",
        "example.com/" + "a" * 255 + ":tag",
        "example.com",
        "a" * 255,
        "tag",
    ),
    ok("x" * 300 + ".com/app", "x" * 300 + ".com/app", "x" * 300 + ".com", "app"),
    ok("foo:" + "t" * 128, f"{HUB}/library/foo:" + "t" * 128, HUB, "library/foo", "t" * 128),
    ok("foo:_.-Tag", f"{HUB}/library/foo:_.-Tag", HUB, "library/foo", "_.-Tag"),
]


@pytest.mark.parametrize(("text", "normalized", "domain", "path", "tag", "digest"), VALID)
def test_parse_valid(
    text: str, normalized: str, domain: str, path: str, tag: str | None, digest: str | None
) -> None:
    ref = ImageReference.parse(text)
    assert (ref.domain, ref.path, ref.tag, ref.digest) == (domain, path, tag, digest)
    assert str(ref) == normalized
    assert ref.name == f"{domain}/{path}"
    assert ImageReference.parse(normalized) == ref


def bad(text: str, kind: str, *, label: str | None = None) -> object:
    return pytest.param(text, kind, id=label or text[:80])


INVALID = [
    # Go's ParseNormalizedNamed calls '' a format error; the empty-name kind says more.
    bad("", EMPTY, label="empty"),
    bad(":justtag", FORMAT),
    bad(f"@{SHA}", FORMAT),
    bad("aa/asdf$$^/aa", FORMAT),
    bad("https://github.com/docker/docker", FORMAT),
    bad("a b", FORMAT),
    bad(" python", FORMAT),
    bad("python\n", FORMAT, label="trailing newline"),
    bad("it's", FORMAT),
    bad('say "hi"', FORMAT),
    bad("tab\there", FORMAT, label="tab"),
    bad("nul\x00", FORMAT, label="nul"),
    bad("foo:", FORMAT),
    bad("foo@", FORMAT),
    bad("foo:tag:more", FORMAT),
    bad(f"foo@{SHA}@{SHA}", FORMAT),
    bad("foo:-tag", FORMAT),
    bad("foo:.tag", FORMAT),
    bad("foo:" + "t" * 129, FORMAT, label="tag of 129"),
    bad("foo:täg", FORMAT),
    # Path components.
    bad("-docker", FORMAT),
    bad("-docker/docker", FORMAT),
    bad("docker-/docker", FORMAT),
    bad("-docker-/docker", FORMAT),
    bad("____/____", FORMAT),
    bad("_docker/_docker", FORMAT),
    bad("dock..er/docker", FORMAT),
    bad("dock_.er/docker", FORMAT),
    bad("dock-.er/docker", FORMAT),
    bad("dock___er/docker", FORMAT),
    bad("docker/", FORMAT),
    bad("/docker", FORMAT),
    bad("docker///docker", FORMAT),
    bad("docker.io/docker///docker", FORMAT),
    bad("docker.io/", FORMAT),
    # Domains: bad host names, IPv6 outside brackets or with zones, no path after a domain.
    bad("-docker.io/docker/docker", FORMAT),
    bad("docker-.io/x", FORMAT),
    # Docker accepts this with no domain at all (and cannot pull it); we refuse it.
    bad("foo_bar.com/x", FORMAT),
    bad("example.com:/x", FORMAT),
    bad("example.com:port/x", FORMAT),
    bad("fc00::1:5000/debian", FORMAT),
    bad("[fc00::1]", FORMAT),
    bad("[fc00::1]:5000", FORMAT),
    bad("[2001:db8::1]", FORMAT),
    bad("[2001:db8::1]:5000", FORMAT),
    bad("[2001:db8::1]:tag", FORMAT),
    bad("[fe80::1%eth0]:5000/repo", FORMAT),
    bad("[fe80::1%@invalidzone]:5000/repo", FORMAT),
    bad("[2001:db8:3:4::192.0.2.33]:5000/debian", FORMAT),
    bad("[]:5000/repo", FORMAT),
    # Capitals outside the domain and the tag.
    bad("Uppercase:tag", UPPER),
    bad("FOO", UPPER),
    bad("docker/Docker", UPPER),
    bad("docker.io/docker/Docker", UPPER),
    bad("test:5000/Uppercase/lowercase:tag", UPPER),
    bad("Foo_Bar/x", UPPER),
    # Lengths: the normalized path (library/ included) may not pass 255.
    bad("a" * 248, LONG, label="familiar name of 248"),
    bad("example.com/" + "a" * 256, LONG, label="path of 256"),
    bad("domain/" + "a" * 256 + ":tag", LONG, label="docker.io path of 263"),
    bad("a/" * 128 + "a", LONG, label="path of 257"),
    bad(
        "_".join(["a_namespace_that_is_far_too_long_for_a_registry"] * 6) + "/docker",
        LONG,
        label="long namespace",
    ),
    # Bare identifiers and digests name no repository.
    bad(IMAGE_ID, HEXNAME, label="image id"),
    bad(SHA, NONAME, label="bare sha256"),
    bad(SHA512, NONAME, label="bare sha512"),
    # Digests: syntax, registered algorithms, lengths, lowercase hex.
    bad("repo@sha256:" + "f" * 34, DIGEST_LENGTH, label="sha256 of 34"),
    bad("repo@sha256:" + HEX[:63], DIGEST_LENGTH, label="sha256 of 63"),
    bad("repo@sha256:" + HEX + "0", DIGEST_LENGTH, label="sha256 of 65"),
    bad("repo@sha512:" + HEX, DIGEST_LENGTH, label="sha512 of 64"),
    bad("repo@sha256:" + HEX.upper(), DIGEST_FORMAT, label="uppercase hex"),
    bad("repo:tag@Sha256:" + HEX, DIGEST_FORMAT, label="capital algorithm"),
    # Docker checks capitals up to the first ':', so with no tag that takes in the algorithm.
    bad("repo@Sha256:" + HEX, UPPER, label="capital algorithm, no tag"),
    bad(f"validname@invaliddigest:{HEX}", UNSUPPORTED),
    bad("validname@md5:" + "f" * 32, UNSUPPORTED),
    bad(f"validname@sha1+b64:{HEX}", UNSUPPORTED),
    bad("repo@sha256:abc", FORMAT),
    bad("repo@sha256:" + "g" * 64, FORMAT),
    bad(f"repo@:{HEX}", FORMAT),
    bad(f"repo@1sha:{HEX}", FORMAT),
]


def quoted(text: str) -> str:
    """How the message quotes `text`: repr's escapes, but always in single quotes."""
    inner = repr(text)[1:-1]
    return "'" + (inner.replace("'", "\\'") if repr(text).startswith('"') else inner) + "'"


@pytest.mark.parametrize(("text", "kind"), INVALID)
def test_parse_invalid(text: str, kind: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        ImageReference.parse(text)
    message = str(caught.value)
    assert message.startswith(f"invalid reference {quoted(text)}: ")
    assert kind in message


def test_message_examples() -> None:
    with pytest.raises(InvalidReference) as caught:
        ImageReference.parse("docker/Docker")
    assert str(caught.value) == (
        "invalid reference 'docker/Docker': repository name must be lowercase; "
        "use 'docker/docker', not 'docker/Docker'"
    )
    with pytest.raises(InvalidReference) as caught:
        ImageReference.parse("it's")
    assert str(caught.value).startswith("invalid reference 'it\\'s': invalid reference format; ")
    with pytest.raises(InvalidReference, match="write an image name such as"):
        ImageReference.parse("")
    with pytest.raises(InvalidReference, match=r"write '<name>@sha256:"):
        ImageReference.parse(SHA)
    with pytest.raises(
        InvalidReference, match=r"its path is 256 characters long \(with the 'library/' prefix"
    ):
        ImageReference.parse("a" * 248)
    with pytest.raises(InvalidReference, match="tag 'bad!' is not valid"):
        ImageReference.parse("foo:bad!")


def test_invalid_reference_type() -> None:
    assert issubclass(InvalidReference, ImagepinError)
    assert issubclass(InvalidReference, ValueError)
    assert InvalidReference("x").exit_code == 2


def test_non_string_is_invalid_reference() -> None:
    with pytest.raises(InvalidReference, match="expected a string, got int"):
        ImageReference.parse(3)  # type: ignore[arg-type]


FAMILIAR = [
    # (any accepted spelling, familiar name, familiar form)
    ("localhost/fooo", "localhost/fooo", "localhost/fooo"),
    ("localhost/fooo/bar", "localhost/fooo/bar", "localhost/fooo/bar"),
    ("LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo", "LOCALDOMAIN/fooo"),
    ("fooo/bar", "fooo/bar", "fooo/bar"),
    ("docker.io/fooo/bar", "fooo/bar", "fooo/bar"),
    ("index.docker.io/fooo/bar", "fooo/bar", "fooo/bar"),
    ("library/ubuntu", "ubuntu", "ubuntu"),
    ("docker.io/library/ubuntu", "ubuntu", "ubuntu"),
    ("nonlibrary/ubuntu", "nonlibrary/ubuntu", "nonlibrary/ubuntu"),
    (
        "127.0.0.1:8000/private/moonbase",
        "127.0.0.1:8000/private/moonbase",
        "127.0.0.1:8000/private/moonbase",
    ),
    (
        "example.com:8000/privatebasee",
        "example.com:8000/privatebasee",
        "example.com:8000/privatebasee",
    ),
    ("index.docker.io/library/ubuntu-12.04-base", "ubuntu-12.04-base", "ubuntu-12.04-base"),
    ("docker.io/foo", "foo", "foo"),
    ("library/foo/bar", "library/foo/bar", "library/foo/bar"),
    ("Foo/bar", "Foo/bar", "Foo/bar"),
    ("python:3.12", "python", "python:3.12"),
    (f"python:3.12@{SHA}", "python", f"python:3.12@{SHA}"),
    (f"ghcr.io/org/app@{SHA}", "ghcr.io/org/app", f"ghcr.io/org/app@{SHA}"),
    ("[::1]:5000/foo:1", "[::1]:5000/foo", "[::1]:5000/foo:1"),
    # Where Docker's short form would read back differently, the domain or library/ stays.
    ("docker.io/foo.bar/x", "docker.io/foo.bar/x", "docker.io/foo.bar/x"),
    ("docker.io/localhost/x:1", "docker.io/localhost/x", "docker.io/localhost/x:1"),
    (f"docker.io/{IMAGE_ID}", f"library/{IMAGE_ID}", f"library/{IMAGE_ID}"),
    (f"library/sha256:{HEX}", "sha256", f"library/sha256:{HEX}"),
]


@pytest.mark.parametrize(("text", "familiar_name", "familiar"), FAMILIAR)
def test_familiar(text: str, familiar_name: str, familiar: str) -> None:
    ref = ImageReference.parse(text)
    assert ref.familiar_name == familiar_name
    assert ref.familiar() == familiar
    assert ImageReference.parse(familiar) == ref


@pytest.mark.parametrize(
    ("spellings", "normalized"),
    [
        (
            [
                "redis",
                "library/redis",
                "docker.io/redis",
                "docker.io/library/redis",
                "index.docker.io/redis",
            ],
            "docker.io/library/redis",
        ),
        (
            [
                "dmcgowan/myapp:latest",
                "docker.io/dmcgowan/myapp:latest",
                "index.docker.io/dmcgowan/myapp:latest",
            ],
            "docker.io/dmcgowan/myapp:latest",
        ),
        (
            [f"busybox@{SHA}", f"docker.io/busybox@{SHA}", f"library/busybox@{SHA}"],
            f"docker.io/library/busybox@{SHA}",
        ),
    ],
)
def test_spellings_are_equal(spellings: list[str], normalized: str) -> None:
    refs = {ImageReference.parse(s) for s in spellings}
    assert len(refs) == 1
    assert str(refs.pop()) == normalized


def test_library_prefix_is_only_added_on_docker_hub() -> None:
    assert ImageReference.parse("docker.io/foo").path == "library/foo"
    assert ImageReference.parse("foo").path == "library/foo"
    assert ImageReference.parse("gcr.io/foo").path == "foo"
    assert ImageReference.parse("localhost/foo").path == "foo"
    assert ImageReference.parse("docker.io:443/foo").path == "foo"


def test_value_object() -> None:
    ref = ImageReference.parse(f"python:3.12@{SHA}")
    assert ref == ImageReference(DEFAULT_DOMAIN, "library/python", "3.12", SHA)
    assert hash(ref) == hash(ImageReference.parse(f"docker.io/library/python:3.12@{SHA}"))
    assert ref != ref.without_tag()
    assert repr(ref) == f"ImageReference('docker.io/library/python:3.12@{SHA}')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.tag = "3.13"  # type: ignore[misc]
    assert DEFAULT_DOMAIN == "docker.io"


def test_with_and_without() -> None:
    ref = ImageReference.parse("ghcr.io/org/app:1.0")
    pinned = ref.with_digest(SHA)
    assert str(pinned) == f"ghcr.io/org/app:1.0@{SHA}"
    assert str(pinned.with_tag("TAG5")) == f"ghcr.io/org/app:TAG5@{SHA}"
    assert str(pinned.with_digest(SHA512)) == f"ghcr.io/org/app:1.0@{SHA512}"
    assert str(pinned.without_tag()) == f"ghcr.io/org/app@{SHA}"
    assert str(pinned.without_digest()) == "ghcr.io/org/app:1.0"
    assert str(ref.without_tag().with_tag("x" * 128)) == "ghcr.io/org/app:" + "x" * 128
    assert ref.without_digest() == ref


@pytest.mark.parametrize(
    ("tag", "kind"),
    [
        ("-foo", "invalid tag format"),
        ("", "invalid tag format"),
        ("a" * 129, "invalid tag format"),
        ("a/b", "invalid tag format"),
        ("a:b", "invalid tag format"),
    ],
)
def test_with_tag_rejects(tag: str, kind: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        ImageReference.parse("busybox").with_tag(tag)
    assert str(caught.value).startswith(f"invalid tag {quoted(tag)}: {kind}")
    assert "docker.io/library/busybox" in str(caught.value)


@pytest.mark.parametrize(
    ("digest", "kind"),
    [
        ("foo", DIGEST_FORMAT),
        ("sha256:", DIGEST_FORMAT),
        ("sha256:" + HEX.upper(), DIGEST_FORMAT),
        ("sha256:" + HEX[:40], DIGEST_LENGTH),
        ("sha384:" + HEX, DIGEST_LENGTH),
        ("md5:" + HEX[:32], UNSUPPORTED),
        ("SHA256:" + HEX, DIGEST_FORMAT),
        (HEX, DIGEST_FORMAT),
    ],
)
def test_with_digest_rejects(digest: str, kind: str) -> None:
    with pytest.raises(InvalidReference) as caught:
        ImageReference.parse("busybox").with_digest(digest)
    assert str(caught.value).startswith(f"invalid digest {quoted(digest)}: {kind}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (SHA, True),
        (SHA384, True),
        (SHA512, True),
        (HEX, False),
        ("sha256:" + HEX.upper(), False),
        ("sha256:" + HEX[:63], False),
        (SHA + "\n", False),
        (SHA + ":x", False),
        ("md5:" + HEX[:32], False),
        ("sha512:" + HEX, False),
        ("", False),
        (f"python@{SHA}", False),
    ],
)
def test_is_digest(text: str, expected: bool) -> None:
    assert is_digest(text) is expected
