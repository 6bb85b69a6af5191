"""The one access rule for dossiers: who may read one, and who may change it."""

from __future__ import annotations

import pytest

from records.access import Action, Decision, Principal, Role, decide, visible_agencies
from tests.support.factories import BIEN_HOA, LAND_OFFICE, TAN_PHU, TRAN_BIEN, officer

AT_TRAN_BIEN = frozenset({TRAN_BIEN})
LAND_ROUTE = frozenset({TRAN_BIEN, LAND_OFFICE})  # received at the commune, sent to the land office
TRAN_BIEN_SUCCESSOR = officer("ke.thua", TRAN_BIEN, Role.PROCESSING, reachable=frozenset({BIEN_HOA}))
ADMIN = officer("quan.tri", "000.00.00.H19", Role.ADMIN)


def read(principal: Principal, participants: frozenset[str], holder: str | None = TRAN_BIEN) -> Decision:
    return decide(principal, Action.READ, participant_agencies=participants, holder_agency_code=holder)


def change(principal: Principal, participants: frozenset[str], holder: str | None = TRAN_BIEN) -> Decision:
    return decide(principal, Action.CHANGE, participant_agencies=participants, holder_agency_code=holder)


def test_an_officer_reads_and_changes_a_dossier_of_their_own_agency() -> None:
    clerk = officer("le.tan", TRAN_BIEN, Role.RECEPTION)

    assert read(clerk, AT_TRAN_BIEN) == Decision(True, "own_agency")
    assert change(clerk, AT_TRAN_BIEN) == Decision(True, "holder_agency")
    assert bool(read(clerk, AT_TRAN_BIEN)) is True


def test_a_successor_agency_reads_and_changes_a_predecessor_dossier() -> None:
    """GIVEN a dossier received by Biên Hòa before it was abolished, still held there
    WHEN an officer of Trấn Biên, its successor, opens it
    THEN the read is allowed as successor_agency, and the change as holder."""
    old_dossier = frozenset({BIEN_HOA})

    assert read(TRAN_BIEN_SUCCESSOR, old_dossier, holder=BIEN_HOA) == Decision(True, "successor_agency")
    assert change(TRAN_BIEN_SUCCESSOR, old_dossier, holder=BIEN_HOA) == Decision(True, "holder_agency")


def test_without_succession_the_old_agency_dossier_is_refused() -> None:
    plain = officer("khong.ke.thua", TRAN_BIEN, Role.PROCESSING)

    assert read(plain, frozenset({BIEN_HOA}), holder=BIEN_HOA) == Decision(False, "not_a_participant")


@pytest.mark.parametrize("action", list(Action))
def test_an_unrelated_agency_is_refused_everything(action: Action) -> None:
    leader_elsewhere = officer("lanh.dao.tan.phu", TAN_PHU, Role.LEADER)

    decision = decide(leader_elsewhere, action, participant_agencies=LAND_ROUTE, holder_agency_code=TRAN_BIEN)

    assert decision == Decision(False, "not_a_participant")
    assert not decision


def test_an_agency_that_held_the_dossier_on_its_route_may_read_but_not_change_it() -> None:
    land_officer = officer("dat.dai", LAND_OFFICE, Role.PROCESSING)

    assert read(land_officer, LAND_ROUTE, holder=TRAN_BIEN) == Decision(True, "own_agency")
    assert change(land_officer, LAND_ROUTE, holder=TRAN_BIEN) == Decision(False, "not_the_holder")
    assert change(land_officer, LAND_ROUTE, holder=LAND_OFFICE) == Decision(True, "holder_agency")


def test_a_receiving_agency_cannot_change_a_dossier_while_another_agency_holds_it() -> None:
    processor = officer("xu.ly", TRAN_BIEN, Role.PROCESSING)

    assert read(processor, LAND_ROUTE, holder=LAND_OFFICE) == Decision(True, "own_agency")
    assert change(processor, LAND_ROUTE, holder=LAND_OFFICE) == Decision(False, "not_the_holder")
    assert change(processor, LAND_ROUTE, holder=None) == Decision(False, "not_the_holder")


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ARCHIVIST])
def test_auditors_and_archivists_read_but_never_change(role: Role) -> None:
    watcher = officer("kiem.tra", TRAN_BIEN, role)

    assert read(watcher, AT_TRAN_BIEN) == Decision(True, "own_agency")
    assert change(watcher, AT_TRAN_BIEN) == Decision(False, "role_cannot_change")


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.PROCESSING, Role.LEADER])
def test_every_working_role_may_change_a_dossier_its_agency_holds(role: Role) -> None:
    assert change(officer("can.bo", TRAN_BIEN, role), AT_TRAN_BIEN) == Decision(True, "holder_agency")


def test_an_admin_sees_and_changes_every_dossier() -> None:
    assert visible_agencies(ADMIN) is None
    assert read(ADMIN, frozenset({TAN_PHU}), holder=TAN_PHU) == Decision(True, "admin")
    assert change(ADMIN, frozenset({TAN_PHU}), holder=TAN_PHU) == Decision(True, "admin")
    assert read(ADMIN, frozenset(), holder=None) == Decision(True, "admin")


def test_visible_agencies_are_the_own_agency_and_those_it_succeeded() -> None:
    assert visible_agencies(TRAN_BIEN_SUCCESSOR) == frozenset({TRAN_BIEN, BIEN_HOA})
    assert visible_agencies(officer("x", TAN_PHU, Role.RECEPTION)) == frozenset({TAN_PHU})


def test_has_any_checks_role_membership() -> None:
    clerk = officer("le.tan", TRAN_BIEN, Role.RECEPTION, Role.ARCHIVIST)

    assert clerk.has_any(Role.ARCHIVIST, Role.ADMIN)
    assert not clerk.has_any(Role.LEADER, Role.ADMIN)
    assert not clerk.sees_everything
    assert ADMIN.sees_everything
