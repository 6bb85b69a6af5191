"""Deadline alerts raised by the worker's scan, as the holding agency reads them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.clock import FixedClock
from records.services.alerts import scan_deadlines
from tests.api.helpers import intake, move
from tests.support.factories import BIRTH_REGISTRATION

Auth = Callable[[str], dict[str, str]]


def scan(backends: Backends) -> int:
    return scan_deadlines(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar)


def test_the_holding_agency_is_warned_before_and_after_the_due_date(client: TestClient, auth: Auth,
                                                                    backends: Backends, clock: FixedClock) -> None:
    desk, officer = auth("tiepnhan.tranbien"), auth("xuly.tranbien")
    birth = intake(client, desk, procedure=BIRTH_REGISTRATION)["code"]  # due Tuesday 09:00
    land = intake(client, desk)["code"]  # due in 20 working days: no alert yet
    paused = intake(client, desk, procedure=BIRTH_REGISTRATION)["code"]
    move(client, desk, paused, "supplement_requested", note="thiếu giấy chứng sinh")

    clock.advance(timedelta(hours=2))  # Monday 11:00: the birth registration is due within a working day
    assert scan(backends) == 1
    alerts = client.get("/api/v1/alerts", headers=officer).json()
    assert [(a["dossier_code"], a["kind"]) for a in alerts["data"]] == [(birth, "due_soon")]

    clock.advance(timedelta(days=1))  # Tuesday 11:00: now it is late
    assert scan(backends) == 1
    assert scan(backends) == 0  # a second scan adds nothing
    kinds = {(a["dossier_code"], a["kind"]) for a in client.get("/api/v1/alerts", headers=officer).json()["data"]}
    assert kinds == {(birth, "due_soon"), (birth, "overdue")}
    assert land not in {code for code, _ in kinds} and paused not in {code for code, _ in kinds}

    stranger = client.get("/api/v1/alerts", headers=auth("motcua.tanphu")).json()
    assert stranger == {"data": [], "count": 0}
    overdue = next(a for a in client.get("/api/v1/alerts", headers=officer).json()["data"] if a["kind"] == "overdue")
    refused = client.post(f"/api/v1/alerts/{overdue['id']}/acknowledge", headers=auth("motcua.tanphu"))
    assert refused.status_code == 404 and refused.json()["code"] == "alert_not_found"
    seen = client.post(f"/api/v1/alerts/{overdue['id']}/acknowledge", headers=officer).json()
    assert seen["acknowledged_by"] == "xuly.tranbien"
    remaining = client.get("/api/v1/alerts", headers=officer).json()["data"]
    assert [a["kind"] for a in remaining] == ["due_soon"]
    everything = client.get("/api/v1/alerts?include_acknowledged=true", headers=officer).json()
    assert everything["count"] == 2


def test_a_transferred_dossier_warns_its_new_holder(client: TestClient, auth: Auth, backends: Backends,
                                                    clock: FixedClock) -> None:
    desk, officer, land_office = auth("tiepnhan.tranbien"), auth("xuly.tranbien"), auth("xuly.vpdkdd")
    code = intake(client, desk)["code"]
    move(client, desk, code, "processing")
    move(client, officer, code, "transferred", target_agency_code="000.00.02.H19")
    clock.advance(timedelta(days=40))
    assert scan(backends) == 1
    assert [a["dossier_code"] for a in client.get("/api/v1/alerts", headers=land_office).json()["data"]] == [code]
    assert client.get("/api/v1/alerts", headers=officer).json()["count"] == 0
