"""The whole document flow with a separate worker process, on both deployments:

- embedded: SQLite, the file queue in the data dir, blobs in a local directory;
- production: PostgreSQL, Redis as broker, an S3 server (moto_server) for blobs.

A scanned Vietnamese page is uploaded through the API; the worker reads it; a diacritic-less search finds it
on its page within seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.services.catalogue import load_principal
from tests.support.databases import fresh_database
from tests.support.factories import LAND_FIRST_CERTIFICATE, cccd
from tests.support.papers import corpus_scan
from tests.support.s3_server import S3_ACCESS_KEY, S3_SECRET_KEY, s3_server

__all__ = ["s3_server"]
REDIS_URL = os.environ.get("HOSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
SECRET = "document-flow-secret-key-0123456789abcdef"
PASSWORD = "document-flow-password"


def _environment(settings: Settings) -> dict[str, str]:
    env = {**os.environ, "HOSO_DATABASE_URL": settings.effective_database_url, "HOSO_DATA_DIR": str(settings.data_dir),
           "HOSO_SECRET_KEY": SECRET, "HOSO_CELERY_BROKER_URL": settings.celery_broker_url,
           "HOSO_S3_ENDPOINT": settings.s3_endpoint, "HOSO_S3_ACCESS_KEY": settings.s3_access_key,
           "HOSO_S3_SECRET_KEY": settings.s3_secret_key, "HOSO_S3_BUCKET": settings.s3_bucket,
           "HOSO_LOG_LEVEL": "INFO"}
    env.pop("HOSO_TASKS", None)
    return env


@pytest.fixture(params=["embedded", pytest.param("production", marks=pytest.mark.postgres)])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Backends, subprocess.Popen[bytes]]]:
    production = request.param == "production"
    extra: dict[str, Any] = {}
    if production:
        redis.Redis.from_url(REDIS_URL).flushdb()
        endpoint = request.getfixturevalue("s3_server")
        extra = {"celery_broker_url": REDIS_URL, "s3_endpoint": endpoint, "s3_access_key": S3_ACCESS_KEY,
                 "s3_secret_key": S3_SECRET_KEY, "s3_bucket": f"hoso-e2e-{os.getpid()}"}
    with fresh_database("postgres" if production else "sqlite", tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key=SECRET, **extra)
        backends = build_backends(settings)
        load_demo(backends, password=PASSWORD, with_dossiers=False)
        worker = subprocess.Popen([sys.executable, "-m", "infra.cli", "worker"], env=_environment(settings),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            yield backends, worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
            backends.close()


def _wait_for(check: Any, *, seconds: float, what: str, worker: subprocess.Popen[bytes]) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if worker.poll() is not None:
            output = worker.stdout.read().decode(errors="replace") if worker.stdout else ""
            pytest.fail(f"the worker stopped while waiting for {what}:\n{output[-4000:]}")
        time.sleep(0.3)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


def test_a_scan_uploaded_through_the_api_is_found_by_a_folded_query(
        stack: tuple[Backends, subprocess.Popen[bytes]]) -> None:
    backends, worker = stack
    desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
    headers = {"Authorization": f"Bearer {backends.tokens.issue(desk).token}"}
    with TestClient(create_app(backends=backends)) as client:
        dossier = client.post("/api/v1/dossiers", headers=headers, json={
            "procedure_code": LAND_FIRST_CERTIFICATE,
            "applicant": {"name": "Lê Thị Hoa", "id_number": cccd()}}).json()
        scan, _truth = corpus_scan("dev-0001")
        started = time.monotonic()
        uploaded = client.post(f"/api/v1/dossiers/{dossier['code']}/documents", headers=headers,
                               files={"file": ("giay-xac-nhan.pdf", scan, "application/pdf")}).json()
        assert uploaded["status"] == "queued"

        def indexed() -> dict[str, Any] | None:
            document: dict[str, Any] = client.get(uploaded["links"]["self"], headers=headers).json()
            assert document["status"] != "failed", document
            return document if document["status"] == "indexed" else None

        document = _wait_for(indexed, seconds=120, what="the document to be indexed", worker=worker)

        def found() -> dict[str, Any] | None:
            # Words that only the scan holds (its subject line), typed without diacritics.
            result: dict[str, Any] = client.get("/api/v1/search", params={"q": "hoan canh gia dinh kho khan"},
                                                headers=headers).json()
            return result if result["count"] else None

        result = _wait_for(found, seconds=30, what="the search to find it", worker=worker)
        elapsed = time.monotonic() - started
    assert result["data"][0]["dossier_code"] == dossier["code"]
    assert result["data"][0]["highlights"][0] == {**result["data"][0]["highlights"][0],
                                                  "document_id": document["id"], "page_number": 1}
    assert document["links"]["searchable_pdf"] is not None
    assert elapsed < 120
