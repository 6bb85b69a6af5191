"""Fixtures and helpers for the webhook API tests: the app with a short webhook timeout, subscribing, reading
deliveries. Import the fixtures into the test module (`from tests.api.webhook_fixtures import hooks, api`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.jobs import InlineTaskQueue
from infra.webhooks import HttpWebhookSender
from infra.wiring import Backends
from tests.support.webhook_receiver import ReceivedRequest

Auth = Callable[[str], dict[str, str]]
TIMEOUT_SECONDS = 1.0  # a subscriber that takes longer has timed out
ADMIN = "quantri.tinh"


@pytest.fixture
def hooks(backends: Backends) -> Backends:
    """The test's backends with a short webhook timeout; background jobs still run at once, in the request."""
    quick = replace(backends, webhooks=HttpWebhookSender(TIMEOUT_SECONDS))
    quick.tasks = InlineTaskQueue(quick)
    return quick


@pytest.fixture
def api(hooks: Backends) -> Iterator[TestClient]:
    with TestClient(create_app(backends=hooks)) as test_client:
        yield test_client


def subscribe(api: TestClient, auth: Auth, agency_code: str, url: str, **extra: Any) -> dict[str, Any]:
    body = {"name": f"Hệ thống nhận sự kiện của {agency_code}", "agency_code": agency_code, "url": url, **extra}
    response = api.post("/api/v1/webhooks", json=body, headers=auth(ADMIN))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def deliveries(api: TestClient, auth: Auth, webhook_id: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/webhooks/{webhook_id}/deliveries", params=params, headers=auth(ADMIN))
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    assert page["count"] == len(page["data"])
    return list(page["data"])


def delivery_detail(api: TestClient, auth: Auth, delivery_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/webhooks/deliveries/{delivery_id}", headers=auth(ADMIN))
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


def event_of(request: ReceivedRequest) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(request.body)
    return event
