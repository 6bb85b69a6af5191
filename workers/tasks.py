"""Thin tasks: JSON arguments (ids), one use case each, a small result. Transient errors are retried."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery, Task
from sqlalchemy.exc import InterfaceError, OperationalError

from infra.jobs import (
    archive_upkeep_job,
    audit_job,
    deliver_webhooks_job,
    fixity_job,
    index_dossier_job,
    process_document_job,
    requeue_stuck_job,
    sweep_job,
)
from infra.task_queue import OCR_QUEUE
from infra.wiring import Backends, build_backends
from records.blobs import BackendUnavailable
from records.services.alerts import scan_deadlines

log = logging.getLogger("hoso.workers")
TRANSIENT = (OperationalError, InterfaceError, BackendUnavailable)
RETRY = {"acks_late": True, "autoretry_for": TRANSIENT, "retry_backoff": True, "retry_jitter": True,
         "max_retries": 8}


def backends_of(app: Celery) -> Backends:
    """This process's backends, built on first use (each forked worker process builds its own)."""
    backends: Backends | None = getattr(app, "_hoso_backends", None)
    if backends is None:
        backends = build_backends(app.conf.hoso_settings)
        app._hoso_backends = backends
    return backends


def register(app: Celery) -> None:
    @app.task(name="hoso.scan_deadlines", **RETRY)
    def scan_deadlines_task() -> dict[str, int]:
        """Raises due-soon and overdue alerts. Safe to run twice: alerts are kept once per due date."""
        backends = backends_of(app)
        raised = scan_deadlines(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar)
        log.info("deadline scan raised %d alerts", raised)
        return {"raised": raised}

    # Bounded (by the prefork pool; the embedded solo worker relies on chunking and the stuck sweeper instead): one
    # chunk plus its slowest page must fit, the soft limit lets the document fail with a reason first.
    limit = app.conf.hoso_settings.task_time_limit_seconds

    @app.task(name="hoso.process_document", bind=True, time_limit=limit, soft_time_limit=0.9 * limit, **RETRY)
    def process_document_task(self: Task[Any, Any], document_id: str) -> dict[str, str]:
        """Text layer, OCR, PDF/A and thumbnails for one document (a chunk of a large one, whose rest goes back to
        the end of the queue); then its dossier goes to indexing. The task id is the run's lease on the document:
        a duplicate ends at once, a redelivery of the same task resumes."""
        def requeue(run_id: str) -> None:
            self.apply_async(args=[document_id], task_id=run_id, queue=OCR_QUEUE)

        status = process_document_job(backends_of(app), document_id, run_id=self.request.id, requeue=requeue)
        return {"status": status.value}

    @app.task(name="hoso.requeue_stuck_documents", **RETRY)
    def requeue_stuck_task() -> dict[str, int]:
        """Re-queues documents whose worker vanished mid-way (no heartbeat past the lease). Safe to repeat."""
        requeued = requeue_stuck_job(backends_of(app))
        if requeued:
            log.warning("re-queued %d stuck documents: %s", len(requeued), ", ".join(requeued))
        return {"requeued": len(requeued)}

    @app.task(name="hoso.index_dossier", **RETRY)
    def index_dossier_task(dossier_code: str) -> dict[str, int]:
        """Brings one dossier's search entry up to date. Safe to repeat."""
        return {"documents_indexed": index_dossier_job(backends_of(app), dossier_code)}

    @app.task(name="hoso.deliver_webhooks", **RETRY)
    def deliver_webhooks_task() -> dict[str, int]:
        """Posts the webhook deliveries that are due. Safe to run in several workers and to repeat."""
        report = deliver_webhooks_job(backends_of(app))
        return {"attempted": report.attempted, "delivered": report.delivered, "failed": report.failed}

    @app.task(name="hoso.dispatch_outbox", **RETRY)
    def dispatch_outbox_task() -> dict[str, int]:
        """Sends the follow-up work the last commits recorded (what the after-commit kick could not send, the
        broker being down) and prunes dispatched rows older than a day. Safe to run in several workers."""
        report = backends_of(app).dispatch_outbox(prune=True)
        return {"claimed": report.claimed, "sent": report.sent, "failed": report.failed, "pruned": report.pruned}

    @app.task(name="hoso.archive_upkeep", **RETRY)
    def archive_upkeep_task() -> dict[str, int]:
        """Retention clocks, deposit reminders, pending destructions. Safe to repeat."""
        return archive_upkeep_job(backends_of(app))

    @app.task(name="hoso.fixity", **RETRY)
    def fixity_task() -> dict[str, int]:
        """Re-reads blobs for a while (rate-limited), continuing the current pass. Safe to repeat."""
        return fixity_job(backends_of(app))

    @app.task(name="hoso.sweep_orphans", **RETRY)
    def sweep_orphans_task() -> dict[str, int]:
        """Staging/temp files and unreferenced blobs past the grace period. Safe to repeat."""
        return sweep_job(backends_of(app))

    @app.task(name="hoso.audit_checkpoint", **RETRY)
    def audit_checkpoint_task() -> dict[str, int]:
        return audit_job(backends_of(app), verify=False)

    @app.task(name="hoso.audit_verify", **RETRY)
    def audit_verify_task() -> dict[str, int]:
        """Recomputes the audit chain; a break raises an archive alert."""
        return audit_job(backends_of(app), verify=True)
