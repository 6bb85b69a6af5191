"""A real `hoso worker` process posts a transition's webhook to a real HTTP endpoint (embedded: file queue,
SQLite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import build_backends
from records.dossiers import DossierState
from records.services.catalogue import load_principal
from records.services.dossiers import transition_dossier
from records.services.intake import receive_dossier
from records.services.webhooks import create_subscription, list_deliveries
from records.webhooks import SIGNATURE_HEADER, verify
from tests.support.databases import fresh_database
from tests.support.factories import LAND_FIRST_CERTIFICATE, LAND_OFFICE, applicant
from tests.support.webhook_receiver import running_receiver

SECRET = "webhook-e2e-secret-key-0123456789abcdef"


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOSO_DATABASE_URL": settings.effective_database_url,
           "HOSO_DATA_DIR": str(settings.data_dir), "HOSO_SECRET_KEY": SECRET, "HOSO_CELERY_BROKER_URL": "",
           "HOSO_WEBHOOK_TIMEOUT_SECONDS": "5", "HOSO_LOG_LEVEL": "INFO"}
    return subprocess.Popen([sys.executable, "-m", "infra.cli", "worker"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_a_worker_process_posts_the_event_of_a_transfer(tmp_path: Path) -> None:
    """GIVEN the land office's system subscribed WHEN a land dossier is transferred to the land office
    THEN a separate worker process, fed through the embedded file queue, posts the signed event to it."""
    with running_receiver() as receiver, fresh_database("sqlite", tmp_path) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key=SECRET)
        backends = build_backends(settings)
        worker: subprocess.Popen[bytes] | None = None
        output = b""
        try:
            load_demo(backends, password="webhook-e2e-password", with_dossiers=False)
            people = {name: load_principal(uow=backends.uow(), username=name)
                      for name in ("quantri.tinh", "tiepnhan.tranbien", "xuly.tranbien")}
            issued = create_subscription(uow=backends.uow(), clock=backends.clock, actor=people["quantri.tinh"],
                                         name="Hệ thống đăng ký đất đai", agency_code=LAND_OFFICE, url=receiver.url)
            code = receive_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                                   actor=people["tiepnhan.tranbien"], procedure_code=LAND_FIRST_CERTIFICATE,
                                   applicant=applicant(), signer=backends.signer).dossier.code
            for officer, to, target in (("tiepnhan.tranbien", DossierState.PROCESSING, None),
                                        ("xuly.tranbien", DossierState.TRANSFERRED, LAND_OFFICE)):
                transition_dossier(uow=backends.uow(), clock=backends.clock, calendar=backends.calendar,
                                   actor=people[officer], code=code, to=to, target_agency_code=target)
            worker = _start_worker(settings)
            received = receiver.wait_for(1, timeout=90)
            assert len(received) == 1, "the worker posted nothing"
            request = received[0]
            event = json.loads(request.body)
            assert request.header("X-Hoso-Event") == event["type"] == "dossier.state_changed"
            assert event["dossier"]["code"] == code and event["dossier"]["holder_agency_code"] == LAND_OFFICE
            assert verify(issued.secret, request.header(SIGNATURE_HEADER) or "", request.body, now=int(time.time()))
            deadline = time.monotonic() + 30
            sent: list[str] = []
            while time.monotonic() < deadline and sent != ["delivered"]:
                time.sleep(0.2)
                found, _ = list_deliveries(uow=backends.uow(), actor=people["quantri.tinh"],
                                           subscription_id=issued.subscription.id)
                sent = [d.status.value for d in found]
            assert sent == ["delivered"]
        finally:
            if worker is not None:
                worker.terminate()
                output, _ = worker.communicate(timeout=30)
            backends.close()
    assert b"hoso.deliver_webhooks" in output
