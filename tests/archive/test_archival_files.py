"""Archival files through the API: gathered by agency, year and procedure; Decree 30 metadata prefilled and edited;
the lists as PDF, the whole file as one PDF in chronological order plus its XML; deposit reminders 30 days ahead and
the deposit states, each recorded; a file hold freezes its dossiers."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, time

import pikepdf
from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.clock import VN_TZ, FixedClock
from records.services.archival_files import remind_deposits
from tests.archive.test_disposition import closed_birth_registration
from tests.support.factories import MONDAY_9AM

Auth = Callable[[str], dict[str, str]]
ARCHIVE = "/api/v1/archive"


def test_a_year_of_closed_dossiers_becomes_an_archival_file(client: TestClient, auth: Auth, clock: FixedClock,
                                                            backends: Backends) -> None:
    archivist = auth("luutru.tranbien")
    year = MONDAY_9AM.year - 1
    codes = [closed_birth_registration(client, auth, clock, word=f"khaisinh{n}",
                                       closed_on=datetime(year, 5, 4 + n, 9, tzinfo=VN_TZ))[0] for n in (0, 1)]
    gathered = client.post(f"{ARCHIVE}/files/gather", headers=archivist, json={"agency_code": "000.60.01.H19",
                                                                               "year": year})
    assert gathered.status_code == 200, gathered.text
    [file] = gathered.json()["data"]
    assert file["file_code"] == f"000.60.01.H19.{year}.1.001193"
    assert (sorted(file["dossier_codes"]), file["doc_total"], file["page_total"]) == (sorted(codes), 2, 2)
    assert client.post(f"{ARCHIVE}/files/gather", headers=archivist, json={
        "agency_code": "000.60.01.H19", "year": year}).json()["count"] == 0  # safe to repeat: nothing new

    detail = client.get(f"{ARCHIVE}/files/{file['file_code']}", headers=archivist).json()
    assert [d["doc_ordinal"] for d in detail["documents"]] == [1, 2]
    first = detail["documents"][0]["document_id"]
    edited = client.patch(f"{ARCHIVE}/files/{file['file_code']}/documents/{first}", headers=archivist,
                          json={"CodeNumber": "12", "CodeNotation": "TK-KS", "SignerFullName": "Lê Văn Phúc"})
    assert edited.status_code == 200 and edited.json()["metadata"]["CodeNotation"] == "TK-KS"
    xml = client.get(f"{ARCHIVE}/files/{file['file_code']}/metadata.xml", headers=archivist).text
    assert "<CodeNotation>TK-KS</CodeNotation>" in xml and "<FullName>Lê Văn Phúc</FullName>" in xml
    assert f"<FileCatalog>{year}</FileCatalog>" in xml and "<DocTotal>2</DocTotal>" in xml

    whole = client.get(f"{ARCHIVE}/files/{file['file_code']}/export.pdf", headers=archivist)
    assert whole.status_code == 200
    with pikepdf.open(io.BytesIO(whole.content)) as pdf:
        assert len(pdf.pages) >= 2 + 2  # cover, document list, then each one-page document
    for path in (f"{ARCHIVE}/files/{file['file_code']}/documents.pdf", f"{ARCHIVE}/files.pdf"):
        listed = client.get(path, headers=archivist)
        assert listed.status_code == 200 and listed.content.startswith(b"%PDF")

    # Deposit: reminded 30 days ahead, then deposited to the agency archive, then to the historical archive.
    clock.at = datetime.combine(datetime(year + 1, 12, 5).date(), time(9), VN_TZ)
    assert remind_deposits(uow=backends.uow(), clock=clock) == 1
    alerts = client.get(f"{ARCHIVE}/alerts", params={"kind": "deposit_due"}, headers=archivist).json()["data"]
    assert [a["subject"] for a in alerts] == [file["file_code"]]
    for state in ("closed", "deposited_agency", "deposited_historical"):
        moved = client.post(f"{ARCHIVE}/files/{file['file_code']}/state", headers=archivist, json={"state": state})
        assert moved.status_code == 200 and moved.json()["state"] == state
    assert [h["to"] for h in moved.json()["history"]] == ["open", "closed", "deposited_agency", "deposited_historical"]
    back = client.post(f"{ARCHIVE}/files/{file['file_code']}/state", headers=archivist, json={"state": "open"})
    assert (back.status_code, back.json()["code"]) == (409, "invalid_file_state")

    # A hold on the file freezes each of its dossiers.
    hold = client.post(f"{ARCHIVE}/holds", headers=archivist, json={
        "scope": "file", "target": file["file_code"], "reason": "Kiểm tra của thanh tra tỉnh"})
    assert hold.status_code == 201, hold.text
    for code in codes:
        shown = client.get(f"{ARCHIVE}/dossiers/{code}/holds", headers=auth("xuly.tranbien")).json()["data"]
        assert [(h["scope"], h["target"]) for h in shown] == [("file", file["file_code"])]
    refused = client.post(f"/api/v1/dossiers/{codes[0]}/transitions", headers=auth("tiepnhan.tranbien"),
                          json={"to": "processing"})
    assert refused.status_code == 423
