"""SQL repository for disposition proposals and tombstones."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from records.disposition import Disposition, DispositionState, Tombstone
from records.retention import EndAction
from storage.models import DispositionRow, TombstoneRow, table_of

DISPOSITIONS = table_of(DispositionRow)
TOMBSTONES = table_of(TombstoneRow)


def _disposition(r: Any) -> Disposition:
    return Disposition(id=r.id, action=EndAction(r.action), reason=r.reason, dossier_codes=list(r.dossier_codes),
                       agency_code=r.agency_code, proposed_by=r.proposed_by, proposed_at=r.proposed_at,
                       state=DispositionState(r.state), decided_by=r.decided_by, decided_at=r.decided_at,
                       decision_note=r.decision_note or "", pending_blobs=list(r.pending_blobs or []),
                       index_pending=bool(r.index_pending),
                       package_path=r.package_path)


class SqlDispositionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _values(self, d: Disposition) -> dict[str, Any]:
        return {"action": d.action.value, "reason": d.reason, "dossier_codes": d.dossier_codes,
                "agency_code": d.agency_code, "state": d.state.value, "proposed_by": d.proposed_by,
                "proposed_at": d.proposed_at, "decided_by": d.decided_by, "decided_at": d.decided_at,
                "decision_note": d.decision_note, "pending_blobs": d.pending_blobs,
                "index_pending": d.index_pending, "package_path": d.package_path}

    def add(self, disposition: Disposition) -> None:
        self.session.execute(insert(DISPOSITIONS).values(id=disposition.id, **self._values(disposition)))

    def save(self, disposition: Disposition) -> None:
        self.session.execute(update(DISPOSITIONS).where(DISPOSITIONS.c.id == disposition.id)
                             .values(**self._values(disposition)))

    def get(self, disposition_id: str, *, for_update: bool = False) -> Disposition | None:
        query = select(DISPOSITIONS).where(DISPOSITIONS.c.id == disposition_id)
        row = self.session.execute(query.with_for_update() if for_update else query).first()
        return None if row is None else _disposition(row)

    def find(self, *, agencies: frozenset[str] | None, state: DispositionState | None, limit: int,
             offset: int) -> tuple[list[Disposition], int]:
        conditions: list[Any] = []
        if agencies is not None:
            conditions.append(DISPOSITIONS.c.agency_code.in_(sorted(agencies)))
        if state is not None:
            conditions.append(DISPOSITIONS.c.state == state.value)
        count = self.session.scalar(select(func.count()).select_from(DISPOSITIONS).where(*conditions)) or 0
        rows = self.session.execute(select(DISPOSITIONS).where(*conditions)
                                    .order_by(DISPOSITIONS.c.proposed_at.desc()).limit(limit).offset(offset))
        return [_disposition(r) for r in rows], int(count)

    def with_pending_blobs(self) -> list[Disposition]:
        rows = self.session.execute(select(DISPOSITIONS).where(DISPOSITIONS.c.state == DispositionState.EXECUTED.value))
        return [d for d in map(_disposition, rows) if d.pending_blobs or d.index_pending]

    def add_tombstones(self, tombstones: Sequence[Tombstone]) -> None:
        if tombstones:
            self.session.execute(insert(TOMBSTONES), [
                {"kind": t.kind, "dossier_code": t.dossier_code, "document_id": t.document_id,
                 "disposition_id": t.disposition_id, "destroyed_at": t.destroyed_at, "record": t.record}
                for t in tombstones])

    def tombstones(self, *, disposition_id: str | None = None, dossier_code: str | None = None) -> list[Tombstone]:
        conditions: list[Any] = []
        if disposition_id is not None:
            conditions.append(TOMBSTONES.c.disposition_id == disposition_id)
        if dossier_code is not None:
            conditions.append(TOMBSTONES.c.dossier_code == dossier_code)
        rows = self.session.execute(select(TOMBSTONES).where(*conditions).order_by(TOMBSTONES.c.id))
        return [Tombstone(kind=r.kind, dossier_code=r.dossier_code, disposition_id=r.disposition_id,
                          destroyed_at=r.destroyed_at, record=dict(r.record), document_id=r.document_id, id=r.id)
                for r in rows]
