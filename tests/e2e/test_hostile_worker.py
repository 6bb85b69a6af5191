"""The hostile corpus straight into a real worker process (embedded install), past upload validation — as a file
stored before a budget was lowered, or brought in by a bulk import, would come: the worker applies the same
limits and names the same reasons, its memory stays bounded, and a normal scan queued behind them is indexed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.documents import DocumentMetadata, DocumentStatus
from records.dossiers import Channel
from records.procedures import DocumentType
from records.services.catalogue import load_principal
from records.services.documents import StagedUpload, register_document
from records.services.intake import receive_dossier
from tests.support.databases import fresh_database
from tests.support.factories import BIRTH_REGISTRATION, applicant
from tests.support.hostile import CASES, Target
from tests.support.papers import corpus_scan

SECRET = "hostile-worker-secret-key-0123456789abcdef"
BUDGET_ENV = {"HOSO_BUDGET_MAX_PAGE_PIXELS": "20000000", "HOSO_BUDGET_MAX_STREAM_BYTES": str(16 * 1024**2),
              "HOSO_BUDGET_TOOL_MEMORY_MB": "1024"}
TARGET = Target(max_pages=2_000, max_page_pixels=20_000_000, max_stream_bytes=16 * 1024**2)
WORKER_PEAK_RSS_LIMIT = 512 * 1024**2  # the worker itself (measured ~230 MB); each tool is held to 1 GiB on its own
WITHIN_SECONDS = 240.0

# Every case but the CPU one (its 1-second budget would be the whole worker's here; see tests/api).
WORKER_CASES = [case for case in CASES if case.cpu_seconds is None]


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, Backends]]:
    for name, value in BUDGET_ENV.items():
        monkeypatch.setenv(name, value)
    with fresh_database("sqlite", tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key=SECRET)
        backends = build_backends(settings)
        load_demo(backends, password="hostile-test-password", with_dossiers=False)
        yield settings, backends
        backends.close()


def _stage(directory: Path, name: str, content: bytes) -> StagedUpload:
    path = directory / hashlib.sha256(content).hexdigest()
    path.write_bytes(content)
    return StagedUpload(path=path, sha256=hashlib.sha256(content).hexdigest(), size_bytes=len(content),
                        media_type="application/octet-stream", filename=name)


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM for the worker")


@pytest.mark.slow
def test_the_worker_names_each_hostile_file_stays_bounded_and_then_indexes_a_scan(
        embedded: tuple[Settings, Backends], tmp_path: Path) -> None:
    settings, backends = embedded
    desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
    dossier = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk,
                              procedure_code=BIRTH_REGISTRATION, applicant=applicant(), channel=Channel.COUNTER,
                              received_at=datetime.now(UTC), signer=backends.signer).dossier
    expected: dict[str, tuple[str, str | None]] = {}  # document id → (case, failure code)
    scan, _ = corpus_scan()
    for name, filename, content, code in [
            *((c.name, c.filename, c.build(TARGET), c.failed or (c.refused or (0, ""))[1]) for c in WORKER_CASES),
            ("normal_scan", "ban-quet.pdf", scan, None)]:
        registered = register_document(
            uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, actor=desk, dossier_code=dossier.code,
            upload=_stage(tmp_path, filename, content), document_type=DocumentType.OTHER, title=name,
            metadata=DocumentMetadata())  # its processing goes to the worker's queue through the outbox
        if registered.duplicate:
            continue
        expected[registered.document.id] = (name, code)

    env = {**os.environ, "HOSO_DATABASE_URL": settings.effective_database_url, "HOSO_DATA_DIR": str(tmp_path),
           "HOSO_SECRET_KEY": SECRET, "HOSO_CELERY_BROKER_URL": "", "HOSO_LOG_LEVEL": "WARNING", **BUDGET_ENV}
    worker = subprocess.Popen([sys.executable, "-m", "infra.cli", "worker"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WITHIN_SECONDS
        final = {DocumentStatus.INDEXED, DocumentStatus.FAILED}
        outcome: dict[str, tuple[str, str | None]] = {}
        while time.monotonic() < deadline and len(outcome) < len(expected):
            time.sleep(1)
            with backends.uow() as uow:
                for document_id, (name, _) in expected.items():
                    document = uow.documents.get(document_id)
                    if document is not None and document.status in final:
                        outcome[name] = (document.status.value, document.failure_code)
        peak = _peak_rss(worker.pid)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    wanted = {name: ("indexed", None) if code is None else ("failed", code) for name, code in expected.values()}
    assert outcome == wanted, output.decode("utf-8", "replace")[-2000:]
    assert peak < WORKER_PEAK_RSS_LIMIT, f"worker peak RSS {peak / 1024**2:.0f} MB"
