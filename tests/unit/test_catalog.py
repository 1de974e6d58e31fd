"""The Python base catalog: tags, parsing back, impossible bases, lifecycle, rocks, Debian."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st
from pydantic import ValidationError

from imagepin.catalog import (
    VARIANTS,
    DebianPython,
    PythonBase,
    UbuntuRock,
    UnknownBase,
    Variant,
    catalog,
    default_distro,
    images_table,
    lifecycle_table,
    newest_series,
    support_status,
)
from imagepin.errors import ConfigError, ImagepinError
from imagepin.refs import ImageReference

REVIEWED = date(2026, 11, 25)

TAGS = [
    # (version, variant, distro) -> tag, exactly as Docker Hub writes it
    (("3.12", "slim", "bookworm"), "3.12-slim-bookworm"),
    (("3.12", "full", "bookworm"), "3.12-bookworm"),
    (("3.12", "full", None), "3.12"),
    (("3.12", "slim", None), "3.12-slim"),
    (("3", "slim", None), "3-slim"),
    (("3", "full", None), "3"),
    (("3", "slim", "trixie"), "3-slim-trixie"),
    (("3.12", "alpine", "alpine3.22"), "3.12-alpine3.22"),
    (("3.12", "alpine", None), "3.12-alpine"),
    (("3.13", "windowsservercore", "ltsc2022"), "3.13-windowsservercore-ltsc2022"),
    (("3.14", "windowsservercore", "ltsc2025"), "3.14-windowsservercore-ltsc2025"),
    (("3.13", "windowsservercore", None), "3.13-windowsservercore"),
    (("3.15.0a8", "slim", "trixie"), "3.15.0a8-slim-trixie"),
    (("3.15.0b1", "full", "bookworm"), "3.15.0b1-bookworm"),
    (("3.15.0rc2", "alpine", "alpine3.22"), "3.15.0rc2-alpine3.22"),
    (("3.15-rc", "slim", "trixie"), "3.15-rc-slim-trixie"),
    (("3.15-rc", "full", None), "3.15-rc"),
    (("3.15-rc", "windowsservercore", "ltsc2025"), "3.15-rc-windowsservercore-ltsc2025"),
    (("3.12.7", "slim", "bookworm"), "3.12.7-slim-bookworm"),
    (("3.11", "slim", "trixie"), "3.11-slim-trixie"),
    (("3.10", "slim", "bullseye"), "3.10-slim-bullseye"),
    (("2", "full", None), "2"),
    (("2.7", "full", None), "2.7"),
    (("2.7", "slim", None), "2.7-slim"),
    (("2.7.18", "slim", "buster"), "2.7.18-slim-buster"),
    (("2.7", "full", "stretch"), "2.7-stretch"),
    (("2.7", "alpine", "alpine3.11"), "2.7-alpine3.11"),
]


def _base(parts: tuple[str, str, str | None]) -> PythonBase:
    version, variant, distro = parts
    return PythonBase(version=version, variant=_variant(variant), distro=distro)


def _variant(text: str) -> Variant:
    return next(v for v in VARIANTS if v == text)


@pytest.mark.parametrize(("parts", "tag"), TAGS, ids=[t for _, t in TAGS])
def test_tag_is_built_as_docker_hub_writes_it(parts: tuple[str, str, str | None], tag: str) -> None:
    base = _base(parts)
    assert base.tag == tag
    assert base.repository == "docker.io/library/python"
    assert str(base.reference) == f"docker.io/library/python:{tag}"
    assert base.reference == ImageReference.parse(f"python:{tag}")


@pytest.mark.parametrize(("parts", "tag"), TAGS, ids=[t for _, t in TAGS])
def test_from_tag_parses_every_form_back(parts: tuple[str, str, str | None], tag: str) -> None:
    assert PythonBase.from_tag(tag) == _base(parts)


def test_from_tag_example_from_the_issue() -> None:
    assert PythonBase.from_tag("3.11-slim-trixie") == PythonBase(
        version="3.11", variant="slim", distro="trixie"
    )


def test_defaults_are_slim_and_a_floating_distro() -> None:
    assert PythonBase(version="3.12") == PythonBase(version="3.12", variant="slim", distro=None)
    assert PythonBase(version="3.12").tag == "3.12-slim"


@st.composite
def valid_bases(draw: st.DrawFn) -> PythonBase:
    series = draw(st.sampled_from(sorted(lifecycle_table().series)))
    major = series.split(".")[0]
    n, micro = draw(st.integers(1, 9)), draw(st.integers(0, 30))
    version = draw(
        st.sampled_from(
            [
                *(series, f"{series}.{micro}", major, f"{series}-rc"),
                *(f"{series}.0a{n}", f"{series}.0b{n}", f"{series}.0rc{n}"),
            ]
        )
    )
    variant = draw(st.sampled_from(VARIANTS))
    registry = draw(st.sampled_from(["docker.io", "127.0.0.1:5000", "mirror.example.com"]))
    candidates = []
    for distro in [None, *images_table().distros]:
        try:
            candidates.append(
                PythonBase(version=version, variant=variant, distro=distro, registry=registry)
            )
        except UnknownBase:
            continue
    if not candidates:
        reject()
    return draw(st.sampled_from(candidates))


@given(valid_bases())
def test_from_tag_round_trips_every_valid_base(base: PythonBase) -> None:
    assert PythonBase.from_tag(base.tag, registry=base.registry) == base
    assert str(base.reference) == f"{base.repository}:{base.tag}"
    assert base.reference.tag == base.tag


IMPOSSIBLE = [
    (
        ("3.12", "slim", "alpine3.22"),
        "no python image 'slim' on 'alpine3.22': the alpine variant already is the small one; "
        "use variant='alpine', distro='alpine3.22'",
    ),
    (
        ("3.12", "full", "alpine3.22"),
        "no python image 'full' on 'alpine3.22': Alpine images come in one variant, alpine; "
        "use variant='alpine', distro='alpine3.22'",
    ),
    (
        ("3.13", "slim", "ltsc2022"),
        "no python image 'slim' on 'ltsc2022': Windows images come in one variant, "
        "windowsservercore; use variant='windowsservercore', distro='ltsc2022'",
    ),
    (
        ("3.12", "windowsservercore", "bookworm"),
        "no python image 'windowsservercore' on 'bookworm': bookworm is a Debian release and the "
        "windowsservercore variant needs a Windows release; use variant='windowsservercore', "
        "distro='ltsc2025', or variant='slim', distro='bookworm'",
    ),
    (
        ("3.12", "alpine", "bookworm"),
        "no python image 'alpine' on 'bookworm': bookworm is a Debian release and the alpine "
        "variant needs an Alpine release; use variant='alpine', distro='alpine3.24', or "
        "variant='slim', distro='bookworm'",
    ),
    (
        ("3.11", "alpine", "trixie"),
        "use variant='alpine', distro='alpine3.24', or variant='slim', distro='trixie'",
    ),
    (
        ("3.12", "alpine", "ltsc2022"),
        "ltsc2022 is a Windows release and the alpine variant needs an Alpine release",
    ),
    (
        ("2.7", "windowsservercore", "ltsc2022"),
        "no python 2.7 image for variant 'windowsservercore': library/python never built 2.7 on "
        "a Windows release the catalog knows; use variant='slim', distro='buster'",
    ),
    (
        ("2", "windowsservercore", None),
        "library/python never built 2 on a Windows release the catalog knows; "
        "use variant='slim', distro='buster'",
    ),
    (
        ("2.7", "slim", "bookworm"),
        "no python 2.7 image on 'bookworm': library/python built 2.7 on stretch, buster; "
        "use variant='slim', distro='buster'",
    ),
    (
        ("3.8", "slim", "trixie"),
        "no python 3.8 image on 'trixie': library/python built 3.8 on buster, bullseye, "
        "bookworm; use variant='slim', distro='bookworm'",
    ),
    (
        ("3.15-rc", "slim", "stretch"),
        "no python 3.15-rc image on 'stretch': library/python built pre-releases of 3.15 on "
        "bookworm, trixie; use variant='slim', distro='bookworm'",
    ),
    (
        ("3.10", "windowsservercore", "ltsc2025"),
        "use variant='windowsservercore', distro='ltsc2022'",
    ),
    (
        ("3.0", "slim", None),
        "library/python never built 3.0 on a Debian release the catalog knows; "
        "use version='3.4', variant='slim', distro='stretch'",
    ),
    (
        ("3.12", "slimm", "bookworm"),
        "variant 'slimm' is not one of full, slim, alpine, windowsservercore; did you mean 'slim'?",
    ),
    (
        ("3.12", "ful", None),
        "variant 'ful' is not one of full, slim, alpine, windowsservercore; did you mean 'full'?",
    ),
    (
        ("3.12", "distroless", None),
        "variant 'distroless' is not one of full, slim, alpine, windowsservercore; "
        "use 'slim' for the small Debian image",
    ),
    (
        ("3.12", "slim", "bookwrm"),
        "distro 'bookwrm' is not a Debian, Alpine or Windows release the catalog knows; "
        "did you mean 'bookworm'?",
    ),
    (
        ("3.12", "slim", "focal"),
        "current ones are bookworm, trixie, alpine3.23, alpine3.24, ltsc2022, ltsc2025",
    ),
    (
        ("3.12", "alpine", "alpine3.5"),
        "distro 'alpine3.5': library/python has no image on alpine3.5 (catalog reviewed "
        "2026-11-25); use distro='alpine3.17'",
    ),
    (("3.12", "alpine", "alpine3.99"), "use distro='alpine3.24'"),
    (
        ("3.99", "slim", "bookworm"),
        "python 3.99 is not in the catalog (it knows 2.7 and 3.0 to 3.15, reviewed 2026-11-25); "
        "the newest known series is 3.15: use version='3.15'",
    ),
    (("4.0", "slim", None), "python 4.0 is not in the catalog"),
    (("4", "slim", None), "the newest known series is 3.15: use version='3.15'"),
    (("2.6", "slim", None), "python 2.6 is not in the catalog"),
    (
        ("3.15.1a1", "slim", None),
        "version '3.15.1a1': pre-releases exist only for x.y.0; "
        "use '3.15.0a1' or the release '3.15.1'",
    ),
]


@pytest.mark.parametrize(("parts", "message"), IMPOSSIBLE, ids=[str(p) for p, _ in IMPOSSIBLE])
def test_impossible_bases_name_the_nearest_valid_choice(
    parts: tuple[str, str, str | None], message: str
) -> None:
    version, variant, distro = parts
    with pytest.raises(UnknownBase) as direct:
        PythonBase(version=version, variant=variant, distro=distro)  # type: ignore[arg-type]
    assert message in str(direct.value)
    # Validated as part of a config file, the same message is inside pydantic's error.
    with pytest.raises(ValidationError) as wrapped:
        PythonBase.model_validate({"version": version, "variant": variant, "distro": distro})
    assert message in str(wrapped.value)


@pytest.mark.parametrize(
    "version", ["3.x", "", "v3.12", "3.12.", "03.12", "3.012", "3.12-slim", "3.15.0a", "3.15.0c1"]
)
def test_malformed_versions_say_what_to_write(version: str) -> None:
    with pytest.raises(UnknownBase, match="is not a Python version: write a series"):
        PythonBase(version=version)


def test_unknown_base_is_a_config_error_that_exits_2() -> None:
    assert issubclass(UnknownBase, ConfigError)
    assert issubclass(UnknownBase, ValueError)
    assert issubclass(UnknownBase, ImagepinError)
    assert UnknownBase("x").exit_code == 2


def test_unknown_base_comes_out_of_pydantic_as_itself() -> None:
    with pytest.raises(UnknownBase):
        PythonBase(version="3.12", variant="slim", distro="alpine3.22")
    with pytest.raises(UnknownBase):
        UbuntuRock(python="3.12", ubuntu="25.04")
    with pytest.raises(UnknownBase):
        DebianPython(codename="sid")


def test_other_mistakes_stay_pydantic_errors() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        PythonBase.model_validate({"version": "3.12", "flavor": "slim"})
    base = PythonBase(version="3.12")
    with pytest.raises(ValidationError, match="frozen"):
        base.version = "3.13"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("series", "pep", "end_of_life"),
    [
        ("2.7", 373, date(2020, 1, 1)),
        ("3.0", 361, date(2009, 6, 27)),
        ("3.1", 375, date(2012, 4, 9)),
        ("3.2", 392, date(2016, 2, 20)),
        ("3.3", 398, date(2017, 9, 29)),
        ("3.4", 429, date(2019, 3, 18)),
        ("3.5", 478, date(2020, 9, 30)),
        ("3.6", 494, date(2021, 12, 23)),
        ("3.7", 537, date(2023, 6, 27)),
        ("3.8", 569, date(2024, 10, 7)),
        ("3.9", 596, date(2025, 10, 31)),
        ("3.10", 619, date(2026, 10, 31)),
        ("3.11", 664, date(2027, 10, 31)),
        ("3.12", 693, date(2028, 10, 31)),
        ("3.13", 719, date(2029, 10, 31)),
        ("3.14", 745, date(2030, 10, 31)),
        ("3.15", 790, date(2031, 10, 31)),
    ],
)
def test_lifecycle_follows_each_release_schedule_pep(
    series: str, pep: int, end_of_life: date
) -> None:
    life = lifecycle_table().series[series]
    assert (life.pep, life.end_of_life) == (pep, end_of_life)
    assert life.first_release < life.end_of_life


@pytest.mark.parametrize(
    ("version", "end_of_life", "pep"),
    [
        ("3.12", date(2028, 10, 31), 693),
        ("3.12.7", date(2028, 10, 31), 693),
        ("3.15.0a8", date(2031, 10, 31), 790),
        ("3.15-rc", date(2031, 10, 31), 790),
        ("2.7.18", date(2020, 1, 1), 373),
        ("3", date(2031, 10, 31), 790),  # floats: the newest series released when reviewed
        ("2", date(2020, 1, 1), 373),
    ],
)
def test_a_base_has_its_series_end_of_life(version: str, end_of_life: date, pep: int) -> None:
    base = PythonBase(version=version, variant="full")
    assert (base.end_of_life, base.pep) == (end_of_life, pep)


def test_a_bare_major_floats_to_the_newest_released_series() -> None:
    assert PythonBase(version="3").series == "3.15"
    assert PythonBase(version="2").series == "2.7"
    assert PythonBase(version="3.15.0a8").series == "3.15"


@pytest.mark.parametrize(
    ("version", "on", "supported"),
    [
        ("3.9", date(2025, 10, 30), True),
        ("3.9", date(2025, 10, 31), False),  # the end-of-life date itself is not supported
        ("3.12", date(2023, 10, 1), False),  # the day before 3.12.0
        ("3.12", date(2023, 10, 2), True),
        ("3.12", date(2028, 10, 30), True),
        ("3.12", date(2028, 10, 31), False),
        ("2.7", date(2019, 12, 31), True),
        ("2.7", date(2020, 1, 1), False),
        ("3.15.0a8", date(2026, 5, 1), False),  # pre-releases are never supported
        ("3.15-rc", date(2027, 1, 1), False),
        ("3", date(2026, 6, 1), True),  # 3 floated to 3.14 then
        ("3", date(2031, 10, 31), False),
        ("2", REVIEWED, False),
    ],
)
def test_is_supported_on_boundary_dates(version: str, on: date, supported: bool) -> None:
    assert PythonBase(version=version, variant="full").is_supported(on) is supported


def test_is_supported_defaults_to_today() -> None:
    base = PythonBase(version="3.12")
    assert base.is_supported() is base.is_supported(date.today())


@pytest.mark.parametrize(
    ("version", "prerelease"),
    [
        ("3.15.0a8", True),
        ("3.15.0b1", True),
        ("3.15.0rc2", True),
        ("3.15-rc", True),
        ("3.12.0rc1", True),
        ("3.15", False),  # a series is never hard-coded as a pre-release
        ("3.12.7", False),
        ("3", False),
        ("2.7.18", False),
    ],
)
def test_prerelease_comes_from_the_version_string(version: str, prerelease: bool) -> None:
    assert PythonBase(version=version, variant="full").is_prerelease is prerelease


def test_support_status_words() -> None:
    assert support_status(PythonBase(version="3.12"), REVIEWED) == "supported"
    assert support_status(PythonBase(version="3.9"), REVIEWED) == "end of life on 2025-10-31"
    assert support_status(PythonBase(version="3.15.0a8"), REVIEWED) == "pre-release"
    assert support_status(PythonBase(version="3.15"), date(2026, 5, 1)) == (
        "not released until 2026-10-01"
    )


@pytest.mark.parametrize(
    ("on", "series"),
    [(date(2019, 12, 31), "3.8"), (date(2026, 6, 1), "3.14"), (REVIEWED, "3.15")],
)
def test_newest_series_released_and_supported_on_a_date(on: date, series: str) -> None:
    assert newest_series(on) == series


DEBIAN_PLATFORMS = (
    "linux/amd64",
    "linux/arm64/v8",
    "linux/arm/v7",
    "linux/arm/v5",
    "linux/386",
    "linux/ppc64le",
    "linux/s390x",
)
ALPINE_PLATFORMS = (
    "linux/amd64",
    "linux/arm64/v8",
    "linux/arm/v7",
    "linux/arm/v6",
    "linux/386",
    "linux/ppc64le",
    "linux/riscv64",
    "linux/s390x",
)


@pytest.mark.parametrize(
    ("variant", "distro", "platforms"),
    [
        ("full", "bookworm", DEBIAN_PLATFORMS),
        ("slim", "trixie", DEBIAN_PLATFORMS),
        ("alpine", "alpine3.22", ALPINE_PLATFORMS),
        ("windowsservercore", "ltsc2022", ("windows/amd64",)),
    ],
)
def test_platforms_per_variant(variant: Variant, distro: str, platforms: tuple[str, ...]) -> None:
    assert PythonBase(version="3.13", variant=variant, distro=distro).platforms == platforms


def test_mirror_registry() -> None:
    base = PythonBase(version="3.12", variant="slim", distro="bookworm", registry="127.0.0.1:5000")
    assert base.repository == "127.0.0.1:5000/library/python"
    assert str(base.reference) == "127.0.0.1:5000/library/python:3.12-slim-bookworm"
    assert base.reference.domain == "127.0.0.1:5000"
    assert PythonBase.from_tag("3.12-slim-bookworm", registry="127.0.0.1:5000") == base
    local = PythonBase(version="3.12", registry="localhost:5000")
    assert str(local.reference) == "localhost:5000/library/python:3.12-slim"


@pytest.mark.parametrize(
    ("registry", "message"),
    [
        ("mirror", "registry 'mirror' would be read as part of docker.io/mirror/library/python"),
        ("index.docker.io", "give a host with a dot or a port"),
        ("bad host", "registry 'bad host' is not a registry host"),
    ],
)
def test_bad_registries_say_how_to_write_one(registry: str, message: str) -> None:
    with pytest.raises(UnknownBase, match=message):
        PythonBase(version="3.12", registry=registry)


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("latest", "tag 'latest' names no Python version; pin one"),
        ("slim", "tag 'slim' names no Python version"),
        ("3.12-slim-", "tag '3.12-slim-' is not spelled the way library/python spells it; "),
        ("3.12-bookworm-slim", "distro 'bookworm-slim' is not a Debian, Alpine or Windows"),
        ("3.12-slim-alpine3.22", "the alpine variant already is the small one"),
    ],
)
def test_from_tag_rejects_what_docker_hub_never_wrote(tag: str, message: str) -> None:
    with pytest.raises(UnknownBase, match=message):
        PythonBase.from_tag(tag)


@pytest.mark.parametrize(
    ("version", "variant", "distro"),
    [
        ("3.12", "slim", "bookworm"),
        ("3.12", "full", "bookworm"),
        ("3.12", "alpine", "alpine3.24"),
        ("2.7", "alpine", "alpine3.11"),
        ("3.11", "windowsservercore", "ltsc2022"),
        ("3.12", "windowsservercore", "ltsc2025"),
    ],
)
def test_default_distro(version: str, variant: Variant, distro: str) -> None:
    assert default_distro(version, variant) == distro


def test_ubuntu_rock() -> None:
    rock = UbuntuRock(python="3.13", ubuntu="25.04")
    assert rock.tag == "3.13-25.04_stable"
    assert rock.repository == "docker.io/ubuntu/python"
    assert str(rock.reference) == "docker.io/ubuntu/python:3.13-25.04_stable"
    assert (rock.version, rock.variant, rock.distro) == ("3.13", "rock", "ubuntu-25.04")
    assert rock.entrypoint == "pebble"
    assert rock.command_prefix == ("exec", "python3")
    assert rock.health_command == ("pebble", "health")
    assert rock.logs_command == ("pebble", "logs")
    assert rock.platforms == ("linux/amd64", "linux/arm64/v8")
    assert rock.end_of_life == date(2026, 1, 15)
    assert not rock.is_prerelease
    assert rock.is_supported(date(2025, 12, 1))
    assert not rock.is_supported(date(2026, 1, 15))
    assert UbuntuRock.from_tag("3.13-25.04_stable") == rock


@pytest.mark.parametrize(
    ("python", "ubuntu", "end_of_life"),
    [("3.10", "22.04", date(2027, 6, 1)), ("3.12", "24.04", date(2029, 5, 31))],
)
def test_ubuntu_rock_table(python: str, ubuntu: str, end_of_life: date) -> None:
    rock = UbuntuRock(python=python, ubuntu=ubuntu, registry="127.0.0.1:5000")
    assert str(rock.reference) == f"127.0.0.1:5000/ubuntu/python:{python}-{ubuntu}_stable"
    assert rock.end_of_life == end_of_life


def test_ubuntu_rock_channels() -> None:
    edge = UbuntuRock(python="3.12", ubuntu="24.04", channel="edge")
    assert edge.tag == "3.12-24.04_edge"
    assert edge.is_prerelease
    assert not edge.is_supported(date(2027, 1, 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"python": "3.12", "ubuntu": "25.04"},
            "Ubuntu 25.04 ships Python 3.13, not 3.12; "
            "use python='3.13', ubuntu='25.04' or python='3.12', ubuntu='24.04'",
        ),
        ({"python": "3.11", "ubuntu": "22.04"}, "use python='3.10', ubuntu='22.04'"),
        (
            {"python": "3.13", "ubuntu": "26.04"},
            "ubuntu '26.04' has no python rock in the catalog (22.04 ships 3.10, 24.04 ships "
            "3.12, 25.04 ships 3.13); for python 3.13 use ubuntu='25.04'",
        ),
        (
            {"python": "3.12", "ubuntu": "24.04", "channel": "stabel"},
            "channel 'stabel' is not one of stable, candidate, beta, edge; did you mean 'stable'?",
        ),
    ],
)
def test_ubuntu_rock_mismatches(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(UnknownBase) as caught:
        UbuntuRock(**kwargs)
    assert message in str(caught.value)


def test_ubuntu_rock_tag_must_read_python_ubuntu_channel() -> None:
    with pytest.raises(UnknownBase, match="those read PYTHON-UBUNTU_CHANNEL"):
        UbuntuRock.from_tag("3.13-25.04")


@pytest.mark.parametrize(
    ("codename", "python", "end_of_life"),
    [
        ("bullseye", "3.9", date(2026, 8, 31)),
        ("bookworm", "3.11", date(2028, 6, 30)),
        ("trixie", "3.13", date(2030, 6, 30)),
    ],
)
def test_debian_python(codename: str, python: str, end_of_life: date) -> None:
    debian = DebianPython(codename=codename)
    assert debian.repository == "docker.io/library/debian"
    assert debian.tag == codename
    assert str(debian.reference) == f"docker.io/library/debian:{codename}"
    assert debian.python_version == python
    assert (debian.version, debian.variant, debian.distro) == (python, "apt", codename)
    assert debian.packages == ("python3", "python3-venv")
    assert debian.end_of_life == end_of_life
    assert not debian.is_prerelease
    assert "linux/amd64" in debian.platforms


def test_debian_python_note_cites_the_build_and_the_measurement() -> None:
    note = DebianPython(codename="bookworm").note
    for fact in ("--enable-shared", "--with-computed-gotos", "--with-system-expat", "0.748 s"):
        assert fact in note
    assert "1.168 s" in note


def test_debian_python_platforms_differ_per_release() -> None:
    assert "linux/riscv64" in DebianPython(codename="trixie").platforms
    assert "linux/mips64le" in DebianPython(codename="bookworm").platforms
    assert DebianPython(codename="bullseye").platforms == (
        "linux/amd64",
        "linux/arm64/v8",
        "linux/arm/v7",
        "linux/386",
    )


def test_debian_python_mirror_and_unknown_codename() -> None:
    mirrored = DebianPython(codename="trixie", registry="127.0.0.1:5000")
    assert str(mirrored.reference) == "127.0.0.1:5000/library/debian:trixie"
    with pytest.raises(UnknownBase) as caught:
        DebianPython(codename="bookwrm")
    assert str(caught.value) == (
        "codename 'bookwrm' has no Debian python3 in the catalog (bullseye ships 3.9, bookworm "
        "ships 3.11, trixie ships 3.13); did you mean 'bookworm'?"
    )


def _raw(name: str) -> dict[str, object]:
    text = (resources.files("imagepin") / "data" / name).read_text(encoding="utf-8")
    data = json.loads(text)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", ["python_lifecycle.json", "python_images.json"])
def test_data_files_ship_with_the_date_they_were_reviewed(name: str) -> None:
    assert _raw(name)["reviewed"] == "2026-11-25"
    assert lifecycle_table().reviewed == images_table().reviewed == REVIEWED


def test_every_series_an_image_carries_is_in_the_lifecycle_table() -> None:
    known = set(lifecycle_table().series)
    for release in images_table().distros.values():
        assert set(release.python) <= known
        assert set(release.prerelease) <= known
    for table in (images_table().ubuntu_rocks.releases, images_table().debian_python.releases):
        assert {r.python for r in table.values()} <= known


def test_catalog_lists_supported_bases_on_a_date() -> None:
    bases = catalog(on=REVIEWED)
    references = [str(b.reference) for b in bases]
    assert references[0] == "docker.io/library/python:3.15-bookworm"
    assert "docker.io/library/python:3.12-slim-bookworm" in references
    assert "docker.io/library/python:3.11-windowsservercore-ltsc2022" in references
    assert "docker.io/library/python:3.11-windowsservercore-ltsc2025" not in references
    # 3.10 ended on 2026-10-31 (Ubuntu 22.04's own 3.10 rock is still supported)
    assert not any(r.startswith("docker.io/library/python:3.10") for r in references)
    assert references[-4:] == [
        "docker.io/ubuntu/python:3.10-22.04_stable",
        "docker.io/ubuntu/python:3.12-24.04_stable",
        "docker.io/library/debian:bookworm",
        "docker.io/library/debian:trixie",
    ]
    assert all(b.is_supported(REVIEWED) for b in bases)
    assert len(bases) == 5 * 8 - 1 + 4


def test_catalog_with_legacy_adds_end_of_life_bases() -> None:
    references = {str(b.reference) for b in catalog(include_legacy=True, on=REVIEWED)}
    assert {
        "docker.io/library/python:2.7-slim-buster",
        "docker.io/library/python:2.7-alpine3.11",
        "docker.io/library/python:3.9-slim-trixie",
        "docker.io/library/python:3.10-slim-bookworm",
        "docker.io/ubuntu/python:3.13-25.04_stable",
        "docker.io/library/debian:bullseye",
    } <= references


def test_catalog_shows_an_unreleased_series_as_its_rc_line() -> None:
    bases = catalog(on=date(2026, 6, 1), registry="127.0.0.1:5000")
    assert str(bases[0].reference) == "127.0.0.1:5000/library/python:3.15-rc-bookworm"
    assert bases[0].is_prerelease
    assert support_status(bases[0], date(2026, 6, 1)) == "pre-release"
