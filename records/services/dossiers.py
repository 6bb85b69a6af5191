"""Use cases for dossiers: transitions, reading (each read written to the access log) and listing.
Intake lives in records.services.intake."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from records.access import Action, Decision, Principal, visible_agencies
from records.access_log import AccessKind, entry
from records.calendar import WorkingCalendar
from records.clock import Clock
from records.dossiers import (
    Dossier,
    DossierEvent,
    DossierState,
    ExtensionLetter,
    apply_transition,
    check_group_can_resolve,
    issue_extension,
)
from records.errors import NotFound, StaleVersion, ValidationFailed
from records.holds import Hold
from records.outbox import index_dossier_later
from records.ports import DossierFilters, DossierQuery, UnitOfWork
from records.services.access import audited, log_access, logged, require
from records.services.catalogue import operating_agency
from records.services.holds import ensure_not_held, holds_on
from records.services.retention import record_closure
from records.services.webhooks import announce
from records.webhooks import EventType

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class DossierView:
    """A dossier as one reader sees it: why they may, and the group it belongs to."""

    dossier: Dossier
    decision: Decision
    linked: list[Dossier]  # a group dossier's linked dossiers (empty otherwise)
    holds: list[Hold] = field(default_factory=list)  # the legal holds freezing it (they show on the dossier)


def get_dossier(*, uow: UnitOfWork, clock: Clock, actor: Principal, code: str) -> DossierView:
    now = clock.now()
    with uow:
        dossier, decision = require(uow, actor, code, Action.READ, now=now)
        linked = uow.dossiers.children(code)
        holds = holds_on(uow, dossier)
        logged(uow, actor, AccessKind.VIEW, decision, now, dossier_code=code, part="dossier")
    return DossierView(dossier, decision, linked, holds)


def transition_dossier(
    *,
    uow: UnitOfWork,
    clock: Clock,
    calendar: WorkingCalendar,
    actor: Principal,
    code: str,
    to: DossierState,
    note: str = "",
    target_agency_code: str | None = None,
    expected_version: int | None = None,
    reindex_every_move: bool = False,
) -> tuple[Dossier, DossierEvent]:
    """Moves a dossier. With `expected_version` a stale caller gets StaleVersion and nothing changes.

    A transfer goes to `target_agency_code`, or when none is named to the next agency of the procedure's route.
    It lets the new agency read the dossier and its papers (and, for a linked dossier, the papers of
    its group); a group dossier is resolved only once each of its linked dossiers is done."""
    with uow:
        uow.begin_write()
        dossier, _ = require(uow, actor, code, Action.CHANGE, now=clock.now(), for_update=True)
        if expected_version is not None and expected_version != dossier.version:
            raise StaleVersion(detail={"current_version": dossier.version, "expected_version": expected_version})
        ensure_not_held(uow, [code])
        procedure = uow.procedures.get(dossier.procedure_code)
        if procedure is None:
            raise NotFound(code="procedure_not_found", detail={"procedure_code": dossier.procedure_code})
        if to is DossierState.TRANSFERRED and target_agency_code is None:
            # The route says where it goes next; at the end of the route the officer must name the agency.
            target_agency_code = procedure.next_agency(dossier.step_index, dossier.receiving_agency_code,
                                                       dossier.holder_agency_code)
        if target_agency_code is not None:
            operating_agency(uow, target_agency_code, error="unknown_target_agency", field="target_agency_code",
                             which_vi="Cơ quan nhận", which_en="The target agency")
        if to is DossierState.RESOLVED:
            check_group_can_resolve(dossier, uow.dossiers.children(code))
        version = dossier.version
        # An officer's clock a little behind the last move must not make time run backwards.
        event = apply_transition(dossier, to=to, actor=actor, at=max(clock.now(), dossier.last_moved_at or
                                                                     dossier.received_at),
                                 procedure=procedure, calendar=calendar, note=note.strip(),
                                 target_agency_code=target_agency_code)
        uow.dossiers.save(dossier, expected_version=version, events=[event])
        if dossier.parent_code is not None and target_agency_code is not None:
            uow.dossiers.add_linked_agencies(dossier.parent_code, frozenset({target_agency_code}))
        announce(uow, event_type=EventType.DOSSIER_STATE_CHANGED, dossier=dossier, at=event.at, data={
            "from_state": event.from_state.value if event.from_state else None, "to_state": event.to_state.value,
            "target_agency_code": target_agency_code, "actor_agency_code": actor.agency_code})
        record_closure(uow, dossier, event.at)
        audited(uow, actor, AccessKind.TRANSITION, event.at, dossier_code=code, detail={
            "from_state": event.from_state.value if event.from_state else None, "to_state": event.to_state.value,
            "target_agency_code": target_agency_code, "version": dossier.version, "note": event.note})
        if to is DossierState.TRANSFERRED or reindex_every_move:
            index_dossier_later(uow.outbox, code)  # the new holder must find it; states are a search filter too
        if to is DossierState.TRANSFERRED and dossier.parent_code is not None:
            index_dossier_later(uow.outbox, dossier.parent_code)  # the new agency finds the group's papers too
        uow.commit()
    return dossier, event


def dossier_history(*, uow: UnitOfWork, clock: Clock, actor: Principal, code: str) -> list[DossierEvent]:
    now = clock.now()
    with uow:
        _, decision = require(uow, actor, code, Action.READ, now=now)
        events = uow.dossiers.events(code)
        logged(uow, actor, AccessKind.VIEW, decision, now, dossier_code=code, part="history")
    return events


def _filters_detail(filters: DossierFilters) -> dict[str, object]:
    """A list query as the access log records it: the filters that were set."""
    detail: dict[str, object] = {}
    for name in ("agency_code", "procedure_code", "field", "late", "received_from", "received_to",
                 "applicant_id_number"):
        value = getattr(filters, name)
        if value is not None:
            detail[name] = value if isinstance(value, str | bool) else str(value)
    if filters.states:
        detail["states"] = sorted(s.value for s in filters.states)
    return detail


def list_dossiers(*, uow: UnitOfWork, clock: Clock, actor: Principal,
                  filters: DossierFilters) -> tuple[list[Dossier], int]:
    """The dossiers the actor may read (including those shared whole with their agency), newest first. The
    query's filters go to the access log; the rows listed are not logged one by one."""
    if not 1 <= filters.limit <= MAX_PAGE_SIZE or filters.offset < 0:
        raise ValidationFailed(f"Kích thước trang phải từ 1 đến {MAX_PAGE_SIZE}.",
                               f"Page size must be 1 to {MAX_PAGE_SIZE}.", code="invalid_page")
    if filters.received_from and filters.received_to and filters.received_from > filters.received_to:
        raise ValidationFailed("Khoảng ngày không hợp lệ.", "The date range is reversed.", code="invalid_date_range")
    now = clock.now()
    visible = visible_agencies(actor)
    query = DossierQuery(filters=filters, visible_agencies=visible, now=now, shared_with=visible)
    with uow:
        found = uow.dossiers.find(query)
    log_access(uow, [entry(actor, AccessKind.LIST, Decision(True, "query"), now,
                           detail={"filters": _filters_detail(filters), "count": found[1]})])
    return found


