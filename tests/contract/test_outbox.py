"""The outbox and its dispatcher on SQLite and PostgreSQL: work recorded with the change, sent once per pending
piece, kept with its error when the queue fails, claimed safely by concurrent dispatchers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
import redis
from sqlalchemy import delete, select

from infra.settings import Settings
from infra.task_queue import CeleryTaskQueue
from infra.wiring import Backends
from records.clock import SystemClock
from records.correlation import current_request_id, request_id
from records.outbox import index_dossier_later, process_document_later
from records.services.outbox import dispatch_outbox
from storage.models import OutboxRow
from tests.support.redis_server import OwnRedis


class RecordingQueue:
    """The task queue as the dispatcher sees it; remembers what was sent and under which request id."""

    def __init__(self, *, failing: bool = False) -> None:
        self.sent: list[tuple[str, str, str | None]] = []
        self.failing = failing
        self._lock = threading.Lock()

    def _record(self, kind: str, argument: str) -> None:
        if self.failing:
            raise ConnectionError("broker down")
        with self._lock:
            self.sent.append((kind, argument, current_request_id()))

    def process_document(self, document_id: str) -> None:
        self._record("process_document", document_id)

    def index_dossier(self, dossier_code: str) -> None:
        self._record("index_dossier", dossier_code)

    def deliver_webhooks(self) -> None:
        self._record("deliver_webhooks", "")


def _record(backends: Backends, *codes: str, rid: str | None = None) -> None:
    token = request_id.set(rid)
    try:
        with backends.uow() as uow:
            uow.begin_write()
            for code in codes:
                index_dossier_later(uow.outbox, code)
            uow.commit()
    finally:
        request_id.reset(token)


@pytest.fixture
def empty(backends: Backends) -> Backends:
    """The test's backends with an empty outbox: work other tests left pending on purpose (an outage they staged) is
    removed inside this test's transaction, which is rolled back after it."""
    with backends.session_factory() as session:
        session.execute(delete(OutboxRow))
        session.commit()
    return backends


def _rows(backends: Backends) -> list[OutboxRow]:
    with backends.session_factory() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def test_work_is_recorded_with_the_commit_and_not_with_a_rollback(empty: Backends) -> None:
    backends = empty
    queue = RecordingQueue()
    scoped = replace(backends, tasks=queue)
    with scoped.uow() as uow:
        uow.begin_write()
        index_dossier_later(uow.outbox, "ROLLED-BACK")
        uow.rollback()
    _record(scoped, "COMMITTED", rid="req-42")
    assert queue.sent == [("index_dossier", "COMMITTED", "req-42")]  # sent after the commit, with its request id
    assert [(r.kind, json.loads(r.payload), r.request_id, r.dispatched_at is not None) for r in _rows(scoped)] == [
        ("index_dossier", {"dossier_code": "COMMITTED"}, "req-42", True)]


def test_pending_duplicates_are_sent_once(empty: Backends) -> None:
    backends = empty
    queue = RecordingQueue()
    failing = replace(backends, tasks=RecordingQueue(failing=True))
    _record(failing, "A", "A", "B")  # the same work twice in one transaction: one row
    _record(failing, "A")
    assert [json.loads(r.payload)["dossier_code"] for r in _rows(backends)] == ["A", "B", "A"]
    with backends.session_factory() as session:  # due again now, not after the backoff
        session.query(OutboxRow).update({OutboxRow.available_at: OutboxRow.created_at})
        session.commit()
    report = dispatch_outbox(uow=backends.uow(), tasks=queue, clock=SystemClock())
    assert sorted(a for _, a, _ in queue.sent) == ["A", "B"] and report.claimed == 3 and report.sent == 2
    assert all(r.dispatched_at is not None for r in _rows(backends))


def test_a_failed_send_keeps_the_work_with_its_error_and_a_delay(empty: Backends) -> None:
    backends = empty
    down = replace(backends, tasks=RecordingQueue(failing=True))
    _record(down, "KEPT")  # the after-commit kick fails and never raises
    [row] = _rows(backends)
    assert row.dispatched_at is None and row.attempts == 1 and "broker down" in (row.last_error or "")
    assert row.available_at > row.created_at  # backoff: not tried again at once
    assert dispatch_outbox(uow=backends.uow(), tasks=RecordingQueue(), clock=SystemClock()).claimed == 0


@pytest.fixture
def committed(committed_backends: Backends) -> Iterator[Backends]:
    with committed_backends.engine.begin() as connection:
        connection.execute(delete(OutboxRow))  # what other tests left pending is not this test's to send
    yield committed_backends
    with committed_backends.engine.begin() as connection:
        connection.execute(delete(OutboxRow))


def test_concurrent_dispatchers_send_each_piece_of_work_once(committed: Backends) -> None:
    silent = replace(committed, tasks=RecordingQueue(failing=True))
    with silent.uow() as uow:
        uow.begin_write()
        for n in range(300):
            process_document_later(uow.outbox, f"doc-{n:03d}")
        uow.commit()
    with committed.session_factory() as session:
        session.query(OutboxRow).update({OutboxRow.available_at: OutboxRow.created_at})
        session.commit()
    queue = RecordingQueue()

    def drain(_: int) -> int:
        return sum(dispatch_outbox(uow=committed.uow(), tasks=queue, clock=SystemClock(), limit=20).sent
                   for _ in range(10))

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(drain, range(4)))
    sent = sorted(argument for _, argument, _ in queue.sent)
    assert sent == [f"doc-{n:03d}" for n in range(300)]  # each once: none twice, none lost


def test_the_celery_queue_sends_the_request_id_as_a_message_header(tmp_path: Path) -> None:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        queue = CeleryTaskQueue(Settings(data_dir=tmp_path, secret_key="s" * 40, celery_broker_url=server.url))
        token = request_id.set("req-7f3a")
        try:
            queue.index_dossier("000.60.01.H19-261205-0001")
        finally:
            request_id.reset(token)
        raw = redis.Redis.from_url(server.url).lpop("index")
        assert raw is not None
        message = json.loads(raw)
        assert message["headers"]["hoso_request_id"] == "req-7f3a"
        assert message["headers"]["task"] == "hoso.index_dossier"
    finally:
        server.stop()
