"""/metrics: who may read it, request latency by route template, and the operations figures read from the broker
and the database at scrape time (whatever process did the work)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, select

from api.app import create_app
from infra.demo import agency_from_dict, read_json
from infra.settings import Settings
from infra.task_queue import CeleryTaskQueue
from infra.wiring import Backends, build_backends
from records.access import Role
from records.dossiers import Channel
from records.procedures import procedure_from_dict
from records.services.audit_chain import verify_audit_chain
from records.services.catalogue import create_user, import_agencies, import_procedures, load_principal
from records.services.intake import receive_dossier
from storage.models import BlobRecordRow, DocumentPageRow, DocumentRow, DossierRow, FixityCheckRow, OutboxRow
from tests.conftest import BACKEND_PARAMS
from tests.support.databases import fresh_database
from tests.support.factories import BIRTH_REGISTRATION, applicant

SECRET = "metrics-test-secret-0123456789abcdef"
REDIS_URL = os.environ.get("HOSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
LOOPBACK = ("127.0.0.1", 40000)
DESK = "tiepnhan.tranbien"


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backends]:
    """An empty migrated database (SQLite): enough for access, latency and queue figures."""
    directory = tmp_path_factory.mktemp("metrics-plain")
    with fresh_database("sqlite", directory) as url:
        backends = build_backends(Settings(database_url=url, data_dir=directory, secret_key=SECRET))
        yield backends
        backends.close()


@pytest.fixture(params=BACKEND_PARAMS)
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backends]:
    """A database of its own (the figures are read on separate, committed connections) with the demo agencies,
    procedures and one desk officer."""
    with fresh_database(request.param, tmp_path) as url:
        backends = build_backends(Settings(database_url=url, data_dir=tmp_path, secret_key=SECRET))
        import_agencies(uow=backends.uow(), agencies=[agency_from_dict(a) for a in read_json("agencies.json")],
                        clock=backends.clock)
        import_procedures(uow=backends.uow(), procedures=[procedure_from_dict(p) for p in read_json("procedures.json")],
                          clock=backends.clock)
        desk = next(u for u in read_json("users.json") if u["username"] == DESK)
        create_user(uow=backends.uow(), hasher=backends.hasher, username=DESK, full_name=desk["full_name"],
                    agency_code=desk["agency_code"], roles=[Role(r) for r in desk["roles"]],
                    password="metrics-test-password", clock=backends.clock)
        yield backends
        backends.close()


def scrape(backends: Backends, client: tuple[str, int] = LOOPBACK,
           headers: dict[str, str] | None = None) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    with TestClient(create_app(backends=backends), client=client) as http:
        response = http.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    return samples(response.text)


def samples(exposition: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(exposition) for s in family.samples}


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float | None:
    return found.get((name, frozenset(labels.items())))


def test_only_allowed_networks_or_the_token_read_metrics(plain: Backends) -> None:
    """GIVEN the default settings WHEN a non-loopback client asks THEN 403 with a code; a configured token opens it."""
    with TestClient(create_app(backends=plain), client=("10.1.2.3", 40000)) as http:
        refused = http.get("/metrics")
        assert refused.status_code == 403 and refused.json()["code"] == "metrics_forbidden"
        assert "HOSO_METRICS_ALLOW" in refused.json()["message"]
    settings = plain.settings.model_copy(update={"metrics_token": "scrape-token-for-tests"})
    with_token = replace(plain, settings=settings)
    with TestClient(create_app(backends=with_token), client=("10.1.2.3", 40000)) as http:
        assert http.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert http.get("/metrics", headers={"Authorization": "Bearer scrape-token-for-tests"}).status_code == 200
    assert value(scrape(plain), "hoso_metrics_errors", source="database") == 0


def test_latency_is_labelled_by_route_template_not_raw_path(plain: Backends) -> None:
    with TestClient(create_app(backends=plain), client=LOOPBACK) as http:
        for code in ("CODE-ONE", "CODE-TWO"):
            http.get(f"/api/v1/dossiers/{code}")
        http.get("/a/path/no/route/knows")
        exposition = http.get("/metrics").text
    found = samples(exposition)
    assert value(found, "hoso_http_request_duration_seconds_count", method="GET",
                 route="/api/v1/dossiers/{code}", status="4xx") == 2
    assert value(found, "hoso_http_request_duration_seconds_count", method="GET", route="unmatched",
                 status="4xx") == 1
    assert "CODE-ONE" not in exposition and "/a/path" not in exposition


def test_queue_depth_counts_waiting_messages_of_the_embedded_queue(plain: Backends, tmp_path: Path) -> None:
    settings = plain.settings.model_copy(update={"data_dir": tmp_path})
    queue = CeleryTaskQueue(settings)
    queue.process_document("doc-1")
    queue.process_document("doc-2")
    queue.index_dossier("DOSSIER-1")
    found = scrape(replace(plain, settings=settings))
    assert value(found, "hoso_queue_depth", queue="ocr") == 2
    assert value(found, "hoso_queue_depth", queue="index") == 1
    assert value(found, "hoso_queue_depth", queue="webhooks") == 0


def test_queue_depth_reads_redis_queues(plain: Backends) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    settings = plain.settings.model_copy(update={"celery_broker_url": REDIS_URL})
    queue = CeleryTaskQueue(settings)
    for code in ("A", "B", "C"):
        queue.index_dossier(code)
    found = scrape(replace(plain, settings=settings))
    assert value(found, "hoso_queue_depth", queue="index") == 3
    assert value(found, "hoso_queue_depth", queue="ocr") == 0
    redis.Redis.from_url(REDIS_URL).flushdb()


def _documents(backends: Backends, now: datetime) -> None:
    """Documents in every state a worker leaves them, committed as the workers would."""
    desk = load_principal(uow=backends.uow(), username=DESK)
    dossier = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk,
                              procedure_code=BIRTH_REGISTRATION, applicant=applicant(), channel=Channel.COUNTER,
                              signer=backends.signer).dossier
    common = {"document_type": "other", "title": "t", "filename": "f.pdf", "media_type": "application/pdf",
              "size_bytes": 1, "uploaded_by": "tiepnhan.tranbien", "uploaded_at": now}
    rows = [("d-queued", "queued", None, None, now), ("d-failed-1", "failed", "encrypted_pdf", None, now),
            ("d-failed-2", "failed", "encrypted_pdf", None, now),
            ("d-waiting-index", "ocr", None, 2, now - timedelta(minutes=7)),  # processed, not yet indexed
            ("d-indexed", "indexed", None, 3, now - timedelta(minutes=1))]
    with backends.engine.begin() as conn:
        dossier_id = conn.execute(select(DossierRow.id).where(DossierRow.code == dossier.code)).scalar_one()
        for doc_id, status, failure, pages, changed in rows:
            conn.execute(insert(DocumentRow).values(id=doc_id, dossier_id=dossier_id, sha256=doc_id.ljust(64, "0"),
                                                    status=status, failure_code=failure, page_count=pages,
                                                    status_changed_at=changed, **common))
        conn.execute(insert(DocumentPageRow), [
            {"document_id": "d-indexed", "page_number": n, "text": "x", "source": "ocr"} for n in (1, 2, 3)]
            + [{"document_id": "d-waiting-index", "page_number": 1, "text": "x", "source": "text_layer"}])
        conn.execute(insert(BlobRecordRow), [
            {"key": f"k{i}", "sha256": "0" * 64, "size": 1, "recorded_at": now, "checked_at": checked,
             "last_outcome": outcome}
            for i, (outcome, checked) in enumerate([("ok", now), ("ok", now - timedelta(hours=1)),
                                                    ("mismatch", now), (None, None)])])
        conn.execute(insert(FixityCheckRow), [
            {"key": "k0", "at": now - timedelta(hours=1), "outcome": "ok", "expected_sha256": "0" * 64},
            {"key": "k0", "at": now, "outcome": "ok", "expected_sha256": "0" * 64}])


def test_database_figures_follow_documents_fixity_audit_and_the_outbox(deployment: Backends) -> None:
    now = datetime.now(UTC)
    before = scrape(deployment)
    assert value(before, "hoso_audit_verify_intact") is None  # never verified: no figure, not a false "0"
    pending_before = value(before, "hoso_outbox_pending")
    assert pending_before is not None
    _documents(deployment, now)
    verify_audit_chain(uow=deployment.uow(), blobs=deployment.blobs, clock=deployment.clock)
    found = scrape(deployment)
    assert {status: value(found, "hoso_documents", status=status) for status in
            ("queued", "ocr", "indexed", "failed")} == {"queued": 1, "ocr": 1, "indexed": 1, "failed": 2}
    assert value(found, "hoso_document_failures", code="encrypted_pdf") == 2
    assert value(found, "hoso_ocr_pages_total") == 3
    assert value(found, "hoso_ocr_pages_per_second") == pytest.approx(3 / 300)
    assert value(found, "hoso_index_lag_documents") == 1
    assert 7 * 60 <= (value(found, "hoso_index_lag_oldest_seconds") or 0) < 9 * 60
    assert value(found, "hoso_fixity_blobs", outcome="ok") == 2
    assert value(found, "hoso_fixity_damaged_blobs") == 1
    assert value(found, "hoso_fixity_checked_blobs") == 3
    assert value(found, "hoso_fixity_last_check_timestamp_seconds") == pytest.approx(now.timestamp(), abs=1)
    assert value(found, "hoso_audit_verify_intact") == 1
    assert (value(found, "hoso_audit_verify_checked_entries") or 0) >= 1
    assert abs((value(found, "hoso_audit_verify_last_run_timestamp_seconds") or 0) - now.timestamp()) < 120

    # Follow-up work not yet handed to the broker: two pending rows (one three minutes old), one dispatched.
    with deployment.engine.begin() as conn:
        old, new = now - timedelta(minutes=3), now
        conn.execute(insert(OutboxRow), [
            {"kind": "index_dossier", "payload": '{"dossier_code":"A"}', "created_at": old, "available_at": old,
             "attempts": 1, "dispatched_at": None, "last_error": "ConnectionError: broker down"},
            {"kind": "index_dossier", "payload": '{"dossier_code":"B"}', "created_at": new, "available_at": new,
             "attempts": 0, "dispatched_at": None, "last_error": None},
            {"kind": "index_dossier", "payload": '{"dossier_code":"C"}', "created_at": old, "available_at": old,
             "attempts": 1, "dispatched_at": new, "last_error": None}])
    found = scrape(deployment)
    assert value(found, "hoso_outbox_pending") == pending_before + 2
    assert 150 <= (value(found, "hoso_outbox_oldest_pending_seconds") or 0) < 300
