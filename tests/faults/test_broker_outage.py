"""The broker goes down: requests still succeed, the outbox keeps the work, and it runs when the broker is back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from infra.demo import load_demo
from infra.demo_lien_thong import text_pdf
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.services.catalogue import load_principal
from storage.models import OutboxRow
from tests.support.databases import fresh_database
from tests.support.factories import LAND_FIRST_CERTIFICATE, cccd
from tests.support.redis_server import OwnRedis

SECRET = "outage-test-secret-key-0123456789abcdef"
pytestmark = pytest.mark.slow


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def _worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOSO_DATABASE_URL": settings.effective_database_url, "HOSO_DATA_DIR": str(settings.data_dir),
           "HOSO_SECRET_KEY": SECRET, "HOSO_CELERY_BROKER_URL": settings.celery_broker_url, "HOSO_LOG_LEVEL": "INFO"}
    return subprocess.Popen([sys.executable, "-m", "infra.cli", "worker", "--beat", "--concurrency", "1"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _pending(backends: Backends) -> list[OutboxRow]:
    with backends.session_factory() as session:
        return list(session.scalars(select(OutboxRow).where(OutboxRow.dispatched_at.is_(None))))


def test_intake_transition_and_upload_succeed_with_redis_down_and_their_work_runs_when_it_returns(
        own_redis: OwnRedis, tmp_path: Path) -> None:
    """GIVEN a deployment on Redis WHEN Redis stops and an officer receives a dossier, moves it and uploads a paper
    THEN each request succeeds and the outbox keeps the work; WHEN Redis returns THEN a worker indexes the paper."""
    with fresh_database("sqlite", tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key=SECRET, celery_broker_url=own_redis.url)
        backends = build_backends(settings)
        worker = None
        try:
            load_demo(backends, password="outage-test-password", with_dossiers=False)
            token = backends.tokens.issue(load_principal(uow=backends.uow(), username="tiepnhan.tranbien")).token
            headers = {"Authorization": f"Bearer {token}"}
            own_redis.stop()
            with TestClient(create_app(backends=backends)) as client:
                intake = client.post("/api/v1/dossiers", headers=headers, json={
                    "procedure_code": LAND_FIRST_CERTIFICATE,
                    "applicant": {"name": "Nguyễn Thị Lan", "id_number": cccd(), "phone": "0912000111"}})
                assert intake.status_code == 201, intake.text
                code = intake.json()["code"]
                moved = client.post(f"/api/v1/dossiers/{code}/transitions", json={"to": "processing"},
                                    headers={**headers, "If-Match": intake.headers["ETag"]})
                assert moved.status_code == 200, moved.text
                upload = client.post(f"/api/v1/dossiers/{code}/documents", headers=headers,
                                     files={"file": ("don.pdf", text_pdf([["ĐƠN ĐỀ NGHỊ CẤP GIẤY CHỨNG NHẬN"]]),
                                                     "application/pdf")})
                assert upload.status_code == 202, upload.text
                document_id = upload.json()["id"]
                pending = _pending(backends)
                kinds = {(row.kind, row.payload) for row in pending}
                assert ("process_document", f'{{"document_id":"{document_id}"}}') in kinds
                assert ("index_dossier", f'{{"dossier_code":"{code}"}}') in kinds
                assert all(row.last_error for row in pending if row.attempts), "a failed send says why"
                assert client.get(f"/api/v1/documents/{document_id}", headers=headers).json()["status"] == "queued"

                own_redis.start()
                worker = _worker(settings)
                deadline = time.monotonic() + 120
                status = "queued"
                while time.monotonic() < deadline and status != "indexed":
                    time.sleep(0.5)
                    status = client.get(f"/api/v1/documents/{document_id}", headers=headers).json()["status"]
                assert status == "indexed"
                while time.monotonic() < deadline and _pending(backends):
                    time.sleep(0.2)  # the sender marks a message sent just after the send: the task may be faster
                assert not _pending(backends), "every piece of recorded work was sent"
                found = ""
                while time.monotonic() < deadline and code not in found:
                    found = client.get("/api/v1/search", params={"q": "giấy chứng nhận"}, headers=headers).text
                    time.sleep(0.2)  # the API's index reader picks up the worker's commit on its next reload
                assert code in found, "the paper's text is searchable"
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.communicate()
            backends.close()
