"""`images.lock`: every image the project builds on or runs, pinned to the digest it resolved to.

The file is JSON, one entry per reference as written in config (tag form), sorted, indented, with
a format version, so a refresh reads as a small diff in review:

    {
      "version": 1,
      "images": {
        "python:3.12-slim-bookworm": {
          "digest": "sha256:...",
          "media_type": "application/vnd.oci.image.index.v1+json",
          "platforms": {"linux/amd64": "sha256:...", "linux/arm64/v8": "sha256:..."},
          "registry": "127.0.0.1:5000",
          "resolved_at": "2026-11-25T16:40:00Z"
        }
      }
    }

Reading is pure and fast (it runs at `pulumi preview`); writing is atomic (temp file, fsync,
rename) and serialized between processes by a file lock beside the lock file, so concurrent
writers never lose each other's entries and a crash never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from imagepin.errors import LockError
from imagepin.refs import ImageReference, InvalidReference, is_digest

if TYPE_CHECKING:
    from imagepin.registry import Resolution

FORMAT_VERSION = 1
DEFAULT_PATH = Path("images.lock")


class NotLocked(LockError):  # noqa: N818 (public name, from the design)
    """A reference (or a platform of it) has no entry in the lock."""


class LockEntry(BaseModel):
    """What one reference resolved to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    digest: str
    media_type: str
    platforms: dict[str, str] = Field(default_factory=dict)
    registry: str
    resolved_at: datetime

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str) -> str:
        if not is_digest(value):
            raise ValueError(f"{value!r} is not a sha256:<64 hex> digest")
        return value

    @field_validator("platforms")
    @classmethod
    def _platform_digests(cls, value: dict[str, str]) -> dict[str, str]:
        for platform, digest in value.items():
            if platform.count("/") not in (1, 2) or not is_digest(digest):
                raise ValueError(f"platform {platform!r}: expected os/arch[/variant] -> digest")
        return value


class _LockFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    images: dict[str, LockEntry]


def _canonical(ref: ImageReference | str) -> ImageReference:
    parsed = ImageReference.parse(ref) if isinstance(ref, str) else ref
    return parsed.without_digest()


def _key_for(ref: ImageReference | str) -> ImageReference:
    """The lock records tags: `python` means `python:latest`, as it does for Docker."""
    parsed = _canonical(ref)
    return parsed if parsed.tag else parsed.with_tag("latest")


