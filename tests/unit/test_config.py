"""Stack config: the repository's stacks, and every mistake reported with file, key path and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from imagepin.config import bases_from_stacks, load_all, load_stack, stack_bases
from imagepin.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]

IMAGE = """\
config:
  aws:region: eu-west-1
  imagepin:images:
    - name: service
      app: app
      python: "3.12"
      command: [python3, -m, service]
"""


def project(tmp_path: Path, **stacks: str) -> Path:
    """A project with Pulumi.yaml (stackConfigDir: stacks), app/requirements.txt and stacks."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "Pulumi.yaml").write_text(
        "name: imagepin\nruntime: python\nstackConfigDir: stacks\n"
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "requirements.txt").write_text("falcon\n")
    (tmp_path / "stacks").mkdir()
    for name, text in stacks.items():
        (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text(textwrap.dedent(text))
    return tmp_path


def error(tmp_path: Path, text: str, stack: str = "prod") -> str:
    root = project(tmp_path, **{stack: text})
    with pytest.raises(ConfigError) as caught:
        load_stack(stack, root)
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_the_repository_stacks() -> None:
    dev, prod, staging = load_all(ROOT)
    assert (dev.name, prod.name, staging.name) == ("dev", "prod", "staging")
    assert dev.file == "stacks/Pulumi.dev.yaml"
    for stack in (dev, staging, prod):
        (image,) = stack.images
        spec = stack.specs()["service"]
        assert (image.name, image.app, spec.python, spec.layout, spec.variant, spec.distro) == (
            "service",
            "app",
            "3.12",
            "slim",
            "slim",
            "bookworm",
        )
        assert spec.healthcheck is not None and spec.healthcheck_port == 8000
        assert spec.command == ("python3", "-m", "service")
        assert spec.build_secrets == ("pip-ca",)
        assert stack.app_dir(image) == ROOT / "app"
    assert dev.specs()["service"].platforms == ("linux/amd64",)
    assert staging.specs()["service"].platforms == ("linux/amd64", "linux/arm64")
    assert prod.specs()["service"].platforms == ("linux/amd64", "linux/arm64")
    assert (dev.allow_prerelease, staging.allow_prerelease, prod.allow_prerelease) == (
        True,
        False,
        False,
    )
    assert prod.allowed_variants == ("slim",)
    assert dev.registry is not None
    assert dev.registry.repository("service") == "127.0.0.1:5000/imagepin/service"
    assert (dev.cache.enabled, dev.cache.mode) == (True, "max")
    assert dev.build_secrets["pip-ca"].file == "/etc/ssl/certs/ca-certificates.crt"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            IMAGE + "      variant: slimm\n",
            "imagepin:images[0].variant: 'slimm' is not one of full, slim, alpine, "
            "windowsservercore; did you mean 'slim'?",
        ),
        (
            IMAGE.replace('python: "3.12"', "python: 3.12"),
            "imagepin:images[0].python: expected a string, got the number 3.12; "
            "quote it: python: '3.12'",
        ),
        (
            IMAGE.replace('python: "3.12"', "python: 3.10"),
            "imagepin:images[0].python: expected a string, got the number 3.1; quote it: "
            "python: '3.1' (or '3.10': YAML reads an unquoted 3.10 as the number 3.1)",
        ),
        (
            IMAGE + "      platforms: linux/amd64\n",
            "imagepin:images[0].platforms: expected a list, got the string 'linux/amd64'; "
            "write it as a list: platforms: [linux/amd64]",
        ),
        (
            IMAGE + "      port: http\n",
            "imagepin:images[0].port: expected a whole number, got the string 'http'",
        ),
        (
            IMAGE.replace("      command: [python3, -m, service]\n", ""),
            "imagepin:images[0].command: missing; add it, for example "
            "`command: [python3, -m, service]`",
        ),
        (
            IMAGE.replace("    - name: service\n      app: app", "    - app: app"),
            "imagepin:images[0].name: missing; add it, for example `name: service`",
        ),
        (
            IMAGE + "      helthcheck: {path: /healthz}\n",
            "imagepin:images[0].helthcheck: unknown key; did you mean 'healthcheck'?",
        ),
        (
            IMAGE + "      healthcheck: {path: /healthz, startPeriods: 5}\n",
            "imagepin:images[0].healthcheck.startPeriods: unknown key; did you mean 'startPeriod'?",
        ),
        (
            IMAGE + "  imagepin:baseMirrror: mirror.example.com\n",
            "imagepin:baseMirrror: unknown key; did you mean 'baseMirror'?",
        ),
        (
            IMAGE + "  imagepin:baseMirror: https://mirror.example.com\n",
            "imagepin:baseMirror: 'https://mirror.example.com' is not a registry host; give one "
            "with a dot or a port, such as docker.io, mirror.example.com or 127.0.0.1:5000",
        ),
        (
            IMAGE + "  imagepin:cache: {mode: maximum}\n",
            "imagepin:cache.mode: 'maximum' is not one of min, max; did you mean 'max'?",
        ),
        (
            IMAGE.replace("app: app", "app: ../../etc"),
            "imagepin:images[0].app: '../../etc' leaves the project; give a directory inside it, "
            "relative to the project root (no '..', no leading '/'), e.g. app",
        ),
        (
            IMAGE.replace("app: app", "app: /srv/app"),
            "imagepin:images[0].app: '/srv/app' leaves the project; give a directory inside it, "
            "relative to the project root (no '..', no leading '/'), e.g. app",
        ),
        (
            IMAGE.replace("app: app", "app: ap"),
            "imagepin:images[0].app: 'ap' does not exist in the project; did you mean 'app'?",
        ),
        (
            IMAGE + "      requirements: [requirements.txt, requirements-native.txt]\n",
            "imagepin:images[0].requirements[1]: app/requirements-native.txt does not exist; "
            "create it or list the requirements file the app uses",
        ),
        (
            IMAGE.replace('"3.12"', '"3.15.0a8"'),
            "imagepin:images[0].python: python 3.15.0a8 is a pre-release and this stack has "
            "imagepin:allowPrerelease: false; pick a released series, or set "
            "imagepin:allowPrerelease: true (dev stacks only)",
        ),
        (
            IMAGE + "      variant: full\n  imagepin:allowedVariants: [slim]\n",
            "imagepin:images[0].variant: a full runtime is not allowed in this stack "
            "(imagepin:allowedVariants is [slim]); use variant: slim (with layout: builder when "
            "dependencies must be compiled)",
        ),
        (
            IMAGE.replace('"3.12"', '"3.11"')
            + "      layout: debian-apt\n  imagepin:allowedVariants: [slim, full]\n",
            "imagepin:images[0].layout: an apt runtime is not allowed in this stack "
            "(imagepin:allowedVariants is [slim, full]); use variant: slim (with layout: builder "
            "when dependencies must be compiled)",
        ),
        (
            IMAGE + "      pip: {caSecret: pip-ca}\n",
            "imagepin:images[0].pip: secret 'pip-ca' is not declared; add it under "
            "imagepin:buildSecrets, e.g. pip-ca: {file: /etc/ssl/certs/ca-certificates.crt}",
        ),
        (
            IMAGE + "  imagepin:buildSecrets: {pip-ca: {file: /x, env: X}}\n",
            "imagepin:buildSecrets.pip-ca.file: give exactly one of file (a path) or env (a "
            "variable name), e.g. {file: /etc/ssl/certs/ca-certificates.crt}",
        ),
        (
            IMAGE + "    - name: service\n      app: app\n      python: '3.12'\n"
            "      command: [python3]\n",
            "imagepin:images[1].name: 'service' is already the name of images[0]; names must "
            "be unique in a stack",
        ),
        (
            IMAGE.replace("name: service", "name: My_Service"),
            "imagepin:images[0].name: 'My_Service' is not an image name; use lowercase letters, "
            "digits and single '.', '_' or '-' between them (e.g. service)",
        ),
        (
            IMAGE + "  imagepin:registry: {server: 127.0.0.1:5000, namespace: Team}\n",
            "imagepin:registry.namespace: 'Team' is not a repository path such as team/apps",
        ),
        (
            IMAGE + "      platforms: [linux/amd64, linux/riscv64]\n",
            "imagepin:images[0].platforms[1]: 'linux/riscv64' is not published by "
            "python:3.12-slim-bookworm (the runtime base); it publishes linux/amd64, "
            "linux/arm64/v8, linux/arm/v7, linux/arm/v5, linux/386, linux/ppc64le, linux/s390x. "
            "Remove linux/riscv64 or pick a base that has it",
        ),
    ],
)
def test_key_errors_name_the_file_the_key_path_and_the_fix(
    tmp_path: Path, text: str, message: str
) -> None:
    assert error(tmp_path, text) == f"stacks/Pulumi.prod.yaml: {message}"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = IMAGE + "      port: [8000\n"
    assert error(tmp_path, text) == (
        "stacks/Pulumi.prod.yaml: line 9: YAML syntax error: expected ',' or ']', but got "
        "'<stream end>'; check the indentation and quoting there (quote values that contain "
        "': ' or start with a special character)"
    )
    text = IMAGE.replace("      app: app\n", "      app: app\n     python: '3.12'\n")
    assert error(tmp_path / "x", text) == (  # the misindented line is line 6
        "stacks/Pulumi.prod.yaml: line 6: YAML syntax error: expected <block end>, but found "
        "'<block mapping start>'; check the indentation and quoting there (quote values that "
        "contain ': ' or start with a special character)"
    )


