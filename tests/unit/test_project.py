"""The repository itself: Pulumi.yaml, the package layout and the rules of the layout."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "schemas"


def test_pulumi_yaml_is_valid_against_the_project_schema() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    schema = json.loads((SCHEMAS / "pulumi-project.schema.json").read_text())
    jsonschema.validate(project, schema)
    assert project["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": ".venv"},
    }
    assert project["stackConfigDir"] == "stacks"


def test_the_schema_rejects_what_pulumi_rejects() -> None:
    schema = json.loads((SCHEMAS / "pulumi-project.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "x", "runtime": {"name": "python", "bogus": 1}}, schema)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(
    "module", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "imagepin").rglob("*.py"))
)
def test_the_core_never_imports_pulumi(module: str) -> None:
    imported = _imports(ROOT / module)
    assert not {n for n in imported if n.startswith("pulumi")}, f"{module} imports pulumi"


def test_importing_the_cli_does_not_load_pulumi() -> None:
    code = (
        "import sys, imagepin.cli; print(sorted(m for m in sys.modules if m.startswith('pulumi')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_lock_command_loads_only_what_it_needs() -> None:
    # the lock commands start in a few tenths of a second: no catalog, rules, config models or
    # Dockerfile renderer
    code = (
        "import sys, imagepin.cli as c; c.build_app(['lock']); "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('imagepin'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert {"imagepin.cli_lock", "imagepin.registry", "imagepin.lock"} <= loaded
    unwanted = {
        "imagepin.catalog",
        "imagepin.config",
        "imagepin.rules",
        "imagepin.dockerfile",
        "imagepin.cli_check",
        "imagepin.cli_base",
    }
    assert not loaded & unwanted


def test_every_command_is_registered_for_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "imagepin", "--help"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    for command in ("base", "lock", "render", "preview", "check", "rules"):
        assert command in proc.stdout


@pytest.mark.parametrize("module", sorted((ROOT / "imagepin").rglob("*.py")))
def test_no_module_over_400_lines(module: Path) -> None:
    assert len(module.read_text().splitlines()) <= 400, module


def test_python_m_imagepin_matches_the_console_script() -> None:
    via_module = subprocess.run(
        [sys.executable, "-m", "imagepin", "--version"], capture_output=True, text=True
    )
    via_script = subprocess.run(
        [str(Path(sys.executable).parent / "imagepin"), "--version"], capture_output=True, text=True
    )
    assert via_module.returncode == via_script.returncode == 0
    assert via_module.stdout == via_script.stdout
    assert via_module.stdout.startswith("imagepin ")


def test_unknown_command_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "imagepin", "frobnicate"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "No such command 'frobnicate'" in proc.stderr


def test_vendored_schemas_match_shared_when_present() -> None:
    shared = ROOT.parent / "shared" / "schemas"
    if not shared.is_dir():
        pytest.skip("no ../shared/schemas beside this checkout (CI clones the project alone)")
    for name in (
        "docker-build.provider-schema.json",
        "docker.provider-schema.json",
        "pulumi-project.schema.json",
    ):
        assert (SCHEMAS / name).read_bytes() == (shared / name).read_bytes(), name
