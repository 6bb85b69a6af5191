"""A dossier's life at the desk: intake, the land route, supplements, timeliness, apology letters."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta

import pytest

from records.access import Principal, Role
from records.agencies import AgencyLevel
from records.calendar import WorkingCalendar
from records.clock import VN_TZ
from records.dossiers import (
    TERMINAL_STATES,
    TRANSITIONS,
    Channel,
    Dossier,
    DossierEvent,
    DossierState,
    Handover,
    Party,
    Timeliness,
    apply_transition,
    issue_extension,
    open_dossier,
    timeliness,
)
from records.errors import InvalidTransition, PermissionDenied, ValidationFailed
from records.procedures import RECEIVING, DocumentType, Procedure, RequiredPaper, RouteStep
from tests.support.factories import (
    BIRTH_REGISTRATION,
    LAND,
    LAND_OFFICE,
    MONDAY_9AM,
    TRAN_BIEN,
    applicant,
    officer,
)

S = DossierState
CAL = WorkingCalendar()
TAX_OFFICE = "000.00.07.H19"  # on no route below

BIRTH = Procedure(
    code=BIRTH_REGISTRATION,
    name="Đăng ký khai sinh",
    field="Hộ tịch",
    level=AgencyLevel.COMMUNE,
    processing_days=1,
    route=(RouteStep(RECEIVING, 1, "Tiếp nhận và giải quyết"),),
    required_papers=(RequiredPaper("Tờ khai đăng ký khai sinh", DocumentType.APPLICATION_FORM),),
)

CLERK = officer("le.tan", TRAN_BIEN, Role.RECEPTION)
PROCESSOR = officer("xu.ly", TRAN_BIEN, Role.PROCESSING)
LEADER = officer("lanh.dao", TRAN_BIEN, Role.LEADER)
LAND_OFFICER = officer("dat.dai", LAND_OFFICE, Role.RECEPTION, Role.PROCESSING)


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN_TZ)


def intake(procedure: Procedure = LAND, *, channel: Channel = Channel.COUNTER, at: datetime = MONDAY_9AM,
           actor: Principal = CLERK) -> tuple[Dossier, list[DossierEvent]]:
    return open_dossier(code="000.60.01.H19-260302-0001", procedure=procedure, receiving_agency_code=TRAN_BIEN,
                        applicant=applicant(), channel=channel, received_at=at, subject="Thửa đất số 12",
                        actor=actor, calendar=CAL)


def move(dossier: Dossier, to: DossierState, at: datetime, *, actor: Principal = LEADER,
         procedure: Procedure = LAND, note: str = "", target: str | None = None) -> DossierEvent:
    return apply_transition(dossier, to=to, actor=actor, at=at, procedure=procedure, calendar=CAL, note=note,
                            target_agency_code=target)


def handover_of(event: DossierEvent) -> Handover:
    assert event.handover is not None
    return event.handover


def in_processing(procedure: Procedure = LAND) -> Dossier:
    """Received at the commune desk Monday 09:00 and handed to its processing officer at 10:00."""
    dossier, _ = intake(procedure)
    move(dossier, S.PROCESSING, vn(2026, 3, 2, 10), actor=PROCESSOR, procedure=procedure)
    return dossier


def bare_dossier(state: DossierState) -> Dossier:
    dossier, _ = intake(channel=Channel.ONLINE)
    dossier.state = state
    return dossier


# -- intake ------------------------------------------------------------------------------------------


def test_counter_intake_is_received_at_once_with_the_appointment_20_working_days_later() -> None:
    """GIVEN a land dossier handed in at the commune counter on Monday 2 March 2026 at 09:00
    WHEN it is opened
    THEN it is received at once and due four working weeks later, weekends skipped."""
    dossier, events = intake()

    assert [(e.from_state, e.to_state) for e in events] == [(None, S.NEW), (S.NEW, S.RECEIVED)]
    assert dossier.state is S.RECEIVED
    assert dossier.due_at == vn(2026, 3, 30, 9)
    assert dossier.step_index == 0
    assert dossier.step_due_at == vn(2026, 3, 4, 9)  # the commune's own 2 days
    assert dossier.holder_agency_code == TRAN_BIEN
    assert dossier.holder_party is Party.RECEPTION
    assert dossier.participant_agencies == {TRAN_BIEN}


@pytest.mark.parametrize(
    ("received_at", "due_at"),
    [
        (vn(2026, 3, 6, 15), vn(2026, 3, 9, 15)),  # Friday afternoon: due Monday, not Saturday
        (vn(2026, 3, 6, 17, 30), vn(2026, 3, 10, 7, 30)),  # after closing: counts from Monday 07:30
        (vn(2026, 3, 7, 10), vn(2026, 3, 10, 7, 30)),  # Saturday desk: counts from Monday 07:30
    ],
)
def test_a_one_day_birth_registration_skips_the_weekend(received_at: datetime, due_at: datetime) -> None:
    dossier, _ = intake(BIRTH, at=received_at)

    assert dossier.due_at == due_at


def test_online_intake_waits_as_new_and_its_clock_starts_at_acceptance() -> None:
    """GIVEN a land dossier submitted online on Monday 09:00
    WHEN the desk accepts it on Wednesday 09:00
    THEN the 20 working days run from Wednesday."""
    dossier, events = intake(channel=Channel.ONLINE)

    assert [e.to_state for e in events] == [S.NEW]
    assert events[0].note == "Nộp hồ sơ trực tuyến"
    assert (dossier.state, dossier.due_at, dossier.holder_party) == (S.NEW, None, Party.APPLICANT)
    assert dossier.overdue_days(vn(2026, 6, 1), CAL) == 0.0

    event = move(dossier, S.RECEIVED, vn(2026, 3, 4, 9), actor=CLERK)

    assert event.handover is None
    assert dossier.state is S.RECEIVED
    assert dossier.due_at == vn(2026, 4, 1, 9)
    assert dossier.holder_party is Party.RECEPTION
    assert dossier.holder_since == vn(2026, 3, 4, 9)


def test_an_officer_without_the_reception_role_cannot_take_in_a_counter_dossier() -> None:
    with pytest.raises(PermissionDenied) as raised:
        intake(actor=PROCESSOR)

    assert raised.value.code == "role_not_allowed"
    assert raised.value.detail == {"to_state": "received"}


# -- the state table ---------------------------------------------------------------------------------


def _path_from_new(goal: DossierState) -> list[DossierState]:
    previous: dict[DossierState, DossierState] = {}
    queue = deque([S.NEW])
    while queue:
        state = queue.popleft()
        for nxt in sorted(TRANSITIONS[state]):
            if nxt not in previous and nxt is not S.NEW:
                previous[nxt] = state
                queue.append(nxt)
    path = [goal]
    while path[-1] is not S.NEW:
        path.append(previous[path[-1]])
    return path[::-1]


@pytest.mark.parametrize("goal", [state for state in DossierState if state is not S.NEW])
def test_every_state_is_reachable_from_new_by_legal_moves(goal: DossierState) -> None:
    dossier, _ = intake(channel=Channel.ONLINE)
    at = MONDAY_9AM
    for to in _path_from_new(goal)[1:]:
        at += timedelta(hours=1)
        target = (LAND_OFFICE if dossier.holder_agency_code == TRAN_BIEN else TRAN_BIEN) if to is S.TRANSFERRED \
            else None
        move(dossier, to, at, target=target)

    assert dossier.state is goal
    assert dossier.is_terminal is (goal in TERMINAL_STATES)


def test_the_terminal_states_are_the_four_final_outcomes() -> None:
    assert frozenset({S.REFUSED, S.WITHDRAWN, S.STOPPED, S.RESULT_RETURNED}) == TERMINAL_STATES


@pytest.mark.parametrize("state", list(DossierState))
def test_each_illegal_move_is_refused_naming_the_allowed_moves(state: DossierState) -> None:
    illegal = [to for to in DossierState if to not in TRANSITIONS[state]]
    assert illegal  # no state may move everywhere (at least not back to NEW)
    for to in illegal:
        dossier = bare_dossier(state)
        with pytest.raises(InvalidTransition) as raised:
            move(dossier, to, MONDAY_9AM + timedelta(hours=1))

        assert raised.value.code == "invalid_transition"
        assert raised.value.detail == {
            "from_state": state.value,
            "to_state": to.value,
            "allowed": sorted(s.value for s in TRANSITIONS[state]),
        }
        assert dossier.state is state


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_a_closed_dossier_allows_no_move_at_all(state: DossierState) -> None:
    for to in DossierState:
        with pytest.raises(InvalidTransition) as raised:
            move(bare_dossier(state), to, MONDAY_9AM + timedelta(hours=1))
        assert raised.value.detail["allowed"] == []


# -- roles -------------------------------------------------------------------------------------------


def test_a_reception_only_officer_cannot_resolve_but_a_leader_can() -> None:
    dossier = in_processing()

    with pytest.raises(PermissionDenied) as raised:
        move(dossier, S.RESOLVED, vn(2026, 3, 3, 9), actor=CLERK)

    assert raised.value.code == "role_not_allowed"
    assert raised.value.detail == {"to_state": "resolved"}
    assert (dossier.state, dossier.resolved_at) == (S.PROCESSING, None)

    move(dossier, S.RESOLVED, vn(2026, 3, 3, 9), actor=LEADER)

    assert dossier.state is S.RESOLVED
    assert dossier.resolved_at == vn(2026, 3, 3, 9)


@pytest.mark.parametrize(
    ("roles", "to"),
    [
        ((Role.PROCESSING,), S.RESULT_RETURNED),  # handing the result over is the desk's job
        ((Role.RECEPTION,), S.STOPPED),
        ((Role.AUDITOR,), S.RESULT_RETURNED),
        ((Role.ARCHIVIST,), S.RESULT_RETURNED),
    ],
)
def test_roles_without_the_target_state_are_refused(roles: tuple[Role, ...], to: DossierState) -> None:
    dossier = bare_dossier(S.RESOLVED if to is S.RESULT_RETURNED else S.PROCESSING)

    with pytest.raises(PermissionDenied) as raised:
        move(dossier, to, MONDAY_9AM + timedelta(hours=1), actor=officer("x", TRAN_BIEN, *roles))

    assert raised.value.code == "role_not_allowed"


# -- the land route ----------------------------------------------------------------------------------


def test_a_land_dossier_travels_commune_to_land_office_and_back_with_measured_hand_overs() -> None:
    """GIVEN a land dossier received at the commune on Monday 2 March, due Monday 30 March 09:00
    WHEN it goes commune → land office (17 days) → commune → applicant
    THEN each hand-over records who gave it to whom, the days allowed and used, and the timeliness."""
    dossier, _ = intake()

    to_processing = handover_of(move(dossier, S.PROCESSING, vn(2026, 3, 2, 10), actor=PROCESSOR))
    assert to_processing == Handover(TRAN_BIEN, Party.RECEPTION, TRAN_BIEN, Party.PROCESSING,
                                     started_at=MONDAY_9AM, due_at=vn(2026, 3, 4, 9),
                                     allowed_days=2.0, used_days=0.04, timeliness=Timeliness.EARLY)

    to_land = handover_of(move(dossier, S.TRANSFERRED, vn(2026, 3, 3, 9), actor=PROCESSOR, target=LAND_OFFICE))
    assert to_land == Handover(TRAN_BIEN, Party.PROCESSING, LAND_OFFICE, Party.IN_TRANSIT,
                               started_at=vn(2026, 3, 2, 10), due_at=vn(2026, 3, 4, 9),
                               allowed_days=1.96, used_days=0.96, timeliness=Timeliness.EARLY)
    assert dossier.state is S.TRANSFERRED
    assert dossier.step_index == 1
    assert dossier.step_due_at == vn(2026, 3, 26, 9)  # 17 working days after the transfer
    assert dossier.holder_agency_code == LAND_OFFICE
    assert dossier.participant_agencies == {TRAN_BIEN, LAND_OFFICE}

    accepted = move(dossier, S.PROCESSING, vn(2026, 3, 3, 14), actor=LAND_OFFICER)
    assert accepted.handover is None
    assert dossier.holder_party is Party.PROCESSING

    back = handover_of(move(dossier, S.TRANSFERRED, vn(2026, 3, 23, 9), actor=LAND_OFFICER, target=TRAN_BIEN))
    assert back == Handover(LAND_OFFICE, Party.PROCESSING, TRAN_BIEN, Party.IN_TRANSIT,
                            started_at=vn(2026, 3, 3, 9), due_at=vn(2026, 3, 26, 9),
                            allowed_days=17.0, used_days=14.0, timeliness=Timeliness.EARLY)
    assert dossier.step_index == 2  # forward to the commune's last step, not back to its first
    assert dossier.step_due_at == vn(2026, 3, 24, 9)

    move(dossier, S.PROCESSING, vn(2026, 3, 23, 10), actor=PROCESSOR)
    resolved = handover_of(move(dossier, S.RESOLVED, vn(2026, 3, 24, 8), actor=PROCESSOR))
    assert resolved == Handover(TRAN_BIEN, Party.PROCESSING, TRAN_BIEN, Party.RECEPTION,
                                started_at=vn(2026, 3, 23, 9), due_at=vn(2026, 3, 24, 9),
                                allowed_days=1.0, used_days=0.96, timeliness=Timeliness.ON_TIME)

    returned = handover_of(move(dossier, S.RESULT_RETURNED, vn(2026, 3, 25, 9), actor=CLERK))
    assert returned == Handover(TRAN_BIEN, Party.RECEPTION, TRAN_BIEN, Party.APPLICANT,
                                started_at=MONDAY_9AM, due_at=vn(2026, 3, 30, 9),
                                allowed_days=20.0, used_days=15.96, timeliness=Timeliness.EARLY)
    assert dossier.is_terminal
    assert dossier.completed_at == vn(2026, 3, 25, 9)
    assert dossier.overdue_days(vn(2026, 5, 4), CAL) == 0.0


@pytest.mark.parametrize(
    ("resolved_at", "returned_at", "expected"),
    [
        (vn(2026, 3, 27, 10), vn(2026, 3, 27, 11), Timeliness.EARLY),
        (vn(2026, 3, 30, 8), vn(2026, 3, 30, 8, 30), Timeliness.ON_TIME),
        (vn(2026, 3, 30, 10), vn(2026, 3, 30, 11), Timeliness.LATE),
        # Measured when the result was ready, not when the applicant came to collect it.
        (vn(2026, 3, 27, 10), vn(2026, 4, 1, 9), Timeliness.EARLY),
    ],
)
def test_the_returned_result_is_judged_against_the_appointment_date(
    resolved_at: datetime, returned_at: datetime, expected: Timeliness
) -> None:
    dossier = in_processing()
    move(dossier, S.RESOLVED, resolved_at)

    returned = handover_of(move(dossier, S.RESULT_RETURNED, returned_at, actor=CLERK))

    assert returned.due_at == vn(2026, 3, 30, 9)
    assert returned.timeliness is expected


def test_a_late_dossier_counts_overdue_working_days_until_it_is_resolved() -> None:
    dossier = in_processing()

    assert dossier.overdue_days(vn(2026, 3, 30, 9), CAL) == 0.0
    assert dossier.overdue_days(vn(2026, 4, 1, 9), CAL) == 2.0
    assert dossier.overdue_days(vn(2026, 4, 5, 9), CAL) == 4.625  # Saturday and Sunday do not count

    move(dossier, S.RESOLVED, vn(2026, 4, 1, 9))

    assert dossier.overdue_days(vn(2026, 4, 20), CAL) == 2.0
    assert dossier.is_late(vn(2026, 4, 20), CAL)


def test_a_dossier_cannot_be_transferred_to_the_agency_holding_it() -> None:
    dossier = in_processing()

    with pytest.raises(ValidationFailed) as raised:
        move(dossier, S.TRANSFERRED, vn(2026, 3, 3, 9), target=TRAN_BIEN)

    assert raised.value.code == "transfer_to_self"
    assert raised.value.detail == {"target_agency_code": TRAN_BIEN}
    assert dossier.state is S.PROCESSING
    assert dossier.holder_party is Party.PROCESSING
    assert dossier.holder_since == vn(2026, 3, 2, 10)


@pytest.mark.parametrize("note", ["", "   "])
def test_a_transfer_off_the_route_needs_a_reason(note: str) -> None:
    dossier = in_processing()

    with pytest.raises(ValidationFailed) as raised:
        move(dossier, S.TRANSFERRED, vn(2026, 3, 3, 9), target=TAX_OFFICE, note=note)

    assert raised.value.code == "off_route_reason_required"
    assert raised.value.detail == {"target_agency_code": TAX_OFFICE}
    assert dossier.state is S.PROCESSING
    assert dossier.participant_agencies == {TRAN_BIEN}


def test_a_transfer_off_the_route_with_a_reason_runs_to_the_dossier_due_date() -> None:
    dossier = in_processing()

    event = move(dossier, S.TRANSFERRED, vn(2026, 3, 3, 9), target=TAX_OFFICE, note="Xác định nghĩa vụ thuế")

    assert event.target_agency_code == TAX_OFFICE
    assert event.note == "Xác định nghĩa vụ thuế"
    assert dossier.holder_agency_code == TAX_OFFICE
    assert dossier.step_index == 0
    assert dossier.step_due_at == dossier.due_at == vn(2026, 3, 30, 9)
    assert dossier.participant_agencies == {TRAN_BIEN, TAX_OFFICE}


def test_a_transfer_must_name_its_target_and_other_moves_must_not() -> None:
    dossier = in_processing()

    with pytest.raises(ValidationFailed) as no_target:
        move(dossier, S.TRANSFERRED, vn(2026, 3, 3, 9))
    with pytest.raises(ValidationFailed) as stray_target:
        move(dossier, S.RESOLVED, vn(2026, 3, 3, 9), target=LAND_OFFICE)

    assert no_target.value.code == "target_agency_required"
    assert stray_target.value.code == "unexpected_target_agency"
    assert dossier.state is S.PROCESSING


def test_a_step_never_runs_past_the_dossier_due_date() -> None:
    """GIVEN a land dossier kept at the commune for a week before it goes to the land office
    WHEN it is transferred
    THEN the land office's 17 days are cut at the appointment date."""
    dossier = in_processing()

    move(dossier, S.TRANSFERRED, vn(2026, 3, 9, 9), target=LAND_OFFICE)

    assert dossier.step_due_at == vn(2026, 3, 30, 9)


