"""Liên thông: papers follow the dossier along its route, and one intake opens the "3 in 1" linked dossiers
that share the papers received once. Nothing is typed or scanned twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.access_log import AccessLogFilter
from records.clock import FixedClock
from tests.api.helpers import intake, move
from tests.api.test_documents import upload
from tests.support.factories import LAND_OFFICE, TRAN_BIEN
from tests.support.papers import born_digital_pdf, corpus_scan

Auth = Callable[[str], dict[str, str]]
THREE_IN_ONE = "2.001023"
BIRTH, RESIDENCE, HEALTH_CARD = "1.001193", "1.004194", "1.011450"
POLICE, SOCIAL_INSURANCE = "HT.CUTRU.H19", "HT.BHYT.H19"


def readers(backends: Backends, document_id: str) -> list[tuple[str, str, str]]:
    with backends.uow() as uow:
        entries, _ = uow.access_log.find(AccessLogFilter(document_id=document_id))
    return [(e.username, e.action.value, e.reason) for e in entries]


def test_the_land_office_reads_the_communes_scan_without_uploading_anything(
        client: TestClient, auth: Auth, clock: FixedClock, backends: Backends) -> None:
    """GIVEN a land dossier received at phường Trấn Biên, its scan uploaded once at the desk
    WHEN it is transferred to the land office and back
    THEN the land office finds it by the scan's words, reads its text and downloads it, having uploaded
    nothing; after the return it still reads it (it took part); the access log names each of its reads."""
    desk, commune, land = auth("tiepnhan.tranbien"), auth("xuly.tranbien"), auth("xuly.vpdkdd")
    code = intake(client, desk)["code"]
    scan, _truth = corpus_scan("dev-0001")
    scanned = upload(client, desk, code, scan, "giay-xac-nhan.pdf", document_type="other").json()
    assert client.get(f"/api/v1/dossiers/{code}/documents", headers=land).status_code == 404

    move(client, desk, code, "processing")
    clock.advance(timedelta(hours=3))
    move(client, commune, code, "transferred", target_agency_code=LAND_OFFICE, note="Chuyển thẩm định")

    papers = client.get(f"/api/v1/dossiers/{code}/documents", headers=land).json()
    assert [d["id"] for d in papers["data"]] == [scanned["id"]]
    assert papers["data"][0]["uploaded_agency_code"] == TRAN_BIEN
    found = client.get("/api/v1/search", params={"q": "hoan canh gia dinh kho khan"}, headers=land).json()
    assert [hit["dossier_code"] for hit in found["data"]] == [code]
    assert found["data"][0]["dossier"]["applicant_name"] == "Nguyễn Thị Lan"
    assert found["data"][0]["highlights"][0]["document_title"] == "giay-xac-nhan.pdf"
    text = client.get(f"/api/v1/documents/{scanned['id']}/text", headers=land).json()
    assert "040061101414" in text["pages"][0]["text"]
    assert client.get(f"/api/v1/documents/{scanned['id']}/original", headers=land).content == scan

    clock.advance(timedelta(days=2))
    move(client, land, code, "processing")
    clock.advance(timedelta(days=3))
    move(client, land, code, "transferred", target_agency_code=TRAN_BIEN)
    assert client.get(f"/api/v1/documents/{scanned['id']}/searchable.pdf", headers=land).status_code == 200
    move(client, commune, code, "processing")
    done = move(client, commune, code, "resolved")
    assert done["state"] == "resolved"

    land_reads = [r for r in readers(backends, scanned["id"]) if r[0] == "xuly.vpdkdd"]
    assert ("xuly.vpdkdd", "text", "holder_agency") in land_reads
    assert ("xuly.vpdkdd", "download", "holder_agency") in land_reads
    assert ("xuly.vpdkdd", "snippet", "search_result") in land_reads
    assert ("xuly.vpdkdd", "download", "route_agency") in land_reads  # the PDF, read after it went back
    with backends.uow() as uow:
        uploads, _ = uow.access_log.find(AccessLogFilter(username="xuly.vpdkdd", dossier_code=code))
    assert uploads and all(e.agency_code == LAND_OFFICE for e in uploads)


def test_a_transfer_that_names_no_agency_follows_the_route(client: TestClient, auth: Auth) -> None:
    """commune → land office → commune, as the catalogue's route says; at its end an agency must be named."""
    desk, commune, land = auth("tiepnhan.tranbien"), auth("xuly.tranbien"), auth("xuly.vpdkdd")
    code = intake(client, desk)["code"]
    move(client, desk, code, "processing")
    there = move(client, commune, code, "transferred")
    assert (there["holder_agency_code"], there["step_index"]) == (LAND_OFFICE, 1)
    move(client, land, code, "processing")
    back = move(client, land, code, "transferred")
    assert (back["holder_agency_code"], back["step_index"]) == (TRAN_BIEN, 2)
    move(client, commune, code, "processing")
    at_the_end = move(client, commune, code, "transferred", expect=422)
    assert at_the_end["code"] == "target_agency_required"


def _three_in_one(client: TestClient, desk: dict[str, str], **extra: Any) -> dict[str, Any]:
    return intake(client, desk, procedure=THREE_IN_ONE, subject="Khai sinh, thường trú, thẻ BHYT cho bé Lan Anh",
                  **extra)


