"""Bulk import benchmark: `hoso import` of scanned dossiers until every page is OCR'd and indexed, against bare
Tesseract on the same pages with the same number of processes, measured in the same run.

    python -m bench.bulk_import                      # both deployments (about 3 min on two cores)
    python -m bench.bulk_import --deployment production --processes 2

The scans are the dev pages of the shared OCR corpus (`HOSO_OCR_CORPUS`, default ../shared/corpus/ocr beside the
repository; read in place, never copied): the manifest lists them three to a dossier, relative to the corpus'
`dev/scans` folder.
*production*: PostgreSQL (`HOSO_BENCH_PG_URL`), Redis (`HOSO_BENCH_REDIS_URL`, flushed first), a worker with
`--concurrency N` on the ocr and index queues. *embedded*: SQLite, the file queue, the one-process worker `hoso serve`
starts (so one Tesseract at a time, and bare Tesseract gets one process too).

The clock runs from the start of the import command to the moment the last document is `indexed` (OCR, PDF/A,
thumbnails, search entry, all in the worker). The worker is started and warmed on one page before. Bare Tesseract
(`vie --psm 3`, OMP_THREAD_LIMIT=1, on the JPEG each scan PDF holds) runs just before and just after; their mean is
the anchor. The import command alone (reading, hashing and storing the files, one transaction per dossier) is
reported too, with its CPU seconds: the import is meant to cost little beside the OCR.

On a machine shared with other work the wall-clock figures move with its load (the two bare runs bracket the hoso
run to show how much); the CPU columns do not: CPU seconds per page of bare Tesseract against those of the worker
(its processes and their Tesseract runs, read from /proc) plus the import command — the database server's and the
broker's CPU are not counted. Their ratio is the throughput hoso would reach against bare Tesseract on a machine
doing nothing else.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import redis
from rich.console import Console

from bench.common import bench_database, print_table
from bench.ocr import CORPUS, _bare_page, _start, extract_scans
from infra.bulk_import import run_import
from infra.demo import agency_from_dict
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.documents import DocumentStatus
from records.procedures import procedure_from_dict
from records.services.catalogue import import_agencies, import_procedures
from records.services.past_import import imported_document_statuses

REDIS_URL = os.environ.get("HOSO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SECRET = "bench-bulk-import-secret-key-0123456789abcdef"
DEMO = Path(__file__).resolve().parent.parent / "infra" / "demo"
AGENCY, PROCEDURE = "000.60.01.H19", "1.012756"  # phường Trấn Biên; land certificate, first time
FILES_PER_DOSSIER = 3
TARGET = 0.90
HEADER = "dossier_code,agency_code,procedure_code,received_at,due_at,closed_at,state,applicant_name,applicant_id,files"


def _manifest(path: Path, scans: list[Path], prefix: str) -> Path:
    rows = [HEADER]
    for number, start in enumerate(range(0, len(scans), FILES_PER_DOSSIER), start=1):
        files = ";".join(scan.name for scan in scans[start:start + FILES_PER_DOSSIER])
        rows.append(f"{prefix}-{number:04d},{AGENCY},{PROCEDURE},2018-05-{number % 28 + 1:02d},,2018-06-29,"
                    f"result_returned,Người nộp {number},{75085000000 + number:012d},{files}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _bare(images: list[Path], processes: int, out: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (workers and their tesseract runs) for bare Tesseract over `images` in
    `processes` processes (started before the clock)."""
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_start, range(processes)))
        started = time.perf_counter()
        runs = list(pool.map(_bare_page, [(image, out) for image in images]))
        return time.perf_counter() - started, sum(run.cpu_seconds for run in runs)


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children, with the children they have waited for (the worker's pool
    processes and their tesseract runs), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent's pid
            total += sum(int(value) for value in fields[11:15]) / ticks  # utime stime cutime cstime
    return total