# -- supplements pause the clock ---------------------------------------------------------------------


def test_while_a_supplement_is_awaited_the_overdue_count_is_frozen() -> None:
    """GIVEN a birth registration due Tuesday 09:00 and one day late on Wednesday 09:00
    WHEN the officer asks for a supplement on Wednesday 09:00 and the applicant brings it Monday 09:00
    THEN it stays one day late while paused, and is still one day late on resubmission."""
    dossier = in_processing(BIRTH)
    assert dossier.due_at == vn(2026, 3, 3, 9)

    move(dossier, S.SUPPLEMENT_REQUESTED, vn(2026, 3, 4, 9), procedure=BIRTH)

    assert dossier.overdue_days(vn(2026, 3, 4, 9), CAL) == 1.0
    assert dossier.overdue_days(vn(2026, 3, 6, 16), CAL) == 1.0
    assert dossier.overdue_days(vn(2026, 3, 9, 8), CAL) == 1.0

    move(dossier, S.PROCESSING, vn(2026, 3, 9, 9), procedure=BIRTH)

    assert dossier.total_paused_days == 3.0
    assert dossier.due_at == vn(2026, 3, 6, 9)
    assert dossier.paused_at is None
    assert dossier.overdue_days(vn(2026, 3, 9, 9), CAL) == 1.0
    assert dossier.overdue_days(vn(2026, 3, 10, 9), CAL) == 2.0


