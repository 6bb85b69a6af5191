"""Use cases for archival files (hồ sơ lưu trữ): gathering closed dossiers by agency, year and procedure (or by hand),
the documents' Decree 30 metadata, deposit states and reminders, and the file's Decree 30 export."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from records.access import Principal, Role
from records.access_log import AccessKind
from records.agencies import Agency
from records.archival_files import (
    ArchivalDocument,
    ArchivalFile,
    FileState,
    FileSummary,
    check_file_metadata,
    maintenance_label,
)
from records.archive import archive_agencies, require_archive_role
from records.archive_alerts import ArchiveAlert
from records.clock import Clock, local_date
from records.decree30 import FileMetadata, file_xml
from records.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from records.ports import DossierFilters, DossierQuery, UnitOfWork
from records.retention import CLOSED_STATES
from records.services.access import audited, dossier_not_found
from records.services.bags import document_entry

DEPOSIT_AFTER = timedelta(days=365)  # to the agency archive within a year of the file's end (Law on Archives)
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
    if uow.archival_files.file_code_of(code) is not None:
        raise Conflict("Hồ sơ đã thuộc một hồ sơ lưu trữ khác.", "The dossier is already in an archival file.",
                       code="dossier_already_filed", detail={"dossier_code": code})
    uow.archival_files.add_dossier(file.id, code)
    audited(uow, actor, AccessKind.FILE_CHANGED, now, dossier_code=code,
            detail={"file_code": file.file_code, "added": True})


def create_file(*, uow: UnitOfWork, clock: Clock, actor: Principal, organ_id: str, year: int, notation: str,
                title: str, maintenance: str, rights: str = "Hạn chế sử dụng", description: str = "",
                procedure_code: str | None = None, dossier_codes: list[str] | None = None) -> FileSummary:
    """An archival file made by hand (its dossiers may follow)."""
    require_archive_role(actor, *EDITORS)
    if not notation.strip() or not title.strip() or not 1900 <= year <= 2200:
        raise ValidationFailed("Cần ký hiệu, tiêu đề và năm hợp lệ.",
                               "A notation, a title and a valid year are needed.", code="invalid_file")
    now = clock.now()
    with uow:
        uow.begin_write()
        agency = _own_agency(uow, actor, organ_id)
        file = ArchivalFile(id=uuid.uuid4().hex, organ_id=organ_id, file_catalog=year, file_notation=notation.strip(),
                            title=title.strip(), maintenance=maintenance, rights=rights, creator=agency.name,
                            description=description, procedure_code=procedure_code, created_by=actor.username,
                            created_at=now, deposit_due_on=date(year, 12, 31) + DEPOSIT_AFTER)
        if uow.archival_files.get(file.file_code) is not None:
            raise Conflict("Mã hồ sơ lưu trữ đã tồn tại.", "That file code exists.", code="file_exists",
                           detail={"file_code": file.file_code})
        uow.archival_files.add(file)
        audited(uow, actor, AccessKind.FILE_CHANGED, now, detail={"file_code": file.file_code, "created": True})
        for code in dossier_codes or []:
            _add(uow, actor, file, code, now)
        _renumber(uow, file)
        result = summary(uow, file)
        uow.commit()
    return result


def gather_files(*, uow: UnitOfWork, clock: Clock, actor: Principal, agency_code: str, year: int) -> list[FileSummary]:
    """Gathers the agency's dossiers closed in `year` and not yet filed into one file per procedure (created when
    missing, notation = procedure code). Safe to repeat."""
    require_archive_role(actor, *EDITORS)
    now = clock.now()
    with uow:
        uow.begin_write()
        agency = _own_agency(uow, actor, agency_code)
        found, _ = uow.dossiers.find(DossierQuery(DossierFilters(agency_code=agency_code, states=CLOSED_STATES,
                                                                 limit=100_000), visible_agencies=None, now=now))
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
                    created_by=actor.username, created_at=now, deposit_due_on=date(year, 12, 31) + DEPOSIT_AFTER)
                uow.archival_files.add(file)
                audited(uow, actor, AccessKind.FILE_CHANGED, now, detail={"file_code": code, "created": True})
            if file.state is not FileState.OPEN:
                continue
            touched[code] = file
            _add(uow, actor, file, dossier.code, now)
        for file in touched.values():
            _renumber(uow, file)
        result = [summary(uow, f) for f in touched.values()]
        uow.commit()
    return result


def change_dossiers(*, uow: UnitOfWork, clock: Clock, actor: Principal, file_code: str, add: list[str],
                    remove: list[str]) -> FileSummary:
    require_archive_role(actor, *EDITORS)
    now = clock.now()
    with uow:
        uow.begin_write()
        file = _in_scope(uow, actor, file_code, for_update=True)
        if file.state is not FileState.OPEN:
            raise ValidationFailed("Hồ sơ lưu trữ đã đóng.", "The archival file is closed.", code="file_closed")
        for code in remove:
            uow.archival_files.remove_dossier(file.id, code)
            audited(uow, actor, AccessKind.FILE_CHANGED, now, dossier_code=code,
                    detail={"file_code": file_code, "removed": True})
        for code in add:
            _add(uow, actor, file, code, now)
        _renumber(uow, file)
        result = summary(uow, file)
        uow.commit()
    return result


def edit_document(*, uow: UnitOfWork, clock: Clock, actor: Principal, file_code: str, document_id: str,
                  values: dict[str, Any]) -> ArchivalDocument:
    """The archivist corrects a document's Decree 30 metadata (what was prefilled stays for the rest)."""
    require_archive_role(actor, *EDITORS)
    check_file_metadata(values)
    with uow:
        uow.begin_write()
        file = _in_scope(uow, actor, file_code)
        current = next((d for d in uow.archival_files.documents(file.id) if d.document_id == document_id), None)
        if current is None:
            raise NotFound("Không tìm thấy văn bản trong hồ sơ lưu trữ.", "Document not in the file.",
                           code="document_not_found", detail={"document_id": document_id})
        updated = ArchivalDocument(current.document_id, current.dossier_code, current.doc_ordinal,
                                   {**current.metadata, **values})
        uow.archival_files.update_document(updated)
        audited(uow, actor, AccessKind.FILE_CHANGED, clock.now(), dossier_code=current.dossier_code,
                document_id=document_id, detail={"file_code": file_code, "metadata": values})
        uow.commit()
    return updated


