"""Archive alerts reach the archivists whose records they concern, once per open problem, and are acknowledged
with a trace in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.archive_alerts import ArchiveAlert
from records.clock import FixedClock
from records.services.archive_alerts import raise_archive_alert
from tests.support.factories import TRAN_BIEN

Auth = Callable[[str], dict[str, str]]


def _raise(backends: Backends, clock: FixedClock, kind: str, subject: str, agency: str | None) -> bool:
    with backends.uow() as uow:
        uow.begin_write()
        new = raise_archive_alert(uow, ArchiveAlert(kind=kind, subject=subject, message_vi="Tệp bị hỏng.",
                                                    message_en="A file is damaged.", raised_at=clock.now(),
                                                    agency_code=agency, detail={"key": subject}))
        uow.commit()
    return new


def test_one_open_alert_per_problem_and_acknowledging_it(backends: Backends, client: TestClient, auth: Auth,
                                                         clock: FixedClock) -> None:
    """GIVEN a damaged blob reported twice by the fixity check
    WHEN the archivist lists and acknowledges the alert
    THEN it is listed once, acknowledging records who and when (and in the audit trail), and the same problem found
    again afterwards is a new alert."""
    assert _raise(backends, clock, "fixity_damage", "originals/ab/abc", None)
    assert not _raise(backends, clock, "fixity_damage", "originals/ab/abc", None)
    archivist = auth("luutru.tinh")
    listed = client.get("/api/v1/archive/alerts", headers=archivist)
    assert listed.status_code == 200, listed.text
    alerts = [a for a in listed.json()["data"] if a["subject"] == "originals/ab/abc"]
    assert len(alerts) == 1 and alerts[0]["message_vi"] == "Tệp bị hỏng."

    clock.advance(timedelta(minutes=3))
    acknowledged = client.post(f"/api/v1/archive/alerts/{alerts[0]['id']}/acknowledge", headers=archivist)
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["acknowledged_by"] == "luutru.tinh"
    open_now = client.get("/api/v1/archive/alerts", headers=archivist).json()["data"]
    assert all(a["subject"] != "originals/ab/abc" for a in open_now)
    trail = client.get("/api/v1/access-log", params={"username": "luutru.tinh"}, headers=auth("kiemtra.tinh")).json()
    assert any(e["action"] == "archive_alert_acknowledged" for e in trail["data"])

    assert _raise(backends, clock, "fixity_damage", "originals/ab/abc", None)


def test_alerts_stay_within_the_archive_scope(backends: Backends, client: TestClient, auth: Auth,
                                              clock: FixedClock) -> None:
    """GIVEN a deposit reminder for the Trấn Biên ward's records
    THEN the ward's and the province's archivists see it, another commune's people and desk officers do not, and a
    desk officer may not read archive alerts at all."""
    _raise(backends, clock, "deposit_due", "000.60.01.H19.2025.01", TRAN_BIEN)
    subjects = lambda who: {a["subject"] for a in client.get("/api/v1/archive/alerts",  # noqa: E731
                                                             headers=auth(who)).json()["data"]}
    assert "000.60.01.H19.2025.01" in subjects("luutru.tranbien")
    assert "000.60.01.H19.2025.01" in subjects("luutru.tinh")
    assert "000.60.01.H19.2025.01" not in subjects("lanhdao.vpdkdd")
    refused = client.get("/api/v1/archive/alerts", headers=auth("tiepnhan.tranbien"))
    assert refused.status_code == 403 and refused.json()["code"] == "archive_role_required"
    foreign = client.get("/api/v1/archive/alerts", headers=auth("lanhdao.vpdkdd")).json()["data"]
    assert foreign == [] or all(a["agency_code"] != TRAN_BIEN for a in foreign)
