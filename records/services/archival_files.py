"""Use cases for archival files (hồ sơ lưu trữ): gathering closed dossiers by agency, year and procedure (or by hand),
the documents' Decree 30 metadata, deposit states and reminders, and the file's Decree 30 export."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from records.access import Principal, Role
from records.access_log import AccessKind
from records.agencies import Agency
from records.archival_files import (
    ArchivalDocument,
    ArchivalFile,
    DepositRule,
    FileEvent,
    FileState,
    FileSummary,
    check_file_metadata,
    check_file_notation,
    maintenance_label,
)
from records.archive import archive_agencies, require_archive_role
from records.archive_alerts import ArchiveAlert
from records.clock import Clock, local_date
from records.decree30 import FileMetadata, file_xml
from records.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from records.holds import HoldScope, on_hold
from records.ports import DossierFilters, DossierQuery, UnitOfWork
from records.retention import CLOSED_STATES
from records.services.access import audited, dossier_not_found
from records.services.bags import document_entry
from records.services.holds import ensure_not_held

REMIND_BEFORE = timedelta(days=30)  # Decree 30 App. VI: remind 30 days ahead of files due for deposit
EDITORS = (Role.ARCHIVIST, Role.ADMIN)


def _file_not_found(file_code: str) -> NotFound:
    return NotFound("Không tìm thấy hồ sơ lưu trữ.", "Archival file not found.", code="file_not_found",
                    detail={"file_code": file_code})


def _in_scope(uow: UnitOfWork, actor: Principal | None, file_code: str, *, for_update: bool = False) -> ArchivalFile:
    file = uow.archival_files.get(file_code, for_update=for_update)
    scope = None if actor is None else archive_agencies(actor, uow.agencies.list())
    if file is None or (scope is not None and file.organ_id not in scope):
        raise _file_not_found(file_code)
    return file


def _own_agency(uow: UnitOfWork, actor: Principal, agency_code: str) -> Agency:
    """The agency, when its records are in the actor's archive; else 403 outside_archive_scope."""
    scope = archive_agencies(actor, uow.agencies.list())
    agency = uow.agencies.get(agency_code)
    if agency is None or (scope is not None and agency_code not in scope):
        raise PermissionDenied("Cơ quan không thuộc phạm vi lưu trữ của bạn.", "The agency is not in your archive.",
                               code="outside_archive_scope", detail={"agency_code": agency_code})
    return agency


def _renumber(uow: UnitOfWork, file: ArchivalFile) -> None:
    """DocOrdinal follows the documents' dates (chronological); an archivist's metadata edits are kept."""
    kept = {d.document_id: d.metadata for d in uow.archival_files.documents(file.id)}
    documents = []
    for code in uow.archival_files.dossier_codes_in(file.id):
        documents += uow.documents.list_for_dossier(code)
    documents.sort(key=lambda d: (d.metadata.issued_date or local_date(d.uploaded_at), d.uploaded_at, d.id))
    uow.archival_files.set_documents(file.id, [
        ArchivalDocument(d.id, d.dossier_code, n, kept.get(d.id, {})) for n, d in enumerate(documents, start=1)])


def _ensure_file_not_held(uow: UnitOfWork, file: ArchivalFile, dossier_codes: list[str]) -> None:
    """423 on_hold when the file itself or any of these dossiers is frozen: a held file keeps its dossiers, its
    documents' metadata and its state."""
    held = uow.holds.covering([(HoldScope.FILE, file.file_code)])
    if held:
        raise on_hold(held)
    ensure_not_held(uow, dossier_codes)


def _refresh_due(uow: UnitOfWork, file: ArchivalFile, rule: DepositRule) -> FileSummary:
    """Recomputes the file's deposit due date from its EndDate and state (after its content or state changed)."""
    result = summary(uow, file)
    file.deposit_due_on = rule.due_on(file.state, file.file_catalog, result.end_date, file.maintenance)
    uow.archival_files.save(file)
    return result


