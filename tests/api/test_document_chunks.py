"""A large document read in chunks, with progress saved: continuations, duplicate tasks, a lost continuation picked
up by the stuck sweeper, and a repeated run — each leaves exactly one set of page texts and derivatives.

Real Tesseract on small generated pages; both databases; the pipeline is called as the worker task calls it."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import replace
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pikepdf

from infra.jobs import recognizer_for
from infra.wiring import Backends
from ingest.pipeline import PipelineSettings, process_document
from records.blobs import SEARCHABLE_PDF, TEXT_JSON, derived_key
from records.clock import FixedClock
from records.documents import Document, DocumentMetadata, DocumentStatus
from records.dossiers import Channel
from records.procedures import DocumentType
from records.services.catalogue import load_principal
from records.services.documents import StagedUpload, register_document, requeue_stuck_documents
from records.services.intake import receive_dossier
from tests.support.factories import LAND_FIRST_CERTIFICATE, applicant
from tests.support.processes import cheap_scan_pdf

LEASE = timedelta(minutes=5)


class Continuations:
    """The queue as the pipeline sees it: continuations (by run id) and re-queued documents, in order."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.documents: list[str] = []

    def __call__(self, run_id: str) -> None:
        self.runs.append(run_id)

    def process_document(self, document_id: str) -> None:
        self.documents.append(document_id)

    def index_dossier(self, dossier_code: str) -> None:
        raise AssertionError("only process_document is expected here")

    def deliver_webhooks(self) -> None:
        raise AssertionError("only process_document is expected here")


def _scan(backends: Backends, tmp_path: Path, pages: int) -> Document:
    desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
    code = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk,
                           procedure_code=LAND_FIRST_CERTIFICATE, applicant=applicant(), channel=Channel.COUNTER,
                           received_at=backends.clock.now(), signer=backends.signer).dossier.code
    content = cheap_scan_pdf(pages, word="HOSO")
    staged = tmp_path / "scan.pdf"
    staged.write_bytes(content)
    upload = StagedUpload(staged, hashlib.sha256(content).hexdigest(), len(content), "application/pdf", "scan.pdf")
    held = replace(backends, tasks=Continuations())  # its processing is recorded, and run by the test's own hand
    return register_document(uow=held.uow(), blobs=backends.blobs, clock=backends.clock, actor=desk,
                             dossier_code=code, upload=upload, document_type=DocumentType.APPLICATION_FORM,
                             title="Bản quét", metadata=DocumentMetadata()).document


def _run(backends: Backends, tmp_path: Path, document_id: str, run_id: str, queue: Continuations) -> DocumentStatus:
    return process_document(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock,
                            recognizer=recognizer_for(backends),
                            settings=PipelineSettings(workdir=tmp_path / "work", chunk_pages=2, lease=LEASE),
                            document_id=document_id, run_id=run_id, requeue=queue)


def _current(backends: Backends, document_id: str) -> Document:
    with backends.uow() as uow:
        document = uow.documents.get(document_id)
    assert document is not None
    return document


def _assert_one_complete_set(backends: Backends, document: Document, pages: int) -> None:
    with backends.uow() as uow:
        texts = uow.documents.pages(document.id)
    assert [(p.page_number, p.source.value, p.text.strip()) for p in texts] == [
        (n, "ocr", f"HOSO {n}") for n in range(1, pages + 1)]
    with backends.blobs.open(derived_key(document.sha256, TEXT_JSON)) as stream:
        assert [p["page"] for p in json.load(stream)["pages"]] == list(range(1, pages + 1))
    with backends.blobs.open(derived_key(document.sha256, SEARCHABLE_PDF)) as stream, \
            pikepdf.open(BytesIO(stream.read())) as pdf:
        assert len(pdf.pages) == pages
    assert not backends.blobs.exists(derived_key(document.sha256, "searchable-part-00001.pdf"))


