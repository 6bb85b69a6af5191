"""The one access rule: who may read, download, attach to, change, share or audit a dossier or a document."""

from __future__ import annotations

from datetime import timedelta

import pytest

from records.access import (
    AccessSubject,
    Action,
    Decision,
    Principal,
    PrincipalKind,
    Role,
    Scope,
    ShareGrant,
    decide,
    visible_agencies,
)
from tests.support.factories import BIEN_HOA, LAND_OFFICE, MONDAY_9AM, TAN_PHU, TRAN_BIEN, officer

NOW = MONDAY_9AM
LAND_REGISTRY = "HT.DATDAI.H19"
RESIDENCE_POLICE = "HT.CUTRU.H19"
AT_TRAN_BIEN = frozenset({TRAN_BIEN})
LAND_ROUTE = frozenset({TRAN_BIEN, LAND_OFFICE})  # received at the commune, sent to the land office
TRAN_BIEN_SUCCESSOR = officer("ke.thua", TRAN_BIEN, Role.PROCESSING, reachable=frozenset({BIEN_HOA}))
ADMIN = officer("quan.tri", "000.00.00.H19", Role.ADMIN)


def subject(participants: frozenset[str], holder: str = TRAN_BIEN, *, receiving: str = TRAN_BIEN,
            linked: frozenset[str] = frozenset(), shares: tuple[ShareGrant, ...] = (),
            document_id: str | None = None) -> AccessSubject:
    return AccessSubject("000.60.01.H19-260302-0001", receiving, holder, participants, linked, shares, document_id)


def read(principal: Principal, participants: frozenset[str], holder: str = TRAN_BIEN, **more: object) -> Decision:
    return decide(principal, Action.READ, subject(participants, holder, **more), now=NOW)  # type: ignore[arg-type]


def change(principal: Principal, participants: frozenset[str], holder: str = TRAN_BIEN) -> Decision:
    return decide(principal, Action.CHANGE, subject(participants, holder), now=NOW)


def share(grantee: str = LAND_REGISTRY, *, days: float = 30, documents: frozenset[str] | None = None,
          attach: bool = False, revoked: bool = False) -> ShareGrant:
    return ShareGrant("s1", grantee, NOW + timedelta(days=days), whole_dossier=documents is None,
                      document_ids=documents or frozenset(), allow_attach=attach,
                      revoked_at=NOW - timedelta(hours=1) if revoked else None)


def system(agency: str = LAND_REGISTRY, *scopes: Scope) -> Principal:
    return Principal("integration:x", agency, frozenset(), kind=PrincipalKind.INTEGRATION,
                     scopes=frozenset(scopes or (Scope.READ,)))


def test_an_officer_reads_and_changes_a_dossier_of_their_own_agency() -> None:
    clerk = officer("le.tan", TRAN_BIEN, Role.RECEPTION)

    assert read(clerk, AT_TRAN_BIEN) == Decision(True, "holder_agency")
    assert change(clerk, AT_TRAN_BIEN) == Decision(True, "holder_agency")
    assert bool(read(clerk, AT_TRAN_BIEN)) is True


def test_the_reason_names_how_the_agency_took_part() -> None:
    """GIVEN a land dossier received at the commune, now at the land office
    THEN the commune reads it as its receiving agency and the land office as its holder; once it went back,
    the land office reads it as an agency of its route."""
    commune, land = officer("xa", TRAN_BIEN, Role.PROCESSING), officer("dat", LAND_OFFICE, Role.PROCESSING)

    assert read(commune, LAND_ROUTE, holder=LAND_OFFICE).reason == "receiving_agency"
    assert read(land, LAND_ROUTE, holder=LAND_OFFICE).reason == "holder_agency"
    assert read(land, LAND_ROUTE, holder=TRAN_BIEN).reason == "route_agency"


def test_a_successor_agency_reads_and_changes_a_predecessor_dossier() -> None:
    """GIVEN a dossier received by Biên Hòa before it was abolished, still held there
    WHEN an officer of Trấn Biên, its successor, opens it
    THEN the read is allowed as successor_agency, and the change as holder."""
    old_dossier = frozenset({BIEN_HOA})

    assert read(TRAN_BIEN_SUCCESSOR, old_dossier, holder=BIEN_HOA, receiving=BIEN_HOA) == Decision(
        True, "successor_agency")
    assert change(TRAN_BIEN_SUCCESSOR, old_dossier, holder=BIEN_HOA) == Decision(True, "holder_agency")


