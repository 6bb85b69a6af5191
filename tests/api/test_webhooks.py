"""Outbound webhooks through the API: subscribing, what a subscribed system receives, who may see what."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.settings import Mode
from infra.wiring import Backends
from records.clock import FixedClock
from records.webhooks import SIGNATURE_HEADER, EventType, verify
from tests.api.helpers import intake, move
from tests.api.webhook_fixtures import (
    ADMIN,
    Auth,
    api,
    deliveries,
    delivery_detail,
    event_of,
    hooks,
    subscribe,
)
from tests.support.factories import LAND_OFFICE, TAN_PHU, TRAN_BIEN
from tests.support.webhook_receiver import WebhookReceiver, webhook_receiver

__all__ = ["api", "hooks", "webhook_receiver"]  # fixtures, imported so that pytest finds them here

ALL_EVENT_TYPES = sorted(e.value for e in EventType)


def _transfer_to_land_office(api: TestClient, auth: Auth) -> dict[str, Any]:
    """A land dossier received at phường Trấn Biên, taken into processing and sent to the land office."""
    dossier = intake(api, auth("tiepnhan.tranbien"), applicant={"name": "Nguyễn Thị Lan", "id_number": "075085004321"})
    move(api, auth("tiepnhan.tranbien"), dossier["code"], "processing")
    return move(api, auth("xuly.tranbien"), dossier["code"], "transferred", target_agency_code=LAND_OFFICE)


def test_the_land_office_system_is_told_of_the_transfer_signed_and_without_personal_data(
        api: TestClient, auth: Auth, clock: FixedClock, webhook_receiver: WebhookReceiver) -> None:
    """GIVEN a subscription for the land office and one for an unrelated commune
    WHEN a land dossier received at Trấn Biên is transferred to the land office
    THEN the land office's system gets one signed `dossier.state_changed` that names no applicant,
    and the commune's system gets nothing."""
    land = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url_for("land"))
    subscribe(api, auth, TAN_PHU, webhook_receiver.url_for("tanphu"))
    assert land["secret"].startswith("whsec_") and land["event_types"] == ALL_EVENT_TYPES
    assert land["active"] is True and land["created_by"] == ADMIN and land["agency_code"] == LAND_OFFICE

    moved = _transfer_to_land_office(api, auth)

    [request] = webhook_receiver.requests  # received and taken into processing before the land office took part
    assert request.path == "/hooks/land" and request.method == "POST"
    assert request.header("Content-Type") == "application/json; charset=utf-8"
    assert verify(land["secret"], request.header(SIGNATURE_HEADER) or "", request.body,
                  now=int(clock.now().timestamp()))
    assert not verify(land["secret"], request.header(SIGNATURE_HEADER) or "", request.body + b" ",
                      now=int(clock.now().timestamp()))
    event = event_of(request)
    assert request.header("X-Hoso-Event") == event["type"] == "dossier.state_changed"
    assert request.header("X-Hoso-Event-Id") == event["id"]
    assert event["dossier"]["code"] == moved["code"] and event["dossier"]["state"] == "transferred"
    assert event["dossier"]["holder_agency_code"] == LAND_OFFICE
    assert event["dossier"]["receiving_agency_code"] == TRAN_BIEN
    assert event["data"] == {"from_state": "processing", "to_state": "transferred",
                             "target_agency_code": LAND_OFFICE, "actor_agency_code": TRAN_BIEN}
    text = request.body.decode()
    assert "Nguyễn Thị Lan" not in text and "075085004321" not in text and "applicant" not in text

    [sent] = deliveries(api, auth, land["id"])
    assert request.header("X-Hoso-Delivery") == sent["id"] and sent["event_id"] == event["id"]
    assert (sent["status"], sent["attempts"], sent["last_status_code"], sent["last_error"]) == (
        "delivered", 1, 200, None)
    assert sent["payload"] == event and sent["replay_of"] is None
    detail = delivery_detail(api, auth, sent["id"])
    assert [(a["status_code"], a["error"]) for a in detail["attempts"]] == [(200, None)]


def test_a_subscription_gets_only_the_event_types_it_chose(api: TestClient, auth: Auth,
                                                           webhook_receiver: WebhookReceiver) -> None:
    subscribe(api, auth, TRAN_BIEN, webhook_receiver.url, event_types=["dossier.received"])
    moved = _transfer_to_land_office(api, auth)
    assert [(r.header("X-Hoso-Event"), event_of(r)["dossier"]["code"]) for r in webhook_receiver.requests] == [
        ("dossier.received", moved["code"])]


