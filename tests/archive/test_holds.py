"""Legal holds through the API, on both databases: a hold on an applicant's ID number also freezes dossiers received
after it; a held dossier shows its holds and refuses every change — transitions (for an administrator too), uploads,
extension letters, retention shortening, also when a schedule is shortened — until an archivist or a leader
releases it with a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from records.clock import FixedClock
from records.retention import add_years
from tests.api.helpers import intake, move
from tests.api.test_documents import upload
from tests.archive.test_disposition import closed_birth_registration, due_codes
from tests.archive.test_retention import retention_of, schedule, years_ago
from tests.support.factories import BIRTH_REGISTRATION
from tests.support.papers import born_digital_pdf

Auth = Callable[[str], dict[str, str]]
ARCHIVE = "/api/v1/archive"
CCCD = "075190004444"


def place(client: TestClient, who: dict[str, str], scope: str, target: str, reason: str) -> dict[str, Any]:
    answer = client.post(f"{ARCHIVE}/holds", headers=who, json={"scope": scope, "target": target, "reason": reason})
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()
    return data


def test_an_applicant_hold_freezes_later_dossiers_until_released_with_a_reason(client: TestClient,
                                                                               auth: Auth) -> None:
    """GIVEN a hold on an applicant's ID number WHEN a dossier of theirs is received afterwards
    THEN it shows the hold and refuses uploads, transitions (also an administrator's) and extension letters; the
    release needs an archivist or a leader and a reason, and afterwards the dossier works again."""
    archivist, desk, admin, leader = (auth("luutru.tranbien"), auth("tiepnhan.tranbien"), auth("quantri.tinh"),
                                      auth("lanhdao.tranbien"))
    hold = place(client, archivist, "applicant", CCCD, "Tòa án yêu cầu giữ nguyên hồ sơ")
    created = intake(client, desk, applicant={"name": "Phan Thị Giữ", "id_number": CCCD})
    code = created["code"]
    assert [(h["id"], h["scope"], h["reason"]) for h in created["holds"]] == [
        (hold["id"], "applicant", "Tòa án yêu cầu giữ nguyên hồ sơ")]
    assert [h["id"] for h in client.get(f"/api/v1/dossiers/{code}", headers=desk).json()["holds"]] == [hold["id"]]

    paper = upload(client, desk, code, born_digital_pdf([["ĐƠN", "đang đóng băng"]]), "don.pdf")
    assert (paper.status_code, paper.json()["code"]) == (423, "dossier_on_hold")
    assert paper.json()["detail"]["holds"][0]["id"] == hold["id"]
    for who in (desk, admin):
        frozen = client.post(f"/api/v1/dossiers/{code}/transitions", headers=who, json={"to": "processing"})
        assert (frozen.status_code, frozen.json()["code"]) == (423, "dossier_on_hold")
    letter = client.post(f"/api/v1/dossiers/{code}/extensions", headers=desk,
                         json={"reason": "Cần xác minh thêm", "new_due_at": "2026-04-30T17:00:00+07:00"})
    assert (letter.status_code, letter.json()["code"]) == (423, "dossier_on_hold")
    after = client.get(f"/api/v1/dossiers/{code}", headers=desk).json()
    assert (after["state"], after["version"]) == (created["state"], created["version"])  # nothing changed

    release = f"{ARCHIVE}/holds/{hold['id']}/release"
    for who, status, error in ((desk, 403, "archive_role_required"), (admin, 403, "hold_releaser_required"),
                               (auth("luutru2.tinh"), 422, "reason_required")):
        refused = client.post(release, headers=who, json={"reason": " " if status == 422 else "Xong"})
        assert (refused.status_code, refused.json()["code"]) == (status, error)
    stranger = client.post(f"{ARCHIVE}/holds/{'0' * 32}/release", headers=leader, json={"reason": "Xong"})
    assert (stranger.status_code, stranger.json()["code"]) == (404, "hold_not_found")
    assert client.get(f"{ARCHIVE}/holds", headers=archivist).json()["count"] == 1

    released = client.post(release, headers=leader, json={"reason": "Bản án đã có hiệu lực"})
    assert released.status_code == 200, released.text
    assert (released.json()["active"], released.json()["released_by"], released.json()["release_reason"]) == (
        False, "lanhdao.tranbien", "Bản án đã có hiệu lực")
    again = client.post(release, headers=leader, json={"reason": "Lần nữa"})
    assert (again.status_code, again.json()["code"]) == (422, "hold_already_released")
    assert client.get(f"/api/v1/dossiers/{code}", headers=desk).json()["holds"] == []
    assert upload(client, desk, code, born_digital_pdf([["ĐƠN", "sau khi gỡ"]]), "don.pdf").status_code == 202
    move(client, desk, code, "processing")
    listed = client.get(f"{ARCHIVE}/holds", headers=archivist, params={"include_released": True}).json()
    assert [h["active"] for h in listed["data"]] == [False]
    log = client.get("/api/v1/access-log", headers=auth("kiemtra.tinh"), params={
        "dossier_code": code, "action": ["hold_placed", "hold_released"]}).json()
    assert [e["action"] for e in log["data"]] == ["hold_released"]  # placed before the dossier existed


def test_a_held_dossier_keeps_its_due_date_when_its_schedule_is_shortened(client: TestClient, auth: Auth,
                                                                          clock: FixedClock) -> None:
    ward, province = auth("luutru.tranbien"), auth("luutru.tinh")
    closed = years_ago(2)
    held_code, _ = closed_birth_registration(client, auth, clock, closed_on=closed, word="holdkeepsdate")
    free_code, _ = closed_birth_registration(client, auth, clock, closed_on=closed, word="holdfreedate")
    ten = schedule(client, province, procedure_code=BIRTH_REGISTRATION, years=10, legal_minimum_years=1,
                   end_action="destroy")
    place(client, ward, "dossier", held_code, "Thanh tra")
    shorter = client.put(f"{ARCHIVE}/schedules/{ten['id']}", headers=province, json={
        "procedure_code": BIRTH_REGISTRATION, "years": 2, "legal_minimum_years": 1, "end_action": "destroy"})
    assert shorter.status_code == 200 and shorter.json()["dossiers_moved"] == 1
    assert retention_of(client, ward, held_code)["due_on"] == add_years(closed.date(), 10).isoformat()
    assert retention_of(client, ward, free_code)["due_on"] == add_years(closed.date(), 2).isoformat()
    assert due_codes(client, ward) == {free_code: False}
    earlier = client.post(f"{ARCHIVE}/retention/{held_code}/due-date", headers=ward,
                          json={"due_on": add_years(closed.date(), 3).isoformat(), "reason": "Rút ngắn"})
    assert (earlier.status_code, earlier.json()["code"]) == (423, "dossier_on_hold")
    later = client.post(f"{ARCHIVE}/retention/{held_code}/due-date", headers=ward,
                        json={"due_on": add_years(closed.date(), 12).isoformat(), "reason": "Còn thanh tra"})
    assert later.status_code == 200  # lengthening is no change the hold forbids


def test_bad_holds_are_refused(client: TestClient, auth: Auth) -> None:
    archivist = auth("luutru.tranbien")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"scope": "dossier", "target": "KHONG-CO", "reason": "x"}, 404, "dossier_not_found"),
        ({"scope": "file", "target": "KHONG-CO", "reason": "x"}, 404, "file_not_found"),
        ({"scope": "applicant", "target": CCCD, "reason": "   "}, 422, "reason_required"),
        ({"scope": "everything", "target": CCCD, "reason": "x"}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        answer = client.post(f"{ARCHIVE}/holds", headers=archivist, json=body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), body
    desk = client.post(f"{ARCHIVE}/holds", headers=auth("tiepnhan.tranbien"),
                       json={"scope": "applicant", "target": CCCD, "reason": "x"})
    assert (desk.status_code, desk.json()["code"]) == (403, "archive_role_required")
    assert client.get(f"{ARCHIVE}/holds", headers=archivist).json()["count"] == 0
