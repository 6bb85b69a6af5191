"""The blob-store port's contract (records/blobs.py), run on every backend.

`BlobStoreContract` holds the tests; each backend's subclass only supplies fixtures (a fresh `store`, what
its temporary `leftovers` are, an `unreachable_store`) and says whether it presigns URLs and what an
unreachable store raises. The S3 backend runs against a real moto_server process.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, ClassVar
from urllib.parse import unquote

import pytest
from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.error import S3Error

from records.blobs import (
    BackendUnavailable,
    BlobIntegrityError,
    BlobMissing,
    BlobStore,
    ObjectLock,
    derived_key,
    object_lock_of,
    original_key,
)
from storage.blobs import LocalBlobStore, ReplicatedBlobStore, S3BlobStore
from tests.support.s3_server import S3_ACCESS_KEY, S3_SECRET_KEY, free_port, s3_server

__all__ = ["s3_server"]  # the session fixture, imported so that pytest finds it here

MiB = 1024 * 1024
LARGE_SIZE = 40 * MiB + 12_345  # three 16 MiB parts on S3, the last one short
VIETNAMESE_FILENAME = "Giấy chứng nhận quyền sử dụng đất – Nguyễn Văn Đức.pdf"

Leftovers = Callable[[], list[str]]


class GeneratedStream(io.RawIOBase):
    """`size` pseudo-random bytes, made 1 MiB at a time as they are read: never all in memory at once.
    The same seed gives the same bytes however they are read. With `fail_after`, reading past that many
    bytes raises OSError (a client that hangs up in the middle of an upload)."""

    def __init__(self, size: int, *, seed: int = 2025, fail_after: int | None = None) -> None:
        super().__init__()
        self._remaining = size
        self._random = random.Random(seed)
        self._pending = b""
        self._served = 0
        self._fail_after = fail_after

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._fail_after is not None and self._served >= self._fail_after:
            raise OSError("the client went away")
        if not self._pending and self._remaining:
            self._pending = self._random.randbytes(min(MiB, self._remaining))
            self._remaining -= len(self._pending)
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        self._served += count
        return count


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stream_digest(stream: BinaryIO | GeneratedStream) -> tuple[str, int]:
    """SHA-256 and length of what a stream gives, read 1 MiB at a time."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(MiB):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def read_all(store: BlobStore, key: str) -> bytes:
    with store.open(key) as blob:
        return blob.read()


