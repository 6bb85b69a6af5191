"""The SQL repository of webhook subscriptions, their outbox of deliveries and the attempts made."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from records.webhooks import (
    DeliveryAttempt,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)
from storage.models import WebhookAttemptRow, WebhookDeliveryRow, WebhookSubscriptionRow, table_of

SUBSCRIPTIONS = table_of(WebhookSubscriptionRow)
DELIVERIES = table_of(WebhookDeliveryRow)
ATTEMPTS = table_of(WebhookAttemptRow)

# Every change asks for the active subscriptions: the statement is built once (see bench/transitions.py).
_ACTIVE_SUBSCRIPTIONS = (select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.active.is_(True))
                         .order_by(SUBSCRIPTIONS.c.id))

_DELIVERY_COLUMNS = ("subscription_id", "event_id", "payload", "created_at", "attempts", "next_attempt_at",
                     "last_attempt_at", "last_status_code", "last_error", "delivered_at", "replay_of")


def _subscription(row: Any) -> WebhookSubscription:
    return WebhookSubscription(id=row.id, name=row.name, agency_code=row.agency_code, url=row.url, secret=row.secret,
                               event_types=frozenset(EventType(e) for e in row.event_types),
                               created_by=row.created_by, created_at=row.created_at, active=row.active)


def _delivery(row: Any) -> WebhookDelivery:
    return WebhookDelivery(id=row.id, event_type=EventType(row.event_type), status=DeliveryStatus(row.status),
                           **{name: getattr(row, name) for name in _DELIVERY_COLUMNS})


def _delivery_values(delivery: WebhookDelivery) -> dict[str, Any]:
    values = {name: getattr(delivery, name) for name in _DELIVERY_COLUMNS}
    values.update(event_type=delivery.event_type.value, status=delivery.status.value)
    return values


class SqlWebhookRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- subscriptions ------------------------------------------------------------------------------------
    def add_subscription(self, subscription: WebhookSubscription) -> None:
        self.session.execute(insert(SUBSCRIPTIONS).values(
            id=subscription.id, name=subscription.name, agency_code=subscription.agency_code, url=subscription.url,
            secret=subscription.secret, event_types=sorted(e.value for e in subscription.event_types),
            active=subscription.active, created_by=subscription.created_by, created_at=subscription.created_at))

    def get_subscription(self, subscription_id: str) -> WebhookSubscription | None:
        row = self.session.execute(select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == subscription_id)).one_or_none()
        return None if row is None else _subscription(row)

    def save_subscription(self, subscription: WebhookSubscription) -> None:
        self.session.execute(update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == subscription.id).values(
            name=subscription.name, url=subscription.url, secret=subscription.secret, active=subscription.active,
            event_types=sorted(e.value for e in subscription.event_types)))

    def list_subscriptions(self, agency_code: str | None = None) -> list[WebhookSubscription]:
        stmt = select(SUBSCRIPTIONS).order_by(SUBSCRIPTIONS.c.created_at.desc(), SUBSCRIPTIONS.c.id)
        if agency_code is not None:
            stmt = stmt.where(SUBSCRIPTIONS.c.agency_code == agency_code)
        return [_subscription(r) for r in self.session.execute(stmt)]

    def active_subscriptions(self, event_type: EventType) -> list[WebhookSubscription]:
        """Filtered by event type here: JSON containment is not portable between SQLite and PostgreSQL, and the
        table holds one row per subscribed system."""
        rows = self.session.execute(_ACTIVE_SUBSCRIPTIONS)
        return [s for s in map(_subscription, rows) if event_type in s.event_types]

    # --- deliveries (the outbox) -----------------------------------------------------------------------------
    def add_deliveries(self, deliveries: Sequence[WebhookDelivery]) -> None:
        if deliveries:
            self.session.execute(insert(DELIVERIES), [{"id": d.id, **_delivery_values(d)} for d in deliveries])

    def get_delivery(self, delivery_id: str, *, for_update: bool = False) -> WebhookDelivery | None:
        stmt = select(DELIVERIES).where(DELIVERIES.c.id == delivery_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.execute(stmt).one_or_none()
        return None if row is None else _delivery(row)

    def claim_due(self, now: datetime, *, limit: int) -> list[WebhookDelivery]:
        stmt = (select(DELIVERIES)
                .where(DELIVERIES.c.status == DeliveryStatus.PENDING.value, DELIVERIES.c.next_attempt_at <= now)
                .order_by(DELIVERIES.c.next_attempt_at, DELIVERIES.c.id).limit(limit)
                .with_for_update(skip_locked=True))
        return [_delivery(r) for r in self.session.execute(stmt)]

    def save_delivery(self, delivery: WebhookDelivery) -> None:
        self.session.execute(update(DELIVERIES).where(DELIVERIES.c.id == delivery.id)
                             .values(**_delivery_values(delivery)))

    def deliveries(self, *, subscription_id: str | None, status: DeliveryStatus | None, since: datetime | None,
                   limit: int, offset: int, until: datetime | None = None,
                   originals_only: bool = False) -> tuple[list[WebhookDelivery], int]:
        conditions: list[Any] = []
        if subscription_id is not None:
            conditions.append(DELIVERIES.c.subscription_id == subscription_id)
        if status is not None:
            conditions.append(DELIVERIES.c.status == status.value)
        if since is not None:
            conditions.append(DELIVERIES.c.created_at >= since)
        if until is not None:
            conditions.append(DELIVERIES.c.created_at < until)
        if originals_only:
            conditions.append(DELIVERIES.c.replay_of.is_(None))
        count = self.session.scalar(select(func.count()).select_from(DELIVERIES).where(*conditions)) or 0
        rows = self.session.execute(select(DELIVERIES).where(*conditions)
                                    .order_by(DELIVERIES.c.created_at.desc(), DELIVERIES.c.id)
                                    .limit(limit).offset(offset))
        return [_delivery(r) for r in rows], int(count)

    def add_attempt(self, attempt: DeliveryAttempt) -> None:
        self.session.execute(insert(ATTEMPTS).values(delivery_id=attempt.delivery_id, at=attempt.at,
                                                     status_code=attempt.status_code, error=attempt.error,
                                                     duration_ms=attempt.duration_ms))

    def attempts(self, delivery_id: str) -> list[DeliveryAttempt]:
        rows = self.session.execute(select(ATTEMPTS).where(ATTEMPTS.c.delivery_id == delivery_id)
                                    .order_by(ATTEMPTS.c.at, ATTEMPTS.c.id))
        return [DeliveryAttempt(r.delivery_id, r.at, r.status_code, r.error, r.duration_ms) for r in rows]
