"""Dossiers (hồ sơ) and their state machine.

One table (TRANSITIONS) says which moves exist; `apply_transition` is the only place that applies one.
Every move returns a DossierEvent; the events with their hand-overs are the processing control slip
(phiếu kiểm soát quá trình giải quyết hồ sơ).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from records.access import Principal, Role
from records.calendar import WorkingCalendar
from records.clock import local_date
from records.errors import InvalidTransition, PermissionDenied, ValidationFailed
from records.procedures import Procedure


class DossierState(StrEnum):
    NEW = "new"
    RECEIVED = "received"
    REFUSED = "refused"
    PROCESSING = "processing"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    AWAITING_FEES = "awaiting_fees"
    TRANSFERRED = "transferred"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    RESOLVED = "resolved"
    RESULT_RETURNED = "result_returned"


S = DossierState
TRANSITIONS: dict[DossierState, frozenset[DossierState]] = {
    S.NEW: frozenset({S.RECEIVED, S.REFUSED, S.WITHDRAWN}),
    S.RECEIVED: frozenset({S.PROCESSING, S.TRANSFERRED, S.SUPPLEMENT_REQUESTED, S.REFUSED, S.WITHDRAWN}),
    S.PROCESSING: frozenset(
        {S.SUPPLEMENT_REQUESTED, S.AWAITING_FEES, S.TRANSFERRED, S.RESOLVED, S.REFUSED, S.STOPPED, S.WITHDRAWN}
    ),
    S.SUPPLEMENT_REQUESTED: frozenset({S.PROCESSING, S.WITHDRAWN, S.STOPPED}),
    S.AWAITING_FEES: frozenset({S.PROCESSING, S.WITHDRAWN, S.STOPPED}),
    # A transferred dossier is accepted by its new holder, or sent on/back without being accepted.
    S.TRANSFERRED: frozenset({S.PROCESSING, S.TRANSFERRED}),
    S.RESOLVED: frozenset({S.RESULT_RETURNED}),
    S.REFUSED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.STOPPED: frozenset(),
    S.RESULT_RETURNED: frozenset(),
}
TERMINAL_STATES = frozenset(state for state, moves in TRANSITIONS.items() if not moves)
# While the applicant owes something the agency's clock stops: papers to supplement, or fees and taxes to
# pay (the time for financial obligations is not counted in the processing time, e.g. land procedures).
PAUSED_STATES = frozenset({S.SUPPLEMENT_REQUESTED, S.AWAITING_FEES})

# Which roles may move a dossier into each state. Leaders and admins may make every move.
ROLE_TARGETS: dict[Role, frozenset[DossierState]] = {
    Role.RECEPTION: frozenset(
        {S.RECEIVED, S.REFUSED, S.PROCESSING, S.TRANSFERRED, S.SUPPLEMENT_REQUESTED, S.WITHDRAWN, S.RESULT_RETURNED}
    ),
    Role.PROCESSING: frozenset(
        {S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.AWAITING_FEES, S.TRANSFERRED, S.RESOLVED, S.REFUSED, S.STOPPED,
         S.WITHDRAWN}
    ),
    Role.LEADER: frozenset(DossierState),
    Role.ADMIN: frozenset(DossierState),
}


class Channel(StrEnum):
    COUNTER = "counter"
    ONLINE = "online"
    POST = "post"


class ApplicantKind(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class Party(StrEnum):
    """Who holds the dossier inside an agency, for the control slip."""

    APPLICANT = "applicant"
    RECEPTION = "reception"
    PROCESSING = "processing"
    IN_TRANSIT = "in_transit"


class Timeliness(StrEnum):
    EARLY = "early"  # trước hạn
    ON_TIME = "on_time"  # đúng hạn
    LATE = "late"  # quá hạn


@dataclass(frozen=True)
class Applicant:
    kind: ApplicantKind
    name: str
    id_number: str
    phone: str | None = None
    email: str | None = None
    address: str | None = None


@dataclass(frozen=True)
class Handover:
    """One hand-over between parties: the giver's allowed and used working time."""

    from_agency_code: str
    from_party: Party
    to_agency_code: str
    to_party: Party
    started_at: datetime
    due_at: datetime
    allowed_days: float
    used_days: float
    timeliness: Timeliness


@dataclass(frozen=True)
class DossierEvent:
    at: datetime
    from_state: DossierState | None
    to_state: DossierState
    actor_username: str
    actor_name: str
    actor_agency_code: str
    note: str = ""
    target_agency_code: str | None = None
    handover: Handover | None = None
    seq: int = 0


