"""Use cases for deadline alerts: the periodic scan (a worker task) and what officers read of it."""

from __future__ import annotations

from records.access import Principal, visible_agencies
from records.alerts import Alert, alert_for
from records.calendar import WorkingCalendar
from records.clock import Clock
from records.errors import NotFound
from records.ports import UnitOfWork

DEFAULT_WARNING_DAYS = 1.0


def scan_deadlines(*, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar,
                   warning_days: float = DEFAULT_WARNING_DAYS) -> int:
    """Raises an alert for every open dossier due within `warning_days` working days or already late.

    Safe to repeat: an alert is kept once per dossier, kind and appointment date, so a second scan adds
    nothing, and a dossier given a new date by a supplement is alerted again for that date.
    Dossiers waiting on the applicant (paused) are not alerted: their clock is stopped.
    """
    now = clock.now()
    horizon_end = calendar.add_working_days(now, warning_days)
    with uow:
        uow.begin_write()
        raised = 0
        for dossier in uow.alerts.open_dossiers_due_before(horizon_end):
            kind = alert_for(dossier, now=now, horizon_end=horizon_end)
            if kind is not None and uow.alerts.raise_once(dossier, kind, now):
                raised += 1
        uow.commit()
    return raised


def list_alerts(*, uow: UnitOfWork, actor: Principal, include_acknowledged: bool = False,
                limit: int = 100) -> list[Alert]:
    with uow:
        return uow.alerts.for_agencies(visible_agencies(actor), include_acknowledged=include_acknowledged,
                                       limit=limit)


def acknowledge_alert(*, uow: UnitOfWork, clock: Clock, actor: Principal, alert_id: int) -> Alert:
    """An officer marks an alert as seen. Safe to repeat; an alert of another agency is not found."""
    with uow:
        uow.begin_write()
        alert = uow.alerts.get(alert_id)
        allowed = visible_agencies(actor)
        if alert is None or (allowed is not None and alert.agency_code not in allowed):
            raise NotFound("Không tìm thấy cảnh báo.", "Alert not found.", code="alert_not_found",
                           detail={"alert_id": alert_id})
        if alert.acknowledged_at is None:
            uow.alerts.acknowledge(alert_id, actor.username, clock.now())
            uow.commit()
            alert = uow.alerts.get(alert_id)
            assert alert is not None
    return alert
