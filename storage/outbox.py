"""The outbox table: follow-up work, written in the change's transaction and drained by the dispatcher."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from records.outbox import FollowUp, OutboxMessage, canonical_payload
from storage.models import OutboxRow


class SqlOutbox:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._recorded: set[tuple[str, str]] = set()  # this transaction's work: the same work once

    def add(self, kind: FollowUp, payload: Mapping[str, str], *, request_id: str | None) -> None:
        text = canonical_payload(payload)
        if (kind.value, text) in self._recorded:
            return
        self._recorded.add((kind.value, text))
        now = datetime.now(UTC)  # operational time, never a test's fixed clock: the dispatcher leases by it
        self._session.add(OutboxRow(kind=kind.value, payload=text, request_id=request_id, created_at=now,
                                    available_at=now, attempts=0))

    def take_recorded(self) -> bool:
        """True when work was recorded since the last call (the unit of work asks after its commit)."""
        recorded = bool(self._recorded)
        self._recorded.clear()
        return recorded

    def forget_recorded(self) -> None:
        self._recorded.clear()

    def claim(self, *, now: datetime, lease_until: datetime, limit: int) -> list[OutboxMessage]:
        self._session.flush()
        rows = self._session.scalars(
            select(OutboxRow).where(OutboxRow.dispatched_at.is_(None), OutboxRow.available_at <= now)
            .order_by(OutboxRow.id).limit(limit).with_for_update(skip_locked=True)).all()
        if not rows:
            return []
        self._session.execute(update(OutboxRow).where(OutboxRow.id.in_([r.id for r in rows]))
                              .values(available_at=lease_until, attempts=OutboxRow.attempts + 1)
                              .execution_options(synchronize_session=False))
        return [OutboxMessage(id=r.id, kind=FollowUp(r.kind), payload=json.loads(r.payload), request_id=r.request_id,
                              attempts=r.attempts + 1) for r in rows]

    def mark_dispatched(self, ids: Sequence[int], at: datetime) -> None:
        if ids:
            self._session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids))
                                  .values(dispatched_at=at, last_error=None)
                                  .execution_options(synchronize_session=False))

    def mark_failed(self, ids: Sequence[int], *, error: str, retry_at: datetime) -> None:
        if ids:
            self._session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids))
                                  .values(available_at=retry_at, last_error=error[:2000])
                                  .execution_options(synchronize_session=False))

    def prune(self, *, dispatched_before: datetime) -> int:
        result = self._session.execute(delete(OutboxRow).where(OutboxRow.dispatched_at < dispatched_before)
                                       .execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    def backlog(self) -> int:
        return int(self._session.scalar(select(func.count()).select_from(OutboxRow)
                                         .where(OutboxRow.dispatched_at.is_(None))) or 0)
