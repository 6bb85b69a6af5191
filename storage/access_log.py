"""The SQL access log: append-only rows, read newest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from records.access_log import AccessEntry, AccessKind, AccessLogFilter
from records.clock import VN_TZ
from storage.models import AccessLogRow, table_of

ACCESS_LOG = table_of(AccessLogRow)
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), VN_TZ).astimezone(UTC)


class SqlAccessLogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, entries: Sequence[AccessEntry], *, durable: bool = False) -> None:
        """On PostgreSQL the transaction commits without waiting for its WAL to reach the disk (synchronous_commit
        off for this transaction only — call it in a transaction of its own, as records.services.access does):
        the entry is written and ordered like any other, but a crash of the database server itself could lose
        the last fraction of a second of reads. That wait would otherwise be most of every read's cost."""
        if not entries:
            return
        if not durable and self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(_ASYNC_COMMIT)
        self.session.execute(insert(ACCESS_LOG), [
                {"at": e.at, "principal_kind": e.principal_kind, "username": e.username, "agency_code": e.agency_code,
                 "action": e.action.value, "reason": e.reason, "dossier_code": e.dossier_code,
                 "document_id": e.document_id, "share_id": e.share_id, "client": e.client, "detail": e.detail}
                for e in entries])

    def find(self, wanted: AccessLogFilter) -> tuple[list[AccessEntry], int]:
        conditions: list[Any] = []
        for column, value in ((ACCESS_LOG.c.dossier_code, wanted.dossier_code),
                              (ACCESS_LOG.c.document_id, wanted.document_id),
                              (ACCESS_LOG.c.username, wanted.username),
                              (ACCESS_LOG.c.agency_code, wanted.agency_code)):
            if value is not None:
                conditions.append(column == value)
        if wanted.actions:
            conditions.append(ACCESS_LOG.c.action.in_(sorted(a.value for a in wanted.actions)))
        if wanted.since is not None:
            conditions.append(ACCESS_LOG.c.at >= _day_start(wanted.since))
        if wanted.until is not None:
            conditions.append(ACCESS_LOG.c.at < _day_start(wanted.until + timedelta(days=1)))
        count = self.session.scalar(select(func.count()).select_from(ACCESS_LOG).where(*conditions)) or 0
        rows = self.session.execute(select(ACCESS_LOG).where(*conditions)
                                    .order_by(ACCESS_LOG.c.at.desc(), ACCESS_LOG.c.id.desc())
                                    .limit(wanted.limit).offset(wanted.offset))
        return [AccessEntry(at=r.at, principal_kind=r.principal_kind, username=r.username,
                            agency_code=r.agency_code, action=AccessKind(r.action), reason=r.reason,
                            dossier_code=r.dossier_code, document_id=r.document_id, share_id=r.share_id,
                            client=r.client, detail=r.detail or {}, id=r.id) for r in rows], int(count)

