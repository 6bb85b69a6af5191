"""The archivist's main road, end to end through the API on both databases: a dossier closed six years ago under a
5-year schedule is due; a hold keeps it in the queue and freezes it; once released, one archivist proposes and a
second approves with their password; the papers are gone for good, the tombstone and the audit chain remain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from infra.wiring import Backends
from records.blobs import derived_key, original_key
from records.clock import VN_TZ, FixedClock
from tests.api.helpers import intake, move
from tests.api.test_documents import upload
from tests.conftest import DEMO_PASSWORD
from tests.support.factories import BIRTH_REGISTRATION, MONDAY_9AM
from tests.support.papers import born_digital_pdf

Auth = Callable[[str], dict[str, str]]
ARCHIVE = "/api/v1/archive"


def closed_birth_registration(client: TestClient, auth: Auth, clock: FixedClock, *, closed_on: datetime,
                              word: str) -> tuple[str, dict[str, Any]]:
    """A birth registration received, resolved and returned on `closed_on`, with one scanned paper."""
    desk, clerk = auth("tiepnhan.tranbien"), auth("xuly.tranbien")
    clock.at = closed_on
    code = intake(client, desk, procedure=BIRTH_REGISTRATION,
                  applicant={"name": "Trương Thị Bé", "id_number": "075190002222"})["code"]
    paper = upload(client, desk, code, born_digital_pdf([["TỜ KHAI ĐĂNG KÝ KHAI SINH", f"Mã lưu trữ {word}"]]),
                   "to-khai.pdf", document_type="application_form").json()
    move(client, desk, code, "processing")
    move(client, clerk, code, "resolved")
    move(client, desk, code, "result_returned")
    clock.at = MONDAY_9AM
    return code, paper


def due_codes(client: TestClient, who: dict[str, str]) -> dict[str, bool]:
    answer = client.get(f"{ARCHIVE}/retention/due", headers=who)
    assert answer.status_code == 200, answer.text
    return {d["dossier_code"]: d["held"] for d in answer.json()["data"]}


def test_due_held_released_proposed_approved_destroyed(client: TestClient, auth: Auth, clock: FixedClock,
                                                       backends: Backends) -> None:
    archivist, second, auditor = auth("luutru.tranbien"), auth("luutru.tinh"), auth("kiemtra.tinh")
    six_years_ago = datetime.combine(MONDAY_9AM.date().replace(year=MONDAY_9AM.year - 6), time(9), VN_TZ)
    code, paper = closed_birth_registration(client, auth, clock, closed_on=six_years_ago, word="zxqvkhaisinh")
    assert code not in due_codes(client, archivist)  # the catalogue keeps birth registrations for good

    refused = client.post(f"{ARCHIVE}/schedules", headers=archivist, json={
        "procedure_code": BIRTH_REGISTRATION, "years": 5, "end_action": "destroy"})
    assert (refused.status_code, refused.json()["code"]) == (403, "schedule_editor_required")  # a ward's archivist
    schedule = client.post(f"{ARCHIVE}/schedules", headers=second, json={
        "procedure_code": BIRTH_REGISTRATION, "years": 5, "legal_minimum_years": 5, "end_action": "destroy",
        "note": "Bảng thời hạn bảo quản (thử)"})
    assert schedule.status_code == 201, schedule.text
    assert schedule.json()["dossiers_moved"] >= 1
    assert due_codes(client, archivist)[code] is False

    # A hold keeps it in the queue, flagged, and freezes it — for the desk, and for a proposal.
    hold = client.post(f"{ARCHIVE}/holds", headers=archivist,
                       json={"scope": "dossier", "target": code, "reason": "Thanh tra đang xác minh"})
    assert hold.status_code == 201, hold.text
    assert due_codes(client, archivist)[code] is True
    frozen = client.post(f"/api/v1/dossiers/{code}/transitions", headers=auth("tiepnhan.tranbien"),
                         json={"to": "processing"})
    assert (frozen.status_code, frozen.json()["code"]) == (423, "dossier_on_hold")
    assert client.post(f"{ARCHIVE}/dispositions", headers=archivist, json={
        "dossier_codes": [code], "reason": "Hết thời hạn bảo quản"}).status_code == 423
    shown = client.get(f"{ARCHIVE}/dossiers/{code}/holds", headers=auth("xuly.tranbien")).json()
    assert [h["reason"] for h in shown["data"]] == ["Thanh tra đang xác minh"]
    shorter = client.post(f"{ARCHIVE}/retention/{code}/due-date", headers=archivist,
                          json={"due_on": "2025-01-01", "reason": "rút ngắn"})
    assert (shorter.status_code, shorter.json()["code"]) == (423, "dossier_on_hold")
    assert client.post(f"{ARCHIVE}/holds/{hold.json()['id']}/release", headers=archivist,
                       json={"reason": ""}).status_code == 422
    released = client.post(f"{ARCHIVE}/holds/{hold.json()['id']}/release", headers=archivist,
                           json={"reason": "Thanh tra kết thúc"})
    assert released.status_code == 200 and released.json()["active"] is False
    below = client.post(f"{ARCHIVE}/retention/{code}/due-date", headers=archivist,
                        json={"due_on": "2022-01-01", "reason": "rút ngắn"})
    assert (below.status_code, below.json()["code"]) == (422, "below_legal_minimum")

    proposal = client.post(f"{ARCHIVE}/dispositions", headers=archivist,
                           json={"dossier_codes": [code], "reason": "Hết thời hạn bảo quản 5 năm"})
    assert proposal.status_code == 201, proposal.text
    approve = f"{ARCHIVE}/dispositions/{proposal.json()['id']}/approve"
    own = client.post(approve, headers=archivist, json={"password": DEMO_PASSWORD})
    assert (own.status_code, own.json()["code"]) == (403, "cannot_approve_own_proposal")
    wrong = client.post(approve, headers=second, json={"password": "not-my-password"})
    assert (wrong.status_code, wrong.json()["code"]) == (403, "reauthentication_failed")
    assert client.get(f"/api/v1/dossiers/{code}", headers=auth("tiepnhan.tranbien")).status_code == 200  # intact

    done = client.post(approve, headers=second, json={"password": DEMO_PASSWORD, "note": "Đồng ý hủy"})
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["blobs_pending"]) == ("executed", 0)

    # Gone: the dossier, its paper, its page texts, its blobs, its search entry.
    desk = auth("tiepnhan.tranbien")
    assert client.get(f"/api/v1/dossiers/{code}", headers=desk).status_code == 404
    assert client.get(f"/api/v1/documents/{paper['id']}", headers=desk).status_code == 404
    for key in (original_key(paper["sha256"]), derived_key(paper["sha256"], "text.json")):
        assert not backends.blobs.exists(key)
    with backends.uow() as uow:
        pages = uow.session.execute(text("SELECT COUNT(*) FROM document_pages WHERE document_id = :d"),  # type: ignore[attr-defined]
                                    {"d": paper["id"]}).scalar()
    assert pages == 0
    assert client.get("/api/v1/search", params={"q": "zxqvkhaisinh"}, headers=desk).json()["count"] == 0

    # Kept: the tombstones (with hashes, schedule, who proposed and approved), the list, the audit chain.
    detail = client.get(f"{ARCHIVE}/dispositions/{proposal.json()['id']}", headers=auditor).json()
    tombstones = {t["kind"]: t for t in detail["tombstones"]}
    assert tombstones["document"]["record"]["sha256"] == paper["sha256"]
    assert tombstones["dossier"]["record"]["approved_by"] == "luutru.tinh"
    assert tombstones["dossier"]["record"]["proposed_by"] == "luutru.tranbien"
    assert tombstones["dossier"]["record"]["schedule"]["years"] == 5
    pdf = client.get(f"{ARCHIVE}/dispositions/{proposal.json()['id']}/list.pdf", headers=second)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    verified = client.post(f"{ARCHIVE}/audit/verify", headers=auditor)
    assert verified.status_code == 200 and verified.json()["intact"] is True, verified.text
    trail = client.get("/api/v1/access-log", params={"dossier_code": code}, headers=auditor).json()["data"]
    assert {"hold_placed", "hold_released", "disposition_proposed", "dossier_destroyed"} <= {e["action"] for e in trail}
