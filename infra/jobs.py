"""The background jobs, as the worker tasks and the inline queue both run them."""

from __future__ import annotations

from infra.backends import Backends
from ingest.pipeline import PipelineSettings, process_document
from ingest.recognize import TesseractRecognizer
from records.documents import DocumentStatus
from records.services.documents import mark_indexed
from records.services.holds import lock_held_document_blobs
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
    status = process_document(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock,
                              recognizer=recognizer_for(backends),
                              settings=PipelineSettings(workdir=backends.settings.data_dir / "work"),
                              document_id=document_id)
    lock_held_document_blobs(uow=backends.uow(), blobs=backends.blobs, document_id=document_id)
    return status


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


def archive_upkeep_job(backends: Backends) -> dict[str, int]:
    """The archive's periodic work: retention clocks of newly closed dossiers (a safety net: transitions start
    them), S3 object-lock retention of kept originals until their due dates, deposit reminders, and finishing
    destructions whose blobs are still pending."""
    from records.services.archival_files import remind_deposits
    from records.services.disposition import finish_dispositions
    from records.services.retention import lock_originals_until_due, start_missing_clocks

    return {"clocks_started": start_missing_clocks(uow=backends.uow(), clock=backends.clock),
            "originals_locked": lock_originals_until_due(uow=backends.uow(), clock=backends.clock,
                                                         blobs=backends.blobs),
            "deposit_reminders": remind_deposits(uow=backends.uow(), clock=backends.clock),
            "dispositions_finished": finish_dispositions(uow=backends.uow(), blobs=backends.blobs,
                                                         index=backends.search)}


def fixity_job(backends: Backends) -> dict[str, int]:
    from records.services.fixity import Pace, run_fixity

    run = run_fixity(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock,
                     pace=Pace(backends.settings.fixity_rate_mb_s),
                     budget_seconds=backends.settings.fixity_budget_seconds)
    return {"checked": run.checked, "repaired": len(run.repaired), "damaged": len(run.unrepaired),
            "finished_pass": int(run.finished_pass), "registered": run.registered, "busy": int(run.busy)}


def audit_job(backends: Backends, *, verify: bool) -> dict[str, int]:
    """Checkpoints the audit chain's head; with `verify`, recomputes the whole chain first (alert on a break)."""
    from records.services.audit_chain import checkpoint_audit_chain, verify_audit_chain

    if verify:
        result = verify_audit_chain(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock)
        return {"checked": result.checked, "intact": int(result.intact)}
    checkpoint = checkpoint_audit_chain(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock)
    return {"checkpoint": checkpoint.entry_id if checkpoint else 0}
