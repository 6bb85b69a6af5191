"""What leaders read: late dossiers, apology letters with a new date, on-time/late statistics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from records.clock import FixedClock
from tests.api.helpers import intake, move
from tests.support.factories import BIRTH_REGISTRATION

Auth = Callable[[str], dict[str, str]]


def test_late_dossiers_are_listed_most_overdue_first(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    desk, leader = auth("tiepnhan.tranbien"), auth("lanhdao.tranbien")
    older = intake(client, desk, procedure=BIRTH_REGISTRATION)["code"]  # due Tuesday 09:00
    clock.advance(timedelta(days=1))
    newer = intake(client, desk, procedure=BIRTH_REGISTRATION)["code"]  # due Wednesday 09:00
    on_time = intake(client, desk)["code"]  # land: 20 days
    clock.advance(timedelta(days=3))  # Friday 09:00
    late = client.get("/api/v1/dossiers/late", headers=leader).json()
    assert [row["dossier"]["code"] for row in late["data"]] == [older, newer]
    assert [row["overdue_days"] for row in late["data"]] == [3.0, 2.0]
    listed = client.get("/api/v1/dossiers?late=false", headers=leader).json()
    assert [d["code"] for d in listed["data"]] == [on_time]


def test_an_apology_letter_sets_a_new_date_but_the_dossier_stays_late(client: TestClient, auth: Auth,
                                                                       clock: FixedClock) -> None:
    desk, officer = auth("tiepnhan.tranbien"), auth("xuly.tranbien")
    code = intake(client, desk, procedure=BIRTH_REGISTRATION)["code"]
    move(client, desk, code, "processing")
    clock.advance(timedelta(days=2))
    new_date = (clock.now() + timedelta(days=2)).isoformat()
    refused = client.post(f"/api/v1/dossiers/{code}/extensions", json={"reason": " ", "new_due_at": new_date},
                          headers=officer)
    assert refused.status_code == 422
    letter = client.post(f"/api/v1/dossiers/{code}/extensions",
                         json={"reason": "Chờ xác minh thông tin cư trú", "new_due_at": new_date}, headers=officer)
    assert letter.status_code == 201 and letter.json()["issued_by"] == "xuly.tranbien"
    dossier = client.get(f"/api/v1/dossiers/{code}", headers=officer).json()
    assert dossier["extended_due_at"] is not None and dossier["late"] is True
    earlier = client.post(f"/api/v1/dossiers/{code}/extensions",
                          json={"reason": "lùi lại", "new_due_at": clock.now().isoformat()}, headers=officer)
    assert earlier.status_code == 422 and earlier.json()["code"] == "invalid_new_due_date"
    letters = client.get(f"/api/v1/dossiers/{code}/extensions", headers=desk).json()
    assert letters["count"] == 1 and letters["data"][0]["reason"] == "Chờ xác minh thông tin cư trú"
    slip = client.get(f"/api/v1/dossiers/{code}/control-slip", headers=desk).json()
    assert slip["extensions"][0]["reason"] == "Chờ xác minh thông tin cư trú"


def test_statistics_count_early_on_time_late_and_open(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    desk, officer, leader = auth("tiepnhan.tranbien"), auth("xuly.tranbien"), auth("lanhdao.tranbien")
    early = intake(client, desk, procedure=BIRTH_REGISTRATION)["code"]
    late = intake(client, desk, procedure=BIRTH_REGISTRATION)["code"]
    withdrawn = intake(client, desk, procedure=BIRTH_REGISTRATION)["code"]
    still_open = intake(client, desk)["code"]
    move(client, desk, withdrawn, "withdrawn", note="Công dân rút hồ sơ")
    for code in (early, late):
        move(client, desk, code, "processing")
    clock.advance(timedelta(hours=2))
    move(client, officer, early, "resolved")
    clock.advance(timedelta(days=2))
    move(client, officer, late, "resolved")
    stats = client.get("/api/v1/stats/timeliness", headers=leader).json()["data"][0]
    assert (stats["received"], stats["resolved_early"], stats["resolved_on_time"], stats["resolved_late"]) == (
        4, 1, 0, 1)  # resolved on Monday, due Tuesday 09:00: early; the other on Wednesday: late
    assert (stats["open_on_time"], stats["open_late"], stats["ended_without_result"]) == (1, 0, 1)
    assert stats["on_time_rate"] == 0.5
    assert stats["by_state"] == {"resolved": 2, "withdrawn": 1, "received": 1}
    per_agency = client.get("/api/v1/stats/timeliness?per_agency=true", headers=leader).json()
    assert [row["agency_code"] for row in per_agency["data"]] == ["000.60.01.H19"]
    assert still_open
    empty = client.get("/api/v1/stats/timeliness?received_from=2027-01-01", headers=leader).json()["data"][0]
    assert empty["received"] == 0
    reversed_range = client.get("/api/v1/stats/timeliness?received_from=2026-03-05&received_to=2026-03-01",
                                headers=leader)
    assert reversed_range.status_code == 422 and reversed_range.json()["code"] == "invalid_date_range"


def test_a_supplement_request_stops_the_clock(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    desk, officer = auth("tiepnhan.tranbien"), auth("xuly.tranbien")
    created = intake(client, desk, procedure=BIRTH_REGISTRATION)
    code = created["code"]
    move(client, desk, code, "processing")
    clock.advance(timedelta(hours=4))
    paused = move(client, officer, code, "supplement_requested", note="Bổ sung giấy chứng sinh")
    assert paused["paused_at"] is not None
    clock.advance(timedelta(days=7))  # the citizen takes a week: 5 working days
    assert client.get(f"/api/v1/dossiers/{code}", headers=officer).json()["late"] is False
    resumed = move(client, officer, code, "processing", note="Đã nhận bổ sung")
    assert resumed["paused_at"] is None
    assert resumed["due_at"].startswith("2026-03-10T09:00")  # Tuesday 3 March + 5 working days
    assert resumed["late"] is False