class BlobStoreContract:
    presigns_urls: ClassVar[bool]
    unreachable_error: ClassVar[type[Exception]]

    def test_bytes_read_back_as_written(self, store: BlobStore) -> None:
        data = "Đơn đề nghị cấp giấy chứng nhận".encode() * 1000
        info = store.put("originals/ab/letter", io.BytesIO(data))
        assert (info.key, info.size, info.sha256) == ("originals/ab/letter", len(data), sha256_hex(data))
        assert read_all(store, "originals/ab/letter") == data

    def test_an_empty_blob_reads_back_empty(self, store: BlobStore) -> None:
        info = store.put("originals/e3/empty", io.BytesIO(b""), sha256=sha256_hex(b""))
        assert (info.size, info.sha256) == (0, sha256_hex(b""))
        assert store.exists("originals/e3/empty")
        assert read_all(store, "originals/e3/empty") == b""

    def test_a_large_stream_goes_through_without_being_held_whole(self, store: BlobStore) -> None:
        """GIVEN a 40 MB stream of unknown length that exists only as it is read
        WHEN it is stored with its hash THEN it reads back, chunk by chunk, to the same hash and size."""
        expected, _ = stream_digest(GeneratedStream(LARGE_SIZE))
        key = original_key(expected)
        info = store.put(key, GeneratedStream(LARGE_SIZE), sha256=expected, content_type="application/pdf")  # type: ignore[arg-type]
        assert (info.size, info.sha256) == (LARGE_SIZE, expected)
        with store.open(key) as blob:
            assert stream_digest(blob) == (expected, LARGE_SIZE)

    def test_the_right_hash_is_accepted_in_either_case(self, store: BlobStore) -> None:
        data = b"%PDF-1.7 scanned application"
        key = original_key(sha256_hex(data))
        info = store.put(key, io.BytesIO(data), sha256=sha256_hex(data).upper())
        assert info.sha256 == sha256_hex(data)
        assert read_all(store, key) == data

    def test_a_wrong_hash_stores_nothing(self, store: BlobStore, leftovers: Leftovers) -> None:
        """GIVEN content that does not hash to the announced SHA-256 WHEN it is put
        THEN BlobIntegrityError, the key does not exist and no temporary file or object is left."""
        announced = sha256_hex(b"what the applicant signed")
        key = original_key(announced)
        with pytest.raises(BlobIntegrityError) as caught:
            store.put(key, io.BytesIO(b"something else arrived"), sha256=announced)
        assert caught.value.detail["actual_sha256"] == sha256_hex(b"something else arrived")
        assert not store.exists(key)
        assert leftovers() == []

    def test_a_wrong_hash_leaves_the_stored_blob_alone(self, store: BlobStore, leftovers: Leftovers) -> None:
        store.put("derived/ab/cd/text.txt", io.BytesIO(b"first text"))
        with pytest.raises(BlobIntegrityError):
            store.put("derived/ab/cd/text.txt", io.BytesIO(b"second text"), sha256=sha256_hex(b"other"))
        assert read_all(store, "derived/ab/cd/text.txt") == b"first text"
        assert leftovers() == []

    def test_a_stream_that_fails_midway_stores_nothing(self, store: BlobStore, leftovers: Leftovers) -> None:
        """GIVEN an upload whose client hangs up after 17 MiB (past the first S3 part)
        THEN its error comes through and neither the key, nor any temporary piece, nor a thread is left."""
        threads_before = threading.active_count()
        broken = GeneratedStream(LARGE_SIZE, fail_after=17 * MiB)
        with pytest.raises(OSError, match="went away"):
            store.put("originals/ff/broken", broken)  # type: ignore[arg-type]
        assert not store.exists("originals/ff/broken")
        assert leftovers() == []
        assert threading.active_count() == threads_before

    def test_putting_the_same_content_again_changes_nothing(self, store: BlobStore, leftovers: Leftovers) -> None:
        data = b"the same scan, uploaded twice"
        key = original_key(sha256_hex(data))
        first = store.put(key, io.BytesIO(data), sha256=sha256_hex(data))
        again = io.BytesIO(data)
        assert store.put(key, again, sha256=sha256_hex(data)) == first
        assert again.tell() == 0  # already there: the stream is not even read
        assert store.put(key, io.BytesIO(data)) == first  # without the hash: read again, same outcome
        assert read_all(store, key) == data
        assert leftovers() == []

    def test_concurrent_puts_of_the_same_content_all_succeed(self, store: BlobStore) -> None:
        data = b"two desks upload the same paper" * 10_000
        key = original_key(sha256_hex(data))
        with ThreadPoolExecutor(4) as pool:
            infos = list(pool.map(lambda _: store.put(key, io.BytesIO(data), sha256=sha256_hex(data)), range(4)))
        assert {info.sha256 for info in infos} == {sha256_hex(data)}
        assert read_all(store, key) == data

    def test_without_a_hash_new_content_replaces_the_old(self, store: BlobStore) -> None:
        store.put("derived/ab/cd/ocr.pdf", io.BytesIO(b"first OCR run"))
        info = store.put("derived/ab/cd/ocr.pdf", io.BytesIO(b"second OCR run"))
        assert info.sha256 == sha256_hex(b"second OCR run")
        assert read_all(store, "derived/ab/cd/ocr.pdf") == b"second OCR run"

    def test_opening_a_missing_key_raises_blob_missing(self, store: BlobStore) -> None:
        with pytest.raises(BlobMissing):
            store.open("originals/00/nothing-here")
        store.put("originals/00/present", io.BytesIO(b"x"))
        with pytest.raises(BlobMissing):
            store.open("originals/00/nothing-here")
        with pytest.raises(BlobMissing):
            store.open("originals/00")  # a prefix of a key is not a blob

    def test_exists_tells_stored_from_missing(self, store: BlobStore) -> None:
        assert not store.exists("originals/12/x")
        store.put("originals/12/x", io.BytesIO(b"x"))
        assert store.exists("originals/12/x")
        assert not store.exists("originals/12")
        assert not store.exists("originals/12/y")

    def test_delete_removes_and_is_safe_to_repeat(self, store: BlobStore) -> None:
        store.delete("originals/34/never-stored")
        store.put("originals/34/x", io.BytesIO(b"x"))
        store.delete("originals/34/x")
        assert not store.exists("originals/34/x")
        with pytest.raises(BlobMissing):
            store.open("originals/34/x")
        store.delete("originals/34/x")

    def test_derivatives_sit_beside_their_original(self, store: BlobStore) -> None:
        scan = b"%PDF scanned land certificate"
        digest = sha256_hex(scan)
        store.put(original_key(digest), io.BytesIO(scan), sha256=digest)
        store.put(derived_key(digest, "searchable.pdf"), io.BytesIO(b"%PDF with text layer"))
        store.put(derived_key(digest, "text.txt"), io.BytesIO("Giấy chứng nhận".encode()))
        assert read_all(store, derived_key(digest, "text.txt")).decode() == "Giấy chứng nhận"
        store.delete(original_key(digest))
        assert read_all(store, derived_key(digest, "searchable.pdf")) == b"%PDF with text layer"
        assert not store.exists(original_key(digest))

    def test_a_stream_closed_early_does_not_hold_the_store(self, store: BlobStore) -> None:
        data = random.Random(7).randbytes(3 * MiB)
        store.put("originals/56/big", io.BytesIO(data))
        for _ in range(15):  # more than the S3 connection pool holds
            with store.open("originals/56/big") as blob:
                assert blob.read(1000) == data[:1000]
        assert read_all(store, "originals/56/big") == data

    @pytest.mark.parametrize("key", ["../outside", "originals/../../outside", "/etc/passwd", "a\\b", "a\x00b",
                                     "", "a//b", "a/", "./a", "a/./b", ".tmp/x", "a/.hidden", "a\nb",
                                     "x" * 1025])
    def test_unsafe_keys_are_refused(self, store: BlobStore, key: str) -> None:
        with pytest.raises(ValueError):
            store.put(key, io.BytesIO(b"x"))
        for operation in (store.open, store.exists, store.delete):
            with pytest.raises(ValueError):
                operation(key)
        with pytest.raises(ValueError):
            store.url(key, expires=timedelta(minutes=5))

    def test_url_downloads_under_the_vietnamese_file_name(self, store: BlobStore) -> None:
        data = b"%PDF-1.7 ket qua giai quyet"
        key = original_key(sha256_hex(data))
        store.put(key, io.BytesIO(data), content_type="application/pdf")
        url = store.url(key, expires=timedelta(minutes=5), filename=VIETNAMESE_FILENAME)
        if not self.presigns_urls:
            assert url is None  # the API streams the blob itself
            return
        assert url is not None
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == data
            assert response.headers["Content-Type"] == "application/pdf"
            disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert 'filename="Giay chung nhan quyen su dung dat _ Nguyen Van Duc.pdf"' in disposition  # ASCII fallback
        encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
        assert encoded is not None and unquote(encoded.group(1)) == VIETNAMESE_FILENAME

    def test_an_unreachable_store_fails_clearly_and_quickly(self, unreachable_store: BlobStore) -> None:
        started = time.monotonic()
        with pytest.raises(self.unreachable_error):
            unreachable_store.put("originals/78/x", io.BytesIO(b"x"))
        if self.unreachable_error is BackendUnavailable:  # a server: reads say so too, for the worker to retry
            for read in (unreachable_store.exists, unreachable_store.open, unreachable_store.delete):
                with pytest.raises(BackendUnavailable):
                    read("originals/78/x")
        assert time.monotonic() - started < 10


    def test_destroy_removes_the_blob_for_good_and_is_safe_to_repeat(self, store: BlobStore) -> None:
        data = b"%PDF-1.7 a paper due for destruction"
        key = original_key(sha256_hex(data))
        store.put(key, io.BytesIO(data), sha256=sha256_hex(data))
        store.destroy(key)
        assert not store.exists(key)
        with pytest.raises(BlobMissing):
            store.open(key)
        store.destroy(key)  # again: nothing left, no error
        store.put(key, io.BytesIO(data), sha256=sha256_hex(data))  # the same content may come back later
        assert read_all(store, key) == data

    def test_keys_lists_what_is_under_a_prefix(self, store: BlobStore) -> None:
        for name in ("000000000007.json", "000000000012.json"):
            store.put(f"audit/checkpoints/{name}", io.BytesIO(b"{}"))
        store.put("originals/ab/other", io.BytesIO(b"x"))
        assert sorted(store.keys("audit/checkpoints/")) == ["audit/checkpoints/000000000007.json",
                                                            "audit/checkpoints/000000000012.json"]
        assert list(store.keys("nothing-here/")) == []


