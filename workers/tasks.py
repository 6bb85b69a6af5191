"""Thin tasks: JSON arguments, one use case each, a small result. Transient database errors are retried."""

from __future__ import annotations

import logging

from celery import Celery
from sqlalchemy.exc import InterfaceError, OperationalError

from records.services.alerts import scan_deadlines

log = logging.getLogger("hoso.workers")
TRANSIENT = (OperationalError, InterfaceError)


def register(app: Celery) -> None:
    from workers.app import backends_of

    @app.task(name="hoso.scan_deadlines", acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True,
              retry_jitter=True, max_retries=5)
    def scan_deadlines_task() -> dict[str, int]:
        """Raises due-soon and overdue alerts. Safe to run twice: alerts are kept once per due date."""
        backends = backends_of(app)
        raised = scan_deadlines(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar)
        log.info("deadline scan raised %d alerts", raised)
        return {"raised": raised}
