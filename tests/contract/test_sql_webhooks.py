"""The webhook repository's contract on SQLite and PostgreSQL: subscriptions, the outbox and its leases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from infra.wiring import Backends
from records.services.webhooks import CLAIM_LEASE
from records.webhooks import (
    DeliveryAttempt,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
    new_secret,
)
from storage.models import WebhookSubscriptionRow
from tests.support.factories import LAND_OFFICE, MONDAY_9AM, TAN_PHU

NOW = MONDAY_9AM


def subscription(agency_code: str = LAND_OFFICE, *, event_types: frozenset[EventType] = frozenset(EventType),
                 active: bool = True) -> WebhookSubscription:
    return WebhookSubscription(id=uuid.uuid4().hex, name="Hệ thống đăng ký đất đai", agency_code=agency_code,
                               url="https://dangky.dongnai.gov.vn/hoso", secret=new_secret(),
                               event_types=event_types, created_by="quantri.tinh", created_at=NOW, active=active)


def delivery(subscription_id: str, *, due: datetime = NOW, created: datetime = NOW,
             status: DeliveryStatus = DeliveryStatus.PENDING, replay_of: str | None = None) -> WebhookDelivery:
    return WebhookDelivery(id=uuid.uuid4().hex, subscription_id=subscription_id, event_id=uuid.uuid4().hex,
                           event_type=EventType.DOSSIER_STATE_CHANGED, created_at=created, next_attempt_at=due,
                           status=status, replay_of=replay_of,
                           payload={"type": "dossier.state_changed", "dossier": {"code": "000.60.01.H19-260302-0001",
                                                                                 "state": "transferred"},
                                    "data": {"note": "Chuyển Văn phòng Đăng ký đất đai thẩm định"}})


def store(backends: Backends, sub: WebhookSubscription, *deliveries: WebhookDelivery) -> None:
    with backends.uow() as uow:
        uow.begin_write()
        uow.webhooks.add_subscription(sub)
        uow.webhooks.add_deliveries(deliveries)
        uow.commit()


def test_a_subscription_reads_back_and_changes(backends: Backends) -> None:
    land = subscription(event_types=frozenset({EventType.DOSSIER_STATE_CHANGED}))
    commune = subscription(TAN_PHU)
    store(backends, land)
    store(backends, commune)
    changed = replace(land, name="Đăng ký đất đai (mới)", url="https://dd.dongnai.gov.vn/v2", secret=new_secret(),
                      event_types=frozenset({EventType.DOSSIER_RECEIVED, EventType.SHARE_GRANTED}))
    with backends.uow() as uow:
        assert uow.webhooks.get_subscription(land.id) == land
        assert uow.webhooks.get_subscription("0" * 32) is None
        assert uow.webhooks.list_subscriptions(LAND_OFFICE) == [land]
        assert [s.id for s in uow.webhooks.active_subscriptions(EventType.DOSSIER_RECEIVED)] == [commune.id]
        uow.begin_write()
        uow.webhooks.save_subscription(changed)
        uow.webhooks.save_subscription(replace(commune, active=False))
        uow.commit()
    with backends.uow() as uow:
        assert uow.webhooks.get_subscription(land.id) == changed
        assert [s.id for s in uow.webhooks.active_subscriptions(EventType.DOSSIER_RECEIVED)] == [land.id]
        assert uow.webhooks.active_subscriptions(EventType.DOSSIER_STATE_CHANGED) == []


def test_a_delivery_reads_back_with_its_payload_and_attempts(backends: Backends) -> None:
    sub = subscription()
    sent = delivery(sub.id)
    store(backends, sub, sent)
    first = DeliveryAttempt(sent.id, NOW, 500, "http_500", 12)
    second = DeliveryAttempt(sent.id, NOW + timedelta(seconds=30), None, "timeout: ReadTimeout", 10_000)
    with backends.uow() as uow:
        assert uow.webhooks.get_delivery(sent.id) == sent
        uow.begin_write()
        uow.webhooks.add_attempt(second)
        uow.webhooks.add_attempt(first)
        uow.commit()
    with backends.uow() as uow:
        assert uow.webhooks.attempts(sent.id) == [first, second]  # oldest first
        assert uow.webhooks.attempts("0" * 32) == []


def test_only_pending_due_deliveries_are_claimed_soonest_first(backends: Backends) -> None:
    sub = subscription()
    later, sooner = delivery(sub.id, due=NOW - timedelta(seconds=5)), delivery(sub.id, due=NOW - timedelta(minutes=1))
    not_yet = delivery(sub.id, due=NOW + timedelta(seconds=1))
    done = [delivery(sub.id, due=NOW - timedelta(hours=1), status=s)
            for s in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)]
    store(backends, sub, later, not_yet, sooner, *done)
    with backends.uow() as uow:
        uow.begin_write()
        assert [d.id for d in uow.webhooks.claim_due(NOW, limit=10)] == [sooner.id, later.id]
        assert [d.id for d in uow.webhooks.claim_due(NOW, limit=1)] == [sooner.id]


def test_a_leased_delivery_is_not_claimed_again_before_its_lease_ends(backends: Backends) -> None:
    """GIVEN a due delivery claimed by a worker, which leases it (its next attempt moves to the lease's end)
    THEN nobody claims it during the lease, and anybody may once the lease has run out (the worker died)."""
    sub = subscription()
    due = delivery(sub.id)
    store(backends, sub, due)
    with backends.uow() as uow:
        uow.begin_write()
        [claimed] = uow.webhooks.claim_due(NOW, limit=1)
        claimed.next_attempt_at = NOW + CLAIM_LEASE
        uow.webhooks.save_delivery(claimed)
        uow.commit()
    with backends.uow() as uow:
        uow.begin_write()
        assert uow.webhooks.claim_due(NOW + CLAIM_LEASE - timedelta(seconds=1), limit=10) == []
        assert [d.id for d in uow.webhooks.claim_due(NOW + CLAIM_LEASE, limit=10)] == [due.id]


@pytest.fixture
def committed(database: Backends) -> Iterator[Backends]:
    """Real transactions on separate connections; the subscriptions made (and their outbox) are removed after."""
    yield database
    with database.engine.begin() as conn:
        conn.execute(delete(WebhookSubscriptionRow).where(WebhookSubscriptionRow.created_at == NOW))


def test_concurrent_workers_claim_different_deliveries(committed: Backends) -> None:
    """GIVEN two due deliveries WHEN a second worker claims while the first holds its claim uncommitted
    THEN it takes the other one, without waiting (PostgreSQL: FOR UPDATE SKIP LOCKED)."""
    if committed.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: the second worker waits for the first (BEGIN IMMEDIATE)")
    sub = subscription()
    first, second = delivery(sub.id, due=NOW - timedelta(seconds=2)), delivery(sub.id, due=NOW - timedelta(seconds=1))
    store(committed, sub, first, second)
    with committed.uow() as worker_a, committed.uow() as worker_b:
        worker_a.begin_write()
        [taken_by_a] = worker_a.webhooks.claim_due(NOW, limit=1)
        worker_b.begin_write()
        [taken_by_b] = worker_b.webhooks.claim_due(NOW, limit=1)
        assert (taken_by_a.id, taken_by_b.id) == (first.id, second.id)
        for uow, taken in ((worker_a, taken_by_a), (worker_b, taken_by_b)):
            taken.next_attempt_at = NOW + CLAIM_LEASE
            uow.webhooks.save_delivery(taken)
            uow.commit()
    with committed.uow() as uow:
        uow.begin_write()
        assert uow.webhooks.claim_due(NOW, limit=10) == []


def test_deliveries_are_listed_newest_first_with_filters_and_a_count(backends: Backends) -> None:
    sub, other = subscription(), subscription(TAN_PHU)
    made = [delivery(sub.id, created=NOW + timedelta(minutes=i),
                     status=DeliveryStatus.FAILED if i % 2 else DeliveryStatus.DELIVERED) for i in range(5)]
    replayed = delivery(sub.id, created=NOW + timedelta(minutes=10), replay_of=made[1].id)
    store(backends, sub, *made, replayed)
    store(backends, other, delivery(other.id))
    ids = [d.id for d in made]
    with backends.uow() as uow:
        def listed(**filters: Any) -> tuple[list[str], int]:
            arguments = {"subscription_id": sub.id, "status": None, "since": None, "limit": 50, "offset": 0,
                         **filters}
            found, count = uow.webhooks.deliveries(**arguments)
            return [d.id for d in found], count

        assert listed() == ([replayed.id, *reversed(ids)], 6)
        assert listed(limit=2, offset=1) == ([ids[4], ids[3]], 6)
        assert listed(status=DeliveryStatus.FAILED) == ([ids[3], ids[1]], 2)
        assert listed(status=DeliveryStatus.PENDING) == ([replayed.id], 1)
        window = {"since": NOW + timedelta(minutes=1), "until": NOW + timedelta(minutes=3)}
        assert listed(**window) == ([ids[2], ids[1]], 2)  # since included, until not
        assert listed(since=NOW + timedelta(minutes=4)) == ([replayed.id, ids[4]], 2)
        assert listed(since=NOW + timedelta(minutes=4), originals_only=True) == ([ids[4]], 1)
        assert listed(subscription_id=None)[1] == 7
