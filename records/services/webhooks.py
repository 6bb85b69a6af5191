"""Use cases for outbound webhooks: writing events to the outbox (inside the transaction of the change),
posting what is due, and the administrators' subscriptions, delivery records and replays."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from records.access import Action, Principal, PrincipalKind, Role, Scope
from records.access_log import AccessKind
from records.clock import Clock, SystemClock
from records.dossiers import Dossier
from records.errors import Conflict, NotFound, ValidationFailed
from records.outbox import deliver_webhooks_later
from records.ports import UnitOfWork, WebhookSender
from records.services.access import audited, authorize
from records.services.catalogue import require_role
from records.webhooks import (
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    DeliveryAttempt,
    DeliveryError,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
    checked_event_types,
    checked_name,
    checked_url,
    new_secret,
    retry_delay,
    sign,
)

# How long a claimed delivery is left to the worker posting it before another worker may take it again:
# longer than a post can take (the sender's timeout bounds the whole post, and is at most 120 s).
CLAIM_LEASE = timedelta(minutes=5)
# How long one run of deliver_due keeps claiming; the beat starts another run every 30 s.
DELIVERY_BUDGET = timedelta(seconds=30)

log = logging.getLogger("hoso.webhooks")


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
    if deliveries:
        deliver_webhooks_later(uow.outbox)  # posted right after the commit, not at the next scheduled run
    return len(deliveries)


def deliver_due(*, uow: UnitOfWork, sender: WebhookSender, clock: Clock, limit: int = 50,
                budget: timedelta = DELIVERY_BUDGET) -> DeliveryReport:
    """Posts the deliveries that are due: claim one (a short transaction that leases it), post it with no
    transaction open, record the attempt (another short transaction).

    Safe to run in several workers at once (a leased delivery is not claimed again until its lease ends) and
    to repeat (a delivered one is never sent again unless replayed); a worker that dies mid-post leaves the
    lease to run out, and the delivery is posted again: at least once. A failure schedules the next attempt
    with backoff and jitter; after MAX_ATTEMPTS the delivery is marked failed. A subscription switched off
    since the event fails its deliveries without posting. Stops after `limit` posts or once `budget` is
    spent (hanging endpoints must not hold a worker that also runs OCR and indexing); the rest waits for the
    next run.
    """
    report = DeliveryReport()
    stop_at = time.monotonic() + budget.total_seconds()
    while report.attempted < limit and time.monotonic() < stop_at:
        claimed = _claim(uow, clock)
        if claimed is None:
            break
        delivery, subscription = claimed
        started, timer = clock.now(), time.monotonic()
        usable = subscription is not None and subscription.active
        if subscription is not None and usable:
            status, error = _post(sender, subscription, delivery, started)
        else:
            status, error = None, "subscription_inactive"
        duration_ms = int((time.monotonic() - timer) * 1000)
        finished = clock.now()
        with uow:
            uow.begin_write()
            current = uow.webhooks.get_delivery(delivery.id, for_update=True)
            if current is not None and current.status is DeliveryStatus.PENDING:
                _record(current, status=status, error=error, at=finished, give_up=not usable)
                uow.webhooks.add_attempt(DeliveryAttempt(current.id, finished, status, error, duration_ms))
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
    except Exception as exc:  # a sender bug must not leave the delivery leased and stop the whole outbox
        log.exception("webhook delivery %s: the sender failed unexpectedly", delivery.id)
        return None, f"sender_error: {type(exc).__name__}"
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


# --- managing subscriptions and replays (administrators; leaders read their agency's) ---------------------

MAX_REPLAY = 1000
MAX_PAGE = 200


@dataclass(frozen=True)
class IssuedSecret:
    subscription: WebhookSubscription
    secret: str  # shown once, when the subscription is made or its secret rotated


@dataclass(frozen=True)
class DeliveryRecord:
    delivery: WebhookDelivery
    attempts: list[DeliveryAttempt]


def _webhook_not_found(subscription_id: str) -> NotFound:
    return NotFound("Không tìm thấy webhook.", "Webhook not found.", code="webhook_not_found",
                    detail={"webhook_id": subscription_id})


def _delivery_not_found(delivery_id: str) -> NotFound:
    return NotFound("Không tìm thấy lần gửi webhook.", "Webhook delivery not found.", code="delivery_not_found",
                    detail={"delivery_id": delivery_id})


def _visible(actor: Principal, subscription: WebhookSubscription) -> bool:
    return actor.sees_everything or subscription.agency_code in actor.agencies


def _readable(uow: UnitOfWork, actor: Principal, subscription_id: str) -> WebhookSubscription:
    require_role(actor, Role.ADMIN, Role.LEADER)
    subscription = uow.webhooks.get_subscription(subscription_id)
    if subscription is None or not _visible(actor, subscription):
        raise _webhook_not_found(subscription_id)
    return subscription


def _managed(uow: UnitOfWork, actor: Principal, subscription_id: str) -> WebhookSubscription:
    require_role(actor, Role.ADMIN)
    return _readable(uow, actor, subscription_id)


def create_subscription(*, uow: UnitOfWork, clock: Clock, actor: Principal, name: str, agency_code: str, url: str,
                        event_types: Iterable[str] | None = None, allow_plain_http: bool = True) -> IssuedSecret:
    """An administrator subscribes a system to the events of the dossiers `agency_code` may read (succession
    included). The signing secret is returned once. `allow_plain_http=False` (production) demands https."""
    require_role(actor, Role.ADMIN)
    name, url = checked_name(name), checked_url(url, allow_plain_http=allow_plain_http)
    wanted = checked_event_types(event_types)
    with uow:
        uow.begin_write()
        agency = uow.agencies.get(agency_code)
        if agency is None or not agency.is_active:
            raise ValidationFailed("Cơ quan không tồn tại hoặc đã ngừng hoạt động.",
                                   "The agency does not exist or no longer operates.", code="unknown_agency",
                                   detail={"agency_code": agency_code})
        secret = new_secret()
        subscription = WebhookSubscription(id=uuid.uuid4().hex, name=name, agency_code=agency.code, url=url,
                                           secret=secret, event_types=wanted, created_by=actor.username,
                                           created_at=clock.now())
        uow.webhooks.add_subscription(subscription)
        audited(uow, actor, AccessKind.WEBHOOK_CHANGED, subscription.created_at,
                detail={"subscription_id": subscription.id, "agency_code": agency.code, "url": url, "created": True})
        uow.commit()
    return IssuedSecret(subscription, secret)


def list_subscriptions(*, uow: UnitOfWork, actor: Principal,
                       agency_code: str | None = None) -> list[WebhookSubscription]:
    """Administrators see every subscription; a leader those of their agency (and of agencies it succeeded)."""
    require_role(actor, Role.ADMIN, Role.LEADER)
    with uow:
        found = uow.webhooks.list_subscriptions(agency_code)
    return [s for s in found if _visible(actor, s)]


def get_subscription(*, uow: UnitOfWork, actor: Principal, subscription_id: str) -> WebhookSubscription:
    with uow:
        return _readable(uow, actor, subscription_id)


def update_subscription(*, uow: UnitOfWork, actor: Principal, subscription_id: str, name: str | None = None,
                        url: str | None = None, event_types: Iterable[str] | None = None, active: bool | None = None,
                        allow_plain_http: bool = True, clock: Clock | None = None) -> WebhookSubscription:
    """Changes what is given. Switching a subscription off fails its pending deliveries without posting them."""
    require_role(actor, Role.ADMIN)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = checked_name(name)
    if url is not None:
        changes["url"] = checked_url(url, allow_plain_http=allow_plain_http)
    if event_types is not None:
        changes["event_types"] = checked_event_types(event_types)
    if active is not None:
        changes["active"] = active
    with uow:
        uow.begin_write()
        subscription = replace(_managed(uow, actor, subscription_id), **changes)
        uow.webhooks.save_subscription(subscription)
        audited(uow, actor, AccessKind.WEBHOOK_CHANGED, (clock or SystemClock()).now(),
                detail={"subscription_id": subscription.id, "changed": sorted(changes),
                        **({"url": changes["url"]} if "url" in changes else {}),
                        **({"active": changes["active"]} if "active" in changes else {})})
        uow.commit()
    return subscription


def rotate_secret(*, uow: UnitOfWork, actor: Principal, subscription_id: str,
                  clock: Clock | None = None) -> IssuedSecret:
    """A new signing secret, returned once; every post from now on is signed with it."""
    with uow:
        uow.begin_write()
        subscription = replace(_managed(uow, actor, subscription_id), secret=new_secret())
        uow.webhooks.save_subscription(subscription)
        audited(uow, actor, AccessKind.WEBHOOK_CHANGED, (clock or SystemClock()).now(),
                detail={"subscription_id": subscription.id, "secret_rotated": True})
        uow.commit()
    return IssuedSecret(subscription, subscription.secret)


def list_deliveries(*, uow: UnitOfWork, actor: Principal, subscription_id: str, status: DeliveryStatus | None = None,
                    limit: int = 50, offset: int = 0) -> tuple[list[WebhookDelivery], int]:
    """A subscription's deliveries, newest first, and how many there are."""
    with uow:
        _readable(uow, actor, subscription_id)
        return uow.webhooks.deliveries(subscription_id=subscription_id, status=status, since=None,
                                       limit=max(1, min(limit, MAX_PAGE)), offset=max(offset, 0))