def test_the_secret_is_shown_once_and_rotating_it_signs_what_follows(
        api: TestClient, auth: Auth, clock: FixedClock, webhook_receiver: WebhookReceiver) -> None:
    created = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url)
    admin = auth(ADMIN)
    listed = api.get("/api/v1/webhooks", headers=admin).json()
    one = api.get(f"/api/v1/webhooks/{created['id']}", headers=admin).json()
    assert listed["count"] == 1 and "secret" not in listed["data"][0] and "secret" not in one
    assert created["secret"] not in str(listed) + str(one)

    rotated = api.post(f"/api/v1/webhooks/{created['id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != created["secret"] and rotated.json()["id"] == created["id"]
    _transfer_to_land_office(api, auth)
    [request] = webhook_receiver.requests
    header, now = request.header(SIGNATURE_HEADER) or "", int(clock.now().timestamp())
    assert verify(new_secret, header, request.body, now=now)
    assert not verify(created["secret"], header, request.body, now=now)


def test_an_administrator_changes_a_subscription(api: TestClient, auth: Auth,
                                                 webhook_receiver: WebhookReceiver) -> None:
    created = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url)
    response = api.patch(f"/api/v1/webhooks/{created['id']}", headers=auth(ADMIN), json={
        "name": "Đăng ký đất đai — máy chủ mới", "url": webhook_receiver.url_for("v2"),
        "event_types": ["share.granted", "dossier.state_changed"]})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["name"] == "Đăng ký đất đai — máy chủ mới" and changed["url"].endswith("/hooks/v2")
    assert changed["event_types"] == ["dossier.state_changed", "share.granted"] and changed["active"] is True
    assert api.get(f"/api/v1/webhooks/{created['id']}", headers=auth(ADMIN)).json() == changed
    _transfer_to_land_office(api, auth)
    assert [r.path for r in webhook_receiver.requests] == ["/hooks/v2"]


def test_who_may_see_and_manage_subscriptions(api: TestClient, auth: Auth, webhook_receiver: WebhookReceiver) -> None:
    """Administrators manage every subscription; a leader reads their agency's; everyone else is refused, and
    what a caller may not see is answered as if it did not exist."""
    land = subscribe(api, auth, LAND_OFFICE, webhook_receiver.url)
    commune = subscribe(api, auth, TAN_PHU, webhook_receiver.url)
    _transfer_to_land_office(api, auth)
    [sent] = deliveries(api, auth, land["id"])
    land_leader, other_leader, officer = auth("lanhdao.vpdkdd"), auth("lanhdao.tranbien"), auth("xuly.vpdkdd")

    mine = api.get("/api/v1/webhooks", headers=land_leader).json()
    assert [w["id"] for w in mine["data"]] == [land["id"]] and mine["count"] == 1
    assert api.get("/api/v1/webhooks", params={"agency_code": TAN_PHU}, headers=land_leader).json()["count"] == 0
    assert api.get(f"/api/v1/webhooks/{land['id']}", headers=land_leader).status_code == 200
    assert api.get(f"/api/v1/webhooks/{land['id']}/deliveries", headers=land_leader).json()["count"] == 1
    assert api.get(f"/api/v1/webhooks/deliveries/{sent['id']}", headers=land_leader).status_code == 200
    everything = api.get("/api/v1/webhooks", headers=auth(ADMIN)).json()
    assert {w["id"] for w in everything["data"]} == {land["id"], commune["id"]}

    for path, code, key, asked in [
        (f"/api/v1/webhooks/{land['id']}", "webhook_not_found", "webhook_id", land["id"]),
        (f"/api/v1/webhooks/{land['id']}/deliveries", "webhook_not_found", "webhook_id", land["id"]),
        (f"/api/v1/webhooks/deliveries/{sent['id']}", "delivery_not_found", "delivery_id", sent["id"]),
        ("/api/v1/webhooks/0123456789abcdef0123456789abcdef", "webhook_not_found", "webhook_id",
         "0123456789abcdef0123456789abcdef"),
        ("/api/v1/webhooks/deliveries/nope", "delivery_not_found", "delivery_id", "nope"),
    ]:
        refused = api.get(path, headers=other_leader if asked != "nope" else auth(ADMIN))
        assert refused.status_code == 404, path
        assert refused.json()["code"] == code and refused.json()["detail"] == {key: asked}
        assert land["url"] not in refused.text and "secret" not in refused.text

    for method, path in [("post", "/api/v1/webhooks"), ("patch", f"/api/v1/webhooks/{land['id']}"),
                         ("post", f"/api/v1/webhooks/{land['id']}/rotate-secret"),
                         ("post", f"/api/v1/webhooks/deliveries/{sent['id']}/replay"),
                         ("post", f"/api/v1/webhooks/{land['id']}/replay")]:
        body = {"name": "x", "agency_code": LAND_OFFICE, "url": "https://a.vn/"} if path.endswith("webhooks") else (
            {"since": "2026-03-01T00:00:00+07:00"} if path.endswith("/replay") else {})
        for headers in (land_leader, officer):
            response = api.request(method.upper(), path, json=body, headers=headers)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["code"] == "forbidden"
    assert api.get("/api/v1/webhooks", headers=officer).status_code == 403
    assert api.get("/api/v1/webhooks").status_code == 401
    assert api.get("/api/v1/webhooks", headers=auth(ADMIN)).json() == everything  # nothing changed
    assert len(deliveries(api, auth, land["id"])) == 1