class Lock:
    """An immutable view of `images.lock`; `updated()` returns a new one, `save()` writes it."""

    def __init__(self, path: Path, entries: Mapping[str, LockEntry] | None = None) -> None:
        self.path = path
        self.entries: dict[str, LockEntry] = dict(sorted((entries or {}).items()))
        self._index: dict[ImageReference, str] = {_key_for(k): k for k in self.entries}

    # --- reading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | str = DEFAULT_PATH, *, missing_ok: bool = False) -> Lock:
        """Read and validate a lock file; a missing file is an error unless `missing_ok`."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if missing_ok:
                return cls(path)
            raise LockError(
                f"{path}: no such lock file; create it with `imagepin lock add REF...` "
                "(`--from-stacks` for every base the stacks name), or point to the lock you have "
                "(--lock PATH on the command line, lock_file in a component)"
            ) from None
        except UnicodeDecodeError as exc:
            raise _corrupt(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except OSError as exc:
            raise LockError(f"{path}: cannot read the lock file: {exc.strerror}") from None
        return cls.loads(text, path)

    @classmethod
    def loads(cls, text: str, path: Path | str = DEFAULT_PATH) -> Lock:
        path = Path(path)
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _corrupt(path, f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        except RecursionError:  # the decoder recurses once per `[` or `{`
            raise _corrupt(path, "arrays or objects nested too deeply for a lock file") from None
        # a lone surrogate comes from a \uXXXX escape, or from a str that holds one already
        if "\\u" in text or not _is_text(text):
            found = _lone_surrogate(raw)
            if found is not None:
                loc, value = found
                shown = [str(p).encode("utf-8", "backslashreplace").decode() for p in loc]
                raise _corrupt(
                    path,
                    f"line {_line_of(text, loc)}: {'.'.join(shown) or 'top level'}: {value!r} "
                    "holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff escape), which "
                    "is no character and cannot be written back",
                )
        version = raw.get("version") if isinstance(raw, dict) else None
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise LockError(
                f"{path}: format version {version} was written by a newer imagepin "
                f"(this one reads version {FORMAT_VERSION}); upgrade imagepin"
            )
        try:
            parsed = _LockFile.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "top level"
            # a missing key has no line of its own: point at the object that lacks it
            loc = first["loc"][:-1] if first["type"] == "missing" else first["loc"]
            line = _line_of(text, loc)
            raise _corrupt(path, f"line {line}: {where}: {first['msg']}") from None
        seen: dict[ImageReference, str] = {}
        for written in parsed.images:
            try:
                ref = ImageReference.parse(written)
            except InvalidReference as exc:
                raise _corrupt(path, f"line {_line_of(text, ('images', written))}: {exc}") from None
            if ref.digest:
                raise _corrupt(
                    path,
                    f"line {_line_of(text, ('images', written))}: key {written!r} carries a "
                    "digest; keys are tag references",
                )
            image = _key_for(ref)
            if image in seen:  # e.g. `python:3.12` and `docker.io/library/python:3.12`
                raise _corrupt(
                    path,
                    f"line {_line_of(text, ('images', written))}: keys {seen[image]!r} and "
                    f"{written!r} both name {image}, so which digest pins it is ambiguous; "
                    "keep one of them",
                )
            seen[image] = written
        return cls(path, parsed.images)

    def __contains__(self, ref: object) -> bool:
        if not isinstance(ref, (str, ImageReference)):
            return False
        return _key_for(ref) in self._index

    def __len__(self) -> int:
        return len(self.entries)

    def key(self, ref: ImageReference | str) -> str:
        """The reference as written in the lock for `ref` (any spelling of the same image)."""
        try:
            return self._index[_key_for(ref)]
        except KeyError:
            written = ref if isinstance(ref, str) else ref.familiar()
            where = "" if self.path == DEFAULT_PATH else f" --lock {self.path}"
            raise NotLocked(
                f"{written!r} is not in {self.path}; run `imagepin lock add {written}{where}`"
            ) from None

    def entry(self, ref: ImageReference | str) -> LockEntry:
        return self.entries[self.key(ref)]

    def pin(self, ref: ImageReference | str) -> ImageReference:
        """`ref` with its tag and the locked digest: `docker.io/library/python:3.12@sha256:...`."""
        return _key_for(ref).with_digest(self.entry(ref).digest)

    def platform_digest(self, ref: ImageReference | str, platform: str) -> str:
        """The digest of one platform's manifest (`linux/arm64/v8`; `linux/arm64` matches v8)."""
        entry = self.entry(ref)
        if not entry.platforms:
            return entry.digest  # a single-platform manifest: the digest is the platform's
        for candidate in _platform_spellings(platform):
            if candidate in entry.platforms:
                return entry.platforms[candidate]
        raise NotLocked(
            f"{self.key(ref)!r} in {self.path} has no {platform} image; it is published for "
            f"{', '.join(entry.platforms)}. Pick one of those, or run "
            f"`imagepin lock refresh {self.key(ref)}` if upstream has added it"
        )

    # --- writing -----------------------------------------------------------------------------

    def updated(self, resolutions: Iterable[tuple[str, Resolution]]) -> Lock:
        """A new lock with each (reference as written, resolution) recorded.

        An image already in the lock under another spelling keeps its existing key; an entry
        whose resolution did not change keeps its `resolved_at`, so a refresh that moved nothing
        leaves the file byte-for-byte as it was.
        """
        entries = dict(self.entries)
        now = datetime.now(UTC).replace(microsecond=0)
        for written, res in resolutions:
            key = self._index.get(_key_for(written), _written_key(written))
            fresh = LockEntry(
                digest=res.digest,
                media_type=res.media_type,
                platforms=dict(sorted(res.platforms.items())),
                registry=res.registry,
                resolved_at=now,
            )
            old = entries.get(key)
            unchanged = old is not None and old.model_copy(update={"resolved_at": now}) == fresh
            entries[key] = old if unchanged and old is not None else fresh
        return Lock(self.path, entries)

    def dumps(self) -> str:
        doc = {
            "version": FORMAT_VERSION,
            "images": {
                key: entry.model_dump(mode="json") for key, entry in sorted(self.entries.items())
            },
        }
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"

    def save(self) -> None:
        """Write atomically: a reader sees the old file or the new one, never a mix."""
        atomic_write(self.path, self.dumps())


