"""The background jobs, as the worker tasks and the inline queue both run them."""

from __future__ import annotations

from infra.backends import Backends
from ingest.pipeline import PipelineSettings, process_document
from ingest.recognize import TesseractRecognizer
from records.documents import DocumentStatus
from records.services.documents import mark_indexed
from records.services.search import index_dossier
from records.services.webhooks import DeliveryReport, deliver_due


def recognizer_for(backends: Backends) -> TesseractRecognizer:
    """Agency codes help repair dossier codes read by OCR; they are read when a worker first needs them."""
    recognizer = backends.recognizer
    if not isinstance(recognizer, TesseractRecognizer):
        with backends.uow() as uow:
            codes = [agency.code for agency in uow.agencies.list()]
        recognizer = backends.recognizer = TesseractRecognizer(known_agency_codes=codes)
    return recognizer


def process_document_job(backends: Backends, document_id: str) -> DocumentStatus:
    return process_document(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, tasks=backends.tasks,
                            recognizer=recognizer_for(backends),
                            settings=PipelineSettings(workdir=backends.settings.data_dir / "work"),
                            document_id=document_id)


def deliver_webhooks_job(backends: Backends) -> DeliveryReport:
    return deliver_due(uow=backends.uow(), sender=backends.webhooks, clock=backends.clock)


def index_dossier_job(backends: Backends, dossier_code: str) -> int:
    index_dossier(uow=backends.uow(), index=backends.search, dossier_code=dossier_code)
    return mark_indexed(uow=backends.uow(), clock=backends.clock, dossier_code=dossier_code)


class InlineTaskQueue:
    """Runs each job at once, in the caller's thread: for tests and `HOSO_TASKS=inline` debugging."""

    def __init__(self, backends: Backends) -> None:
        self._backends = backends

    def process_document(self, document_id: str) -> None:
        process_document_job(self._backends, document_id)

    def index_dossier(self, dossier_code: str) -> None:
        index_dossier_job(self._backends, dossier_code)

    def deliver_webhooks(self) -> None:
        deliver_webhooks_job(self._backends)
