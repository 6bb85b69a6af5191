"""With blobs in MinIO/S3, a legal hold on a dossier is also an S3 object-lock legal hold on its papers, visible on
the objects in the S3 server itself; releasing the hold lifts it. A kept dossier's originals carry GOVERNANCE
retention until its due date, lengthened when the due date is."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from minio import Minio

from infra.wiring import Backends
from records.blobs import derived_key, original_key
from records.clock import VN_TZ, FixedClock
from records.documents import DocumentMetadata
from records.dossiers import Applicant, ApplicantKind, Channel, DossierState
from records.holds import HoldScope
from records.procedures import DocumentType
from records.retention import EndAction, add_years
from records.services.documents import StagedUpload, register_document
from records.services.dossiers import transition_dossier
from records.services.holds import place_hold, release_hold
from records.services.intake import receive_dossier
from records.services.retention import lock_originals_until_due, move_due_date, save_schedule
from tests.archive.instances import instance, officer
from tests.archive.test_fixity import _paper
from tests.conftest import BACKEND_PARAMS
from tests.support.factories import LAND_FIRST_CERTIFICATE, MONDAY_9AM
from tests.support.papers import born_digital_pdf
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


def test_a_kept_dossiers_originals_are_retained_by_s3_until_the_due_date(on_s3: Backends, tmp_path: Path,
                                                                         s3_server: str) -> None:
    """GIVEN a land dossier with a paper, withdrawn today under a 10-year schedule WHEN the archive upkeep runs
    THEN its original carries GOVERNANCE retention until the due date in the S3 server; extending the due date
    lengthens it; running again changes nothing."""
    document_id, sha = _paper(on_s3, tmp_path, "thua dat 505")
    with on_s3.uow() as uow:
        document = uow.documents.get(document_id)
    assert document is not None
    code = document.dossier_code
    save_schedule(uow=on_s3.uow(), clock=on_s3.clock, actor=officer(on_s3, "luutru.tinh"),
                  procedure_code=LAND_FIRST_CERTIFICATE, years=10, legal_minimum_years=10,
                  end_action=EndAction.DESTROY)
    transition_dossier(uow=on_s3.uow(), clock=on_s3.clock, calendar=on_s3.calendar,
                       actor=officer(on_s3, "tiepnhan.tranbien"), code=code, to=DossierState.WITHDRAWN,
                       note="Người nộp rút hồ sơ")
    assert lock_originals_until_due(uow=on_s3.uow(), clock=on_s3.clock, blobs=on_s3.blobs) == 1
    client = Minio(s3_server, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False)
    bucket = on_s3.settings.s3_bucket
    due_on = add_years(MONDAY_9AM.date(), 10)
    assert object_retention(client, bucket, original_key(sha)) == ("GOVERNANCE", due_on)
    assert object_retention(client, bucket, derived_key(sha, "text.json")) == (None, None)  # derivatives: rebuilt
    assert lock_originals_until_due(uow=on_s3.uow(), clock=on_s3.clock, blobs=on_s3.blobs) == 0

    later = add_years(MONDAY_9AM.date(), 12)
    move_due_date(uow=on_s3.uow(), clock=on_s3.clock, actor=officer(on_s3, "luutru.tranbien"), code=code,
                  new_due_on=later, reason="Thanh tra yêu cầu giữ thêm")
    assert lock_originals_until_due(uow=on_s3.uow(), clock=on_s3.clock, blobs=on_s3.blobs,
                                    dossier_codes=[code]) == 1
    assert object_retention(client, bucket, original_key(sha)) == ("GOVERNANCE", later)


def object_retention(client: Minio, bucket: str, key: str) -> tuple[str | None, date | None]:
    """The object-lock mode and retain-until day (Vietnam time) the S3 server reports in the object's headers (the
    test server answers HEAD with them but has no GetObjectRetention)."""
    headers = {name.lower(): value for name, value in (client.stat_object(bucket, key).metadata or {}).items()}
    until = headers.get("x-amz-object-lock-retain-until-date")
    day = datetime.fromisoformat(str(until).replace("Z", "+00:00")).astimezone(VN_TZ).date() if until else None
    return headers.get("x-amz-object-lock-mode"), day


def test_derivatives_written_after_a_hold_get_the_s3_legal_hold_too(on_s3: Backends, tmp_path: Path,
                                                                    s3_server: str) -> None:
    """GIVEN a paper uploaded but not yet processed WHEN its dossier is held and the worker then writes its page
    texts THEN the new derivative is under the S3 legal hold as well."""
    desk = officer(on_s3, "tiepnhan.tranbien")
    code = receive_dossier(uow=on_s3.uow(), clock=on_s3.clock, calendar=on_s3.calendar, actor=desk,
                           procedure_code=LAND_FIRST_CERTIFICATE,
                           applicant=Applicant(ApplicantKind.PERSON, "Đinh Văn Tâm", "075190003333"),
                           channel=Channel.COUNTER, received_at=on_s3.clock.now(), signer=on_s3.signer).dossier.code
    content = born_digital_pdf([["ĐƠN ĐĂNG KÝ ĐẤT ĐAI", "thua dat 606"]])
    staged = tmp_path / "don.pdf"
    staged.write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    document = register_document(uow=on_s3.uow(), blobs=on_s3.blobs, clock=on_s3.clock, actor=desk,
                                 dossier_code=code, upload=StagedUpload(staged, sha, len(content), "application/pdf",
                                                                        "don.pdf"),
                                 document_type=DocumentType.APPLICATION_FORM, title="Đơn",
                                 metadata=DocumentMetadata()).document  # no task queue: not processed yet
    place_hold(uow=on_s3.uow(), clock=on_s3.clock, blobs=on_s3.blobs, actor=officer(on_s3, "luutru.tranbien"),
               scope=HoldScope.DOSSIER, target=code, reason="Khiếu nại đang giải quyết")
    client = Minio(s3_server, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False)
    bucket = on_s3.settings.s3_bucket
    assert client.is_object_legal_hold_enabled(bucket, original_key(sha))
    on_s3.tasks.process_document(document.id)
    assert client.is_object_legal_hold_enabled(bucket, derived_key(sha, "text.json"))
