"""What the composition root builds: the backends one process uses (see infra.wiring for how they are chosen)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from infra.security import Argon2Hasher, HmacSigner, TokenService
from infra.settings import Settings
from records.blobs import BlobStore
from records.calendar import WorkingCalendar
from records.clock import Clock, SystemClock
from records.ports import WebhookSender
from records.search import SearchIndex
from records.services.outbox import DispatchReport, dispatch_outbox
from records.tasks import TaskQueue
from storage.uow import SqlUnitOfWork

log = logging.getLogger("hoso.outbox")


@dataclass
class Backends:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    calendar: WorkingCalendar
    hasher: Argon2Hasher
    tokens: TokenService
    signer: HmacSigner
    blobs: BlobStore
    tasks: TaskQueue
    search: SearchIndex
    webhooks: WebhookSender
    clock: Clock = field(default_factory=SystemClock)
    recognizer: Any = None  # built by the worker on first use (infra.jobs.recognizer_for)

    def uow(self) -> SqlUnitOfWork:
        """A fresh unit of work; one per request or task, never shared between threads. A commit that recorded
        follow-up work kicks the outbox dispatcher at once."""
        return SqlUnitOfWork(self.session_factory, after_commit=self.kick_outbox)

    def dispatch_outbox(self, *, prune: bool = False) -> DispatchReport:
        """Sends the outbox's due work to this process's task queue (the scheduled run prunes old rows too).
        Outbox times are real time, whatever clock the use cases read."""
        return dispatch_outbox(uow=SqlUnitOfWork(self.session_factory), tasks=self.tasks, clock=SystemClock(),
                               prune=prune)

    def kick_outbox(self) -> None:
        """After a commit that recorded work. Never raises into the caller: the work is committed, and the
        scheduled dispatch sends whatever this one could not."""
        try:
            report = self.dispatch_outbox()
        except Exception:
            log.warning("outbox dispatch after commit failed; the scheduled dispatch will retry", exc_info=True)
            return
        if report.failed:
            log.warning("outbox: %d message(s) not sent, kept for the next dispatch", report.failed)

    def close(self) -> None:
        self.engine.dispose()