@pytest.mark.parametrize(("changes", "code"), [
    ({"url": "ftp://files.dongnai.gov.vn/in"}, "invalid_webhook_url"),
    ({"url": "https://quantri:matkhau@dangky.dongnai.gov.vn/"}, "invalid_webhook_url"),
    ({"url": "https://dangky.dongnai.gov.vn/" + "x" * 2000}, "invalid_webhook_url"),
    ({"event_types": ["dossier.state_changed", "dossier.deleted"]}, "unknown_event_type"),
    ({"event_types": []}, "event_types_required"),
    ({"agency_code": "999.99.99.H19"}, "unknown_agency"),
    ({"agency_code": "000.00.31.H19"}, "unknown_agency"),  # Biên Hòa, abolished
    ({"name": "   "}, "invalid_name"),
    ({"name": ""}, "invalid_request"),
    ({"secret": "whsec_chosen-by-the-caller"}, "invalid_request"),
])
def test_bad_subscriptions_are_refused_and_nothing_is_written(api: TestClient, auth: Auth,
                                                              changes: dict[str, Any], code: str) -> None:
    body = {"name": "Đăng ký đất đai", "agency_code": LAND_OFFICE, "url": "https://dangky.dongnai.gov.vn/hoso",
            **changes}
    response = api.post("/api/v1/webhooks", json=body, headers=auth(ADMIN))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert "matkhau" not in response.text
    assert api.get("/api/v1/webhooks", headers=auth(ADMIN)).json() == {"data": [], "count": 0}


def test_a_bad_change_is_refused_and_the_subscription_stays_as_it_was(api: TestClient, auth: Auth) -> None:
    created = subscribe(api, auth, LAND_OFFICE, "https://dangky.dongnai.gov.vn/hoso")
    path, admin = f"/api/v1/webhooks/{created['id']}", auth(ADMIN)
    before = api.get(path, headers=admin).json()
    for body in ({"url": "gopher://dangky.dongnai.gov.vn/", "name": "đổi tên"}, {"event_types": ["nope"]},
                 {"event_types": []}, {"agency_code": TAN_PHU}):
        response = api.patch(path, json=body, headers=admin)
        assert response.status_code == 422, response.text
    assert api.get(path, headers=admin).json() == before


def test_production_wants_https_except_on_the_machine_itself(hooks: Backends, auth: Auth) -> None:
    production = hooks.settings.model_copy(update={"mode": Mode.PRODUCTION})
    with TestClient(create_app(backends=replace(hooks, settings=production))) as client:
        def create(url: str) -> Any:
            return client.post("/api/v1/webhooks", headers=auth(ADMIN),
                               json={"name": "Đất đai", "agency_code": LAND_OFFICE, "url": url})

        refused = create("http://10.0.0.5:8080/hoso")
        assert refused.status_code == 422 and refused.json()["detail"] == {"reason": "https_required"}
        assert create("http://127.0.0.1:8080/hoso").status_code == 201
        assert create("https://dangky.dongnai.gov.vn/hoso").status_code == 201
