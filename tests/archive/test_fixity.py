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
from records.holds import HoldScope
from records.procedures import DocumentType
from records.services.documents import StagedUpload, register_document
from records.services.fixity import Pace, fixity_report, run_fixity
from records.services.holds import place_hold
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
                                 document_type=DocumentType.APPLICATION_FORM, title="Đơn",
                                 metadata=DocumentMetadata()).document
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


@pytest.mark.parametrize("kind", BACKEND_PARAMS)
def test_the_fixity_task_repairs_a_flipped_byte_in_the_s3_primary_bucket(kind: str, s3_server: str,
                                                                           tmp_path: Path) -> None:
    """The done-when line against the S3 server: two buckets on one endpoint, a held dossier's processed paper in
    them, one byte of the primary's object flipped behind hoso's back (a new version, without the legal hold); the
    fixity task finds it and restores it from the replica, legal hold included."""
    from minio import Minio

    buckets = {"s3_bucket": f"hoso-fixity-{kind}", "replica_s3_bucket": f"hoso-fixity-{kind}-replica"}
    with instance(kind, tmp_path / "hoso", s3_endpoint=s3_server, s3_access_key=S3_ACCESS_KEY,
                  s3_secret_key=S3_SECRET_KEY, **buckets) as backends:
        backends.clock = FixedClock(MONDAY_9AM)
        assert isinstance(backends.blobs, ReplicatedBlobStore) and isinstance(backends.blobs.replica, S3BlobStore)
        document_id, sha = _paper(backends, tmp_path, "thua dat 121")
        key = original_key(sha)
        with backends.uow() as uow:
            code = uow.documents.get(document_id).dossier_code  # type: ignore[union-attr]
        place_hold(uow=backends.uow(), clock=backends.clock, blobs=backends.blobs,
                   actor=officer(backends, "luutru.tinh"), scope=HoldScope.DOSSIER, target=code,
                   reason="Tranh chấp đất đai đang được tòa án thụ lý")
        client = Minio(s3_server, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False)
        answer = client.get_object(buckets["s3_bucket"], key)
        good = answer.read()
        answer.close()
        answer.release_conn()
        bad = bytearray(good)
        bad[len(bad) // 2] ^= 0x01
        client.put_object(buckets["s3_bucket"], key, io.BytesIO(bytes(bad)), len(bad))

        run = run_fixity(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, pace=Pace(0),
                         full_pass=True)
        assert [(p.key, p.outcome) for p in run.problems] == [(key, Outcome.REPAIRED)] and not run.unrepaired
        answer = client.get_object(buckets["s3_bucket"], key)
        assert answer.read() == good
        assert client.is_object_legal_hold_enabled(buckets["s3_bucket"], key)  # the restored object is held again
        answer.close()
        answer.release_conn()
        again = run_fixity(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, pace=Pace(0),
                           full_pass=True)
        assert again.problems == [] and again.checked == run.checked


def test_blobs_without_a_record_are_registered_on_first_sight(hoso: Backends, tmp_path: Path) -> None:
    """Blobs written before the registry (or by a writer that does not record) are registered when a pass starts:
    an original with the hash its document recorded at upload — so damage done before is still found — the
    derivatives and an audit checkpoint with the hash they have then, each with its kind and dossier."""
    from sqlalchemy import delete

    from storage.models import BlobRecordRow

    document_id, sha = _paper(hoso, tmp_path, "thua dat 122")
    hoso.blobs.put("audit/checkpoints/legacy.json", io.BytesIO(b'{"last_id": 7}'), content_type="application/json")
    with hoso.engine.begin() as connection:
        connection.execute(delete(BlobRecordRow))
    for root in ("hoso/blobs", "replica"):  # damaged everywhere before it was ever registered
        _flip_byte(tmp_path / root / original_key(sha))

    run = run_fixity(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock, pace=Pace(0))  # a scheduled run
    assert run.registered >= 4 and run.finished_pass
    with hoso.uow() as uow:
        original = uow.fixity.get(original_key(sha))
        text = uow.fixity.get(derived_key(sha, "text.json"))
        checkpoint = uow.fixity.get("audit/checkpoints/legacy.json")
        code = uow.documents.get(document_id).dossier_code  # type: ignore[union-attr]
    assert original is not None and original.sha256 == sha and original.kind.value == "original"
    assert original.dossier_code == code and original.last_outcome is Outcome.UNREPAIRED
    assert text is not None and text.kind.value == "text" and text.last_outcome is Outcome.OK
    assert checkpoint is not None and checkpoint.kind.value == "audit_checkpoint" and checkpoint.dossier_code is None
    assert [p.key for p in run.unrepaired] == [original_key(sha)]


def test_a_damage_alert_goes_to_the_archive_of_the_dossier(hoso: Backends, tmp_path: Path) -> None:
    """The alert names the dossier and is seen by the archivists whose records it is, not by another commune's."""
    from records.access import Principal, Role
    from records.services.archive_alerts import list_archive_alerts
    from tests.support.factories import TAN_PHU, TRAN_BIEN

    document_id, sha = _paper(hoso, tmp_path, "thua dat 123")
    (tmp_path / "hoso" / "blobs" / original_key(sha)).unlink()
    (tmp_path / "replica" / original_key(sha)).unlink()
    run = run_fixity(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock, pace=Pace(0), full_pass=True)
    assert [(p.key, p.outcome, p.actual_sha256) for p in run.unrepaired] == [(original_key(sha), Outcome.UNREPAIRED,
                                                                              None)]
    with hoso.uow() as uow:
        code = uow.documents.get(document_id).dossier_code  # type: ignore[union-attr]
    ward = officer(hoso, "luutru.tranbien")
    stranger = Principal("luutru.tanphu", TAN_PHU, frozenset({Role.ARCHIVIST}))
    seen, _ = list_archive_alerts(uow=hoso.uow(), actor=ward, kind="fixity_damage")
    assert [(a.subject, a.agency_code) for a in seen] == [(original_key(sha), TRAN_BIEN)]
    assert code in seen[0].message_vi and seen[0].detail["dossier_code"] == code
    assert list_archive_alerts(uow=hoso.uow(), actor=stranger, kind="fixity_damage") == ([], 0)


def test_a_blob_gone_with_its_destroyed_documents_is_forgotten_not_alarmed(hoso: Backends, tmp_path: Path) -> None:
    """A registered original that no document references any more and that is gone (its dossier was destroyed while
    a pass was listing) leaves the registry quietly; nothing was lost."""
    from records.fixity import BlobRecord

    orphan = hashlib.sha256(b"orphan").hexdigest()
    with hoso.uow() as uow:
        uow.begin_write()
        uow.fixity.record([BlobRecord(original_key(orphan), orphan, 6, None, hoso.clock.now())])
        uow.commit()
    run = run_fixity(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock, pace=Pace(0), full_pass=True)
    assert run.problems == []
    with hoso.uow() as uow:
        assert uow.fixity.get(original_key(orphan)) is None
        alerts, _ = uow.archive_alerts.find(agencies=None, include_acknowledged=True)
    assert alerts == []


def test_the_rate_limit_holds_reading_to_the_configured_pace(hoso: Backends, tmp_path: Path) -> None:
    """At 1 MB/s a pass over the blobs takes at least their size in MB, in seconds (on a clock the test keeps)."""
    _paper(hoso, tmp_path, "thua dat 124")
    now = [0.0]
    pace = Pace(1.0, sleep=lambda seconds: now.__setitem__(0, now[0] + seconds), monotonic=lambda: now[0])
    run = run_fixity(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock, pace=pace, full_pass=True)
    assert run.finished_pass and run.bytes_read > 0
    assert run.seconds >= run.bytes_read / (1024 * 1024) * 0.99


def test_a_second_run_while_one_is_going_on_does_nothing_and_says_so(hoso: Backends, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Two runs never walk the registry at once (one could read a blob while the other restores it); a run that
    died frees it when its lease runs out."""
    from datetime import UTC, datetime, timedelta

    _paper(hoso, tmp_path, "thua dat 125")
    until = max(hoso.clock.now(), datetime.now(UTC)) + timedelta(minutes=5)  # the command runs on the real clock
    with hoso.uow() as uow:
        uow.begin_write()
        state = uow.fixity.state(for_update=True)
        state.running_until = until
        uow.fixity.save_state(state)
        uow.commit()
    busy = run_fixity(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock, pace=Pace(0), full_pass=True)
    assert busy.busy and busy.checked == 0
    assert main(["fixity", "run", "--all", "--rate", "0"]) == 0
    assert "Another fixity run is going on" in capsys.readouterr().out
    assert fixity_report(uow=hoso.uow()).state.last_full_pass_at is None

    hoso.clock = FixedClock(until + timedelta(minutes=1))  # the other run died: its lease ran out
    done = run_fixity(uow=hoso.uow(), blobs=hoso.blobs, clock=hoso.clock, pace=Pace(0), full_pass=True)
    assert not done.busy and done.finished_pass and done.checked == fixity_report(uow=hoso.uow()).blobs
    assert fixity_report(uow=hoso.uow()).state.running_until is None


def test_the_migration_fills_in_kind_and_dossier_of_blobs_registered_before_it(hoso: Backends,
                                                                                 tmp_path: Path) -> None:
    from storage.migrate import downgrade, upgrade

    document_id, sha = _paper(hoso, tmp_path, "thua dat 126")
    url = hoso.settings.effective_database_url
    hoso.engine.dispose()
    downgrade(url, "-1")  # the registry as it was before 0012: key, hash, size, document
    upgrade(url)
    with hoso.uow() as uow:
        code = uow.documents.get(document_id).dossier_code  # type: ignore[union-attr]
        original = uow.fixity.get(original_key(sha))
        text = uow.fixity.get(derived_key(sha, "text.json"))
        state = uow.fixity.state()
    assert original is not None and original.dossier_code == code
    assert text is not None and text.dossier_code == code
    from sqlalchemy import text as sql

    with hoso.engine.connect() as connection:
        rows = connection.execute(sql("SELECT key, kind FROM blob_records"))
        kinds: dict[str, str] = {key: kind for key, kind in rows}
    assert kinds[original_key(sha)] == "original" and kinds[derived_key(sha, "text.json")] == "text"
    assert {k for k, v in kinds.items() if v == "thumbnail"} and state.running_until is None
