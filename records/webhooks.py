"""Outbound webhooks: subscribed systems are told when dossiers they may read change.

Events are written to an outbox (one delivery per subscription) in the same transaction as the change, so
an announced change always happened and a change is never lost. A worker posts each delivery, signed with
HMAC-SHA256 over `<timestamp>.<body>` with the subscription's secret, retries failures with exponential
backoff and jitter, and gives up after MAX_ATTEMPTS; any delivery can be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from records.errors import ValidationFailed

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
SIGNATURE_HEADER = "X-Hoso-Signature"
SECRET_PREFIX = "whsec_"
MAX_URL_LENGTH = 2000
MAX_NAME_LENGTH = 200


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
    """What a receiving system does with the header (also used by hoso's own tests): the MAC must match the
    body and the timestamp must be within `tolerance_seconds` of `now`, so a captured request cannot be
    replayed later. Never raises on a malformed header."""
    try:
        parts = dict(item.strip().split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts.get("v1", "").encode("ascii")
    except (KeyError, ValueError, UnicodeEncodeError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body).rpartition("v1=")[2].encode("ascii")
    return hmac.compare_digest(expected, given)


def new_secret() -> str:
    """A subscription's signing secret: 256 random bits, shown to the administrator once."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def url_problem(url: str, *, allow_plain_http: bool) -> str | None:
    """Why a subscriber URL is refused, or None. http(s) only, with a host, no user:password (a secret would
    sit in clear in every listing), printable ASCII (punycode hosts, percent-encoded paths), at most
    MAX_URL_LENGTH characters. Without `allow_plain_http` (production) only https is accepted, except on the
    machine itself (localhost, 127.0.0.0/8, ::1), where nothing crosses a network."""
    if len(url) > MAX_URL_LENGTH:
        return "too_long"
    if not url or any(not 0x21 <= ord(c) <= 0x7E for c in url):
        return "not_ascii"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        return "scheme"
    if parts.username is not None or parts.password is not None:
        return "credentials"
    if not parts.hostname:
        return "host"
    try:
        parts.port  # noqa: B018 -- raises on a malformed port
    except ValueError:
        return "port"
    if parts.scheme == "http" and not allow_plain_http and not _loopback(parts.hostname):
        return "https_required"
    return None


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_URL_PROBLEMS: dict[str, tuple[str, str]] = {
    "too_long": (f"Địa chỉ webhook dài quá {MAX_URL_LENGTH} ký tự.",
                 f"The webhook URL is longer than {MAX_URL_LENGTH} characters."),
    "not_ascii": ("Địa chỉ webhook chỉ được gồm ký tự ASCII in được (tên miền dạng punycode, đường dẫn mã hoá %).",
                  "The webhook URL must be printable ASCII (punycode host, percent-encoded path)."),
    "scheme": ("Địa chỉ webhook phải bắt đầu bằng http:// hoặc https://.", "The webhook URL must use http or https."),
    "credentials": ("Địa chỉ webhook không được chứa tên đăng nhập hay mật khẩu.",
                    "The webhook URL must not contain a user name or password."),
    "host": ("Địa chỉ webhook thiếu tên máy chủ.", "The webhook URL has no host."),
    "port": ("Cổng trong địa chỉ webhook không hợp lệ.", "The webhook URL's port is not valid."),
    "https_required": ("Khi vận hành chính thức, webhook phải dùng https (trừ localhost).",
                       "In production, webhooks must use https (except on localhost)."),
}


def checked_name(name: str) -> str:
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(f"Cần tên webhook (tối đa {MAX_NAME_LENGTH} ký tự).",
                               f"A webhook needs a name ({MAX_NAME_LENGTH} characters at most).", code="invalid_name")
    return name.strip()


def checked_url(url: str, *, allow_plain_http: bool) -> str:
    """The URL, trimmed, if url_problem finds nothing; else ValidationFailed (code invalid_webhook_url) naming
    the reason, never echoing the URL (it may hold a token)."""
    url = url.strip()
    problem = url_problem(url, allow_plain_http=allow_plain_http)
    if problem is not None:
        vi, en = _URL_PROBLEMS[problem]
        raise ValidationFailed(vi, en, code="invalid_webhook_url", detail={"reason": problem})
    return url


def checked_event_types(event_types: Iterable[str] | None) -> frozenset[EventType]:
    """None: every event type; otherwise a non-empty list of known ones."""
    if event_types is None:
        return frozenset(EventType)
    wanted = list(event_types)
    known = {e.value for e in EventType}
    unknown = sorted({e for e in wanted if e not in known})
    if unknown:
        raise ValidationFailed("Loại sự kiện không được hỗ trợ.", "Unknown event type.", code="unknown_event_type",
                               detail={"event_types": unknown, "allowed": sorted(known)})
    if not wanted:
        raise ValidationFailed("Cần ít nhất một loại sự kiện.", "At least one event type is needed.",
                               code="event_types_required")
    return frozenset(EventType(e) for e in wanted)
