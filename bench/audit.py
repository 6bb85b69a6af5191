"""The audit chain's costs: dossier reads with the chained log entry against the plain entry they wrote before the
chain existed, and `hoso audit verify` over one million entries.

1. Reads (PostgreSQL, 1 and 32 clients, as bench.reads): `chained` is `get_dossier` as the API runs it — access
   rule, dossier, log entry appended to the chain (head row locked, hash computed, head moved), commit;
   `unchained` is the same read writing its log entry as a plain insert (what it did before the chain);
   (reads without any entry: bench.reads). The figure is chained / unchained (target ≥ 90% kept).
2. Verify (PostgreSQL scratch database): the chain is bulk-loaded (COPY) to 1,000,000 entries (`--sizes` for
   several lengths); `verify_audit_chain` then runs in a fresh process, reporting entries/s and the process's
   peak resident memory. The anchor, in the same run and on the same rows: a raw psycopg server-side scan that
   feeds each row's bytes to hashlib.sha256 — reading and hashing, without rebuilding the entries.
Run: `make bench` (or `python -m bench.audit --seconds 5 --entries 1000000`).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import PG_URL, percentile, print_table
from bench.transitions import CORES, PROCESSES, Result, _run_processes, _settings, hand_back, prepared, ready
from storage.provision import scratch_postgres

READ_VARIANTS = ("chained", "unchained")  # reads without any entry: bench.reads


def _plain_record(self: Any, entries: Any, *, durable: bool = False) -> None:
    """The access log's append as it was before the chain: an insert, no head, no hash."""
    from sqlalchemy import insert, text

    from storage.access_log import ACCESS_LOG

    if not entries:
        return
    if not durable:
        self.session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    self.session.execute(insert(ACCESS_LOG), [
        {"at": e.at, "principal_kind": e.principal_kind, "username": e.username, "agency_code": e.agency_code,
         "action": str(e.action), "reason": e.reason, "dossier_code": e.dossier_code, "document_id": e.document_id,
         "share_id": e.share_id, "client": e.client, "detail": e.detail} for e in entries])