def test_without_succession_the_old_agency_dossier_is_refused() -> None:
    plain = officer("khong.ke.thua", TRAN_BIEN, Role.PROCESSING)

    refused = read(plain, frozenset({BIEN_HOA}), holder=BIEN_HOA, receiving=BIEN_HOA)
    assert refused == Decision(False, "not_a_participant")
    assert not refused.readable


@pytest.mark.parametrize("action", list(Action))
def test_an_unrelated_agency_is_refused_everything(action: Action) -> None:
    leader_elsewhere = officer("lanh.dao.tan.phu", TAN_PHU, Role.LEADER)

    decision = decide(leader_elsewhere, action, subject(LAND_ROUTE, shares=(share(LAND_REGISTRY),)), now=NOW)

    assert decision == Decision(False, "not_a_participant")
    assert not decision and not decision.readable


def test_an_agency_that_held_the_dossier_on_its_route_may_read_but_not_change_it() -> None:
    land_officer = officer("dat.dai", LAND_OFFICE, Role.PROCESSING)

    assert read(land_officer, LAND_ROUTE, holder=TRAN_BIEN).allowed
    assert change(land_officer, LAND_ROUTE, holder=TRAN_BIEN) == Decision(False, "not_the_holder")
    assert change(land_officer, LAND_ROUTE, holder=LAND_OFFICE) == Decision(True, "holder_agency")
    assert change(land_officer, LAND_ROUTE, holder=TRAN_BIEN).readable  # 403, not 404


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ARCHIVIST])
def test_auditors_and_archivists_read_but_never_change(role: Role) -> None:
    watcher = officer("kiem.tra", TRAN_BIEN, role)

    assert read(watcher, AT_TRAN_BIEN).allowed
    assert change(watcher, AT_TRAN_BIEN) == Decision(False, "role_cannot_change")


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.PROCESSING, Role.LEADER])
def test_every_working_role_may_change_a_dossier_its_agency_holds(role: Role) -> None:
    assert change(officer("can.bo", TRAN_BIEN, role), AT_TRAN_BIEN) == Decision(True, "holder_agency")


def test_an_admin_sees_and_changes_every_dossier() -> None:
    assert visible_agencies(ADMIN) is None
    assert read(ADMIN, frozenset({TAN_PHU}), holder=TAN_PHU) == Decision(True, "admin")
    assert change(ADMIN, frozenset({TAN_PHU}), holder=TAN_PHU) == Decision(True, "admin")


def test_visible_agencies_are_the_own_agency_and_those_it_succeeded() -> None:
    assert visible_agencies(TRAN_BIEN_SUCCESSOR) == frozenset({TRAN_BIEN, BIEN_HOA})
    assert visible_agencies(officer("x", TAN_PHU, Role.RECEPTION)) == frozenset({TAN_PHU})


def test_agencies_of_a_linked_dossier_read_the_group_but_do_not_change_or_share_it() -> None:
    """GIVEN a "3 in 1" group received at the commune, with a linked residence dossier at the police
    THEN the police read the group (and its papers) as linked_dossier, and may not change or share it."""
    police = officer("cong.an", RESIDENCE_POLICE, Role.PROCESSING)
    group = subject(AT_TRAN_BIEN, linked=frozenset({RESIDENCE_POLICE}), document_id="d1")

    assert decide(police, Action.DOWNLOAD, group, now=NOW) == Decision(True, "linked_dossier")
    assert decide(police, Action.CHANGE, group, now=NOW) == Decision(False, "not_the_holder")
    assert decide(police, Action.SHARE, group, now=NOW) == Decision(False, "cannot_share")


def test_an_active_share_lets_the_grantee_read_until_it_expires_or_is_revoked() -> None:
    reader = officer("dat.dai.he.thong", LAND_REGISTRY, Role.PROCESSING)

    assert read(reader, LAND_ROUTE, shares=(share(),)) == Decision(True, "share", "s1")
    assert read(reader, LAND_ROUTE, shares=(share(days=-1),)) == Decision(False, "not_a_participant")
    assert read(reader, LAND_ROUTE, shares=(share(revoked=True),)) == Decision(False, "not_a_participant")
    assert read(reader, LAND_ROUTE, shares=(share(TAN_PHU),)) == Decision(False, "not_a_participant")