@dataclass
class Dossier:
    code: str
    procedure_code: str
    receiving_agency_code: str
    applicant: Applicant
    channel: Channel
    received_at: datetime
    subject: str = ""
    state: DossierState = DossierState.NEW
    holder_agency_code: str = ""
    holder_party: Party = Party.RECEPTION
    holder_since: datetime | None = None
    clock_started_at: datetime | None = None  # when the processing time began to run (intake or acceptance)
    last_moved_at: datetime | None = None
    due_at: datetime | None = None  # appointment date (ngày hẹn trả)
    extended_due_at: datetime | None = None  # new date promised by an apology letter
    step_index: int = 0
    step_started_at: datetime | None = None
    step_due_at: datetime | None = None
    paused_at: datetime | None = None
    holding_paused_days: float = 0.0
    total_paused_days: float = 0.0
    resolved_at: datetime | None = None
    completed_at: datetime | None = None
    participant_agencies: set[str] = field(default_factory=set)
    # Agencies working on the dossiers linked to this one (a "3 in 1" group): they read it, and its papers.
    linked_agencies: set[str] = field(default_factory=set)
    parent_code: str | None = None  # the group dossier this one was opened with, at the same intake
    version: int = 1
    id: int | None = None

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def clock_reference(self, now: datetime) -> datetime:
        """The instant the deadline is measured at: frozen while a supplement is awaited."""
        return self.paused_at if self.paused_at is not None else now

    def overdue_days(self, now: datetime, calendar: WorkingCalendar) -> float:
        """Working days past the appointment date (0 when not late). Counted until resolution."""
        if self.due_at is None:
            return 0.0
        if self.resolved_at is not None:
            end = self.resolved_at
        elif self.is_terminal:
            return 0.0  # refused, withdrawn or stopped: no result was owed
        else:
            end = self.clock_reference(now)
        if end <= self.due_at:
            return 0.0
        return calendar.working_days_between(self.due_at, end)

    def is_late(self, now: datetime, calendar: WorkingCalendar) -> bool:
        return self.overdue_days(now, calendar) > 0


def timeliness(at: datetime, due_at: datetime) -> Timeliness:
    if at > due_at:
        return Timeliness.LATE
    if local_date(at) < local_date(due_at):
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def open_dossier(
    *,
    code: str,
    procedure: Procedure,
    receiving_agency_code: str,
    applicant: Applicant,
    channel: Channel,
    received_at: datetime,
    subject: str,
    actor: Principal,
    calendar: WorkingCalendar,
) -> tuple[Dossier, list[DossierEvent]]:
    """Intake: a dossier at the desk. Counter and post dossiers are received at once; online ones wait."""
    dossier = Dossier(
        code=code,
        procedure_code=procedure.code,
        receiving_agency_code=receiving_agency_code,
        applicant=applicant,
        channel=channel,
        received_at=received_at,
        subject=subject,
        holder_agency_code=receiving_agency_code,
        holder_party=Party.APPLICANT if channel is Channel.ONLINE else Party.RECEPTION,
        holder_since=received_at,
        last_moved_at=received_at,
        participant_agencies={receiving_agency_code},
    )
    events = [DossierEvent(received_at, None, DossierState.NEW, actor.username, actor.full_name, actor.agency_code,
                           note="Nộp hồ sơ trực tuyến" if channel is Channel.ONLINE else "")]
    if channel is not Channel.ONLINE:
        events.append(apply_transition(dossier, to=DossierState.RECEIVED, actor=actor, at=received_at,
                                       procedure=procedure, calendar=calendar))
    return dossier, events


def check_role(actor: Principal, to: DossierState) -> None:
    if not any(to in ROLE_TARGETS.get(role, frozenset()) for role in actor.roles):
        raise PermissionDenied(
            f"Vai trò của bạn không được chuyển hồ sơ sang trạng thái '{to.value}'.",
            f"Your roles may not move a dossier to '{to.value}'.",
            code="role_not_allowed",
            detail={"to_state": to.value},
        )