def _created(uow: UnitOfWork, actor: Principal, file: ArchivalFile, now: datetime, note: str) -> bool:
    """Adds the file with its first history step; False (nothing written) when its code is taken."""
    if not uow.archival_files.add(file):
        return False
    event = FileEvent(at=now, by=actor.username, to_state=FileState.OPEN, note=note)
    uow.archival_files.add_event(file.id, event)
    file.history.append(event.as_dict())
    audited(uow, actor, AccessKind.FILE_CHANGED, now, detail={"file_code": file.file_code, "created": True})
    return True


def summary(uow: UnitOfWork, file: ArchivalFile) -> FileSummary:
    codes = uow.archival_files.dossier_codes_in(file.id)
    dossiers = uow.dossiers.get_many(codes)
    documents = [d for c in codes for d in uow.documents.list_for_dossier(c)]
    starts = [local_date(d.received_at) for d in dossiers]
    ends = [local_date(d.completed_at or d.last_moved_at or d.received_at) for d in dossiers]
    return FileSummary(file, codes, min(starts) if starts else None, max(ends) if ends else None, len(documents),
                       sum(d.page_count or 0 for d in documents))


def _add(uow: UnitOfWork, actor: Principal, file: ArchivalFile, code: str, now: Any) -> None:
    dossier = uow.dossiers.get(code)
    if dossier is None or dossier.receiving_agency_code != file.organ_id:
        raise dossier_not_found(code)
    if dossier.state not in CLOSED_STATES:
        raise ValidationFailed("Chỉ hồ sơ đã kết thúc mới được đưa vào hồ sơ lưu trữ.",
                               "Only closed dossiers go into an archival file.", code="dossier_not_closed",
                               detail={"dossier_code": code})
    if not uow.archival_files.add_dossier(file.id, code):
        raise Conflict("Hồ sơ đã thuộc một hồ sơ lưu trữ khác.", "The dossier is already in an archival file.",
                       code="dossier_already_filed", detail={"dossier_code": code})
    audited(uow, actor, AccessKind.FILE_CHANGED, now, dossier_code=code,
            detail={"file_code": file.file_code, "added": True})


def create_file(*, uow: UnitOfWork, clock: Clock, actor: Principal, organ_id: str, year: int, notation: str,
                title: str, maintenance: str, rights: str = "Hạn chế sử dụng", description: str = "",
                procedure_code: str | None = None, dossier_codes: list[str] | None = None,
                rule: DepositRule = DepositRule()) -> FileSummary:
    """An archival file made by hand (its dossiers may follow)."""
    require_archive_role(actor, *EDITORS)
    notation = check_file_notation(notation)
    if not title.strip() or not maintenance.strip() or not 1900 <= year <= 2200:
        raise ValidationFailed("Cần ký hiệu, tiêu đề và năm hợp lệ.",
                               "A notation, a title and a valid year are needed.", code="invalid_file")
    now = clock.now()
    with uow:
        uow.begin_write()
        agency = _own_agency(uow, actor, organ_id)
        file = ArchivalFile(id=uuid.uuid4().hex, organ_id=organ_id, file_catalog=year, file_notation=notation.strip(),
                            title=title.strip(), maintenance=maintenance, rights=rights, creator=agency.name,
                            description=description, procedure_code=procedure_code, created_by=actor.username,
                            created_at=now)
        if not _created(uow, actor, file, now, "lập bằng tay / made by hand"):
            raise Conflict("Mã hồ sơ lưu trữ đã tồn tại.", "That file code exists.", code="file_exists",
                           detail={"file_code": file.file_code})
        for code in dossier_codes or []:
            _add(uow, actor, file, code, now)
        _renumber(uow, file)
        result = _refresh_due(uow, file, rule)
        uow.commit()
    return result


