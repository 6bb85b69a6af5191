"""A blob store written twice: every put goes to the primary and to a replica (a second directory or bucket), so
that a blob found damaged by the fixity check can be restored from its copy."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import BinaryIO

from records.blobs import BlobAges, BlobInfo, BlobIntegrityError, BlobMissing, BlobStore, object_lock_of

CHUNK_BYTES = 1024 * 1024


class ReplicatedBlobStore:
    """Reads from the primary; writes, deletes and destroys on both. A put that fails on the replica fails as a
    whole (the caller retries; puts are safe to repeat), so a stored blob always has its copy."""

    def __init__(self, primary: BlobStore, replica: BlobStore) -> None:
        self.primary = primary
        self.replica = replica

    def __repr__(self) -> str:
        return f"ReplicatedBlobStore({self.primary!r}, replica={self.replica!r})"

    def put(self, key: str, stream: BinaryIO, *, sha256: str | None = None,
            content_type: str = "application/octet-stream") -> BlobInfo:
        """Stores on the primary, then copies what the primary holds to the replica (verified by its hash)."""
        info = self.primary.put(key, stream, sha256=sha256, content_type=content_type)
        with self.primary.open(key) as stored:
            self.replica.put(key, stored, sha256=info.sha256, content_type=content_type)
        return info

    def open(self, key: str) -> BinaryIO:
        return self.primary.open(key)

    def exists(self, key: str) -> bool:
        return self.primary.exists(key)

    def delete(self, key: str) -> None:
        self.primary.delete(key)
        self.replica.delete(key)

    def destroy(self, key: str) -> None:
        self.primary.destroy(key)
        self.replica.destroy(key)

    def keys(self, prefix: str = "") -> Iterator[str]:
        return self.primary.keys(prefix)

    def url(self, key: str, *, expires: timedelta, filename: str | None = None) -> str | None:
        return self.primary.url(key, expires=expires, filename=filename)

    def modified_at(self, key: str) -> datetime | None:
        return self.primary.modified_at(key) if isinstance(self.primary, BlobAges) else None

    def sweep_temporaries(self, older_than: datetime) -> int:
        return sum(store.sweep_temporaries(older_than) for store in (self.primary, self.replica)
                   if isinstance(store, BlobAges))

    # ObjectLock (records.blobs), when the primary has it: holds and retention are set on both copies, so the
    # replica's copy keeps them too and a restored blob gets them back.

    @property
    def object_lock(self) -> bool:
        return object_lock_of(self.primary) is not None

    def set_legal_hold(self, key: str, on: bool) -> None:
        primary = object_lock_of(self.primary)
        if primary is None:
            raise RuntimeError("the primary blob store has no object lock")
        primary.set_legal_hold(key, on)
        replica = object_lock_of(self.replica)
        if replica is not None:
            with contextlib.suppress(BlobMissing):  # a copy that is gone is found (and put back) by the fixity check
                replica.set_legal_hold(key, on)

    def legal_hold(self, key: str) -> bool:
        primary = object_lock_of(self.primary)
        return primary is not None and primary.legal_hold(key)

    def set_retention(self, key: str, until: datetime) -> None:
        primary = object_lock_of(self.primary)
        if primary is None:
            raise RuntimeError("the primary blob store has no object lock")
        primary.set_retention(key, until)
        replica = object_lock_of(self.replica)
        if replica is not None:
            with contextlib.suppress(BlobMissing):
                replica.set_retention(key, until)

    def retention(self, key: str) -> datetime | None:
        primary = object_lock_of(self.primary)
        return None if primary is None else primary.retention(key)

    def restore(self, key: str, sha256: str) -> bool:
        """Puts the replica's copy back on the primary if that copy still hashes to `sha256`, with the legal hold
        and retention the copy carries (a damaged object may be a new version without them); False when the
        replica has no good copy either. Safe to repeat."""
        try:
            if replica_sha256(self.replica, key) != sha256:
                return False
        except BlobMissing:
            return False
        replica_lock, primary_lock = object_lock_of(self.replica), object_lock_of(self.primary)
        held = replica_lock is not None and replica_lock.legal_hold(key)
        until = None if replica_lock is None else replica_lock.retention(key)
        self.primary.delete(key)  # the damaged content goes; a put with the hash would trust the stored metadata
        with self.replica.open(key) as copy:
            try:
                self.primary.put(key, copy, sha256=sha256)
            except BlobIntegrityError:
                return False
        if primary_lock is not None:
            if held:
                primary_lock.set_legal_hold(key, True)
            if until is not None:
                primary_lock.set_retention(key, until)
        return True


def replica_sha256(store: BlobStore, key: str) -> str:
    digest = hashlib.sha256()
    with store.open(key) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
