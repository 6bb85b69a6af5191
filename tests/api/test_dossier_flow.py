"""A land dossier's whole life through the API, as the officers at each desk see it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import BytesIO

from fastapi.testclient import TestClient
from pypdf import PdfReader

from records.clock import FixedClock
from tests.api.helpers import intake, move
from tests.support.factories import LAND_OFFICE, TRAN_BIEN

Auth = Callable[[str], dict[str, str]]


def test_land_dossier_goes_commune_to_land_office_and_back(client: TestClient, auth: Auth,
                                                           clock: FixedClock) -> None:
    """GIVEN a land dossier received at phường Trấn Biên
    WHEN it is processed, transferred to the land office, sent back, resolved and returned
    THEN every desk sees it in turn, and the control slip lists each hand-over with its timing."""
    desk, commune, land = auth("tiepnhan.tranbien"), auth("xuly.tranbien"), auth("xuly.vpdkdd")
    dossier = intake(client, desk)
    code = dossier["code"]
    assert code == f"{TRAN_BIEN}-260302-0001"
    assert dossier["state"] == "received"
    assert dossier["due_at"].startswith("2026-03-30T09:00")  # 20 working days from Monday 2 March
    assert client.get(f"/api/v1/dossiers/{code}", headers=land).status_code == 404  # not theirs yet

    clock.advance(timedelta(hours=2))
    move(client, desk, code, "processing", version=1)
    clock.advance(timedelta(days=1))
    moved = move(client, commune, code, "transferred", version=2, target_agency_code=LAND_OFFICE,
                 note="Chuyển Văn phòng Đăng ký đất đai thẩm định")
    assert moved["holder_agency_code"] == LAND_OFFICE and moved["step_index"] == 1

    # The land office now sees the dossier, in its list and by code, and takes it into processing.
    listed = client.get("/api/v1/dossiers", headers=land).json()
    assert [d["code"] for d in listed["data"]] == [code]
    clock.advance(timedelta(days=1))
    move(client, land, code, "processing")
    clock.advance(timedelta(days=7))
    back = move(client, land, code, "transferred", target_agency_code=TRAN_BIEN)
    assert back["step_index"] == 2
    # Once it has left, the land office still reads it (it took part) but can no longer change it.
    seen_by_land = client.get(f"/api/v1/dossiers/{code}", headers=land)
    assert seen_by_land.status_code == 200 and seen_by_land.json()["next_states"] == []
    assert client.get(f"/api/v1/dossiers/{code}", headers=commune).json()["next_states"] == [
        "processing", "transferred"]  # accept it, or send it on
    move(client, land, code, "processing", expect=403)

    clock.advance(timedelta(hours=3))
    move(client, commune, code, "processing")
    move(client, commune, code, "resolved")
    clock.advance(timedelta(hours=1))
    done = move(client, desk, code, "result_returned")
    assert done["state"] == "result_returned" and done["late"] is False and done["next_states"] == []

    history = client.get(f"/api/v1/dossiers/{code}/history", headers=commune).json()["data"]
    assert [e["to_state"] for e in history] == ["new", "received", "processing", "transferred", "processing",
                                                "transferred", "processing", "resolved", "result_returned"]
    handovers = [e["handover"] for e in history if e["handover"]]
    assert [(h["from_agency_code"], h["to_agency_code"]) for h in handovers] == [
        (TRAN_BIEN, TRAN_BIEN), (TRAN_BIEN, LAND_OFFICE), (LAND_OFFICE, TRAN_BIEN), (TRAN_BIEN, TRAN_BIEN),
        (TRAN_BIEN, TRAN_BIEN)]
    assert all(h["timeliness"] == "early" for h in handovers)
    assert history[-1]["handover"]["to_party"] == "applicant"
    assert history[3]["actor_agency_code"] == TRAN_BIEN and history[5]["actor_agency_code"] == LAND_OFFICE

    slip = client.get(f"/api/v1/dossiers/{code}/control-slip", headers=desk).json()
    assert "cấp Giấy chứng nhận quyền sử dụng đất" in slip["procedure_name"]
    assert slip["agency_names"][LAND_OFFICE].startswith("Văn phòng Đăng ký đất đai")
    pdf = client.get(f"/api/v1/dossiers/{code}/control-slip.pdf", headers=desk)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "PHIẾU KIỂM SOÁT" in text and code in text and "Trước hạn" in text


def test_an_unrelated_commune_sees_nothing_of_it(client: TestClient, auth: Auth) -> None:
    desk, stranger = auth("tiepnhan.tranbien"), auth("motcua.tanphu")
    code = intake(client, desk)["code"]
    for path in ("", "/history", "/control-slip", "/control-slip.pdf", "/extensions"):
        response = client.get(f"/api/v1/dossiers/{code}{path}", headers=stranger)
        assert response.status_code == 404, path
        assert code not in response.text.replace(f'"dossier_code":"{code}"', "")
    listed = client.get("/api/v1/dossiers", headers=stranger).json()
    assert listed == {"data": [], "count": 0}
    move(client, stranger, code, "processing", expect=404)
    stats = client.get("/api/v1/stats/timeliness", headers=stranger).json()["data"][0]
    assert stats["received"] == 0


def test_the_successor_agency_reads_the_abolished_citys_dossiers(client: TestClient, auth: Auth,
                                                                 backends: object) -> None:
    """GIVEN a dossier received by Biên Hòa city before the district level was abolished
    THEN the officers of phường Trấn Biên, its successor, find and can work on it."""
    from datetime import datetime

    from infra.wiring import Backends
    from records.dossiers import Channel, Dossier, DossierState
    from tests.support.factories import BIEN_HOA, applicant

    assert isinstance(backends, Backends)
    received = datetime.fromisoformat("2025-05-12T10:00:00+07:00")
    legacy = Dossier(code=f"{BIEN_HOA}-250512-0007", procedure_code="1.012756", receiving_agency_code=BIEN_HOA,
                     applicant=applicant(), channel=Channel.COUNTER, received_at=received,
                     state=DossierState.PROCESSING, holder_agency_code=BIEN_HOA, holder_since=received,
                     due_at=received + timedelta(days=28), participant_agencies={BIEN_HOA})
    with backends.uow() as uow:
        uow.begin_write()
        uow.dossiers.add(legacy, [])
        uow.commit()
    successor = auth("xuly.tranbien")
    found = client.get("/api/v1/dossiers", headers=successor).json()
    assert [d["code"] for d in found["data"]] == [legacy.code]
    assert found["data"][0]["late"] is True
    assert client.get(f"/api/v1/dossiers/{legacy.code}", headers=auth("motcua.tanphu")).status_code == 404
    resolved = move(client, successor, legacy.code, "resolved")
    assert resolved["state"] == "resolved"


def test_online_dossier_waits_for_acceptance_and_its_clock_starts_then(client: TestClient, auth: Auth,
                                                                       clock: FixedClock) -> None:
    desk = auth("tiepnhan.tranbien")
    created = intake(client, desk, channel="online", procedure="1.001193")
    assert created["state"] == "new" and created["due_at"] is None
    clock.advance(timedelta(days=2))  # accepted on Wednesday
    accepted = move(client, desk, created["code"], "received")
    assert accepted["due_at"].startswith("2026-03-05T09:00")  # 1 working day after acceptance