def test_one_intake_opens_three_linked_dossiers_sharing_one_upload(
        client: TestClient, auth: Auth, clock: FixedClock, backends: Backends) -> None:
    """GIVEN the "3 in 1" procedure at phường Trấn Biên
    WHEN the desk receives it and uploads the papers once, to the group dossier
    THEN birth registration (commune), permanent residence (police) and the health-insurance card (social
    insurance) are open, each with its own code, state and deadline; each agency reads the shared papers;
    the group shows their combined progress and is resolved only when all three are done."""
    desk, commune = auth("tiepnhan.tranbien"), auth("xuly.tranbien")
    police, insurance = auth("xuly.congan"), auth("xuly.bhxh")
    group = _three_in_one(client, desk)
    linked = group["group"]["dossiers"]
    assert [(d["procedure_code"], d["receiving_agency_code"]) for d in linked] == [
        (BIRTH, TRAN_BIEN), (RESIDENCE, POLICE), (HEALTH_CARD, SOCIAL_INSURANCE)]  # the catalogue's order
    assert group["group"]["total"] == 3 and group["group"]["done"] == 0
    by_procedure = {d["procedure_code"]: d for d in linked}
    assert by_procedure[RESIDENCE]["code"].startswith(f"{POLICE}-260302-")
    assert by_procedure[BIRTH]["due_at"] < by_procedure[HEALTH_CARD]["due_at"] < by_procedure[RESIDENCE]["due_at"]
    assert group["linked_agencies"] == sorted([POLICE, SOCIAL_INSURANCE])

    form = born_digital_pdf([["TỜ KHAI ĐĂNG KÝ KHAI SINH", "Họ, chữ đệm, tên: TRẦN LAN ANH",
                              "Nơi cư trú: khu phố 3, phường Trấn Biên"]])
    paper = upload(client, desk, group["code"], form, "to-khai.pdf", document_type="application_form").json()

    residence = by_procedure[RESIDENCE]["code"]
    seen_by_police = client.get(f"/api/v1/dossiers/{residence}/documents", headers=police).json()["data"]
    assert [(d["id"], d["dossier_code"]) for d in seen_by_police] == [(paper["id"], group["code"])]
    assert client.get(f"/api/v1/documents/{paper['id']}/original", headers=insurance).content == form
    opened = client.get(f"/api/v1/dossiers/{group['code']}", headers=police).json()
    assert opened["access_reason"] == "linked_dossier" and opened["next_states"] == []
    assert ("xuly.bhxh", "download", "linked_dossier") in readers(backends, paper["id"])
    # A linked dossier is its agency's own: the social-insurance office does not read the police's.
    assert client.get(f"/api/v1/dossiers/{residence}", headers=insurance).status_code == 404
    found = client.get("/api/v1/search", params={"q": "tran lan anh"}, headers=police).json()
    assert group["code"] in [hit["dossier_code"] for hit in found["data"]]

    # Each agency works on its own dossier, with its own clock.
    birth, card = by_procedure[BIRTH]["code"], by_procedure[HEALTH_CARD]["code"]
    move(client, desk, group["code"], "processing")
    move(client, desk, birth, "processing")
    move(client, commune, birth, "resolved")
    move(client, police, residence, "processing")
    clock.advance(timedelta(days=2))
    move(client, police, residence, "resolved")
    refused = client.post(f"/api/v1/dossiers/{group['code']}/transitions", json={"to": "resolved"},
                          headers=commune)
    assert refused.status_code == 409 and refused.json()["code"] == "linked_dossiers_open"
    assert refused.json()["detail"]["open"] == [card]
    progress = client.get(f"/api/v1/dossiers/{group['code']}", headers=desk).json()["group"]
    assert (progress["done"], progress["late"]) == (2, 0)

    move(client, insurance, card, "processing")
    move(client, insurance, card, "resolved")
    assert move(client, commune, group["code"], "resolved")["state"] == "resolved"


def test_a_linked_dossier_sent_on_brings_its_new_agency_to_the_groups_papers(
        client: TestClient, auth: Auth) -> None:
    """GIVEN a linked residence dossier at the police WHEN the police send it off route to the commune of
    Tân Phú with a reason THEN that commune reads the group's papers too (and nothing of the other agencies')."""
    desk, police, tan_phu = auth("tiepnhan.tranbien"), auth("xuly.congan"), auth("motcua.tanphu")
    group = _three_in_one(client, desk, linked_procedures=[RESIDENCE])
    assert [d["procedure_code"] for d in group["group"]["dossiers"]] == [RESIDENCE]
    residence = group["group"]["dossiers"][0]["code"]
    paper = upload(client, desk, group["code"], born_digital_pdf([["Tờ khai CT01"]]), "ct01.pdf").json()
    assert client.get(f"/api/v1/documents/{paper['id']}", headers=tan_phu).status_code == 404

    move(client, police, residence, "processing")
    move(client, police, residence, "transferred", target_agency_code="000.60.09.H19",
         note="Nơi thường trú thuộc xã Tân Phú")
    assert client.get(f"/api/v1/documents/{paper['id']}", headers=tan_phu).status_code == 200
    assert client.get(f"/api/v1/dossiers/{group['code']}", headers=tan_phu).json()["access_reason"] == (
        "linked_dossier")


def test_a_bad_linked_procedure_opens_nothing(client: TestClient, auth: Auth) -> None:
    desk = auth("tiepnhan.tranbien")
    before = client.get("/api/v1/dossiers", headers=desk).json()["count"]
    response = client.post("/api/v1/dossiers", headers=desk, json={
        "procedure_code": THREE_IN_ONE, "applicant": {"name": "Trần Văn Bình", "id_number": "075085000777"},
        "linked_procedures": [RESIDENCE, "1.012756"]})
    assert response.status_code == 422 and response.json()["code"] == "unknown_linked_procedure"
    assert response.json()["detail"]["unknown"] == ["1.012756"]
    assert client.get("/api/v1/dossiers", headers=desk).json()["count"] == before