class TestLocalBlobStore(BlobStoreContract):
    presigns_urls = False
    unreachable_error = OSError  # a root that is not a directory: an operator's problem, not a retry

    @pytest.fixture
    def store(self, tmp_path: Path) -> LocalBlobStore:
        return LocalBlobStore(tmp_path / "blobs")  # not created yet: the first put makes it

    @pytest.fixture
    def leftovers(self, store: LocalBlobStore) -> Leftovers:
        return lambda: sorted(str(path) for path in store.root.rglob(".*")) if store.root.exists() else []

    @pytest.fixture
    def unreachable_store(self, tmp_path: Path) -> LocalBlobStore:
        root = tmp_path / "a-file-not-a-directory"
        root.write_bytes(b"")
        return LocalBlobStore(root)

    def test_destroy_overwrites_the_bytes_before_unlinking(self, store: LocalBlobStore) -> None:
        """GIVEN a reader that still has the file open (as the disk's blocks would still hold it)
        WHEN the blob is destroyed THEN what is left of the file is zeros, not the paper."""
        data = "Giấy khai sinh của bé Vũ Minh Khôi".encode() * 500
        key = original_key(sha256_hex(data))
        store.put(key, io.BytesIO(data), sha256=sha256_hex(data))
        with store.open(key) as still_open:
            store.destroy(key)
            remains = still_open.read()
        assert len(remains) == len(data) and remains == bytes(len(data))


