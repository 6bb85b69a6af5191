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
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Protocol

import pikepdf
from PIL import Image

from ingest.budget import BudgetMemory, CpuMeter, configure_pillow, metered
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
from records.documents import IN_PROGRESS, Document, DocumentStatus, PageSource, PageText
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
    # A large document is processed in chunks of at most this many pages and (roughly) seconds; after each chunk
    # its progress is saved and the rest goes to the back of the queue, so that small scans are not held back.
    chunk_pages: int = 0  # 0: the whole document in one run
    chunk_seconds: float = 0.0  # 0: no time bound
    lease: timedelta = timedelta(minutes=5)  # no heartbeat for this long: the run vanished (see Document.is_stuck)


Requeue = Callable[[str], None]
"""Sends the continuation of a document with the given run id (its task id) to the back of the queue."""


class LeaseLost(Exception):
    """Another run took the document over (this one was presumed dead): this run stops without writing."""


@dataclass
class _Chunk:
    first: int
    last: int  # the last page done in this run
    page_count: int
    texts: dict[int, PageText]
    derived: dict[str, tuple[str, int]]  # thumbnails written (key -> sha256, size), registered for fixity
    pdf: Path | None  # this chunk's searchable PDF, when its pages are all scans
    parts: list[str] = field(default_factory=list)  # earlier runs' pieces of the searchable PDF

    @property
    def finished(self) -> bool:
        return self.last >= self.page_count


def process_document(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock, recognizer: Recognizer,
                     settings: PipelineSettings, document_id: str, run_id: str | None = None,
                     requeue: Requeue | None = None) -> DocumentStatus:
    """Runs the pipeline for one document (a chunk of it, for a large one) and hands its dossier to the index
    queue when the last chunk is done. With `requeue`, the rest of a large document is sent to the back of the
    queue under a new run id; without it, the chunks follow each other here.

    The document is leased to `run_id` while it runs (a heartbeat on every page): a duplicate task for the same
    document ends at once; a document whose run vanished is taken over by the next task (see
    records.services.documents.requeue_stuck_documents) and resumes after its last saved chunk. Bad input (a
    malformed, encrypted or oversized file) ends in `failed` with the reason; the rest of the dossier and the
    queue carry on. BackendUnavailable propagates so the task is retried later.
    """
    run_id = run_id or uuid.uuid4().hex
    configure_pillow(settings.limits)
    while True:
        document, runnable = _claim(uow, clock, document_id, run_id, settings.lease)
        if document is None or not runnable:
            return DocumentStatus.FAILED if document is None else document.status
        if document.page_count is not None:  # all done, waiting for its index entry: a duplicate task
            _index_later(uow, document.dossier_code)
            return document.status
        next_run = uuid.uuid4().hex
        try:
            # Each chunk has its pages' CPU budget (the base, plus so much per page of the chunk).
            with _fetched(blobs, document, settings.workdir) as path, metered(
                    CpuMeter.for_document(settings.limits)) as meter:
                chunk = _run_chunk(uow, blobs, clock, document, path, run_id, settings, recognizer, meter)
                if chunk.finished:
                    chunk.derived.update(_store_final(uow, blobs, document, chunk, path.parent))
                status = _save_chunk(uow, clock, document, chunk, run_id, next_run)
        except LeaseLost:
            log.warning("document %s was taken over by another run; run %s stops", document_id, run_id)
            return DocumentStatus.OCR
        except (BackendUnavailable, OSError):
            raise  # transient: the task retries, the status stays where it was
        except DomainError as error:
            return _fail(uow, clock, document_id, error.code, error.message_vi)
        except MemoryError:  # in-process decoding past what the worker can hold: named like a tool's
            return _fail(uow, clock, document_id, BudgetMemory.code, BudgetMemory.message_vi)
        except Exception as error:  # a bug or a tool crash: recorded with its kind, never "unknown"
            log.exception("document %s failed", document_id)
            return _fail(uow, clock, document_id, "processing_failed", f"{type(error).__name__}: {error}"[:500])
        if chunk.finished:
            for key in chunk.parts:  # the searchable PDF's pieces, merged into it
                blobs.delete(key)
            return status  # its dossier's reindexing was recorded with the last chunk
        log.info("document %s: pages %d-%d of %d done; the rest goes back to the queue", document_id, chunk.first,
                 chunk.last, chunk.page_count)
        if requeue is not None:
            requeue(next_run)
            return status
        run_id = next_run