def gather_files(*, uow: UnitOfWork, clock: Clock, actor: Principal, agency_code: str, year: int,
                 procedure_code: str | None = None, rule: DepositRule = DepositRule()) -> list[FileSummary]:
    """Gathers the agency's dossiers closed in `year` (of one procedure, or of all) and not yet filed into one file per
    procedure (created when missing, notation = procedure code). Safe to repeat: a second run adds only what closed
    since; a file no longer open is left as it is."""
    require_archive_role(actor, *EDITORS)
    now = clock.now()
    with uow:
        uow.begin_write()
        agency = _own_agency(uow, actor, agency_code)
        found, _ = uow.dossiers.find(DossierQuery(DossierFilters(agency_code=agency_code, states=CLOSED_STATES,
                                                                 procedure_code=procedure_code, limit=100_000),
                                                  visible_agencies=None, now=now))
        touched: dict[str, ArchivalFile] = {}
        for dossier in sorted(found, key=lambda d: d.code):
            closed = local_date(dossier.completed_at or dossier.last_moved_at or dossier.received_at)
            if closed.year != year or dossier.receiving_agency_code != agency_code \
                    or uow.archival_files.file_code_of(dossier.code) is not None:
                continue
            procedure = uow.procedures.get(dossier.procedure_code)
            code = f"{agency_code}.{year}.{dossier.procedure_code}"
            file = touched.get(code) or uow.archival_files.get(code)
            if file is None:
                line = uow.retention.get(dossier.code)
                file = ArchivalFile(
                    id=uuid.uuid4().hex, organ_id=agency_code, file_catalog=year, file_notation=dossier.procedure_code,
                    title=f"Hồ sơ giải quyết thủ tục {procedure.name if procedure else dossier.procedure_code} "
                          f"năm {year}",
                    maintenance=maintenance_label(line.years if line else (procedure.retention_years
                                                                           if procedure else None)),
                    rights="Hạn chế sử dụng", creator=agency.name, procedure_code=dossier.procedure_code,
                    created_by=actor.username, created_at=now)
                if not _created(uow, actor, file, now, "lập tự động / gathered"):
                    file = uow.archival_files.get(code)  # a concurrent gathering made it first
            if file is None or file.state is not FileState.OPEN:
                continue
            if not uow.archival_files.add_dossier(file.id, dossier.code):
                continue  # filed by a concurrent gathering
            audited(uow, actor, AccessKind.FILE_CHANGED, now, dossier_code=dossier.code,
                    detail={"file_code": file.file_code, "added": True})
            touched[code] = file
        result = []
        for file in touched.values():
            _renumber(uow, file)
            result.append(_refresh_due(uow, file, rule))
        uow.commit()
    return result


def change_dossiers(*, uow: UnitOfWork, clock: Clock, actor: Principal, file_code: str, add: list[str],
                    remove: list[str], rule: DepositRule = DepositRule()) -> FileSummary:
    """Adds and removes dossiers while the file is open; all or nothing. A dossier is in one file at most; only
    closed dossiers of the file's agency go in; nothing leaves a held file, and a held dossier stays where it is."""
    require_archive_role(actor, *EDITORS)
    now = clock.now()
    with uow:
        uow.begin_write()
        file = _in_scope(uow, actor, file_code, for_update=True)
        if file.state is not FileState.OPEN:
            raise ValidationFailed("Hồ sơ lưu trữ đã đóng.", "The archival file is closed.", code="file_closed")
        members = set(uow.archival_files.dossier_codes_in(file.file_code))
        missing = sorted(set(remove) - members)
        if missing:
            raise NotFound("Hồ sơ không có trong hồ sơ lưu trữ này.", "The dossier is not in this archival file.",
                           code="dossier_not_in_file", detail={"dossier_codes": missing[:20]})
        _ensure_file_not_held(uow, file, sorted(set(remove)))
        for code in sorted(set(remove)):
            uow.archival_files.remove_dossier(file.id, code)
            audited(uow, actor, AccessKind.FILE_CHANGED, now, dossier_code=code,
                    detail={"file_code": file_code, "removed": True})
        for code in add:
            _add(uow, actor, file, code, now)
        _renumber(uow, file)
        result = _refresh_due(uow, file, rule)
        uow.commit()
    return result


