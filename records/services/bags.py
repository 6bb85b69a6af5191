"""Use cases behind export and import packages: what a dossier's package holds (its whole record, control slip,
Decree 30 metadata, audit excerpt and blobs), and re-ingesting a package into this hoso without loss.

The bag files themselves are written and checked by an adapter (storage.bags, with the Library of Congress `bagit`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from records.access import Principal, Role
from records.access_log import AccessKind
from records.archival_files import maintenance_label, split_notation
from records.archive import archive_agencies, require_archive_role
from records.audit import ChainedEntry
from records.blobs import BlobStore, document_blob_keys, original_key
from records.calendar import WorkingCalendar
from records.clock import Clock, local_date
from records.decree30 import DocumentEntry, FileMetadata
from records.documents import Document
from records.errors import Conflict, PermissionDenied, ValidationFailed
from records.package import DocumentRecord, DossierRecord
from records.ports import UnitOfWork
from records.procedures import DocumentType
from records.services.access import audited, dossier_not_found
from records.services.fixity import register_document_blobs
from records.services.reports import ControlSlip
from records.services.retention import record_closure
from records.tasks import TaskQueue

log = logging.getLogger("hoso.bags")
TYPE_NAMES = {DocumentType.APPLICATION_FORM: "Đơn, tờ khai", DocumentType.ID_CARD_COPY: "Giấy tờ tùy thân",
              DocumentType.LAND_CERTIFICATE: "Giấy chứng nhận quyền sử dụng đất", DocumentType.DECISION: "Quyết định",
              DocumentType.OTHER: "Tài liệu khác"}


@dataclass(frozen=True)
class DossierExport:
    record: DossierRecord
    slip: ControlSlip
    metadata: FileMetadata
    audit: list[ChainedEntry]
    blob_keys: list[str]  # every blob of the dossier's documents that exists


def document_entry(document: Document, ordinal: int, overrides: Mapping[str, object] | None = None) -> DocumentEntry:
    """A document's Decree 30 entry, prefilled from what hoso knows; an archivist's edits (`overrides`) win."""
    number, notation = split_notation(document.metadata.number_notation)
    values: dict[str, object] = {
        "TypeName": TYPE_NAMES.get(document.document_type, document.document_type.value), "CodeNumber": number,
        "CodeNotation": notation, "IssuedDate": document.metadata.issued_date,
        "OrganName": document.metadata.issuing_organ or "", "Subject": document.metadata.subject or document.title,
        "Language": "Tiếng Việt", "PageAmount": document.page_count, "SignerPosition": "",
        "SignerFullName": document.metadata.signer or "", "Description": ""}
    values.update(overrides or {})
    issued = values["IssuedDate"]
    if isinstance(issued, str) and issued:
        issued = date.fromisoformat(issued)
    page_amount = values["PageAmount"]
    return DocumentEntry(doc_ordinal=ordinal, type_name=str(values["TypeName"]), code_number=str(values["CodeNumber"]),
                         code_notation=str(values["CodeNotation"]),
                         issued_date=issued if isinstance(issued, date) else None,
                         organ_name=str(values["OrganName"]), subject=str(values["Subject"]),
                         page_amount=int(page_amount) if isinstance(page_amount, int | str) and page_amount != ""
                         else None,
                         signer_position=str(values["SignerPosition"]), signer_full_name=str(values["SignerFullName"]),
                         description=str(values["Description"]), language=str(values["Language"]),
                         sha256=document.sha256, file_name=document.filename)


def export_dossier(*, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar, blobs: BlobStore,
                   actor: Principal | None, code: str) -> DossierExport:
    """Everything a dossier's package holds. `actor` None: the command line (the operator's own right)."""
    if actor is not None:
        require_archive_role(actor)
    now = clock.now()
    with uow:
        dossier = uow.dossiers.get(code)
        if dossier is None:
            raise dossier_not_found(code)
        if actor is not None:
            scope = archive_agencies(actor, uow.agencies.list())
            if scope is not None and dossier.receiving_agency_code not in scope:
                raise dossier_not_found(code)
        procedure = uow.procedures.get(dossier.procedure_code)
        if procedure is None:
            raise dossier_not_found(code)
        events, letters = uow.dossiers.events(code), uow.dossiers.extensions(code)
        documents = sorted(uow.documents.list_for_dossier(code), key=lambda d: (d.uploaded_at, d.id))
        record = DossierRecord(dossier, events, letters,
                               [DocumentRecord(d, uow.documents.pages(d.id)) for d in documents])
        names = {a.code: a.name for a in uow.agencies.list()}
        file_code = uow.archival_files.file_code_of(code)
        archival = uow.archival_files.get(file_code) if file_code else None
        edits = {d.document_id: d.metadata for d in uow.archival_files.documents(archival.id)} if archival else {}
        line = uow.retention.get(code)
        audit = list(uow.access_log.chain(dossier_code=code))
        if actor is not None:
            uow.begin_write()
            audited(uow, actor, AccessKind.BAG_EXPORTED, now, dossier_code=code)
            uow.commit()
    slip = ControlSlip(dossier, procedure, names, events, letters, now, round(dossier.overdue_days(now, calendar), 2))
    entries = [document_entry(d, n, edits.get(d.id)) for n, d in enumerate(documents, start=1)]
    metadata = FileMetadata(
        organ_id=dossier.receiving_agency_code, file_catalog=local_date(dossier.received_at).year,
        file_notation=archival.file_notation if archival else code.rsplit("-", 2)[-2] + "-" + code.rsplit("-", 1)[-1],
        title=archival.title if archival else f"{procedure.name} — {dossier.applicant.name}",
        maintenance=archival.maintenance if archival else maintenance_label(
            line.years if line else procedure.retention_years),
        rights=archival.rights if archival else "Hạn chế sử dụng",
        creator=names.get(dossier.receiving_agency_code, dossier.receiving_agency_code),
        start_date=local_date(dossier.received_at),
        end_date=local_date(dossier.completed_at or dossier.last_moved_at or dossier.received_at),
        description=dossier.subject, documents=entries)
    keys = [key for d in documents for key in document_blob_keys(d.sha256, d.page_count) if blobs.exists(key)]
    return DossierExport(record, slip, metadata, audit, keys)


def import_dossier(*, uow: UnitOfWork, clock: Clock, blobs: BlobStore, tasks: TaskQueue | None,
                   actor: Principal | None, record: DossierRecord, blob_files: Mapping[str, Path]) -> str:
    """Re-ingests a dossier record with its blobs (already checked against the bag's manifests): same code, history,
    metadata and hashes. Refused whole — nothing stored — for an unknown agency or procedure, a dossier or document
    that already exists, or a missing original. The search entry is rebuilt through the task queue."""
    if actor is not None:
        require_archive_role(actor, Role.ARCHIVIST, Role.ADMIN)
    dossier = record.dossier
    with uow:
        known_agencies = {a.code for a in uow.agencies.list()}
        scope = None if actor is None else archive_agencies(actor, uow.agencies.list())
        if scope is not None and dossier.receiving_agency_code in known_agencies \
                and dossier.receiving_agency_code not in scope:
            raise PermissionDenied("Hồ sơ trong gói không thuộc phạm vi lưu trữ của bạn.",
                                   "The package's dossier is not in your archive.", code="outside_archive_scope",
                                   detail={"agency_code": dossier.receiving_agency_code})
        wanted = {dossier.receiving_agency_code, dossier.holder_agency_code, *dossier.participant_agencies,
                  *dossier.linked_agencies}
        unknown = sorted(a for a in wanted if a and a not in known_agencies)
        if unknown:
            raise ValidationFailed("Gói nhắc tới cơ quan không có trong hệ thống.",
                                   "The package names unknown agencies.", code="unknown_agency",
                                   detail={"agency_codes": unknown})
        if uow.procedures.get(dossier.procedure_code) is None:
            raise ValidationFailed("Thủ tục của hồ sơ không có trong danh mục.", "The dossier's procedure is unknown.",
                                   code="unknown_procedure", detail={"procedure_code": dossier.procedure_code})
        if uow.dossiers.get(dossier.code) is not None:
            raise Conflict("Hồ sơ đã có trong hệ thống.", "The dossier already exists here.", code="dossier_exists",
                           detail={"dossier_code": dossier.code})
        clashing = [d.document.id for d in record.documents if uow.documents.get(d.document.id) is not None]
        if clashing:
            raise Conflict("Tài liệu đã có trong hệ thống.", "Documents already exist here.", code="document_exists",
                           detail={"document_ids": clashing})
    missing = [original_key(d.document.sha256) for d in record.documents
               if original_key(d.document.sha256) not in blob_files]
    if missing:
        raise ValidationFailed("Gói thiếu bản gốc của tài liệu.", "The package lacks documents' originals.",
                               code="invalid_package", detail={"missing": missing})
    stored: list[str] = []
    hashes: dict[str, str] = {}
    sizes: dict[str, int] = {}
    try:
        for key, path in sorted(blob_files.items()):
            sha256 = _file_sha256(path)
            if key.startswith("originals/") and key.rsplit("/", 1)[-1] != sha256:
                raise ValidationFailed("Bản gốc trong gói không khớp mã băm của nó.",
                                       "An original in the package does not match its hash.",
                                       code="invalid_package", detail={"key": key, "sha256": sha256})
            existed = blobs.exists(key)
            with path.open("rb") as stream:
                info = blobs.put(key, stream, sha256=sha256)
            if not existed:
                stored.append(key)
            hashes[key], sizes[key] = info.sha256, info.size
        now = clock.now()
        with uow:
            uow.begin_write()
            uow.dossiers.add(dossier, record.events)
            for letter in record.letters:
                uow.dossiers.add_extension(dossier.code, letter)
            for item in record.documents:
                uow.documents.add(item.document)
                uow.documents.set_pages(item.document.id, item.pages)
                derived = {key: (hashes[key], sizes[key]) for key in
                           document_blob_keys(item.document.sha256, item.document.page_count)
                           if key in hashes and key != original_key(item.document.sha256)}
                register_document_blobs(uow, item.document, derived, now)
            if dossier.completed_at is not None or dossier.is_terminal:
                record_closure(uow, dossier, dossier.completed_at or dossier.last_moved_at or now)
            if actor is not None:
                audited(uow, actor, AccessKind.BAG_IMPORTED, now, dossier_code=dossier.code,
                        detail={"documents": len(record.documents), "events": len(record.events)})
            uow.commit()
    except Exception:
        for key in stored:  # nothing half-done: what this import stored goes again
            blobs.delete(key)
        raise
    if tasks is not None:
        tasks.index_dossier(dossier.code)
    return dossier.code


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
