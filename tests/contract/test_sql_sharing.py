"""The contracts of the share, integration-account and access-log repositories, and of linked participants,
on every SQL backend (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from infra.wiring import Backends
from records.access import Principal, Scope
from records.access_log import AccessEntry, AccessKind, AccessLogFilter
from records.integrations import IntegrationAccount, new_token
from records.ports import DossierFilters, DossierQuery
from records.shares import Share
from tests.contract.test_sql_documents import document, new_dossier
from tests.support.factories import LAND_OFFICE, MONDAY_9AM, TAN_PHU, TRAN_BIEN

REGISTRY, TAX = "HT.DATDAI.H19", "HT.THUE.H19"


def _share(code: str, share_id: str, grantee: str, *, days: float = 10, documents: tuple[str, ...] = (),
           revoked: bool = False) -> Share:
    return Share(id=share_id, dossier_code=code, grantor_agency_code=TRAN_BIEN, grantee_agency_code=grantee,
                 purpose="Đối chiếu", granted_by="xuly.tranbien", granted_at=MONDAY_9AM,
                 expires_at=MONDAY_9AM + timedelta(days=days), whole_dossier=not documents, document_ids=documents,
                 revoked_at=MONDAY_9AM if revoked else None, revoked_by="xuly.tranbien" if revoked else None)


def test_shares_round_trip_and_only_active_whole_ones_make_a_dossier_visible(
        backends: Backends, principal: Callable[[str], Principal]) -> None:
    desk = principal("tiepnhan.tranbien")
    code, other = new_dossier(backends, desk), new_dossier(backends, desk)
    with backends.uow() as uow:
        uow.begin_write()
        uow.shares.add(_share(code, "a" * 32, REGISTRY))
        uow.shares.add(_share(code, "b" * 32, TAX, days=-1))  # expired
        uow.shares.add(_share(other, "c" * 32, REGISTRY, revoked=True))
        uow.commit()
    now = MONDAY_9AM + timedelta(hours=1)
    with backends.uow() as uow:
        stored = uow.shares.get("a" * 32)
        assert stored == _share(code, "a" * 32, REGISTRY)
        assert uow.shares.shared_dossier_codes(frozenset({REGISTRY, TAX}), now) == frozenset({code})
        assert [g.share_id for g in uow.shares.grants_for(code, frozenset({TAX}))] == ["b" * 32]
        active, count = uow.shares.received(frozenset({REGISTRY}), now=now, active_only=True, limit=10, offset=0)
        assert ([s.id for s in active], count) == (["a" * 32], 1)
        _all, count = uow.shares.received(frozenset({REGISTRY}), now=now, active_only=False, limit=10, offset=0)
        assert count == 2
        query = DossierQuery(DossierFilters(), visible_agencies=frozenset({REGISTRY}), now=now,
                             shared_with=frozenset({REGISTRY}))
        assert [d.code for d in uow.dossiers.find(query)[0]] == [code]
        unshared = DossierQuery(DossierFilters(), visible_agencies=frozenset({REGISTRY}), now=now)
        assert uow.dossiers.find(unshared)[1] == 0


def test_a_document_share_keeps_its_documents_and_a_revocation_is_saved(
        backends: Backends, principal: Callable[[str], Principal]) -> None:
    code = new_dossier(backends, principal("tiepnhan.tranbien"))
    first, second = document(code, "1" * 64), document(code, "2" * 64)
    with backends.uow() as uow:
        uow.begin_write()
        uow.documents.add(first)
        uow.documents.add(second)
        uow.shares.add(_share(code, "d" * 32, TAX, documents=(second.id, first.id)))
        uow.commit()
    with backends.uow() as uow:
        uow.begin_write()
        share = uow.shares.get("d" * 32)
        assert share is not None and not share.whole_dossier
        assert sorted(share.document_ids) == sorted([first.id, second.id])
        assert share.revoke(by="xuly.tranbien", at=MONDAY_9AM + timedelta(days=1), reason="Xong")
        uow.shares.save(share)
        uow.commit()
    with backends.uow() as uow:
        grants = uow.shares.grants_for(code, frozenset({TAX}))
        assert [(g.whole_dossier, g.revoked_at) for g in grants] == [(False, MONDAY_9AM + timedelta(days=1))]
        assert uow.shares.for_dossier(code)[0].revoke_reason == "Xong"


def test_integration_accounts_round_trip(backends: Backends) -> None:
    account_id, _token, digest = new_token()
    account = IntegrationAccount(id=account_id, name="Hệ thống thuế", agency_code=TAX,
                                 scopes=frozenset({Scope.READ, Scope.ATTACH}), token_digest=digest,
                                 created_by="quantri.tinh", created_at=MONDAY_9AM)
    with backends.uow() as uow:
        uow.begin_write()
        uow.integrations.add(account)
        uow.commit()
    with backends.uow() as uow:
        assert uow.integrations.get(account_id) == account
        assert [a.id for a in uow.integrations.list(TAX)] == [account_id]
        assert uow.integrations.list(REGISTRY) == []


def test_the_access_log_filters_by_document_person_kind_and_local_day(backends: Backends) -> None:
    """Days are Vietnam's: an entry at 23:30 on 2 March in Vietnam (16:30 UTC) belongs to 2 March."""
    late_evening = datetime.fromisoformat("2026-03-02T23:30:00+07:00")
    next_morning = datetime.fromisoformat("2026-03-03T07:45:00+07:00")

    def entry(at: datetime, username: str, action: AccessKind, document_id: str | None) -> AccessEntry:
        return AccessEntry(at=at, principal_kind="officer", username=username, agency_code=TRAN_BIEN,
                           action=action, reason="holder_agency", dossier_code="X", document_id=document_id,
                           client="10.0.0.7", detail={"q": "thửa 342"})

    with backends.uow() as uow:
        uow.begin_write()
        uow.access_log.record([entry(late_evening, "a.officer", AccessKind.DOWNLOAD, "doc1"),
                               entry(next_morning, "b.officer", AccessKind.TEXT, "doc1"),
                               entry(next_morning, "a.officer", AccessKind.VIEW, None)])
        uow.commit()
    with backends.uow() as uow:
        newest_first, count = uow.access_log.find(AccessLogFilter(document_id="doc1"))
        assert count == 2 and [e.username for e in newest_first] == ["b.officer", "a.officer"]
        assert newest_first[1].at == late_evening and newest_first[1].detail == {"q": "thửa 342"}
        on_second, _ = uow.access_log.find(AccessLogFilter(dossier_code="X", until=date(2026, 3, 2)))
        assert [e.at for e in on_second] == [late_evening]
        viewed, _ = uow.access_log.find(AccessLogFilter(username="a.officer",
                                                        actions=frozenset({AccessKind.VIEW})))
        assert [e.action for e in viewed] == [AccessKind.VIEW]
        page, count = uow.access_log.find(AccessLogFilter(dossier_code="X", limit=1, offset=1))
        assert count == 3 and len(page) == 1


