"""SQL repository for the blob registry (hashes recorded at write), fixity checks and the pass cursor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from records.fixity import DAMAGED, BlobRecord, FixityCheck, FixityState, Outcome
from storage.models import BlobRecordRow, FixityCheckRow, FixityStateRow, table_of

RECORDS = table_of(BlobRecordRow)
CHECKS = table_of(FixityCheckRow)
STATE = table_of(FixityStateRow)


def _record(r: Any) -> BlobRecord:
    return BlobRecord(key=r.key, sha256=r.sha256, size=int(r.size), document_id=r.document_id,
                      recorded_at=r.recorded_at, checked_at=r.checked_at,
                      last_outcome=Outcome(r.last_outcome) if r.last_outcome else None)


class SqlFixityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, records: Sequence[BlobRecord]) -> None:
        """Registers blobs not registered yet (a key already there keeps its first hash). Safe to repeat."""
        keys = [r.key for r in records]
        if not keys:
            return
        known = set(self.session.scalars(select(RECORDS.c.key).where(RECORDS.c.key.in_(keys))))
        fresh = {r.key: r for r in records if r.key not in known}
        if fresh:
            self.session.execute(insert(RECORDS), [
                {"key": r.key, "sha256": r.sha256, "size": r.size, "document_id": r.document_id,
                 "recorded_at": r.recorded_at, "checked_at": None, "last_outcome": None} for r in fresh.values()])

    def known(self, keys: Sequence[str]) -> set[str]:
        return set(self.session.scalars(select(RECORDS.c.key).where(RECORDS.c.key.in_(list(keys))))) if keys else set()

    def after(self, cursor: str, *, limit: int) -> list[BlobRecord]:
        rows = self.session.execute(select(RECORDS).where(RECORDS.c.key > cursor).order_by(RECORDS.c.key).limit(limit))
        return [_record(r) for r in rows]

    def forget(self, keys: Sequence[str]) -> None:
        """Destroyed blobs leave the registry (their checks stay, as history)."""
        if keys:
            self.session.execute(RECORDS.delete().where(RECORDS.c.key.in_(list(keys))))

    def add_check(self, check: FixityCheck) -> None:
        self.session.execute(insert(CHECKS).values(key=check.key, at=check.at, outcome=check.outcome.value,
                                                   expected_sha256=check.expected_sha256,
                                                   actual_sha256=check.actual_sha256))
        self.session.execute(update(RECORDS).where(RECORDS.c.key == check.key)
                             .values(checked_at=check.at, last_outcome=check.outcome.value))

    def state(self, *, for_update: bool = False) -> FixityState:
        query = select(STATE).where(STATE.c.id == 1)
        row = self.session.execute(query.with_for_update() if for_update else query).one()
        return FixityState(row.cursor or "", row.pass_started_at, row.last_full_pass_at)

    def save_state(self, state: FixityState) -> None:
        self.session.execute(update(STATE).where(STATE.c.id == 1).values(
            cursor=state.cursor, pass_started_at=state.pass_started_at, last_full_pass_at=state.last_full_pass_at))

    def counts(self, cursor: str) -> tuple[int, int, int]:
        """(blobs registered, those at or before the cursor, those whose last check found damage)."""
        total = self.session.scalar(select(func.count()).select_from(RECORDS)) or 0
        done = self.session.scalar(select(func.count()).select_from(RECORDS).where(RECORDS.c.key <= cursor)) or 0
        damaged = self.session.scalar(select(func.count()).select_from(RECORDS).where(
            RECORDS.c.last_outcome.in_(sorted(o.value for o in DAMAGED)))) or 0
        return int(total), int(done) if cursor else 0, int(damaged)

    def problems(self, *, since: datetime | None = None, limit: int = 50) -> list[FixityCheck]:
        conditions: list[Any] = [CHECKS.c.outcome != Outcome.OK.value]
        if since is not None:
            conditions.append(CHECKS.c.at >= since)
        rows = self.session.execute(select(CHECKS).where(*conditions).order_by(CHECKS.c.id.desc()).limit(limit))
        return [FixityCheck(r.key, r.at, Outcome(r.outcome), r.expected_sha256, r.actual_sha256) for r in rows]
