"""Out-of-range input gets 422 with the house error model, never 500: offsets and ids past what the database holds,
dates outside the working-day calendar (1800-2199) and the search index (1677-2262)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import intake

Auth = Callable[[str], dict[str, str]]
DESK = "tiepnhan.tranbien"
HUGE = str(2**70)


@pytest.mark.parametrize("path", [
    f"/api/v1/dossiers?offset={HUGE}", f"/api/v1/dossiers/late?offset={HUGE}", f"/api/v1/access-log?offset={HUGE}",
    f"/api/v1/shares/received?offset={HUGE}", f"/api/v1/search?offset={HUGE}", "/api/v1/dossiers?limit=100000",
    "/api/v1/search?received_from=0001-01-01", "/api/v1/search?received_to=9999-12-31",
    "/api/v1/dossiers?received_from=0001-01-01", "/api/v1/stats/timeliness?received_from=1799-12-31",
    "/api/v1/access-log?since=9999-12-31", "/api/v1/archive/retention/due?due_before=0001-01-01",
])
def test_huge_offsets_and_impossible_dates_in_queries(client: TestClient, auth: Auth, path: str) -> None:
    response = client.get(path, headers=auth("luutru.tranbien" if "archive" in path else DESK))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"


def test_ids_past_the_database_integer(client: TestClient, auth: Auth) -> None:
    for alert_id in (HUGE, "2147483648", "0"):
        response = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=auth(DESK))
        assert response.status_code == 422, response.text


def test_an_extension_to_year_9999_or_a_share_until_year_1(client: TestClient, auth: Auth) -> None:
    code = intake(client, auth(DESK))["code"]
    far = client.post(f"/api/v1/dossiers/{code}/extensions", headers=auth("xuly.tranbien"),
                      json={"new_due_at": "9999-12-31T10:00:00+07:00", "reason": "Chờ xác minh"})
    assert far.status_code == 422, far.text
    back = client.post("/api/v1/dossiers", headers=auth(DESK), json={
        "procedure_code": "1.012756", "subject": "x", "received_at": "0001-01-01T00:00:00+00:00",
        "applicant": {"name": "Nguyễn Thị Lan", "id_number": "075185000001"}})
    assert back.status_code == 422, back.text


def test_the_openapi_document_states_the_ranges(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    params = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/search"]["get"]["parameters"]}
    received_from = next(s for s in params["received_from"]["anyOf"] if s.get("format") == "date")
    assert received_from["formatMinimum"] == "1900-01-01" and received_from["formatMaximum"] == "2190-12-31"
    dossiers = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/dossiers"]["get"]["parameters"]}
    assert dossiers["offset"]["maximum"] == 10_000_000


LONG = "x" * 10_000


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/users", {"username": LONG, "full_name": "A", "agency_code": "000.00.00.H19", "roles": ["admin"],
                       "password": "long-enough-password"}, "username"),
    ("/api/v1/agencies/import", [{"code": "X.1", "name": LONG, "level": "province"}], "name"),
    ("/api/v1/procedures/import", [{"code": "9.999999", "name": "Thủ tục", "field": LONG, "level": "province",
                                    "processing_days": 5}], "field"),
    ("/api/v1/procedures/import", [{"code": "9.999999", "name": "Thủ tục", "field": "Đất đai", "level": "province",
                                    "processing_days": 1e300}], "processing_days"),
])
def test_over_long_strings_and_huge_numbers_in_bodies(client: TestClient, auth: Auth, path: str,
                                                      body: object, field: str) -> None:
    """Checked against the columns they go to (PostgreSQL refuses over-long text; SQLite would keep it); the same
    bodies with sensible values are accepted (tests/api/test_catalogue.py); an over-long webhook URL has its own
    code, `invalid_webhook_url` (tests/api/test_webhooks.py)."""
    response = client.post(path, json=body, headers=auth("quantri.tinh"))
    assert response.status_code == 422, response.text
    assert [error["loc"][-1] for error in response.json()["detail"]["errors"]] == [field]
