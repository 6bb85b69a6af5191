"""Outbound webhooks: subscriptions of other systems, their deliveries, and replays (administrators; an
agency's leaders read its own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import BackendsDep, ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.bounds import OffsetQuery
from api.schemas.webhooks import (
    DeliveriesPublic,
    DeliveryDetail,
    DeliveryPublic,
    ReplayCount,
    ReplayRange,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhooksPublic,
    WebhookUpdate,
)
from infra.settings import Mode
from records.services.webhooks import (
    IssuedSecret,
    create_subscription,
    get_delivery,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    replay_delivery,
    replay_range,
    rotate_secret,
    update_subscription,
)
from records.webhooks import DeliveryStatus

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=ERROR_RESPONSES)


def _created(issued: IssuedSecret) -> WebhookCreated:
    return WebhookCreated(**WebhookPublic.of(issued.subscription).model_dump(), secret=issued.secret)


def _plain_http_allowed(backends: BackendsDep) -> bool:
    return backends.settings.mode is not Mode.PRODUCTION


# The delivery routes come first: /webhooks/deliveries/... must never be read as a subscription id.
@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail, summary="Một lần gửi webhook",
            description="The delivery, its payload and every attempt made, oldest first.")
def read_delivery(delivery_id: str, uow: UowDep, user: CurrentUser) -> DeliveryDetail:
    record = get_delivery(uow=uow, actor=user, delivery_id=delivery_id)
    return DeliveryDetail.of(record.delivery, record.attempts)


@router.post("/deliveries/{delivery_id}/replay", response_model=DeliveryPublic, status_code=202,
             summary="Gửi lại một lần gửi webhook",
             description="Administrators. A new delivery of the same event (same event id and payload, "
                         "`replay_of` naming this one) is queued now; the delivery must be delivered or failed.")
def replay_one(delivery_id: str, uow: UowDep, clock: ClockDep,
               user: CurrentUser) -> DeliveryPublic:
    replay = replay_delivery(uow=uow, clock=clock, actor=user, delivery_id=delivery_id)
    return DeliveryPublic.of(replay)


@router.post("", response_model=WebhookCreated, status_code=201, summary="Đăng ký webhook",
             description="Administrators. The system at `url` is told, by a signed POST, of the events of every "
                         "dossier the agency may read. The signing secret is shown this once.")
def create(body: WebhookCreate, response: Response, backends: BackendsDep, uow: UowDep, clock: ClockDep,
           user: CurrentUser) -> WebhookCreated:
    issued = create_subscription(uow=uow, clock=clock, actor=user, name=body.name, agency_code=body.agency_code,
                                 url=body.url, event_types=body.event_types,
                                 allow_plain_http=_plain_http_allowed(backends))
    response.headers["Location"] = f"/api/v1/webhooks/{issued.subscription.id}"
    return _created(issued)


@router.get("", response_model=WebhooksPublic, summary="Các webhook")
def read_all(uow: UowDep, user: CurrentUser, agency_code: str | None = None) -> WebhooksPublic:
    subscriptions = list_subscriptions(uow=uow, actor=user, agency_code=agency_code)
    return WebhooksPublic(data=[WebhookPublic.of(s) for s in subscriptions], count=len(subscriptions))


@router.get("/{webhook_id}", response_model=WebhookPublic, summary="Một webhook")
def read_one(webhook_id: str, uow: UowDep, user: CurrentUser) -> WebhookPublic:
    return WebhookPublic.of(get_subscription(uow=uow, actor=user, subscription_id=webhook_id))


@router.patch("/{webhook_id}", response_model=WebhookPublic, summary="Sửa, bật hoặc tắt webhook",
              description="Administrators. Only the fields sent change. A webhook switched off sends nothing "
                          "more; its pending deliveries end `failed` (`subscription_inactive`).")
def update(webhook_id: str, body: WebhookUpdate, backends: BackendsDep, uow: UowDep,
           user: CurrentUser) -> WebhookPublic:
    subscription = update_subscription(uow=uow, actor=user, subscription_id=webhook_id, name=body.name,
                                       url=body.url, event_types=body.event_types, active=body.active,
                                       allow_plain_http=_plain_http_allowed(backends), clock=backends.clock)
    return WebhookPublic.of(subscription)


@router.post("/{webhook_id}/rotate-secret", response_model=WebhookCreated, summary="Đổi khoá ký webhook",
             description="Administrators. A new signing secret, shown this once; every post from now on is "
                         "signed with it.")
def rotate(webhook_id: str, backends: BackendsDep, uow: UowDep, user: CurrentUser) -> WebhookCreated:
    return _created(rotate_secret(uow=uow, actor=user, subscription_id=webhook_id, clock=backends.clock))


@router.get("/{webhook_id}/deliveries", response_model=DeliveriesPublic, summary="Các lần gửi của webhook")
def read_deliveries(webhook_id: str, uow: UowDep, user: CurrentUser, status: DeliveryStatus | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50,
                    offset: OffsetQuery = 0) -> DeliveriesPublic:
    deliveries, count = list_deliveries(uow=uow, actor=user, subscription_id=webhook_id, status=status,
                                        limit=limit, offset=offset)
    return DeliveriesPublic(data=[DeliveryPublic.of(d) for d in deliveries], count=count)


@router.post("/{webhook_id}/replay", response_model=ReplayCount, status_code=202,
             summary="Gửi lại các lần gửi trong một khoảng thời gian",
             description="Administrators. Queues again the delivered or failed deliveries first made in "
                         "[since, until) — not earlier replays — oldest first; at most 1000 (narrow the range "
                         "beyond: `422 replay_range_too_large`).")
def replay_many(webhook_id: str, body: ReplayRange, uow: UowDep, clock: ClockDep,
                user: CurrentUser) -> ReplayCount:
    count = replay_range(uow=uow, clock=clock, actor=user, subscription_id=webhook_id, since=body.since,
                         until=body.until, status=body.status)
    return ReplayCount(count=count)
