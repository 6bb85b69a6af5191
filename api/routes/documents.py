"""Documents: upload to a dossier (streamed), then metadata, original, searchable PDF, text, retry."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from api.deps import BackendsDep, ClockDep, CurrentUser, UowDep
from api.downloads import download_response
from api.errors import ERROR_RESPONSES
from api.schemas.bounds import BoundedDate, PageNumber
from api.schemas.documents import DocumentPublic, DocumentsPublic, DocumentStatusPublic, DocumentText, PagePublic
from infra.wiring import Backends
from ingest.staging import stage_upload
from records.access_log import AccessKind
from records.blobs import SEARCHABLE_PDF, derived_key, original_key, thumbnail_key
from records.clock import Clock
from records.documents import Document, DocumentMetadata
from records.errors import Conflict, NotFound
from records.procedures import DocumentType
from records.services.documents import (
    document_pages,
    document_status,
    get_document,
    list_documents,
    register_document,
    retry_document,
)

router = APIRouter(tags=["documents"], responses=ERROR_RESPONSES)
DOWNLOAD_LINK_LIFETIME = timedelta(minutes=10)


@router.post("/dossiers/{code}/documents", response_model=DocumentPublic, status_code=202,
             summary="Tải tài liệu lên hồ sơ",
             description="Multipart upload, streamed to storage. PDF, multi-page TIFF, JPEG or PNG, identified "
                         "from the bytes. 202 with the document and its status (queued → extracting → ocr → "
                         "indexed, or failed with a reason). The same content twice in one dossier: 409 "
                         "`duplicate_document` with the existing document's id.")
def upload_document(
    code: str, response: Response, backends: BackendsDep, uow: UowDep, clock: ClockDep, user: CurrentUser,
    file: Annotated[UploadFile, File(description="the scan or born-digital file")],
    document_type: Annotated[DocumentType, Form()] = DocumentType.OTHER,
    title: Annotated[str, Form(max_length=500)] = "",
    number_notation: Annotated[str | None, Form(max_length=100)] = None,
    issuing_organ: Annotated[str | None, Form(max_length=300)] = None,
    issued_date: Annotated[BoundedDate | None, Form()] = None,
    signer: Annotated[str | None, Form(max_length=200)] = None,
    subject: Annotated[str | None, Form(max_length=2000)] = None,
    is_result: Annotated[bool, Form(description="a result of the procedure: the applicant may download it "
                                                "once the dossier is resolved")] = False,
) -> DocumentPublic:
    staged = stage_upload(file.file, file.filename or "", directory=backends.settings.data_dir / "staging",
                          max_bytes=backends.settings.max_upload_bytes, budget=backends.settings.processing_budget)
    try:
        registered = register_document(
            uow=uow, blobs=backends.blobs, clock=clock, actor=user, dossier_code=code, upload=staged,
            document_type=document_type, title=title,
            metadata=DocumentMetadata(number_notation=number_notation, issuing_organ=issuing_organ,
                                      issued_date=issued_date, signer=signer, subject=subject),
            is_result=is_result)
    finally:
        staged.path.unlink(missing_ok=True)
    if registered.duplicate:
        raise Conflict("Hồ sơ đã có tài liệu với nội dung này; không lưu lại lần nữa.",
                       "The dossier already holds this content; it was not stored again.",
                       code="duplicate_document", detail={"document_id": registered.document.id})
    response.headers["Location"] = f"/api/v1/documents/{registered.document.id}"
    return DocumentPublic.of(registered.document)


@router.get("/dossiers/{code}/documents", response_model=DocumentsPublic, summary="Tài liệu của hồ sơ")
def read_documents(code: str, backends: BackendsDep, uow: UowDep, clock: ClockDep,
                   user: CurrentUser) -> DocumentsPublic:
    documents = list_documents(uow=uow, clock=clock, actor=user, dossier_code=code)
    return DocumentsPublic(data=[_public(backends, clock, d) for d in documents], count=len(documents))


def _public(backends: Backends, clock: Clock, document: Document) -> DocumentPublic:
    lease = timedelta(seconds=backends.settings.document_lease_seconds)
    return DocumentPublic.of(document, stuck=document.is_stuck(clock.now(), lease))


@router.get("/documents/{document_id}/status", response_model=DocumentStatusPublic,
            summary="Trạng thái xử lý tài liệu",
            description="Only the processing status, for screens that wait on it; checked like any read, not written "
                        "to the access log (it shows nothing of the paper).")
def read_status(document_id: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> DocumentStatusPublic:
    return DocumentStatusPublic.of(document_status(uow=uow, clock=clock, actor=user, document_id=document_id))


@router.get("/documents/{document_id}", response_model=DocumentPublic, summary="Thông tin và trạng thái tài liệu")
def read_document(document_id: str, backends: BackendsDep, uow: UowDep, clock: ClockDep,
                  user: CurrentUser) -> DocumentPublic:
    return _public(backends, clock, get_document(uow=uow, clock=clock, actor=user, document_id=document_id))


def _download(backends: BackendsDep, key: str, filename: str, media_type: str) -> Response:
    return download_response(backends.blobs, key, filename, media_type, lifetime=DOWNLOAD_LINK_LIFETIME)


@router.get("/documents/{document_id}/original", summary="Tải bản gốc",
            responses={200: {"content": {"application/octet-stream": {}}}, 307: {"description": "S3 link"}})
def read_original(document_id: str, backends: BackendsDep, uow: UowDep, clock: ClockDep,
                  user: CurrentUser) -> Response:
    document = get_document(uow=uow, clock=clock, actor=user, document_id=document_id, kind=AccessKind.DOWNLOAD)
    return _download(backends, original_key(document.sha256), document.filename, document.media_type)


@router.get("/documents/{document_id}/searchable.pdf", summary="Bản PDF/A có lớp văn bản tìm kiếm được",
            responses={200: {"content": {"application/pdf": {}}}})
def read_searchable_pdf(document_id: str, backends: BackendsDep, uow: UowDep, clock: ClockDep,
                        user: CurrentUser) -> Response:
    document = get_document(uow=uow, clock=clock, actor=user, document_id=document_id, kind=AccessKind.DOWNLOAD)
    if not document.has_searchable_pdf:
        raise NotFound("Tài liệu chưa có bản PDF tìm kiếm được.", "The document has no searchable PDF (yet).",
                       code="searchable_pdf_not_ready", detail={"status": document.status.value})
    stem = document.filename.rsplit(".", 1)[0]
    return _download(backends, derived_key(document.sha256, SEARCHABLE_PDF), f"{stem}.pdf", "application/pdf")


@router.get("/documents/{document_id}/pages/{page_number}/thumbnail.png", summary="Ảnh thu nhỏ một trang",
            responses={200: {"content": {"image/png": {}}}})
def read_thumbnail(document_id: str, page_number: PageNumber, backends: BackendsDep, uow: UowDep, clock: ClockDep,
                   user: CurrentUser) -> Response:
    document = get_document(uow=uow, clock=clock, actor=user, document_id=document_id, kind=AccessKind.PREVIEW)
    if document.page_count is None or not 1 <= page_number <= document.page_count:
        raise NotFound("Không có trang này.", "No such page.", code="page_not_found",
                       detail={"page_number": page_number, "page_count": document.page_count})
    with backends.blobs.open(thumbnail_key(document.sha256, page_number)) as stream:
        return Response(stream.read(), media_type="image/png")


@router.get("/documents/{document_id}/text", response_model=DocumentText, summary="Văn bản từng trang")
def read_text(document_id: str, uow: UowDep, clock: ClockDep, user: CurrentUser) -> DocumentText:
    document, pages = document_pages(uow=uow, clock=clock, actor=user, document_id=document_id)
    return DocumentText(document_id=document.id, status=document.status, pages=[PagePublic.of(p) for p in pages])


@router.post("/documents/{document_id}/retry", response_model=DocumentPublic, status_code=202,
             summary="Xử lý lại tài liệu bị lỗi hoặc bị kẹt")
def retry(document_id: str, backends: BackendsDep, uow: UowDep, clock: ClockDep, user: CurrentUser) -> DocumentPublic:
    document = retry_document(uow=uow, clock=clock, actor=user, document_id=document_id,
                              lease=timedelta(seconds=backends.settings.document_lease_seconds))
    return DocumentPublic.of(document)



