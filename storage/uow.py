"""The SQL unit of work: one session, one transaction, the repositories on top."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from storage.access_log import SqlAccessLogRepository
from storage.archival_files import SqlArchivalFileRepository
from storage.archive_alerts import SqlArchiveAlertRepository
from storage.db import WRITE_INTENT, FairLock, sqlite_write_lock
from storage.disposition import SqlDispositionRepository
from storage.documents import SqlDocumentRepository
from storage.dossiers import SqlDossierRepository
from storage.fixity import SqlFixityRepository
from storage.idempotency import SqlIdempotencyKeyRepository
from storage.limits import SqlAttemptLimitRepository
from storage.outbox import SqlOutbox
from storage.past_imports import SqlImportJournalRepository
from storage.repositories import (
    SqlAgencyRepository,
    SqlAlertRepository,
    SqlProcedureRepository,
    SqlUserRepository,
)
from storage.retention import SqlHoldRepository, SqlRetentionRepository
from storage.sharing import SqlIntegrationRepository, SqlShareRepository
from storage.webhooks import SqlWebhookRepository

SQLITE_LOCK_TIMEOUT_SECONDS = 30.0


class SqlUnitOfWork:
    """Re-entrant: a use case that calls another shares the outer transaction.

    `after_commit` runs after each commit that recorded follow-up work in the outbox (the composition root
    passes the dispatcher's kick); it must not raise, and the commit stands whatever it does."""

    agencies: SqlAgencyRepository
    procedures: SqlProcedureRepository
    dossiers: SqlDossierRepository
    users: SqlUserRepository
    alerts: SqlAlertRepository
    documents: SqlDocumentRepository
    shares: SqlShareRepository
    integrations: SqlIntegrationRepository
    access_log: SqlAccessLogRepository
    webhooks: SqlWebhookRepository
    attempt_limits: SqlAttemptLimitRepository
    archive_alerts: SqlArchiveAlertRepository
    retention: SqlRetentionRepository
    holds: SqlHoldRepository
    archival_files: SqlArchivalFileRepository
    dispositions: SqlDispositionRepository
    fixity: SqlFixityRepository
    outbox: SqlOutbox
    idempotency_keys: SqlIdempotencyKeyRepository
    imports: SqlImportJournalRepository

    def __init__(self, session_factory: sessionmaker[Session],
                 after_commit: Callable[[], None] | None = None) -> None:
        self._after_commit = after_commit
        self._session_factory = session_factory
        self._session: Session | None = None
        self._depth = 0
        self._held_lock: FairLock | None = None
        self._writing = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> Self:
        if self._depth == 0:
            self._session = self._session_factory()
            self.agencies = SqlAgencyRepository(self._session)
            self.procedures = SqlProcedureRepository(self._session)
            self.dossiers = SqlDossierRepository(self._session)
            self.users = SqlUserRepository(self._session)
            self.alerts = SqlAlertRepository(self._session)
            self.documents = SqlDocumentRepository(self._session)
            self.shares = SqlShareRepository(self._session)
            self.integrations = SqlIntegrationRepository(self._session)
            self.access_log = SqlAccessLogRepository(self._session)
            self.webhooks = SqlWebhookRepository(self._session)
            self.attempt_limits = SqlAttemptLimitRepository(self._session)
            self.archive_alerts = SqlArchiveAlertRepository(self._session)
            self.retention = SqlRetentionRepository(self._session)
            self.holds = SqlHoldRepository(self._session)
            self.archival_files = SqlArchivalFileRepository(self._session)
            self.dispositions = SqlDispositionRepository(self._session)
            self.fixity = SqlFixityRepository(self._session)
            self.outbox = SqlOutbox(self._session)
            self.idempotency_keys = SqlIdempotencyKeyRepository(self._session)
            self.imports = SqlImportJournalRepository(self._session)
        self._depth += 1
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._depth -= 1
        if exc_type is not None and self._depth > 0 and self._session is not None:
            # A use case failed inside an outer unit of work (a request's): its transaction is void, and
            # whatever the caller does next (report, clean up) starts from a clean session.
            self._session.rollback()
            self.outbox.forget_recorded()
            self._end_write()
        if self._depth == 0 and self._session is not None:
            try:
                self._session.rollback()  # whatever was not committed is discarded
            finally:
                self._session.close()
                self._session = None
                self._end_write()

    def begin_write(self) -> None:
        """Declares that this unit of work will write; call it before the first statement.

        On SQLite the transaction then starts with the write lock held (BEGIN IMMEDIATE), so that
        concurrent writers queue instead of failing; on PostgreSQL row locks do that job and this is free.
        """
        session = self.session
        if self._writing:
            return
        self._writing = True
        lock = sqlite_write_lock(session.get_bind().engine)
        if lock is None:
            return  # PostgreSQL: the row locks taken by the use case order concurrent writers
        if session.in_transaction():
            # Only reads came before (the caller's authentication, say): end that snapshot and start over
            # as a writer, so SQLite never has to upgrade a read transaction under concurrency.
            session.rollback()
        if self._held_lock is None:
            if not lock.acquire(timeout=SQLITE_LOCK_TIMEOUT_SECONDS):
                self._writing = False
                raise TimeoutError("the SQLite database stayed busy; try again")
            self._held_lock = lock
        session.connection(execution_options={WRITE_INTENT: True})

    def commit(self) -> None:
        self.session.commit()
        self._end_write()
        if self.outbox.take_recorded() and self._after_commit is not None:
            self._after_commit()  # the write lock is released first: the dispatcher writes too

    def rollback(self) -> None:
        self.session.rollback()
        self.outbox.forget_recorded()
        self._end_write()

    def _end_write(self) -> None:
        """The next write in this unit of work begins a new transaction (and queues again on SQLite)."""
        self._writing = False
        if self._held_lock is not None:
            self._held_lock.release()
            self._held_lock = None
