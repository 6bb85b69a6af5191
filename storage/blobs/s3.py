"""The production blob store: any S3-compatible server (MinIO, Ceph, AWS S3) through the official minio client."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, BinaryIO, cast

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import ENABLED, GOVERNANCE, REPLACE, CopySource, Filter
from minio.deleteobjects import DeleteObject
from minio.error import InvalidResponseError, S3Error, ServerError
from minio.helpers import DictType, check_bucket_name
from minio.lifecycleconfig import AbortIncompleteMultipartUpload, Expiration, LifecycleConfig, Rule
from minio.retention import Retention
from urllib3.exceptions import HTTPError
from urllib3.response import BaseHTTPResponse

from records.blobs import BackendUnavailable, BlobInfo, BlobIntegrityError, BlobMissing
from storage.blobs.names import attachment_disposition, check_key

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

log = logging.getLogger(__name__)

PART_BYTES = 16 * 1024 * 1024
READ_BUFFER_BYTES = 1024 * 1024
SHA256_HEADER = "x-amz-meta-sha256"
RETAIN_UNTIL_HEADER = "x-amz-object-lock-retain-until-date"
# A short connect timeout and two quick retries: a dead store must fail the request (and let the task
# retry later) within a second or so, not after minio's default five minutes.
CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 120.0
RETRIES = 2
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchBucket"})
_TRANSIENT_CODES = frozenset({"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"})


@dataclass(frozen=True)
class BlobVersion:
    key: str
    version_id: str
    size: int
    sha256: str


class S3BlobStore:
    """Blobs as objects of one bucket; each object's SHA-256 is kept in its `x-amz-meta-sha256` metadata.

    Nothing is sent at construction. The first `put` creates the bucket if it is missing (and then gives
    it a lifecycle rule that expires leftovers under `.tmp/` after a day); reads of a bucket that does not
    exist yet find nothing. Pass `region` to spare the client a bucket-location request.

    Uploads stream through `.tmp/<uuid>` (a name no key can have) in 16 MiB parts while hashing; only a
    verified upload is copied server-side to its key, and the temporary object is removed whatever
    happens. Parts go one at a time, so memory per upload stays a few times the 16 MiB part size, whatever
    the size of the stream. Connection failures, timeouts and 5xx answers raise BackendUnavailable; other
    S3 errors (credentials, permissions) are configuration mistakes and propagate as minio's S3Error.
    """

    TEMP_PREFIX = ".tmp/"

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str, *, secure: bool,
                 region: str | None = None, object_lock: bool = True) -> None:
        check_bucket_name(bucket)  # a bad name is a configuration mistake: say so at start, not at first use
        self.object_lock = object_lock  # create the bucket with S3 object lock (legal holds, retention)
        self.endpoint = endpoint
        self.bucket = bucket
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=urllib3.Retry(total=RETRIES, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504],
                                  respect_retry_after_header=False),
        )
        self._client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure,
                             region=region, http_client=http)
        self._bucket_ready = False

    def __repr__(self) -> str:
        return f"S3BlobStore({self.endpoint!r}, bucket={self.bucket!r})"

    def put(self, key: str, stream: BinaryIO, *, sha256: str | None = None,
            content_type: str = "application/octet-stream") -> BlobInfo:
        """Streams `stream` to `key` with `content_type`, creating the bucket on first use.

        With `sha256`: if the object already carries that hash, the stream is not read and nothing is sent;
        if the stream hashes to anything else, BlobIntegrityError and nothing is stored. Without it, the new
        content replaces what the key held unless it is the same. Safe to repeat.
        Raises ValueError for an unsafe key, BackendUnavailable when the server does not answer.
        """
        check_key(key)
        expected = sha256.lower() if sha256 is not None else None
        with _backend_errors():
            self._ensure_bucket()
            if expected is not None:
                stored = self._stat(key)
                if stored is not None and stored.sha256 == expected:
                    return stored
            return self._upload(key, stream, expected, content_type)

    def open(self, key: str) -> BinaryIO:
        """A buffered stream of the object; closing it releases the connection. BlobMissing if there is none;
        BackendUnavailable when the server does not answer, also in the middle of reading."""
        check_key(key)
        with _backend_errors():
            try:
                response = self._client.get_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING_CODES:
                    raise BlobMissing(detail={"key": key}) from exc
                raise
        return io.BufferedReader(_ResponseReader(response), buffer_size=READ_BUFFER_BYTES)

    def exists(self, key: str) -> bool:
        """Raises BackendUnavailable when the server does not answer."""
        check_key(key)
        with _backend_errors():
            return self._stat(key) is not None

    def delete(self, key: str) -> None:
        """Removes the object; a missing key (or bucket) is not an error. Safe to repeat.
        Raises BackendUnavailable when the server does not answer."""
        check_key(key)
        with _backend_errors():
            try:
                self._client.remove_object(self.bucket, key)
            except S3Error as exc:
                if exc.code not in _MISSING_CODES:
                    raise

    def destroy(self, key: str) -> None:
        """Removes every version of the object (with object lock, a plain delete only hides it behind a delete
        marker), bypassing an expired-or-governance retention; a legal hold makes S3 refuse, as it should.
        A missing key is not an error. Safe to repeat."""
        check_key(key)
        with _backend_errors():
            try:
                versions = [DeleteObject(o.object_name, o.version_id) for o in
                            self._client.list_objects(self.bucket, prefix=key, include_version=True)
                            if o.object_name == key]
            except S3Error as exc:
                if exc.code in _MISSING_CODES:
                    return
                raise
            if not versions:
                return
            errors = list(self._client.remove_objects(self.bucket, versions, bypass_governance_mode=True))
            if errors:
                raise RuntimeError(f"S3 refused to remove {key}: {errors[0].code} {errors[0].message}")

    def keys(self, prefix: str = "") -> Iterator[str]:
        """The keys under `prefix`, in key order (temporary uploads left out)."""
        with _backend_errors():
            try:
                for item in self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True):
                    name = item.object_name or ""
                    if name and not name.startswith(self.TEMP_PREFIX):
                        yield name
            except S3Error as exc:
                if exc.code not in _MISSING_CODES:
                    raise

    # Versions, for backups of a versioned bucket: a manifest of (key, version id, SHA-256) instead of a copy.

    def versioned(self) -> bool:
        """True when the bucket keeps versions (always so with object lock)."""
        with _backend_errors():
            try:
                return bool(self._client.get_bucket_versioning(self.bucket).status == ENABLED)
            except S3Error as exc:
                if exc.code in _MISSING_CODES:
                    return False
                raise

    def current_versions(self, prefix: str = "") -> Iterator[BlobVersion]:
        """Each key's current version with its size and SHA-256 (one HEAD request per key)."""
        for key in self.keys(prefix):
            version = self.version(key)
            if version is not None:
                yield version

    def version(self, key: str, version_id: str | None = None) -> BlobVersion | None:
        """A version of `key` (the current one without `version_id`), or None when there is none."""
        check_key(key)
        with _backend_errors():
            try:
                stat = self._client.stat_object(self.bucket, key, version_id=version_id)
            except S3Error as exc:
                if exc.code in _MISSING_CODES | {"NoSuchVersion", "InvalidArgument"}:
                    return None
                raise
        sha256 = str((stat.metadata or {}).get(SHA256_HEADER) or "").lower()
        return BlobVersion(key, stat.version_id or "", stat.size or 0, sha256)

    def bring_back(self, key: str, version_id: str) -> bool:
        """Makes `version_id` the current content of `key` again when the current one differs or was deleted (a
        server-side copy: a new version with the old content). True when it copied. Safe to repeat."""
        wanted = self.version(key, version_id)
        if wanted is None:
            raise BlobMissing(detail={"key": key, "version_id": version_id})
        current = self.version(key)
        if current is not None and (current.version_id == version_id or current.sha256 == wanted.sha256):
            return False
        with _backend_errors():
            self._client.copy_object(self.bucket, key, CopySource(self.bucket, key, version_id=version_id),
                                     metadata={SHA256_HEADER: wanted.sha256}, metadata_directive=REPLACE)
        return True

    # ObjectLock (records.blobs): the bucket is created with object lock when `object_lock` is set.

    def set_legal_hold(self, key: str, on: bool) -> None:
        check_key(key)
        with _backend_errors():
            if self._stat(key) is None:  # asked first: some servers answer a missing object's hold with a 500
                raise BlobMissing(detail={"key": key})
            self._object_errors(key, lambda: (self._client.enable_object_legal_hold if on
                                              else self._client.disable_object_legal_hold)(self.bucket, key))

    def legal_hold(self, key: str) -> bool:
        check_key(key)
        with _backend_errors():
            return bool(self._object_errors(key, lambda: self._client.is_object_legal_hold_enabled(self.bucket, key)))

    def set_retention(self, key: str, until: datetime) -> None:
        check_key(key)
        current = self.retention(key)
        if current is not None and current >= until:
            return  # never shortened
        with _backend_errors():
            self._object_errors(key, lambda: self._client.set_object_retention(
                self.bucket, key, Retention(GOVERNANCE, until.astimezone(UTC))))

    def retention(self, key: str) -> datetime | None:
        """Read from the object's headers (x-amz-object-lock-retain-until-date), which every S3 server sends."""
        check_key(key)
        with _backend_errors():
            try:
                stat = self._client.stat_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING_CODES:
                    raise BlobMissing(detail={"key": key}) from exc
                raise
        headers = {name.lower(): value for name, value in (stat.metadata or {}).items()}
        until = headers.get(RETAIN_UNTIL_HEADER)
        return datetime.fromisoformat(str(until).replace("Z", "+00:00")).astimezone(UTC) if until else None

    def _object_errors(self, key: str, call: Callable[[], object]) -> object:
        try:
            return call()
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                raise BlobMissing(detail={"key": key}) from exc
            raise

    def url(self, key: str, *, expires: timedelta, filename: str | None = None) -> str:
        """A presigned GET address valid for `expires` (1 second to 7 days, else ValueError); with `filename`,
        the download is an attachment of that name. Nothing checks that the object exists (the address
        then answers 404). Without `region` the client asks the server for it once (BackendUnavailable)."""
        check_key(key)
        response_headers: DictType | None = None
        if filename is not None:
            response_headers = {"response-content-disposition": attachment_disposition(filename)}
        with _backend_errors():
            return self._client.presigned_get_object(self.bucket, key, expires=expires,
                                                     response_headers=response_headers)

    def _upload(self, key: str, stream: BinaryIO, expected: str | None, content_type: str) -> BlobInfo:
        temp_key = f"{self.TEMP_PREFIX}{uuid.uuid4().hex}"
        reader = _HashingReader(stream)
        try:
            # minio types its argument BinaryIO but only ever calls read(size). Parts go one at a time: when
            # the stream fails, minio's parallel uploader aborts without stopping its threads (three leak per
            # failed upload, blocked for ever) and while parts are still in flight.
            self._client.put_object(self.bucket, temp_key, cast(BinaryIO, reader), length=-1, part_size=PART_BYTES,
                                    content_type=content_type, num_parallel_uploads=1)
            actual = reader.hexdigest()
            if expected is not None and actual != expected:
                raise BlobIntegrityError(detail={"key": key, "expected_sha256": expected, "actual_sha256": actual})
            stored = self._stat(key)
            if stored is None or stored.sha256 != actual:
                self._client.copy_object(self.bucket, key, CopySource(self.bucket, temp_key),
                                         metadata={"Content-Type": content_type, SHA256_HEADER: actual},
                                         metadata_directive=REPLACE)
        finally:
            self._remove_temporary(temp_key)
        return BlobInfo(key=key, size=reader.size, sha256=actual)

    def modified_at(self, key: str) -> datetime | None:
        with _backend_errors():
            try:
                stat = self._client.stat_object(self.bucket, key)
            except S3Error as exc:
                if exc.code in _MISSING_CODES:
                    return None
                raise
        return stat.last_modified

    def sweep_temporaries(self, older_than: datetime) -> int:
        """Removes temporary uploads under .tmp/ left by a killed writer before `older_than` (the bucket's lifecycle
        rule would expire them too, a day later)."""
        removed = 0
        with _backend_errors():
            try:
                for item in self._client.list_objects(self.bucket, prefix=self.TEMP_PREFIX, recursive=True):
                    if item.object_name and item.last_modified is not None and item.last_modified < older_than:
                        self._remove_temporary(item.object_name)
                        removed += 1
            except S3Error as exc:
                if exc.code not in _MISSING_CODES:  # no bucket yet: nothing to sweep
                    raise
        return removed

    def _stat(self, key: str) -> BlobInfo | None:
        try:
            stat = self._client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING_CODES:
                return None
            raise
        sha256 = (stat.metadata or {}).get(SHA256_HEADER) or ""
        return BlobInfo(key=key, size=stat.size or 0, sha256=str(sha256).lower())

    def _remove_temporary(self, temp_key: str) -> None:
        try:
            self._client.remove_object(self.bucket, temp_key)
        except (S3Error, ServerError, InvalidResponseError, HTTPError):
            # Not worth failing for: the bucket's lifecycle rule expires what is left under .tmp/.
            log.warning("could not remove the temporary upload %s/%s", self.bucket, temp_key, exc_info=True)

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        if not self._client.bucket_exists(self.bucket):
            try:
                self._client.make_bucket(self.bucket, object_lock=self.object_lock)
            except S3Error as exc:
                if exc.code != "BucketAlreadyOwnedByYou":  # another process created it just now
                    raise
            else:
                self._expire_temporary_uploads()
        self._bucket_ready = True

    def _expire_temporary_uploads(self) -> None:
        """Uploads cut short by a killed process leave objects under .tmp/ (or unfinished multipart uploads)."""
        rule = Rule(ENABLED, rule_filter=Filter(prefix=self.TEMP_PREFIX), rule_id="hoso-expire-temporary-uploads",
                    expiration=Expiration(days=1),
                    abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(days_after_initiation=1))
        try:
            self._client.set_bucket_lifecycle(self.bucket, LifecycleConfig([rule]))
        except S3Error:
            log.warning("bucket %s: lifecycle rules not supported; leftovers under %s stay until removed",
                        self.bucket, self.TEMP_PREFIX, exc_info=True)


