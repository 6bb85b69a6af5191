"""Fixity re-check throughput on many small blobs (page thumbnails, page texts: tens of KiB each), where the cost of
recording each check matters more than hashing, against plain `sha256sum` over the same files in the same run, on
SQLite (the embedded install) and PostgreSQL. The large-blob figure is in `bench.archive` (`--only fixity`).

Run: `python -m bench.fixity` (`--blobs 3000 --blob-kib 40`).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import bench_database, print_table

KiB, MiB = 1024, 1024 * 1024


def bench_small_blobs(kind: str, blob_count: int, blob_kib: int) -> list[list[object]]:
    from infra.settings import Settings
    from infra.wiring import build_backends
    from records.blobs import thumbnail_key
    from records.fixity import BlobRecord
    from records.services.fixity import Pace, run_fixity

    with tempfile.TemporaryDirectory(prefix="hoso-bench-fixity-") as tmp, bench_database(kind) as url:
        root = Path(tmp)
        backends = build_backends(Settings(database_url=url, data_dir=root, secret_key="b" * 40, tasks="inline"))
        records, paths = [], []
        for n in range(blob_count):
            data = os.urandom(blob_kib * KiB)
            owner = hashlib.sha256(str(n).encode()).hexdigest()
            info = backends.blobs.put(thumbnail_key(owner, 1), io.BytesIO(data))
            records.append(BlobRecord(info.key, info.sha256, info.size, None, datetime.now(UTC)))
            paths.append(str(root / "blobs" / info.key))
        with backends.uow() as uow:
            uow.begin_write()
            uow.fixity.record(records)
            uow.commit()
        total = blob_count * blob_kib / 1024
        rows: list[list[object]] = []
        for attempt in (1, 2):
            began = time.perf_counter()
            subprocess.run(["sha256sum", *paths], check=True, stdout=subprocess.DEVNULL)
            anchor = total / (time.perf_counter() - began)
            run = run_fixity(uow=backends.uow(), blobs=backends.blobs, clock=backends.clock, pace=Pace(0),
                             full_pass=True)
            assert run.checked == blob_count and not run.problems, run
            rate = run.bytes_read / MiB / run.seconds
            rows.append([kind, f"run {attempt}", blob_count, f"{blob_kib} KiB", f"{anchor:.0f}", f"{rate:.0f}",
                         f"{run.checked / run.seconds:.0f}", f"{rate / anchor:.0%}"])
        backends.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blobs", type=int, default=3000)
    parser.add_argument("--blob-kib", type=int, default=40)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    rows = [row for kind in args.backends.split(",") for row in bench_small_blobs(kind, args.blobs, args.blob_kib)]
    print_table("Fixity re-check of small blobs (local, no rate limit) against sha256sum on the same files",
                ["backend", "run", "blobs", "size each", "sha256sum MiB/s", "fixity MiB/s", "checks/s", "ratio"],
                rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
