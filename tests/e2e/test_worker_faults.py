"""Workers under faults, with real worker processes on both deployments (SQLite + the file queue; PostgreSQL +
Redis): a worker killed with -9 mid-OCR, a large document ahead of a one-page scan, a stuck document retried.

The lease and the sweep are made short through settings so that each test takes seconds, not minutes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.blobs import SEARCHABLE_PDF, derived_key
from records.documents import Document, DocumentStatus
from records.services.catalogue import load_principal
from tests.support.databases import fresh_database
from tests.support.factories import LAND_FIRST_CERTIFICATE, cccd
from tests.support.processes import (
    alive,
    cheap_scan_pdf,
    corpus_scans_pdf,
    descendants,
    kill_group,
    start_worker,
    stop_group,
)

REDIS_URL = os.environ.get("HOSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
SECRET = "worker-faults-secret-key-0123456789abcdef"
PASSWORD = "worker-faults-password"
FAST = {"document_lease_seconds": 4.0, "stuck_sweep_seconds": 2.0, "ocr_chunk_pages": 2, "ocr_chunk_seconds": 30.0}


class Stack:
    def __init__(self, settings: Settings, backends: Backends, log: Path) -> None:
        self.settings, self.backends, self.log = settings, backends, log
        self.workers: list[subprocess.Popen[bytes]] = []
        desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
        self.headers = {"Authorization": f"Bearer {backends.tokens.issue(desk).token}"}
        self.client = TestClient(create_app(backends=backends))

    def env(self) -> dict[str, str]:
        env = {**os.environ, "HOSO_DATABASE_URL": self.settings.effective_database_url,
               "HOSO_DATA_DIR": str(self.settings.data_dir), "HOSO_SECRET_KEY": SECRET,
               "HOSO_CELERY_BROKER_URL": self.settings.celery_broker_url, "HOSO_LOG_LEVEL": "INFO"}
        env.update({f"HOSO_{name.upper()}": str(getattr(self.settings, name)) for name in FAST})
        env.pop("HOSO_TASKS", None)
        return env

    def start_worker(self) -> subprocess.Popen[bytes]:
        worker = start_worker(self.env(), log=self.log)
        self.workers.append(worker)
        return worker

    def upload(self, dossier_code: str, name: str, content: bytes) -> str:
        response = self.client.post(f"/api/v1/dossiers/{dossier_code}/documents", headers=self.headers,
                                    files={"file": (name, content, "application/pdf")})
        assert response.status_code in {201, 202}, response.text
        document_id: str = response.json()["id"]
        return document_id

    def new_dossier(self) -> str:
        response = self.client.post("/api/v1/dossiers", headers=self.headers, json={
            "procedure_code": LAND_FIRST_CERTIFICATE, "applicant": {"name": "Lê Thị Hoa", "id_number": cccd()}})
        code: str = response.json()["code"]
        return code

    def document(self, document_id: str) -> Document:
        with self.backends.uow() as uow:
            document = uow.documents.get(document_id)
        assert document is not None
        return document

    def wait_for(self, check: Callable[[], Any], *, seconds: float, what: str) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.2)
        pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}:\n"
                    f"{self.log.read_text(errors='replace')[-4000:] if self.log.exists() else ''}")


@contextmanager
def _running(tmp_path: Path, broker: str) -> Iterator[Stack]:
    with fresh_database("postgres" if broker else "sqlite", tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key=SECRET, celery_broker_url=broker,
                            **FAST)  # type: ignore[arg-type]
        backends = build_backends(settings)
        load_demo(backends, password=PASSWORD, with_dossiers=False)
        running = Stack(settings, backends, tmp_path / "worker.log")
        try:
            yield running
        finally:
            for worker in running.workers:
                stop_group(worker)
            running.client.close()
            backends.close()


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.postgres)])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    """Both deployments: SQLite + the file queue (embedded), PostgreSQL + Redis."""
    broker = ""
    if request.param == "redis":
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
        except redis.RedisError as exc:
            if os.environ.get("CI"):
                raise
            pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
        broker = REDIS_URL
    with _running(tmp_path, broker) as running:
        yield running


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Stack]:
    """The embedded install only: the tighter case for scheduling (one worker process, the file queue)."""
    with _running(tmp_path, "") as running:
        yield running


@pytest.mark.slow
def test_a_worker_killed_mid_ocr_still_ends_with_the_document_indexed_once(stack: Stack) -> None:
    """GIVEN a four-page scan being read by a worker WHEN the worker and its children are killed with -9 THEN a new
    worker's sweeper re-queues the stuck document, which resumes and ends indexed with one set of page texts,
    one searchable PDF of four pages and one search entry, well within five minutes."""
    dossier = stack.new_dossier()
    worker = stack.start_worker()
    document_id = stack.upload(dossier, "bon-trang.pdf", corpus_scans_pdf(["dev-0001", "dev-0002", "dev-0003",
                                                                           "dev-0004"]))
    stack.wait_for(lambda: stack.document(document_id).status is DocumentStatus.OCR, seconds=120, what="OCR")
    time.sleep(1.0)  # mid-page
    kill_group(worker)
    killed = stack.document(document_id)
    assert killed.status is DocumentStatus.OCR and killed.page_count is None  # left behind mid-way

    started = time.monotonic()
    stack.start_worker()
    stack.wait_for(lambda: stack.document(document_id).status is DocumentStatus.INDEXED, seconds=300,
                   what="the killed worker's document to be indexed")
    assert time.monotonic() - started < 300

    document = stack.document(document_id)
    assert document.page_count == 4 and document.has_searchable_pdf and document.lease_owner is None
    text = stack.client.get(f"/api/v1/documents/{document_id}/text", headers=stack.headers).json()
    assert [(p["page_number"], p["source"]) for p in text["pages"]] == [(n, "ocr") for n in range(1, 5)]
    with stack.backends.blobs.open(derived_key(document.sha256, SEARCHABLE_PDF)) as stream, \
            pikepdf.open(BytesIO(stream.read())) as pdf:
        assert len(pdf.pages) == 4

    def found() -> list[str]:
        result = stack.client.get("/api/v1/search", params={"q": "hoan canh gia dinh kho khan"},
                                  headers=stack.headers).json()
        return [hit["dossier_code"] for hit in result["data"]]

    assert stack.wait_for(found, seconds=30, what="the search entry (the index reader reloads)") == [dossier]


@pytest.mark.slow
def test_a_one_page_scan_is_not_held_back_by_a_large_document(embedded: Stack) -> None:
    """GIVEN a worker reading a 200-page scan WHEN a one-page scan is uploaded behind it THEN the one-page scan
    is indexed while the large one is still being read (it goes on, chunk by chunk, from where it was)."""
    stack = embedded
    stack.settings.ocr_chunk_pages = 20
    stack.settings.ocr_chunk_seconds = 2.0
    dossier = stack.new_dossier()
    stack.start_worker()
    large = stack.upload(dossier, "lon.pdf", cheap_scan_pdf(200))
    stack.wait_for(lambda: stack.document(large).status is DocumentStatus.OCR, seconds=120, what="the large one")
    small = stack.upload(stack.new_dossier(), "mot-trang.pdf", corpus_scans_pdf(["dev-0005"]))
    stack.wait_for(lambda: stack.document(small).status is DocumentStatus.INDEXED, seconds=120,
                   what="the one-page scan")
    behind = stack.document(large)
    assert behind.status is DocumentStatus.OCR and 0 < behind.pages_done < 200


def test_retry_takes_a_stuck_document_and_refuses_one_being_processed(embedded: Stack) -> None:
    """GIVEN a document left in OCR by a vanished worker THEN retry queues it again (202); GIVEN one whose worker
    beat a moment ago THEN retry answers 409 document_busy."""
    stack = embedded
    dossier = stack.new_dossier()
    document_id = stack.upload(dossier, "mot-trang.pdf", corpus_scans_pdf(["dev-0006"]))
    now = stack.backends.clock.now()

    def left_in_ocr(heartbeat_age: timedelta) -> None:
        with stack.backends.uow() as uow:
            uow.begin_write()
            document = uow.documents.get(document_id, for_update=True)
            assert document is not None
            document.status = DocumentStatus.OCR
            document.take_lease("vanished-run", now - heartbeat_age)
            uow.documents.save(document)
            uow.commit()

    def shown() -> tuple[bool, str | None]:
        document = stack.client.get(f"/api/v1/documents/{document_id}", headers=stack.headers).json()
        return document["stuck"], document["links"]["retry"]

    left_in_ocr(timedelta(seconds=1))
    assert shown() == (False, None)
    busy = stack.client.post(f"/api/v1/documents/{document_id}/retry", headers=stack.headers)
    assert busy.status_code == 409 and busy.json()["code"] == "document_busy"
    left_in_ocr(timedelta(minutes=10))
    assert shown() == (True, f"/api/v1/documents/{document_id}/retry")  # the page offers "Xử lý lại"
    retried = stack.client.post(f"/api/v1/documents/{document_id}/retry", headers=stack.headers)
    assert retried.status_code == 202 and retried.json()["status"] == "queued"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_hoso_serve_stops_its_worker_too(tmp_path: Path, stop_signal: signal.Signals) -> None:
    """GIVEN `hoso serve` (embedded: it starts a worker child) ready WHEN it gets SIGTERM or SIGINT THEN it exits
    and no process it started is left running."""
    port = _free_port()
    env = {**os.environ, "HOSO_DATA_DIR": str(tmp_path), "HOSO_DATABASE_URL": "", "HOSO_CELERY_BROKER_URL": "",
           "HOSO_LOG_LEVEL": "WARNING"}
    env.pop("HOSO_TASKS", None)
    serve = subprocess.Popen([sys.executable, "-m", "infra.cli", "serve", "--port", str(port)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert time.monotonic() < deadline and serve.poll() is None, "hoso serve did not become ready"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        deadline = time.monotonic() + 30
        while not (started := descendants(serve.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert started, "hoso serve started no worker"
        serve.send_signal(stop_signal)
        serve.wait(timeout=90)
        deadline = time.monotonic() + 5
        while (left := {pid for pid in started if alive(pid)}) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == set(), f"left running after hoso serve stopped: {left}"
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
