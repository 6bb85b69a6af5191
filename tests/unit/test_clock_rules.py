"""When the processing clock runs, and against what each hand-over is measured."""

from __future__ import annotations

import math

import pytest

from records.agencies import Agency, AgencyLevel, AgencyRegistry
from records.dossiers import Channel, DossierState, Party
from records.errors import InvalidTransition, ValidationFailed
from records.identifiers import check_tax_code, tax_code_check_digit
from records.procedures import procedure_from_dict, procedure_to_dict, validate_procedure
from tests.unit.test_dossier_lifecycle import BIRTH, LAND, PROCESSOR, handover_of, intake, move, vn

S = DossierState


def test_an_online_dossier_is_measured_from_its_acceptance() -> None:
    """GIVEN a birth registration filed online on Monday and accepted on Wednesday 09:00
    WHEN it is resolved on Wednesday 15:00 and returned
    THEN the days used count from the acceptance, not from the filing."""
    dossier, _ = intake(BIRTH, channel=Channel.ONLINE)
    for to, at in ((S.RECEIVED, vn(2026, 3, 4, 9)), (S.PROCESSING, vn(2026, 3, 4, 10)),
                   (S.RESOLVED, vn(2026, 3, 4, 15))):
        move(dossier, to, at, procedure=BIRTH)
    returned = handover_of(move(dossier, S.RESULT_RETURNED, vn(2026, 3, 6, 9), procedure=BIRTH))
    assert returned.started_at == vn(2026, 3, 4, 9)
    assert returned.used_days == 0.25 and returned.allowed_days == 1.0


def test_time_cannot_run_backwards_after_any_move() -> None:
    dossier = intake(LAND)[0]
    move(dossier, S.PROCESSING, vn(2026, 3, 2, 10))
    move(dossier, S.SUPPLEMENT_REQUESTED, vn(2026, 3, 4, 9))
    with pytest.raises(ValidationFailed) as raised:
        move(dossier, S.PROCESSING, vn(2026, 3, 3, 9))
    assert raised.value.code == "time_goes_backwards"
    assert dossier.state is S.SUPPLEMENT_REQUESTED


def test_a_supplement_asked_at_the_desk_still_hands_the_papers_to_processing() -> None:
    dossier = intake(LAND)[0]
    move(dossier, S.SUPPLEMENT_REQUESTED, vn(2026, 3, 2, 10))
    event = move(dossier, S.PROCESSING, vn(2026, 3, 3, 10))
    handover = handover_of(event)
    assert (handover.from_party, handover.to_party) == (Party.RECEPTION, Party.PROCESSING)
    assert dossier.holder_party is Party.PROCESSING
    assert handover.used_days == pytest.approx(1 / 24, abs=0.01)  # one hour; the paused day does not count


def test_an_after_hours_intake_counts_from_the_next_morning() -> None:
    """A dossier received Monday 18:00: its clock starts Tuesday 07:30, and so does the desk's step."""
    dossier, _ = intake(LAND, at=vn(2026, 3, 2, 18))
    assert dossier.clock_started_at == vn(2026, 3, 3, 7, 30)
    handover = handover_of(move(dossier, S.PROCESSING, vn(2026, 3, 3, 8, 30), actor=PROCESSOR))
    assert handover.allowed_days == 2.0
    assert handover.started_at == vn(2026, 3, 3, 7, 30)


def test_waiting_for_fees_stops_the_clock_like_a_supplement() -> None:
    dossier = intake(LAND)[0]
    due = dossier.due_at
    move(dossier, S.PROCESSING, vn(2026, 3, 2, 10))
    move(dossier, S.AWAITING_FEES, vn(2026, 3, 3, 9))
    assert dossier.paused_at == vn(2026, 3, 3, 9)
    move(dossier, S.PROCESSING, vn(2026, 3, 6, 9))  # paid three working days later
    assert due is not None and dossier.due_at == vn(2026, 4, 2, 9)
    assert dossier.total_paused_days == 3.0


def test_a_resolved_dossier_needs_no_new_appointment_date() -> None:
    from records.dossiers import issue_extension

    dossier = intake(BIRTH)[0]
    move(dossier, S.PROCESSING, vn(2026, 3, 2, 10), procedure=BIRTH)
    move(dossier, S.RESOLVED, vn(2026, 3, 4, 10), procedure=BIRTH)
    with pytest.raises(InvalidTransition) as raised:
        issue_extension(dossier, reason="chậm", new_due_at=vn(2026, 3, 9, 9), actor=PROCESSOR, at=vn(2026, 3, 4, 11))
    assert raised.value.code == "extension_not_allowed"


def test_parent_cycles_are_refused() -> None:
    a = Agency("000.80.01.H19", "Xã A", AgencyLevel.COMMUNE, parent_code="000.80.02.H19")
    b = Agency("000.80.02.H19", "Xã B", AgencyLevel.COMMUNE, parent_code="000.80.01.H19")
    with pytest.raises(ValidationFailed) as raised:
        AgencyRegistry([a, b])
    assert raised.value.code == "hierarchy_cycle"


def test_branch_suffix_000_is_not_a_branch() -> None:
    head = "360025284" + str(tax_code_check_digit("360025284"))
    assert check_tax_code(head + "-001") == head + "-001"
    with pytest.raises(ValidationFailed):
        check_tax_code(head + "-000")


@pytest.mark.parametrize("days", [math.inf, math.nan])
def test_processing_time_must_be_a_finite_number(days: float) -> None:
    data = {**procedure_to_dict(LAND), "processing_days": days}
    with pytest.raises(ValidationFailed) as raised:
        validate_procedure(procedure_from_dict(data))
    assert raised.value.code == "invalid_procedure"


def test_a_string_false_is_not_read_as_published() -> None:
    with pytest.raises(ValidationFailed) as raised:
        procedure_from_dict({**procedure_to_dict(LAND), "published": "false"})
    assert raised.value.code == "invalid_procedure"
