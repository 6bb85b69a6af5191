"""Test databases: a migrated SQLite file, and a fresh PostgreSQL database per test session."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.migrate import upgrade

PG_ENV = "HOSO_TEST_PG_URL"


def pg_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL-backed tests need a server (make test sets it)")
    return url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Creates a throw-away database on the server named by HOSO_TEST_PG_URL, migrated to head."""
    admin_url = make_url(pg_admin_url()).set(drivername="postgresql+psycopg")
    name = f"hoso_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_sqlite_database(directory: Path) -> Iterator[str]:
    url = f"sqlite:///{directory / 'hoso-test.sqlite3'}"
    upgrade(url)
    yield url


@contextmanager
def fresh_database(kind: str, directory: Path) -> Iterator[str]:
    if kind == "postgres":
        with fresh_postgres_database() as url:
            yield url
    else:
        with fresh_sqlite_database(directory) as url:
            yield url
