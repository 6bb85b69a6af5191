"""Use cases for archive alerts: raised by the archive's checks (fixity, audit chain, deposit reminders) inside their
own transactions, read and acknowledged by archivists, leaders, auditors and administrators within their scope."""

from __future__ import annotations

from records.access import Principal, Role
from records.access_log import AccessKind
from records.archive import archive_agencies, require_archive_role
from records.archive_alerts import ArchiveAlert
from records.clock import Clock
from records.errors import NotFound, ValidationFailed
from records.ports import UnitOfWork
from records.services.access import audited

READERS = (Role.ARCHIVIST, Role.LEADER, Role.AUDITOR, Role.ADMIN)
MAX_PAGE = 500


def raise_archive_alert(uow: UnitOfWork, alert: ArchiveAlert) -> bool:
    """Records the alert in the caller's transaction unless the same one is still open; True when new."""
    return uow.archive_alerts.raise_once(alert)


def list_archive_alerts(*, uow: UnitOfWork, actor: Principal, include_acknowledged: bool = False,
                        kind: str | None = None, limit: int = 100,
                        offset: int = 0) -> tuple[list[ArchiveAlert], int]:
    require_archive_role(actor, *READERS)
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise ValidationFailed(f"Kích thước trang phải từ 1 đến {MAX_PAGE}.", f"Page size must be 1 to {MAX_PAGE}.",
                               code="invalid_page")
    with uow:
        scope = archive_agencies(actor, uow.agencies.list())
        return uow.archive_alerts.find(agencies=scope, include_acknowledged=include_acknowledged, kind=kind,
                                       limit=limit, offset=offset)


def acknowledge_archive_alert(*, uow: UnitOfWork, clock: Clock, actor: Principal, alert_id: int) -> ArchiveAlert:
    """Marks an alert as seen (safe to repeat). An alert outside the actor's scope is not found."""
    require_archive_role(actor, *READERS)
    with uow:
        uow.begin_write()
        alert = uow.archive_alerts.get(alert_id)
        scope = archive_agencies(actor, uow.agencies.list())
        if alert is None or (scope is not None and alert.agency_code is not None and alert.agency_code not in scope):
            raise NotFound("Không tìm thấy cảnh báo.", "Alert not found.", code="alert_not_found",
                           detail={"alert_id": alert_id})
        if alert.open:
            now = clock.now()
            uow.archive_alerts.acknowledge(alert_id, actor.username, now)
            audited(uow, actor, AccessKind.ARCHIVE_ALERT_ACKNOWLEDGED, now,
                    detail={"alert_id": alert_id, "kind": alert.kind, "subject": alert.subject})
            uow.commit()
            alert = uow.archive_alerts.get(alert_id)
            assert alert is not None
    return alert