@dataclass(frozen=True)
class LateDossier:
    dossier: Dossier
    overdue_days: float


def late_dossiers(*, uow: UnitOfWork, clock: Clock, calendar: WorkingCalendar, actor: Principal,
                  agency_code: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[LateDossier], int]:
    """Dossiers still open past their appointment date, most overdue first."""
    active = frozenset(s for s in DossierState if s not in {DossierState.REFUSED, DossierState.WITHDRAWN,
                                                           DossierState.STOPPED, DossierState.RESULT_RETURNED})
    page, count = list_dossiers(uow=uow, clock=clock, actor=actor, filters=DossierFilters(
        agency_code=agency_code, states=active, late=True, limit=limit, offset=offset))
    # With late=True the repository orders by appointment date, oldest first: the most overdue lead.
    now = clock.now()
    return [LateDossier(d, round(d.overdue_days(now, calendar), 2)) for d in page], count


def issue_extension_letter(*, uow: UnitOfWork, clock: Clock, actor: Principal, code: str, reason: str,
                           new_due_at: datetime, expected_version: int | None = None) -> ExtensionLetter:
    with uow:
        uow.begin_write()
        dossier, _ = require(uow, actor, code, Action.CHANGE, now=clock.now(), for_update=True)
        if expected_version is not None and expected_version != dossier.version:
            raise StaleVersion(detail={"current_version": dossier.version, "expected_version": expected_version})
        ensure_not_held(uow, [code])
        version = dossier.version
        letter = issue_extension(dossier, reason=reason, new_due_at=new_due_at, actor=actor, at=clock.now())
        uow.dossiers.save(dossier, expected_version=version, events=[])
        uow.dossiers.add_extension(code, letter)
        audited(uow, actor, AccessKind.EXTENSION_LETTER, letter.issued_at, dossier_code=code,
                detail={"reason": letter.reason, "new_due_at": letter.new_due_at.isoformat()})
        uow.commit()
    return letter


def list_extensions(*, uow: UnitOfWork, clock: Clock, actor: Principal, code: str) -> list[ExtensionLetter]:
    now = clock.now()
    with uow:
        _, decision = require(uow, actor, code, Action.READ, now=now)
        letters = uow.dossiers.extensions(code)
        logged(uow, actor, AccessKind.VIEW, decision, now, dossier_code=code, part="extensions")
    return letters
