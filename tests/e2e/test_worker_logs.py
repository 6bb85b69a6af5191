"""A real worker process (embedded file queue) logs JSON lines carrying the request id sent with the task in the
Celery header `hoso_request_id`, as the outbox sends it for work caused by an HTTP request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.settings import Settings
from tests.support.databases import fresh_database
from workers.app import create_celery

SECRET = "worker-log-test-secret-0123456789abcdef"
REQUEST_ID = "req-from-http-5c1e9b"


@pytest.mark.slow
def test_a_task_logs_the_request_id_it_was_sent_with(tmp_path: Path) -> None:
    """GIVEN a worker WHEN a task arrives with the header THEN the task's own log lines carry that request id."""
    log_file = tmp_path / "worker.log"
    with fresh_database("sqlite", tmp_path) as url, log_file.open("wb") as log:
        settings = Settings(database_url=url, data_dir=tmp_path, secret_key=SECRET)
        env = {**os.environ, "HOSO_DATABASE_URL": url, "HOSO_DATA_DIR": str(tmp_path), "HOSO_SECRET_KEY": SECRET,
               "HOSO_CELERY_BROKER_URL": "", "HOSO_LOG_LEVEL": "INFO", "HOSO_LOG_FORMAT": "json"}
        worker = subprocess.Popen([sys.executable, "-m", "infra.cli", "worker", "--queues", "default"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=log)
        try:
            create_celery(settings).send_task("hoso.scan_deadlines", headers={"hoso_request_id": REQUEST_ID})
            deadline = time.monotonic() + 60
            while (time.monotonic() < deadline and worker.poll() is None
                   and b'"task hoso.scan_deadlines finished' not in log_file.read_bytes()):
                time.sleep(0.3)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]  # every line is JSON
    task_lines = [line for line in lines if line.get("task_name") == "hoso.scan_deadlines"]
    assert any(line["message"].startswith("deadline scan raised") for line in task_lines), lines
    assert all(line["request_id"] == REQUEST_ID for line in task_lines)
    assert not any(line["logger"].startswith(("celery", "kombu")) and line["level"] == "INFO" for line in lines)
