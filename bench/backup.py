"""Backup and restore of the demo data plus 10,000 generated dossiers (issue 9), each beside anchors measured in the
same run on the same data:

* `hoso backup` (infra.backup.create_backup: the dump in one snapshot, the blobs copied with their SHA-256, the BagIt
  manifests, the audit entry) against the raw tools alone: `pg_dump -Fc` (PostgreSQL) or sqlite3's `.backup`
  (SQLite), plus `cp -r` of the blob directory and `sha256sum` of the copy;
* `hoso backup --verify` (every file re-hashed by bagit) against `sha256sum` over the same files;
* `hoso restore` into an empty instance (the hashes checked first, the dump loaded, the blobs put with their hashes,
  every original checked, the audit chain recomputed, the search index rebuilt) against `pg_restore` into an empty
  database (or copying the SQLite file) plus `cp -r` and `sha256sum` of the blobs.

Run: `make bench` (or `python -m bench.backup --dossiers 10000 --databases sqlite,postgres`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.common import PG_URL, bench_database, print_table
from infra.backup import check_backup, create_backup
from infra.demo import load_demo
from infra.restore import restore_backup
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.dossiers import Applicant, ApplicantKind, Channel
from records.services.catalogue import load_principal
from records.services.intake import receive_dossier
from storage.provision import scratch_postgres

SECRET = "bench-backup-secret-key-0123456789abcdef"


class NoTasks:
    """Generated dossiers are indexed by the restore's rebuild, not one by one while they are made."""

    def process_document(self, document_id: str) -> None: ...

    def index_dossier(self, dossier_code: str) -> None: ...

    def deliver_webhooks(self) -> None: ...


def _generate(backends: Backends, count: int) -> None:
    desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
    quiet = replace(backends, tasks=NoTasks())  # the intakes' outbox messages go nowhere
    for n in range(count):
        receive_dossier(uow=quiet.uow(), clock=backends.clock, calendar=backends.calendar, actor=desk,
                        procedure_code="1.001193", signer=backends.signer, channel=Channel.COUNTER,
                        applicant=Applicant(ApplicantKind.PERSON, f"Nguyễn Văn Số {n}", f"0751900{n:05d}"),
                        subject=f"Hồ sơ tạo cho đo hiệu năng số {n}")


@contextmanager
def _empty_database(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'restored.sqlite3'}"
        return
    with scratch_postgres(PG_URL, prefix="hoso_bench_restore", migrate=False) as url:
        yield url


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _run(*argv: str) -> None:
    subprocess.run(list(argv), check=True, capture_output=True)


def _sha256sum(directory: Path) -> None:
    files = [str(p) for p in directory.rglob("*") if p.is_file()]
    for start in range(0, len(files), 500):
        _run("sha256sum", *files[start:start + 500])


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _anchor_backup(kind: str, url: str, blobs: Path, target: Path) -> float:
    target.mkdir()

    def raw() -> None:
        if kind == "sqlite":
            _run("sqlite3", str(make_url(url).database), f".backup '{target / 'raw.sqlite3'}'")
        else:
            _run("pg_dump", "--format=custom", "--no-owner", f"--file={target / 'raw.pgdump'}",
                 f"--dbname={_libpq(url)}")
        _run("cp", "-r", str(blobs), str(target / "blobs"))
        _sha256sum(target / "blobs")

    return _timed(raw)


def _anchor_restore(kind: str, dump_dir: Path, scratch: Path) -> float:
    with _empty_database(kind, scratch) as url:
        def raw() -> None:
            if kind == "sqlite":
                _run("cp", str(dump_dir / "raw.sqlite3"), str(make_url(url).database))
            else:
                _run("pg_restore", "--no-owner", "--single-transaction", f"--dbname={_libpq(url)}",
                     str(dump_dir / "raw.pgdump"))
            _run("cp", "-r", str(dump_dir / "blobs"), str(scratch / "blobs-restored"))
            _sha256sum(scratch / "blobs-restored")

        return _timed(raw)


def bench(kind: str, dossiers: int) -> list[list[object]]:
    with tempfile.TemporaryDirectory(prefix="hoso-bench-backup-") as tmp, bench_database(kind) as url:
        work = Path(tmp)
        backends = build_backends(Settings(database_url=url, data_dir=work / "first", secret_key=SECRET,
                                           tasks="inline"))
        try:
            load_demo(backends, password="bench-password-0")
            _generate(backends, dossiers)
            summary = None

            def backup() -> None:
                nonlocal summary
                summary = create_backup(backends, work / "backup")

            backup_seconds = _timed(backup)
            assert summary is not None
            anchor_backup = _anchor_backup(kind, url, work / "first" / "blobs", work / "anchor")
            verify_seconds = _timed(lambda: check_backup(summary.path, now=backends.clock.now()))
            anchor_verify = _timed(lambda: _sha256sum(summary.path))
        finally:
            backends.close()
        (work / "restore-scratch").mkdir()
        with _empty_database(kind, work) as empty_url:
            settings = Settings(database_url=empty_url, data_dir=work / "second", secret_key=SECRET, tasks="inline")
            report = None

            def restore() -> None:
                nonlocal report
                report = restore_backup(settings, summary.path)

            restore_seconds = _timed(restore)
            assert report is not None and report.ok, report
            without_index = restore_seconds - report.seconds.get("search index", 0.0)
            print(f"{kind}: restore steps (s): " + ", ".join(f"{step} {seconds:.2f}"
                                                          for step, seconds in report.seconds.items()), flush=True)
        anchor_restore = _anchor_restore(kind, work / "anchor", work / "restore-scratch")
        size = f"{summary.size_bytes / 1024 / 1024:.1f} MB"
        held = f"{summary.counts['dossiers']} dossiers, {summary.counts['documents']} docs, {summary.blobs} blobs"
        anchors = {"sqlite": ("sqlite3 .backup + cp -r + sha256sum", "cp + cp -r + sha256sum"),
                   "postgresql": ("pg_dump -Fc + cp -r + sha256sum", "pg_restore + cp -r + sha256sum")}
        dump_anchor, load_anchor = anchors[summary.database_kind]
        return [[kind, "backup", held, size, f"{backup_seconds:.2f}", dump_anchor, f"{anchor_backup:.2f}",
                 f"{backup_seconds / anchor_backup:.1f}×"],
                [kind, "verify", held, size, f"{verify_seconds:.2f}", "sha256sum of the backup",
                 f"{anchor_verify:.2f}", f"{verify_seconds / anchor_verify:.1f}×"],
                [kind, "restore", held, size, f"{restore_seconds:.2f}", load_anchor, f"{anchor_restore:.2f}",
                 f"{restore_seconds / anchor_restore:.1f}×"],
                [kind, "restore w/o index rebuild", held, size, f"{without_index:.2f}", load_anchor,
                 f"{anchor_restore:.2f}", f"{without_index / anchor_restore:.1f}×"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    rows: list[list[object]] = []
    for kind in args.databases.split(","):
        rows += bench(kind, args.dossiers)
    print_table(f"Backup and restore: demo data + {args.dossiers} generated dossiers (seconds; restore includes "
                "the audit chain check and the search index rebuild)",
                ["database", "step", "holds", "size", "hoso s", "anchor", "anchor s", "ratio"], rows)


if __name__ == "__main__":
    if shutil.which("sha256sum") is None:
        raise SystemExit("sha256sum is missing (coreutils)")
    main()
