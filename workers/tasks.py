"""Thin tasks: JSON arguments (ids), one use case each, a small result. Transient errors are retried."""

from __future__ import annotations

import logging

from celery import Celery
from sqlalchemy.exc import InterfaceError, OperationalError

from infra.jobs import (
    archive_upkeep_job,
    audit_job,
    deliver_webhooks_job,
    fixity_job,
    index_dossier_job,
    process_document_job,
)
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

    @app.task(name="hoso.process_document", **RETRY)
    def process_document_task(document_id: str) -> dict[str, str]:
        """Text layer, OCR, PDF/A and thumbnails for one document; then its dossier goes to indexing."""
        return {"status": process_document_job(backends_of(app), document_id).value}

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

    @app.task(name="hoso.audit_checkpoint", **RETRY)
    def audit_checkpoint_task() -> dict[str, int]:
        return audit_job(backends_of(app), verify=False)

    @app.task(name="hoso.audit_verify", **RETRY)
    def audit_verify_task() -> dict[str, int]:
        """Recomputes the audit chain; a break raises an archive alert."""
        return audit_job(backends_of(app), verify=True)
