"""Retention schedules and due dates through the API, on both databases: the most specific schedule wins, a schedule
change moves the due dates it governs at once, one dossier's due date moves with a reason but never below the legal
minimum, bad schedules are refused with their own codes, and dossiers closed before retention was tracked get their
clock from their closing date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from infra.wiring import Backends
from records.clock import VN_TZ, FixedClock
from records.retention import add_years
from records.services.retention import start_missing_clocks
from tests.archive.test_disposition import closed_birth_registration, due_codes
from tests.support.factories import BIRTH_REGISTRATION, MONDAY_9AM

Auth = Callable[[str], dict[str, str]]
ARCHIVE = "/api/v1/archive"


def years_ago(years: int) -> datetime:
    return datetime.combine(MONDAY_9AM.date().replace(year=MONDAY_9AM.year - years), time(9), VN_TZ)


def retention_of(client: TestClient, who: dict[str, str], code: str) -> dict[str, Any]:
    answer = client.get(f"{ARCHIVE}/retention/{code}", headers=who)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def schedule(client: TestClient, who: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = client.post(f"{ARCHIVE}/schedules", headers=who, json=body)
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()
    return data


def test_the_most_specific_schedule_wins_and_changes_move_due_dates_at_once(
        client: TestClient, auth: Auth, clock: FixedClock) -> None:
    """GIVEN a birth registration closed six years ago (the catalogue keeps these for good)
    WHEN the province sets schedules for its field, its procedure, and the procedure's application forms
    THEN each more specific one takes over at once, a type the dossier has no paper of does not apply, and
    deactivating the winner hands the dossier back to the next one."""
    ward, province = auth("luutru.tranbien"), auth("luutru.tinh")
    closed = years_ago(6)
    code, _ = closed_birth_registration(client, auth, clock, closed_on=closed, word="retentionspecific")
    kept = retention_of(client, ward, code)
    assert (kept["years"], kept["due_on"], kept["end_action"], kept["schedule_id"]) == (None, None, "deposit", None)

    by_field = schedule(client, province, field="Hộ tịch", years=10, end_action="destroy")
    assert by_field["dossiers_moved"] >= 1
    assert retention_of(client, ward, code)["due_on"] == add_years(closed.date(), 10).isoformat()
    by_procedure = schedule(client, province, procedure_code=BIRTH_REGISTRATION, years=8, end_action="destroy")
    line = retention_of(client, ward, code)
    assert (line["schedule_id"], line["years"]) == (by_procedure["id"], 8)
    assert code not in due_codes(client, ward)

    by_type = schedule(client, province, procedure_code=BIRTH_REGISTRATION, document_type="application_form",
                       years=5, legal_minimum_years=5, end_action="destroy")
    schedule(client, province, procedure_code=BIRTH_REGISTRATION, document_type="decision", years=30,
             end_action="destroy")  # the dossier has no decision: does not apply
    line = retention_of(client, ward, code)
    assert (line["schedule_id"], line["years"]) == (by_type["id"], 5)
    assert line["due_on"] == add_years(closed.date(), 5).isoformat()
    assert due_codes(client, ward) == {code: False}  # five years after closing: due a year ago

    off = client.put(f"{ARCHIVE}/schedules/{by_type['id']}", headers=province, json={
        "procedure_code": BIRTH_REGISTRATION, "document_type": "application_form", "years": 5,
        "legal_minimum_years": 5, "end_action": "destroy", "active": False})
    assert off.status_code == 200 and off.json()["dossiers_moved"] == 1
    assert retention_of(client, ward, code)["schedule_id"] == by_procedure["id"]
    assert code not in due_codes(client, ward)
    listed = client.get(f"{ARCHIVE}/schedules", headers=ward, params={"include_inactive": True}).json()
    assert {s["id"]: s["active"] for s in listed["data"]}[by_type["id"]] is False


def test_a_due_date_moves_with_a_reason_and_never_below_the_legal_minimum(
        client: TestClient, auth: Auth, clock: FixedClock) -> None:
    ward, province, auditor = auth("luutru.tranbien"), auth("luutru.tinh"), auth("kiemtra.tinh")
    closed = years_ago(1)
    code, _ = closed_birth_registration(client, auth, clock, closed_on=closed, word="retentionmove")
    schedule(client, province, procedure_code=BIRTH_REGISTRATION, years=5, legal_minimum_years=3,
             end_action="destroy")
    url = f"{ARCHIVE}/retention/{code}/due-date"

    later = client.post(url, headers=ward, json={"due_on": add_years(closed.date(), 7).isoformat(),
                                                 "reason": "Còn tranh chấp khai sinh"})
    assert later.status_code == 200, later.text
    assert (later.json()["due_on"], later.json()["extension_reason"]) == (
        add_years(closed.date(), 7).isoformat(), "Còn tranh chấp khai sinh")
    earlier = client.post(url, headers=ward, json={"due_on": add_years(closed.date(), 4).isoformat(),
                                                   "reason": "Đã hết tranh chấp"})
    assert earlier.status_code == 200 and earlier.json()["due_on"] == add_years(closed.date(), 4).isoformat()

    minimum = add_years(closed.date(), 3)
    below = client.post(url, headers=ward, json={"due_on": (minimum - timedelta(days=1)).isoformat(),
                                                 "reason": "Rút ngắn"})
    assert (below.status_code, below.json()["code"]) == (422, "below_legal_minimum")
    assert below.json()["detail"]["minimum_due_on"] == minimum.isoformat()
    blank = client.post(url, headers=ward, json={"due_on": add_years(closed.date(), 9).isoformat(), "reason": "  "})
    assert (blank.status_code, blank.json()["code"]) == (422, "reason_required")
    desk = client.post(url, headers=auth("tiepnhan.tranbien"),
                       json={"due_on": add_years(closed.date(), 9).isoformat(), "reason": "Gia hạn"})
    assert (desk.status_code, desk.json()["code"]) == (403, "archive_role_required")
    stranger = client.post(f"{ARCHIVE}/retention/NO-SUCH-CODE/due-date", headers=ward,
                           json={"due_on": "2040-01-01", "reason": "Gia hạn"})
    assert (stranger.status_code, stranger.json()["code"]) == (404, "dossier_not_found")
    assert retention_of(client, ward, code)["due_on"] == add_years(closed.date(), 4).isoformat()  # refusals: no change

    log = client.get("/api/v1/access-log", headers=auditor,
                     params={"dossier_code": code, "action": "retention_extended"}).json()
    assert [e["detail"]["reason"] for e in log["data"]] == ["Đã hết tranh chấp", "Còn tranh chấp khai sinh"]

    permanent_code, _ = closed_birth_registration(client, auth, clock, closed_on=closed, word="retentionperm")
    client.put(f"{ARCHIVE}/schedules/{retention_of(client, ward, code)['schedule_id']}", headers=province, json={
        "procedure_code": BIRTH_REGISTRATION, "years": None, "end_action": "deposit"})
    forever = client.post(f"{ARCHIVE}/retention/{permanent_code}/due-date", headers=ward,
                          json={"due_on": "2099-01-01", "reason": "Gia hạn"})
    assert (forever.status_code, forever.json()["code"]) == (422, "retention_permanent")


def test_bad_schedules_are_refused_with_their_own_codes(client: TestClient, auth: Auth) -> None:
    province = auth("luutru.tinh")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"procedure_code": "9.999999", "years": 5}, 422, "unknown_procedure"),
        ({"field": "Không có lĩnh vực này", "years": 5}, 422, "unknown_field"),
        ({"procedure_code": BIRTH_REGISTRATION, "document_type": "passport", "years": 5}, 422,
         "unknown_document_type"),
        ({"procedure_code": BIRTH_REGISTRATION, "field": "Hộ tịch", "years": 5}, 422, "invalid_schedule"),
        ({"years": 5}, 422, "invalid_schedule"),
        ({"procedure_code": BIRTH_REGISTRATION, "years": None, "end_action": "destroy"}, 422, "invalid_schedule"),
        ({"procedure_code": BIRTH_REGISTRATION, "years": 5, "legal_minimum_years": 10}, 422,
         "invalid_retention_years"),
        ({"procedure_code": BIRTH_REGISTRATION, "years": 0}, 422, "invalid_request"),
    ]
    for body, status, code in cases:
        answer = client.post(f"{ARCHIVE}/schedules", headers=province, json={"end_action": "destroy", **body})
        assert (answer.status_code, answer.json()["code"]) == (status, code), body
    for username, code in (("luutru.tranbien", "schedule_editor_required"), ("xuly.tranbien", "archive_role_required"),
                           ("lanhdao.tranbien", "archive_role_required")):
        answer = client.post(f"{ARCHIVE}/schedules", headers=auth(username),
                             json={"procedure_code": BIRTH_REGISTRATION, "years": 5, "end_action": "destroy"})
        assert (answer.status_code, answer.json()["code"]) == (403, code), username
    missing = client.put(f"{ARCHIVE}/schedules/nope", headers=province,
                         json={"procedure_code": BIRTH_REGISTRATION, "years": 5, "end_action": "destroy"})
    assert (missing.status_code, missing.json()["code"]) == (404, "schedule_not_found")
    assert client.get(f"{ARCHIVE}/schedules", headers=province).json()["count"] == 0  # nothing half-made


def test_dossiers_closed_before_retention_was_tracked_get_their_clock(
        client: TestClient, auth: Auth, clock: FixedClock, backends: Backends) -> None:
    ward, province = auth("luutru.tranbien"), auth("luutru.tinh")
    closed = years_ago(6)
    code, _ = closed_birth_registration(client, auth, clock, closed_on=closed, word="retentionlegacy")
    schedule(client, province, procedure_code=BIRTH_REGISTRATION, years=5, end_action="destroy")
    with backends.uow() as uow:
        uow.begin_write()
        uow.session.execute(text("DELETE FROM dossier_retention WHERE dossier_code = :c"),  # type: ignore[attr-defined]
                            {"c": code})
        uow.commit()
    assert client.get(f"{ARCHIVE}/retention/{code}", headers=ward).status_code == 404
    assert start_missing_clocks(uow=backends.uow(), clock=backends.clock) >= 1
    line = retention_of(client, ward, code)
    assert line["closed_at"][:10] == closed.date().isoformat()
    assert line["due_on"] == add_years(closed.date(), 5).isoformat()
    assert due_codes(client, ward) == {code: False}
    assert start_missing_clocks(uow=backends.uow(), clock=backends.clock) == 0  # safe to repeat
