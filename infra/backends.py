"""What the composition root builds: the backends one process uses (see infra.wiring for how they are chosen)."""

from __future__ import annotations

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
from records.tasks import TaskQueue
from storage.uow import SqlUnitOfWork


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
        """A fresh unit of work; one per request or task, never shared between threads."""
        return SqlUnitOfWork(self.session_factory)

    def close(self) -> None:
        self.engine.dispose()