class TestReplicatedBlobStore(BlobStoreContract):
    presigns_urls = False
    unreachable_error = OSError

    @pytest.fixture
    def store(self, tmp_path: Path) -> ReplicatedBlobStore:
        return ReplicatedBlobStore(LocalBlobStore(tmp_path / "blobs"), LocalBlobStore(tmp_path / "replica"))

    @pytest.fixture
    def leftovers(self, store: ReplicatedBlobStore) -> Leftovers:
        roots = [s.root for s in (store.primary, store.replica) if isinstance(s, LocalBlobStore)]
        return lambda: sorted(str(p) for root in roots if root.exists() for p in root.rglob(".*"))

    @pytest.fixture
    def unreachable_store(self, tmp_path: Path) -> ReplicatedBlobStore:
        root = tmp_path / "a-file-not-a-directory"
        root.write_bytes(b"")
        return ReplicatedBlobStore(LocalBlobStore(root), LocalBlobStore(tmp_path / "replica"))

    def test_every_put_has_its_copy_and_a_damaged_blob_is_restored_from_it(self, store: ReplicatedBlobStore,
                                                                           tmp_path: Path) -> None:
        data = b"%PDF-1.7 the commune's scan" * 100
        key = original_key(sha256_hex(data))
        store.put(key, io.BytesIO(data), sha256=sha256_hex(data))
        assert read_all(store.replica, key) == data
        damaged = tmp_path / "blobs" / key
        raw = bytearray(damaged.read_bytes())
        raw[10] ^= 0xFF
        damaged.write_bytes(bytes(raw))
        assert store.restore(key, sha256_hex(data))
        assert read_all(store, key) == data
        (tmp_path / "replica" / key).write_bytes(b"also damaged")
        damaged.write_bytes(b"damaged")
        assert not store.restore(key, sha256_hex(data))  # no good copy left: said so, not faked

    def test_destroy_overwrites_both_copies_before_unlinking(self, store: ReplicatedBlobStore) -> None:
        assert object_lock_of(store) is None  # two directories: no object lock to set
        data = "Giấy khai sinh của bé Vũ Minh Khôi".encode() * 500
        key = original_key(sha256_hex(data))
        store.put(key, io.BytesIO(data), sha256=sha256_hex(data))
        with store.primary.open(key) as primary, store.replica.open(key) as replica:
            store.destroy(key)
            remains = [primary.read(), replica.read()]
        assert remains == [bytes(len(data))] * 2
        assert not store.primary.exists(key) and not store.replica.exists(key)


