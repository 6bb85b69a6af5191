"""Use cases behind export and import packages: what a dossier's package holds (its whole record, control slip,
Decree 30 metadata, audit excerpt and blobs), and re-ingesting a package into this hoso without loss.

The bag files themselves are written and checked by an adapter (storage.bags, with the Library of Congress `bagit`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from records.access import Principal, PrincipalKind, Role
from records.access_log import AccessKind
from records.archival_files import check_file_notation, maintenance_label, split_notation
from records.archive import archive_agencies, require_archive_role
from records.audit import ChainedEntry
from records.blobs import BlobStore, document_blob_keys, original_key
from records.calendar import WorkingCalendar
from records.clock import Clock, local_date
from records.decree30 import DocumentEntry, FileMetadata
from records.documents import Document
from records.errors import Conflict, PermissionDenied, ValidationFailed
from records.outbox import index_dossier_later
from records.package import ArchivalFileRecord, DocumentRecord, DossierRecord
from records.ports import UnitOfWork
from records.procedures import DocumentType
from records.services.access import audited, dossier_not_found
from records.services.fixity import register_document_blobs
from records.services.reports import ControlSlip
from records.services.retention import record_closure

log = logging.getLogger("hoso.bags")
# Who the audit chain names for `hoso export-bag` / `hoso import-bag`: the operator of the machine, beyond any scope.
OPERATOR = Principal("system.cli", "", frozenset(), full_name="Quản trị hệ thống (dòng lệnh)",
                     kind=PrincipalKind.INTEGRATION)
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
    """Everything a dossier's package holds (a dossier within the actor's archive; not found otherwise). `actor`
    None: a deposit's own writer (the disposition records the deposit); OPERATOR: the command line (audited)."""
    checked = _checked(actor)
    if checked is not None:
        require_archive_role(checked)
    now = clock.now()
    with uow:
        dossier = uow.dossiers.get(code)
        if dossier is None:
            raise dossier_not_found(code)
        if checked is not None:
            scope = archive_agencies(checked, uow.agencies.list())
            if scope is not None and dossier.receiving_agency_code not in scope:
                raise dossier_not_found(code)
        procedure = uow.procedures.get(dossier.procedure_code)
        if procedure is None:
            raise dossier_not_found(code)
        events, letters = uow.dossiers.events(code), uow.dossiers.extensions(code)
        documents = sorted(uow.documents.list_for_dossier(code), key=lambda d: (d.uploaded_at, d.id))
        line = uow.retention.get(code)
        record = DossierRecord(dossier, events, letters,
                               [DocumentRecord(d, uow.documents.pages(d.id)) for d in documents], line)
        names = {a.code: a.name for a in uow.agencies.list()}
        file_code = uow.archival_files.file_code_of(code)
        archival = uow.archival_files.get(file_code) if file_code else None
        edits = {d.document_id: d.metadata for d in uow.archival_files.documents(archival.id)} if archival else {}
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


@dataclass(frozen=True)
class FileExport:
    """An archival file's package: the file's own record and Decree 30 metadata, then each of its dossiers."""

    record: ArchivalFileRecord
    metadata: FileMetadata
    dossiers: list[DossierExport]


def export_archival_file(*, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar, blobs: BlobStore,
                         actor: Principal | None, file_code: str) -> FileExport:
    """Everything an archival file's package holds (the file within the actor's archive; not found otherwise)."""
    from records.services.archival_files import file_detail  # it prefills documents with document_entry (here)

    summary, entries, metadata = file_detail(uow=uow, actor=_checked(actor), file_code=file_code)
    if actor is not None:
        with uow:
            uow.begin_write()
            audited(uow, actor, AccessKind.FILE_EXPORTED, clock.now(),
                    detail={"file_code": file_code, "form": "bag", "documents": len(entries)})
            uow.commit()
    dossiers = [export_dossier(uow=uow, clock=clock, calendar=calendar, blobs=blobs, actor=actor, code=code)
                for code in summary.dossier_codes]
    return FileExport(ArchivalFileRecord(summary.file, list(summary.dossier_codes), entries), metadata, dossiers)


@dataclass(frozen=True)
class PackageDossier:
    """One dossier read from a package: its record and its blobs (key → a file already checked against the bag's
    manifests)."""

    record: DossierRecord
    blob_files: Mapping[str, Path]


@dataclass(frozen=True)
class ImportedPackage:
    dossier_codes: list[str]
    file_code: str | None = None