def test_resubmission_moves_the_deadlines_by_exactly_the_paused_working_time() -> None:
    dossier = in_processing()
    due_before, step_due_before = dossier.due_at, dossier.step_due_at

    move(dossier, S.SUPPLEMENT_REQUESTED, vn(2026, 3, 3, 9), actor=PROCESSOR)
    assert dossier.paused_at == vn(2026, 3, 3, 9)
    assert dossier.due_at == due_before  # nothing moves until the supplement is in

    move(dossier, S.PROCESSING, vn(2026, 3, 5, 9), actor=PROCESSOR)

    assert dossier.due_at == vn(2026, 4, 1, 9)
    assert dossier.step_due_at == vn(2026, 3, 6, 9)
    assert due_before is not None and step_due_before is not None
    assert CAL.working_days_between(due_before, dossier.due_at) == 2.0
    assert CAL.working_days_between(step_due_before, dossier.step_due_at) == 2.0
    assert dossier.total_paused_days == 2.0


def test_pauses_add_up_and_are_left_out_of_the_days_used() -> None:
    """GIVEN a land dossier paused two days at the commune and one day at the land office
    THEN the total pause is three days, the due date moved by three, and hand-overs count only working time."""
    dossier = in_processing()
    move(dossier, S.SUPPLEMENT_REQUESTED, vn(2026, 3, 3, 9), actor=PROCESSOR)
    move(dossier, S.PROCESSING, vn(2026, 3, 5, 9), actor=PROCESSOR)

    to_land = handover_of(move(dossier, S.TRANSFERRED, vn(2026, 3, 5, 15), actor=PROCESSOR, target=LAND_OFFICE))

    assert to_land.due_at == vn(2026, 3, 6, 9)
    assert to_land.allowed_days == 1.96  # as without the pause
    assert to_land.used_days == 1.21  # 3.21 days held, 2 of them waiting for the applicant
    assert to_land.timeliness is Timeliness.EARLY
    assert dossier.holding_paused_days == 0.0

    move(dossier, S.PROCESSING, vn(2026, 3, 6, 9), actor=LAND_OFFICER)
    move(dossier, S.SUPPLEMENT_REQUESTED, vn(2026, 3, 9, 9), actor=LAND_OFFICER)
    move(dossier, S.PROCESSING, vn(2026, 3, 10, 9), actor=LAND_OFFICER)

    assert dossier.total_paused_days == 3.0
    assert dossier.due_at == vn(2026, 4, 2, 9)


