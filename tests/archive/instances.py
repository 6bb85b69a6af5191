"""Whole hoso instances for archive tests that need committed data: their own database (SQLite or PostgreSQL) and
data directory, the demo reference data loaded, removed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.access import Principal
from records.services.catalogue import load_principal
from tests.support.databases import fresh_database

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "demo-password-for-tests"


@contextmanager
def instance(kind: str, directory: Path, **settings: object) -> Iterator[Backends]:
    directory.mkdir(parents=True, exist_ok=True)
    with fresh_database(kind, directory) as url:
        built = build_backends(Settings(database_url=url, data_dir=directory, secret_key=TEST_SECRET, tasks="inline",
                                        **settings))  # type: ignore[arg-type]
        try:
            load_demo(built, password=PASSWORD, with_dossiers=False)
            yield built
        finally:
            built.close()


def officer(backends: Backends, username: str) -> Principal:
    return load_principal(uow=backends.uow(), username=username)
