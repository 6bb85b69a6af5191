"""Database dumps for backups: SQLite through its online backup API, PostgreSQL through `pg_dump -Fc` in an exported
snapshot. Either way the facts a backup records beside the dump (the audit chain head, row counts) are read in the
same snapshot as the dump, so they describe exactly what the dump holds."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine, inspect, text
from sqlalchemy.engine import make_url

from storage.logical_dump import LOGICAL_DUMP, dump_logical, restore_logical

SQLITE_DUMP = "database.sqlite3"
POSTGRES_DUMP = "database.pgdump"
# What a backup counts, to say in its report what it holds and to check a restore against.
COUNTED_TABLES = ("dossiers", "documents", "users", "agencies", "access_log")
DUMP_TIMEOUT_SECONDS = 6 * 3600
PORTABLE_METHOD = "portable logical dump (JSON lines)"


class DumpError(RuntimeError):
    """pg_dump/pg_restore failed or is missing; the message says which and why."""


@dataclass(frozen=True)
class DumpFacts:
    """What the dump holds, read in the dump's own snapshot."""

    kind: str  # "sqlite" | "postgresql"
    file: str  # the dump's file name
    method: str  # how it was made ("sqlite3 online backup API", "pg_dump -Fc")
    audit_head_id: int
    audit_head_hash: str
    counts: dict[str, int]


def database_kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise DumpError(f"unsupported database {backend!r}")
    return backend


def _facts(conn: Connection) -> tuple[int, str, dict[str, int]]:
    head = conn.execute(text("SELECT last_id, last_hash FROM audit_head WHERE id = 1")).one()
    counts = {table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
              for table in COUNTED_TABLES}
    return int(head.last_id), str(head.last_hash), counts


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise DumpError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore (without the password, which goes in PGPASSWORD, not on the command line)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DumpError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def dump_database(url: str, directory: Path, *, portable: bool = False) -> DumpFacts:
    """Writes the database's dump into `directory` and returns what it holds. Reads only; safe to repeat.
    `portable` (or no pg_dump installed): a logical dump (storage.logical_dump) that loads into either kind."""
    kind = database_kind(url)
    if kind == "sqlite" and portable:
        facts = dump_database(url, directory)
        copied = directory / SQLITE_DUMP
        engine = create_engine(f"sqlite:///{copied}")
        try:
            with engine.connect() as conn:
                dump_logical(conn, directory / LOGICAL_DUMP)
        finally:
            engine.dispose()
        copied.unlink()
        return DumpFacts(kind, LOGICAL_DUMP, PORTABLE_METHOD, facts.audit_head_id, facts.audit_head_hash, facts.counts)
    if kind == "sqlite":
        target = directory / SQLITE_DUMP
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)  # a consistent copy while others keep writing
        finally:
            source.close()
            copy.close()
        engine = create_engine(f"sqlite:///{target}")
        try:
            with engine.connect() as conn:
                head_id, head_hash, counts = _facts(conn)
        finally:
            engine.dispose()
        return DumpFacts(kind, SQLITE_DUMP, "sqlite3 online backup API", head_id, head_hash, counts)
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            head_id, head_hash, counts = _facts(conn)
            if portable or shutil.which("pg_dump") is None:
                dump_logical(conn, directory / LOGICAL_DUMP)
                conn.rollback()
                return DumpFacts(kind, LOGICAL_DUMP, PORTABLE_METHOD, head_id, head_hash, counts)
            libpq_url, env = _libpq(url)
            completed = subprocess.run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                 f"--file={directory / POSTGRES_DUMP}", f"--dbname={libpq_url}"],
                env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT_SECONDS, check=False)
            conn.rollback()
    finally:
        engine.dispose()
    if completed.returncode != 0:
        raise DumpError(f"pg_dump failed: {completed.stderr.strip()}")
    return DumpFacts(kind, POSTGRES_DUMP, "pg_dump -Fc", head_id, head_hash, counts)


def database_is_empty(url: str) -> bool:
    """True when the database has no table at all (a fresh SQLite file, or a new PostgreSQL database)."""
    if database_kind(url) == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(url if database_kind(url) == "sqlite"
                           else make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            return not inspect(conn).get_table_names()
    finally:
        engine.dispose()


def restore_database(url: str, dump: Path, kind: str) -> None:
    """Loads `dump` (made by dump_database for a database of `kind`) into the EMPTY database at `url`; a logical
    dump loads into either kind."""
    if dump.name == LOGICAL_DUMP:
        restore_logical(url, dump)
        return
    target_kind = database_kind(url)
    if target_kind != kind:
        raise DumpError(f"the backup holds a {kind} database; the target is {target_kind}")
    if kind == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(dump)
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)
        finally:
            source.close()
            target.close()
        return
    libpq_url, env = _libpq(url)
    completed = subprocess.run(
        [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={libpq_url}", str(dump)],
        env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT_SECONDS, check=False)
    if completed.returncode != 0:
        raise DumpError(f"pg_restore failed: {completed.stderr.strip()}")