def test_the_returned_result_leaves_the_pause_out_of_the_days_used() -> None:
    dossier = in_processing(BIRTH)
    move(dossier, S.SUPPLEMENT_REQUESTED, vn(2026, 3, 2, 11), procedure=BIRTH)
    move(dossier, S.PROCESSING, vn(2026, 3, 4, 11), procedure=BIRTH)
    move(dossier, S.RESOLVED, vn(2026, 3, 4, 12), procedure=BIRTH)

    returned = handover_of(move(dossier, S.RESULT_RETURNED, vn(2026, 3, 4, 13), procedure=BIRTH))

    assert returned.due_at == vn(2026, 3, 5, 9)
    assert returned.allowed_days == 1
    # Counted until the result was ready: Monday 09:00 to Wednesday 12:00 is 2.125 days, 2 of them paused.
    assert returned.used_days == 0.12
    assert returned.timeliness is Timeliness.EARLY


# -- timeliness --------------------------------------------------------------------------------------

DUE = vn(2026, 3, 30, 9)  # Monday


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (vn(2026, 3, 27, 16), Timeliness.EARLY),  # the working day before
        (vn(2026, 3, 29, 23, 59), Timeliness.EARLY),
        (datetime(2026, 3, 29, 16, 59, tzinfo=UTC), Timeliness.EARLY),  # Sunday 23:59 in Vietnam
        (vn(2026, 3, 30, 0, 0), Timeliness.ON_TIME),
        (datetime(2026, 3, 29, 23, 30, tzinfo=UTC), Timeliness.ON_TIME),  # Monday 06:30 in Vietnam
        (vn(2026, 3, 30, 9, 0), Timeliness.ON_TIME),
        (vn(2026, 3, 30, 9, 1), Timeliness.LATE),
        (datetime(2026, 3, 30, 2, 1, tzinfo=UTC), Timeliness.LATE),  # 09:01 in Vietnam
        (vn(2026, 3, 31, 8), Timeliness.LATE),
    ],
)
def test_timeliness_compares_vietnamese_calendar_days(at: datetime, expected: Timeliness) -> None:
    assert timeliness(at, DUE) is expected
    assert timeliness(at, DUE.astimezone(UTC)) is expected