def test_an_agency_linked_first_then_on_the_route_is_stored_once_as_a_participant(
        backends: Backends, principal: Callable[[str], Principal]) -> None:
    code = new_dossier(backends, principal("tiepnhan.tranbien"))
    with backends.uow() as uow:
        uow.begin_write()
        uow.dossiers.add_linked_agencies(code, frozenset({LAND_OFFICE, TAN_PHU}))
        uow.dossiers.add_linked_agencies(code, frozenset({TAN_PHU}))  # safe to repeat
        uow.commit()
    with backends.uow() as uow:
        uow.begin_write()
        dossier = uow.dossiers.get(code, for_update=True)
        assert dossier is not None and dossier.linked_agencies == {LAND_OFFICE, TAN_PHU}
        dossier.participant_agencies.add(LAND_OFFICE)  # as a transfer does
        uow.dossiers.save(dossier, expected_version=dossier.version, events=[])
        uow.commit()
    with backends.uow() as uow:
        again = uow.dossiers.get(code)
        assert again is not None
        assert (again.participant_agencies, again.linked_agencies) == ({TRAN_BIEN, LAND_OFFICE}, {TAN_PHU})
        visible = DossierQuery(DossierFilters(), visible_agencies=frozenset({TAN_PHU}), now=MONDAY_9AM)
        assert [d.code for d in uow.dossiers.find(visible)[0]] == [code]
