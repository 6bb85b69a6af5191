from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from infra.wiring import Backends


def test_liveness_and_readiness(database: Backends) -> None:
    with TestClient(create_app(backends=database)) as client:
        assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert {name: check["status"] for name, check in ready.json()["checks"].items()} == {
            "database": "ok", "blobs": "ok", "search": "ok", "broker": "ok"}


def test_readiness_fails_when_the_schema_is_missing(tmp_path: object) -> None:
    from infra.settings import Settings
    from infra.wiring import build_backends

    settings = Settings(database_url=f"sqlite:///{tmp_path}/empty.sqlite3", data_dir=tmp_path)
    backends = build_backends(settings)
    try:
        with TestClient(create_app(backends=backends)) as client:
            response = client.get("/readyz")
        assert response.status_code == 503 and response.json()["status"] == "unavailable"
        assert response.json()["checks"]["database"]["code"] == "schema_missing"
    finally:
        backends.close()


def test_openapi_documents_the_error_model(database: Backends) -> None:
    with TestClient(create_app(backends=database)) as client:
        spec = client.get("/openapi.json").json()
    assert "/api/v1/dossiers/{code}/transitions" in spec["paths"]
    assert "ErrorPublic" in spec["components"]["schemas"]
    assert client is not None
