"""The `Settings` a rule reads, as the policy pack exposes them: camelCase config keys with a
JSON schema each, so `pulumi preview --policy-pack-config` can set them per rule and per stack."""

from __future__ import annotations

from typing import Any

CONFIG: dict[str, tuple[str, dict[str, Any]]] = {
    "lock": (
        "lockFile",
        {
            "type": "string",
            "description": "Path of images.lock (relative to the working directory, else to "
            "the repository holding the policy pack).",
            "default": "images.lock",
        },
    ),
    "allowed_registries": (
        "allowedRegistries",
        {
            "type": "array",
            "items": {"type": "string"},
            "description": "Registries images may be pulled from or pushed to: hosts "
            "(docker.io, 127.0.0.1:5000), host patterns (*.dkr.ecr.*.amazonaws.com) or "
            "repository prefixes (ghcr.io/acme). Empty: any registry.",
        },
    ),
    "required_platforms": (
        "requiredPlatforms",
        {
            "type": "array",
            "items": {"type": "string"},
            "description": "Platforms every pushed image must be built for "
            "(linux/amd64, linux/arm64).",
        },
    ),
    "allow_prerelease": (
        "allowPrerelease",
        {
            "type": "boolean",
            "description": "Allow pre-release Pythons (3.15.0a8, 3.15-rc) in this stack.",
            "default": False,
        },
    ),
}
"""Settings field -> (policy config key, JSON schema of its value)."""
