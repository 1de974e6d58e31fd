"""The Dockerfile renderer: whole expected files for every layout, pinned from a lock."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from imagepin.dockerfile import (
    Healthcheck,
    ImageSpec,
    NotLocked,
    PipSettings,
    base_labels,
    pinned_bases,
    render,
    render_dockerignore,
    required_bases,
)
from imagepin.lock import Lock, LockEntry

SLIM = "sha256:" + "1" * 64
SLIM_AMD64 = "sha256:" + "2" * 64
SLIM_ARM64 = "sha256:" + "3" * 64
FULL = "sha256:" + "4" * 64
DEBIAN = "sha256:" + "5" * 64
UBUNTU = "sha256:" + "6" * 64
ROCK = "sha256:" + "7" * 64
ALPINE = "sha256:" + "8" * 64
INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
WHEN = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
MIRROR = "127.0.0.1:5000"


def entry(digest: str, platforms: dict[str, str] | None = None) -> LockEntry:
    media = INDEX if platforms else MANIFEST
    return LockEntry(
        digest=digest,
        media_type=media,
        platforms=platforms or {},
        registry=MIRROR,
        resolved_at=WHEN,
    )


def amd64_arm64(digest: str) -> dict[str, str]:
    return {"linux/amd64": digest, "linux/arm64/v8": digest}


@pytest.fixture
def lock() -> Lock:
    return Lock(
        Path("images.lock"),
        {
            "python:3.11-slim-bookworm": entry(
                SLIM, {"linux/amd64": SLIM_AMD64, "linux/arm64/v8": SLIM_ARM64}
            ),
            "python:3.11-bookworm": entry(FULL),
            "python:3.12-alpine3.22": entry(ALPINE, amd64_arm64(ALPINE)),
            "debian:bookworm": entry(DEBIAN),
            "ubuntu:24.04": entry(UBUNTU, amd64_arm64(UBUNTU)),
            "ubuntu/python:3.12-24.04_stable": entry(ROCK, amd64_arm64(ROCK)),
        },
    )


def spec(**overrides: object) -> ImageSpec:
    fields: dict[str, object] = {
        "python": "3.11",
        "command": ["python3", "-m", "service"],
        "port": 8000,
        "healthcheck": {"path": "/healthz"},
        "pip": {"ca_secret": "pip-ca"},
        "mirror": MIRROR,
    }
    fields.update(overrides)
    return ImageSpec(**fields)


PROBE = (
    'HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 CMD ["python3", "-c", '
    "\"import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', "
    'timeout=3)"]'
)
USER = (
    "RUN groupadd --system --gid 10001 app \\\n"
    " && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home "
    "--shell /usr/sbin/nologin app"
)

SLIM_DOCKERFILE = f"""\
# Rendered by imagepin (layout: slim); edit the stack config, not this file.
FROM 127.0.0.1:5000/library/python:3.11-slim-bookworm@{SLIM}
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1
{USER}
WORKDIR /usr/src/app
COPY requirements.txt ./
RUN --mount=type=secret,id=pip-ca,required=true \\
    PIP_CERT=/run/secrets/pip-ca \\
    PIP_ROOT_USER_ACTION=ignore \\
    pip install --no-cache-dir --disable-pip-version-check -r requirements.txt