def test_a_document_share_covers_its_documents_only() -> None:
    reader = officer("thue", "HT.THUE.H19", Role.PROCESSING)
    only_d1 = (share("HT.THUE.H19", documents=frozenset({"d1"})),)

    assert read(reader, LAND_ROUTE, shares=only_d1, document_id="d1") == Decision(True, "share", "s1")
    assert not read(reader, LAND_ROUTE, shares=only_d1, document_id="d2")
    assert not read(reader, LAND_ROUTE, shares=only_d1)  # not the dossier itself


def test_attaching_needs_the_holder_or_a_whole_dossier_share_that_allows_it() -> None:
    clerk, land = officer("le.tan", TRAN_BIEN, Role.RECEPTION), officer("dat", LAND_OFFICE, Role.PROCESSING)
    registry = system(LAND_REGISTRY, Scope.READ, Scope.ATTACH)

    def attach(who: Principal, *grants: ShareGrant) -> Decision:
        return decide(who, Action.ATTACH, subject(LAND_ROUTE, shares=grants), now=NOW)

    assert attach(clerk) == Decision(True, "holder_agency")
    assert attach(land) == Decision(False, "not_the_holder")
    assert attach(registry, share(attach=True)) == Decision(True, "share", "s1")
    assert attach(registry, share()) == Decision(False, "share_read_only")
    assert attach(system(LAND_REGISTRY, Scope.READ), share(attach=True)) == Decision(False, "scope_missing")


def test_a_service_token_acts_only_within_its_scopes_and_its_agency() -> None:
    """GIVEN the land registry's token with the read scope
    THEN it reads what is shared with its agency, never what is not, and never changes, shares or audits."""
    registry = system(LAND_REGISTRY, Scope.READ)
    shared = subject(LAND_ROUTE, shares=(share(),))

    assert decide(registry, Action.DOWNLOAD, shared, now=NOW) == Decision(True, "share", "s1")
    for action in (Action.CHANGE, Action.SHARE, Action.AUDIT):
        assert decide(registry, action, shared, now=NOW) == Decision(False, "scope_missing")
    assert decide(system(TAN_PHU, Scope.READ), Action.READ, shared, now=NOW) == Decision(False, "not_a_participant")
    attach_only = system(LAND_REGISTRY, Scope.ATTACH)
    assert decide(attach_only, Action.READ, shared, now=NOW) == Decision(False, "scope_missing")


def test_only_an_agency_that_took_part_may_share_and_only_with_a_working_role() -> None:
    land = officer("dat", LAND_OFFICE, Role.PROCESSING)
    grantee = officer("he.thong", LAND_REGISTRY, Role.PROCESSING)
    archivist = officer("luu.tru", TRAN_BIEN, Role.ARCHIVIST)

    assert decide(land, Action.SHARE, subject(LAND_ROUTE), now=NOW) == Decision(True, "route_agency")
    assert decide(grantee, Action.SHARE, subject(LAND_ROUTE, shares=(share(),)), now=NOW) == Decision(
        False, "cannot_share")
    assert decide(archivist, Action.SHARE, subject(LAND_ROUTE), now=NOW) == Decision(False, "cannot_share")


def test_auditors_read_any_access_log_and_leaders_those_of_their_dossiers() -> None:
    auditor = officer("kiem.tra", "000.00.00.H19", Role.AUDITOR)
    leader, clerk = officer("lanh.dao", TRAN_BIEN, Role.LEADER), officer("le.tan", TRAN_BIEN, Role.RECEPTION)
    stranger_leader = officer("lanh.dao.khac", TAN_PHU, Role.LEADER)

    assert decide(auditor, Action.AUDIT, subject(LAND_ROUTE), now=NOW) == Decision(True, "auditor")
    assert decide(leader, Action.AUDIT, subject(LAND_ROUTE), now=NOW) == Decision(True, "holder_agency")
    assert decide(clerk, Action.AUDIT, subject(LAND_ROUTE), now=NOW) == Decision(False, "cannot_audit")
    assert decide(stranger_leader, Action.AUDIT, subject(LAND_ROUTE), now=NOW) == Decision(False, "not_a_participant")


def test_has_any_checks_role_membership() -> None:
    clerk = officer("le.tan", TRAN_BIEN, Role.RECEPTION, Role.ARCHIVIST)

    assert clerk.has_any(Role.ARCHIVIST, Role.ADMIN)
    assert not clerk.has_any(Role.LEADER, Role.ADMIN)
    assert not clerk.sees_everything
    assert ADMIN.sees_everything
