"""Schemas for webhook subscriptions, their deliveries and replays. The signing secret appears only in
WebhookCreated (made or rotated), never in a listing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.bounds import BoundedAwareDateTime
from records.webhooks import (
    MAX_NAME_LENGTH,
    DeliveryAttempt,
    DeliveryStatus,
    EventType,
    WebhookDelivery,
    WebhookSubscription,
)

EVENT_TYPES_HELP = ("any of " + ", ".join(f"`{e.value}`" for e in EventType) + "; omitted: all of them")
EventTypeName = Annotated[str, Field(max_length=40)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=MAX_NAME_LENGTH, description="the receiving system, for people")
    agency_code: str = Field(min_length=1, max_length=40,
                             description="events of the dossiers this agency may read are sent")
    url: str = Field(min_length=1, description="http(s), at most 2000 characters, no user:password; "
                                               "https in production (except localhost)")
    event_types: list[EventTypeName] | None = Field(default=None, max_length=len(EventType) * 2,
                                                    description=EVENT_TYPES_HELP,
                                                    examples=[["dossier.state_changed"]])


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_LENGTH)
    url: str | None = Field(default=None, min_length=1)
    event_types: list[EventTypeName] | None = Field(default=None, max_length=len(EventType) * 2,
                                                    description=EVENT_TYPES_HELP)
    active: bool | None = Field(default=None, description="false: nothing more is sent; pending deliveries fail")


class WebhookPublic(BaseModel):
    id: str
    name: str
    agency_code: str
    url: str
    event_types: list[EventType]
    active: bool
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, subscription: WebhookSubscription) -> WebhookPublic:
        return cls(id=subscription.id, name=subscription.name, agency_code=subscription.agency_code,
                   url=subscription.url, event_types=sorted(subscription.event_types), active=subscription.active,
                   created_by=subscription.created_by, created_at=subscription.created_at)


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="the signing secret, shown this once: the HMAC-SHA256 key of the "
                                    "X-Hoso-Signature header (the whole string, `whsec_` included)")


class WebhooksPublic(BaseModel):
    data: list[WebhookPublic]
    count: int


class _DeliveryFields(BaseModel):
    id: str
    subscription_id: str
    event_id: str = Field(description="the same for every delivery (and replay) of one event: deduplicate by it")
    event_type: EventType
    status: DeliveryStatus
    created_at: datetime
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    replay_of: str | None = Field(description="the delivery this one replays")
    payload: dict[str, Any]

    @staticmethod
    def fields_of(delivery: WebhookDelivery) -> dict[str, Any]:
        return {"id": delivery.id, "subscription_id": delivery.subscription_id, "event_id": delivery.event_id,
                "event_type": delivery.event_type, "status": delivery.status, "created_at": delivery.created_at,
                "next_attempt_at": delivery.next_attempt_at, "last_attempt_at": delivery.last_attempt_at,
                "last_status_code": delivery.last_status_code, "last_error": delivery.last_error,
                "delivered_at": delivery.delivered_at, "replay_of": delivery.replay_of, "payload": delivery.payload}


class DeliveryPublic(_DeliveryFields):
    attempts: int = Field(description="how many posts were made")

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryPublic:
        return cls(**cls.fields_of(delivery), attempts=delivery.attempts)


class DeliveriesPublic(BaseModel):
    data: list[DeliveryPublic]
    count: int


class AttemptPublic(BaseModel):
    at: datetime
    status_code: int | None = Field(description="the endpoint's HTTP status; null when it did not answer")
    error: str | None = Field(description="`http_<status>`, `timeout: …`, `unreachable: …` or "
                                          "`subscription_inactive`; null when delivered")
    duration_ms: int

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptPublic:
        return cls(at=attempt.at, status_code=attempt.status_code, error=attempt.error,
                   duration_ms=attempt.duration_ms)


class DeliveryDetail(_DeliveryFields):
    attempts: list[AttemptPublic] = Field(description="every post made, oldest first")

    @classmethod
    def of(cls, delivery: WebhookDelivery, attempts: list[DeliveryAttempt]) -> DeliveryDetail:
        return cls(**cls.fields_of(delivery), attempts=[AttemptPublic.of(a) for a in attempts])


class ReplayRange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    since: BoundedAwareDateTime = Field(description="deliveries first made at or after this instant")
    until: BoundedAwareDateTime | None = Field(default=None, description="and before this one (default: now)")
    status: DeliveryStatus | None = Field(default=None, description="`delivered` or `failed`; default: both")


class ReplayCount(BaseModel):
    count: int = Field(description="how many new deliveries were queued")