def import_package(*, uow: UnitOfWork, clock: Clock, blobs: BlobStore,
                   actor: Principal | None, dossiers: Sequence[PackageDossier],
                   archival_file: ArchivalFileRecord | None = None) -> ImportedPackage:
    """Re-ingests a package's dossiers (and the archival file holding them) in one transaction: same codes, history,
    metadata and hashes. Refused whole — no rows, no blobs left — for an unknown agency or procedure, a dossier,
    document or file code that already exists, a missing original or an original that does not match its hash. The
    search entries are rebuilt through the task queue once it committed. `actor` None: the deposit's own writer (no
    entry of its own); OPERATOR: the command line (audited, no scope)."""
    checked = _checked(actor)
    if checked is not None:
        require_archive_role(checked, Role.ARCHIVIST, Role.ADMIN)
    if not dossiers:
        raise ValidationFailed("Gói không chứa hồ sơ nào.", "The package holds no dossier.", code="empty_bag")
    with uow:
        _check_package(uow, checked, dossiers, archival_file)
    stored: list[str] = []
    try:
        registered = [_put_blobs(blobs, item, stored) for item in dossiers]
        now = clock.now()
        with uow:
            uow.begin_write()
            _check_absent(uow, dossiers, archival_file)  # again, now that this import writes: another may have won
            for item, derived_hashes in zip(dossiers, registered, strict=True):
                _write_dossier(uow, item.record, derived_hashes, now)
                index_dossier_later(uow.outbox, item.record.dossier.code)
                if actor is not None:
                    audited(uow, actor, AccessKind.BAG_IMPORTED, now, dossier_code=item.record.dossier.code,
                            detail={"documents": len(item.record.documents), "events": len(item.record.events)})
            if archival_file is not None:
                _write_file(uow, archival_file)
                if actor is not None:
                    audited(uow, actor, AccessKind.BAG_IMPORTED, now,
                            detail={"file_code": archival_file.file.file_code,
                                    "dossiers": len(archival_file.dossier_codes)})
            uow.commit()
    except BaseException:
        _remove_unclaimed(uow, blobs, stored)
        raise
    codes = [item.record.dossier.code for item in dossiers]
    return ImportedPackage(codes, archival_file.file.file_code if archival_file else None)


def import_dossier(*, uow: UnitOfWork, clock: Clock, blobs: BlobStore,
                   actor: Principal | None, record: DossierRecord, blob_files: Mapping[str, Path]) -> str:
    """One dossier's package (see import_package)."""
    return import_package(uow=uow, clock=clock, blobs=blobs, actor=actor,
                          dossiers=[PackageDossier(record, blob_files)]).dossier_codes[0]


def _checked(actor: Principal | None) -> Principal | None:
    """The principal whose role and archive scope are checked: none for the command line's operator."""
    return None if actor is None or actor is OPERATOR else actor


def _refused(vi: str, en: str, code: str, error: type[ValidationFailed] | type[Conflict] = ValidationFailed,
             **detail: object) -> Exception:
    return error(vi, en, code=code, detail=dict(detail))


def _check_package(uow: UnitOfWork, actor: Principal | None, dossiers: Sequence[PackageDossier],
                   archival_file: ArchivalFileRecord | None) -> None:
    """Every reason to refuse, checked before anything is written (raises the first one found)."""
    agencies = uow.agencies.list()
    known = {a.code for a in agencies}
    scope = None if actor is None else archive_agencies(actor, agencies)
    codes = [item.record.dossier.code for item in dossiers]
    if len(set(codes)) != len(codes):
        raise _refused("Gói có hồ sơ trùng mã.", "The package holds one dossier twice.", "invalid_package",
                       dossier_codes=sorted({c for c in codes if codes.count(c) > 1}))
    owners = {item.record.dossier.receiving_agency_code for item in dossiers}
    if archival_file is not None:
        owners.add(archival_file.file.organ_id)
    if scope is not None:
        outside = sorted(a for a in owners if a in known and a not in scope)
        if outside:
            raise PermissionDenied("Hồ sơ trong gói không thuộc phạm vi lưu trữ của bạn.",
                                   "The package's dossier is not in your archive.", code="outside_archive_scope",
                                   detail={"agency_codes": outside})
    wanted = set(owners)
    procedures = {item.record.dossier.procedure_code for item in dossiers}
    for item in dossiers:
        dossier = item.record.dossier
        wanted |= {dossier.holder_agency_code, *dossier.participant_agencies, *dossier.linked_agencies}
    if archival_file is not None and archival_file.file.procedure_code:
        procedures.add(archival_file.file.procedure_code)
    unknown = sorted(a for a in wanted if a and a not in known)
    if unknown:
        raise _refused("Gói nhắc tới cơ quan không có trong hệ thống.", "The package names unknown agencies.",
                       "unknown_agency", agency_codes=unknown)
    unknown = sorted(p for p in procedures if uow.procedures.get(p) is None)
    if unknown:
        raise _refused("Thủ tục của hồ sơ không có trong danh mục.", "The dossier's procedure is unknown.",
                       "unknown_procedure", procedure_codes=unknown)
    _check_absent(uow, dossiers, archival_file)
    document_ids = [d.document.id for item in dossiers for d in item.record.documents]
    clashing = [i for i in document_ids if uow.documents.get(i) is not None]
    if clashing or len(set(document_ids)) != len(document_ids):
        raise _refused("Tài liệu đã có trong hệ thống.", "Documents already exist here.", "document_exists",
                       Conflict, document_ids=clashing or document_ids)
    for item in dossiers:
        foreign = [d.document.id for d in item.record.documents if d.document.dossier_code != item.record.dossier.code]
        missing = [original_key(d.document.sha256) for d in item.record.documents
                   if original_key(d.document.sha256) not in item.blob_files]
        if foreign or missing:
            raise _refused("Gói thiếu bản gốc của tài liệu hoặc tài liệu lạc hồ sơ.",
                           "The package lacks documents' originals, or a document belongs to another dossier.",
                           "invalid_package", missing=missing, foreign=foreign)
    if archival_file is not None:
        _check_file(uow, archival_file, codes, document_ids)


