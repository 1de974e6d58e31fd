"""Policy config as the pack and `imagepin check --stack` read it: mistakes the engine lets
through (it checks only the types) are errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from imagepin.errors import ConfigError
from imagepin.rules.settings_schema import CONFIG, settings_from_config, stack_policy


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            {"allowedRegistry": ["docker.io"]},
            "policy config key 'allowedRegistry' is not one imagepin reads; use "
            "allowPrerelease, allowedRegistries, lockFile, requiredPlatforms (and "
            "enforcementLevel)",
        ),
        (
            {"allowedRegistries": ["docker.io", " "]},
            "allowedRegistries[1] is empty, which allows no registry; remove it, or write a host "
            "(docker.io), a host pattern or a repository prefix (ghcr.io/acme)",
        ),
        (
            {"requiredPlatforms": ["linux/amd64", "amd64"]},
            "requiredPlatforms[1] 'amd64' is not a platform as os/arch[/variant] (linux/amd64, "
            "linux/arm64, linux/arm/v7, windows/amd64); fix it",
        ),
        ({"requiredPlatforms": ["linux/amd6"]}, "requiredPlatforms[0] 'linux/amd6' is not"),
        ({"allowPrerelease": "yes"}, "allowPrerelease must be true or false"),
    ],
)
def test_config_mistakes_are_errors_that_name_the_key(config: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_from_config(config)
    assert str(err.value).startswith(error)


def test_good_config_is_read_and_a_stack_policy_error_names_the_policy(tmp_path: Path) -> None:
    settings = settings_from_config(
        {
            "requiredPlatforms": ["linux/arm/v7", "Windows/AMD64", "wasip1/wasm"],
            "allowPrerelease": True,
        },
        search=[tmp_path],
    )
    assert settings.required_platforms == ("linux/arm/v7", "Windows/AMD64", "wasip1/wasm")
    assert settings.allow_prerelease and settings.lock is None
    with pytest.raises(ConfigError, match=r"^REG001: allowedRegistries\[0\] is empty"):
        stack_policy({"REG001": {"enforcementLevel": "mandatory", "allowedRegistries": [""]}})


def test_the_lock_file_has_no_schema_default() -> None:
    # the engine fills schema defaults in: a default lockFile would make a missing lock an error
    assert "default" not in CONFIG["lock"][1]


def test_a_key_the_policy_does_not_read_is_an_error() -> None:
    with pytest.raises(ConfigError) as err:
        stack_policy({"PIN001": {"enforcementLevel": "mandatory", "allowedRegistries": ["x"]}})
    assert str(err.value) == (
        "PIN001: policy config key 'allowedRegistries' does nothing on this policy (it reads "
        "lockFile); set it on the policy of the rule that uses it (docs/RULES.md lists each "
        "rule's keys)"
    )
    with pytest.raises(ConfigError, match="it reads only enforcementLevel"):
        settings_from_config({"lockFile": "images.lock"}, reads=())