def _written_key(written: str) -> str:
    ref = ImageReference.parse(written)
    if ref.digest:
        raise InvalidReference(
            f"{written!r} already carries a digest; the lock records tags "
            f"(write {ref.without_digest().familiar()!r})"
        )
    return written if ref.tag else f"{written}:latest"


def _platform_spellings(platform: str) -> list[str]:
    parts = platform.split("/")
    if parts[:2] == ["linux", "arm64"]:
        return ["linux/arm64/v8", "linux/arm64"]
    return [platform]


def _corrupt(path: Path, what: str) -> LockError:
    return LockError(
        f"{path}: corrupt lock file, {what}. Restore it (`git checkout -- {path}`) or delete it "
        f"and run `imagepin lock add REF...` again, then `imagepin lock refresh`"
    )


def _is_text(value: str) -> bool:
    """Whether `value` is text that can be written as UTF-8 (no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _lone_surrogate(raw: Any) -> tuple[tuple[int | str, ...], str] | None:
    """Where the first key or string value holding a lone surrogate is, and that string."""
    pending: list[tuple[tuple[int | str, ...], Any]] = [((), raw)]
    while pending:  # a loop, not recursion: the JSON may nest as deep as the decoder allows
        loc, value = pending.pop()
        if isinstance(value, str) and not _is_text(value):
            return loc, value
        if isinstance(value, dict):
            for key in value:
                if not _is_text(key):
                    return (*loc, key), key
            pending.extend(((*loc, key), item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend(((*loc, i), item) for i, item in reversed(list(enumerate(value))))
    return None


def _line_of(text: str, loc: tuple[int | str, ...]) -> int:
    """Best-effort line number of the deepest key of `loc` in the JSON text (1-based)."""
    offset = 0
    for part in loc:
        found = text.find(json.dumps(str(part)), offset)
        if found >= 0:
            offset = found
    return text.count("\n", 0, offset) + 1


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file in the same folder, fsync, then rename."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # persist the rename itself
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def exclusive(path: Path | str, timeout: float = 60.0) -> Iterator[None]:
    """Serialize read-modify-write of one lock file between processes (`<lock>.guard`).

    Holding the guard, it also removes the lock's temp files (`.<lock>.*.tmp`) a writer killed
    mid-write left behind: every writer of the lock holds the guard, so none is live."""
    guard = FileLock(str(path) + ".guard", timeout=timeout)
    try:
        guard.acquire()
    except Timeout:
        raise LockError(
            f"{path}: another imagepin process has held the lock for {timeout:.0f}s; "
            f"wait for it, or remove {path}.guard if no imagepin is running"
        ) from None
    try:
        lock = Path(path)
        for stale in lock.parent.glob(f".{lock.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
        yield
    finally:
        guard.release()


def load_option(path: Path, option: str = "--lock") -> Lock:
    """The lock a command-line option names; a missing file is an error naming the option."""
    if not path.is_file():
        raise LockError(f"{path}: no such lock file ({option}); give the path of images.lock")
    return Lock.load(path)
