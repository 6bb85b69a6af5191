"""Archival files (hồ sơ lưu trữ) with their Decree 30 metadata, lists, deposit states and exports (BagIt, Decree 30
XML), and importing a bag."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from api.deps import BackendsDep, ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.reports.archive_lists import ArchiveList, render_archive_list
from api.schemas.bounds import BoundedDate
from records.archival_files import ArchivalDocument, FileState, FileSummary
from records.archive import require_archive_role
from records.clock import local_date
from records.decree30 import DocumentEntry, FileMetadata
from records.services.archival_files import (
    change_dossiers,
    create_file,
    edit_document,
    export_file,
    file_detail,
    gather_files,
    list_files,
    move_file,
)

router = APIRouter(prefix="/archive", tags=["archive"], responses=ERROR_RESPONSES)


class FilePublic(BaseModel):
    file_code: str
    organ_id: str
    file_catalog: int
    file_notation: str
    title: str
    maintenance: str
    rights: str
    creator: str
    language: str
    start_date: date | None
    end_date: date | None
    doc_total: int
    page_total: int
    description: str
    state: FileState
    deposit_due_on: date | None
    dossier_codes: list[str]
    history: list[dict[str, Any]]

    @classmethod
    def of(cls, s: FileSummary) -> FilePublic:
        f = s.file
        return cls(file_code=f.file_code, organ_id=f.organ_id, file_catalog=f.file_catalog,
                   file_notation=f.file_notation, title=f.title, maintenance=f.maintenance, rights=f.rights,
                   creator=f.creator, language=f.language, start_date=s.start_date, end_date=s.end_date,
                   doc_total=s.doc_total, page_total=s.page_total, description=f.description, state=f.state,
                   deposit_due_on=f.deposit_due_on, dossier_codes=s.dossier_codes, history=f.history)


class FilesPublic(BaseModel):
    data: list[FilePublic]
    count: int


class DocumentEntryPublic(BaseModel):
    document_id: str
    dossier_code: str
    doc_ordinal: int
    metadata: dict[str, Any] = Field(description="the archivist's edits")
    values: dict[str, Any] | None = Field(default=None, description="every Decree 30 field as exported: what hoso "
                                                                    "prefilled, with the archivist's edits")


def _values(entry: DocumentEntry) -> dict[str, Any]:
    return {"TypeName": entry.type_name, "CodeNumber": entry.code_number, "CodeNotation": entry.code_notation,
            "IssuedDate": entry.issued_date, "OrganName": entry.organ_name, "Subject": entry.subject,
            "Language": entry.language, "PageAmount": entry.page_amount, "SignerPosition": entry.signer_position,
            "SignerFullName": entry.signer_full_name, "Description": entry.description}


class FileDetailPublic(FilePublic):
    documents: list[DocumentEntryPublic]


class FileIn(BaseModel):
    organ_id: str = Field(max_length=40)
    year: int = Field(ge=1900, le=2200)
    notation: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=1000)
    maintenance: str = Field(min_length=1, max_length=60)
    rights: str = Field(default="Hạn chế sử dụng", max_length=60)
    description: str = Field(default="", max_length=4000)
    procedure_code: str | None = Field(default=None, max_length=40)
    dossier_codes: list[str] = Field(default_factory=list, max_length=5000)


class GatherIn(BaseModel):
    agency_code: str = Field(max_length=40)
    year: int = Field(ge=1900, le=2200)
    procedure_code: str | None = Field(default=None, max_length=40, description="only this procedure's dossiers")


class MembersIn(BaseModel):
    add: list[str] = Field(default_factory=list, max_length=5000)
    remove: list[str] = Field(default_factory=list, max_length=5000)


class StateIn(BaseModel):
    state: FileState
    note: str = Field(default="", max_length=2000)


class DocumentMetadataIn(BaseModel):
    TypeName: str | None = Field(default=None, max_length=200)
    CodeNumber: str | None = Field(default=None, max_length=40)
    CodeNotation: str | None = Field(default=None, max_length=100)
    IssuedDate: BoundedDate | None = None
    OrganName: str | None = Field(default=None, max_length=300)
    Subject: str | None = Field(default=None, max_length=2000)
    Language: str | None = Field(default=None, max_length=60)
    PageAmount: int | None = Field(default=None, ge=0, le=1_000_000)
    SignerPosition: str | None = Field(default=None, max_length=200)
    SignerFullName: str | None = Field(default=None, max_length=200)
    Description: str | None = Field(default=None, max_length=4000)


def _detail(summary: FileSummary, documents: list[ArchivalDocument], meta: FileMetadata) -> FileDetailPublic:
    entries = {e.doc_ordinal: e for e in meta.documents}
    return FileDetailPublic(**FilePublic.of(summary).model_dump(), documents=[
        DocumentEntryPublic(document_id=d.document_id, dossier_code=d.dossier_code, doc_ordinal=d.doc_ordinal,
                            metadata=d.metadata, values=_values(entries[d.doc_ordinal])
                            if d.doc_ordinal in entries else None) for d in documents])


@router.get("/files", response_model=FilesPublic, summary="Hồ sơ lưu trữ",
            description="Archival files in the reader's archive; `deposit_due_within_days=30` lists the files due "
                        "for deposit within 30 days (the deposit reminder).")
def read_files(uow: UowDep, clock: ClockDep, user: CurrentUser,
               year: Annotated[int | None, Query(ge=1900, le=2200)] = None, state: FileState | None = None,
               deposit_due_within_days: Annotated[int | None, Query(ge=0, le=3660)] = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> FilesPublic:
    files, count = list_files(uow=uow, actor=user, year=year, state=state,
                              deposit_due_within_days=deposit_due_within_days, today=local_date(clock.now()),
                              limit=limit, offset=offset)
    return FilesPublic(data=[FilePublic.of(f) for f in files], count=count)


@router.post("/files", response_model=FilePublic, status_code=201, summary="Lập hồ sơ lưu trữ")
def create(body: FileIn, uow: UowDep, clock: ClockDep, user: CurrentUser, backends: BackendsDep) -> FilePublic:
    return FilePublic.of(create_file(uow=uow, clock=clock, actor=user, organ_id=body.organ_id, year=body.year,
                                     notation=body.notation, title=body.title, maintenance=body.maintenance,
                                     rights=body.rights, description=body.description,
                                     procedure_code=body.procedure_code, dossier_codes=body.dossier_codes,
                                     rule=backends.settings.deposit_rule))


@router.post("/files/gather", response_model=FilesPublic, summary="Tự động lập hồ sơ lưu trữ theo năm, thủ tục")
def gather(body: GatherIn, uow: UowDep, clock: ClockDep, user: CurrentUser, backends: BackendsDep) -> FilesPublic:
    files = gather_files(uow=uow, clock=clock, actor=user, agency_code=body.agency_code, year=body.year,
                         procedure_code=body.procedure_code, rule=backends.settings.deposit_rule)
    return FilesPublic(data=[FilePublic.of(f) for f in files], count=len(files))


@router.get("/files/{file_code}", response_model=FileDetailPublic, summary="Một hồ sơ lưu trữ và văn bản của nó")
def read_file(file_code: str, uow: UowDep, user: CurrentUser) -> FileDetailPublic:
    summary, documents, meta = file_detail(uow=uow, actor=user, file_code=file_code)
    return _detail(summary, documents, meta)


@router.post("/files/{file_code}/dossiers", response_model=FilePublic, summary="Thêm, bớt hồ sơ trong hồ sơ lưu trữ")
def members(file_code: str, body: MembersIn, uow: UowDep, clock: ClockDep, user: CurrentUser,
            backends: BackendsDep) -> FilePublic:
    return FilePublic.of(change_dossiers(uow=uow, clock=clock, actor=user, file_code=file_code, add=body.add,
                                         remove=body.remove, rule=backends.settings.deposit_rule))


@router.post("/files/{file_code}/state", response_model=FilePublic, summary="Đóng, nộp lưu hồ sơ lưu trữ")
def change_state(file_code: str, body: StateIn, uow: UowDep, clock: ClockDep, user: CurrentUser,
                 backends: BackendsDep) -> FilePublic:
    move_file(uow=uow, clock=clock, actor=user, file_code=file_code, to=body.state, note=body.note,
              rule=backends.settings.deposit_rule)
    summary, _, _ = file_detail(uow=uow, actor=user, file_code=file_code)
    return FilePublic.of(summary)


@router.patch("/files/{file_code}/documents/{document_id}", response_model=DocumentEntryPublic,
              summary="Sửa thông tin văn bản (Nghị định 30)")
def edit(file_code: str, document_id: str, body: DocumentMetadataIn, uow: UowDep, clock: ClockDep,
         user: CurrentUser) -> DocumentEntryPublic:
    values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in body.model_dump(exclude_none=True).items()}
    entry = edit_document(uow=uow, clock=clock, actor=user, file_code=file_code, document_id=document_id,
                          values=values)
    return DocumentEntryPublic(document_id=entry.document_id, dossier_code=entry.dossier_code,
                               doc_ordinal=entry.doc_ordinal, metadata=entry.metadata)


@router.get("/files/{file_code}/metadata.xml", summary="Thông tin hồ sơ theo Nghị định 30 (XML)",
            response_class=Response, responses={200: {"content": {"application/xml": {}}}},
            description="The file's Decree 30 fields and its documents' (DocOrdinal order); recorded in the audit "
                        "chain.")
def file_metadata_xml(file_code: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> Response:
    exported = export_file(uow=uow, clock=clock, actor=user, file_code=file_code, form="xml")
    return Response(exported.xml, media_type="application/xml",
                    headers={"Content-Disposition": f'inline; filename="{_ascii(file_code)}.xml"'})


@router.get("/files/{file_code}/export.pdf", summary="Xuất hồ sơ lưu trữ thành một tệp PDF (Nghị định 30)",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}},
            description="The file's cover and document list, then every document in chronological order (the "
                        "searchable PDF/A when there is one, else the original; images become pages; a document "
                        "whose content cannot be read gets a page saying so). Its XML is at metadata.xml. Recorded "
                        "in the audit chain.")
def file_pdf(file_code: str, backends: BackendsDep, uow: UowDep, clock: ClockDep, user: CurrentUser) -> Response:
    from api.reports.file_export import render_file_pdf
    from records.blobs import SEARCHABLE_PDF, BlobMissing, derived_key, original_key

    exported = export_file(uow=uow, clock=clock, actor=user, file_code=file_code, form="pdf")

    def open_document(document_id: str) -> Any:
        sha = exported.sha256.get(document_id)
        if sha is None:
            return None
        for key in (derived_key(sha, SEARCHABLE_PDF), original_key(sha)):
            try:
                return backends.blobs.open(key)
            except BlobMissing:
                continue
        return None

    pdf = render_file_pdf(exported.summary, exported.metadata, exported.document_ids, open_document)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{_ascii(file_code)}.pdf"'})


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in ".-_") else "_" for c in name)


@router.get("/files/{file_code}/documents.pdf", summary="Mục lục văn bản trong hồ sơ (PDF)", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def documents_list(file_code: str, uow: UowDep, user: CurrentUser) -> Response:
    summary, _, meta = file_detail(uow=uow, actor=user, file_code=file_code)
    rows = [[str(d.doc_ordinal), f"{d.code_number}/{d.code_notation}".strip("/"),
             d.issued_date.strftime("%d/%m/%Y") if d.issued_date else "", d.organ_name, d.subject,
             str(d.page_amount or ""), d.type_name] for d in meta.documents]
    paper = ArchiveList(agency_name=summary.file.creator, title="MỤC LỤC VĂN BẢN TRONG HỒ SƠ",
                        intro=[f"Mã hồ sơ: {summary.file.file_code}", summary.file.title,
                               f"Thời hạn bảo quản: {summary.file.maintenance}"],
                        columns=[("STT", 1), ("Số, ký hiệu", 3), ("Ngày", 2), ("Tác giả", 4), ("Trích yếu", 9),
                                 ("Tờ số", 1.4), ("Ghi chú", 3)], rows=rows)
    return Response(render_archive_list(paper), media_type="application/pdf")


@router.get("/files.pdf", summary="Mục lục hồ sơ (PDF)", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def files_list(uow: UowDep, clock: ClockDep, user: CurrentUser,
               year: Annotated[int | None, Query(ge=1900, le=2200)] = None) -> Response:
    files, _ = list_files(uow=uow, actor=user, year=year, today=local_date(clock.now()), limit=500)
    rows = [[str(n), s.file.file_code, s.file.title,
             f"{s.start_date.strftime('%d/%m/%Y') if s.start_date else ''} – "
             f"{s.end_date.strftime('%d/%m/%Y') if s.end_date else ''}",
             s.file.maintenance, str(s.doc_total), str(s.page_total), s.file.state.value]
            for n, s in enumerate(files, start=1)]
    paper = ArchiveList(agency_name=files[0].file.creator if files else "", title="MỤC LỤC HỒ SƠ",
                        intro=[f"Năm {year}"] if year else [],
                        columns=[("STT", 1), ("Số, ký hiệu hồ sơ", 5), ("Tiêu đề hồ sơ", 9),
                                 ("Thời gian bắt đầu – kết thúc", 4), ("Thời hạn bảo quản", 2.5),
                                 ("Số văn bản", 1.6), ("Số tờ", 1.4), ("Trạng thái", 2.5)], rows=rows)
    return Response(render_archive_list(paper), media_type="application/pdf")


@router.post("/exports/{code}", summary="Xuất gói BagIt (hồ sơ hoặc hồ sơ lưu trữ)", response_class=StreamingResponse,
             responses={200: {"content": {"application/zip": {}}}},
             description="The dossier's or the archival file's BagIt bag as a zip, streamed while it is made.")
def export(code: str, backends: BackendsDep, user: CurrentUser) -> StreamingResponse:
    from infra.bags import export_bag
    from storage.bags import stream_zip

    require_archive_role(user)
    scratch = Path(tempfile.mkdtemp(prefix="export-", dir=_work(backends)))
    try:
        bag = export_bag(backends, code, scratch / "bag", actor=user)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    filename = "".join(c if c.isalnum() or c in ".-_" else "_" for c in code) + ".bag.zip"
    return StreamingResponse(stream_zip(bag, top=code), media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'},
                             background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True))


class ImportedPublic(BaseModel):
    dossier_codes: list[str]
    file_code: str | None = None


@router.post("/imports", response_model=ImportedPublic, status_code=201, summary="Nhập gói BagIt",
             description="A zipped BagIt bag exported by hoso. Refused whole when any checksum is wrong, a file is "
                         "missing, a path leaves the bag, or it names an unknown agency or procedure.")
def import_package(file: UploadFile, backends: BackendsDep, user: CurrentUser) -> ImportedPublic:
    from infra.bags import import_bag
    from storage.bags import MAX_ZIP_BYTES, invalid_bag, unzip_bag

    require_archive_role(user)
    scratch = Path(tempfile.mkdtemp(prefix="import-", dir=_work(backends)))
    try:
        upload = scratch / "upload.zip"
        received = 0
        with upload.open("wb") as target:
            while chunk := file.file.read(1024 * 1024):
                received += len(chunk)
                if received > MAX_ZIP_BYTES:
                    raise invalid_bag("gói quá lớn.", "the package is too large.", problem="too_large")
                target.write(chunk)
        root = unzip_bag(upload, scratch / "bag")
        imported = import_bag(backends, root, actor=user)
        return ImportedPublic(dossier_codes=imported.dossier_codes, file_code=imported.file_code)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _work(backends: BackendsDep) -> Path:
    directory = (backends.settings.data_dir / "work").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return directory