def _read_worker(url: str, data_dir: str, variant: str, codes: list[list[str]], seconds: float, barrier: Any,
                 out: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from infra.wiring import build_backends
    from records.services.catalogue import load_principal
    from records.services.dossiers import get_dossier
    from storage.access_log import SqlAccessLogRepository

    if variant == "unchained":
        SqlAccessLogRepository.record = _plain_record  # type: ignore[method-assign]
    backends = build_backends(_settings(url, data_dir))
    officer = load_principal(uow=backends.uow(), username="xuly.tranbien")

    def read(code: str) -> None:
        get_dossier(uow=backends.uow(), clock=backends.clock, actor=officer, code=code)

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


def bench_reads(seconds: float, client_counts: list[int]) -> list[Result]:
    results: list[Result] = []
    with prepared("postgres", client_counts) as (url, data_dir, codes):
        import psycopg

        with psycopg.connect(_libpq(url), autocommit=True) as conn:  # plain inserts take ids far past the chain's
            conn.execute("SELECT setval(pg_get_serial_sequence('access_log', 'id'), 1000000000)")
        # The variants take turns per client count, so that the log grows alike under each.
        for clients in client_counts:
            for variant in READ_VARIANTS:
                done, latencies, _ = _run_processes(_read_worker, (url, data_dir, variant), codes[:clients],
                                                    seconds, PROCESSES["postgres"])
                result = Result("postgres", variant, clients, done, seconds, latencies, 0)
                results.append(result)
                print(f"  reads {variant:9} {clients:3} clients: {result.rate:7.0f}/s "
                      f"p99 {percentile(latencies, 0.99):6.1f} ms", flush=True)
    return results


def _libpq(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def grow_chain(url: str, upto: int) -> float:
    """Appends realistic entries (reads and writes of many dossiers) until the chain has `upto`; COPY in
    batches, hashes chained in Python exactly as the application does. Returns the seconds taken."""
    import json

    import psycopg

    from records.access_log import AccessEntry, AccessKind
    from records.audit import chain_hash

    began = time.perf_counter()
    kinds = [AccessKind.VIEW, AccessKind.DOCUMENT, AccessKind.DOWNLOAD, AccessKind.VIEW, AccessKind.TRANSITION]
    with psycopg.connect(_libpq(url)) as conn:
        head = conn.execute("SELECT last_id, last_hash FROM audit_head WHERE id = 1").fetchone()
        assert head is not None
        last_id, last_hash = head
        start = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
        columns = ("id, at, principal_kind, username, agency_code, action, reason, dossier_code, document_id, "
                   "share_id, client, detail, prev_hash, entry_hash")
        while last_id < upto:
            end = min(upto, last_id + 50_000)
            with conn.cursor().copy(f"COPY access_log ({columns}) FROM STDIN") as copy:
                for n in range(last_id + 1, end + 1):
                    kind = kinds[n % len(kinds)]
                    entry = AccessEntry(
                        at=start + timedelta(milliseconds=250 * n), principal_kind="officer",
                        username=f"xuly.{n % 40:02d}", agency_code="000.00.09.H19", action=kind,
                        reason="write" if kind is AccessKind.TRANSITION else "holder_agency",
                        dossier_code=f"000.00.09.H19-26{n % 12 + 1:02d}01-{n % 9973:04d}",
                        document_id=f"{n:032x}" if kind in (AccessKind.DOCUMENT, AccessKind.DOWNLOAD) else None,
                        client="10.0.0.7",
                        detail={"to": "processing", "from": "received"} if kind is AccessKind.TRANSITION
                        else {"part": "dossier"})
                    entry_hash = chain_hash(last_hash, n, entry)
                    copy.write_row((n, entry.at, entry.principal_kind, entry.username, entry.agency_code,
                                    entry.action.value, entry.reason, entry.dossier_code, entry.document_id,
                                    None, entry.client, json.dumps(entry.detail), last_hash, entry_hash))
                    last_hash = entry_hash
            last_id = end
            conn.execute("UPDATE audit_head SET last_id = %s, last_hash = %s WHERE id = 1", (last_id, last_hash))
            conn.commit()
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE access_log")
    return time.perf_counter() - began


def _peak_rss_kb() -> int:
    """This process's resident-memory high-water mark (VmHWM: reset at exec, unlike ru_maxrss)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _verify_child(url: str, data_dir: str, out: Any) -> None:
    from infra.wiring import build_backends
    from records.services.audit_chain import verify_audit_chain

    backends = build_backends(_settings(url, data_dir))
    before = _peak_rss_kb()
    began = time.perf_counter()
    result = verify_audit_chain(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock)
    seconds = time.perf_counter() - began
    backends.close()
    out.put((result.intact, result.checked, seconds, before, _peak_rss_kb()))


def _anchor_child(url: str, _data_dir: str, out: Any) -> None:
    """Reading the same rows through a server-side cursor and hashing their bytes, nothing else."""
    import hashlib

    import psycopg

    before = _peak_rss_kb()
    began = time.perf_counter()
    rows = 0
    with psycopg.connect(_libpq(url)) as conn, conn.cursor(name="anchor") as cursor:
        cursor.itersize = 5000
        cursor.execute("SELECT id, at, principal_kind, username, agency_code, action, reason, dossier_code, "
                       "document_id, share_id, client, detail::text, prev_hash, entry_hash FROM access_log "
                       "ORDER BY id")
        for row in cursor:
            hashlib.sha256(repr(row).encode()).digest()
            rows += 1
    seconds = time.perf_counter() - began
    out.put((True, rows, seconds, before, _peak_rss_kb()))


def _in_child(target: Any, url: str, data_dir: str) -> tuple[bool, int, float, int, int]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    child = ctx.Process(target=target, args=(url, data_dir, out))
    child.start()
    answer: tuple[bool, int, float, int, int] = out.get(timeout=900)
    child.join()
    return answer


def bench_verify(sizes: list[int]) -> list[list[object]]:
    rows: list[list[object]] = []
    with scratch_postgres(PG_URL, prefix="hoso_bench_audit") as url, tempfile.TemporaryDirectory() as data_dir:
        for size in sizes:
            loaded = grow_chain(url, size)
            print(f"  chain grown to {size:,} entries in {loaded:.1f} s", flush=True)
            measured = []
            for label, target in (("hoso audit verify", _verify_child), ("anchor: SQL scan + sha256", _anchor_child)):
                intact, checked, seconds, before, peak = _in_child(target, url, data_dir)
                assert intact, "the generated chain must verify"
                rate = checked / seconds
                measured.append(rate)
                rows.append([f"{size:,}", label, f"{checked:,}", f"{seconds:.1f}", f"{rate:,.0f}",
                             f"{peak / 1024:.0f}", f"{(peak - before) / 1024:.0f}", ""])
                print(f"  {label:26} {checked:>9,} entries {seconds:6.1f} s {rate:9,.0f}/s "
                      f"peak RSS {peak / 1024:.0f} MB (+{(peak - before) / 1024:.0f} MB while running)", flush=True)
            rows[-2][-1] = f"{measured[0] / measured[1]:.0%}"
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", default="1,32")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--sizes", help="verify at several chain lengths, e.g. 100000,1000000 (default: --entries)")
    args = parser.parse_args(argv)
    if not args.skip_reads:
        reads = bench_reads(args.seconds, [int(c) for c in args.clients.split(",")])
        rates = {(r.layer, r.clients): r.rate for r in reads}
        print_table(f"Dossier reads on PostgreSQL ({args.seconds:.0f} s per row, {CORES} cores): the log entry "
                    "chained, and as a plain insert (before the chain)",
                    ["clients", "read", "reads/s", "p50 ms", "p99 ms", "vs unchained"],
                    [[r.clients, r.layer, f"{r.rate:.0f}", f"{percentile(r.latencies_ms, 0.5):.1f}",
                      f"{percentile(r.latencies_ms, 0.99):.1f}",
                      f"{r.rate / rates[('unchained', r.clients)]:.0%}"] for r in reads])
    if args.skip_verify:
        return 0
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else [args.entries]
    print_table("`hoso audit verify` on PostgreSQL, each in a fresh process; anchor: the same rows read by a raw "
                "server-side cursor and hashed with hashlib",
                ["entries", "run", "checked", "seconds", "entries/s", "peak RSS MB", "grew MB", "vs anchor"],
                bench_verify(sizes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