def edit_document(*, uow: UnitOfWork, clock: Clock, actor: Principal, file_code: str, document_id: str,
                  values: dict[str, Any]) -> ArchivalDocument:
    """The archivist corrects a document's Decree 30 metadata (what was prefilled stays for the rest)."""
    require_archive_role(actor, *EDITORS)
    check_file_metadata(values)
    with uow:
        uow.begin_write()
        file = _in_scope(uow, actor, file_code, for_update=True)
        current = next((d for d in uow.archival_files.documents(file.id) if d.document_id == document_id), None)
        if current is None:
            raise NotFound("Không tìm thấy văn bản trong hồ sơ lưu trữ.", "Document not in the file.",
                           code="document_not_found", detail={"document_id": document_id})
        if file.state is FileState.DEPOSITED_HISTORICAL:
            raise Conflict("Hồ sơ đã nộp lưu vào Lưu trữ lịch sử, không sửa được thông tin.",
                           "The file is in the historical archive; its metadata can no longer change.",
                           code="file_deposited", detail={"file_code": file_code})
        _ensure_file_not_held(uow, file, [current.dossier_code])
        updated = ArchivalDocument(current.document_id, current.dossier_code, current.doc_ordinal,
                                   {**current.metadata, **values})
        uow.archival_files.update_document(file.id, updated)
        audited(uow, actor, AccessKind.FILE_CHANGED, clock.now(), dossier_code=current.dossier_code,
                document_id=document_id, detail={"file_code": file_code, "metadata": values})
        uow.commit()
    return updated


def move_file(*, uow: UnitOfWork, clock: Clock, actor: Principal, file_code: str, to: FileState,
              note: str = "", rule: DepositRule = DepositRule()) -> ArchivalFile:
    """Closes a file, deposits it to the agency archive, then to the historical archive; each step recorded in the
    file's history and the audit chain. Refused while the file or one of its dossiers is held; an empty file is not
    deposited."""
    require_archive_role(actor, *EDITORS)
    now = clock.now()
    with uow:
        uow.begin_write()
        file = _in_scope(uow, actor, file_code, for_update=True)
        codes = uow.archival_files.dossier_codes_in(file.file_code)
        _ensure_file_not_held(uow, file, codes)
        if to in (FileState.DEPOSITED_AGENCY, FileState.DEPOSITED_HISTORICAL) and not codes:
            raise ValidationFailed("Hồ sơ lưu trữ chưa có hồ sơ nào, không nộp lưu được.",
                                   "An empty archival file cannot be deposited.", code="file_empty",
                                   detail={"file_code": file_code})
        event = file.move(to, by=actor.username, at=now, note=note)
        uow.archival_files.add_event(file.id, event)
        _refresh_due(uow, file, rule)
        audited(uow, actor, AccessKind.FILE_CHANGED, now, detail={"file_code": file_code, "state": to.value,
                                                                  "note": note})
        uow.commit()
    return file


def list_files(*, uow: UnitOfWork, actor: Principal, year: int | None = None, state: FileState | None = None,
               deposit_due_within_days: int | None = None, today: date | None = None, limit: int = 100,
               offset: int = 0) -> tuple[list[FileSummary], int]:
    require_archive_role(actor, Role.ARCHIVIST, Role.LEADER, Role.AUDITOR)
    due_by = None if deposit_due_within_days is None else (today or date.today()) + timedelta(
        days=deposit_due_within_days)
    with uow:
        scope = archive_agencies(actor, uow.agencies.list())
        files, count = uow.archival_files.find(agencies=scope, year=year, state=state, deposit_due_by=due_by,
                                               limit=limit, offset=offset)
        return [summary(uow, f) for f in files], count


