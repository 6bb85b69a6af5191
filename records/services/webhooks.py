"""Use cases for outbound webhooks: writing events to the outbox (inside the transaction of the change)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from records.access import Action, Principal, PrincipalKind, Scope
from records.clock import Clock
from records.dossiers import Dossier
from records.ports import UnitOfWork, WebhookSender
from records.services.access import authorize
from records.webhooks import (
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    DeliveryAttempt,
    DeliveryError,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
    retry_delay,
    sign,
)

# How long a claimed delivery is left to the worker posting it before another worker may take it again:
# longer than a post can take (the sender's timeout).
CLAIM_LEASE = timedelta(minutes=2)


@dataclass
class DeliveryReport:
    attempted: int = 0
    delivered: int = 0
    failed: int = 0  # given up for good (retries exhausted, subscription off)


def dossier_summary(dossier: Dossier) -> dict[str, Any]:
    """What an event says of a dossier: no personal data; subscribers fetch the rest with their token."""
    return {
        "code": dossier.code, "procedure_code": dossier.procedure_code, "state": dossier.state.value,
        "receiving_agency_code": dossier.receiving_agency_code, "holder_agency_code": dossier.holder_agency_code,
        "due_at": dossier.due_at.isoformat() if dossier.due_at else None, "parent_code": dossier.parent_code,
        "version": dossier.version,
    }


def _subscriber(uow: UnitOfWork, agency_code: str, cache: dict[str, Principal]) -> Principal:
    """The subscribed system seen as a reader of its agency (succession included)."""
    principal = cache.get(agency_code)
    if principal is None:
        principal = cache[agency_code] = Principal(
            username=f"webhook:{agency_code}", agency_code=agency_code, roles=frozenset(),
            reachable_agencies=uow.agencies.predecessors(agency_code), kind=PrincipalKind.INTEGRATION,
            scopes=frozenset({Scope.READ}))
    return principal


def announce(uow: UnitOfWork, *, event_type: EventType, dossier: Dossier, at: datetime,
             data: dict[str, Any] | None = None, also_agencies: Iterable[str] = ()) -> int:
    """Writes one delivery per active subscription whose agency may read the dossier now (or is named in
    `also_agencies`, e.g. the grantee of a revoked share). Call it inside the change's write transaction:
    the event is committed with the change or not at all. Returns how many deliveries were written."""
    subscriptions = uow.webhooks.active_subscriptions(event_type)
    if not subscriptions:
        return 0
    event_id = uuid.uuid4().hex
    payload = {"id": event_id, "type": event_type.value, "occurred_at": at.isoformat(),
               "dossier": dossier_summary(dossier), "data": data or {}}
    named = frozenset(also_agencies)
    readers: dict[str, Principal] = {}
    deliveries = [
        WebhookDelivery(id=uuid.uuid4().hex, subscription_id=s.id, event_id=event_id, event_type=event_type,
                        payload=payload, created_at=at, next_attempt_at=at)
        for s in subscriptions
        if s.agency_code in named
        or authorize(uow, _subscriber(uow, s.agency_code, readers), dossier, Action.READ, now=at)
    ]
    uow.webhooks.add_deliveries(deliveries)
    return len(deliveries)


def deliver_due(*, uow: UnitOfWork, sender: WebhookSender, clock: Clock, limit: int = 50) -> DeliveryReport:
    """Posts the deliveries that are due: claim one (a short transaction that leases it), post it with no
    transaction open, record the attempt (another short transaction).

    Safe to run in several workers at once (a leased delivery is not claimed again until its lease ends) and
    to repeat (a delivered one is never sent again unless replayed); a worker that dies mid-post leaves the
    lease to run out, and the delivery is posted again: at least once. A failure schedules the next attempt
    with backoff and jitter; after MAX_ATTEMPTS the delivery is marked failed. A subscription switched off
    since the event fails its deliveries without posting.
    """
    report = DeliveryReport()
    while report.attempted < limit:
        claimed = _claim(uow, clock)
        if claimed is None:
            break
        delivery, subscription = claimed
        started = clock.now()
        usable = subscription is not None and subscription.active
        if subscription is not None and usable:
            status, error = _post(sender, subscription, delivery, started)
        else:
            status, error = None, "subscription_inactive"
        finished = clock.now()
        with uow:
            uow.begin_write()
            current = uow.webhooks.get_delivery(delivery.id, for_update=True)
            if current is not None and current.status is DeliveryStatus.PENDING:
                _record(current, status=status, error=error, at=finished, give_up=not usable)
                uow.webhooks.add_attempt(DeliveryAttempt(current.id, finished, status, error,
                                                         max(int((finished - started).total_seconds() * 1000), 0)))
                uow.webhooks.save_delivery(current)
                uow.commit()
                delivery = current
        report.attempted += 1
        if delivery.status is DeliveryStatus.DELIVERED:
            report.delivered += 1
        elif delivery.status is DeliveryStatus.FAILED:
            report.failed += 1
    return report


def _claim(uow: UnitOfWork, clock: Clock) -> tuple[WebhookDelivery, WebhookSubscription | None] | None:
    with uow:
        uow.begin_write()
        now = clock.now()
        claimed = uow.webhooks.claim_due(now, limit=1)
        if not claimed:
            return None
        delivery = claimed[0]
        delivery.next_attempt_at = now + CLAIM_LEASE
        uow.webhooks.save_delivery(delivery)
        subscription = uow.webhooks.get_subscription(delivery.subscription_id)
        uow.commit()
    return delivery, subscription


def _post(sender: WebhookSender, subscription: WebhookSubscription, delivery: WebhookDelivery,
          at: datetime) -> tuple[int | None, str | None]:
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "hoso-webhooks/1",
               "X-Hoso-Event": delivery.event_type.value, "X-Hoso-Event-Id": delivery.event_id,
               "X-Hoso-Delivery": delivery.id, SIGNATURE_HEADER: sign(subscription.secret, int(at.timestamp()), body)}
    try:
        status = sender.post(subscription.url, body, headers)
    except DeliveryError as exc:
        return None, str(exc)[:500]
    return status, None if 200 <= status < 300 else f"http_{status}"


def _record(delivery: WebhookDelivery, *, status: int | None, error: str | None, at: datetime,
            give_up: bool) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.last_status_code = status
    delivery.last_error = error
    if error is None:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = at
    elif give_up or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = at + retry_delay(delivery.attempts)
