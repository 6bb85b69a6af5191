"""/readyz checks every configured backend and names the one that is down (real broken parts, no mocks)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.settings import Settings
from infra.wiring import build_backends
from storage.provision import scratch_sqlite
from tests.support.s3_server import S3_ACCESS_KEY, S3_SECRET_KEY, free_port, running_moto_server

SECRET = "readiness-test-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_sqlite(tmp_path_factory.mktemp("ready-db")) as url:
        yield url


def readiness(settings: Settings) -> tuple[int, dict[str, Any]]:
    backends = build_backends(settings)
    try:
        with TestClient(create_app(backends=backends)) as client:
            response = client.get("/readyz")
    finally:
        backends.close()
    return response.status_code, response.json()


def down(body: dict[str, Any]) -> dict[str, str | None]:
    return {name: check["code"] for name, check in body["checks"].items() if check["status"] != "ok"}


def test_an_embedded_install_checks_its_database_blobs_index_and_queue(database_url: str, tmp_path: Path) -> None:
    status, body = readiness(Settings(database_url=database_url, data_dir=tmp_path, secret_key=SECRET))
    assert status == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"database", "blobs", "search", "broker"}
    assert all(check["status"] == "ok" and check["code"] is None for check in body["checks"].values())


def test_a_broker_on_a_closed_port_is_named(database_url: str, tmp_path: Path) -> None:
    """GIVEN a Redis broker URL where nothing listens WHEN /readyz is asked THEN 503 naming the broker, quickly."""
    settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key=SECRET,
                        celery_broker_url=f"redis://127.0.0.1:{free_port()}/0", readiness_timeout_seconds=2)
    status, body = readiness(settings)
    assert status == 503 and body["status"] == "unavailable"
    assert down(body) == {"broker": "unreachable"}
    assert "127.0.0.1" in body["checks"]["broker"]["message"]


def test_a_database_that_does_not_answer_is_named(tmp_path: Path) -> None:
    settings = Settings(database_url=f"postgresql+psycopg://hoso@127.0.0.1:{free_port()}/hoso", data_dir=tmp_path,
                        secret_key=SECRET, readiness_timeout_seconds=2)
    status, body = readiness(settings)
    assert status == 503 and down(body) == {"database": "unavailable"}


def test_a_stopped_s3_server_is_named_with_its_replica(database_url: str, tmp_path: Path) -> None:
    """GIVEN originals and their replica on an S3 server WHEN the server stops THEN both blob checks fail."""
    with running_moto_server() as endpoint:
        settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key=SECRET, s3_endpoint=endpoint,
                            s3_access_key=S3_ACCESS_KEY, s3_secret_key=S3_SECRET_KEY, s3_bucket="ready-primary",
                            replica_s3_bucket="ready-replica", readiness_timeout_seconds=2)
        status, body = readiness(settings)
        assert status == 200, body
        assert {"blobs", "blobs_replica"} <= set(body["checks"])
    status, body = readiness(settings)
    assert status == 503
    assert down(body) == {"blobs": "unreachable", "blobs_replica": "unreachable"}


@contextmanager
def unwritable(directory: Path) -> Iterator[None]:
    """Makes a directory refuse new files, for root too (the immutable attribute) or by its mode otherwise."""
    directory.mkdir(parents=True, exist_ok=True)
    chattr = shutil.which("chattr")
    immutable = chattr is not None and subprocess.run([chattr, "+i", str(directory)], capture_output=True,
                                                      check=False).returncode == 0
    if not immutable:
        directory.chmod(0o555)
    try:
        probe = directory / "probe"
        try:
            probe.touch()
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("cannot make a directory unwritable here (root without the immutable attribute)")
        yield
    finally:
        if immutable:
            assert chattr is not None
            subprocess.run([chattr, "-i", str(directory)], check=True)
        directory.chmod(0o755)


def test_an_unwritable_search_index_is_named(database_url: str, tmp_path: Path) -> None:
    """GIVEN the embedded search index directory refusing writes WHEN /readyz is asked THEN the index is named."""
    settings = Settings(database_url=database_url, data_dir=tmp_path, secret_key=SECRET)
    build_backends(settings).close()  # creates the index
    with unwritable(tmp_path / "search"):
        status, body = readiness(settings)
    assert status == 503 and down(body) == {"search": "not_writable"}
    assert str(tmp_path / "search") in body["checks"]["search"]["message"]
