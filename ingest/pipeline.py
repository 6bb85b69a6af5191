"""The document pipeline: a list of short steps from a stored original to page texts, derivatives and a
queued index update. Each step is safe to repeat; bad input stops the pipeline with a reason.

    fetch original → identify and validate → text layer (born-digital pages) → OCR (the other pages,
    plus a searchable PDF/A for scanned documents) → thumbnails → store texts → hand over to indexing
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Protocol

from PIL import Image

from ingest.pages import PageImage, PageLimits, inspect_document, iter_page_images, iter_thumbnails
from ingest.pdf_text import iter_pdf_text
from ingest.sniff import FileKind, sniff_path
from records.blobs import (
    SEARCHABLE_PDF,
    TEXT_JSON,
    BackendUnavailable,
    BlobStore,
    derived_key,
    original_key,
    thumbnail_key,
)
from records.clock import Clock
from records.documents import Document, DocumentStatus, PageSource, PageText
from records.errors import DomainError, NotFound
from records.outbox import index_dossier_later
from records.ports import UnitOfWork
from records.services.fixity import register_document_blobs

log = logging.getLogger("hoso.ingest")


@dataclass(frozen=True)
class RecognizedPage:
    text: str
    confidence: float | None


@dataclass
class RecognizedDocument:
    pages: dict[int, RecognizedPage] = field(default_factory=dict)
    searchable_pdf: Path | None = None  # the whole document as PDF/A with a text layer, when made


class Recognizer(Protocol):
    def recognize(self, images: Iterator[tuple[int, Image.Image]], *, make_pdf: bool,
                  workdir: Path) -> RecognizedDocument:
        """OCR of the given pages (page number, image), optionally a searchable PDF/A of exactly them."""
        ...


@dataclass(frozen=True)
class PipelineSettings:
    workdir: Path
    limits: PageLimits = field(default_factory=PageLimits)
    thumbnails: bool = True


def process_document(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock, recognizer: Recognizer,
                     settings: PipelineSettings, document_id: str) -> DocumentStatus:
    """Runs the pipeline for one document and hands its dossier to the index queue.

    Bad input (a malformed, encrypted or oversized file) ends in `failed` with the reason; the rest of the
    dossier and the queue carry on. BackendUnavailable propagates so the task is retried later.
    """
    document = _start(uow, clock, document_id)
    if document is None:
        return DocumentStatus.FAILED
    try:
        with _fetched(blobs, document, settings.workdir) as path:
            kind = sniff_path(path, document.filename).kind
            pages, page_count, pdf = _extract(uow, clock, document, path, kind, recognizer, settings)
            derived = _store_derivatives(blobs, document, path, kind, pages, pdf, settings)
    except (BackendUnavailable, OSError):
        raise  # transient: the task retries, the status stays where it was
    except DomainError as error:
        return _fail(uow, clock, document_id, error.code, error.message_vi)
    except Exception as error:  # a bug or a tool crash: recorded with its kind, never "unknown"
        log.exception("document %s failed", document_id)
        return _fail(uow, clock, document_id, "processing_failed", f"{type(error).__name__}: {error}"[:500])
    with uow:
        uow.begin_write()
        current = uow.documents.get(document_id, for_update=True)
        if current is None:
            return DocumentStatus.FAILED
        current.page_count = page_count
        current.has_searchable_pdf = pdf is not None
        uow.documents.set_pages(document_id, pages)
        uow.documents.save(current)
        register_document_blobs(uow, current, derived, clock.now())  # the hashes fixity checks against
        index_dossier_later(uow.outbox, document.dossier_code)  # with the pages: never text left unindexed
        uow.commit()
    return current.status


def _start(uow: UnitOfWork, clock: Clock, document_id: str) -> Document | None:
    with uow:
        uow.begin_write()
        document = uow.documents.get(document_id, for_update=True)
        if document is None:
            log.warning("document %s no longer exists; nothing to do", document_id)
            return None
        document.move(DocumentStatus.EXTRACTING, clock.now())
        uow.documents.save(document)
        uow.commit()
    return document


def _set_status(uow: UnitOfWork, clock: Clock, document_id: str, status: DocumentStatus) -> None:
    with uow:
        uow.begin_write()
        document = uow.documents.get(document_id, for_update=True)
        if document is None:
            raise NotFound(code="document_not_found", detail={"document_id": document_id})
        document.move(status, clock.now())
        uow.documents.save(document)
        uow.commit()


def _fail(uow: UnitOfWork, clock: Clock, document_id: str, code: str, reason: str) -> DocumentStatus:
    with uow:
        uow.begin_write()
        document = uow.documents.get(document_id, for_update=True)
        if document is None:
            return DocumentStatus.FAILED
        document.move(DocumentStatus.FAILED, clock.now(), failure_code=code, failure_reason=reason)
        uow.documents.save(document)
        uow.commit()
    log.info("document %s failed: %s", document_id, code)
    return DocumentStatus.FAILED


@contextmanager
def _fetched(blobs: BlobStore, document: Document, workdir: Path) -> Iterator[Path]:
    """The original, copied to a local working file (the tools read files), removed afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix=f"doc-{document.id}-", dir=workdir))
    try:
        path = directory / "original"
        with blobs.open(original_key(document.sha256)) as source, path.open("wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _extract(uow: UnitOfWork, clock: Clock, document: Document, path: Path, kind: FileKind, recognizer: Recognizer,
             settings: PipelineSettings) -> tuple[list[PageText], int, Path | None]:
    info = inspect_document(path, kind, limits=settings.limits)
    texts: dict[int, PageText] = {}
    if kind is FileKind.PDF:
        for page in iter_pdf_text(path, limits=settings.limits):
            if not page.needs_ocr:
                texts[page.number] = PageText(page.number, page.text, PageSource.TEXT_LAYER)
    to_recognize = [n for n in range(1, info.page_count + 1) if n not in texts]
    pdf: Path | None = None
    if to_recognize:
        _set_status(uow, clock, document.id, DocumentStatus.OCR)
        scanned = len(to_recognize) == info.page_count  # a scan: worth a searchable PDF/A
        images = (_with_dpi(p) for p in iter_page_images(path, kind, limits=settings.limits, pages=to_recognize))
        result = recognizer.recognize(images, make_pdf=scanned, workdir=path.parent)
        for number, recognized in result.pages.items():
            texts[number] = PageText(number, recognized.text, PageSource.OCR, recognized.confidence)
        pdf = result.searchable_pdf
    return [texts[n] for n in sorted(texts)], info.page_count, pdf


