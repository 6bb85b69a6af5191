"""Test databases: a migrated SQLite file, and a fresh PostgreSQL database per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storage.provision import scratch_postgres, scratch_sqlite

PG_ENV = "HOSO_TEST_PG_URL"


def pg_server_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL-backed tests need a server (make test sets it)")
    return url


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    if kind == "postgres":
        with scratch_postgres(pg_server_url(), prefix="hoso_test") as url:
            yield url
    else:
        with scratch_sqlite(directory) as url:
            yield url
