"""The blob-store port: originals keyed by their SHA-256, derivatives stored beside them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol, runtime_checkable

from records.errors import DomainError


class BlobMissing(DomainError):
    code = "blob_missing"
    message_vi = "Không tìm thấy tệp trong kho lưu trữ."
    message_en = "The file is not in the object store."


class BlobIntegrityError(DomainError):
    code = "blob_integrity"
    message_vi = "Nội dung tệp không khớp mã băm."
    message_en = "The file's content does not match its hash."


class BackendUnavailable(DomainError):
    """A store or index that does not answer right now: worth retrying later."""

    code = "backend_unavailable"
    message_vi = "Hệ thống lưu trữ tạm thời không phản hồi; hãy thử lại sau."
    message_en = "A storage backend is not answering; try again later."


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    sha256: str


def original_key(sha256: str) -> str:
    """Where an uploaded original lives: its content hash decides, so the same paper is stored once."""
    return f"originals/{sha256[:2]}/{sha256}"


def derived_key(sha256: str, name: str) -> str:
    """Derivatives of an original (searchable PDF, page images, text) sit beside it."""
    return f"derived/{sha256[:2]}/{sha256}/{name}"


SEARCHABLE_PDF = "searchable.pdf"  # the scan as PDF/A with an invisible text layer
TEXT_JSON = "text.json"  # the page texts


def thumbnail_key(sha256: str, page_number: int) -> str:
    return derived_key(sha256, f"page-{page_number:04d}.png")


def document_blob_keys(sha256: str, page_count: int | None) -> list[str]:
    """Every blob a document may have: its original, then its derivatives (searchable PDF, page texts, thumbnails).
    Not all of them exist for every document (a born-digital PDF has no searchable copy)."""
    keys = [original_key(sha256), derived_key(sha256, SEARCHABLE_PDF), derived_key(sha256, TEXT_JSON)]
    keys += [thumbnail_key(sha256, n) for n in range(1, (page_count or 0) + 1)]
    return keys


class BlobStore(Protocol):
    def put(self, key: str, stream: BinaryIO, *, sha256: str | None = None,
            content_type: str = "application/octet-stream") -> BlobInfo:
        """Streams `stream` to `key` (memory does not grow with its size). With `sha256`, the content must
        hash to it, else BlobIntegrityError and nothing is stored. Safe to repeat: an existing key with the
        same content is left as it is. Raises BackendUnavailable when the store does not answer."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the blob; BlobMissing if there is none."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Removes the blob; a missing key is not an error. Safe to repeat."""
        ...

    def destroy(self, key: str) -> None:
        """Removes the blob beyond recovery (QCVN 12: deletion made unrecoverable): a local file is overwritten before
        it is unlinked, an object store removes every version. A missing key is not an error. Safe to repeat."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The keys that start with `prefix` (a folder such as "audit/checkpoints/"), in no particular order."""
        ...

    def url(self, key: str, *, expires: timedelta, filename: str | None = None) -> str | None:
        """A time-limited download address (presigned), or None when the store has none (the API streams)."""
        ...


@runtime_checkable
class BlobAges(Protocol):
    """Stores that can tell a blob's age and clear their own leftovers (for the orphan sweeper)."""

    def modified_at(self, key: str) -> datetime | None:
        """When the blob was last written (aware); None when there is no such blob."""
        ...

    def sweep_temporaries(self, older_than: datetime) -> int:
        """Removes temporary files/objects left by cut-short writes before `older_than`; returns how many."""
        ...


@runtime_checkable
class ObjectLock(Protocol):
    """Stores that can freeze objects themselves (S3 object lock): a legal hold keeps an object until it is released,
    a retention date until that date. Callers check `isinstance(store, ObjectLock)`; a local directory is not one."""

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Turns the object's legal hold on or off. Safe to repeat; BlobMissing if there is no object."""
        ...

    def legal_hold(self, key: str) -> bool: ...

    def set_retention(self, key: str, until: datetime) -> None:
        """Keeps the object at least until `until` (governance mode). Safe to repeat; never shortens."""
        ...

    def retention(self, key: str) -> datetime | None: ...


def object_lock_of(store: BlobStore) -> ObjectLock | None:
    """The store's object lock, when it (or the primary of a replicated store) has one switched on."""
    for candidate in (store, getattr(store, "primary", None)):
        if isinstance(candidate, ObjectLock) and getattr(candidate, "object_lock", True):
            return candidate
    return None
