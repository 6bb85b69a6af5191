"""Read models for people: the processing control slip and on-time/late statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from records.access import Action, Principal, Role, visible_agencies
from records.access_log import AccessKind
from records.calendar import WorkingCalendar
from records.clock import Clock
from records.dossiers import Dossier, DossierEvent, DossierState, ExtensionLetter, Timeliness, timeliness
from records.errors import ValidationFailed
from records.ports import UnitOfWork
from records.procedures import Procedure
from records.services.access import dossier_not_found, logged, require
from records.services.catalogue import require_role


@dataclass(frozen=True)
class ControlSlip:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ: the dossier, its procedure and every move."""

    dossier: Dossier
    procedure: Procedure
    agency_names: dict[str, str]
    events: list[DossierEvent]
    extensions: list[ExtensionLetter]
    generated_at: datetime
    overdue_days: float

    def agency_name(self, code: str | None) -> str:
        if code is None:
            return ""
        return self.agency_names.get(code, code)


def control_slip(*, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar, actor: Principal,
                 code: str) -> ControlSlip:
    now = clock.now()
    with uow:
        dossier, decision = require(uow, actor, code, Action.READ, now=now)
        procedure = uow.procedures.get(dossier.procedure_code)
        if procedure is None:
            raise dossier_not_found(code)
        events = uow.dossiers.events(code)
        extensions = uow.dossiers.extensions(code)
        names = {a.code: a.name for a in uow.agencies.list()}
        logged(uow, actor, AccessKind.VIEW, decision, now, dossier_code=code, part="control_slip")
    return ControlSlip(dossier, procedure, names, events, extensions, now,
                       round(dossier.overdue_days(now, calendar), 2))


@dataclass
class TimelinessCounts:
    """On-time/late figures for one agency (or all) over a received-date range."""

    agency_code: str | None
    received: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    open_on_time: int = 0
    open_late: int = 0
    paused: int = 0
    ended_without_result: int = 0  # refused, withdrawn, stopped
    by_state: dict[str, int] = field(default_factory=dict)

    @property
    def resolved(self) -> int:
        return self.resolved_early + self.resolved_on_time + self.resolved_late

    @property
    def on_time_rate(self) -> float | None:
        """Share of resolved dossiers resolved on or before their appointment date."""
        if not self.resolved:
            return None
        return (self.resolved_early + self.resolved_on_time) / self.resolved


_ENDED = frozenset({DossierState.REFUSED, DossierState.WITHDRAWN, DossierState.STOPPED})


def timeliness_statistics(*, uow: UnitOfWork, clock: Clock, actor: Principal, agency_code: str | None = None,
                          received_from: date | None = None, received_to: date | None = None,
                          per_agency: bool = False) -> list[TimelinessCounts]:
    """Leaders' figures: how many dossiers were resolved early, on time or late, and how many are late now."""
    require_role(actor, Role.LEADER, Role.ADMIN, Role.AUDITOR, Role.PROCESSING, Role.RECEPTION)
    if received_from and received_to and received_from > received_to:
        raise ValidationFailed("Khoảng ngày không hợp lệ.", "The date range is reversed.", code="invalid_date_range")
    with uow:
        rows = uow.dossiers.timeliness_rows(visible_agencies=visible_agencies(actor), agency_code=agency_code,
                                            received_from=received_from, received_to=received_to)
    now = clock.now()
    buckets: dict[str | None, TimelinessCounts] = {}
    for row in rows:
        key = row.receiving_agency_code if per_agency else agency_code
        counts = buckets.setdefault(key, TimelinessCounts(key))
        counts.received += 1
        counts.by_state[row.state.value] = counts.by_state.get(row.state.value, 0) + 1
        if row.state in _ENDED:
            counts.ended_without_result += 1
        elif row.resolved_at is not None and row.due_at is not None:
            verdict = timeliness(row.resolved_at, row.due_at)
            if verdict is Timeliness.EARLY:
                counts.resolved_early += 1
            elif verdict is Timeliness.ON_TIME:
                counts.resolved_on_time += 1
            else:
                counts.resolved_late += 1
        elif row.due_at is not None:
            reference = row.paused_at or now
            if row.paused_at is not None:
                counts.paused += 1
            if reference > row.due_at:
                counts.open_late += 1
            else:
                counts.open_on_time += 1
    if not buckets:
        return [TimelinessCounts(agency_code)]
    return sorted(buckets.values(), key=lambda c: c.agency_code or "")
