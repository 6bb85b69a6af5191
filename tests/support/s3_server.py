"""A real S3-protocol server for tests: `moto_server` in its own process on a free port of 127.0.0.1.

Use the `s3_server` fixture by importing it into a test module (`from tests.support.s3_server import
s3_server`); it yields the endpoint as minio wants it (`127.0.0.1:PORT`, plain HTTP). moto accepts any
credentials, e.g. `S3_ACCESS_KEY` / `S3_SECRET_KEY`.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

MOTO_SERVER = Path(sys.executable).with_name("moto_server")
S3_ACCESS_KEY = "hoso-test-access"
S3_SECRET_KEY = "hoso-test-secret"
START_TIMEOUT_SECONDS = 20.0


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def running_moto_server(attempts: int = 3) -> Iterator[str]:
    """Starts moto_server, waits until it answers, yields its endpoint, and stops it on the way out."""
    if not MOTO_SERVER.exists():
        pytest.fail(f"{MOTO_SERVER} is missing: install the test extras (moto[server]) into this environment")
    with tempfile.TemporaryFile() as log:
        for _ in range(attempts):
            port = free_port()
            process = subprocess.Popen([str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            try:
                if _wait_until_answering(process, port):
                    yield f"127.0.0.1:{port}"
                    return
            finally:
                _stop(process)
        pytest.fail(f"moto_server did not start after {attempts} attempts:\n{_tail(log)}")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint (`127.0.0.1:PORT`) of a moto_server process shared by the test session."""
    with running_moto_server() as endpoint:
        yield endpoint


def _wait_until_answering(process: subprocess.Popen[bytes], port: int) -> bool:
    """True once the server answers; False if it exited (say, someone took the port first)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: IO[bytes], limit: int = 4000) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-limit:]