def apply_transition(
    dossier: Dossier,
    *,
    to: DossierState,
    actor: Principal,
    at: datetime,
    procedure: Procedure,
    calendar: WorkingCalendar,
    note: str = "",
    target_agency_code: str | None = None,
) -> DossierEvent:
    """Moves the dossier to `to`, updating its clocks. Raises InvalidTransition, PermissionDenied."""
    current = dossier.state
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"Không thể chuyển hồ sơ từ '{current.value}' sang '{to.value}'.",
            f"A dossier cannot move from '{current.value}' to '{to.value}'.",
            detail={"from_state": current.value, "to_state": to.value,
                    "allowed": sorted(s.value for s in TRANSITIONS[current])},
        )
    check_role(actor, to)
    if dossier.last_moved_at is not None and at < dossier.last_moved_at:
        raise ValidationFailed("Thời điểm chuyển không được trước lần chuyển trước.",
                               "A transition cannot be dated before the previous one.", code="time_goes_backwards")
    if to is not DossierState.TRANSFERRED and target_agency_code is not None:
        raise ValidationFailed("Chỉ khi chuyển liên thông mới chọn cơ quan nhận.",
                               "Only a transfer names a target agency.", code="unexpected_target_agency")

    handover: Handover | None = None
    if current in PAUSED_STATES:
        _resume_clock(dossier, at, calendar)

    if to is DossierState.RECEIVED:
        _start_clocks(dossier, at, procedure, calendar)
    elif to is DossierState.TRANSFERRED:
        handover = _transfer(dossier, at, procedure, calendar, target_agency_code, note)
    elif to is DossierState.PROCESSING and dossier.holder_party is Party.RECEPTION:
        # The desk hands the papers to the processing officers (directly, or after a supplement).
        handover = _hand_over(dossier, at, calendar, to_agency=dossier.holder_agency_code, to_party=Party.PROCESSING)
    elif to is DossierState.PROCESSING and dossier.holder_party is Party.IN_TRANSIT:
        dossier.holder_party = Party.PROCESSING  # the new agency accepts; its step clock runs since the transfer
    elif to in PAUSED_STATES:
        dossier.paused_at = at
    elif to is DossierState.RESOLVED:
        handover = _hand_over(dossier, at, calendar, to_agency=dossier.holder_agency_code, to_party=Party.RECEPTION)
        dossier.resolved_at = at
    elif to is DossierState.RESULT_RETURNED:
        handover = _return_result(dossier, at, procedure, calendar)

    if to in TERMINAL_STATES:
        dossier.completed_at = at
        dossier.paused_at = None
    dossier.state = to
    dossier.last_moved_at = at
    return DossierEvent(
        at=at,
        from_state=current,
        to_state=to,
        actor_username=actor.username,
        actor_name=actor.full_name,
        actor_agency_code=actor.agency_code,
        note=note,
        target_agency_code=target_agency_code,
        handover=handover,
    )


def _start_clocks(dossier: Dossier, at: datetime, procedure: Procedure, calendar: WorkingCalendar) -> None:
    start = calendar.intake_start(at)  # after office hours, the clock starts the next working morning
    dossier.clock_started_at = start
    dossier.due_at = calendar.add_working_days(start, procedure.processing_days)
    dossier.step_index = 0
    dossier.step_started_at = start
    dossier.step_due_at = (
        calendar.add_working_days(start, procedure.held_days(0, dossier.receiving_agency_code))
        if procedure.route else dossier.due_at
    )
    dossier.holder_party = Party.RECEPTION
    dossier.holder_since = start
    dossier.holding_paused_days = 0.0


def _resume_clock(dossier: Dossier, at: datetime, calendar: WorkingCalendar) -> None:
    """A supplement came in: the time the applicant took is added to every running deadline."""
    assert dossier.paused_at is not None
    paused = max(calendar.working_days_between(dossier.paused_at, at), 0.0)
    if dossier.due_at is not None:
        dossier.due_at = calendar.add_working_days(dossier.due_at, paused)
    if dossier.step_due_at is not None:
        dossier.step_due_at = calendar.add_working_days(dossier.step_due_at, paused)
    dossier.holding_paused_days += paused
    dossier.total_paused_days += paused
    dossier.paused_at = None


def _measure(dossier: Dossier, at: datetime, calendar: WorkingCalendar, due_at: datetime,
             started_at: datetime) -> tuple[float, float]:
    allowed = calendar.working_days_between(started_at, due_at) - dossier.holding_paused_days
    used = calendar.working_days_between(started_at, at) - dossier.holding_paused_days
    return round(max(allowed, 0.0), 2), round(max(used, 0.0), 2)


def _hand_over(dossier: Dossier, at: datetime, calendar: WorkingCalendar, *, to_agency: str,
               to_party: Party) -> Handover:
    started = dossier.holder_since or dossier.received_at
    due = dossier.step_due_at or dossier.due_at or at
    allowed, used = _measure(dossier, at, calendar, due, started)
    handover = Handover(
        from_agency_code=dossier.holder_agency_code,
        from_party=dossier.holder_party,
        to_agency_code=to_agency,
        to_party=to_party,
        started_at=started,
        due_at=due,
        allowed_days=allowed,
        used_days=used,
        timeliness=timeliness(at, due),
    )
    dossier.holder_agency_code = to_agency
    dossier.holder_party = to_party
    dossier.holder_since = at
    dossier.holding_paused_days = 0.0
    return handover