def _claim(uow: UnitOfWork, clock: Clock, document_id: str, run_id: str,
           lease: timedelta) -> tuple[Document | None, bool]:
    """Takes the document's lease for `run_id`: (the document, whether this run may work on it)."""
    with uow:
        uow.begin_write()
        document = uow.documents.get(document_id, for_update=True)
        if document is None:
            log.warning("document %s no longer exists; nothing to do", document_id)
            return None, False
        now = clock.now()
        if not document.may_run(run_id, now, lease):
            log.info("document %s is %s (lease %s); task %s ends", document_id, document.status.value,
                     document.lease_owner, run_id)
            return document, False
        if document.status in IN_PROGRESS and document.page_count is not None:
            return document, True  # all read, waiting for its index entry: nothing to take over
        if document.status not in IN_PROGRESS:  # new work: queued, or re-extraction of an indexed document
            document.move(DocumentStatus.EXTRACTING, now)
            document.pages_done, document.page_count = 0, None
            uow.documents.set_pages(document_id, [])
        document.take_lease(run_id, now)
        uow.documents.save(document)
        uow.commit()
    return document, True


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
        document.take_lease(None, clock.now())
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


def _run_chunk(uow: UnitOfWork, blobs: BlobStore, clock: Clock, document: Document, path: Path, run_id: str,
               settings: PipelineSettings, recognizer: Recognizer, meter: CpuMeter) -> _Chunk:
    """Text layer, OCR and thumbnails of the next pages (from pages_done + 1), within the chunk's bounds."""
    kind = sniff_path(path, document.filename).kind
    page_count = inspect_document(path, kind, limits=settings.limits).page_count
    first = document.pages_done + 1
    last = page_count if settings.chunk_pages <= 0 else min(page_count, first + settings.chunk_pages - 1)
    meter.allow_pages(last - first + 1)
    texts: dict[int, PageText] = {}
    if kind is FileKind.PDF:
        for page in iter_pdf_text(path, limits=settings.limits, first=first):
            if page.number > last:
                break
            if not page.needs_ocr:
                texts[page.number] = PageText(page.number, page.text, PageSource.TEXT_LAYER)
    to_recognize = [n for n in range(first, last + 1) if n not in texts]
    pdf: Path | None = None
    if to_recognize:
        if document.status is DocumentStatus.EXTRACTING:
            _set_status(uow, clock, document.id, DocumentStatus.OCR)
            document.status = DocumentStatus.OCR
        scanned = len(to_recognize) == last - first + 1  # a scan: worth a searchable PDF/A
        pacer = _Pacer(uow, clock, document.id, run_id, settings)
        images = pacer.bounded(iter_page_images(path, kind, limits=settings.limits, pages=to_recognize))
        result = recognizer.recognize(images, make_pdf=scanned, workdir=path.parent)
        for number, recognized in result.pages.items():
            texts[number] = PageText(number, recognized.text, PageSource.OCR, recognized.confidence)
        if pacer.stopped_after is not None:  # out of time: the chunk ends with the last page read
            last = pacer.stopped_after
            texts = {n: t for n, t in texts.items() if n <= last}
        pdf = result.searchable_pdf
    derived: dict[str, tuple[str, int]] = {}
    if settings.thumbnails:
        for thumb in iter_thumbnails(path, kind, limits=settings.limits, pages=range(first, last + 1)):
            info = blobs.put(thumbnail_key(document.sha256, thumb.number), BytesIO(thumb.png),
                             content_type="image/png")
            derived[info.key] = (info.sha256, info.size)
    chunk = _Chunk(first, last, page_count, texts, derived, pdf)
    if pdf is not None and not (first == 1 and chunk.finished):  # one part of a searchable PDF in several runs
        with pdf.open("rb") as stream:
            blobs.put(_part_key(document, first), stream, content_type="application/pdf")
    return chunk


class _Pacer:
    """Feeds page images to the recognizer, beating the document's heartbeat on the way, and stops once the
    chunk's time is up (always after at least one page)."""

    def __init__(self, uow: UnitOfWork, clock: Clock, document_id: str, run_id: str,
                 settings: PipelineSettings) -> None:
        self._uow, self._clock, self._document_id, self._run_id = uow, clock, document_id, run_id
        self._seconds = settings.chunk_seconds
        self._beat_every = settings.lease.total_seconds() / 5
        self._last_beat = time.monotonic()
        self.stopped_after: int | None = None

    def bounded(self, pages: Iterator[PageImage]) -> Iterator[tuple[int, Image.Image]]:
        started = time.monotonic()
        try:
            for page in pages:
                yield _with_dpi(page)  # the recognizer asks for the next page once it has read this one
                self._beat()
                if self._seconds > 0 and time.monotonic() - started > self._seconds:
                    self.stopped_after = page.number
                    return
        finally:
            close = getattr(pages, "close", None)
            if close is not None:
                close()

    def _beat(self) -> None:
        if time.monotonic() - self._last_beat < self._beat_every:
            return
        self._last_beat = time.monotonic()
        with self._uow:
            self._uow.begin_write()
            alive = self._uow.documents.heartbeat(self._document_id, self._run_id, self._clock.now())
            self._uow.commit()
        if not alive:
            raise LeaseLost(self._document_id)


