"""A real worker process takes tasks from a real broker: files in the data dir (embedded) and Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.dossiers import Channel
from records.services.alerts import list_alerts
from records.services.catalogue import load_principal
from records.services.intake import receive_dossier
from tests.support.databases import fresh_database
from tests.support.factories import BIRTH_REGISTRATION, applicant
from workers.app import create_celery

REDIS_URL = os.environ.get("HOSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SECRET = "worker-test-secret-key-0123456789abcdef"


def _redis_or_skip() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")


@pytest.fixture(params=[("sqlite", ""), pytest.param(("postgres", REDIS_URL), marks=pytest.mark.postgres)],
                ids=["embedded-files", "postgres-redis"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Settings, Backends]]:
    kind, broker = request.param
    if broker:
        _redis_or_skip()
        redis.Redis.from_url(broker).flushdb()
    with fresh_database(kind, tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key=SECRET, celery_broker_url=broker)
        backends = build_backends(settings)
        load_demo(backends, password="worker-test-password", with_dossiers=False)
        yield settings, backends
        backends.close()


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOSO_DATABASE_URL": settings.effective_database_url,
           "HOSO_DATA_DIR": str(settings.data_dir), "HOSO_SECRET_KEY": SECRET,
           "HOSO_CELERY_BROKER_URL": settings.celery_broker_url, "HOSO_LOG_LEVEL": "INFO"}
    return subprocess.Popen([sys.executable, "-m", "infra.cli", "worker"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_the_deadline_scan_runs_in_a_separate_worker(deployment: tuple[Settings, Backends]) -> None:
    """GIVEN an overdue birth registration WHEN the scan task is queued THEN a worker process raises its alert."""
    settings, backends = deployment
    desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
    received = datetime.now(UTC) - timedelta(days=10)
    dossier = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                                 actor=desk, procedure_code=BIRTH_REGISTRATION, applicant=applicant(),
                                 channel=Channel.COUNTER, received_at=received, signer=backends.signer).dossier
    worker = _start_worker(settings)
    try:
        create_celery(settings).send_task("hoso.scan_deadlines")
        deadline = time.monotonic() + 60
        alerts = []
        while time.monotonic() < deadline and not alerts:
            time.sleep(0.5)
            alerts = list_alerts(uow=backends.uow(), actor=desk)
        assert [(a.dossier_code, a.kind.value) for a in alerts] == [(dossier.code, "overdue")]
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert b"hoso.scan_deadlines" in output
