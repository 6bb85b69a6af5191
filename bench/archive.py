"""The archive's figures (issue 8), each beside an anchor measured in the same run:

* fixity: re-check throughput of `run_fixity` (no rate limit) against plain `sha256sum` over the same blob files
  (target ≥ 80%);
* audit verify: entries/s and peak memory of `hoso audit verify`'s chain walk at 1,000,000 entries on PostgreSQL,
  against a raw streamed SELECT of the same rows;
(export/import of an archival file as a BagIt bag: bench/bags.py)

Run: `make bench` (or `python -m bench.archive --entries 1000000`).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import PG_URL, print_table

MiB = 1024 * 1024


def _instance(directory: Path, url: str) -> object:
    from infra.demo import load_demo
    from infra.settings import Settings
    from infra.wiring import build_backends

    backends = build_backends(Settings(database_url=url, data_dir=directory, secret_key="b" * 40, tasks="inline"))
    load_demo(backends, password="bench-password-0", with_dossiers=False)
    return backends


def bench_fixity(blob_count: int, blob_mib: int) -> list[list[object]]:
    from records.blobs import original_key
    from records.fixity import BlobRecord
    from records.services.fixity import Pace, run_fixity
    from storage.provision import scratch_sqlite

    with tempfile.TemporaryDirectory(prefix="hoso-bench-fixity-") as tmp:
        root = Path(tmp)
        with scratch_sqlite(root) as url:
            backends = _instance(root / "data", url)
            records, paths = [], []
            for n in range(blob_count):
                data = os.urandom(blob_mib * MiB) if n == 0 else hashlib.sha256(str(n).encode()).digest() * (
                    blob_mib * MiB // 32)
                sha = hashlib.sha256(data).hexdigest()
                info = backends.blobs.put(original_key(sha), io.BytesIO(data), sha256=sha)  # type: ignore[attr-defined]
                records.append(BlobRecord(info.key, sha, info.size, None, datetime.now(UTC)))
                paths.append(str(root / "data" / "blobs" / info.key))
            with backends.uow() as uow:  # type: ignore[attr-defined]
                uow.begin_write()
                uow.fixity.record(records)
                uow.commit()
            total = blob_count * blob_mib
            rows = []
            for attempt in (1, 2):
                began = time.perf_counter()
                subprocess.run(["sha256sum", *paths], check=True, stdout=subprocess.DEVNULL)
                anchor = total / (time.perf_counter() - began)
                run = run_fixity(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock,  # type: ignore
                                 pace=Pace(0), full_pass=True)
                assert run.checked == blob_count and not run.problems
                rate = run.bytes_read / MiB / run.seconds
                rows.append([f"run {attempt}", blob_count, f"{total} MiB", f"{anchor:.0f}", f"{rate:.0f}",
                             f"{rate / anchor:.0%}"])
            backends.close()  # type: ignore[attr-defined]
    return rows


_VERIFY_CHILD = r"""
import json, resource, sys, time
from sqlalchemy import text
from infra.settings import Settings
from infra.wiring import build_backends
from records.audit import verify_chain
url, mode = sys.argv[1], sys.argv[2]
backends = build_backends(Settings(database_url=url, data_dir="/tmp/hoso-bench-verify", secret_key="b" * 40))
began = time.perf_counter()
if mode == "verify":
    with backends.uow() as uow:
        result = verify_chain(uow.access_log.chain())
    count, ok = result.checked, result.intact
else:
    with backends.engine.connect() as conn:
        count = sum(1 for _ in conn.execution_options(stream_results=True, yield_per=5000).execute(
            text("SELECT * FROM access_log ORDER BY id")))
    ok = True
seconds = time.perf_counter() - began
print(json.dumps({"count": count, "ok": ok, "seconds": seconds,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_audit(entries: int) -> list[list[object]]:
    import psycopg

    from records.access_log import AccessEntry, AccessKind
    from records.audit import GENESIS, chain_hash
    from storage.provision import scratch_postgres

    rows = []
    with scratch_postgres(PG_URL, prefix="hoso_bench") as url:
        began = time.perf_counter()
        start = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
        last = GENESIS
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            with conn.cursor() as cur, cur.copy(
                    "COPY access_log (id, at, principal_kind, username, agency_code, action, reason, dossier_code, "
                    "document_id, share_id, client, detail, prev_hash, entry_hash) FROM STDIN") as copy:
                for n in range(1, entries + 1):
                    entry = AccessEntry(at=start + timedelta(milliseconds=n), principal_kind="officer",
                                        username="xuly.tranbien", agency_code="000.60.01.H19",
                                        action=AccessKind.VIEW, reason="holder_agency",
                                        dossier_code=f"000.60.01.H19-260105-{n % 9999:04d}", client="10.0.0.7",
                                        detail={"part": "dossier"})
                    digest = chain_hash(last, n, entry)
                    copy.write_row((n, entry.at, "officer", entry.username, entry.agency_code, "view",
                                    entry.reason, entry.dossier_code, None, None, entry.client,
                                    json.dumps(entry.detail), last, digest))
                    last = digest
            conn.execute("UPDATE audit_head SET last_id = %s, last_hash = %s WHERE id = 1", (entries, last))
            conn.commit()
        print(f"  {entries} chained entries written in {time.perf_counter() - began:.0f} s", flush=True)
        results = {}
        for mode in ("scan", "verify"):
            out = subprocess.run([sys.executable, "-c", _VERIFY_CHILD, url, mode], check=True, capture_output=True,
                                 text=True, env={**os.environ, "PYTHONPATH": os.getcwd()}).stdout
            results[mode] = json.loads(out.strip().splitlines()[-1])
            assert results[mode]["count"] == entries and results[mode]["ok"]
        scan, verify = results["scan"], results["verify"]
        rows.append([entries, "raw SELECT (anchor)", f"{entries / scan['seconds']:.0f}", f"{scan['peak_mib']:.0f}",
                     ""])
        rows.append([entries, "audit verify", f"{entries / verify['seconds']:.0f}", f"{verify['peak_mib']:.0f}",
                     f"{scan['seconds'] / verify['seconds']:.0%}"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blobs", type=int, default=60)
    parser.add_argument("--blob-mib", type=int, default=8)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--only", default="fixity,audit")
    args = parser.parse_args(argv)
    wanted = set(args.only.split(","))
    if "fixity" in wanted:
        print_table("Fixity re-check (local blobs, no rate limit) against sha256sum on the same files",
                    ["run", "blobs", "size", "sha256sum MiB/s", "fixity MiB/s", "ratio"],
                    bench_fixity(args.blobs, args.blob_mib))
    if "audit" in wanted:
        print_table("Audit chain verification on PostgreSQL (child process each; peak = its max RSS)",
                    ["entries", "walk", "entries/s", "peak MiB", "speed vs scan"], bench_audit(args.entries))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