def _delivery_of(uow: UnitOfWork, actor: Principal, delivery_id: str) -> WebhookDelivery:
    require_role(actor, Role.ADMIN, Role.LEADER)
    delivery = uow.webhooks.get_delivery(delivery_id)
    subscription = None if delivery is None else uow.webhooks.get_subscription(delivery.subscription_id)
    if delivery is None or subscription is None or not _visible(actor, subscription):
        raise _delivery_not_found(delivery_id)
    return delivery


def get_delivery(*, uow: UnitOfWork, actor: Principal, delivery_id: str) -> DeliveryRecord:
    """A delivery with every attempt made, oldest first."""
    with uow:
        delivery = _delivery_of(uow, actor, delivery_id)
        return DeliveryRecord(delivery, uow.webhooks.attempts(delivery_id))


def _replay(original: WebhookDelivery, now: datetime, ahead: int = 0) -> WebhookDelivery:
    """The same event (id and payload) once more, due now (`ahead` microseconds earlier to keep an order);
    receivers deduplicate by the event id."""
    return WebhookDelivery(id=uuid.uuid4().hex, subscription_id=original.subscription_id,
                           event_id=original.event_id, event_type=original.event_type, payload=original.payload,
                           created_at=now, next_attempt_at=now - timedelta(microseconds=ahead),
                           replay_of=original.id)


