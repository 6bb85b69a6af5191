"""The SQL failed-attempt counters of the public lookup (table attempt_limits)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from records.attempts import AttemptLimit
from storage.models import AttemptLimitRow, table_of

LIMITS = table_of(AttemptLimitRow)
# Idle counters are forgotten a batch at a time, so that one failing request never does much of that work.
FORGET_BATCH = 500


def _to_domain(row: Any) -> AttemptLimit:
    return AttemptLimit(key=row.key, window_started_at=row.window_started_at, failures=row.failures,
                        locked_until=row.locked_until)


class SqlAttemptLimitRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_many(self, keys: Sequence[str]) -> list[AttemptLimit]:
        if not keys:
            return []
        rows = self.session.execute(select(LIMITS).where(LIMITS.c.key.in_(list(keys))).order_by(LIMITS.c.key))
        return [_to_domain(r) for r in rows]

    def lock(self, keys: Sequence[str], now: datetime) -> list[AttemptLimit]:
        """Inserts the missing counters (a concurrent insert of the same key is not an error), then locks
        them in key order, so that two requests over the same keys cannot deadlock."""
        wanted = sorted(set(keys))
        if not wanted:
            return []
        insert = postgresql.insert if self.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        self.session.execute(insert(LIMITS).values(
            [{"key": key, "window_started_at": now, "failures": 0, "locked_until": None} for key in wanted]
        ).on_conflict_do_nothing(index_elements=["key"]))
        rows = self.session.execute(select(LIMITS).where(LIMITS.c.key.in_(wanted)).order_by(LIMITS.c.key)
                                    .with_for_update())
        return [_to_domain(r) for r in rows]

    def save(self, limit: AttemptLimit) -> None:
        self.session.execute(update(LIMITS).where(LIMITS.c.key == limit.key).values(
            window_started_at=limit.window_started_at, failures=limit.failures, locked_until=limit.locked_until))

    def forget_idle(self, *, window_started_before: datetime, now: datetime) -> int:
        idle = (select(LIMITS.c.key)
                .where(LIMITS.c.window_started_at < window_started_before,
                       or_(LIMITS.c.locked_until.is_(None), LIMITS.c.locked_until <= now))
                .limit(FORGET_BATCH).with_for_update(skip_locked=True))
        result = self.session.execute(delete(LIMITS).where(LIMITS.c.key.in_(idle.scalar_subquery())))
        return int(getattr(result, "rowcount", 0) or 0)
