"""The embedded blob store: one file per blob under a root directory, written atomically."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from records.blobs import BlobInfo, BlobIntegrityError, BlobMissing
from storage.blobs.names import check_key

CHUNK_BYTES = 1024 * 1024


class LocalBlobStore:
    """Blobs as files under `root`, at their key (a relative POSIX path, see `check_key`).

    A blob appears whole or not at all: `put` writes a temporary file beside the target (a dot name, which
    no key can have), fsyncs it, renames it into place and fsyncs the directory. Nothing is done at
    construction; `root` and the directories under it are created by the first `put` that needs them.
    Disk problems (unwritable root, full disk) raise OSError as they are: they need an operator, not a retry,
    so this store never raises BackendUnavailable. Files are created readable by the service's user only.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def put(self, key: str, stream: BinaryIO, *, sha256: str | None = None,
            content_type: str = "application/octet-stream") -> BlobInfo:
        """Copies `stream` to `key` in 1 MiB chunks, hashing as it goes.

        With `sha256`: if the blob already holds content of that hash, the stream is not read and nothing is
        written; if the stream hashes to anything else, BlobIntegrityError and nothing is stored. Without it,
        the new content replaces what the key held (a reader who already opened the old file keeps reading
        it). Safe to repeat. `content_type` is not kept (the API knows it from its own records).
        Raises ValueError for an unsafe key, OSError when the disk refuses.
        """
        path = self._path(key)
        expected = sha256.lower() if sha256 is not None else None
        if expected is not None and path.is_file() and _file_sha256(path) == expected:
            return BlobInfo(key=key, size=path.stat().st_size, sha256=expected)
        self._make_directories(path.parent)
        descriptor, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        placed = False
        try:
            with os.fdopen(descriptor, "wb") as temp_file:
                digest, size = _copy_hashing(stream, temp_file)
                temp_file.flush()
                os.fsync(temp_file.fileno())
            actual = digest.hexdigest()
            if expected is not None and actual != expected:
                raise BlobIntegrityError(detail={"key": key, "expected_sha256": expected, "actual_sha256": actual})
            os.replace(temp_name, path)
            placed = True
            _fsync_directory(path.parent)
        finally:
            if not placed:
                Path(temp_name).unlink(missing_ok=True)
        return BlobInfo(key=key, size=size, sha256=actual)

    def open(self, key: str) -> BinaryIO:
        """The blob's file, opened for binary reading; BlobMissing if there is none."""
        path = self._path(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise BlobMissing(detail={"key": key}) from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Removes the blob's file; a missing key is not an error. Safe to repeat. Empty directories stay
        (removing them would race with a `put` creating a file in them)."""
        path = self._path(key)
        if not path.is_file():
            return
        path.unlink(missing_ok=True)
        _fsync_directory(path.parent)

    def destroy(self, key: str) -> None:
        """Overwrites the blob's file in place (zeros, same length, fsynced) before unlinking it, so its bytes do not
        stay on the disk's blocks behind a removed name. A missing key is not an error. Safe to repeat."""
        path = self._path(key)
        try:
            descriptor = os.open(path, os.O_WRONLY)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return
        try:
            remaining = os.fstat(descriptor).st_size
            zeros = bytes(CHUNK_BYTES)
            while remaining > 0:
                remaining -= os.write(descriptor, zeros[:min(remaining, CHUNK_BYTES)])
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        path.unlink(missing_ok=True)
        _fsync_directory(path.parent)

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The keys under `prefix` (a folder-like start of keys), in no particular order; temporary files left by a
        cut-short `put` are not keys."""
        base = self.root.joinpath(*[part for part in prefix.split("/") if part])
        if not base.is_dir():
            return
        for directory, _subdirectories, files in os.walk(base):
            for name in files:
                if not name.startswith("."):
                    yield Path(directory, name).relative_to(self.root).as_posix()

    def modified_at(self, key: str) -> datetime | None:
        try:
            return datetime.fromtimestamp(self._path(key).stat().st_mtime, UTC)
        except FileNotFoundError:
            return None

    def sweep_temporaries(self, older_than: datetime) -> int:
        """Removes the dot-named temporary files a cut-short `put` left (a killed process) before `older_than`."""
        if not self.root.is_dir():
            return 0
        removed = 0
        for directory, _subdirectories, files in os.walk(self.root):
            for name in files:
                if name.startswith(".") and name.endswith(".tmp"):
                    path = Path(directory, name)
                    with contextlib.suppress(FileNotFoundError):
                        if datetime.fromtimestamp(path.stat().st_mtime, UTC) < older_than:
                            path.unlink()
                            removed += 1
        return removed

    def url(self, key: str, *, expires: timedelta, filename: str | None = None) -> str | None:
        """None: local blobs have no address of their own; the API streams them from `open`."""
        self._path(key)
        return None

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def _make_directories(self, directory: Path) -> None:
        """Creates `directory` and its missing parents, fsyncing each parent so a new entry survives a crash."""
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"the blob store root is not a directory: {self.root}")
        missing: list[Path] = []
        while not directory.is_dir() and directory != directory.parent:
            missing.append(directory)
            directory = directory.parent
        for new_directory in reversed(missing):
            try:
                new_directory.mkdir()
            except FileExistsError:
                if not new_directory.is_dir():
                    raise
            _fsync_directory(new_directory.parent)


def _copy_hashing(source: BinaryIO, target: BinaryIO) -> tuple[hashlib._Hash, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK_BYTES):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest, size


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as blob:
        while chunk := blob.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