class TestS3BlobStore(BlobStoreContract):
    presigns_urls = True
    unreachable_error = BackendUnavailable

    @pytest.fixture
    def store(self, s3_server: str) -> Iterator[S3BlobStore]:
        """A bucket of its own, created by the store's first put; emptied and removed after the test."""
        with _bucket_store(s3_server) as store:
            yield store

    @pytest.fixture
    def leftovers(self, store: S3BlobStore, s3_server: str) -> Leftovers:
        """Objects under .tmp/ and multipart uploads never completed."""
        return _s3_leftovers(s3_server, store)

    @pytest.fixture
    def unreachable_store(self) -> S3BlobStore:
        return S3BlobStore(f"127.0.0.1:{free_port()}", S3_ACCESS_KEY, S3_SECRET_KEY, "hoso-nowhere", secure=False)

    def test_legal_hold_and_retention_are_set_on_the_object(self, store: S3BlobStore, s3_server: str) -> None:
        """GIVEN a paper stored in a bucket made with object lock
        WHEN a legal hold is placed and a retention date set THEN the S3 server itself reports both on the object
        (read with a plain client), a held object cannot be destroyed, and after release it can."""
        data = b"%PDF-1.7 frozen paper"
        key = original_key(sha256_hex(data))
        store.put(key, io.BytesIO(data), sha256=sha256_hex(data))
        assert isinstance(store, ObjectLock) and object_lock_of(store) is store
        store.set_legal_hold(key, True)
        client = _client(s3_server)
        assert client.is_object_legal_hold_enabled(store.bucket, key) and store.legal_hold(key)
        until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5 * 365)
        store.set_retention(key, until)
        store.set_retention(key, until - timedelta(days=30))  # never shortened
        headers = client.stat_object(store.bucket, key).metadata
        assert headers["x-amz-object-lock-mode"] == "GOVERNANCE"
        assert datetime.fromisoformat(headers["x-amz-object-lock-retain-until-date"].replace("Z", "+00:00")) == until
        assert store.retention(key) == until
        with pytest.raises(RuntimeError):
            store.destroy(key)
        assert store.exists(key)
        store.set_legal_hold(key, False)
        assert not client.is_object_legal_hold_enabled(store.bucket, key)
        store.destroy(key)
        assert not store.exists(key)
        with pytest.raises(BlobMissing):
            store.set_legal_hold(key, True)


@contextmanager
def _bucket_store(s3_server: str) -> Iterator[S3BlobStore]:
    """A bucket of its own, created by the store's first put; emptied and removed afterwards."""
    bucket = f"hoso-test-{uuid.uuid4().hex[:16]}"
    yield S3BlobStore(s3_server, S3_ACCESS_KEY, S3_SECRET_KEY, bucket, secure=False)
    client = _client(s3_server)
    if client.bucket_exists(bucket):
        # The bucket has object lock, so versions: every version goes (and the delete markers).
        versions = list(client.list_objects(bucket, recursive=True, include_version=True))
        for obj in versions:  # a test that stopped half-way may have left a legal hold on
            if not obj.is_delete_marker and not (obj.object_name or "").startswith(".tmp/"):
                client.disable_object_legal_hold(bucket, obj.object_name or "", obj.version_id)
        objects = [DeleteObject(obj.object_name or "", obj.version_id) for obj in versions]
        assert not list(client.remove_objects(bucket, objects, bypass_governance_mode=True))
        client.remove_bucket(bucket)


