"""Dossier reads per second and latency, with and without their access-log entry, at 1 and 32 clients.

Every read of a dossier or a document writes an access-log entry in a short write transaction of its own
(records.services.access.log_access). This measures what that costs: `logged` is the read use case as the
API runs it (`get_dossier`: access rule, dossier and linked dossiers, log entry, commit); `rule only` does the
same reads without the log entry, as reads did before the log existed; `unchained` writes the same entry as a plain
INSERT into a copy of the log table (no chain head to lock, no hash), as the log was before the audit chain — the
anchor for the chain's cost (issue 8 target: chained keeps ≥ 90% of unchained). Clients
are spread like bench.transitions' service layer (one process on SQLite, several on PostgreSQL).
Run: `make bench` (or `python -m bench.reads --seconds 8`).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench.common import percentile, print_table
from bench.transitions import CORES, PROCESSES, Result, _run_processes, _settings, hand_back, prepared, ready

VARIANTS = ("chained", "unchained", "rule only")
PLAIN_LOG = "bench_access_log_plain"


def _read_worker(url: str, data_dir: str, variant: str, codes: list[list[str]], seconds: float, barrier: Any,
                 out: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from infra.wiring import build_backends
    from records.access import Action
    from records.services.access import require
    from records.services.catalogue import load_principal
    from records.services.dossiers import get_dossier

    backends = build_backends(_settings(url, data_dir))
    officer = load_principal(uow=backends.uow(), username="xuly.tranbien")

    def read(code: str) -> None:
        if variant == "chained":
            get_dossier(uow=backends.uow(), clock=backends.clock, actor=officer, code=code)
        elif variant == "unchained":
            get_dossier(uow=_UnchainedUnitOfWork(backends.session_factory), clock=backends.clock, actor=officer,
                        code=code)
        else:
            with backends.uow() as uow:
                require(uow, officer, code, Action.READ, now=backends.clock.now())
                uow.dossiers.children(code)

    def client(rotation: list[str]) -> tuple[int, list[float], int]:
        latencies: list[float] = []
        start_at = ready(barrier)
        deadline = start_at + seconds
        turn = 0
        while time.time() < deadline:
            measured = time.time() >= start_at
            began = time.perf_counter()
            read(rotation[turn % len(rotation)])
            turn += 1
            if measured:
                latencies.append((time.perf_counter() - began) * 1000)
        return len(latencies), latencies, 0

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        results = list(pool.map(client, codes))
    backends.close()
    hand_back(out, results)


class _PlainLog:
    """The access log as it was before the chain: one INSERT per entry, nothing locked, nothing hashed."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def record(self, entries: Any, *, durable: bool = False) -> None:
        from sqlalchemy import text

        if self.session.get_bind().dialect.name == "postgresql" and not durable:
            self.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        self.session.execute(text(f"INSERT INTO {PLAIN_LOG} (at, principal_kind, username, agency_code, action, "
                                  "reason, dossier_code, document_id, share_id, client, detail) VALUES (:at, :pk, :u, "
                                  ":a, :act, :r, :d, :doc, :s, :c, :detail)"),
                             [{"at": e.at, "pk": e.principal_kind, "u": e.username, "a": e.agency_code,
                               "act": str(e.action), "r": e.reason, "d": e.dossier_code, "doc": e.document_id,
                               "s": e.share_id, "c": e.client, "detail": "{}"} for e in entries])


def _unchained_class() -> Any:
    from storage.uow import SqlUnitOfWork

    class Unchained(SqlUnitOfWork):
        def __enter__(self) -> Any:
            entered = super().__enter__()
            self.access_log = _PlainLog(self.session)  # type: ignore[assignment]
            return entered

    return Unchained


def _UnchainedUnitOfWork(factory: Any) -> Any:
    return _unchained_class()(factory)


def _plain_log_table(url: str) -> None:
    """An indexed copy of the log's columns, without the chain, for the `unchained` anchor."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        ident = "BIGSERIAL PRIMARY KEY" if conn.dialect.name == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
        stamp = "TIMESTAMPTZ" if conn.dialect.name == "postgresql" else "DATETIME"
        conn.execute(text(f"CREATE TABLE {PLAIN_LOG} (id {ident}, at {stamp} NOT NULL, principal_kind VARCHAR(20), "
                          "username VARCHAR(100), agency_code VARCHAR(40), action VARCHAR(40), reason VARCHAR(40), "
                          "dossier_code VARCHAR(64), document_id VARCHAR(32), share_id VARCHAR(32), "
                          "client VARCHAR(64), detail TEXT)"))
        for column in ("at", "username", "agency_code"):
            conn.execute(text(f"CREATE INDEX ix_plain_{column} ON {PLAIN_LOG} ({column})"))
        conn.execute(text(f"CREATE INDEX ix_plain_dossier ON {PLAIN_LOG} (dossier_code, at)"))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--clients", default="1,32")
    args = parser.parse_args(argv)
    client_counts = [int(c) for c in args.clients.split(",")]
    results: list[Result] = []
    for backend in args.backends.split(","):
        with prepared(backend, client_counts) as (url, data_dir, codes):
            _plain_log_table(url)
            for variant in VARIANTS:
                for clients in client_counts:
                    done, latencies, _ = _run_processes(_read_worker, (url, data_dir, variant), codes[:clients],
                                                        args.seconds, PROCESSES[backend])
                    result = Result(backend, variant, clients, done, args.seconds, latencies, 0)
                    results.append(result)
                    print(f"  {backend:8} {variant:9} {clients:3} clients: {result.rate:7.0f}/s "
                          f"p99 {percentile(latencies, 0.99):6.1f} ms", flush=True)
    unchained = {(r.backend, r.clients): r.rate for r in results if r.layer == "unchained"}
    print_table(f"Dossier reads ({args.seconds:.0f} s per row, {CORES} cores): the access-log entry each read writes "
                "into the audit chain, the same entry as a plain insert (anchor), and the access rule alone",
                ["backend", "read", "clients", "reads/s", "p50 ms", "p99 ms", "vs unchained"],
                [[r.backend, r.layer, r.clients, f"{r.rate:.0f}", f"{percentile(r.latencies_ms, 0.5):.1f}",
                  f"{percentile(r.latencies_ms, 0.99):.1f}",
                  f"{r.rate / unchained[(r.backend, r.clients)]:.0%}" if unchained.get((r.backend, r.clients))
                  else ""] for r in results])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
