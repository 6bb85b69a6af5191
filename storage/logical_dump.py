"""A portable logical dump: every table's rows as gzipped JSON lines, with the schema revision they belong to. Used
when `pg_dump` is not installed (and on request, `hoso backup --portable`); it loads into an empty database of either
kind: the schema is first migrated to the dump's revision, the rows go in, then the schema moves to the current head.

    {"format": "hoso-logical/1", "revision": "0012", "tables": ["agencies", ...]}
    {"table": "agencies", "columns": ["code", "name", ...]}
    ["000.00.00.H19", "UBND tỉnh Đồng Nai", ...]
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, MetaData, Table, create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

from storage.migrate import upgrade

FORMAT = "hoso-logical/1"
LOGICAL_DUMP = "database.jsonl.gz"
BATCH_ROWS = 1000
SKIPPED_TABLES = frozenset({"alembic_version"})


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, bytes | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Decimal):
        return {"$n": str(value)}
    raise TypeError(f"cannot dump {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((tag, raw),) = value.items()
        if tag == "$dt":
            return datetime.fromisoformat(raw)
        if tag == "$d":
            return date.fromisoformat(raw)
        if tag == "$b":
            return base64.b64decode(raw)
        if tag == "$n":
            return Decimal(raw)
    return value


def _tables(conn: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(conn)
    return [table for table in metadata.sorted_tables if table.name not in SKIPPED_TABLES]


def dump_logical(conn: Connection, target: Path) -> None:
    """Writes every table of the database behind `conn` (in its snapshot) to `target`. Reads only."""
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    tables = _tables(conn)
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=6) as out:
        out.write(json.dumps({"format": FORMAT, "revision": revision, "tables": [t.name for t in tables]}) + "\n")
        for table in tables:
            columns = [column.name for column in table.columns]
            out.write(json.dumps({"table": table.name, "columns": columns}) + "\n")
            ordered = select(table).order_by(*table.primary_key.columns) if table.primary_key else select(table)
            for row in conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(ordered):
                out.write(json.dumps(list(row), default=_encode, ensure_ascii=False) + "\n")


def _lines(source: Path) -> Iterator[Any]:
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def restore_logical(url: str, source: Path) -> None:
    """Loads `source` into the EMPTY database at `url` (SQLite or PostgreSQL), at the dump's schema revision; the
    caller moves the schema to the head afterwards."""
    lines = _lines(source)
    header = next(lines)
    if header.get("format") != FORMAT:
        raise ValueError(f"not a {FORMAT} dump")
    upgrade(url, header["revision"])
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed)
    try:
        with engine.begin() as conn:
            ordered = _tables(conn)
            tables = {table.name: table for table in ordered}
            for seeded in reversed(ordered):  # rows the migrations seed (the audit head…) come from the dump instead
                conn.execute(seeded.delete())
            if conn.dialect.name == "sqlite":
                conn.execute(text("PRAGMA defer_foreign_keys = ON"))
            else:
                conn.execute(text("SET CONSTRAINTS ALL DEFERRED"))
            table: Table | None = None
            columns: list[str] = []
            batch: list[dict[str, Any]] = []
            for item in lines:
                if isinstance(item, dict):
                    if table is not None and batch:
                        conn.execute(insert(table), batch)
                    table, columns, batch = tables[item["table"]], item["columns"], []
                    continue
                batch.append({name: _decode(value) for name, value in zip(columns, item, strict=True)})
                if len(batch) >= BATCH_ROWS and table is not None:
                    conn.execute(insert(table), batch)
                    batch = []
            if table is not None and batch:
                conn.execute(insert(table), batch)
            if conn.dialect.name == "postgresql":
                _advance_sequences(conn, list(tables.values()))
    finally:
        engine.dispose()


def _advance_sequences(conn: Connection, tables: list[Table]) -> None:
    """Rows went in with their ids: each id sequence must continue after the largest one."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence is None:
                continue
            largest = conn.execute(select(func.max(column))).scalar()
            conn.execute(text("SELECT setval(:s, :v, :called)"),
                         {"s": sequence, "v": largest or 1, "called": largest is not None})
