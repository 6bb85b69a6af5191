"""Small helpers for API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.support.factories import LAND_FIRST_CERTIFICATE, cccd


def intake(client: TestClient, headers: dict[str, str], *, procedure: str = LAND_FIRST_CERTIFICATE,
           **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"procedure_code": procedure,
                            "applicant": {"name": "Nguyễn Thị Lan", "id_number": cccd(), "phone": "0912000111"},
                            "subject": "Cấp giấy chứng nhận thửa đất số 342, tờ bản đồ số 60"}
    body.update(extra)
    response = client.post("/api/v1/dossiers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def move(client: TestClient, headers: dict[str, str], code: str, to: str, *, version: int | None = None,
         expect: int = 200, **extra: Any) -> dict[str, Any]:
    if version is not None:
        headers = {**headers, "If-Match": f'"{version}"'}
    response = client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": to, **extra}, headers=headers)
    assert response.status_code == expect, response.text
    data: dict[str, Any] = response.json()
    return data
