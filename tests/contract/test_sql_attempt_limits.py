"""The failed-attempt counters' contract (records.ports.AttemptLimitRepository) on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import delete

from infra.wiring import Backends
from records.attempts import AttemptPolicy
from storage.models import AttemptLimitRow
from tests.support.factories import MONDAY_9AM

POLICY = AttemptPolicy(max_failures=1000, window=timedelta(minutes=15), lockout=timedelta(minutes=15))


def test_lock_creates_missing_counters_and_save_keeps_them(backends: Backends) -> None:
    with backends.uow() as uow:
        uow.begin_write()
        counters = uow.attempt_limits.lock(["b", "a", "b"], MONDAY_9AM)
        assert [(c.key, c.failures, c.window_started_at, c.locked_until) for c in counters] == [
            ("a", 0, MONDAY_9AM, None), ("b", 0, MONDAY_9AM, None)]
        counters[0].fail(MONDAY_9AM, AttemptPolicy(1, timedelta(minutes=15), timedelta(minutes=5)))
        uow.attempt_limits.save(counters[0])
        uow.commit()
    with backends.uow() as uow:
        again = uow.attempt_limits.lock(["a"], MONDAY_9AM + timedelta(minutes=1))  # an existing one is kept
        assert [(c.failures, c.locked_until) for c in again] == [(1, MONDAY_9AM + timedelta(minutes=5))]
        assert [c.key for c in uow.attempt_limits.get_many(["a", "b", "c"])] == ["a", "b"]
        assert uow.attempt_limits.get_many([]) == []


def test_idle_counters_are_forgotten_unless_still_locked(backends: Backends) -> None:
    with backends.uow() as uow:
        uow.begin_write()
        _old, locked, recent = uow.attempt_limits.lock(["old", "old-locked", "recent"], MONDAY_9AM)
        locked.locked_until = MONDAY_9AM + timedelta(hours=3)
        uow.attempt_limits.save(locked)
        recent.window_started_at = MONDAY_9AM + timedelta(hours=2)
        uow.attempt_limits.save(recent)
        forgotten = uow.attempt_limits.forget_idle(window_started_before=MONDAY_9AM + timedelta(hours=1),
                                                   now=MONDAY_9AM + timedelta(hours=2))
        uow.commit()
    assert forgotten == 1
    with backends.uow() as uow:
        assert [c.key for c in uow.attempt_limits.get_many(["old", "old-locked", "recent"])] == [
            "old-locked", "recent"]


def test_concurrent_failures_are_all_counted(committed_backends: Backends) -> None:
    """GIVEN 16 failures for the same code and address at once THEN each counter says 16: none is lost
    when the counters are created by the first of them, nor when they are updated."""
    keys = ["contract:code:X", "contract:client:203.0.113.9"]

    def fail_once(_: int) -> None:
        with committed_backends.uow() as uow:
            uow.begin_write()
            for counter in uow.attempt_limits.lock(keys, MONDAY_9AM):
                counter.fail(MONDAY_9AM, POLICY)
                uow.attempt_limits.save(counter)
            uow.commit()

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(fail_once, range(16)))
        with committed_backends.uow() as uow:
            assert [c.failures for c in uow.attempt_limits.get_many(keys)] == [16, 16]
    finally:
        with committed_backends.engine.begin() as conn:
            conn.execute(delete(AttemptLimitRow).where(AttemptLimitRow.key.in_(keys)))
