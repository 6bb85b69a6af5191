"""The storage port's contract, run on every SQL backend (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from infra.wiring import Backends
from records.access import Principal
from records.clock import FixedClock
from records.dossiers import Channel, DossierState
from records.errors import StaleVersion, ValidationFailed
from records.ports import DossierFilters, DossierQuery
from records.services.dossiers import list_dossiers, transition_dossier
from records.services.intake import receive_dossier
from storage.models import Base
from tests.support.factories import (
    BIEN_HOA,
    LAND_FIRST_CERTIFICATE,
    LAND_OFFICE,
    MONDAY_9AM,
    TAN_PHU,
    TRAN_BIEN,
    applicant,
)


def receive(backends: Backends, actor: Principal, *, at: datetime | None = None,
            procedure: str = LAND_FIRST_CERTIFICATE, channel: Channel = Channel.COUNTER) -> str:
    clock = FixedClock(at or backends.clock.now())
    dossier = receive_dossier(uow=backends.uow(), clock=clock, calendar=backends.calendar, actor=actor,
                                 procedure_code=procedure, applicant=applicant(), channel=channel,
                                 signer=backends.signer).dossier
    return dossier.code


def test_migrations_produce_exactly_the_models(database: Backends) -> None:
    """GIVEN a database migrated to head THEN its schema has no difference from the SQLAlchemy models."""
    with database.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_a_dossier_reads_back_as_it_was_written(backends: Backends, principal: Callable[[str], Principal]) -> None:
    desk = principal("tiepnhan.tranbien")
    code = receive(backends, desk)
    with backends.uow() as uow:
        dossier = uow.dossiers.get(code)
        events = uow.dossiers.events(code)
    assert dossier is not None
    assert dossier.code == code and code.startswith(f"{TRAN_BIEN}-260302-")
    assert dossier.state is DossierState.RECEIVED
    assert dossier.received_at == MONDAY_9AM
    assert dossier.due_at == datetime.fromisoformat("2026-03-30T09:00:00+07:00")  # 20 working days
    assert dossier.participant_agencies == {TRAN_BIEN}
    assert [(e.from_state, e.to_state) for e in events] == [(None, DossierState.NEW),
                                                            (DossierState.NEW, DossierState.RECEIVED)]
    assert [e.seq for e in events] == [1, 2]


def test_hand_overs_are_stored_with_their_timing(backends: Backends, principal: Callable[[str], Principal],
                                                 clock: FixedClock) -> None:
    desk, officer = principal("tiepnhan.tranbien"), principal("xuly.tranbien")
    code = receive(backends, desk)
    clock.advance(timedelta(hours=3))
    transition_dossier(uow=backends.uow(), clock=clock, calendar=backends.calendar, actor=desk, code=code,
                       to=DossierState.PROCESSING)
    clock.advance(timedelta(days=1))
    transition_dossier(uow=backends.uow(), clock=clock, calendar=backends.calendar, actor=officer, code=code,
                       to=DossierState.TRANSFERRED, target_agency_code=LAND_OFFICE)
    with backends.uow() as uow:
        events = uow.dossiers.events(code)
        dossier = uow.dossiers.get(code)
    transfer = events[-1].handover
    assert transfer is not None and dossier is not None
    assert (transfer.from_agency_code, transfer.to_agency_code) == (TRAN_BIEN, LAND_OFFICE)
    # The processing officer got it 3 hours after intake; the commune's 2-day step was due at 2 March + 2.
    assert transfer.used_days == pytest.approx(1.0, abs=0.01)
    assert transfer.allowed_days == pytest.approx(2 - 3 / 24, abs=0.01)
    assert transfer.timeliness.value == "early"
    assert dossier.participant_agencies == {TRAN_BIEN, LAND_OFFICE}
    assert dossier.version == 3


def test_intake_numbers_are_unique_and_gapless_under_concurrency(committed_backends: Backends,
                                                                 principal: Callable[[str], Principal]) -> None:
    """GIVEN 24 officers receiving at the same desk at once THEN codes run 0001..0024, none twice."""
    desk = principal("tiepnhan.tranbien")
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda _: receive(committed_backends, desk), range(24)))
    assert len(set(codes)) == 24
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, 25))


def test_counters_are_per_agency_and_per_day(backends: Backends, principal: Callable[[str], Principal]) -> None:
    desk, other = principal("tiepnhan.tranbien"), principal("motcua.tanphu")
    first = receive(backends, desk)
    second = receive(backends, desk)
    elsewhere = receive(backends, other)
    next_day = receive(backends, desk, at=MONDAY_9AM + timedelta(days=1))
    assert first.endswith("-260302-0001") and second.endswith("-260302-0002")
    assert elsewhere == f"{TAN_PHU}-260302-0001"
    assert next_day.endswith("-260303-0001")


def test_only_one_of_two_concurrent_writers_wins(committed_backends: Backends,
                                                 principal: Callable[[str], Principal]) -> None:
    """GIVEN two officers who both read version 1 WHEN both move the dossier THEN one gets StaleVersion."""
    desk, officer = principal("tiepnhan.tranbien"), principal("lanhdao.tranbien")
    code = receive(committed_backends, desk)

    def move(actor: Principal, to: DossierState) -> str:
        try:
            transition_dossier(uow=committed_backends.uow(), clock=committed_backends.clock,
                               calendar=committed_backends.calendar, actor=actor, code=code, to=to,
                               expected_version=1)
        except StaleVersion:
            return "stale"
        return "ok"

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(lambda args: move(*args), [(desk, DossierState.PROCESSING),
                                                             (officer, DossierState.REFUSED)]))
    assert results == ["ok", "stale"]
    with committed_backends.uow() as uow:
        dossier = uow.dossiers.get(code)
        events = uow.dossiers.events(code)
    assert dossier is not None and dossier.version == 2
    assert len(events) == 3  # new, received, and exactly one of the two moves


def test_a_failed_transition_changes_nothing(backends: Backends, principal: Callable[[str], Principal]) -> None:
    officer = principal("lanhdao.tranbien")
    code = receive(backends, principal("tiepnhan.tranbien"))
    with pytest.raises(ValidationFailed):
        transition_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=officer,
                           code=code, to=DossierState.TRANSFERRED, target_agency_code="999.99.99.H19")
    with backends.uow() as uow:
        dossier = uow.dossiers.get(code)
        assert dossier is not None
        assert (dossier.state, dossier.version, dossier.participant_agencies) == (
            DossierState.RECEIVED, 1, {TRAN_BIEN})
        assert len(uow.dossiers.events(code)) == 2


def test_succession_is_transitive(backends: Backends) -> None:
    with backends.uow() as uow:
        predecessors = uow.agencies.predecessors(TRAN_BIEN)
        none = uow.agencies.predecessors(LAND_OFFICE)
    assert BIEN_HOA in predecessors
    # Old wards of Biên Hòa merged into Trấn Biên directly, and the city itself too.
    assert len(predecessors) >= 3
    assert none == frozenset()


def test_listing_filters_by_visibility_state_and_local_day(backends: Backends,
                                                           principal: Callable[[str], Principal]) -> None:
    desk, other = principal("tiepnhan.tranbien"), principal("motcua.tanphu")
    late_evening = datetime.fromisoformat("2026-03-03T23:30:00+07:00")  # 16:30 UTC: still 3 March locally
    mine = [receive(backends, desk), receive(backends, desk, at=late_evening)]
    receive(backends, other)
    clock = FixedClock(late_evening + timedelta(minutes=1))
    found, count = list_dossiers(uow=backends.uow(), clock=clock, actor=desk, filters=DossierFilters())
    assert count == 2 and {d.code for d in found} == set(mine)
    from datetime import date

    third_of_march, n = list_dossiers(uow=backends.uow(), clock=clock, actor=desk, filters=DossierFilters(
        received_from=date(2026, 3, 3), received_to=date(2026, 3, 3)))
    assert n == 1 and third_of_march[0].code == mine[1]
    page, total = list_dossiers(uow=backends.uow(), clock=clock, actor=desk, filters=DossierFilters(limit=1))
    assert total == 2 and len(page) == 1 and page[0].code == mine[1]  # newest first
    processing, n = list_dossiers(uow=backends.uow(), clock=clock, actor=desk, filters=DossierFilters(
        states=frozenset({DossierState.PROCESSING})))
    assert n == 0 and processing == []


def test_late_filter_uses_the_appointment_date(backends: Backends, principal: Callable[[str], Principal]) -> None:
    desk = principal("tiepnhan.tranbien")
    code = receive(backends, desk, procedure="1.001193")  # birth registration: 1 working day
    with backends.uow() as uow:
        late = DossierFilters(late=True)
        before = uow.dossiers.find(DossierQuery(late, visible_agencies=None, now=MONDAY_9AM + timedelta(hours=2)))
        after = uow.dossiers.find(DossierQuery(late, visible_agencies=None, now=MONDAY_9AM + timedelta(days=3)))
    assert before == ([], 0)
    assert [d.code for d in after[0]] == [code] and after[1] == 1