@contextmanager
def _backend_errors() -> Iterator[None]:
    """Turns "the server does not answer" into BackendUnavailable (worth retrying); the rest goes through."""
    try:
        yield
    except S3Error as exc:
        if exc.response.status >= 500 or exc.code in _TRANSIENT_CODES:
            raise BackendUnavailable() from exc
        raise
    except InvalidResponseError as exc:
        # A non-S3 answer, typically a proxy's HTML error page; minio keeps its status private.
        status = getattr(exc, "_code", 0)
        if isinstance(status, int) and status >= 500:
            raise BackendUnavailable() from exc
        raise
    except (ServerError, HTTPError) as exc:
        raise BackendUnavailable() from exc


class _HashingReader:
    """Hands minio the stream while hashing and counting what passes through."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        # minio concatenates what each read returns into a part; returning all `size` bytes at once keeps
        # that to one copy per part instead of one per small chunk of a slow stream.
        chunks: list[bytes] = []
        wanted = size
        while wanted != 0:
            chunk = self._stream.read(READ_BUFFER_BYTES if wanted < 0 else wanted)
            if not chunk:
                break
            chunks.append(chunk)
            if wanted > 0:
                wanted -= len(chunk)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self._digest.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


class _ResponseReader(io.RawIOBase):
    """An object's body as a raw stream; closing it gives the connection back to the pool."""

    def __init__(self, response: BaseHTTPResponse) -> None:
        super().__init__()
        self._response = response
        self._drained = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        with _backend_errors():
            data = self._response.read(len(view))
        view[: len(data)] = data
        if not data and len(view):
            self._drained = True
        return len(data)

    def close(self) -> None:
        if not self.closed:
            try:
                if not self._drained:  # unread body: the connection cannot serve another request
                    self._response.close()
            finally:
                self._response.release_conn()
        super().close()