def test_repeated_key_names_both_lines(tmp_path: Path) -> None:
    assert error(tmp_path, IMAGE + "      python: '3.11'\n") == (
        "stacks/Pulumi.prod.yaml: line 8: key 'python' repeats the one on line 6; keep one of "
        "them (YAML keeps only the last, silently)"
    )


def test_file_level_mistakes(tmp_path: Path) -> None:
    assert error(tmp_path / "a", "config:\n  images: []\n") == (
        "stacks/Pulumi.prod.yaml: config.images: Pulumi config keys carry a namespace; write "
        "imagepin:images"
    )
    assert error(tmp_path / "b", "- config\n") == (
        "stacks/Pulumi.prod.yaml: expected a mapping with a config: key, got a list"
    )
    assert error(tmp_path / "c", "config: [imagepin:images]\n") == (
        "stacks/Pulumi.prod.yaml: config: expected a mapping of namespaced keys such as "
        "imagepin:images, got a list"
    )


def test_a_missing_stack_file_lists_the_stacks(tmp_path: Path) -> None:
    root = project(tmp_path, dev=IMAGE, prod=IMAGE)
    with pytest.raises(ConfigError) as caught:
        load_stack("prd", root)
    assert str(caught.value) == (
        "stacks/Pulumi.prd.yaml: no such stack file; did you mean 'prod'? (create it, or pass "
        "--stack with an existing stack)"
    )
    with pytest.raises(ConfigError, match="the stacks here are dev, prod"):
        load_stack("qa", root)