def _check_absent(uow: UnitOfWork, dossiers: Sequence[PackageDossier],
                  archival_file: ArchivalFileRecord | None) -> None:
    """Refuses (409) a dossier code or an archival file code that exists here."""
    existing = sorted(d.code for d in uow.dossiers.get_many([item.record.dossier.code for item in dossiers]))
    if existing:
        raise _refused("Hồ sơ đã có trong hệ thống.", "The dossier already exists here.", "dossier_exists",
                       Conflict, dossier_codes=existing)
    if archival_file is not None and uow.archival_files.get(archival_file.file.file_code) is not None:
        raise _refused("Mã hồ sơ lưu trữ đã tồn tại.", "That file code exists.", "file_exists", Conflict,
                       file_code=archival_file.file.file_code)


def _remove_unclaimed(uow: UnitOfWork, blobs: BlobStore, stored: list[str]) -> None:
    """Nothing half-done: the blobs this import stored go again — except any that a concurrent writer registered
    meanwhile (the same paper in another dossier), which must stay."""
    try:
        with uow:
            claimed = uow.fixity.known(stored) if stored else set()
    except Exception:  # the database is what failed: nobody else could have registered them either
        log.warning("import cleanup: blob registry unreadable, removing %d blobs", len(stored))
        claimed = set()
    for key in stored:
        if key not in claimed:
            blobs.delete(key)


def _check_file(uow: UnitOfWork, record: ArchivalFileRecord, codes: list[str], document_ids: list[str]) -> None:
    file = record.file
    check_file_notation(file.file_notation)
    strays = sorted(set(record.dossier_codes) ^ set(codes)) + sorted(
        d.document_id for d in record.documents if d.document_id not in document_ids)
    if strays:
        raise _refused("Hồ sơ lưu trữ trong gói không khớp các hồ sơ của gói.",
                       "The package's archival file does not match its dossiers.", "invalid_package", strays=strays)


def _put_blobs(blobs: BlobStore, item: PackageDossier, stored: list[str]) -> dict[str, tuple[str, int]]:
    """Puts the dossier's blobs with their SHA-256 (appending to `stored` what was not there before); returns the
    hash and size of each."""
    found: dict[str, tuple[str, int]] = {}
    for key, path in sorted(item.blob_files.items()):
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
        found[key] = (info.sha256, info.size)
    return found


def _write_dossier(uow: UnitOfWork, record: DossierRecord, hashes: Mapping[str, tuple[str, int]],
                   now: datetime) -> None:
    dossier = record.dossier
    uow.dossiers.add(dossier, record.events)
    for letter in record.letters:
        uow.dossiers.add_extension(dossier.code, letter)
    for item in record.documents:
        uow.documents.add(item.document)
        uow.documents.set_pages(item.document.id, item.pages)
        derived = {key: hashes[key] for key in document_blob_keys(item.document.sha256, item.document.page_count)
                   if key in hashes and key != original_key(item.document.sha256)}
        register_document_blobs(uow, item.document, derived, now)
    carried = record.retention
    if carried is not None or dossier.completed_at is not None or dossier.is_terminal:
        # The clock keeps its start and an archivist's extension; the schedule is this hoso's own.
        line = record_closure(uow, dossier, carried.closed_at if carried else
                              dossier.completed_at or dossier.last_moved_at or now)
        if line is not None and carried is not None and carried.extended_due_on is not None:
            line.extended_due_on, line.extension_reason = carried.extended_due_on, carried.extension_reason
            line.extended_by = carried.extended_by
            uow.retention.save(line)


def _write_file(uow: UnitOfWork, record: ArchivalFileRecord) -> None:
    file = record.file
    uow.archival_files.add(file)
    for event in record.events():
        uow.archival_files.add_event(file.id, event)
    for code in record.dossier_codes:
        uow.archival_files.add_dossier(file.id, code)
    uow.archival_files.set_documents(file.id, record.documents)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
