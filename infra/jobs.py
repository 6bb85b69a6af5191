"""The background jobs, as the worker tasks and the inline queue both run them."""

from __future__ import annotations

import logging
from datetime import timedelta

from infra.backends import Backends
from infra.settings import Settings
from ingest.pipeline import PipelineSettings, Requeue, process_document
from ingest.recognize import TesseractRecognizer, ocr_options
from records.documents import DocumentStatus
from records.search import SearchUnavailable
from records.services.documents import mark_indexed, requeue_stuck_documents
from records.services.holds import lock_held_document_blobs
from records.services.search import index_dossier
from records.services.webhooks import DeliveryReport, deliver_due


def recognizer_for(backends: Backends) -> TesseractRecognizer:
    """Agency codes help repair dossier codes read by OCR; they are read when a worker first needs them."""
    recognizer = backends.recognizer
    if not isinstance(recognizer, TesseractRecognizer):
        with backends.uow() as uow:
            codes = [agency.code for agency in uow.agencies.list()]
        recognizer = backends.recognizer = TesseractRecognizer(
            known_agency_codes=codes, options=ocr_options(backends.settings.processing_budget))
    return recognizer


def pipeline_settings(settings: Settings) -> PipelineSettings:
    return PipelineSettings(workdir=settings.data_dir / "work", chunk_pages=settings.ocr_chunk_pages,
                            chunk_seconds=settings.ocr_chunk_seconds,
                            lease=timedelta(seconds=settings.document_lease_seconds),
                            limits=settings.processing_budget)


def process_document_job(backends: Backends, document_id: str, *, run_id: str | None = None,
                         requeue: Requeue | None = None) -> DocumentStatus:
    """One run of the pipeline: with `requeue`, a large document's rest goes back to the queue (worker tasks);
    without it, all its chunks run here (the inline queue)."""
    status = process_document(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock,
                              recognizer=recognizer_for(backends), settings=pipeline_settings(backends.settings),
                              document_id=document_id, run_id=run_id, requeue=requeue)
    lock_held_document_blobs(uow=backends.uow(), blobs=backends.blobs, document_id=document_id)
    return status


def requeue_stuck_job(backends: Backends) -> list[str]:
    return requeue_stuck_documents(uow=backends.uow(), clock=backends.clock,
                                   lease=timedelta(seconds=backends.settings.document_lease_seconds),
                                   queued_timeout=timedelta(seconds=backends.settings.document_queued_seconds))


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
        """A broken index does not fail the write that asked for indexing: the dossier stays unindexed until
        `hoso reindex` (a worker would retry the task instead)."""
        try:
            index_dossier_job(self._backends, dossier_code)
        except SearchUnavailable as error:
            logging.getLogger("hoso.search").warning("dossier %s not indexed: search index unavailable (%s)",
                                                     dossier_code, error.detail.get("reason"))

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


def sweep_job(backends: Backends) -> dict[str, int]:
    """The orphan sweeper: staged uploads and OCR working files left by a killed process, temporary blob writes,
    and blobs no row references — all older than `orphan_grace_minutes`. Logs and counts what it removed."""
    from ingest.staging import sweep_stale_files
    from records.services.sweep import sweep_unreferenced_blobs

    grace = timedelta(minutes=backends.settings.orphan_grace_minutes)
    data_dir = backends.settings.data_dir
    staged = sweep_stale_files(data_dir / "staging", older_than_seconds=grace.total_seconds())
    work = sweep_stale_files(data_dir / "work", older_than_seconds=grace.total_seconds())
    blobs = sweep_unreferenced_blobs(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, grace=grace)
    result = {"staging_files": staged, "work_files": work, "blob_temporaries": blobs.temporaries,
              "blobs_checked": blobs.checked, "blobs_removed": len(blobs.removed)}
    logging.getLogger("hoso.sweep").info("orphan sweep: %s", result)
    return result
