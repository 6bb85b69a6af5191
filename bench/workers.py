"""Worker benchmark on an embedded install (SQLite, the file queue, real `hoso worker` processes):

1. OCR throughput with 1 and with 2 worker processes, one-page corpus scans uploaded through the API and read
   until indexed; the anchor is bare Tesseract on the same pages, 1 and 2 processes in parallel.
2. A one-page scan's wait behind a 2,000-page PDF (many cheap generated pages) being read by the only worker;
   the anchor is the same one-page scan's processing time alone, in the same run.

    python -m bench.workers [--corpus DIR] [--pages 12] [--large-pages 2000]

The corpus defaults to $HOSO_OCR_CORPUS or ../shared/corpus/ocr (the dev scans are used).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import pikepdf
from fastapi.testclient import TestClient

from api.app import create_app
from bench.common import print_table
from bench.ocr import CORPUS, extract_scans
from infra.demo import load_demo
from infra.settings import Settings
from infra.wiring import Backends, build_backends
from records.documents import DocumentStatus
from records.services.catalogue import load_principal
from storage.migrate import upgrade
from tests.support.processes import cheap_scan_pdf

LAND_FIRST_CERTIFICATE = "1.012756"  # a demo procedure that takes attachments
SECRET = "bench-workers-secret-key-0123456789abcdef"
_serial = itertools.count(1)


class Instance:
    """A throw-away embedded install with the API in this process and workers as real child processes."""

    def __init__(self, data_dir: Path) -> None:
        self.settings = Settings(data_dir=data_dir, secret_key=SECRET)
        upgrade(self.settings.effective_database_url)
        self.backends: Backends = build_backends(self.settings)
        load_demo(self.backends, password="bench-workers-password", with_dossiers=False)
        desk = load_principal(uow=self.backends.uow(), username="tiepnhan.tranbien")
        self.headers = {"Authorization": f"Bearer {self.backends.tokens.issue(desk).token}"}
        self.client = TestClient(create_app(backends=self.backends))
        self.workers: list[subprocess.Popen[bytes]] = []

    def start_workers(self, count: int) -> None:
        env = {**os.environ, "HOSO_DATA_DIR": str(self.settings.data_dir), "HOSO_SECRET_KEY": SECRET,
               "HOSO_DATABASE_URL": self.settings.effective_database_url, "HOSO_CELERY_BROKER_URL": "",
               "HOSO_LOG_LEVEL": "WARNING"}
        env.pop("HOSO_TASKS", None)
        for _ in range(count):
            self.workers.append(subprocess.Popen([sys.executable, "-m", "infra.cli", "worker"], env=env,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                                 start_new_session=True))

    def stop_workers(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        self.workers.clear()

    def upload(self, name: str, content: bytes) -> str:
        dossier = self.client.post("/api/v1/dossiers", headers=self.headers, json={
            "procedure_code": LAND_FIRST_CERTIFICATE,
            "applicant": {"name": "Lê Thị Hoa", "id_number": f"075085{next(_serial):06d}"}})
        code = dossier.json()["code"]
        response = self.client.post(f"/api/v1/dossiers/{code}/documents", headers=self.headers,
                                    files={"file": (name, content, "application/pdf")})
        response.raise_for_status()
        document_id: str = response.json()["id"]
        return document_id

    def status(self, document_id: str) -> DocumentStatus:
        with self.backends.uow() as uow:
            document = uow.documents.get(document_id)
        assert document is not None
        return document.status

    def close(self) -> None:
        self.stop_workers()
        self.client.close()
        self.backends.close()


def wait_until(check: Callable[[], bool], *, seconds: float = 1800) -> float:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.1)
    return time.monotonic()


def throughput(scans: list[Path], processes: int) -> float:
    """Pages per second of `processes` workers reading one-page scans (first page started → last indexed)."""
    with tempfile.TemporaryDirectory(prefix="hoso-bench-workers-") as directory:
        instance = Instance(Path(directory))
        try:
            ids = [instance.upload(scan.name, scan.read_bytes()) for scan in scans]
            instance.start_workers(processes)
            started = wait_until(lambda: any(instance.status(i) is not DocumentStatus.QUEUED for i in ids))
            ended = wait_until(lambda: all(instance.status(i) is DocumentStatus.INDEXED for i in ids))
        finally:
            instance.close()
    return len(scans) / (ended - started)


def bare_tesseract(images: list[Path], processes: int) -> float:
    with tempfile.TemporaryDirectory(prefix="hoso-bench-bare-") as out:
        def one(image: Path) -> None:
            subprocess.run(["tesseract", str(image), str(Path(out) / image.stem), "-l", "vie", "--psm", "3"],
                           env=dict(os.environ, OMP_THREAD_LIMIT="1"), check=True, capture_output=True, timeout=300)

        started = time.monotonic()
        with ThreadPoolExecutor(processes) as pool:
            list(pool.map(one, images))
        return len(images) / (time.monotonic() - started)


def wait_behind_large(scan: Path, large_pages: int) -> tuple[float, float, int]:
    """(the scan's time alone, its time behind the large PDF, pages of the large PDF read by then)."""
    with tempfile.TemporaryDirectory(prefix="hoso-bench-large-") as directory:
        instance = Instance(Path(directory))
        try:
            instance.start_workers(1)
            warm = instance.upload("warm-up.pdf", scan.read_bytes())
            wait_until(lambda: instance.status(warm) is DocumentStatus.INDEXED)
            started = time.monotonic()
            alone = instance.upload("alone.pdf", cheap_bytes(scan, 1))
            alone_seconds = wait_until(lambda: instance.status(alone) is DocumentStatus.INDEXED) - started
            large = instance.upload("large.pdf", cheap_scan_pdf(large_pages))
            wait_until(lambda: instance.status(large) is DocumentStatus.OCR)
            time.sleep(2.0)  # well into a chunk
            started = time.monotonic()
            small = instance.upload("behind.pdf", cheap_bytes(scan, 2))
            behind_seconds = wait_until(lambda: instance.status(small) is DocumentStatus.INDEXED) - started
            with instance.backends.uow() as uow:
                document = uow.documents.get(large)
            done = document.pages_done if document is not None else 0
        finally:
            instance.close()
    return alone_seconds, behind_seconds, done


def cheap_bytes(scan: Path, variant: int) -> bytes:
    """The same scan, made a distinct upload (another title) so that it is not taken for a duplicate."""
    with pikepdf.open(scan) as pdf:
        pdf.docinfo["/Title"] = f"variant {variant}"
        buffer = BytesIO()
        pdf.save(buffer)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the OCR corpus (its dev/scans are used)")
    parser.add_argument("--pages", type=int, default=12, help="one-page scans read for the throughput")
    parser.add_argument("--large-pages", type=int, default=2000)
    args = parser.parse_args(argv)
    scans = sorted((args.corpus / "dev" / "scans").glob("*.pdf"))[: args.pages]
    if not scans:
        print(f"no scans in {args.corpus / 'dev' / 'scans'}: pass --corpus", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hoso-bench-jpegs-") as jpegs:
        images = extract_scans(args.corpus / "dev" / "scans", Path(jpegs))[: args.pages]
        bare = {n: bare_tesseract(images, n) for n in (1, 2)}
    hoso = {n: throughput(scans, n) for n in (1, 2)}
    rows = [(f"{n} process{'es' if n > 1 else ''}", f"{bare[n]:.2f}", f"{hoso[n]:.2f}",
             f"{hoso[n] / bare[n]:.2f}") for n in (1, 2)]
    rows.append(("2 vs 1", f"{bare[2] / bare[1]:.2f}×", f"{hoso[2] / hoso[1]:.2f}×",
                 f"target ≥ 1.8×: {'met' if hoso[2] / hoso[1] >= 1.8 else 'NOT met'}"))
    print_table(f"OCR throughput, pages/s ({len(scans)} one-page corpus scans, upload → indexed)",
                ("workers", "bare tesseract", "hoso workers", "hoso / bare"), rows)
    alone, behind, done = wait_behind_large(scans[0], args.large_pages)
    print_table(f"A one-page scan behind a {args.large_pages}-page PDF (embedded: one worker, file queue)",
                ("one-page scan", "seconds", "ratio to alone", "target"),
                [("alone (anchor)", f"{alone:.1f}", "1.00", ""),
                 (f"behind the large PDF ({done} of its pages read by then)", f"{behind:.1f}",
                  f"{behind / alone:.2f}", f"≤ 60 s: {'met' if behind <= 60 else 'NOT met'}")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
