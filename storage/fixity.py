"""SQL repository for the blob registry (hashes recorded at write), fixity checks and the pass cursor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from records.fixity import DAMAGED, BlobRecord, FixityCheck, FixityCounts, FixityState, Outcome
from storage.models import BlobRecordRow, FixityCheckRow, FixityStateRow, table_of

RECORDS = table_of(BlobRecordRow)
CHECKS = table_of(FixityCheckRow)
STATE = table_of(FixityStateRow)


def _record(r: Any) -> BlobRecord:
    return BlobRecord(key=r.key, sha256=r.sha256, size=int(r.size), document_id=r.document_id,
                      recorded_at=r.recorded_at, checked_at=r.checked_at,
                      last_outcome=Outcome(r.last_outcome) if r.last_outcome else None, dossier_code=r.dossier_code)


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
                 "dossier_code": r.dossier_code, "kind": r.kind.value, "recorded_at": r.recorded_at,
                 "checked_at": None, "last_outcome": None} for r in fresh.values()])

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
        self.add_checks([check])

    def add_checks(self, checks: Sequence[FixityCheck]) -> None:
        """Records checks: the history in one statement, the registry's last outcome in one statement per outcome
        (its `checked_at` is the latest check's time in the group: checks are recorded a batch at a time)."""
        if not checks:
            return
        self.session.execute(insert(CHECKS), [
            {"key": c.key, "at": c.at, "outcome": c.outcome.value, "expected_sha256": c.expected_sha256,
             "actual_sha256": c.actual_sha256} for c in checks])
        by_outcome: dict[Outcome, list[FixityCheck]] = {}
        for check in checks:
            by_outcome.setdefault(check.outcome, []).append(check)
        for outcome, group in by_outcome.items():
            self.session.execute(update(RECORDS).where(RECORDS.c.key.in_([c.key for c in group]))
                                 .values(checked_at=max(c.at for c in group), last_outcome=outcome.value))

    def state(self, *, for_update: bool = False) -> FixityState:
        query = select(STATE).where(STATE.c.id == 1)
        row = self.session.execute(query.with_for_update() if for_update else query).one()
        return FixityState(row.cursor or "", row.pass_started_at, row.last_full_pass_at, row.running_until)

    def save_state(self, state: FixityState) -> None:
        self.session.execute(update(STATE).where(STATE.c.id == 1).values(
            cursor=state.cursor, pass_started_at=state.pass_started_at, last_full_pass_at=state.last_full_pass_at,
            running_until=state.running_until))

    def counts(self, cursor: str) -> FixityCounts:
        total = self.session.scalar(select(func.count()).select_from(RECORDS)) or 0
        done = self.session.scalar(select(func.count()).select_from(RECORDS).where(RECORDS.c.key <= cursor)) or 0
        damaged = self.session.scalar(select(func.count()).select_from(RECORDS).where(
            RECORDS.c.last_outcome.in_(sorted(o.value for o in DAMAGED)))) or 0
        by_outcome: dict[str, int] = {outcome: int(n) for outcome, n in self.session.execute(
            select(CHECKS.c.outcome, func.count()).where(CHECKS.c.outcome != Outcome.OK.value)
            .group_by(CHECKS.c.outcome))}
        return FixityCounts(blobs=int(total), checked_this_pass=int(done) if cursor else 0, damaged_now=int(damaged),
                            repairs=int(by_outcome.get(Outcome.REPAIRED.value, 0)),
                            failures=sum(by_outcome.values()) - by_outcome.get(Outcome.REPAIRED.value, 0))

    def problems(self, *, since: datetime | None = None, limit: int = 50) -> list[FixityCheck]:
        return self.checks(outcomes=[o for o in Outcome if o is not Outcome.OK], since=since, limit=limit)[0]

    def checks(self, *, outcomes: Sequence[Outcome] | None = None, key: str | None = None,
               since: datetime | None = None, limit: int = 50, offset: int = 0) -> tuple[list[FixityCheck], int]:
        """Recorded checks, newest first, and how many match in all."""
        conditions: list[Any] = []
        if outcomes is not None:
            conditions.append(CHECKS.c.outcome.in_(sorted(o.value for o in outcomes)))
        if key is not None:
            conditions.append(CHECKS.c.key == key)
        if since is not None:
            conditions.append(CHECKS.c.at >= since)
        total = self.session.scalar(select(func.count()).select_from(CHECKS).where(*conditions)) or 0
        rows = self.session.execute(select(CHECKS).where(*conditions).order_by(CHECKS.c.id.desc())
                                    .limit(limit).offset(offset))
        return [FixityCheck(r.key, r.at, Outcome(r.outcome), r.expected_sha256, r.actual_sha256) for r in rows], \
            int(total)

    def get(self, key: str) -> BlobRecord | None:
        row = self.session.execute(select(RECORDS).where(RECORDS.c.key == key)).one_or_none()
        return None if row is None else _record(row)
