"""The SQL archive alerts: one open alert per kind and subject (a unique index on the open subject)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from records.archive_alerts import ArchiveAlert
from storage.models import ArchiveAlertRow, table_of

ALERTS = table_of(ArchiveAlertRow)


def _alert(row: Any) -> ArchiveAlert:
    return ArchiveAlert(kind=row.kind, subject=row.subject, message_vi=row.message_vi, message_en=row.message_en,
                        raised_at=row.raised_at, agency_code=row.agency_code, detail=row.detail or {},
                        acknowledged_by=row.acknowledged_by, acknowledged_at=row.acknowledged_at, id=row.id)


class SqlArchiveAlertRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def raise_once(self, alert: ArchiveAlert) -> bool:
        open_one = select(ALERTS.c.id).where(ALERTS.c.kind == alert.kind, ALERTS.c.open_subject == alert.subject)
        if self.session.execute(open_one).first() is not None:
            return False
        values = {"kind": alert.kind, "subject": alert.subject, "agency_code": alert.agency_code,
                  "message_vi": alert.message_vi, "message_en": alert.message_en, "detail": alert.detail,
                  "raised_at": alert.raised_at, "open_subject": alert.subject}
        try:
            with self.session.begin_nested():  # a concurrent raise of the same alert won: nothing to add
                self.session.execute(ALERTS.insert().values(**values))
        except IntegrityError:
            return False
        return True

    def find(self, *, agencies: frozenset[str] | None, include_acknowledged: bool, kind: str | None = None,
             limit: int = 100, offset: int = 0) -> tuple[list[ArchiveAlert], int]:
        conditions: list[Any] = []
        if agencies is not None:
            conditions.append(or_(ALERTS.c.agency_code.is_(None), ALERTS.c.agency_code.in_(sorted(agencies))))
        if not include_acknowledged:
            conditions.append(ALERTS.c.acknowledged_at.is_(None))
        if kind is not None:
            conditions.append(ALERTS.c.kind == kind)
        count = self.session.scalar(select(func.count()).select_from(ALERTS).where(*conditions)) or 0
        newest_first = select(ALERTS).where(*conditions).order_by(ALERTS.c.raised_at.desc(), ALERTS.c.id.desc())
        rows = self.session.execute(newest_first.limit(limit).offset(offset))
        return [_alert(r) for r in rows], int(count)

    def get(self, alert_id: int) -> ArchiveAlert | None:
        row = self.session.execute(select(ALERTS).where(ALERTS.c.id == alert_id)).first()
        return None if row is None else _alert(row)

    def acknowledge(self, alert_id: int, username: str, at: datetime) -> None:
        self.session.execute(update(ALERTS).where(ALERTS.c.id == alert_id, ALERTS.c.acknowledged_at.is_(None))
                             .values(acknowledged_by=username, acknowledged_at=at, open_subject=None))
