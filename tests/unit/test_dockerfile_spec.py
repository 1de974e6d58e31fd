"""ImageSpec validation: every mistake is a ConfigError naming the field and the fix."""

from __future__ import annotations

import pytest

from imagepin.dockerfile import ImageSpec
from imagepin.errors import ConfigError


def problem(**overrides: object) -> str:
    fields: dict[str, object] = {"python": "3.12", "command": ["python3", "-m", "service"]}
    fields.update(overrides)
    with pytest.raises(ConfigError) as caught:
        ImageSpec(**fields)
    return str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"variant": "slimm"},
            "variant: 'slimm' is not one of full, slim, alpine, windowsservercore; "
            "did you mean 'slim'?",
        ),
        (
            {"layout": "bulider"},
            "layout: 'bulider' is not one of slim, builder, debian-apt, ubuntu-rock; "
            "did you mean 'builder'?",
        ),
        (
            {"python": 3.12},
            "python: expected a string, got the number 3.12; quote it: python: '3.12'",
        ),
        (
            {"distro": "bookwork"},
            "distro: distro 'bookwork' is not a Debian, Alpine or Windows release the catalog "
            "knows; did you mean 'bookworm'?",
        ),
        (
            {"variant": "windowsservercore"},
            "variant: windowsservercore images are Windows containers and imagepin renders Linux "
            "images; use variant: slim",
        ),
        (
            {"build_packages": ["gcc"]},
            "build_packages: the slim layout has no build stage, so these would stay in the "
            "runtime; use layout: builder (the runtime then carries no compiler)",
        ),
        (
            {"layout": "builder", "variant": "full"},
            "variant: the builder layout always runs on the slim variant (it builds in full); "
            "remove variant: full, or use layout: slim with variant: full",
        ),
        (
            {"layout": "builder", "distro": "alpine3.22"},
            "distro: Alpine has no full variant to build in; use distro: bookworm, or layout: "
            "slim with variant: alpine",
        ),
        (
            {"layout": "debian-apt"},
            "python: Debian bookworm ships python 3.11, not 3.12; use python: '3.11'",
        ),
        (
            {"layout": "debian-apt", "python": "3.13"},
            "python: Debian bookworm ships python 3.11, not 3.13; use python: '3.11', "
            "or distro: trixie",
        ),
        (
            {"layout": "debian-apt", "variant": "slim", "python": "3.11"},
            "variant: the debian-apt layout has no library/python variant; remove variant, or "
            "use layout: slim to choose one",
        ),
        (
            {"layout": "ubuntu-rock", "python": "3.11"},
            "python: no ubuntu/python rock carries python 3.11 (22.04 ships 3.10, 24.04 ships "
            "3.12, 25.04 ships 3.13); use python: '3.12' or another layout",
        ),
        (
            {"layout": "ubuntu-rock", "runtime_packages": ["libpq5"]},
            "runtime_packages: Ubuntu rocks are chiselled (no shell, no apt), so nothing can be "
            "installed in the runtime; use layout: builder or debian-apt for native libraries",
        ),
        ({"uid": 0}, "uid: input should be greater than or equal to 1 (got the number 0)"),
        (
            {"runtime_packages": ["libpq5", "libpq5; rm -rf /"]},
            "runtime_packages[1]: 'libpq5; rm -rf /' is not a package name; write it as apt or "
            "apk spells it (libpq5, build-essential, libpq-dev=15.*)",
        ),
        (
            {"requirements": ["../secrets.txt"]},
            "requirements[0]: '../secrets.txt' is not a file inside the app directory; give a "
            "relative path such as requirements.txt (no '..', no leading '/')",
        ),
        (
            {"platforms": ["linux/amd64", "linux/arm64/v8", "linux/arm64"]},
            "platforms[2]: 'linux/arm64' repeats platforms[1]",
        ),
        (
            {"platforms": ["amd64"]},
            "platforms[0]: 'amd64' is not os/arch[/variant]; write e.g. linux/arm64",
        ),
        (
            {"command": []},
            "command: empty; give the program and its arguments, e.g. [python3, -m, app]",
        ),
        ({"commands": ["x"]}, "commands: unknown key; did you mean 'command'?"),
        (
            {"healthcheck": {"path": "healthz"}},
            "healthcheck.path: 'healthz' is not a URL path; write one such as /healthz",
        ),
        (
            {"pip": {"token_secret": "pypi"}},
            "pip.indexUrl: tokenSecret 'pypi' needs the index it unlocks; set indexUrl: "
            "https://pypi.example.com/simple",
        ),
        (
            {"pip": {"index_url": "https://user:pw@pypi.example.com/simple"}},
            "pip.index_url: 'https://***@pypi.example.com/simple' is not an https index URL "
            "without credentials; write one such as https://pypi.example.com/simple and put the "
            "token in tokenSecret",
        ),
        (
            {"pip": {"ca_secret": "pip ca"}},
            "pip.ca_secret: 'pip ca' is not a BuildKit secret id; use letters, digits, '.', '_' "
            "and '-' (e.g. pip-ca)",
        ),
        (
            {"mirror": "https://mirror.example.com"},
            "mirror: 'https://mirror.example.com' is not a registry host; give one with a dot or "
            "a port, such as docker.io, mirror.example.com or 127.0.0.1:5000",
        ),
    ],
)
def test_problem_messages(overrides: dict[str, object], message: str) -> None:
    assert problem(**overrides) == f"ImageSpec: {message}"


def test_missing_fields_suggest_a_value() -> None:
    with pytest.raises(ConfigError) as caught:
        ImageSpec(python="3.12")
    assert str(caught.value) == (
        "ImageSpec: command: missing; add it, for example `command: [python3, -m, service]`"
    )


def test_a_healthcheck_port_defaults_to_the_image_port() -> None:
    spec = ImageSpec(python="3.12", command=["x"], port=8000, healthcheck={"path": "/h"})
    assert spec.healthcheck_port == 8000
    own = ImageSpec(python="3.12", command=["x"], healthcheck={"port": 9000})
    assert own.healthcheck_port == 9000


def test_specs_are_frozen() -> None:
    spec = ImageSpec(python="3.12", command=["x"])
    with pytest.raises(ValueError, match="frozen"):
        spec.python = "3.13"  # type: ignore[misc]
