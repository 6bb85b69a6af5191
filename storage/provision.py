"""Throw-away databases for tests and benchmarks: created on a server, migrated, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from storage.migrate import upgrade


@contextmanager
def scratch_postgres(server_url: str, *, prefix: str = "hoso_scratch", migrate: bool = True) -> Iterator[str]:
    """A new database on the PostgreSQL server at `server_url`, at the latest schema (or, without `migrate`,
    with no table at all: a restore's target); dropped on exit."""
    admin_url = make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def scratch_sqlite(directory: Path) -> Iterator[str]:
    """A SQLite file in `directory`, at the latest schema (the directory's owner removes it)."""
    url = f"sqlite:///{directory / 'hoso-scratch.sqlite3'}"
    upgrade(url)
    yield url