# -- apology letters (thư xin lỗi, hẹn lại) ----------------------------------------------------------


def test_an_extension_letter_promises_a_later_date_but_the_dossier_stays_late() -> None:
    """GIVEN a land dossier due 30 March and still processing on 1 April
    WHEN the leader issues an apology letter promising 10 April
    THEN the letter is recorded, but overdue days are still counted from 30 March."""
    dossier = in_processing()
    now = vn(2026, 4, 1, 9)
    overdue_before = dossier.overdue_days(now, CAL)

    letter = issue_extension(dossier, reason="  Chờ kết quả đo đạc  ", new_due_at=vn(2026, 4, 10, 9),
                             actor=LEADER, at=now)

    assert letter.reason == "Chờ kết quả đo đạc"
    assert letter.new_due_at == vn(2026, 4, 10, 9)
    assert (letter.issued_at, letter.issued_by) == (now, "lanh.dao")
    assert dossier.extended_due_at == vn(2026, 4, 10, 9)
    assert dossier.due_at == vn(2026, 3, 30, 9)
    assert overdue_before == 2.0
    assert dossier.overdue_days(now, CAL) == 2.0
    assert dossier.is_late(now, CAL)


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_extension_letter_needs_a_reason(reason: str) -> None:
    dossier = in_processing()

    with pytest.raises(ValidationFailed) as raised:
        issue_extension(dossier, reason=reason, new_due_at=vn(2026, 4, 10, 9), actor=LEADER, at=vn(2026, 3, 20))

    assert raised.value.code == "reason_required"
    assert dossier.extended_due_at is None


