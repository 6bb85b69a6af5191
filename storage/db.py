"""Engines and sessions for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

WRITE_INTENT = "hoso_write_intent"


class FairLock:
    """A lock handed to waiters in arrival order (threading.Lock lets a releasing thread cut the queue)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Event] = deque()
        self._locked = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._locked:
                self._locked = True
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._mutex:
            if turn.is_set():  # handed over just as the wait timed out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().set()  # stays locked: ownership passes straight to the next waiter
            else:
                self._locked = False

# SQLite has one writer at a time. Threads of one process queue on this lock instead of on SQLite's busy
# handler, which polls with sleeps of up to 100 ms and so turns contention into long tail latencies.
_SQLITE_WRITE_LOCKS: WeakKeyDictionary[Engine, FairLock] = WeakKeyDictionary()


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """An engine tuned for the backend: WAL and immediate write locks on SQLite, a pool on PostgreSQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        _tune_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def sqlite_write_lock(engine: Engine) -> FairLock | None:
    """The in-process writer queue of a SQLite engine; None for other databases."""
    return _SQLITE_WRITE_LOCKS.get(engine)


def _tune_sqlite(engine: Engine) -> None:
    _SQLITE_WRITE_LOCKS[engine] = FairLock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A unit of work that will write takes the write lock up front (see SqlUnitOfWork.begin_write):
        # a deferred transaction that reads and then writes fails with "database is locked" when another
        # writer committed in between, instead of waiting its turn. Readers stay deferred and never block.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_INTENT) else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