def move_file(*, uow: UnitOfWork, clock: Clock, actor: Principal, file_code: str, to: FileState,
              note: str = "") -> ArchivalFile:
    """Closes a file, deposits it to the agency archive, then to the historical archive; each step recorded."""
    require_archive_role(actor, *EDITORS)
    now = clock.now()
    with uow:
        uow.begin_write()
        file = _in_scope(uow, actor, file_code, for_update=True)
        file.move(to, by=actor.username, at=now, note=note)
        uow.archival_files.save(file)
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


def remind_deposits(*, uow: UnitOfWork, clock: Clock) -> int:
    """Raises a deposit_due archive alert for every file due for deposit within 30 days (once per file)."""
    today = local_date(clock.now())
    raised = 0
    with uow:
        uow.begin_write()
        files, _ = uow.archival_files.find(agencies=None, deposit_due_by=today + REMIND_BEFORE, limit=10_000)
        for file in files:
            if uow.archive_alerts.raise_once(ArchiveAlert(
                    kind="deposit_due", subject=file.file_code, agency_code=file.organ_id, raised_at=clock.now(),
                    message_vi=f"Hồ sơ lưu trữ {file.file_code} đến hạn nộp lưu ngày "
                               f"{file.deposit_due_on.strftime('%d/%m/%Y') if file.deposit_due_on else ''}.",
                    message_en=f"Archival file {file.file_code} is due for deposit on {file.deposit_due_on}.",
                    detail={"file_code": file.file_code, "deposit_due_on": str(file.deposit_due_on)})):
                raised += 1
        uow.commit()
    return raised