@pytest.mark.parametrize(
    ("now", "new_due_at"),
    [
        (vn(2026, 3, 20), vn(2026, 3, 30, 9)),  # the current appointment date itself
        (vn(2026, 3, 20), vn(2026, 3, 27, 9)),  # earlier than the appointment date
        (vn(2026, 4, 3), vn(2026, 4, 2, 9)),  # after the old date but already past
    ],
)
def test_an_extension_letter_must_move_the_date_later(now: datetime, new_due_at: datetime) -> None:
    dossier = in_processing()

    with pytest.raises(ValidationFailed) as raised:
        issue_extension(dossier, reason="Chờ đo đạc", new_due_at=new_due_at, actor=LEADER, at=now)

    assert raised.value.code == "invalid_new_due_date"
    assert dossier.extended_due_at is None


def test_a_second_letter_must_promise_a_date_after_the_first() -> None:
    dossier = in_processing()
    issue_extension(dossier, reason="Chờ đo đạc", new_due_at=vn(2026, 4, 10, 9), actor=LEADER, at=vn(2026, 3, 27))

    with pytest.raises(ValidationFailed) as raised:
        issue_extension(dossier, reason="Chờ thuế", new_due_at=vn(2026, 4, 8, 9), actor=LEADER, at=vn(2026, 4, 1))

    assert raised.value.code == "invalid_new_due_date"
    assert dossier.extended_due_at == vn(2026, 4, 10, 9)


