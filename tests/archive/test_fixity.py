"""Fixity with self-repair: one flipped byte in a stored blob is found by the fixity task and the blob restored from
the replica; without a good copy the run says so and exits non-zero; the pass resumes where it stopped."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.cli import main
from infra.wiring import Backends, build_blob_store
from records.access_log import AccessLogFilter
from records.blobs import derived_key, original_key
from records.clock import FixedClock
from records.documents import DocumentMetadata
from records.dossiers import Applicant, ApplicantKind, Channel
from records.fixity import Outcome
from records.procedures import DocumentType
from records.services.documents import StagedUpload, register_document
from records.services.fixity import Pace, fixity_report, run_fixity
from records.services.intake import receive_dossier
from storage.blobs import ReplicatedBlobStore, S3BlobStore
from tests.archive.instances import instance, officer
from tests.conftest import BACKEND_PARAMS
from tests.support.factories import LAND_FIRST_CERTIFICATE, MONDAY_9AM
from tests.support.papers import born_digital_pdf
from tests.support.s3_server import S3_ACCESS_KEY, S3_SECRET_KEY, s3_server

__all__ = ["s3_server"]


@pytest.fixture(params=BACKEND_PARAMS)
def hoso(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backends]:
    with instance(request.param, tmp_path / "hoso", replica_dir=tmp_path / "replica") as backends:
        backends.clock = FixedClock(MONDAY_9AM)
        for name, value in (("DATABASE_URL", backends.settings.effective_database_url),
                            ("DATA_DIR", str(tmp_path / "hoso")), ("SECRET_KEY", backends.settings.secret_key),
                            ("REPLICA_DIR", str(tmp_path / "replica"))):
            monkeypatch.setenv(f"HOSO_{name}", value)
        yield backends


def _paper(backends: Backends, tmp_path: Path, words: str) -> tuple[str, str]:
    """A dossier with one processed paper (original plus derivatives, all registered); (document id, sha256)."""
    desk = officer(backends, "tiepnhan.tranbien")
    code = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk,
                           procedure_code=LAND_FIRST_CERTIFICATE,
                           applicant=Applicant(ApplicantKind.PERSON, "Đinh Văn Tâm", "075190003333"),
                           channel=Channel.COUNTER, received_at=backends.clock.now(),
                           signer=backends.signer).dossier.code
    content = born_digital_pdf([["ĐƠN ĐĂNG KÝ ĐẤT ĐAI", words]])
    staged = tmp_path / f"{words}.pdf"
    staged.write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    document = register_document(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, actor=desk,
                                 dossier_code=code, upload=StagedUpload(staged, sha, len(content), "application/pdf",
                                                                        "don.pdf"),
                                 document_type=DocumentType.APPLICATION_FORM, title="Đơn", metadata=DocumentMetadata(),
                                 tasks=backends.tasks).document
    backends.tasks.process_document(document.id)
    return document.id, sha


def _flip_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


def test_a_flipped_byte_is_found_and_repaired_from_the_replica(hoso: Backends, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    _, sha = _paper(hoso, tmp_path, "thua dat 118")
    assert isinstance(hoso.blobs, ReplicatedBlobStore)
    original = tmp_path / "hoso" / "blobs" / original_key(sha)
    good = original.read_bytes()
    _flip_byte(original)
    (tmp_path / "hoso" / "blobs" / derived_key(sha, "text.json")).unlink()  # and a derivative goes missing

    assert main(["fixity", "run", "--all", "--rate", "0"]) == 0
    out = capsys.readouterr().out
    assert "repaired" in out and original_key(sha) in out and derived_key(sha, "text.json") in out
    assert original.read_bytes() == good
    report = fixity_report(uow=hoso.uow())
    assert report.damaged_now == 0 and report.state.last_full_pass_at is not None
    assert {(p.key, p.outcome) for p in report.recent_problems} >= {(original_key(sha), Outcome.REPAIRED)}
    with hoso.uow() as uow:
        alerts, _ = uow.archive_alerts.find(agencies=None, include_acknowledged=False, kind="fixity_repaired")
        trail, _ = uow.access_log.find(AccessLogFilter(username="system.fixity"))
    assert original_key(sha) in {a.subject for a in alerts}
    assert {e.action.value for e in trail} == {"fixity_repaired"}


def test_damage_without_a_good_copy_is_reported_and_fails_the_run(hoso: Backends, tmp_path: Path) -> None:
    _, sha = _paper(hoso, tmp_path, "thua dat 119")
    for root in ("hoso/blobs", "replica"):
        _flip_byte(tmp_path / root / original_key(sha))
    assert main(["fixity", "run", "--all", "--rate", "0"]) == 1
    report = fixity_report(uow=hoso.uow())
    assert report.damaged_now == 1
    assert report.recent_problems[0].outcome is Outcome.UNREPAIRED
    with hoso.uow() as uow:
        alerts, _ = uow.archive_alerts.find(agencies=None, include_acknowledged=False, kind="fixity_damage")
    assert [a.subject for a in alerts] == [original_key(sha)]


def test_a_pass_resumes_where_it_stopped(hoso: Backends, tmp_path: Path) -> None:
    _paper(hoso, tmp_path, "thua dat 120")
    ticks = iter(range(10_000))
    pace = Pace(0, monotonic=lambda: float(next(ticks)))
    first = run_fixity(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock, pace=pace, budget_seconds=2)
    assert 0 < first.checked < fixity_report(uow=hoso.uow()).blobs and not first.finished_pass
    rest = run_fixity(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock, pace=Pace(0))
    assert rest.finished_pass
    assert first.checked + rest.checked == fixity_report(uow=hoso.uow()).blobs


def test_the_s3_replica_bucket_restores_a_damaged_object(s3_server: str, tmp_path: Path) -> None:
    """The same repair against the S3 server: two buckets, the primary's object overwritten behind hoso's back."""
    from minio import Minio

    from infra.settings import Settings

    settings = Settings(data_dir=tmp_path, secret_key="x" * 40, s3_endpoint=s3_server, s3_access_key=S3_ACCESS_KEY,
                        s3_secret_key=S3_SECRET_KEY, s3_bucket="hoso-primary-fixity",
                        replica_s3_bucket="hoso-replica-fixity")
    store = build_blob_store(settings)
    assert isinstance(store, ReplicatedBlobStore) and isinstance(store.primary, S3BlobStore)
    data = b"%PDF-1.7 scanned land certificate" * 50
    sha = hashlib.sha256(data).hexdigest()
    store.put(original_key(sha), io.BytesIO(data), sha256=sha)
    client = Minio(s3_server, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False)
    client.put_object("hoso-primary-fixity", original_key(sha), io.BytesIO(b"tampered"), 8)
    assert store.restore(original_key(sha), sha)
    with store.open(original_key(sha)) as stream:
        assert stream.read() == data