def file_detail(*, uow: UnitOfWork, actor: Principal | None,
                file_code: str) -> tuple[FileSummary, list[ArchivalDocument], FileMetadata]:
    if actor is not None:
        require_archive_role(actor, Role.ARCHIVIST, Role.LEADER, Role.AUDITOR)
    with uow:
        file = _in_scope(uow, actor, file_code)
        result = summary(uow, file)
        entries = uow.archival_files.documents(file.id)
        documents = {d.id: d for c in result.dossier_codes for d in uow.documents.list_for_dossier(c)}
    metadata = FileMetadata(
        organ_id=file.organ_id, file_catalog=file.file_catalog, file_notation=file.file_notation, title=file.title,
        maintenance=file.maintenance, rights=file.rights, creator=file.creator, start_date=result.start_date,
        end_date=result.end_date, language=file.language, description=file.description,
        documents=[document_entry(documents[e.document_id], e.doc_ordinal, e.metadata) for e in entries
                   if e.document_id in documents])
    return result, entries, metadata


def file_export(*, uow: UnitOfWork, actor: Principal | None, file_code: str) -> tuple[FileSummary, bytes]:
    """The file's Decree 30 XML with its documents in chronological order."""
    result, _, metadata = file_detail(uow=uow, actor=actor, file_code=file_code)
    return result, file_xml(metadata)


@dataclass(frozen=True)
class FileExport:
    """What the Decree 30 export of one file needs: its figures, its documents in DocOrdinal order with their
    metadata and the SHA-256 of each original (the caller reads the best rendition from the blob store)."""

    summary: FileSummary
    metadata: FileMetadata
    document_ids: list[str]
    sha256: dict[str, str]

    @property
    def xml(self) -> bytes:
        return file_xml(self.metadata)


def export_file(*, uow: UnitOfWork, clock: Clock, actor: Principal, file_code: str, form: str) -> FileExport:
    """The Decree 30 export of one file (`form`: "pdf" or "xml"), recorded in the audit chain as a read of the whole
    file."""
    result, entries, metadata = file_detail(uow=uow, actor=actor, file_code=file_code)
    with uow:
        hashes = {e.document_id: d.sha256 for e in entries if (d := uow.documents.get(e.document_id)) is not None}
        uow.begin_write()
        audited(uow, actor, AccessKind.FILE_EXPORTED, clock.now(),
                detail={"file_code": file_code, "form": form, "documents": len(entries)})
        uow.commit()
    return FileExport(result, metadata, [e.document_id for e in entries], hashes)


def remind_deposits(*, uow: UnitOfWork, clock: Clock) -> int:
    """Raises an archive alert for every file due for deposit within 30 days (once per file and step):
    `deposit_due` (to the agency archive) or `historical_deposit_due` (on to the historical archive)."""
    today = local_date(clock.now())
    raised = 0
    with uow:
        uow.begin_write()
        files, _ = uow.archival_files.find(agencies=None, deposit_due_by=today + REMIND_BEFORE, limit=10_000)
        for file in files:
            historical = file.state is FileState.DEPOSITED_AGENCY
            where_vi, where_en = ("Lưu trữ lịch sử", "the historical archive") if historical else (
                "Lưu trữ cơ quan", "the agency archive")
            due = file.deposit_due_on.strftime("%d/%m/%Y") if file.deposit_due_on else ""
            if uow.archive_alerts.raise_once(ArchiveAlert(
                    kind="historical_deposit_due" if historical else "deposit_due", subject=file.file_code,
                    agency_code=file.organ_id, raised_at=clock.now(),
                    message_vi=f"Hồ sơ lưu trữ {file.file_code} đến hạn nộp lưu vào {where_vi} ngày {due}.",
                    message_en=f"Archival file {file.file_code} is due for deposit to {where_en} on "
                               f"{file.deposit_due_on}.",
                    detail={"file_code": file.file_code, "deposit_due_on": str(file.deposit_due_on),
                            "to": FileState.DEPOSITED_HISTORICAL.value if historical
                            else FileState.DEPOSITED_AGENCY.value})):
                raised += 1
        uow.commit()
    return raised
