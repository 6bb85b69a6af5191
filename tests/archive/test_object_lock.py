"""With blobs in MinIO/S3, a legal hold on a dossier is also an S3 object-lock legal hold on its papers, visible on
the objects in the S3 server itself; releasing the hold lifts it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from minio import Minio

from infra.wiring import Backends
from records.blobs import derived_key, original_key
from records.clock import FixedClock
from records.holds import HoldScope
from records.services.holds import place_hold, release_hold
from tests.archive.instances import instance, officer
from tests.archive.test_fixity import _paper
from tests.conftest import BACKEND_PARAMS
from tests.support.factories import MONDAY_9AM
from tests.support.s3_server import S3_ACCESS_KEY, S3_SECRET_KEY, s3_server

__all__ = ["s3_server"]


@pytest.fixture(params=BACKEND_PARAMS)
def on_s3(request: pytest.FixtureRequest, tmp_path: Path, s3_server: str) -> Iterator[Backends]:
    bucket = f"hoso-lock-{request.param}-{tmp_path.name[-8:].lower().replace('_', '-')}"
    with instance(request.param, tmp_path / "hoso", s3_endpoint=s3_server, s3_access_key=S3_ACCESS_KEY,
                  s3_secret_key=S3_SECRET_KEY, s3_bucket=bucket) as backends:
        backends.clock = FixedClock(MONDAY_9AM)
        yield backends


def test_a_hold_puts_an_s3_legal_hold_on_the_dossiers_objects(on_s3: Backends, tmp_path: Path,
                                                              s3_server: str) -> None:
    document_id, sha = _paper(on_s3, tmp_path, "thua dat 404")
    with on_s3.uow() as uow:
        document = uow.documents.get(document_id)
    assert document is not None
    archivist = officer(on_s3, "luutru.tranbien")
    hold = place_hold(uow=on_s3.uow(), clock=on_s3.clock, blobs=on_s3.blobs, actor=archivist,
                      scope=HoldScope.DOSSIER, target=document.dossier_code, reason="Tranh chấp đất đai")
    client = Minio(s3_server, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False)
    bucket = on_s3.settings.s3_bucket
    for key in (original_key(sha), derived_key(sha, "text.json")):
        assert client.is_object_legal_hold_enabled(bucket, key), key
    release_hold(uow=on_s3.uow(), clock=on_s3.clock, blobs=on_s3.blobs, actor=archivist, hold_id=hold.id,
                 reason="Đã giải quyết tranh chấp")
    assert not client.is_object_legal_hold_enabled(bucket, original_key(sha))


def test_a_due_date_becomes_the_objects_s3_retention(on_s3: Backends, tmp_path: Path, s3_server: str) -> None:
    """GIVEN a refused dossier with a scanned paper, kept 5 years by its schedule
    WHEN the worker's upkeep runs THEN the paper's object in the S3 server carries that due date as its object-lock
    retention, and a second run changes nothing."""
    from records.dossiers import DossierState
    from records.retention import EndAction
    from records.services.dossiers import transition_dossier
    from records.services.retention import lock_retention_on_objects, save_schedule

    document_id, sha = _paper(on_s3, tmp_path, "thua dat 405")
    with on_s3.uow() as uow:
        document = uow.documents.get(document_id)
    assert document is not None
    save_schedule(uow=on_s3.uow(), clock=on_s3.clock, actor=officer(on_s3, "luutru.tinh"),
                  procedure_code="1.012756", years=5, end_action=EndAction.DESTROY)
    transition_dossier(uow=on_s3.uow(), clock=on_s3.clock, calendar=on_s3.calendar,
                       actor=officer(on_s3, "tiepnhan.tranbien"), code=document.dossier_code,
                       to=DossierState.REFUSED, note="Thiếu giấy tờ")
    assert lock_retention_on_objects(uow=on_s3.uow(), blobs=on_s3.blobs) == 1
    assert lock_retention_on_objects(uow=on_s3.uow(), blobs=on_s3.blobs) == 0
    client = Minio(s3_server, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False)
    headers = client.stat_object(on_s3.settings.s3_bucket, original_key(sha)).metadata
    assert headers["x-amz-object-lock-mode"] == "GOVERNANCE"
    assert headers["x-amz-object-lock-retain-until-date"].startswith(f"{MONDAY_9AM.year + 5}-03-0")
