"""The access log answers "who read this document" for any document: every read and download, who, for which
agency, when and why it was allowed. Auditors read all of it; leaders that of their own dossiers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient

from records.clock import FixedClock
from tests.api.helpers import intake, move
from tests.api.test_documents import APPLICATION, upload
from tests.support.factories import LAND_OFFICE, TRAN_BIEN
from tests.support.papers import born_digital_pdf

Auth = Callable[[str], dict[str, str]]


def test_who_read_this_document(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    """GIVEN an application uploaded at the commune, read there, then at the land office after a transfer
    WHEN the provincial auditor asks who read it
    THEN each read is listed, newest first: person, agency, kind of read, why it was allowed, when."""
    desk, commune, land = auth("tiepnhan.tranbien"), auth("xuly.tranbien"), auth("xuly.vpdkdd")
    code = intake(client, desk, applicant={"name": "Phạm Văn Đức", "id_number": "075085004321"})["code"]
    paper = upload(client, desk, code, born_digital_pdf(APPLICATION), "don.pdf").json()
    document = f"/api/v1/documents/{paper['id']}"
    client.get(document, headers=desk)
    clock.advance(timedelta(minutes=5))
    client.get(f"{document}/text", headers=commune)
    move(client, desk, code, "processing")
    move(client, commune, code, "transferred", target_agency_code=LAND_OFFICE)
    clock.advance(timedelta(hours=1))
    client.get(f"{document}/original", headers=land)
    client.get(f"{document}/pages/1/thumbnail.png", headers=land)
    client.get("/api/v1/search", params={"q": "thua dat so 342"}, headers=land)

    log = client.get(f"{document}/access-log", headers=auth("kiemtra.tinh"))
    assert log.status_code == 200, log.text
    rows = [(e["username"], e["agency_code"], e["action"], e["reason"]) for e in log.json()["data"]]
    assert rows == [
        ("xuly.vpdkdd", LAND_OFFICE, "snippet", "search_result"),
        ("xuly.vpdkdd", LAND_OFFICE, "preview", "holder_agency"),
        ("xuly.vpdkdd", LAND_OFFICE, "download", "holder_agency"),
        ("xuly.tranbien", TRAN_BIEN, "text", "holder_agency"),
        ("tiepnhan.tranbien", TRAN_BIEN, "document", "holder_agency"),
        ("tiepnhan.tranbien", TRAN_BIEN, "document_attached", "write"),  # the audit chain holds writes too
    ]
    assert log.json()["count"] == 6
    first = log.json()["data"][-2]
    assert first["at"].startswith("2026-03-02T02:00") and first["client"] == "testclient"
    assert first["dossier_code"] == code and first["principal_kind"] == "officer"


def test_who_may_read_the_access_log(client: TestClient, auth: Auth) -> None:
    desk = auth("tiepnhan.tranbien")
    code = intake(client, desk)["code"]
    paper = upload(client, desk, code, born_digital_pdf(APPLICATION), "don.pdf").json()
    path = f"/api/v1/documents/{paper['id']}/access-log"

    assert client.get(path, headers=auth("lanhdao.tranbien")).status_code == 200  # a leader of the agency
    own_clerk = client.get(path, headers=auth("xuly.tranbien"))
    assert own_clerk.status_code == 403 and own_clerk.json()["code"] == "cannot_audit"
    stranger = client.get(path, headers=auth("motcua.tanphu"))
    assert stranger.status_code == 404 and stranger.json()["code"] == "document_not_found"
    assert client.get("/api/v1/documents/ffffffffffffffffffffffffffffffff/access-log",
                      headers=auth("kiemtra.tinh")).status_code == 404
    assert client.get(f"/api/v1/dossiers/{code}/access-log", headers=auth("motcua.tanphu")).status_code == 404
    assert client.get("/api/v1/access-log", headers=auth("lanhdao.tranbien")).status_code == 403


def test_reading_the_log_is_logged_and_queries_are_kept_with_their_filters(client: TestClient, auth: Auth) -> None:
    """A lookup by a citizen's ID number is on record (the filters, not the rows), and so is an auditor's look
    at a dossier's log."""
    desk, auditor = auth("tiepnhan.tranbien"), auth("kiemtra.tinh")
    code = intake(client, desk, applicant={"name": "Lý Thị Hương", "id_number": "075185000321"})["code"]
    client.get("/api/v1/dossiers", params={"applicant_id_number": "075185000321"}, headers=desk)
    client.get("/api/v1/search", params={"q": "075185000321"}, headers=desk)
    client.get(f"/api/v1/dossiers/{code}", headers=desk)

    queries = client.get("/api/v1/access-log", params={"username": "tiepnhan.tranbien", "action": ["list", "search"]},
                         headers=auditor).json()["data"]
    assert [(q["action"], q["detail"].get("filters", {}).get("applicant_id_number"), q["detail"].get("q"))
            for q in queries] == [("search", None, "075185000321"), ("list", "075185000321", None)]
    assert queries[1]["detail"]["count"] == 1

    dossier_log = client.get(f"/api/v1/dossiers/{code}/access-log", headers=auditor).json()
    assert [(e["username"], e["action"], e["detail"].get("part")) for e in dossier_log["data"]] == [
        ("tiepnhan.tranbien", "view", "dossier"), ("tiepnhan.tranbien", "dossier_received", None)]
    audits = client.get("/api/v1/access-log", params={"username": "kiemtra.tinh", "action": "audit"},
                        headers=auditor).json()
    assert [(e["dossier_code"], e["reason"]) for e in audits["data"]] == [(code, "auditor")]


def test_a_screen_waiting_on_processing_polls_the_status_without_filling_the_log(
        client: TestClient, auth: Auth) -> None:
    """The status endpoint shows how processing stands and nothing of the paper; it is checked like any read
    (an unrelated agency gets 404) and leaves no entry, so a page polling every two seconds buries nothing."""
    desk = auth("tiepnhan.tranbien")
    code = intake(client, desk)["code"]
    paper = upload(client, desk, code, born_digital_pdf(APPLICATION), "don.pdf", title="Đơn của bà Lan").json()
    for _ in range(3):
        status = client.get(f"/api/v1/documents/{paper['id']}/status", headers=desk)
        assert status.json() == {"id": paper["id"], "status": "indexed", "failure_code": None, "page_count": 2,
                                 "has_searchable_pdf": False}
    assert client.get(f"/api/v1/documents/{paper['id']}/status", headers=auth("motcua.tanphu")).status_code == 404
    log = client.get(f"/api/v1/documents/{paper['id']}/access-log", headers=auth("kiemtra.tinh")).json()
    assert [e["action"] for e in log["data"]] == ["document_attached"]  # the upload itself; no read
