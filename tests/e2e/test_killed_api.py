"""kill -9 of the API process in the middle of a large upload: after a restart (with its start-up sweep) there is no
half row, no orphan blob and no staged leftover. A real `hoso serve --no-worker` on loopback, on its own SQLite."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from infra.demo import DEMO_PASSWORD
from tests.support.papers import born_digital_pdf
from tests.support.s3_server import free_port

ROOT = Path(__file__).resolve().parents[2]
UPLOAD_BYTES = 96 * 1024 * 1024
START_SECONDS = 60


def environment(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HOSO_DATA_DIR": str(data_dir), "HOSO_TASKS": "inline",
            "HOSO_SECRET_KEY": "killed-api-secret-key-0123456789abcdefghij", "HOSO_LOG_LEVEL": "WARNING",
            "HOSO_ORPHAN_GRACE_MINUTES": "60"}


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "infra.cli", "serve", "--no-worker", "--host", "127.0.0.1",
                                "--port", str(port)], env=environment(data_dir), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "hoso serve exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("hoso serve did not start")


def call(port: int, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method,
                                     headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "infra.cli", "load-demo", "--no-dossiers"], env=environment(directory),
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    yield directory


def age(directory: Path, seconds: float) -> None:
    """What the crash left looks `seconds` old (the sweeper's grace period is real time)."""
    past = time.time() - seconds
    for path in directory.rglob("*"):
        os.utime(path, (past, past), follow_symlinks=False)


@pytest.mark.slow
def test_killing_the_api_mid_upload_leaves_no_half_row_and_no_orphan_blob(data_dir: Path) -> None:
    port = free_port()
    server = serve(data_dir, port)
    try:
        token = call(port, "POST", "/api/v1/auth/token",
                     urllib.parse.urlencode({"username": "tiepnhan.tranbien", "password": DEMO_PASSWORD}).encode(),
                     {"Content-Type": "application/x-www-form-urlencoded"})["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        code = call(port, "POST", "/api/v1/dossiers", json.dumps({
            "procedure_code": "1.012756", "subject": "Cấp giấy chứng nhận thửa đất số 342",
            "applicant": {"name": "Nguyễn Thị Lan", "id_number": "075185000001"}}).encode(),
            {**bearer, "Content-Type": "application/json"})["code"]

        # A large PDF: a real header and pages, padded with a comment stream to UPLOAD_BYTES.
        pdf = born_digital_pdf([["ĐƠN ĐỀ NGHỊ"]])
        boundary = "hoso-killed-upload"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lon.pdf\"\r\n"
                f"Content-Type: application/pdf\r\n\r\n").encode() + pdf + b"\n%"
        tail = f"\r\n--{boundary}--\r\n".encode()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.putrequest("POST", f"/api/v1/dossiers/{code}/documents")
        connection.putheader("Authorization", bearer["Authorization"])
        connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        connection.putheader("Content-Length", str(len(head) + UPLOAD_BYTES + len(tail)))
        connection.endheaders()
        connection.send(head)
        chunk = b"0" * (1024 * 1024)
        for _ in range(UPLOAD_BYTES // len(chunk)):
            connection.send(chunk)
        connection.send(tail)
        time.sleep(0.5)  # the server is parsing, staging or storing the file
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        connection.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)

    age(data_dir / "staging", 2 * 3600)
    age(data_dir / "blobs", 2 * 3600)
    server = serve(data_dir, port)  # the start-up sweep runs before it answers
    try:
        engine = create_engine(f"sqlite:///{data_dir / 'hoso.sqlite3'}")
        with engine.connect() as connection_db:
            documents = connection_db.execute(text("SELECT sha256, status FROM documents")).all()
        engine.dispose()
        referenced = {sha for sha, _status in documents}
        blobs = [p for p in (data_dir / "blobs").rglob("*") if p.is_file()]
        orphans = [p for p in blobs if not any(sha in str(p) for sha in referenced)
                   and ("originals" in p.parts or "derived" in p.parts)]
        assert orphans == []
        for sha, status in documents:  # a row that exists is whole: its original is stored
            assert any(sha in str(p) for p in blobs), (sha, status)
        leftovers = list((data_dir / "staging").iterdir()) if (data_dir / "staging").is_dir() else []
        assert leftovers == []
    finally:
        server.terminate()
        server.wait(timeout=30)
