"""Outbound webhooks: subscribed systems are told when dossiers they may read change.

Events are written to an outbox (one delivery per subscription) in the same transaction as the change, so
an announced change always happened and a change is never lost. A worker posts each delivery, signed with
HMAC-SHA256 over `<timestamp>.<body>` with the subscription's secret, retries failures with exponential
backoff and jitter, and gives up after MAX_ATTEMPTS; any delivery can be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
SIGNATURE_HEADER = "X-Hoso-Signature"


class EventType(StrEnum):
    DOSSIER_RECEIVED = "dossier.received"
    DOSSIER_STATE_CHANGED = "dossier.state_changed"
    DOCUMENT_ATTACHED = "document.attached"
    SHARE_GRANTED = "share.granted"
    SHARE_REVOKED = "share.revoked"


class DeliveryError(Exception):
    """The endpoint could not be reached or did not answer in time (the message says which)."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # gave up after MAX_ATTEMPTS (or the subscription was switched off); can be replayed


@dataclass(frozen=True)
class WebhookSubscription:
    id: str
    name: str
    agency_code: str  # events of dossiers this agency may read
    url: str
    secret: str
    event_types: frozenset[EventType]
    created_by: str
    created_at: datetime
    active: bool = True


@dataclass
class WebhookDelivery:
    id: str
    subscription_id: str
    event_id: str
    event_type: EventType
    payload: dict[str, Any]
    created_at: datetime
    next_attempt_at: datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    replay_of: str | None = None


@dataclass(frozen=True)
class DeliveryAttempt:
    delivery_id: str
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class OutboundEvent:
    """What happened, before it is addressed to subscriptions."""

    id: str
    type: EventType
    at: datetime
    dossier_code: str
    data: dict[str, Any] = field(default_factory=dict)


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Wait before attempt `attempts + 1`: 30 s doubling each time up to 6 h, with full jitter in its upper half."""
    base = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)
    fraction: float = 0.5 + 0.5 * (rng or random).random()
    delay: timedelta = base * fraction
    return delay


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance_seconds: int = 300) -> bool:
    """What a receiving system does with the header (also used by hoso's own tests)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")