def _transfer(dossier: Dossier, at: datetime, procedure: Procedure, calendar: WorkingCalendar,
              target: str | None, note: str) -> Handover:
    if not target:
        raise ValidationFailed("Cần chọn cơ quan nhận khi chuyển liên thông.",
                               "A transfer needs a target agency.", code="target_agency_required")
    if target == dossier.holder_agency_code:
        raise ValidationFailed("Không thể chuyển hồ sơ cho chính cơ quan đang giữ.",
                               "A dossier cannot be transferred to the agency that holds it.",
                               code="transfer_to_self", detail={"target_agency_code": target})
    receiving = dossier.receiving_agency_code
    forward = procedure.next_step_index(dossier.step_index, target, receiving) if procedure.route else None
    backward = procedure.previous_step_index(dossier.step_index, target, receiving) if procedure.route else None
    index = forward if forward is not None else backward
    if index is None and not note.strip():
        raise ValidationFailed(
            "Cơ quan nhận không nằm trong quy trình của thủ tục; cần ghi lý do chuyển.",
            "The target agency is not on the procedure's route; a reason is required.",
            code="off_route_reason_required",
            detail={"target_agency_code": target},
        )
    handover = _hand_over(dossier, at, calendar, to_agency=target, to_party=Party.IN_TRANSIT)
    dossier.participant_agencies.add(target)
    dossier.step_started_at = at
    if index is not None:
        dossier.step_index = index
        step_due = calendar.add_working_days(at, procedure.held_days(index, receiving))
        # A step never runs past the dossier's own appointment date.
        dossier.step_due_at = min(step_due, dossier.due_at) if dossier.due_at else step_due
    else:
        dossier.step_due_at = dossier.due_at
    return handover


def _return_result(dossier: Dossier, at: datetime, procedure: Procedure, calendar: WorkingCalendar) -> Handover:
    """The whole dossier's account, judged when the result was ready (resolved), not when it was collected."""
    due = dossier.due_at or at
    started = dossier.clock_started_at or dossier.received_at
    finished = dossier.resolved_at or at
    used = round(max(calendar.working_days_between(started, finished) - dossier.total_paused_days, 0.0), 2)
    handover = Handover(
        from_agency_code=dossier.holder_agency_code,
        from_party=dossier.holder_party,
        to_agency_code=dossier.holder_agency_code,
        to_party=Party.APPLICANT,
        started_at=started,
        due_at=due,
        allowed_days=round(float(procedure.processing_days), 2),
        used_days=used,
        timeliness=timeliness(finished, due),
    )
    dossier.holder_party = Party.APPLICANT
    dossier.holder_since = at
    return handover


# A linked dossier is done (for its group) once its result is ready or it ended without one.
DONE_FOR_GROUP = frozenset({S.RESOLVED, S.RESULT_RETURNED, S.REFUSED, S.WITHDRAWN, S.STOPPED})


def check_group_can_resolve(group: Dossier, linked: list[Dossier]) -> None:
    """A group dossier ("3 in 1") is resolved only when each of its linked dossiers is done."""
    open_ones = sorted(d.code for d in linked if d.state not in DONE_FOR_GROUP)
    if open_ones:
        raise InvalidTransition(
            "Còn hồ sơ liên thông chưa giải quyết xong; chưa thể hoàn thành hồ sơ này.",
            "Some linked dossiers are not done yet; the group dossier cannot be resolved.",
            code="linked_dossiers_open", detail={"dossier_code": group.code, "open": open_ones})


@dataclass(frozen=True)
class ExtensionLetter:
    """Apology letter with a new appointment date (thư xin lỗi và hẹn lại ngày trả kết quả)."""

    reason: str
    new_due_at: datetime
    issued_at: datetime
    issued_by: str
    issued_by_name: str = ""


def issue_extension(dossier: Dossier, *, reason: str, new_due_at: datetime, actor: Principal,
                    at: datetime) -> ExtensionLetter:
    if dossier.is_terminal or dossier.state in {DossierState.NEW, DossierState.RESOLVED}:
        raise InvalidTransition(
            "Chỉ hồ sơ đang giải quyết mới được hẹn lại ngày trả kết quả.",
            "Only a dossier being processed can get a new appointment date.",
            code="extension_not_allowed",
            detail={"state": dossier.state.value},
        )
    if not actor.has_any(Role.PROCESSING, Role.LEADER, Role.ADMIN):
        raise PermissionDenied(code="role_not_allowed")
    if not reason.strip():
        raise ValidationFailed("Cần ghi lý do chậm trễ.", "A reason for the delay is required.",
                               code="reason_required")
    floor = max(at, dossier.extended_due_at or dossier.due_at or at)
    if new_due_at <= floor:
        raise ValidationFailed(
            "Ngày hẹn mới phải sau ngày hẹn hiện tại và sau thời điểm hiện tại.",
            "The new date must be after the current appointment date and after now.",
            code="invalid_new_due_date",
        )
    dossier.extended_due_at = new_due_at
    return ExtensionLetter(reason.strip(), new_due_at, at, actor.username, actor.full_name)