def _wait(backends: Backends, ids: list[str], worker: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = imported_document_statuses(uow=backends.uow(), document_ids=ids)
        if counts.get(DocumentStatus.FAILED):
            raise SystemExit(f"a document failed: {counts}")
        if counts.get(DocumentStatus.INDEXED, 0) == len(ids):
            return
        if worker.poll() is not None:
            raise SystemExit("the worker stopped")
        time.sleep(0.1)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for the OCR")


def _start_worker(settings: Settings, processes: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HOSO_DATABASE_URL": settings.effective_database_url, "HOSO_DATA_DIR": str(settings.data_dir),
           "HOSO_SECRET_KEY": SECRET, "HOSO_CELERY_BROKER_URL": settings.celery_broker_url, "HOSO_LOG_LEVEL": "WARNING",
           "OMP_THREAD_LIMIT": "1"}
    env.pop("HOSO_TASKS", None)
    return subprocess.Popen([sys.executable, "-m", "infra.cli", "worker", "--concurrency", str(processes),
                             "--queues", "ocr,index"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run(deployment: str, processes: int, scans_dir: Path, pages: int, work: Path) -> list[list[object]]:
    scans = sorted(scans_dir.glob("*.pdf"))[:pages]
    (work / "jpeg").mkdir()
    images = extract_scans(scans_dir, work / "jpeg")[:pages]
    (work / "bare").mkdir(exist_ok=True)
    production = deployment == "production"
    if production:
        redis.Redis.from_url(REDIS_URL).flushdb()
    else:
        processes = 1  # the embedded worker runs one task at a time
    with bench_database("postgres" if production else "sqlite") as url:
        settings = Settings(database_url=url, data_dir=work / deployment, secret_key=SECRET,
                            celery_broker_url=REDIS_URL if production else "")
        backends = build_backends(settings)
        import_agencies(uow=backends.uow(), clock=backends.clock, agencies=[
            agency_from_dict(a) for a in json.loads((DEMO / "agencies.json").read_text("utf-8"))])
        import_procedures(uow=backends.uow(), clock=backends.clock, procedures=[
            procedure_from_dict(p) for p in json.loads((DEMO / "procedures.json").read_text("utf-8"))])
        worker = _start_worker(settings, processes)
        quiet = Console(file=io.StringIO())
        try:
            warm = run_import(backends, root=scans_dir, manifest=_manifest(work / "warm.csv", scans[-1:], "WARM"),
                              console=quiet)
            _wait(backends, warm.document_ids, worker, timeout=300)
            bare_before, bare_cpu_before = _bare(images, processes, work / "bare")
            manifest = _manifest(work / f"{deployment}.csv", scans, "BENCH")
            worker_cpu = _tree_cpu(worker.pid)
            started, cpu = time.perf_counter(), _cpu_self()
            summary = run_import(backends, root=scans_dir, manifest=manifest, console=quiet)
            import_seconds, import_cpu = time.perf_counter() - started, _cpu_self() - cpu
            _wait(backends, summary.document_ids, worker, timeout=30 * pages + 120)
            total = time.perf_counter() - started
            worker_cpu = _tree_cpu(worker.pid) - worker_cpu
            bare_after, bare_cpu_after = _bare(images, processes, work / "bare")
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
            backends.close()
    if summary.imported * FILES_PER_DOSSIER < len(scans) or summary.rejected:
        raise SystemExit(f"the import did not take every row: {summary}")
    n = len(images)
    bare = (bare_before + bare_after) / 2
    ratio = bare / total
    bare_cpu = (bare_cpu_before + bare_cpu_after) / 2 / n
    hoso_cpu = (worker_cpu + import_cpu) / n
    return [[deployment, processes, n, f"{n / bare_before:.2f} / {n / bare_after:.2f}", f"{n / total:.2f}",
             f"{ratio:.1%}", "yes" if ratio >= TARGET else "no", f"{bare_cpu:.2f}", f"{hoso_cpu:.2f}",
             f"{bare_cpu / hoso_cpu:.1%}", f"{import_seconds:.2f}", f"{import_cpu / n * 1000:.0f}"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the OCR corpus (its dev/scans are imported)")
    parser.add_argument("--deployment", choices=["production", "embedded", "both"], default="both")
    parser.add_argument("--processes", type=int, default=2, help="worker processes and bare Tesseract processes")
    parser.add_argument("--pages", type=int, default=30)
    args = parser.parse_args(argv)
    scans_dir = args.corpus / "dev" / "scans"
    if not scans_dir.is_dir():
        raise SystemExit(f"no scans at {scans_dir} (set HOSO_OCR_CORPUS or --corpus)")
    rows: list[list[object]] = []
    for deployment in (["production", "embedded"] if args.deployment == "both" else [args.deployment]):
        with tempfile.TemporaryDirectory(prefix="hoso-bench-import-") as directory:
            rows += run(deployment, args.processes, scans_dir, args.pages, Path(directory))
    print_table(
        "Bulk import: `hoso import` until every page is indexed, against bare Tesseract on the same pages "
        f"(target ≥ {TARGET:.0%})",
        ["deployment", "processes", "pages", "bare pages/s (before / after)", "hoso pages/s", "vs bare", "met",
         "bare CPU s/page", "hoso CPU s/page", "vs bare (CPU)", "import cmd s", "import cmd CPU ms/page"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