COPY --chown=0:10001 . .
USER 10001:10001
EXPOSE 8000
{PROBE}
CMD ["python3", "-m", "service"]
"""

BUILDER_DOCKERFILE = f"""\
# Rendered by imagepin (layout: builder); edit the stack config, not this file.
FROM 127.0.0.1:5000/library/python:3.11-bookworm@{FULL} AS builder
# dpkg-preconfigure off: without apt-utils it does nothing but copy debconf's database into the layer
RUN echo '#clear DPkg::Pre-Install-Pkgs;' > /tmp/imagepin-apt.conf \\
 && apt-get update \\
 && apt-get -c /tmp/imagepin-apt.conf install -y --no-install-recommends build-essential libpq-dev \\
 && apt-get clean \\
 && rm -rf /tmp/imagepin-apt.conf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log /var/lib/dpkg/*-old /var/cache/debconf/*-old
RUN python3 -m venv --without-pip /opt/venv
WORKDIR /usr/src/app
COPY requirements.txt requirements-native.txt ./
RUN --mount=type=secret,id=pip-ca,required=true \\
    PIP_CERT=/run/secrets/pip-ca \\
    python3 -m pip --python /opt/venv/bin/python install --no-cache-dir --disable-pip-version-check \
-r requirements.txt -r requirements-native.txt

FROM 127.0.0.1:5000/library/python:3.11-slim-bookworm@{SLIM}
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PATH=/opt/venv/bin:$PATH
# dpkg-preconfigure off: without apt-utils it does nothing but copy debconf's database into the layer
RUN echo '#clear DPkg::Pre-Install-Pkgs;' > /tmp/imagepin-apt.conf \\
 && apt-get update \\
 && apt-get -c /tmp/imagepin-apt.conf install -y --no-install-recommends libpq5 \\
 && apt-get clean \\
 && rm -rf /tmp/imagepin-apt.conf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log /var/lib/dpkg/*-old /var/cache/debconf/*-old
{USER}
COPY --from=builder /opt/venv /opt/venv
WORKDIR /usr/src/app
COPY --chown=0:10001 . .
USER 10001:10001
EXPOSE 8000
{PROBE}
CMD ["python3", "-m", "service"]
"""

DEBIAN_APT_DOCKERFILE = f"""\
# Rendered by imagepin (layout: debian-apt); edit the stack config, not this file.
FROM 127.0.0.1:5000/library/debian:bookworm@{DEBIAN} AS builder
# dpkg-preconfigure off: without apt-utils it does nothing but copy debconf's database into the layer
RUN echo '#clear DPkg::Pre-Install-Pkgs;' > /tmp/imagepin-apt.conf \\
 && apt-get update \\
 && apt-get -c /tmp/imagepin-apt.conf install -y --no-install-recommends python3 python3-pip python3-venv \\
 && apt-get clean \\
 && rm -rf /tmp/imagepin-apt.conf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log /var/lib/dpkg/*-old /var/cache/debconf/*-old
RUN python3 -m venv --without-pip /opt/venv
WORKDIR /usr/src/app
COPY requirements.txt ./
RUN --mount=type=secret,id=pip-ca,required=true \\
    PIP_CERT=/run/secrets/pip-ca \\
    python3 -m pip --python /opt/venv/bin/python install --no-cache-dir --disable-pip-version-check -r requirements.txt

FROM 127.0.0.1:5000/library/debian:bookworm@{DEBIAN}
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PATH=/opt/venv/bin:$PATH
# dpkg-preconfigure off: without apt-utils it does nothing but copy debconf's database into the layer
RUN echo '#clear DPkg::Pre-Install-Pkgs;' > /tmp/imagepin-apt.conf \\
 && apt-get update \\
 && apt-get -c /tmp/imagepin-apt.conf install -y --no-install-recommends python3 \\
 && apt-get clean \\
 && rm -rf /tmp/imagepin-apt.conf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log /var/lib/dpkg/*-old /var/cache/debconf/*-old
{USER}
COPY --from=builder /opt/venv /opt/venv
WORKDIR /usr/src/app
COPY --chown=0:10001 . .
USER 10001:10001
EXPOSE 8000
{PROBE}
CMD ["python3", "-m", "service"]
"""

ROCK_DOCKERFILE = f"""\
# Rendered by imagepin (layout: ubuntu-rock); edit the stack config, not this file.
FROM docker.io/library/ubuntu:24.04@{UBUNTU} AS builder
# dpkg-preconfigure off: without apt-utils it does nothing but copy debconf's database into the layer
RUN echo '#clear DPkg::Pre-Install-Pkgs;' > /tmp/imagepin-apt.conf \\
 && apt-get update \\
 && apt-get -c /tmp/imagepin-apt.conf install -y --no-install-recommends python3 python3-pip python3-venv \\
 && apt-get clean \\
 && rm -rf /tmp/imagepin-apt.conf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log /var/lib/dpkg/*-old /var/cache/debconf/*-old
RUN python3 -m venv --without-pip /opt/venv
WORKDIR /usr/src/app
COPY requirements.txt ./
RUN python3 -m pip --python /opt/venv/bin/python install --no-cache-dir --disable-pip-version-check -r requirements.txt
RUN mkdir -p /pebble/layers \\
 && printf '%s\\n' 'summary: imagepin health check' 'checks:' '  app:' '    override: replace' \
'    level: alive' '    period: 10s' '    timeout: 2s' '    threshold: 3' '    http:' \
'      url: http://127.0.0.1:8080/ready' > /pebble/layers/001-imagepin.yaml

FROM docker.io/ubuntu/python:3.12-24.04_stable@{ROCK}
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1 \\
    PATH=/opt/venv/bin:$PATH \\
    PYTHONPATH=/usr/src/app \\
    PEBBLE=/var/lib/pebble/app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder --chown=10001:10001 /pebble/ /var/lib/pebble/app/
WORKDIR /usr/src/app
COPY --chown=0:10001 . .
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s --start-period=5s --retries=3 CMD ["pebble", "health"]
CMD ["exec", "python3", "-m", "service"]
"""

ALPINE_DOCKERFILE = f"""\
# Rendered by imagepin (layout: slim); edit the stack config, not this file.
FROM docker.io/library/python:3.12-alpine3.22@{ALPINE}
ENV PYTHONDONTWRITEBYTECODE=1 \\
    PYTHONUNBUFFERED=1
RUN apk add --no-cache libpq tzdata
RUN addgroup -S -g 20000 app \\
 && adduser -S -D -u 20000 -G app -h /home/app -s /sbin/nologin app
WORKDIR /usr/src/app
COPY requirements.txt ./
COPY requirements/prod.txt ./requirements/prod.txt
RUN --mount=type=secret,id=pypi-token,required=true \\
    PIP_INDEX_URL="https://__token__:$(cat /run/secrets/pypi-token)@pypi.example.com/simple" \\
    PIP_ROOT_USER_ACTION=ignore \\
    pip install --no-cache-dir --disable-pip-version-check -r requirements.txt \
-r requirements/prod.txt
COPY --chown=0:20000 . .
USER 20000:20000
CMD ["python3", "app.py"]
"""


def test_slim_layout(lock: Lock) -> None:
    assert render(spec(), lock) == SLIM_DOCKERFILE


def test_builder_layout_builds_in_full_and_runs_on_slim(lock: Lock) -> None:
    image = spec(
        layout="builder",
        requirements=["requirements.txt", "requirements-native.txt"],
        build_packages=["libpq-dev", "build-essential"],
        runtime_packages=["libpq5"],
    )
    assert render(image, lock) == BUILDER_DOCKERFILE
    runtime = render(image, lock).split("\n\n")[1]
    assert "build-essential" not in runtime and "libpq-dev" not in runtime


def test_debian_apt_layout(lock: Lock) -> None:
    assert render(spec(layout="debian-apt"), lock) == DEBIAN_APT_DOCKERFILE


def test_ubuntu_rock_layout_keeps_pebble_as_entrypoint(lock: Lock) -> None:
    image = spec(
        layout="ubuntu-rock",
        python="3.12",
        port=8080,
        healthcheck={"path": "/ready", "interval": 10, "timeout": 2},
        pip={},
        mirror="docker.io",
    )
    text = render(image, lock)
    assert text == ROCK_DOCKERFILE
    assert "ENTRYPOINT" not in text  # the rock's own `pebble enter` stays


def test_alpine_private_index_and_nested_requirements(lock: Lock) -> None:
    image = ImageSpec(
        python="3.12",
        variant="alpine",
        distro="alpine3.22",
        command=["python3", "app.py"],
        requirements=["requirements.txt", "requirements/prod.txt"],
        runtime_packages=["tzdata", "libpq", "tzdata"],
        uid=20000,
        pip=PipSettings(index_url="https://pypi.example.com/simple", token_secret="pypi-token"),
    )
    assert render(image, lock) == ALPINE_DOCKERFILE


def test_rendering_is_deterministic_across_spellings(lock: Lock) -> None:
    snake = spec(layout="builder", build_packages=["gcc"], runtime_packages=["libpq5"])
    camel = ImageSpec.model_validate(
        {
            "python": "3.11",
            "command": ["python3", "-m", "service"],
            "port": 8000,
            "healthcheck": Healthcheck(path="/healthz"),
            "pip": {"caSecret": "pip-ca"},
            "mirror": MIRROR,
            "layout": "builder",
            "buildPackages": ["gcc"],
            "runtimePackages": ["libpq5"],
        }
    )
    assert snake == camel
    assert render(snake, lock) == render(camel, lock) == render(snake, lock)


def test_mirror_replaces_only_the_docker_hub_domain(lock: Lock) -> None:
    assert pinned_bases(spec(mirror="docker.io"), lock) == {
        "runtime": f"docker.io/library/python:3.11-slim-bookworm@{SLIM}"
    }
    assert pinned_bases(spec(mirror="mirror.example.com:443"), lock) == {
        "runtime": f"mirror.example.com:443/library/python:3.11-slim-bookworm@{SLIM}"
    }


def test_no_syntax_line_and_exec_form_cmd(lock: Lock) -> None:
    for layout, python in (("slim", "3.11"), ("builder", "3.11"), ("debian-apt", "3.11")):
        text = render(spec(layout=layout, python=python), lock)
        assert "# syntax" not in text
        cmd = [line for line in text.splitlines() if line.startswith("CMD ")]
        assert cmd == ['CMD ["python3", "-m", "service"]']


SECRETS = {
    "pip": {"ca_secret": "pip-ca", "index_url": "https://p.example/simple", "token_secret": "tok"}
}


@pytest.mark.parametrize("layout", ["slim", "builder", "debian-apt"])
def test_secrets_only_in_run_mounts(lock: Lock, layout: str) -> None:
    text = render(spec(layout=layout, **SECRETS), lock)
    instructions = re.split(r"\n(?=[A-Z]+ )", text)
    reading = [i for i in instructions if "/run/secrets/" in i]
    assert len(reading) == 1  # the one pip install
    assert reading[0].startswith(
        "RUN --mount=type=secret,id=pip-ca,required=true \\\n"
        "    --mount=type=secret,id=tok,required=true \\\n"
        "    PIP_CERT=/run/secrets/pip-ca \\\n"
        '    PIP_INDEX_URL="https://__token__:$(cat /run/secrets/tok)@p.example/simple" \\\n'
    )
    assert not [i for i in instructions if i.startswith(("ARG", "ENV")) and "secret" in i]
    assert not [i for i in instructions if i.startswith(("ARG", "ENV")) and "PIP_" in i]
    assert "ARG " not in text


def test_build_secrets_required_bases_and_labels(lock: Lock) -> None:
    builder = spec(layout="builder", **SECRETS)
    assert builder.build_secrets == ("pip-ca", "tok")
    assert [str(r) for r in required_bases(builder)] == [
        "docker.io/library/python:3.11-bookworm",
        "docker.io/library/python:3.11-slim-bookworm",
    ]
    assert [str(r) for r in required_bases(spec(layout="debian-apt"))] == [
        "docker.io/library/debian:bookworm"
    ]
    rock = spec(layout="ubuntu-rock", python="3.12", distro="24.04")
    assert [str(r) for r in required_bases(rock)] == [
        "docker.io/library/ubuntu:24.04",
        "docker.io/ubuntu/python:3.12-24.04_stable",
    ]
    assert base_labels(builder, lock) == {
        "org.opencontainers.image.base.digest": SLIM,
        "org.opencontainers.image.base.name": "docker.io/library/python:3.11-slim-bookworm",
    }


def test_missing_lock_entry_says_which_command_to_run(lock: Lock) -> None:
    image = spec(python="3.12")
    with pytest.raises(NotLocked) as caught:
        render(image, lock)
    assert str(caught.value) == (
        "python:3.12-slim-bookworm (the runtime base of this slim image) is not in images.lock; "
        "run `imagepin lock add python:3.12-slim-bookworm --mirror 127.0.0.1:5000` "
        "(or `imagepin lock add --from-stacks`)"
    )
    other = Lock(Path("build/ci.lock"), {})
    with pytest.raises(NotLocked, match=r"`imagepin lock add python:3.11-bookworm "):
        render(spec(layout="builder"), other)
    with pytest.raises(NotLocked) as caught:
        render(spec(layout="builder", mirror="docker.io"), other)
    assert "run `imagepin lock add python:3.11-bookworm --lock build/ci.lock`" in str(caught.value)


def test_platform_the_locked_base_does_not_publish(lock: Lock) -> None:
    image = spec(platforms=["linux/amd64", "linux/arm/v7"])
    with pytest.raises(NotLocked) as caught:
        render(image, lock)
    assert str(caught.value) == (
        "python:3.11-slim-bookworm in images.lock has no linux/arm/v7 image (the runtime base); "
        "it publishes linux/amd64, linux/arm64/v8. Remove linux/arm/v7 from platforms, or run "
        "`imagepin lock refresh python:3.11-slim-bookworm` if upstream has added it"
    )
    two = spec(platforms=["linux/amd64", "linux/arm64"])
    assert render(two, lock).startswith(render(spec(), lock).split("\n")[0])


def test_platform_the_catalog_base_does_not_publish() -> None:
    with pytest.raises(Exception) as caught:
        spec(platforms=["linux/amd64", "linux/riscv64"])
    assert str(caught.value) == (
        "ImageSpec: platforms[1]: 'linux/riscv64' is not published by python:3.11-slim-bookworm "
        "(the runtime base); it publishes linux/amd64, linux/arm64/v8, linux/arm/v7, "
        "linux/arm/v5, linux/386, linux/ppc64le, linux/s390x. Remove linux/riscv64 or pick a "
        "base that has it"
    )


def test_dockerignore_defaults_then_extras() -> None:
    assert render_dockerignore(spec(ignore=["data/", "*.sqlite"])) == (
        "# Rendered by imagepin: kept out of the build context, so out of the image.\n"
        ".git\n.venv\nvenv\n.env\n.pulumi\n**/__pycache__\n**/*.pyc\n**/*.pyo\n"
        ".mypy_cache\n.pytest_cache\n.ruff_cache\ndata/\n*.sqlite\n"
    )


def test_the_sample_app_carries_the_rendered_dockerignore() -> None:
    app = Path(__file__).resolve().parents[2] / "app"
    assert (app / ".dockerignore").read_text() == render_dockerignore(spec())


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {
            "layout": "builder",
            "build_packages": ["build-essential"],
            "runtime_packages": ["libpq5"],
        },
        {"runtime_packages": ["libpq5"]},
        {"layout": "debian-apt", "runtime_packages": ["libpq5"]},
        {"layout": "ubuntu-rock", "python": "3.12", "mirror": "docker.io"},
    ],
    ids=["slim", "builder", "slim+packages", "debian-apt", "ubuntu-rock"],
)
def test_every_layout_passes_imagepins_own_dockerfile_rules(
    lock: Lock, overrides: dict[str, object]
) -> None:
    """What imagepin renders is what its policy asks for: no rule finds anything in it (the
    apt steps included: -c before install, recommends off, lists removed)."""
    from imagepin.check import check_text
    from imagepin.rules.base import Settings

    text = render(spec(**overrides), lock)
    report = check_text(text, Settings(lock=lock, today=WHEN.date()), file="rendered")
    assert report.violations == (), [f"{v.rule}: {v.message}" for v in report.violations]
