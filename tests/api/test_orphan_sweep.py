"""The orphan sweeper: what a killed process left (staged uploads, OCR work files, temporary and unreferenced blobs)
goes after the grace period; nothing a row references, and nothing younger than the grace period, ever does."""

from __future__ import annotations

import io
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.blobs import BlobStore, original_key
from records.clock import SystemClock
from records.services.sweep import sweep_unreferenced_blobs
from storage.blobs import LocalBlobStore
from storage.blobs.s3 import S3BlobStore
from tests.api.helpers import intake
from tests.api.test_documents import upload
from tests.support.papers import born_digital_pdf
from tests.support.s3_server import S3_ACCESS_KEY, S3_SECRET_KEY, s3_server

Auth = Callable[[str], dict[str, str]]
ORPHAN = bytes(range(256)) * 8
__all__ = ["s3_server"]  # the session fixture, imported so that pytest finds it here


def put_orphan(blobs: BlobStore) -> str:
    import hashlib

    sha = hashlib.sha256(ORPHAN).hexdigest()
    key = original_key(sha)
    blobs.put(key, io.BytesIO(ORPHAN), sha256=sha)
    return key


def test_unreferenced_blobs_go_after_the_grace_period_referenced_ones_stay(
        client: TestClient, backends: Backends, auth: Auth) -> None:
    """The sweeper compares the blob's write time (the file's, the object's) with the real clock."""
    code = intake(client, auth("tiepnhan.tranbien"))["code"]
    uploaded = upload(client, auth("tiepnhan.tranbien"), code, born_digital_pdf([["ĐƠN ĐỀ NGHỊ"]]), "don.pdf")
    assert uploaded.status_code == 202, uploaded.text
    document = uploaded.json()
    kept = original_key(document["sha256"])
    orphan = put_orphan(backends.blobs)
    grace = timedelta(hours=1)
    young = sweep_unreferenced_blobs(uow=backends.uow(), blobs=backends.blobs, clock=SystemClock(), grace=grace)
    assert young.removed == [] and backends.blobs.exists(orphan)  # younger than the grace period

    old = time.time() - 2 * 3600
    os.utime(Path(backends.blobs.root, orphan), (old, old))  # type: ignore[attr-defined]
    os.utime(Path(backends.blobs.root, kept), (old, old))  # type: ignore[attr-defined]
    swept = sweep_unreferenced_blobs(uow=backends.uow(), blobs=backends.blobs, clock=SystemClock(), grace=grace)
    assert swept.removed == [orphan]
    assert not backends.blobs.exists(orphan) and backends.blobs.exists(kept)


@pytest.mark.slow
def test_on_s3_too(backends: Backends, s3_server: str) -> None:
    store = S3BlobStore(s3_server, S3_ACCESS_KEY, S3_SECRET_KEY, f"hoso-sweep-{uuid.uuid4().hex[:12]}", secure=False,
                        object_lock=False)
    orphan = put_orphan(store)
    kept = sweep_unreferenced_blobs(uow=backends.uow(), blobs=store, clock=SystemClock(), grace=timedelta(hours=1))
    assert kept.removed == [] and store.exists(orphan)
    swept = sweep_unreferenced_blobs(uow=backends.uow(), blobs=store, clock=SystemClock(),
                                     grace=timedelta(seconds=-5))
    assert swept.removed == [orphan] and not store.exists(orphan)


def test_stale_staging_and_work_files_go_fresh_ones_stay(backends: Backends, tmp_path: Path) -> None:
    from infra.jobs import sweep_job

    settings = backends.settings.model_copy(update={"data_dir": tmp_path, "orphan_grace_minutes": 60})
    scoped = replace(backends, settings=settings, blobs=LocalBlobStore(tmp_path / "blobs"), clock=SystemClock())
    (tmp_path / "staging").mkdir()
    (tmp_path / "work" / "doc-1-abc").mkdir(parents=True)
    stale, fresh = tmp_path / "staging" / "upload-stale", tmp_path / "staging" / "upload-fresh"
    stale.write_bytes(b"half an upload")
    fresh.write_bytes(b"an upload in flight")
    temp = tmp_path / "blobs" / "originals" / "ab" / ".x.tmp"
    temp.parent.mkdir(parents=True)
    temp.write_bytes(b"cut short")
    old = time.time() - 3 * 3600
    for path in (stale, tmp_path / "work" / "doc-1-abc", temp):
        os.utime(path, (old, old))
    result = sweep_job(scoped)
    assert result["staging_files"] == 1 and result["work_files"] == 1 and result["blob_temporaries"] == 1
    assert fresh.exists() and not stale.exists() and not temp.exists()