def _with_dpi(page: PageImage) -> tuple[int, Image.Image]:
    """The page image, carrying its resolution (Tesseract and the PDF/A need it) in its info."""
    if page.dpi:
        page.image.info["dpi"] = (page.dpi, page.dpi)
    return page.number, page.image


def _store_derivatives(blobs: BlobStore, document: Document, path: Path, kind: FileKind, pages: Sequence[PageText],
                       pdf: Path | None, settings: PipelineSettings) -> dict[str, tuple[str, int]]:
    """Stores the derivatives; returns each one's key with the SHA-256 and size it was written with."""
    written = []
    if pdf is not None:
        with pdf.open("rb") as stream:
            written.append(blobs.put(derived_key(document.sha256, SEARCHABLE_PDF), stream,
                                     content_type="application/pdf"))
    if settings.thumbnails:
        for thumb in iter_thumbnails(path, kind, limits=settings.limits):
            written.append(blobs.put(thumbnail_key(document.sha256, thumb.number), BytesIO(thumb.png),
                                     content_type="image/png"))
    text = json.dumps({"pages": [{"page": p.page_number, "source": p.source.value, "text": p.text}
                                 for p in pages]}, ensure_ascii=False).encode()
    written.append(blobs.put(derived_key(document.sha256, TEXT_JSON), BytesIO(text), content_type="application/json"))
    return {info.key: (info.sha256, info.size) for info in written}
