"""Signing in, tokens, and the first administrator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from infra.security import TokenService
from infra.wiring import Backends
from records.access import Principal
from tests.conftest import DEMO_PASSWORD, TEST_SECRET


def login(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    body: dict[str, object] = response.json()
    return response.status_code, body


def test_a_demo_officer_signs_in_and_sees_who_they_are(client: TestClient) -> None:
    status, body = login(client, "tiepnhan.tranbien", DEMO_PASSWORD)
    assert status == 200 and body["token_type"] == "bearer"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert me["agency_code"] == "000.60.01.H19" and me["roles"] == ["reception"]
    assert "000.00.31.H19" in me["reachable_agencies"]  # it inherited Biên Hòa's dossiers


@pytest.mark.parametrize(("username", "password"), [("tiepnhan.tranbien", "wrong-password"),
                                                    ("nobody.here", DEMO_PASSWORD)])
def test_wrong_credentials_get_the_same_answer(client: TestClient, username: str, password: str) -> None:
    status, body = login(client, username, password)
    assert status == 401 and body["code"] == "bad_credentials"


def test_requests_without_a_valid_token_are_refused(client: TestClient, backends: Backends) -> None:
    assert client.get("/api/v1/dossiers").json()["code"] == "unauthenticated"
    bad = client.get("/api/v1/dossiers", headers={"Authorization": "Bearer not.a.token"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_token"
    assert bad.headers["WWW-Authenticate"] == "Bearer"
    principal = Principal("tiepnhan.tranbien", "000.60.01.H19", frozenset())
    expired = TokenService(TEST_SECRET, timedelta(minutes=5)).issue(
        principal, now=datetime.now(UTC) - timedelta(hours=1)).token
    response = client.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.json()["code"] == "token_expired"
    forged = TokenService("another-secret-key-of-enough-length-000000", timedelta(minutes=5)).issue(principal).token
    assert client.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_a_deactivated_account_loses_access_at_once(client: TestClient, backends: Backends) -> None:
    status, body = login(client, "xuly.tranbien", DEMO_PASSWORD)
    assert status == 200
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    from sqlalchemy import update

    from storage.models import UserRow

    with backends.uow() as uow:
        uow.begin_write()
        uow.session.execute(update(UserRow).where(UserRow.username == "xuly.tranbien").values(active=False))
        uow.commit()
    assert client.get("/api/v1/dossiers", headers=headers).status_code == 401
    assert login(client, "xuly.tranbien", DEMO_PASSWORD)[0] == 401


def test_only_an_admin_creates_accounts(client: TestClient, auth: object) -> None:
    assert callable(auth)
    body = {"username": "tiepnhan2.tranbien", "full_name": "Phan Thị Hoa", "agency_code": "000.60.01.H19",
            "roles": ["reception"], "password": "mat-khau-rat-dai"}
    refused = client.post("/api/v1/users", json=body, headers=auth("lanhdao.tranbien"))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    admin = auth("quantri.tinh")
    created = client.post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201 and "password" not in created.text
    again = client.post("/api/v1/users", json=body, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "username_taken"
    dead_agency = client.post("/api/v1/users", json={**body, "username": "x.bienhoa", "agency_code": "000.00.31.H19"},
                              headers=admin)
    assert dead_agency.status_code == 422 and dead_agency.json()["code"] == "unknown_agency"
    assert login(client, "tiepnhan2.tranbien", "mat-khau-rat-dai")[0] == 200
    listed = client.get("/api/v1/users", headers=auth("lanhdao.tranbien")).json()
    assert {u["agency_code"] for u in listed["data"]} == {"000.60.01.H19"}  # a leader sees their own agency


def test_create_admin_command_bootstraps_an_empty_install(tmp_path: object, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from infra.cli import main

    monkeypatch.setenv("HOSO_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOSO_DATABASE_URL", raising=False)
    code = main(["create-admin", "--username", "admin.tinh", "--full-name", "Quản trị viên",
                 "--agency-code", "000.00.00.H19", "--agency-name", "Ủy ban nhân dân tỉnh Đồng Nai",
                 "--password", "mot-mat-khau-dai"])
    assert code == 0 and "admin.tinh" in capsys.readouterr().out
    duplicate = main(["create-admin", "--username", "admin.tinh", "--full-name", "X",
                      "--agency-code", "000.00.00.H19", "--password", "mot-mat-khau-dai"])
    assert duplicate == 1 and "username_taken" in capsys.readouterr().err