@pytest.mark.parametrize("state", [S.NEW, S.RESULT_RETURNED, S.WITHDRAWN, S.REFUSED, S.STOPPED])
def test_an_extension_letter_is_refused_for_a_dossier_not_in_progress(state: DossierState) -> None:
    dossier = bare_dossier(state)

    with pytest.raises(InvalidTransition) as raised:
        issue_extension(dossier, reason="Chờ đo đạc", new_due_at=vn(2026, 4, 10, 9), actor=LEADER,
                        at=vn(2026, 3, 20))

    assert raised.value.code == "extension_not_allowed"
    assert raised.value.detail == {"state": state.value}


def test_a_reception_officer_cannot_issue_an_extension_letter() -> None:
    dossier = in_processing()

    with pytest.raises(PermissionDenied) as raised:
        issue_extension(dossier, reason="Chờ đo đạc", new_due_at=vn(2026, 4, 10, 9), actor=CLERK,
                        at=vn(2026, 3, 20))

    assert raised.value.code == "role_not_allowed"
    assert dossier.extended_due_at is None


# -- time ordering -----------------------------------------------------------------------------------


def test_a_transition_cannot_be_dated_before_the_previous_hand_over() -> None:
    dossier = in_processing()

    with pytest.raises(ValidationFailed) as raised:
        move(dossier, S.TRANSFERRED, vn(2026, 3, 2, 9, 59), target=LAND_OFFICE)

    assert raised.value.code == "time_goes_backwards"
    assert dossier.state is S.PROCESSING
    assert dossier.holder_agency_code == TRAN_BIEN


def test_an_online_dossier_cannot_be_accepted_before_it_was_submitted() -> None:
    dossier, _ = intake(channel=Channel.ONLINE)

    with pytest.raises(ValidationFailed) as raised:
        move(dossier, S.RECEIVED, MONDAY_9AM - timedelta(minutes=1), actor=CLERK)

    assert raised.value.code == "time_goes_backwards"
    assert dossier.state is S.NEW
    assert dossier.due_at is None
