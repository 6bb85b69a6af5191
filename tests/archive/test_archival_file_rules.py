"""Archival files' rules on SQLite and PostgreSQL: deposit due dates under the setting (agency archive, then the
historical archive for permanent files) with both reminders; a held file keeps its dossiers, metadata and state;
refused requests change nothing; gathering by procedure; the Decree 30 export is audited and a document whose
content is gone gets a page saying so; the repository's lookups for holds; the state history migrated to its table."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select, text

from infra.settings import Settings
from infra.wiring import Backends
from records.access_log import AccessKind
from records.archival_files import DepositRule, FileState
from records.blobs import SEARCHABLE_PDF, derived_key, original_key
from records.clock import VN_TZ, FixedClock
from records.services.archival_files import move_file, remind_deposits
from records.services.catalogue import load_principal
from storage.db import make_engine
from storage.migrate import downgrade, upgrade
from tests.archive.test_disposition import closed_birth_registration
from tests.support.databases import fresh_database
from tests.support.factories import MONDAY_9AM

Auth = Callable[[str], dict[str, str]]
ARCHIVE = "/api/v1/archive"
WARD = "000.60.01.H19"
YEAR = MONDAY_9AM.year - 1


def _closed(client: TestClient, auth: Auth, clock: FixedClock, n: int, *, month: int = 5) -> str:
    return closed_birth_registration(client, auth, clock, word=f"hslt{n}",
                                     closed_on=datetime(YEAR, month, 4 + n, 9, tzinfo=VN_TZ))[0]


def _gather(client: TestClient, who: dict[str, str], **extra: object) -> dict[str, object]:
    answer = client.post(f"{ARCHIVE}/files/gather", headers=who, json={"agency_code": WARD, "year": YEAR, **extra})
    assert answer.status_code == 200, answer.text
    [file] = answer.json()["data"]
    return dict(file)


def test_deposit_due_dates_follow_the_setting_and_remind_for_both_archives(
        client: TestClient, auth: Auth, clock: FixedClock, backends: Backends) -> None:
    archivist = auth("luutru.tranbien")
    _closed(client, auth, clock, 0, month=3)
    file = _gather(client, archivist)
    code = str(file["file_code"])
    end = date.fromisoformat(str(file["end_date"]))
    assert file["maintenance"] == "Vĩnh viễn"  # birth registrations are kept for good
    assert date.fromisoformat(str(file["deposit_due_on"])) == end + timedelta(days=365)

    # 31 days before the due date: not yet reminded, not in the list; 30 days before: both.
    due = end + timedelta(days=365)
    clock.at = datetime.combine(due - timedelta(days=31), time(9), VN_TZ)
    assert remind_deposits(uow=backends.uow(), clock=clock) == 0
    clock.at = datetime.combine(due - timedelta(days=30), time(9), VN_TZ)
    listed = client.get(f"{ARCHIVE}/files", params={"deposit_due_within_days": 30}, headers=archivist).json()
    assert [f["file_code"] for f in listed["data"]] == [code]
    assert remind_deposits(uow=backends.uow(), clock=clock) == 1
    assert remind_deposits(uow=backends.uow(), clock=clock) == 0  # once per file
    alerts = client.get(f"{ARCHIVE}/alerts", params={"kind": "deposit_due"}, headers=archivist).json()["data"]
    assert [a["subject"] for a in alerts] == [code] and "Lưu trữ cơ quan" in alerts[0]["message_vi"]

    # Deposited to the agency archive: a permanent file is next due at the historical archive by the end of the
    # year ten years after its EndDate, and reminded 30 days before.
    for state in ("closed", "deposited_agency"):
        moved = client.post(f"{ARCHIVE}/files/{code}/state", headers=archivist, json={"state": state, "note": "BB 01"})
        assert moved.status_code == 200, moved.text
    historical_due = date(end.year + 10, 12, 31)
    assert moved.json()["deposit_due_on"] == historical_due.isoformat()
    assert [(h["to"], h["by"], h["note"]) for h in moved.json()["history"]][1:] == [
        ("closed", "luutru.tranbien", "BB 01"), ("deposited_agency", "luutru.tranbien", "BB 01")]
    clock.at = datetime.combine(historical_due - timedelta(days=29), time(9), VN_TZ)
    assert remind_deposits(uow=backends.uow(), clock=clock) == 1
    alerts = client.get(f"{ARCHIVE}/alerts", params={"kind": "historical_deposit_due"},
                        headers=archivist).json()["data"]
    assert [a["subject"] for a in alerts] == [code] and "Lưu trữ lịch sử" in alerts[0]["message_vi"]
    done = client.post(f"{ARCHIVE}/files/{code}/state", headers=archivist, json={"state": "deposited_historical"})
    assert done.json()["deposit_due_on"] is None
    assert client.get(f"{ARCHIVE}/files", params={"deposit_due_within_days": 30},
                      headers=archivist).json()["count"] == 0

    # The setting is what decides: a 90-day agency rule moves the due date of a file reopened for more dossiers.
    assert Settings(deposit_agency_days=90, deposit_historical_years=5).deposit_rule == DepositRule(90, 5)
    assert DepositRule(90, 5).due_on(FileState.CLOSED, YEAR, end, "05 năm") == end + timedelta(days=90)
    assert DepositRule(90, 5).due_on(FileState.DEPOSITED_AGENCY, YEAR, end, "05 năm") is None  # not permanent


def test_a_held_file_keeps_its_dossiers_metadata_and_state(client: TestClient, auth: Auth, clock: FixedClock,
                                                           backends: Backends) -> None:
    archivist, leader = auth("luutru.tranbien"), auth("luutru.tinh")
    codes = [_closed(client, auth, clock, n) for n in (0, 1)]
    file = _gather(client, archivist)
    code = str(file["file_code"])
    detail = client.get(f"{ARCHIVE}/files/{code}", headers=archivist).json()
    document_id = detail["documents"][0]["document_id"]
    prefilled = detail["documents"][0]["values"]  # what hoso knew: the type, the pages, the subject
    assert prefilled["PageAmount"] == 1 and prefilled["TypeName"] and prefilled["Language"] == "Tiếng Việt"
    edited = client.patch(f"{ARCHIVE}/files/{code}/documents/{document_id}", headers=archivist,
                          json={"CodeNumber": "15", "CodeNotation": "TK-KS", "IssuedDate": f"{YEAR}-05-04"})
    assert edited.status_code == 200, edited.text
    detail = client.get(f"{ARCHIVE}/files/{code}", headers=archivist).json()
    assert {k: detail["documents"][0]["values"][k] for k in ("CodeNumber", "CodeNotation", "IssuedDate",
                                                              "PageAmount")} == {
        "CodeNumber": "15", "CodeNotation": "TK-KS", "IssuedDate": f"{YEAR}-05-04", "PageAmount": 1}
    hold = client.post(f"{ARCHIVE}/holds", headers=archivist, json={"scope": "file", "target": code,
                                                                     "reason": "Thanh tra"})
    assert hold.status_code == 201, hold.text

    refusals = [
        client.post(f"{ARCHIVE}/files/{code}/dossiers", headers=archivist, json={"remove": [codes[0]]}),
        client.patch(f"{ARCHIVE}/files/{code}/documents/{document_id}", headers=archivist, json={"Subject": "Khác"}),
        client.post(f"{ARCHIVE}/files/{code}/state", headers=archivist, json={"state": "closed"}),
    ]
    assert [(r.status_code, r.json()["code"]) for r in refusals] == [(423, "dossier_on_hold")] * 3
    assert refusals[0].json()["detail"]["holds"][0]["target"] == code
    after = client.get(f"{ARCHIVE}/files/{code}", headers=archivist).json()
    assert (sorted(after["dossier_codes"]), after["state"], after["documents"]) == (
        sorted(codes), "open", detail["documents"])

    released = client.post(f"{ARCHIVE}/holds/{hold.json()['id']}/release", headers=leader,
                           json={"reason": "Kết thúc thanh tra"})
    assert released.status_code == 200, released.text
    removed = client.post(f"{ARCHIVE}/files/{code}/dossiers", headers=archivist, json={"remove": [codes[0]]})
    assert removed.status_code == 200 and removed.json()["dossier_codes"] == [codes[1]]
    with backends.uow() as uow:
        assert uow.archival_files.file_codes_of(codes[0]) == frozenset()
        assert uow.archival_files.file_codes_of(codes[1]) == frozenset({code})
        assert uow.archival_files.dossier_codes_in(code) == [codes[1]]


def test_refused_changes_leave_the_file_as_it_was(client: TestClient, auth: Auth, clock: FixedClock,
                                                  backends: Backends) -> None:
    archivist = auth("luutru.tranbien")
    first, second, third = (_closed(client, auth, clock, n) for n in (0, 1, 2))
    bad = client.post(f"{ARCHIVE}/files", headers=archivist, json={
        "organ_id": WARD, "year": YEAR, "notation": "01/../x", "title": "Hồ sơ", "maintenance": "10 năm"})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_file_notation")
    made = client.post(f"{ARCHIVE}/files", headers=archivist, json={
        "organ_id": WARD, "year": YEAR, "notation": "HT.01", "title": "Hồ sơ hộ tịch tháng 5", "maintenance": "10 năm",
        "dossier_codes": [first]})
    assert made.status_code == 201, made.text
    code = made.json()["file_code"]
    assert code == f"{WARD}.{YEAR}.HT.01" and made.json()["history"][0]["to"] == "open"

    again = client.post(f"{ARCHIVE}/files", headers=archivist, json={
        "organ_id": WARD, "year": YEAR, "notation": "HT.01", "title": "Lần hai", "maintenance": "10 năm"})
    assert (again.status_code, again.json()["code"]) == (409, "file_exists")

    # A second file claiming the same dossier is not created at all.
    clash = client.post(f"{ARCHIVE}/files", headers=archivist, json={
        "organ_id": WARD, "year": YEAR, "notation": "HT.02", "title": "Trùng", "maintenance": "10 năm",
        "dossier_codes": [second, first]})
    assert (clash.status_code, clash.json()["code"]) == (409, "dossier_already_filed")
    assert client.get(f"{ARCHIVE}/files/{WARD}.{YEAR}.HT.02", headers=archivist).status_code == 404

    # Removing a dossier that is not in the file refuses the whole request: the valid addition is not made either.
    mixed = client.post(f"{ARCHIVE}/files/{code}/dossiers", headers=archivist, json={"add": [second],
                                                                                      "remove": [third]})
    assert (mixed.status_code, mixed.json()["code"]) == (404, "dossier_not_in_file")
    assert client.get(f"{ARCHIVE}/files/{code}", headers=archivist).json()["dossier_codes"] == [first]

    # Closed: no more dossiers; an empty file is never deposited.
    assert client.post(f"{ARCHIVE}/files/{code}/state", headers=archivist, json={"state": "closed"}).status_code == 200
    closed = client.post(f"{ARCHIVE}/files/{code}/dossiers", headers=archivist, json={"add": [second]})
    assert (closed.status_code, closed.json()["code"]) == (422, "file_closed")
    empty = client.post(f"{ARCHIVE}/files", headers=archivist, json={
        "organ_id": WARD, "year": YEAR, "notation": "HT.03", "title": "Rỗng", "maintenance": "10 năm"}).json()
    for state, expected in (("closed", 200), ("deposited_agency", 422)):
        answer = client.post(f"{ARCHIVE}/files/{empty['file_code']}/state", headers=archivist, json={"state": state})
        assert answer.status_code == expected, answer.text
    assert answer.json()["code"] == "file_empty"

    # Deposited to the historical archive, a file's document metadata no longer changes.
    actor = load_principal(uow=backends.uow(), username="luutru.tranbien")
    for state in (FileState.DEPOSITED_AGENCY, FileState.DEPOSITED_HISTORICAL):  # at the service layer
        move_file(uow=backends.uow(), clock=clock, actor=actor, file_code=code, to=state)
    document_id = client.get(f"{ARCHIVE}/files/{code}", headers=archivist).json()["documents"][0]["document_id"]
    late = client.patch(f"{ARCHIVE}/files/{code}/documents/{document_id}", headers=archivist, json={"Subject": "x"})
    assert (late.status_code, late.json()["code"]) == (409, "file_deposited")


def test_gathering_by_procedure_takes_only_that_procedure(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    archivist = auth("luutru.tranbien")
    _closed(client, auth, clock, 0)
    none = client.post(f"{ARCHIVE}/files/gather", headers=archivist, json={
        "agency_code": WARD, "year": YEAR, "procedure_code": "1.000000"})
    assert none.status_code == 200 and none.json()["count"] == 0
    file = _gather(client, archivist, procedure_code="1.001193")
    assert file["file_notation"] == "1.001193" and len(file["dossier_codes"]) == 1  # type: ignore[arg-type]


def test_the_decree_30_export_is_audited_and_notes_a_missing_document(
        client: TestClient, auth: Auth, clock: FixedClock, backends: Backends) -> None:
    archivist = auth("luutru.tranbien")
    codes = [_closed(client, auth, clock, n) for n in (0, 1)]
    code = str(_gather(client, archivist)["file_code"])
    whole = client.get(f"{ARCHIVE}/files/{code}/export.pdf", headers=archivist)
    assert whole.status_code == 200
    with pikepdf.open(io.BytesIO(whole.content)) as pdf:
        complete = len(pdf.pages)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(whole.content)).pages]
    assert code in pages[0] and "MỤC LỤC VĂN BẢN" in pages[1]  # the cover, the document list
    assert ["hslt0" in p for p in pages[2:]] == [True, False]  # the documents, oldest first
    assert ["hslt1" in p for p in pages[2:]] == [False, True]

    # One document's content is gone from the store: the export still runs and says which one, in its place.
    with backends.uow() as uow:
        gone = uow.documents.list_for_dossier(codes[1])[0]
    for key in (derived_key(gone.sha256, SEARCHABLE_PDF), original_key(gone.sha256)):
        if backends.blobs.exists(key):
            backends.blobs.delete(key)
    partial = client.get(f"{ARCHIVE}/files/{code}/export.pdf", headers=archivist)
    assert partial.status_code == 200
    with pikepdf.open(io.BytesIO(partial.content)) as pdf:
        assert len(pdf.pages) == complete  # a notice page instead of the one-page document
    last = PdfReader(io.BytesIO(partial.content)).pages[-1].extract_text()
    assert "could not be read" in last and gone.id in last.replace("\n", "")
    xml = client.get(f"{ARCHIVE}/files/{code}/metadata.xml", headers=archivist)
    assert xml.status_code == 200 and b"<DocTotal>2</DocTotal>" in xml.content

    with backends.uow() as uow:
        exports = [e.entry for e in uow.access_log.chain() if e.entry.action is AccessKind.FILE_EXPORTED]
    assert [(e.username, e.detail["file_code"], e.detail["form"]) for e in exports] == [
        ("luutru.tranbien", code, "pdf"), ("luutru.tranbien", code, "pdf"), ("luutru.tranbien", code, "xml")]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_migration_moves_recorded_states_into_the_history_table(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as url:
        downgrade(url, "0007")
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO archival_files (id, file_code, organ_id, file_catalog, file_notation, title, maintenance,"
                " rights, creator, language, description, state, created_by, created_at, history) VALUES ('f1',"
                " 'A.2020.X', 'A', 2020, 'X', 'T', '05 năm', 'R', 'C', 'vi', '', 'closed', 'u',"
                " '2021-01-02 03:04:05+00:00', :history)"),
                {"history": '[{"from": "open", "to": "closed", "by": "luutru", "at": "2021-02-03T04:05:06+00:00",'
                            ' "note": "xong"}]'})
        upgrade(url)
        with engine.begin() as connection:
            rows = connection.execute(select(text("file_id, by, from_state, to_state, note"))
                                      .select_from(text("archival_file_events"))).all()
        engine.dispose()
    assert [tuple(r) for r in rows] == [("f1", "luutru", "open", "closed", "xong")]
