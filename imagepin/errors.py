"""One exception hierarchy for the whole core.

Every message names the offending file, key or reference and says what to do. The CLI maps
`ImagepinError` (and its subclasses) to exit code 2 and prints the message only, no traceback.
"""

from __future__ import annotations


class ImagepinError(Exception):
    """Base of every error imagepin raises on purpose. `exit_code` is what the CLI exits with."""

    exit_code: int = 2

    def messages(self) -> list[str]:
        """What the CLI prints, one `error:` line each."""
        return [str(self)]


class ConfigError(ImagepinError, ValueError):
    """A configuration file, key or command-line value is wrong."""


class ConfigErrors(ConfigError):  # noqa: N818 (several ConfigErrors)
    """Several `ConfigError`s found in one pass (every Dockerfile that cannot be read, not only
    the first), reported together: one line each."""

    def __init__(self, errors: list[ConfigError]) -> None:
        super().__init__("\n".join(map(str, errors)))
        self.errors = tuple(errors)

    def messages(self) -> list[str]:
        return [str(e) for e in self.errors]


class OutputError(ImagepinError):
    """The result could not be written: standard output closed, a full disk, a closed pipe."""


class RegistryError(ImagepinError):
    """A registry could not be reached, refused us, or answered something we cannot trust."""


class LockError(ImagepinError):
    """`images.lock` is missing, corrupt, or does not hold what was asked for."""


class RegistryUnreachable(RegistryError):  # noqa: N818 (name fixed by contract)
    """A registry (or its token service) refused the connection, timed out or broke it off."""


class RegistryAuthError(RegistryError):
    """A registry or its token service rejected the credentials (or their absence)."""


class ManifestNotFound(RegistryError):  # noqa: N818 (name fixed by contract)
    """The registry has no manifest for the reference: the tag or the repository is missing."""


class DigestMismatch(RegistryError):  # noqa: N818 (name fixed by contract)
    """The manifest bytes do not hash to the digest the registry or the reference claims."""


class RegistryProtocolError(RegistryError):
    """The registry answered something the distribution protocol does not allow."""


class UnsupportedMediaType(RegistryProtocolError):  # noqa: N818 (like its siblings)
    """The registry returned a manifest of a media type imagepin does not pin."""


class RegistryUnavailable(RegistryError):  # noqa: N818 (like its siblings)
    """The registry kept answering 429 or 5xx after every retry."""
