"""The archive's figures (issue 8), each beside an anchor measured in the same run:

* fixity: re-check throughput of `run_fixity` (no rate limit) against plain `sha256sum` over the same blob files
  (target ≥ 80%);

Run: `make bench` (or `python -m bench.archive`). The audit chain's figures are in `bench.audit`, the BagIt
export and import's in `bench.bags`.
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

from bench.common import print_table

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blobs", type=int, default=60)
    parser.add_argument("--blob-mib", type=int, default=8)
    parser.add_argument("--only", default="fixity")
    args = parser.parse_args(argv)
    wanted = set(args.only.split(","))
    if "fixity" in wanted:
        print_table("Fixity re-check (local blobs, no rate limit) against sha256sum on the same files",
                    ["run", "blobs", "size", "sha256sum MiB/s", "fixity MiB/s", "ratio"],
                    bench_fixity(args.blobs, args.blob_mib))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
