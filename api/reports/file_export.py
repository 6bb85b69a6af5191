"""The Decree 30 export of one archival file as a single PDF: its cover (the file's metadata), the list of its
documents, then every document in chronological order — the searchable PDF/A when the worker made one, else the
original PDF, an image original as a page of its own."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

import pikepdf
from PIL import Image, ImageSequence

from api.reports.archive_lists import ArchiveList, render_archive_list
from records.archival_files import FileSummary
from records.decree30 import FileMetadata

Opener = Callable[[str], BinaryIO | None]  # a document's id → its best PDF or image stream, or None


def _cover(summary: FileSummary, meta: FileMetadata) -> bytes:
    f = summary.file
    span = " – ".join(d.strftime("%d/%m/%Y") if d else "" for d in (summary.start_date, summary.end_date))
    rows = [["FileCode (Mã hồ sơ)", f.file_code], ["Title (Tiêu đề)", f.title], ["Maintenance (Thời hạn bảo quản)",
            f.maintenance], ["Rights (Chế độ sử dụng)", f.rights], ["Creator (Cơ quan lập)", f.creator],
            ["Language (Ngôn ngữ)", f.language], ["StartDate – EndDate", span],
            ["DocTotal (Số văn bản)", str(meta.doc_total)], ["PageTotal (Số trang)", str(meta.page_total)],
            ["Description (Chú giải)", f.description]]
    cover = render_archive_list(ArchiveList(agency_name=f.creator, title="BÌA HỒ SƠ", columns=[("Trường", 2),
                                                                                             ("Giá trị", 6)],
                                            rows=rows, created_at=datetime.now().astimezone()))
    listing = render_archive_list(ArchiveList(
        agency_name=f.creator, title="MỤC LỤC VĂN BẢN TRONG HỒ SƠ", intro=[f"Mã hồ sơ: {f.file_code}"],
        columns=[("STT", 1), ("Số, ký hiệu", 3), ("Ngày", 2), ("Tác giả", 4), ("Trích yếu", 9), ("Tờ", 1.2)],
        rows=[[str(d.doc_ordinal), f"{d.code_number}/{d.code_notation}".strip("/"),
               d.issued_date.strftime("%d/%m/%Y") if d.issued_date else "", d.organ_name, d.subject,
               str(d.page_amount or "")] for d in meta.documents]))
    merged = pikepdf.new()
    for part in (cover, listing):
        with pikepdf.open(io.BytesIO(part)) as pdf:
            merged.pages.extend(pdf.pages)
    out = io.BytesIO()
    merged.save(out)
    return out.getvalue()


def _notice_page(ordinal: int, document_id: str) -> bytes:
    """The page standing in for a document whose content could not be read, so the order and the count still hold."""
    paper = ArchiveList(agency_name="", title=f"VĂN BẢN SỐ {ordinal}", columns=[("Ghi chú / Note", 1)], rows=[[
        f"Không đọc được nội dung văn bản (mã {document_id}): tệp bị thiếu hoặc không phải PDF hay ảnh. "
        f"The content of document {document_id} could not be read: missing, or neither a PDF nor an image."]])
    return render_archive_list(paper)


def _as_pdf(data: bytes) -> bytes | None:
    """A PDF as it is; an image (every frame of a multi-page TIFF) as PDF pages; anything else None."""
    if data.startswith(b"%PDF"):
        return data
    page = io.BytesIO()
    try:
        with Image.open(io.BytesIO(data)) as image:
            frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(image)]
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    frames[0].save(page, format="PDF", resolution=200, save_all=True, append_images=frames[1:])
    return page.getvalue()


def render_file_pdf(summary: FileSummary, meta: FileMetadata, document_ids: list[str], open_document: Opener) -> bytes:
    """`document_ids` in DocOrdinal order; a document whose content cannot be read gets a page saying so (it is
    neither skipped silently nor allowed to stop the export)."""
    result = pikepdf.open(io.BytesIO(_cover(summary, meta)))
    for ordinal, document_id in enumerate(document_ids, start=1):
        stream = open_document(document_id)
        pdf_bytes: bytes | None = None
        if stream is not None:
            with stream:
                pdf_bytes = _as_pdf(stream.read())
        if pdf_bytes is not None:
            try:
                with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
                    result.pages.extend(pdf.pages)
                continue
            except pikepdf.PdfError:
                pass
        with pikepdf.open(io.BytesIO(_notice_page(ordinal, document_id))) as pdf:
            result.pages.extend(pdf.pages)
    out = io.BytesIO()
    result.save(out)
    return out.getvalue()