def _require_active(subscription: WebhookSubscription) -> None:
    if not subscription.active:
        raise Conflict("Webhook đang tắt; hãy bật lại trước khi gửi lại.",
                       "The webhook is switched off; switch it on before replaying.", code="webhook_inactive",
                       detail={"webhook_id": subscription.id})


def replay_delivery(*, uow: UnitOfWork, clock: Clock, actor: Principal, delivery_id: str) -> WebhookDelivery:
    """A new pending delivery of a delivered or failed one. Nothing else is announced or changed."""
    require_role(actor, Role.ADMIN)
    with uow:
        uow.begin_write()
        original = _delivery_of(uow, actor, delivery_id)
        _require_active(_managed(uow, actor, original.subscription_id))
        if original.status is DeliveryStatus.PENDING:
            raise Conflict("Lần gửi này vẫn đang chờ gửi.", "This delivery is still pending.", code="delivery_pending",
                           detail={"delivery_id": delivery_id})
        replay = _replay(original, clock.now())
        uow.webhooks.add_deliveries([replay])
        deliver_webhooks_later(uow.outbox)
        audited(uow, actor, AccessKind.WEBHOOK_REPLAYED, replay.created_at,
                detail={"subscription_id": original.subscription_id, "delivery_id": original.id, "replayed": 1})
        uow.commit()
    return replay


def replay_range(*, uow: UnitOfWork, clock: Clock, actor: Principal, subscription_id: str, since: datetime,
                 until: datetime | None = None, status: DeliveryStatus | None = None) -> int:
    """Replays the subscription's delivered or failed deliveries first made in [since, until) — not earlier
    replays — oldest first, at most MAX_REPLAY at a time (narrow the range beyond). Returns how many."""
    require_role(actor, Role.ADMIN)
    if until is not None and until <= since:
        raise ValidationFailed("Thời điểm kết thúc phải sau thời điểm bắt đầu.", "`until` must be after `since`.",
                               code="invalid_range")
    if status is DeliveryStatus.PENDING:
        raise ValidationFailed("Chỉ gửi lại được các lần đã gửi hoặc đã thất bại.",
                               "Only delivered or failed deliveries can be replayed.", code="invalid_replay_status")
    statuses = [status] if status is not None else [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]
    with uow:
        uow.begin_write()
        _require_active(_managed(uow, actor, subscription_id))
        originals: list[WebhookDelivery] = []
        matching = 0
        for wanted in statuses:
            found, count = uow.webhooks.deliveries(subscription_id=subscription_id, status=wanted, since=since,
                                                   until=until, originals_only=True, limit=MAX_REPLAY + 1, offset=0)
            originals += found
            matching += count
        if matching > MAX_REPLAY:
            raise ValidationFailed(f"Quá {MAX_REPLAY} lần gửi trong khoảng này; hãy thu hẹp khoảng thời gian.",
                                   f"More than {MAX_REPLAY} deliveries in this range; narrow it.",
                                   code="replay_range_too_large", detail={"matching": matching, "limit": MAX_REPLAY})
        now = clock.now()
        originals.sort(key=lambda d: (d.created_at, d.id))
        # Due at once, a microsecond apart, so that they are posted in the order the events happened.
        uow.webhooks.add_deliveries([_replay(d, now, len(originals) - position)
                                     for position, d in enumerate(originals)])
        audited(uow, actor, AccessKind.WEBHOOK_REPLAYED, now,
                detail={"subscription_id": subscription_id, "replayed": len(originals),
                        "since": since.isoformat(), "until": until.isoformat() if until else None})
        if originals:
            deliver_webhooks_later(uow.outbox)
        uow.commit()
    return len(originals)
