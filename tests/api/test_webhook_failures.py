"""Subscribers that fail, hang or trickle; switched-off subscriptions; replays. Whatever a subscriber does, the
change that caused the event is kept and the officer's request answers."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from infra.wiring import Backends
from records.clock import FixedClock
from records.webhooks import LONGEST_RETRY, MAX_ATTEMPTS, DeliveryStatus, EventType, WebhookDelivery
from tests.api.helpers import intake, move
from tests.api.webhook_fixtures import (
    ADMIN,
    TIMEOUT_SECONDS,
    Auth,
    api,
    deliveries,
    delivery_detail,
    hooks,
    subscribe,
)
from tests.support.factories import LAND_OFFICE, TRAN_BIEN
from tests.support.webhook_receiver import WebhookReceiver, webhook_receiver

__all__ = ["api", "hooks", "webhook_receiver"]  # fixtures, imported so that pytest finds them here


def _dossier_at_the_commune(api: TestClient, auth: Auth) -> str:
    code: str = intake(api, auth("tiepnhan.tranbien"))["code"]
    move(api, auth("tiepnhan.tranbien"), code, "processing")
    return code


def _transfer(api: TestClient, auth: Auth, code: str) -> dict[str, Any]:
    return move(api, auth("xuly.tranbien"), code, "transferred", target_agency_code=LAND_OFFICE)


def _dossier(api: TestClient, auth: Auth, code: str) -> tuple[int, str, int]:
    """Version, state and number of history events: what a webhook must never change."""
    dossier = api.get(f"/api/v1/dossiers/{code}", headers=auth("xuly.tranbien")).json()
    history = api.get(f"/api/v1/dossiers/{code}/history", headers=auth("xuly.tranbien")).json()
    return dossier["version"], dossier["state"], len(history["data"])


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_a_failing_endpoint_is_retried_with_backoff_then_given_up_and_a_replay_succeeds(
        api: TestClient, hooks: Backends, auth: Auth, clock: FixedClock, webhook_receiver: WebhookReceiver) -> None:
    """GIVEN the land office's endpoint answering 500 WHEN a dossier is transferred there THEN the transfer
    stands, the delivery is retried later (not sooner), fails for good after MAX_ATTEMPTS, and a replay is
    delivered once the endpoint is back."""
    land = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url)
    webhook_receiver.answer(500)
    code = _dossier_at_the_commune(api, auth)
    assert _transfer(api, auth, code)["state"] == "transferred"
    assert _dossier(api, auth, code)[:2] == (3, "transferred")

    [pending] = deliveries(api, auth, land["id"])
    assert (pending["status"], pending["attempts"], pending["last_status_code"], pending["last_error"]) == (
        "pending", 1, 500, "http_500")
    assert _at(pending["next_attempt_at"]) > clock.now()
    assert [(a["status_code"], a["error"]) for a in delivery_detail(api, auth, pending["id"])["attempts"]] == [
        (500, "http_500")]
    hooks.tasks.deliver_webhooks()  # not due yet: nothing is posted
    assert len(webhook_receiver.requests) == 1

    for attempt in range(2, MAX_ATTEMPTS + 1):
        clock.advance(LONGEST_RETRY)  # longer than any wait
        hooks.tasks.deliver_webhooks()
        assert len(webhook_receiver.requests) == attempt
    failed = delivery_detail(api, auth, pending["id"])
    assert (failed["status"], len(failed["attempts"])) == ("failed", MAX_ATTEMPTS)
    assert {(r.header("X-Hoso-Delivery"), r.header("X-Hoso-Event-Id")) for r in webhook_receiver.requests} == {
        (pending["id"], pending["event_id"])}  # the same delivery of the same event each time
    clock.advance(LONGEST_RETRY)
    hooks.tasks.deliver_webhooks()
    assert len(webhook_receiver.requests) == MAX_ATTEMPTS  # given up: no more posts

    webhook_receiver.answer(200)
    before = _dossier(api, auth, code)
    response = api.post(f"/api/v1/webhooks/deliveries/{pending['id']}/replay", headers=auth(ADMIN))
    assert response.status_code == 202, response.text
    replay = response.json()
    assert replay["id"] != pending["id"] and replay["replay_of"] == pending["id"]
    assert (replay["event_id"], replay["payload"]) == (pending["event_id"], pending["payload"])
    last = webhook_receiver.requests[-1]
    assert (last.header("X-Hoso-Delivery"), last.header("X-Hoso-Event-Id")) == (replay["id"], pending["event_id"])
    assert delivery_detail(api, auth, replay["id"])["status"] == "delivered"
    assert delivery_detail(api, auth, pending["id"])["status"] == "failed"
    assert _dossier(api, auth, code) == before  # a replay changes no dossier
    assert len(deliveries(api, auth, land["id"])) == 2  # and announces nothing else


def test_a_hanging_endpoint_times_out_and_the_transfer_still_answers(
        api: TestClient, auth: Auth, webhook_receiver: WebhookReceiver) -> None:
    land = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url)
    code = _dossier_at_the_commune(api, auth)
    version, _, events = _dossier(api, auth, code)
    webhook_receiver.hang(30)
    started = time.monotonic()
    assert _transfer(api, auth, code)["state"] == "transferred"
    assert time.monotonic() - started < TIMEOUT_SECONDS + 5
    assert _dossier(api, auth, code) == (version + 1, "transferred", events + 1)  # the move, and nothing else
    [pending] = deliveries(api, auth, land["id"])
    [attempt] = delivery_detail(api, auth, pending["id"])["attempts"]
    assert pending["status"] == "pending" and attempt["status_code"] is None
    assert attempt["error"].startswith("timeout") and TIMEOUT_SECONDS * 1000 * 0.8 < attempt["duration_ms"] < 5000
    assert len(webhook_receiver.requests) == 1


def test_an_endpoint_that_trickles_its_answer_is_cut_off_at_the_timeout(
        api: TestClient, auth: Auth, webhook_receiver: WebhookReceiver) -> None:
    """Each byte arrives well within the timeout, the whole answer never does: the deadline covers the post."""
    land = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url)
    code = _dossier_at_the_commune(api, auth)
    webhook_receiver.trickle(30)
    started = time.monotonic()
    _transfer(api, auth, code)
    assert time.monotonic() - started < TIMEOUT_SECONDS + 5
    [pending] = deliveries(api, auth, land["id"])
    [attempt] = delivery_detail(api, auth, pending["id"])["attempts"]
    assert attempt["error"].startswith("timeout") and attempt["duration_ms"] < 5000


def test_a_switched_off_subscription_fails_its_pending_delivery_without_posting(
        api: TestClient, hooks: Backends, auth: Auth, clock: FixedClock, webhook_receiver: WebhookReceiver) -> None:
    land = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url)
    webhook_receiver.answer(500)
    code = _dossier_at_the_commune(api, auth)
    _transfer(api, auth, code)
    [pending] = deliveries(api, auth, land["id"])
    off = api.patch(f"/api/v1/webhooks/{land['id']}", json={"active": False}, headers=auth(ADMIN))
    assert off.status_code == 200 and off.json()["active"] is False
    webhook_receiver.answer(200)
    clock.advance(LONGEST_RETRY)
    hooks.tasks.deliver_webhooks()
    ended = delivery_detail(api, auth, pending["id"])
    assert (ended["status"], ended["last_error"]) == ("failed", "subscription_inactive")
    assert [(a["status_code"], a["error"]) for a in ended["attempts"]] == [
        (500, "http_500"), (None, "subscription_inactive")]
    assert len(webhook_receiver.requests) == 1  # only the post made before it was switched off
    move(api, auth("xuly.vpdkdd"), code, "processing")
    assert len(deliveries(api, auth, land["id"])) == 1  # nothing new is announced to it
    refused = api.post(f"/api/v1/webhooks/deliveries/{pending['id']}/replay", headers=auth(ADMIN))
    assert refused.status_code == 409 and refused.json()["code"] == "webhook_inactive"


def test_a_range_of_deliveries_is_replayed_oldest_first(
        api: TestClient, auth: Auth, clock: FixedClock, webhook_receiver: WebhookReceiver) -> None:
    land = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url)
    commune = subscribe(api, auth, TRAN_BIEN, webhook_receiver.url_for("commune"))
    since = clock.now().isoformat()
    codes = []
    for _ in range(3):
        code = _dossier_at_the_commune(api, auth)
        clock.advance(timedelta(minutes=1))
        _transfer(api, auth, code)
        codes.append(code)
    first_three = deliveries(api, auth, land["id"])
    commune_before = deliveries(api, auth, commune["id"])
    dossiers_before = [_dossier(api, auth, c) for c in codes]
    admin, path = auth(ADMIN), f"/api/v1/webhooks/{land['id']}/replay"
    clock.advance(timedelta(hours=1))
    until = first_three[0]["created_at"]  # the newest is left out: [since, until)

    response = api.post(path, json={"since": since, "until": until}, headers=admin)
    assert response.status_code == 202 and response.json() == {"count": 2}
    replays = [r for r in deliveries(api, auth, land["id"]) if r["replay_of"]]
    assert sorted(r["replay_of"] for r in replays) == sorted(d["id"] for d in first_three[1:])
    assert all(r["status"] == "delivered" for r in replays)
    land_posts = webhook_receiver.to("hoso")
    assert [p.header("X-Hoso-Event-Id") for p in land_posts[-2:]] == [d["event_id"] for d in first_three[:0:-1]]
    assert [_dossier(api, auth, c) for c in codes] == dossiers_before
    assert deliveries(api, auth, commune["id"]) == commune_before  # nothing else was announced

    again = api.post(path, json={"since": since}, headers=admin)  # earlier replays are not replayed again
    assert again.status_code == 202 and again.json() == {"count": 3}
    assert api.post(path, json={"since": since, "status": "failed"}, headers=admin).json() == {"count": 0}


def test_replays_refuse_what_cannot_be_replayed(api: TestClient, hooks: Backends, auth: Auth, clock: FixedClock,
                                                webhook_receiver: WebhookReceiver) -> None:
    land = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url)
    webhook_receiver.answer(500)
    _transfer(api, auth, _dossier_at_the_commune(api, auth))
    [pending] = deliveries(api, auth, land["id"])
    admin, path = auth(ADMIN), f"/api/v1/webhooks/{land['id']}/replay"
    since = (clock.now() - timedelta(days=1)).isoformat()
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (f"/api/v1/webhooks/deliveries/{pending['id']}/replay", {}, 409, "delivery_pending"),
        ("/api/v1/webhooks/deliveries/0123456789abcdef/replay", {}, 404, "delivery_not_found"),
        ("/api/v1/webhooks/0123456789abcdef/replay", {"since": since}, 404, "webhook_not_found"),
        (path, {"since": since, "until": since}, 422, "invalid_range"),
        (path, {"since": since, "status": "pending"}, 422, "invalid_replay_status"),
        (path, {"since": "2026-03-01T00:00:00"}, 422, "invalid_request"),  # no time zone
        (path, {}, 422, "invalid_request"),
    ]
    for url, body, status, code in cases:
        response = api.post(url, json=body, headers=admin)
        assert (response.status_code, response.json()["code"]) == (status, code), (url, body, response.text)

    made = clock.now() - timedelta(hours=2)
    with hooks.uow() as uow:  # an outage's worth of failed deliveries
        uow.begin_write()
        uow.webhooks.add_deliveries([
            WebhookDelivery(id=uuid.uuid4().hex, subscription_id=land["id"], event_id=uuid.uuid4().hex,
                            event_type=EventType.DOSSIER_STATE_CHANGED, payload={}, created_at=made,
                            next_attempt_at=made, status=DeliveryStatus.FAILED, attempts=MAX_ATTEMPTS)
            for _ in range(1001)])
        uow.commit()
    too_many = api.post(path, json={"since": since}, headers=admin)
    assert too_many.status_code == 422 and too_many.json()["code"] == "replay_range_too_large"
    assert too_many.json()["detail"] == {"matching": 1001, "limit": 1000}
    assert api.get(f"/api/v1/webhooks/{land['id']}/deliveries", headers=admin).json()["count"] == 1002
    assert len(webhook_receiver.requests) == 1
