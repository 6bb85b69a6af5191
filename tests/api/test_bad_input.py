"""Bad input gets a clear error with a machine-readable code, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from records.clock import FixedClock
from tests.api.helpers import intake, move
from tests.support.factories import MONDAY_9AM, cccd

Auth = Callable[[str], dict[str, str]]


def _count(client: TestClient, headers: dict[str, str]) -> int:
    count: int = client.get("/api/v1/dossiers", headers=headers).json()["count"]
    return count


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"procedure_code": "1.012756", "applicant": {"name": "Lê Văn Tám", "id_number": cccd()}}
    body.update(changes)
    return body


@pytest.mark.parametrize(("changes", "status", "code"), [
    ({"procedure_code": "9.999999"}, 422, "unknown_procedure"),
    ({"procedure_code": "1.001695"}, 422, "unknown_procedure"),  # a draft, not published
    ({"procedure_code": "1.012809"}, 422, "procedure_not_configured"),  # published, no route yet
    ({"procedure_code": "1.009974"}, 422, "procedure_not_received_here"),  # Sở Xây dựng's procedure
    ({"agency_code": "000.60.09.H19"}, 403, "foreign_desk"),
    ({"applicant": {"name": "Lê Văn Tám", "id_number": "07508500123"}}, 422, "invalid_id_number"),
    ({"applicant": {"name": "Lê Văn Tám", "id_number": "999085001234"}}, 422, "invalid_id_number"),
    ({"applicant": {"kind": "organisation", "name": "Công ty TNHH Đồng Nai", "id_number": "3600252848"}},
     422, "invalid_id_number"),  # wrong check digit
    ({"applicant": {"name": "  ", "id_number": "075085001234"}}, 422, "applicant_name_required"),
    ({"received_at": (MONDAY_9AM + timedelta(days=1)).isoformat()}, 422, "received_in_future"),
    ({"received_at": "2026-03-02T08:00:00"}, 422, "invalid_request"),  # no timezone
    ({"channel": "fax"}, 422, "invalid_request"),
    ({"unexpected": 1}, 422, "invalid_request"),
])
def test_intake_refuses_bad_input_and_writes_nothing(client: TestClient, auth: Auth, changes: dict[str, Any],
                                                     status: int, code: str) -> None:
    desk = auth("tiepnhan.tranbien")
    response = client.post("/api/v1/dossiers", json=_body(**changes), headers=desk)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["code"] == code and error["message"]
    assert _count(client, desk) == 0


def test_a_valid_organisation_tax_code_is_accepted(client: TestClient, auth: Auth) -> None:
    from records.identifiers import tax_code_check_digit

    first_nine = "360025284"
    tax_code = first_nine + str(tax_code_check_digit(first_nine))
    created = intake(client, auth("tiepnhan.tranbien"),
                     applicant={"kind": "organisation", "name": "Công ty TNHH Biên Hòa", "id_number": tax_code})
    assert created["applicant"]["kind"] == "organisation"


def test_messages_follow_accept_language(client: TestClient, auth: Auth) -> None:
    headers = auth("tiepnhan.tranbien")
    body = _body(procedure_code="9.999999")
    vi = client.post("/api/v1/dossiers", json=body, headers=headers).json()
    en = client.post("/api/v1/dossiers", json=body, headers={**headers, "Accept-Language": "en-US"}).json()
    assert vi["code"] == en["code"] == "unknown_procedure"
    assert "Thủ tục không tồn tại" in vi["message"] and "does not exist" in en["message"]


def test_malformed_and_oversized_json(client: TestClient, auth: Auth) -> None:
    headers = {**auth("tiepnhan.tranbien"), "Content-Type": "application/json"}
    malformed = client.post("/api/v1/dossiers", content=b'{"procedure_code": ', headers=headers)
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_json"
    huge = b'{"subject": "' + b"x" * 2_000_000 + b'"}'
    oversized = client.post("/api/v1/dossiers", content=huge, headers=headers)
    assert oversized.status_code == 413 and oversized.json()["code"] == "payload_too_large"

    def chunks() -> Any:
        yield b'{"subject": "'
        for _ in range(40):
            yield b"y" * 50_000
        yield b'"}'

    streamed = client.post("/api/v1/dossiers", content=chunks(), headers=headers)
    assert streamed.status_code == 413
    assert _count(client, headers) == 0


def test_illegal_transitions_say_what_is_allowed(client: TestClient, auth: Auth) -> None:
    desk = auth("tiepnhan.tranbien")
    code = intake(client, desk)["code"]
    error = move(client, auth("lanhdao.tranbien"), code, "result_returned", expect=409)
    assert error["code"] == "invalid_transition"
    assert set(error["detail"]["allowed"]) == {"processing", "transferred", "supplement_requested", "refused",
                                               "withdrawn"}
    role = move(client, desk, code, "resolved", expect=409)  # not allowed from received at all
    assert role["code"] == "invalid_transition"
    move(client, desk, code, "processing")
    forbidden = move(client, desk, code, "resolved", expect=403)  # reception may not resolve
    assert forbidden["code"] == "role_not_allowed"
    unknown = move(client, desk, code, "teleported", expect=422)
    assert unknown["code"] == "invalid_request"
    history = client.get(f"/api/v1/dossiers/{code}/history", headers=desk).json()
    assert history["count"] == 3


def test_transfers_to_nowhere_or_to_itself_are_refused(client: TestClient, auth: Auth) -> None:
    officer = auth("xuly.tranbien")
    code = intake(client, auth("tiepnhan.tranbien"))["code"]
    nowhere = move(client, officer, code, "transferred", target_agency_code="000.99.99.H19", expect=422)
    assert nowhere["code"] == "unknown_target_agency"
    abolished = move(client, officer, code, "transferred", target_agency_code="000.00.31.H19", expect=422)
    assert abolished["code"] == "unknown_target_agency"
    itself = move(client, officer, code, "transferred", target_agency_code="000.60.01.H19", expect=422)
    assert itself["code"] == "transfer_to_self"
    off_route = move(client, officer, code, "transferred", target_agency_code="000.00.05.H19", expect=422)
    assert off_route["code"] == "off_route_reason_required"
    dossier = client.get(f"/api/v1/dossiers/{code}", headers=officer).json()
    assert dossier["state"] == "received" and dossier["version"] == 1


def test_stale_writes_get_412_and_lose_nothing(client: TestClient, auth: Auth, clock: FixedClock) -> None:
    """GIVEN two officers who loaded version 1 WHEN the first moves it THEN the second gets 412."""
    desk, leader = auth("tiepnhan.tranbien"), auth("lanhdao.tranbien")
    code = intake(client, desk)["code"]
    etag = client.get(f"/api/v1/dossiers/{code}", headers=desk).headers["ETag"]
    assert etag == '"1"'
    first = client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": "processing"},
                        headers={**desk, "If-Match": etag})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    second = client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": "refused", "note": "thiếu giấy tờ"},
                         headers={**leader, "If-Match": etag})
    assert second.status_code == 412 and second.json()["code"] == "stale_version"
    assert second.json()["detail"]["current_version"] == 2
    garbage = client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": "refused"},
                          headers={**leader, "If-Match": "yesterday"})
    assert garbage.status_code == 428 and garbage.json()["code"] == "precondition_required"
    assert client.get(f"/api/v1/dossiers/{code}", headers=desk).json()["state"] == "processing"


def test_unknown_routes_and_methods_use_the_error_model(client: TestClient, auth: Auth) -> None:
    headers = auth("tiepnhan.tranbien")
    missing = client.get("/api/v1/nothing-here", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    method = client.delete("/api/v1/dossiers", headers=headers)
    assert method.status_code == 405 and method.json()["code"] == "method_not_allowed"
    page = client.get("/api/v1/dossiers?limit=5000", headers=headers)
    assert page.status_code == 422 and page.json()["code"] == "invalid_request"