def _s3_leftovers(s3_server: str, *stores: S3BlobStore) -> Leftovers:
    """Objects under .tmp/ and multipart uploads never completed, in any of the stores' buckets."""
    client = _client(s3_server)

    def listing() -> list[str]:
        found: list[str] = []
        for store in stores:
            try:
                found += [obj.object_name or "" for obj in
                          client.list_objects(store.bucket, prefix=store.TEMP_PREFIX, recursive=True)]
                found += [f"multipart:{upload.object_name}" for upload in
                          client._list_multipart_uploads(store.bucket).uploads]
            except S3Error as exc:
                if exc.code != "NoSuchBucket":
                    raise
        return sorted(found)

    return listing


class TestReplicatedS3BlobStore(BlobStoreContract):
    """A primary bucket and a replica bucket on one S3 endpoint (HOSO_REPLICA_S3_BUCKET)."""

    presigns_urls = True
    unreachable_error = BackendUnavailable

    @pytest.fixture
    def store(self, s3_server: str) -> Iterator[ReplicatedBlobStore]:
        with _bucket_store(s3_server) as primary, _bucket_store(s3_server) as replica:
            yield ReplicatedBlobStore(primary, replica)

    @pytest.fixture
    def leftovers(self, store: ReplicatedBlobStore, s3_server: str) -> Leftovers:
        assert isinstance(store.primary, S3BlobStore) and isinstance(store.replica, S3BlobStore)
        return _s3_leftovers(s3_server, store.primary, store.replica)

    @pytest.fixture
    def unreachable_store(self, tmp_path: Path) -> ReplicatedBlobStore:
        nowhere = S3BlobStore(f"127.0.0.1:{free_port()}", S3_ACCESS_KEY, S3_SECRET_KEY, "hoso-nowhere", secure=False)
        return ReplicatedBlobStore(nowhere, LocalBlobStore(tmp_path / "replica"))

    def test_holds_and_retention_are_on_both_copies_and_come_back_with_a_restored_object(
            self, store: ReplicatedBlobStore, s3_server: str) -> None:
        """GIVEN a held object with a retention date, overwritten in the primary bucket behind hoso's back (a new
        version, without either) WHEN it is restored from the replica THEN the restored object is held and retained
        again, as the replica's copy was all along."""
        assert object_lock_of(store) is store
        data = b"%PDF-1.7 a held dossier's scan" * 40
        key = original_key(sha256_hex(data))
        store.put(key, io.BytesIO(data), sha256=sha256_hex(data))
        until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365)
        store.set_legal_hold(key, True)
        store.set_retention(key, until)
        assert isinstance(store.replica, S3BlobStore) and isinstance(store.primary, S3BlobStore)
        assert store.replica.legal_hold(key) and store.replica.retention(key) == until
        _client(s3_server).put_object(store.primary.bucket, key, io.BytesIO(b"tampered"), 8)
        assert not store.primary.legal_hold(key)
        assert store.restore(key, sha256_hex(data))
        assert read_all(store, key) == data
        assert store.legal_hold(key) and store.retention(key) == until

    def test_destroy_removes_every_version_in_both_buckets(self, store: ReplicatedBlobStore, s3_server: str) -> None:
        data = b"%PDF-1.7 to be destroyed" * 40
        key = original_key(sha256_hex(data))
        store.put(key, io.BytesIO(data), sha256=sha256_hex(data))
        store.put(key, io.BytesIO(data + b"v2"))  # a second version in each bucket
        store.destroy(key)
        client = _client(s3_server)
        for bucket in (store.primary, store.replica):
            assert isinstance(bucket, S3BlobStore)
            assert [v.version_id for v in client.list_objects(bucket.bucket, prefix=key, include_version=True)] == []


def _client(endpoint: str) -> Minio:
    return Minio(endpoint, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False)