def test_a_large_scan_goes_chunk_by_chunk_and_duplicates_change_nothing(backends: Backends, tmp_path: Path) -> None:
    """GIVEN a 5-page scan and chunks of 2 pages WHEN the first run ends THEN 2 pages are saved and a continuation
    is queued; a duplicate task meanwhile does nothing; the continuations finish it: one page set, one
    searchable PDF of 5 pages, indexed. Running the whole document again leaves the same single set."""
    document = _scan(backends, tmp_path, pages=5)
    queue = Continuations()
    assert _run(backends, tmp_path, document.id, uuid.uuid4().hex, queue) is DocumentStatus.OCR
    assert _current(backends, document.id).pages_done == 2 and len(queue.runs) == 1

    assert _run(backends, tmp_path, document.id, "a-duplicate-task", queue) is DocumentStatus.OCR
    assert _current(backends, document.id).pages_done == 2 and len(queue.runs) == 1  # it found the lease taken

    while queue.runs:
        _run(backends, tmp_path, document.id, queue.runs.pop(0), queue)
    finished = _current(backends, document.id)
    assert (finished.status, finished.page_count, finished.lease_owner) == (DocumentStatus.INDEXED, 5, None)
    _assert_one_complete_set(backends, finished, 5)

    _run(backends, tmp_path, document.id, "run-it-again", queue)  # re-extraction, all chunks
    while queue.runs:
        _run(backends, tmp_path, document.id, queue.runs.pop(0), queue)
    assert _current(backends, document.id).status is DocumentStatus.INDEXED
    _assert_one_complete_set(backends, finished, 5)


def test_a_lost_continuation_is_requeued_by_the_sweeper_and_resumes(backends: Backends, tmp_path: Path) -> None:
    """GIVEN a scan whose continuation was lost (its worker died) WHEN the lease runs out THEN the sweeper re-queues
    the document (once: not again at the next sweep) and the new task resumes at page 3."""
    assert isinstance(backends.clock, FixedClock)
    document = _scan(backends, tmp_path, pages=3)
    queue = Continuations()
    _run(backends, tmp_path, document.id, uuid.uuid4().hex, queue)
    queue.runs.clear()  # lost with the worker
    swept = replace(backends, tasks=queue)  # the sweeper's outbox messages arrive in `queue`
    assert requeue_stuck_documents(uow=swept.uow(), clock=backends.clock, lease=LEASE) == []

    backends.clock.advance(LEASE + timedelta(seconds=1))
    assert requeue_stuck_documents(uow=swept.uow(), clock=backends.clock, lease=LEASE) == [document.id]
    assert requeue_stuck_documents(uow=swept.uow(), clock=backends.clock, lease=LEASE) == []
    assert queue.documents == [document.id]

    _run(backends, tmp_path, document.id, uuid.uuid4().hex, queue)
    finished = _current(backends, document.id)
    assert (finished.status, finished.page_count) == (DocumentStatus.INDEXED, 3)
    _assert_one_complete_set(backends, finished, 3)


def test_a_queued_document_whose_message_was_lost_is_sent_again_once(backends: Backends, tmp_path: Path) -> None:
    """GIVEN a scan whose processing message the broker lost (it stays `queued`) WHEN the queued timeout passes THEN
    the sweeper sends it again, once (not at the next sweep), and it is then processed to the end."""
    assert isinstance(backends.clock, FixedClock)
    document = _scan(backends, tmp_path, pages=1)  # its message went to a queue that drops it
    queue = Continuations()
    swept = replace(backends, tasks=queue)
    waited = timedelta(minutes=15)
    assert requeue_stuck_documents(uow=swept.uow(), clock=backends.clock, lease=LEASE, queued_timeout=waited) == []

    backends.clock.advance(waited + timedelta(seconds=1))
    assert requeue_stuck_documents(uow=swept.uow(), clock=backends.clock, lease=LEASE,
                                   queued_timeout=waited) == [document.id]
    assert requeue_stuck_documents(uow=swept.uow(), clock=backends.clock, lease=LEASE, queued_timeout=waited) == []
    assert queue.documents == [document.id]

    _run(backends, tmp_path, document.id, uuid.uuid4().hex, queue)
    assert _current(backends, document.id).status is DocumentStatus.INDEXED
