"""The Dockerfile text of each layout, from a validated spec and its pinned `FROM` references.

Pure string building; `imagepin.dockerfile.render` is the entry point. Order inside a stage is
chosen for the layer cache: OS packages and the user first (they rarely change), requirements
before the source (a source-only change reuses the installed dependencies), metadata last.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from imagepin.dockerfile_spec import ImageSpec, Stage

WORKDIR = "/usr/src/app"
VENV = "/opt/venv"
PEBBLE = "/var/lib/pebble/app"
"""The rock's pebble directory ($PEBBLE), owned by the app user so pebble runs as non-root."""
USER_NAME = "app"
PYTHON_ENV = ("PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
DEBIAN_PYTHON = ("python3", "python3-pip", "python3-venv")
HEADER = "# Rendered by imagepin (layout: {layout}); edit the stack config, not this file."
DOCKERIGNORE = (
    "# Rendered by imagepin: kept out of the build context, so out of the image.",
    ".git",
    ".venv",
    "venv",
    ".env",
    ".pulumi",
    "**/__pycache__",
    "**/*.pyc",
    "**/*.pyo",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
)


def exec_form(args: Sequence[str]) -> str:
    """A JSON array, as the exec form of CMD and HEALTHCHECK wants it."""
    return json.dumps(list(args), ensure_ascii=False)


def _continued(first: str, rest: Sequence[str], prefix: str = " && ") -> list[str]:
    """One instruction over several lines: `RUN a \\`, then `<prefix>b \\`, ..."""
    last = len(rest) - 1
    return [first + (" \\" if rest else "")] + [
        prefix + part + (" \\" if i < last else "") for i, part in enumerate(rest)
    ]


def _env(*pairs: str) -> list[str]:
    return _continued(f"ENV {pairs[0]}", pairs[1:], prefix="    ")


# apt's hook runs dpkg-preconfigure before unpacking. Without apt-utils (the official Python,
# Debian and Ubuntu images have none) it configures nothing, yet it opens debconf's database
# read-write, which copies the unchanged templates.dat (~0.8 MB) into the layer. With or without
# it, maintainer scripts that use debconf run as usual (noninteractive, so on defaults). A file
# given with -c is read after apt.conf.d, so it can clear the hook 70debconf adds.
_APT_CONF = "/tmp/imagepin-apt.conf"
_NO_PRECONFIGURE_NOTE = (
    "# dpkg-preconfigure off: without apt-utils it does nothing but copy debconf's database "
    "into the layer"
)


def _packages(stage: Stage, names: Sequence[str]) -> list[str]:
    """Install OS packages: no recommends, no caches or lists left in the layer."""
    if not names:
        return []
    ordered = " ".join(sorted(dict.fromkeys(names)))
    if stage.packager == "apk":
        return [f"RUN apk add --no-cache {ordered}"]
    return [
        _NO_PRECONFIGURE_NOTE,
        *_continued(
            f"RUN echo '#clear DPkg::Pre-Install-Pkgs;' > {_APT_CONF}",
            [
                "apt-get update",
                f"apt-get -c {_APT_CONF} install -y --no-install-recommends {ordered}",
                # downloaded .debs and apt's package caches (~80 MB on Debian roots without Docker
                # Hub's docker-clean apt setting), the lists, apt's logs and dpkg/debconf backups
                "apt-get clean",
                f"rm -rf {_APT_CONF} /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt "
                "/var/log/dpkg.log /var/lib/dpkg/*-old /var/cache/debconf/*-old",
            ],
        ),
    ]


def _user(stage: Stage, uid: int) -> list[str]:
    """A system user and group with the fixed uid/gid and a home (some libraries want one)."""
    if stage.packager == "apk":
        return _continued(
            f"RUN addgroup -S -g {uid} {USER_NAME}",
            [
                f"adduser -S -D -u {uid} -G {USER_NAME} -h /home/{USER_NAME} "
                f"-s /sbin/nologin {USER_NAME}"
            ],
        )
    return _continued(
        f"RUN groupadd --system --gid {uid} {USER_NAME}",
        [
            f"useradd --system --uid {uid} --gid {USER_NAME} --home-dir /home/{USER_NAME} "
            f"--create-home --shell /usr/sbin/nologin {USER_NAME}"
        ],
    )


def _copy_requirements(spec: ImageSpec) -> list[str]:
    """Requirements files at the same relative paths (so `-r` includes between them work)."""
    top = [f for f in spec.requirements if "/" not in f]
    nested = [f for f in spec.requirements if "/" in f]
    lines = [f"COPY {' '.join(top)} ./"] if top else []
    return lines + [f"COPY {f} ./{f}" for f in nested]


def _pip_install(spec: ImageSpec, pip: str, *, system: bool) -> list[str]:
    """`pip install --no-cache-dir -r ...`, credentials from BuildKit secrets inside the RUN."""
    if not spec.requirements:
        return []
    settings = spec.pip
    mounts = [f"--mount=type=secret,id={s},required=true" for s in spec.build_secrets]
    env: list[str] = []
    if settings.ca_secret:
        env.append(f"PIP_CERT=/run/secrets/{settings.ca_secret}")
    if settings.index_url and settings.token_secret:
        scheme, _, rest = settings.index_url.partition("://")
        token = f"$(cat /run/secrets/{settings.token_secret})"
        env.append(f'PIP_INDEX_URL="{scheme}://{settings.token_user}:{token}@{rest}"')
    elif settings.index_url:
        env.append(f"PIP_INDEX_URL={settings.index_url}")
    if system:
        env.append("PIP_ROOT_USER_ACTION=ignore")
    files = " ".join(f"-r {f}" for f in spec.requirements)
    install = f"{pip} install --no-cache-dir --disable-pip-version-check {files}"
    parts = [*mounts, *env, install]
    return _continued(f"RUN {parts[0]}", parts[1:], prefix="    ")


def _healthcheck(spec: ImageSpec, stage: Stage) -> list[str]:
    check, port = spec.healthcheck, spec.healthcheck_port
    if check is None or port is None:
        return []
    flags = (
        f"--interval={check.interval}s --timeout={check.timeout}s "
        f"--start-period={check.start_period}s --retries={check.retries}"
    )
    if stage.packager == "none":
        return [f"HEALTHCHECK {flags} CMD {exec_form(['pebble', 'health'])}"]
    url = f"http://127.0.0.1:{port}{check.path}"
    probe = f"import urllib.request; urllib.request.urlopen('{url}', timeout={check.timeout})"
    return [f"HEALTHCHECK {flags} CMD {exec_form(['python3', '-c', probe])}"]


def _pebble_layer(spec: ImageSpec) -> list[str]:
    """The pebble directory for the rock, with an HTTP check layer when there is a healthcheck."""
    check, port = spec.healthcheck, spec.healthcheck_port
    if check is None or port is None:
        return ["RUN mkdir -p /pebble/layers"]
    yaml_lines = [
        "summary: imagepin health check",
        "checks:",
        "  app:",
        "    override: replace",
        "    level: alive",
        f"    period: {check.interval}s",
        f"    timeout: {check.timeout}s",
        f"    threshold: {check.retries}",
        "    http:",
        f"      url: http://127.0.0.1:{port}{check.path}",
    ]
    quoted = " ".join(f"'{line}'" for line in yaml_lines)
    return _continued(
        "RUN mkdir -p /pebble/layers",
        [f"printf '%s\\n' {quoted} > /pebble/layers/001-imagepin.yaml"],
    )


def _tail(spec: ImageSpec, stage: Stage) -> list[str]:
    """Source last, then who runs it, what it listens on, how to probe it, what to run."""
    lines = [f"COPY --chown=0:{spec.uid} . .", f"USER {spec.uid}:{spec.uid}"]
    if spec.port is not None:
        lines.append(f"EXPOSE {spec.port}")
    lines += _healthcheck(spec, stage)
    command = ("exec", *spec.command) if stage.packager == "none" else spec.command
    lines.append(f"CMD {exec_form(command)}")
    return lines


def _venv_builder(spec: ImageSpec, stage: Stage, base: str, packages: Sequence[str]) -> list[str]:
    """A builder stage: OS packages, a venv at /opt/venv, the requirements installed into it.

    The venv is made without pip and filled by the builder's own pip (`--python`), so the
    runtime, which gets the venv copied whole, carries no pip or setuptools it does not need.
    """
    return [
        f"FROM {base} AS builder",
        *_packages(stage, packages),
        f"RUN python3 -m venv --without-pip {VENV}",
        f"WORKDIR {WORKDIR}",
        *_copy_requirements(spec),
        *_pip_install(spec, f"python3 -m pip --python {VENV}/bin/python", system=False),
    ]


def _slim(spec: ImageSpec, froms: dict[str, str]) -> list[str]:
    runtime = spec.runtime
    return [
        f"FROM {froms['runtime']}",
        *_env(*PYTHON_ENV),
        *_packages(runtime, spec.runtime_packages),
        *_user(runtime, spec.uid),
        f"WORKDIR {WORKDIR}",
        *_copy_requirements(spec),
        *_pip_install(spec, "pip", system=True),
        *_tail(spec, runtime),
    ]


def _with_venv(spec: ImageSpec, froms: dict[str, str], packages: Sequence[str]) -> list[str]:
    """builder and debian-apt: the venv is built in one stage and copied into the runtime."""
    builder, runtime = spec.stages
    return [
        *_venv_builder(spec, builder, froms["builder"], packages),
        "",
        f"FROM {froms['runtime']}",
        *_env(*PYTHON_ENV, f"PATH={VENV}/bin:$PATH"),
        *_packages(runtime, runtime_packages(spec)),
        *_user(runtime, spec.uid),
        f"COPY --from=builder {VENV} {VENV}",
        f"WORKDIR {WORKDIR}",
        *_tail(spec, runtime),
    ]


def _ubuntu_rock(spec: ImageSpec, froms: dict[str, str]) -> list[str]:
    """Canonical's chiselled rock: no shell, so everything is prepared in the builder."""
    builder, runtime = spec.stages
    return [
        *_venv_builder(spec, builder, froms["builder"], [*DEBIAN_PYTHON, *spec.build_packages]),
        *_pebble_layer(spec),
        "",
        f"FROM {froms['runtime']}",
        *_env(*PYTHON_ENV, f"PATH={VENV}/bin:$PATH", f"PYTHONPATH={WORKDIR}", f"PEBBLE={PEBBLE}"),
        f"COPY --from=builder {VENV} {VENV}",
        f"COPY --from=builder --chown={spec.uid}:{spec.uid} /pebble/ {PEBBLE}/",
        f"WORKDIR {WORKDIR}",
        *_tail(spec, runtime),
    ]


def runtime_packages(spec: ImageSpec) -> list[str]:
    """What the runtime stage installs: Debian's python3 for debian-apt, plus the listed ones."""
    own = ["python3"] if spec.layout == "debian-apt" else []
    return [*own, *spec.runtime_packages]


def layout_lines(spec: ImageSpec, froms: dict[str, str]) -> list[str]:
    """The Dockerfile of `spec` as lines; `froms` maps each stage role to its pinned reference."""
    header = HEADER.format(layout=spec.layout)
    if spec.layout == "slim":
        return [header, *_slim(spec, froms)]
    if spec.layout == "builder":
        return [header, *_with_venv(spec, froms, spec.build_packages)]
    if spec.layout == "debian-apt":
        return [header, *_with_venv(spec, froms, [*DEBIAN_PYTHON, *spec.build_packages])]
    return [header, *_ubuntu_rock(spec, froms)]