def test_app_through_a_symlink_out_of_the_project(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    root = project(tmp_path / "p", prod=IMAGE.replace("app: app", "app: linked"))
    (root / "linked").symlink_to(outside)
    with pytest.raises(ConfigError) as caught:
        load_stack("prod", root)
    assert str(caught.value) == (
        "stacks/Pulumi.prod.yaml: imagepin:images[0].app: 'linked' leads outside the project "
        "through a symlink; point app at a directory inside the project"
    )


def test_load_by_path_and_other_namespaces_are_left_alone(tmp_path: Path) -> None:
    root = project(tmp_path, prod=IMAGE)
    stack = load_stack(root / "stacks" / "Pulumi.prod.yaml", root)
    assert stack.name == "prod"
    assert stack.file == "stacks/Pulumi.prod.yaml"
    assert stack.base_mirror == "docker.io"
    assert [i.name for i in stack.images] == ["service"]
    with pytest.raises(ConfigError, match=r"no image named 'servce'.*did you mean 'service'\?"):
        stack.image("servce")


BUILDER = """\
config:
  imagepin:baseMirror: 127.0.0.1:5000
  imagepin:images:
    - name: native
      app: app
      python: "3.11"
      layout: builder
      buildPackages: [build-essential, libpq-dev]
      runtimePackages: [libpq5]
      command: [python3, -m, service]
    - name: apt
      app: app
      python: "3.11"
      layout: debian-apt
      command: [python3, -m, service]
"""
ROCK = """\
config:
  imagepin:images:
    - name: rock
      app: app
      python: "3.12"
      layout: ubuntu-rock
      command: [python3, -m, service]
    - name: slim
      app: app
      python: "3.11"
      command: [python3, -m, service]
"""


def test_stack_bases_collects_builder_bases_with_each_stacks_mirror(tmp_path: Path) -> None:
    root = project(tmp_path, ci=BUILDER, prod=ROCK)
    assert [(str(ref), via) for ref, via in stack_bases(load_all(root))] == [
        ("docker.io/library/debian:bookworm", "127.0.0.1:5000"),
        ("docker.io/library/python:3.11-bookworm", "127.0.0.1:5000"),
        ("docker.io/library/python:3.11-slim-bookworm", "127.0.0.1:5000"),
        ("docker.io/library/ubuntu:24.04", None),
        ("docker.io/ubuntu/python:3.12-24.04_stable", None),
    ]
    assert bases_from_stacks(root, "mirror.example.com") == [
        ("debian:bookworm", "mirror.example.com"),
        ("python:3.11-bookworm", "mirror.example.com"),
        ("python:3.11-slim-bookworm", "mirror.example.com"),
        ("ubuntu:24.04", "mirror.example.com"),
        ("ubuntu/python:3.12-24.04_stable", "mirror.example.com"),
    ]


def test_bases_from_stacks_needs_stack_files(tmp_path: Path) -> None:
    root = project(tmp_path)
    with pytest.raises(ConfigError) as caught:
        bases_from_stacks(root)
    assert str(caught.value) == (
        "stacks: no stack files (Pulumi.<stack>.yaml) to collect bases from; run from the "
        "project root or give references instead"
    )


def test_spec_carries_the_stack_mirror(tmp_path: Path) -> None:
    root = project(tmp_path, ci=BUILDER)
    stack = load_stack("ci", root)
    native = stack.specs()["native"]
    assert native.mirror == "127.0.0.1:5000"
    assert native.build_packages == ("build-essential", "libpq-dev")
    assert stack.images[0].spec() == native.model_copy(update={"mirror": "docker.io"})


@pytest.mark.parametrize(("text", "kind"), [("{{}}", "a mapping"), ("? [a]\n: 1", "a list")])
def test_a_mapping_or_list_as_a_key_is_a_config_error(tmp_path: Path, text: str, kind: str) -> None:
    from imagepin.config_files import read_stack_file

    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_stack_file(path, "stacks/Pulumi.x.yaml")
    assert f"line 1: {kind} is used as a key" in str(info.value)
