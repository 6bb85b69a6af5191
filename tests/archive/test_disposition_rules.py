"""Disposition's refusals and its "nothing half-done" promise, on both databases: rejection with a reason, a locked
confirmation after repeated wrong passwords, a hold placed after the proposal, a paper shared with a kept dossier, a
database that refuses the destruction, a file store that does not answer, blobs finished by the sweep, and a deposit
that ends in a package instead of deletion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from infra.packages import deposit_package_writer
from infra.wiring import Backends
from records.access import Principal
from records.audit import verify_chain
from records.blobs import derived_key, original_key
from records.clock import VN_TZ, FixedClock
from records.disposition import DestructionNotStarted, DispositionState
from records.errors import DomainError
from records.services.disposition import approve_disposition, finish_dispositions, get_disposition
from storage.blobs.replicated import ReplicatedBlobStore
from storage.blobs.s3 import S3BlobStore
from tests.api.helpers import intake, move
from tests.api.test_documents import upload
from tests.conftest import DEMO_PASSWORD
from tests.support.factories import BIRTH_REGISTRATION, MONDAY_9AM
from tests.support.papers import born_digital_pdf
from tests.support.s3_server import free_port

Auth = Callable[[str], dict[str, str]]
ARCHIVE = "/api/v1/archive"
SIX_YEARS_AGO = datetime.combine(MONDAY_9AM.date().replace(year=MONDAY_9AM.year - 6), time(9), VN_TZ)


def closed(client: TestClient, auth: Auth, clock: FixedClock, content: bytes) -> tuple[str, dict[str, Any]]:
    """A birth registration returned six years ago, holding `content` as its one paper."""
    desk, clerk = auth("tiepnhan.tranbien"), auth("xuly.tranbien")
    clock.at = SIX_YEARS_AGO
    code = intake(client, desk, procedure=BIRTH_REGISTRATION,
                  applicant={"name": "Trương Thị Bé", "id_number": "075190002222"})["code"]
    paper = upload(client, desk, code, content, "to-khai.pdf", document_type="application_form")
    assert paper.status_code == 202, paper.text
    for who, to in ((desk, "processing"), (clerk, "resolved"), (desk, "result_returned")):
        move(client, who, code, to)
    clock.at = MONDAY_9AM
    return code, paper.json()


def five_year_schedule(client: TestClient, auth: Auth, end_action: str = "destroy") -> None:
    answer = client.post(f"{ARCHIVE}/schedules", headers=auth("luutru.tinh"), json={
        "procedure_code": BIRTH_REGISTRATION, "years": 5, "legal_minimum_years": 5, "end_action": end_action,
        "note": "Bảng thời hạn bảo quản (thử)"})
    assert answer.status_code == 201, answer.text


def propose(client: TestClient, auth: Auth, codes: list[str], action: str = "destroy") -> str:
    answer = client.post(f"{ARCHIVE}/dispositions", headers=auth("luutru.tranbien"),
                         json={"dossier_codes": codes, "reason": "Hết thời hạn bảo quản 5 năm", "action": action})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def paper_of(word: str) -> bytes:
    return born_digital_pdf([["TỜ KHAI ĐĂNG KÝ KHAI SINH", f"Mã lưu trữ {word}"]])


def chain_intact(backends: Backends) -> bool:
    """The audit chain's hashes recompute end to end (the session's checkpoints are left out: each test's database
    is rolled back, the blob store is not)."""
    with backends.uow() as uow:
        return verify_chain(uow.access_log.chain(), checkpoint=None).intact


def assert_intact(client: TestClient, auth: Auth, backends: Backends, code: str, paper: dict[str, Any],
                  disposition_id: str) -> None:
    """The dossier, its paper and its blobs are all there; no tombstone; the proposal still waits."""
    desk = auth("tiepnhan.tranbien")
    assert client.get(f"/api/v1/dossiers/{code}", headers=desk).status_code == 200
    assert client.get(f"/api/v1/documents/{paper['id']}", headers=desk).status_code == 200
    assert backends.blobs.exists(original_key(paper["sha256"]))
    assert backends.blobs.exists(derived_key(paper["sha256"], "text.json"))
    gone = client.get(f"{ARCHIVE}/tombstones/{code}", headers=auth("kiemtra.tinh"))
    assert (gone.status_code, gone.json()["code"]) == (404, "tombstone_not_found")
    proposal = client.get(f"{ARCHIVE}/dispositions/{disposition_id}", headers=auth("luutru.tinh")).json()
    assert (proposal["state"], proposal["tombstones"]) == ("proposed", [])


def test_a_rejected_proposal_returns_the_set_to_the_queue(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    code, _ = closed(client, auth, clock, paper_of("tuchoi"))
    archivist, leader = auth("luutru.tranbien"), auth("lanhdao.tranbien")
    assert client.post(f"{ARCHIVE}/dispositions", headers=archivist,
                       json={"dossier_codes": [code], "reason": "x"}).json()["code"] == "not_disposable"  # not due
    five_year_schedule(client, auth)
    no_reason = client.post(f"{ARCHIVE}/dispositions", headers=archivist, json={"dossier_codes": [code], "reason": " "})
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "reason_required")
    clerk = client.post(f"{ARCHIVE}/dispositions", headers=auth("xuly.tranbien"),
                        json={"dossier_codes": [code], "reason": "Hết hạn"})
    assert clerk.status_code == 403
    disposition_id = propose(client, auth, [code])
    twice = client.post(f"{ARCHIVE}/dispositions", headers=archivist,
                        json={"dossier_codes": [code], "reason": "Hết hạn"})
    assert twice.json()["detail"]["dossiers"] == {code: "state:proposed"}

    reject = f"{ARCHIVE}/dispositions/{disposition_id}/reject"
    own = client.post(reject, headers=archivist, json={"note": "Tôi rút lại"})
    assert (own.status_code, own.json()["code"]) == (403, "cannot_approve_own_proposal")
    assert client.post(reject, headers=leader, json={"note": ""}).status_code == 422
    rejected = client.post(reject, headers=leader, json={"note": "Cần giữ lại để đối chiếu"})
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["state"], rejected.json()["decided_by"]) == ("rejected", "lanhdao.tranbien")
    late = client.post(f"{ARCHIVE}/dispositions/{disposition_id}/approve", headers=auth("luutru.tinh"),
                       json={"password": DEMO_PASSWORD})
    assert (late.status_code, late.json()["code"]) == (409, "disposition_decided")
    assert client.get(f"/api/v1/dossiers/{code}", headers=auth("tiepnhan.tranbien")).status_code == 200
    queue = client.get(f"{ARCHIVE}/retention/due", headers=archivist).json()["data"]
    assert code in {d["dossier_code"] for d in queue}
    assert propose(client, auth, [code])  # back in the queue: it can be proposed again


def test_wrong_passwords_are_audited_and_lock_the_approval(client: TestClient, auth: Auth, clock: FixedClock,
                                                           backends: Backends) -> None:
    five_year_schedule(client, auth)
    code, paper = closed(client, auth, clock, paper_of("matkhau"))
    disposition_id = propose(client, auth, [code])
    approve = f"{ARCHIVE}/dispositions/{disposition_id}/approve"
    second = auth("luutru.tinh")
    for _ in range(5):
        wrong = client.post(approve, headers=second, json={"password": "doan-mo-mat-khau"})
        assert (wrong.status_code, wrong.json()["code"]) == (403, "reauthentication_failed")
    locked = client.post(approve, headers=second, json={"password": DEMO_PASSWORD})
    assert (locked.status_code, locked.json()["code"]) == (429, "too_many_attempts")
    assert locked.json()["detail"]["retry_after_seconds"] > 0
    assert_intact(client, auth, backends, code, paper, disposition_id)
    trail = client.get("/api/v1/access-log", params={"limit": 200}, headers=auth("kiemtra.tinh")).json()["data"]
    refused = [e for e in trail if e["action"] == "reauthentication_failed"]
    assert len(refused) == 5 and {e["username"] for e in refused} == {"luutru.tinh"}

    clock.at = MONDAY_9AM.replace(hour=10)  # the lock is over: the right password goes through
    done = client.post(approve, headers=second, json={"password": DEMO_PASSWORD})
    assert done.status_code == 200, done.text
    assert chain_intact(backends)


def test_a_hold_placed_after_the_proposal_blocks_the_approval(client: TestClient, auth: Auth, clock: FixedClock,
                                                              backends: Backends) -> None:
    five_year_schedule(client, auth)
    code, paper = closed(client, auth, clock, paper_of("dongbang"))
    disposition_id = propose(client, auth, [code])
    hold = client.post(f"{ARCHIVE}/holds", headers=auth("luutru.tinh"),
                       json={"scope": "dossier", "target": code, "reason": "Khiếu nại đang giải quyết"})
    assert hold.status_code == 201, hold.text
    held = client.post(f"{ARCHIVE}/dispositions/{disposition_id}/approve", headers=auth("lanhdao.tranbien"),
                       json={"password": DEMO_PASSWORD})
    assert (held.status_code, held.json()["code"]) == (423, "dossier_on_hold")
    assert_intact(client, auth, backends, code, paper, disposition_id)


def test_a_paper_shared_with_a_kept_dossier_keeps_its_blob(client: TestClient, auth: Auth, clock: FixedClock,
                                                           backends: Backends) -> None:
    five_year_schedule(client, auth)
    content = paper_of("chungban")
    destroyed, paper = closed(client, auth, clock, content)
    kept, twin = closed(client, auth, clock, content)
    assert twin["sha256"] == paper["sha256"]
    disposition_id = propose(client, auth, [destroyed])
    done = client.post(f"{ARCHIVE}/dispositions/{disposition_id}/approve", headers=auth("lanhdao.tranbien"),
                       json={"password": DEMO_PASSWORD})
    assert done.status_code == 200, done.text
    desk = auth("tiepnhan.tranbien")
    assert client.get(f"/api/v1/dossiers/{destroyed}", headers=desk).status_code == 404
    original = client.get(f"/api/v1/documents/{twin['id']}/original", headers=desk)
    assert (original.status_code, original.content) == (200, content)
    assert client.get(f"/api/v1/documents/{twin['id']}/text", headers=desk).status_code == 200
    assert backends.blobs.exists(derived_key(paper["sha256"], "text.json"))
    assert client.get(f"/api/v1/dossiers/{kept}", headers=desk).status_code == 200
    tombstones = client.get(f"{ARCHIVE}/tombstones/{destroyed}", headers=auth("kiemtra.tinh"))
    assert tombstones.status_code == 200, tombstones.text
    kinds = {t["kind"]: t for t in tombstones.json()["data"]}
    assert kinds["document"]["record"]["sha256"] == paper["sha256"]
    assert kinds["dossier"]["disposition_id"] == disposition_id
    assert kinds["dossier"]["record"]["approved_by"] == "lanhdao.tranbien"


REFUSE_TOMBSTONES = {
    "sqlite": ["CREATE TRIGGER test_refuse_tombstones BEFORE INSERT ON tombstones "
               "BEGIN SELECT RAISE(ABORT, 'tombstones refused by the test'); END"],
    "postgresql": ["CREATE FUNCTION test_refuse_tombstones() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'tombstones refused by the test'; END $$",
                   "CREATE TRIGGER test_refuse_tombstones BEFORE INSERT ON tombstones "
                   "FOR EACH ROW EXECUTE FUNCTION test_refuse_tombstones()"],
}
ALLOW_TOMBSTONES = {
    "sqlite": ["DROP TRIGGER IF EXISTS test_refuse_tombstones"],
    "postgresql": ["DROP TRIGGER IF EXISTS test_refuse_tombstones ON tombstones",
                   "DROP FUNCTION IF EXISTS test_refuse_tombstones()"],
}


def _run(backends: Backends, statements: list[str]) -> None:
    with backends.uow() as uow:
        uow.begin_write()
        for statement in statements:
            uow.session.execute(text(statement))  # type: ignore[attr-defined]
        uow.commit()


def test_a_database_that_refuses_the_destruction_leaves_the_set_intact(client: TestClient, auth: Auth,
                                                                       clock: FixedClock, backends: Backends) -> None:
    five_year_schedule(client, auth)
    code, paper = closed(client, auth, clock, paper_of("hoantac"))
    disposition_id = propose(client, auth, [code])
    dialect = backends.engine.dialect.name
    _run(backends, REFUSE_TOMBSTONES[dialect])
    try:
        failed = client.post(f"{ARCHIVE}/dispositions/{disposition_id}/approve", headers=auth("luutru.tinh"),
                             json={"password": DEMO_PASSWORD})
        assert (failed.status_code, failed.json()["code"]) == (503, "destruction_failed")
        assert "còn nguyên" in failed.json()["message"]
        assert failed.json()["detail"]["dossiers"] == [code]
        assert_intact(client, auth, backends, code, paper, disposition_id)
    finally:
        _run(backends, ALLOW_TOMBSTONES[dialect])
    done = client.post(f"{ARCHIVE}/dispositions/{disposition_id}/approve", headers=auth("luutru.tinh"),
                       json={"password": DEMO_PASSWORD})
    assert done.status_code == 200 and done.json()["state"] == "executed", done.text
    assert not backends.blobs.exists(original_key(paper["sha256"]))
    assert chain_intact(backends)


def _dead_store() -> S3BlobStore:
    """An S3 store nobody answers at (a free port): what a MinIO outage looks like to hoso."""
    return S3BlobStore(f"127.0.0.1:{free_port()}", "hoso", "hoso-secret", "hoso", secure=False, region="us-east-1")


@pytest.fixture
def second_person(principal: Callable[[str], Principal]) -> Principal:
    return principal("luutru.tinh")


def test_a_store_that_does_not_answer_stops_the_destruction_before_anything(
        client: TestClient, auth: Auth, clock: FixedClock, backends: Backends, second_person: Principal) -> None:
    five_year_schedule(client, auth)
    code, paper = closed(client, auth, clock, paper_of("khochet"))
    disposition_id = propose(client, auth, [code])
    with pytest.raises(DestructionNotStarted) as refused:
        approve_disposition(uow=backends.uow(), clock=clock, hasher=backends.hasher, blobs=_dead_store(),
                            index=backends.search, actor=second_person, disposition_id=disposition_id,
                            password=DEMO_PASSWORD)
    assert "còn nguyên" in refused.value.message_vi
    assert_intact(client, auth, backends, code, paper, disposition_id)


def test_blobs_a_replica_could_not_destroy_are_finished_by_the_sweep(
        client: TestClient, auth: Auth, clock: FixedClock, backends: Backends, second_person: Principal) -> None:
    five_year_schedule(client, auth)
    code, paper = closed(client, auth, clock, paper_of("quetlai"))
    disposition_id = propose(client, auth, [code])
    half_down = ReplicatedBlobStore(backends.blobs, _dead_store())  # the replica is down after the checks
    done = approve_disposition(uow=backends.uow(), clock=clock, hasher=backends.hasher, blobs=half_down,
                               index=backends.search, actor=second_person, disposition_id=disposition_id,
                               password=DEMO_PASSWORD)
    assert done.state is DispositionState.EXECUTED
    assert original_key(paper["sha256"]) in done.pending_blobs and not done.index_pending
    assert not backends.blobs.exists(original_key(paper["sha256"]))  # the primary copy went at once
    shown = client.get(f"{ARCHIVE}/dispositions/{disposition_id}", headers=auth("luutru.tinh")).json()
    assert shown["blobs_pending"] == len(done.pending_blobs) > 0
    assert client.get(f"/api/v1/dossiers/{code}", headers=auth("tiepnhan.tranbien")).status_code == 404

    assert finish_dispositions(uow=backends.uow(), blobs=backends.blobs, index=backends.search) == 1
    after, tombstones = get_disposition(uow=backends.uow(), actor=second_person, disposition_id=disposition_id)
    assert after.pending_blobs == [] and {t.kind for t in tombstones} == {"dossier", "document"}
    assert finish_dispositions(uow=backends.uow(), blobs=backends.blobs, index=backends.search) == 0


def test_a_deposit_ends_in_a_package_and_keeps_the_dossier(client: TestClient, auth: Auth, clock: FixedClock,
                                                           backends: Backends) -> None:
    five_year_schedule(client, auth, end_action="deposit")
    code, paper = closed(client, auth, clock, paper_of("noplu"))
    wrong_action = client.post(f"{ARCHIVE}/dispositions", headers=auth("luutru.tranbien"),
                               json={"dossier_codes": [code], "reason": "Hết hạn"})
    assert wrong_action.json()["detail"]["dossiers"] == {code: "end_action:deposit"}
    disposition_id = propose(client, auth, [code], action="deposit")
    done = client.post(f"{ARCHIVE}/dispositions/{disposition_id}/approve", headers=auth("lanhdao.tranbien"),
                       json={"password": DEMO_PASSWORD, "note": "Nộp lưu lịch sử"})
    assert done.status_code == 200, done.text
    package = Path(done.json()["package_path"])
    assert package.parent == backends.settings.effective_deposit_dir
    bag = package / code
    assert (bag / "bagit.txt").is_file()
    assert any(paper["sha256"] in line for line in (bag / "manifest-sha256.txt").read_text().splitlines())
    assert not list(package.parent.glob("*.partial"))
    retention = client.get(f"{ARCHIVE}/retention/{code}", headers=auth("luutru.tranbien")).json()
    assert retention["state"] == "deposited"
    assert client.get(f"/api/v1/dossiers/{code}", headers=auth("tiepnhan.tranbien")).status_code == 200
    assert backends.blobs.exists(original_key(paper["sha256"]))


def test_a_deposit_that_cannot_be_written_leaves_the_proposal_open(
        client: TestClient, auth: Auth, clock: FixedClock, backends: Backends, second_person: Principal,
        tmp_path: Path) -> None:
    five_year_schedule(client, auth, end_action="deposit")
    code, paper = closed(client, auth, clock, paper_of("khongghiduoc"))
    disposition_id = propose(client, auth, [code], action="deposit")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the deposit folder should be")
    with pytest.raises(DomainError) as refused:
        approve_disposition(uow=backends.uow(), clock=clock, hasher=backends.hasher, blobs=backends.blobs,
                            index=backends.search, actor=second_person, disposition_id=disposition_id,
                            password=DEMO_PASSWORD, package=deposit_package_writer(backends),
                            deposit_dir=blocker / "deposits")
    assert refused.value.code == "deposit_failed" and "còn nguyên" in refused.value.message_vi
    proposal = client.get(f"{ARCHIVE}/dispositions/{disposition_id}", headers=auth("luutru.tinh")).json()
    assert (proposal["state"], proposal["package_path"]) == ("proposed", None)
    retention = client.get(f"{ARCHIVE}/retention/{code}", headers=auth("luutru.tranbien")).json()
    assert retention["state"] == "proposed"

    done = approve_disposition(uow=backends.uow(), clock=clock, hasher=backends.hasher, blobs=backends.blobs,
                               index=backends.search, actor=second_person, disposition_id=disposition_id,
                               password=DEMO_PASSWORD, package=deposit_package_writer(backends),
                               deposit_dir=tmp_path / "deposits")
    assert done.state is DispositionState.EXECUTED and done.package_path is not None
    assert sorted(p.name for p in (tmp_path / "deposits").iterdir()) == [Path(done.package_path).name]
    assert (Path(done.package_path) / code / "bagit.txt").is_file()
    assert backends.blobs.exists(original_key(paper["sha256"]))
