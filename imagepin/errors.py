"""One exception hierarchy for the whole core.

Every message names the offending file, key or reference and says what to do. The CLI maps
`ImagepinError` (and its subclasses) to exit code 2 and prints the message only, no traceback.
"""

from __future__ import annotations


class ImagepinError(Exception):
    """Base of every error imagepin raises on purpose. `exit_code` is what the CLI exits with."""

    exit_code: int = 2


class ConfigError(ImagepinError, ValueError):
    """A configuration file, key or command-line value is wrong."""


class RegistryError(ImagepinError):
    """A registry could not be reached, refused us, or answered something we cannot trust."""


class LockError(ImagepinError):
    """`images.lock` is missing, corrupt, or does not hold what was asked for."""