def _part_key(document: Document, first_page: int) -> str:
    return derived_key(document.sha256, f"searchable-part-{first_page:05d}.pdf")


def _merged_parts(blobs: BlobStore, document: Document, chunk: _Chunk, workdir: Path) -> Path | None:
    """The whole searchable PDF: the parts earlier runs wrote (copied to local files, opened lazily: memory stays
    flat) followed by this last chunk's. None when a run found text-layer pages (no part from it: not a scan).
    The parts' keys are kept in `chunk.parts`, to be deleted once the document is saved."""
    files, first = [], 1
    while first < chunk.first and blobs.exists(key := _part_key(document, first)):
        file = workdir / f"part-{first:05d}.pdf"
        with blobs.open(key) as stream, file.open("wb") as local:
            shutil.copyfileobj(stream, local, 1024 * 1024)
        with pikepdf.open(file) as part:
            first += max(len(part.pages), 1)
        chunk.parts.append(key)
        files.append(file)
    if chunk.pdf is None or first != chunk.first:
        return None
    sources = [pikepdf.open(file) for file in [*files, chunk.pdf]]
    try:
        merged = sources[0]
        for source in sources[1:]:
            merged.pages.extend(source.pages)
        target = workdir / "searchable-merged.pdf"
        merged.save(target)
    finally:
        for source in sources:
            source.close()
    return target


def _store_final(uow: UnitOfWork, blobs: BlobStore, document: Document, chunk: _Chunk,
                 workdir: Path) -> dict[str, tuple[str, int]]:
    """The whole document's derivatives once its last chunk is read: the searchable PDF and the texts."""
    with uow:
        stored = {p.page_number: p for p in uow.documents.pages(document.id) if p.page_number < chunk.first}
    pages = [*(stored[n] for n in sorted(stored)), *(chunk.texts[n] for n in sorted(chunk.texts))]
    pdf = chunk.pdf if chunk.first == 1 else _merged_parts(blobs, document, chunk, workdir)
    written = []
    if pdf is not None:
        with pdf.open("rb") as stream:
            written.append(blobs.put(derived_key(document.sha256, SEARCHABLE_PDF), stream,
                                     content_type="application/pdf"))
    chunk.pdf = pdf
    text = json.dumps({"pages": [{"page": p.page_number, "source": p.source.value, "text": p.text}
                                 for p in pages]}, ensure_ascii=False).encode()
    written.append(blobs.put(derived_key(document.sha256, TEXT_JSON), BytesIO(text), content_type="application/json"))
    return {info.key: (info.sha256, info.size) for info in written}


def _save_chunk(uow: UnitOfWork, clock: Clock, document: Document, chunk: _Chunk, run_id: str,
                next_run: str) -> DocumentStatus:
    """Saves the chunk's page texts and progress; hands the lease to the continuation (or frees it at the end)."""
    with uow:
        uow.begin_write()
        current = uow.documents.get(document.id, for_update=True)
        if current is None:
            raise NotFound(code="document_not_found", detail={"document_id": document.id})
        if current.lease_owner != run_id:
            raise LeaseLost(document.id)
        uow.documents.put_pages(document.id, [chunk.texts[n] for n in sorted(chunk.texts)])
        current.pages_done = chunk.last
        if chunk.finished:
            current.page_count = chunk.page_count
            current.has_searchable_pdf = chunk.pdf is not None
            current.take_lease(None, clock.now())
        else:
            current.take_lease(next_run, clock.now())
        uow.documents.save(current)
        register_document_blobs(uow, current, chunk.derived, clock.now())  # the hashes fixity checks against
        if chunk.finished:
            index_dossier_later(uow.outbox, document.dossier_code)  # with the pages: never text left unindexed
        uow.commit()
    return current.status


def _index_later(uow: UnitOfWork, dossier_code: str) -> None:
    with uow:
        uow.begin_write()
        index_dossier_later(uow.outbox, dossier_code)
        uow.commit()


def _with_dpi(page: PageImage) -> tuple[int, Image.Image]:
    """The page image, carrying its resolution (Tesseract and the PDF/A need it) in its info."""
    if page.dpi:
        page.image.info["dpi"] = (page.dpi, page.dpi)
    return page.number, page.image
