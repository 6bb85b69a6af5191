"""Use cases for bringing in past archives (nhập hồ sơ cũ): one manifest row, one dossier with its files.

A row is checked in full before anything is written; then its originals are stored (keyed by their SHA-256, as
uploads are), and the dossier, its history, its documents, their blob registry lines, its retention clock, the
import journal's line and the audit entry are written in one transaction. If that fails the originals no document
references are removed again: no dossier without its files, no orphan blob. OCR and indexing follow through the
task queue, as for an upload.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from records.access_log import AccessKind
from records.blobs import BlobIntegrityError, BlobStore, original_key
from records.calendar import WorkingCalendar
from records.clock import Clock, local_date
from records.documents import Document, DocumentStatus
from records.errors import Conflict
from records.outbox import index_dossier_later, process_document_later
from records.past_dossiers import ImportEntry, PastDossier, PastFile, import_actor, imported_dossier, rejected
from records.ports import UnitOfWork
from records.procedures import DocumentType, Procedure
from records.services.access import audited
from records.services.fixity import register_document_blobs
from records.services.retention import record_closure


class Outcome(StrEnum):
    IMPORTED = "imported"
    SKIPPED = "skipped"  # imported before, by the same row
    VALID = "valid"  # a dry run: would be imported


@dataclass(frozen=True)
class PastImport:
    outcome: Outcome
    dossier_code: str
    document_ids: tuple[str, ...] = ()
    pages: int = 0


@dataclass(frozen=True)
class ImportSource:
    """Where the row comes from, for the history note, the journal and the audit entry."""

    manifest: str
    row_number: int


def _check(uow: UnitOfWork, past: PastDossier) -> tuple[Outcome, Procedure | None, tuple[str, ...]]:
    """Inside the caller's unit of work: skipped (with the documents imported then), or valid (with the procedure).
    The documents' OCR (or, for a dossier without files, its indexing) is recorded in the outbox with the rows.
    Raises ValidationFailed (unknown agency or procedure) or Conflict (the code belongs to another dossier)."""
    entry = uow.imports.get(past.code)
    if entry is not None:
        if entry.fingerprint == past.fingerprint():
            return Outcome.SKIPPED, None, tuple(d.id for d in uow.documents.list_for_dossier(past.code))
        raise Conflict("Mã hồ sơ đã được nhập trước đó với nội dung khác (ngày, trạng thái, người nộp hoặc tệp).",
                       "This dossier code was imported before with different content (dates, state, applicant "
                       "or files).", code="duplicate_code",
                       detail={"dossier_code": past.code, "first_source": entry.source, "first_row": entry.row_number})
    if uow.dossiers.get(past.code) is not None:
        raise Conflict("Mã hồ sơ đã có trên hệ thống (hồ sơ không phải được nhập).",
                       "The dossier code is already in use by a dossier that was not imported.",
                       code="code_in_use", detail={"dossier_code": past.code})
    if uow.agencies.get(past.agency_code) is None:
        raise rejected("unknown_agency", f"Cơ quan '{past.agency_code}' không có trong danh mục.",
                       f"Unknown agency '{past.agency_code}'.", agency_code=past.agency_code)
    procedure = uow.procedures.get(past.procedure_code)
    if procedure is None:
        raise rejected("unknown_procedure", f"Thủ tục '{past.procedure_code}' không có trong danh mục.",
                       f"Unknown procedure '{past.procedure_code}'.", procedure_code=past.procedure_code)
    return Outcome.VALID, procedure, ()


def check_past_dossier(*, uow: UnitOfWork, past: PastDossier) -> PastImport:
    """What importing the row would do, writing nothing (`hoso import --dry-run`)."""
    with uow:
        outcome, _, documents = _check(uow, past)
    return PastImport(outcome, past.code, documents, 0 if outcome is Outcome.SKIPPED else past.pages)


def import_past_dossier(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock, calendar: WorkingCalendar,
                        past: PastDossier, source: ImportSource) -> PastImport:
    """Imports one past dossier with its files, or skips it when the same row was imported before.

    The documents' OCR (or, for a dossier without files, its indexing) is recorded in the outbox with the rows.
    Raises ValidationFailed or Conflict (the row is refused, nothing written), BackendUnavailable or a database
    error (nothing of this row written either; the caller may stop and run again later)."""
    check = check_past_dossier(uow=uow, past=past)
    if check.outcome is Outcome.SKIPPED:
        return check
    stored: list[str] = []
    try:
        for file in past.files:
            _store(blobs, file)
            stored.append(file.sha256)
        documents = _write(uow, clock, calendar, past, source)
    except BaseException:
        _forget_unreferenced(uow, blobs, stored)
        raise
    return PastImport(Outcome.IMPORTED, past.code, tuple(d.id for d in documents), past.pages)


def _store(blobs: BlobStore, file: PastFile) -> None:
    """The original, streamed into the store; a file gone or changed since it was checked refuses the row."""
    try:
        stream = file.path.open("rb")
    except OSError as error:
        raise rejected("file_unreadable", f"Không đọc được tệp '{file.relative_path}'.",
                       f"Cannot read the file '{file.relative_path}'.", file=file.relative_path,
                       error=error.strerror or str(error)) from None
    with stream:
        try:
            blobs.put(original_key(file.sha256), stream, sha256=file.sha256, content_type=file.media_type)
        except BlobIntegrityError:
            raise rejected("file_changed", f"Tệp '{file.relative_path}' đã thay đổi trong lúc nhập.",
                           f"The file '{file.relative_path}' changed while it was being imported.",
                           file=file.relative_path) from None


def _write(uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar, past: PastDossier,
           source: ImportSource) -> list[Document]:
    now = clock.now()
    actor = import_actor(past.agency_code)
    with uow:
        uow.begin_write()
        outcome, procedure, _ = _check(uow, past)  # again, as a writer: a concurrent run may have taken the code
        if outcome is Outcome.SKIPPED:
            raise Conflict(code="already_imported", detail={"dossier_code": past.code})
        assert procedure is not None
        dossier, events = imported_dossier(past, procedure=procedure, calendar=calendar, actor=actor,
                                           imported_on=local_date(now),
                                           source=f"{source.manifest} dòng {source.row_number}")
        uow.dossiers.add(dossier, events)
        documents = [Document(
            id=uuid.uuid4().hex, dossier_code=past.code, document_type=DocumentType.OTHER, title=file.filename,
            filename=file.filename, media_type=file.media_type, size_bytes=file.size_bytes, sha256=file.sha256,
            uploaded_by=actor.username, uploaded_at=now, status=DocumentStatus.QUEUED, status_changed_at=now,
            uploaded_agency_code=past.agency_code, is_result=file.is_result) for file in past.files]
        for document in documents:
            uow.documents.add(document)
            register_document_blobs(uow, document, {}, now)
            process_document_later(uow.outbox, document.id)
        if not documents:
            index_dossier_later(uow.outbox, past.code)
        record_closure(uow, dossier, past.closed_at)
        uow.imports.add(ImportEntry(dossier_code=past.code, fingerprint=past.fingerprint(), source=source.manifest,
                                    row_number=source.row_number, imported_at=now, documents=len(documents),
                                    pages=past.pages))
        audited(uow, actor, AccessKind.DOSSIER_IMPORTED, now, dossier_code=past.code, detail={
            "manifest": source.manifest, "row": source.row_number, "state": past.state.value,
            "received_at": past.received_at.isoformat(), "closed_at": past.closed_at.isoformat(),
            "files": [{"path": f.relative_path, "sha256": f.sha256, "pages": f.page_count} for f in past.files]})
        uow.commit()
    return documents


def _forget_unreferenced(uow: UnitOfWork, blobs: BlobStore, hashes: list[str]) -> None:
    """Removes the originals this row stored that no document references (another dossier's copy stays)."""
    for sha256 in hashes:
        with uow:
            unreferenced = uow.documents.references_to(sha256) == 0
        if unreferenced:
            blobs.delete(original_key(sha256))


def imported_document_statuses(*, uow: UnitOfWork, document_ids: list[str]) -> dict[DocumentStatus, int]:
    """How far the OCR of imported documents has come (`hoso import --wait`)."""
    with uow:
        return uow.imports.document_statuses(document_ids)
