"""SQL repositories for retention schedules, dossiers' retention lines and legal holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from records.holds import Hold, HoldScope
from records.retention import DossierRetention, EndAction, RetentionSchedule, RetentionState
from storage.models import DossierRetentionRow, HoldRow, RetentionScheduleRow, table_of

SCHEDULES = table_of(RetentionScheduleRow)
RETENTION = table_of(DossierRetentionRow)
HOLDS = table_of(HoldRow)


def _schedule(r: Any) -> RetentionSchedule:
    return RetentionSchedule(id=r.id, years=r.years, end_action=EndAction(r.end_action),
                             procedure_code=r.procedure_code, field=r.field, document_type=r.document_type,
                             legal_minimum_years=r.legal_minimum_years, note=r.note or "", created_by=r.created_by,
                             created_at=r.created_at, active=r.active)


def _retention(r: Any) -> DossierRetention:
    return DossierRetention(dossier_code=r.dossier_code, agency_code=r.agency_code, procedure_code=r.procedure_code,
                            closed_at=r.closed_at, schedule_id=r.schedule_id, years=r.years,
                            minimum_years=r.minimum_years, end_action=EndAction(r.end_action),
                            extended_due_on=r.extended_due_on, extension_reason=r.extension_reason or "",
                            extended_by=r.extended_by, state=RetentionState(r.state))


def _hold(r: Any) -> Hold:
    return Hold(id=r.id, scope=HoldScope(r.scope), target=r.target, agency_code=r.agency_code, reason=r.reason,
                placed_by=r.placed_by,
                placed_at=r.placed_at, released_by=r.released_by, released_at=r.released_at,
                release_reason=r.release_reason or "")


class SqlRetentionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def schedules(self, *, active_only: bool = True) -> list[RetentionSchedule]:
        query = select(SCHEDULES).order_by(SCHEDULES.c.created_at, SCHEDULES.c.id)
        if active_only:
            query = query.where(SCHEDULES.c.active.is_(True))
        return [_schedule(r) for r in self.session.execute(query)]

    def get_schedule(self, schedule_id: str) -> RetentionSchedule | None:
        row = self.session.execute(select(SCHEDULES).where(SCHEDULES.c.id == schedule_id)).first()
        return None if row is None else _schedule(row)

    def save_schedule(self, schedule: RetentionSchedule) -> None:
        values = {"procedure_code": schedule.procedure_code, "field": schedule.field,
                  "document_type": schedule.document_type, "years": schedule.years,
                  "legal_minimum_years": schedule.legal_minimum_years, "end_action": schedule.end_action.value,
                  "note": schedule.note, "created_by": schedule.created_by, "created_at": schedule.created_at,
                  "active": schedule.active}
        if self.get_schedule(schedule.id) is None:
            self.session.execute(insert(SCHEDULES).values(id=schedule.id, **values))
        else:
            self.session.execute(update(SCHEDULES).where(SCHEDULES.c.id == schedule.id).values(**values))

    def get(self, dossier_code: str, *, for_update: bool = False) -> DossierRetention | None:
        query = select(RETENTION).where(RETENTION.c.dossier_code == dossier_code)
        row = self.session.execute(query.with_for_update() if for_update else query).first()
        return None if row is None else _retention(row)

    def get_many(self, dossier_codes: Sequence[str]) -> list[DossierRetention]:
        rows = self.session.execute(select(RETENTION).where(RETENTION.c.dossier_code.in_(list(dossier_codes)))
                                    .with_for_update())
        return [_retention(r) for r in rows]

    def save(self, retention: DossierRetention) -> None:
        values = {"agency_code": retention.agency_code, "procedure_code": retention.procedure_code,
                  "closed_at": retention.closed_at, "schedule_id": retention.schedule_id, "years": retention.years,
                  "minimum_years": retention.minimum_years, "end_action": retention.end_action.value,
                  "due_on": retention.due_on, "extended_due_on": retention.extended_due_on,
                  "extension_reason": retention.extension_reason, "extended_by": retention.extended_by,
                  "state": retention.state.value}
        known = self.session.execute(select(RETENTION.c.dossier_code)
                                     .where(RETENTION.c.dossier_code == retention.dossier_code)).first()
        if known is None:
            self.session.execute(insert(RETENTION).values(dossier_code=retention.dossier_code, **values))
        else:
            self.session.execute(update(RETENTION).where(RETENTION.c.dossier_code == retention.dossier_code)
                                 .values(**values))

    def for_procedures(self, procedure_codes: Sequence[str]) -> list[DossierRetention]:
        rows = self.session.execute(select(RETENTION).where(RETENTION.c.procedure_code.in_(list(procedure_codes)),
                                                            RETENTION.c.state == RetentionState.KEPT.value))
        return [_retention(r) for r in rows]

    def due(self, *, on_or_before: date, agencies: frozenset[str] | None, states: frozenset[RetentionState],
            limit: int, offset: int) -> tuple[list[DossierRetention], int]:
        conditions: list[Any] = [RETENTION.c.due_on.is_not(None), RETENTION.c.due_on <= on_or_before,
                                 RETENTION.c.state.in_(sorted(s.value for s in states))]
        if agencies is not None:
            conditions.append(RETENTION.c.agency_code.in_(sorted(agencies)))
        count = self.session.scalar(select(func.count()).select_from(RETENTION).where(*conditions)) or 0
        rows = self.session.execute(select(RETENTION).where(*conditions)
                                    .order_by(RETENTION.c.due_on, RETENTION.c.dossier_code).limit(limit).offset(offset))
        return [_retention(r) for r in rows], int(count)

    def object_retention_pending(self, *, due_after: date, limit: int,
                                 dossier_codes: Sequence[str] | None = None) -> list[DossierRetention]:
        query = select(RETENTION).where(
            RETENTION.c.state == RetentionState.KEPT.value, RETENTION.c.due_on > due_after,
            or_(RETENTION.c.object_retention_on.is_(None), RETENTION.c.object_retention_on < RETENTION.c.due_on))
        if dossier_codes is not None:
            query = query.where(RETENTION.c.dossier_code.in_(list(dossier_codes)))
        rows = self.session.execute(query.order_by(RETENTION.c.dossier_code).limit(limit))
        return [_retention(r) for r in rows]

    def mark_object_retention(self, dossier_code: str, until: date) -> None:
        self.session.execute(update(RETENTION).where(RETENTION.c.dossier_code == dossier_code)
                             .values(object_retention_on=until))


class SqlHoldRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, hold: Hold) -> None:
        self.session.execute(insert(HOLDS).values(
            id=hold.id, scope=hold.scope.value, target=hold.target, agency_code=hold.agency_code, reason=hold.reason,
            placed_by=hold.placed_by,
            placed_at=hold.placed_at, released_by=None, released_at=None, release_reason=""))

    def get(self, hold_id: str, *, for_update: bool = False) -> Hold | None:
        query = select(HOLDS).where(HOLDS.c.id == hold_id)
        row = self.session.execute(query.with_for_update() if for_update else query).first()
        return None if row is None else _hold(row)

    def save(self, hold: Hold) -> None:
        self.session.execute(update(HOLDS).where(HOLDS.c.id == hold.id).values(
            released_by=hold.released_by, released_at=hold.released_at, release_reason=hold.release_reason))

    def covering(self, targets: Sequence[tuple[HoldScope, str]]) -> list[Hold]:
        """Active holds on any of these (scope, target) pairs."""
        if not targets:
            return []
        wanted = or_(*(and_(HOLDS.c.scope == scope.value, HOLDS.c.target == target) for scope, target in targets))
        rows = self.session.execute(select(HOLDS).where(HOLDS.c.released_at.is_(None), wanted)
                                    .order_by(HOLDS.c.placed_at))
        return [_hold(r) for r in rows]

    def find(self, *, agencies: frozenset[str] | None, active_only: bool, limit: int,
             offset: int) -> tuple[list[Hold], int]:
        conditions: list[Any] = [HOLDS.c.released_at.is_(None)] if active_only else []
        if agencies is not None:
            conditions.append(HOLDS.c.agency_code.in_(sorted(agencies)))
        count = self.session.scalar(select(func.count()).select_from(HOLDS).where(*conditions)) or 0
        rows = self.session.execute(select(HOLDS).where(*conditions).order_by(HOLDS.c.placed_at.desc())
                                    .limit(limit).offset(offset))
        return [_hold(r) for r in rows], int(count)
