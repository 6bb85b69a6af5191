"""CPU seconds and peak memory each hostile file costs, against its processing budget (default settings).

Every file of the generated hostile corpus (tests/support/hostile.py, built against the *default* budget) goes,
in a fresh child process, through what hoso does with an upload: upload validation (`stage_upload` with the
budget), then the worker's path (sniff, inspect, text layer, page images, Tesseract, thumbnails) under the
document's CPU meter. The child reports its CPU time from after its imports (user + system, the tools it ran
included) and its peak RSS (VmHWM, or a tool's if larger: a tool's figure includes the Python process it was
forked from). Anchors measured in the same run: the same figures for a normal one-page scan, and bare Tesseract
(`tesseract page.png - -l vie`, OMP_THREAD_LIMIT=1 like the worker) on that page, rendered at 300 dpi.

Run: `python -m bench.hostile` (about a minute).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import print_table

MiB = 1024**2


def _usage() -> tuple[float, float]:
    """CPU seconds of this process and the tools it waited for; peak RSS in MB of it or of any of them."""
    import resource

    own, tools = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    status = Path("/proc/self/status").read_text()
    hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    cpu = own.ru_utime + own.ru_stime + tools.ru_utime + tools.ru_stime
    return cpu, max(hwm, tools.ru_maxrss) / 1024


def _one(path: Path, filename: str) -> dict[str, object]:
    """The child: upload validation then the worker's path, as ingest.pipeline runs it (no database). Its CPU
    figure leaves out Python's start-up and imports (measured from here)."""
    import ingest.pdf_text
    import ingest.recognize
    import ingest.staging  # noqa: F401  (imports before the start of the measure)

    result = _work(path, filename, *_usage())
    cpu, rss = _usage()
    return {**result, "cpu": cpu - float(result.pop("cpu_start")), "rss": rss}  # type: ignore[arg-type]


def _work(path: Path, filename: str, cpu_start: float, _: float) -> dict[str, object]:
    from ingest.budget import CpuMeter, ProcessingBudget, configure_pillow, metered
    from ingest.pages import inspect_document, iter_page_images, iter_thumbnails
    from ingest.pdf_text import iter_pdf_text
    from ingest.recognize import TesseractRecognizer, ocr_options
    from ingest.sniff import FileKind, sniff_path
    from ingest.staging import stage_upload
    from records.errors import DomainError

    budget = ProcessingBudget()
    work = Path(tempfile.mkdtemp(prefix="hoso-bench-hostile-"))
    try:
        with path.open("rb") as source:
            staged = stage_upload(source, filename, directory=work, max_bytes=2 * 1024**3, budget=budget)
    except DomainError as error:
        return {"outcome": f"refused {error.code}", "cpu_start": cpu_start}
    configure_pillow(budget)
    try:
        with metered(CpuMeter.for_document(budget)) as meter:
            kind = sniff_path(staged.path, filename).kind
            info = inspect_document(staged.path, kind, limits=budget)
            meter.allow_pages(info.page_count)
            texts = set()
            if kind is FileKind.PDF:
                texts = {p.number for p in iter_pdf_text(staged.path, limits=budget) if not p.needs_ocr}
            wanted = [n for n in range(1, info.page_count + 1) if n not in texts]
            if wanted:
                images = ((p.number, p.image) for p in iter_page_images(staged.path, kind, limits=budget,
                                                                         pages=wanted))
                TesseractRecognizer(options=ocr_options(budget)).recognize(
                    images, make_pdf=len(wanted) == info.page_count, workdir=work)
            for _thumbnail in iter_thumbnails(staged.path, kind, limits=budget):
                pass
    except DomainError as error:
        return {"outcome": f"failed {error.code}", "cpu_budget": budget.cpu_seconds(1), "cpu_start": cpu_start}
    return {"outcome": "indexed", "cpu_budget": budget.cpu_seconds(info.page_count), "cpu_start": cpu_start}


def _run(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, check=False, text=True,
                          env=dict(os.environ, OMP_THREAD_LIMIT="1")).stdout


_BARE = """import resource, subprocess, sys
subprocess.run(sys.argv[1:], capture_output=True, check=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)"""


def one_path_of_strokes_pdf() -> bytes:
    """60,000 wide strokes drawn as ONE path: unbounded, pdftoppm took 110 s CPU and 18 GB RSS on it."""
    import pikepdf

    strokes = b"".join(b"%d %d m %d %d l " % (i % 595, (i * 7) % 842, (i * 13) % 595, (i * 31) % 842)
                       for i in range(60_000))
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].Contents = pdf.make_indirect(pikepdf.Stream(pdf, b"200 w 1 J " + strokes + b"S"))
    with tempfile.TemporaryFile() as out:
        pdf.save(out)
        out.seek(0)
        return out.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--name", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one, args.name)))
        return

    from ingest.budget import ProcessingBudget
    from tests.support.hostile import CASES, Target
    from tests.support.papers import corpus_scan

    budget = ProcessingBudget()
    target = Target(budget.max_pages, budget.max_page_pixels, budget.max_stream_bytes)
    files: list[tuple[str, str, bytes]] = [("normal one-page scan (anchor)", "ban-quet.pdf", corpus_scan()[0])]
    files += [(case.name, case.filename, case.build(target)) for case in CASES]
    files.append(("one_path_of_strokes_pdf", "mot-net-ve.pdf", one_path_of_strokes_pdf()))
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="hoso-bench-hostile-") as directory:
        anchor_cpu = anchor_rss = 0.0
        for name, filename, content in files:
            path = Path(directory) / filename
            path.write_bytes(content)
            started = time.monotonic()
            out = _run([sys.executable, "-m", "bench.hostile", "--one", str(path), "--name", filename])
            wall = time.monotonic() - started
            result = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"outcome": "crashed"}
            cpu, rss = float(result.get("cpu", 0.0)), float(result.get("rss", 0.0))
            if not rows:
                anchor_cpu, anchor_rss = cpu, rss
            budget_cpu = result.get("cpu_budget")
            rows.append([name, f"{len(content) / 1024:,.0f}", result["outcome"], f"{cpu:.2f}",
                         f"{budget_cpu:.0f}" if isinstance(budget_cpu, float) else "—", f"{cpu / anchor_cpu:.2f}",
                         f"{rss:.0f}", f"{budget.tool_memory_bytes / MiB:.0f}", f"{rss / anchor_rss:.2f}",
                         f"{wall:.1f}"])
        page = Path(directory) / "page.png"
        subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(Path(directory) / "ban-quet.pdf"),
                        str(page.with_suffix(""))], check=True)
        bare = _run([sys.executable, "-c", _BARE, "tesseract", str(page), "-", "-l", "vie"]).split()
        bare_cpu, bare_rss = float(bare[0]), float(bare[1])
        rows.append(["bare Tesseract on the scan's page (anchor)", "—", "—", f"{bare_cpu:.2f}", "—",
                     f"{bare_cpu / anchor_cpu:.2f}", f"{bare_rss:.0f}", "—", f"{bare_rss / anchor_rss:.2f}", "—"])
    print_table(
        f"Hostile files against the default budget (pages {budget.max_pages}, {budget.max_page_pixels / 1e6:.0f} Mpx, "
        f"stream {budget.max_stream_bytes / MiB:.0f} MiB, CPU {budget.cpu_seconds_base:.0f} s + "
        f"{budget.cpu_seconds_per_page:.0f} s/page, tool memory {budget.tool_memory_bytes / MiB:.0f} MiB)",
        ["file", "KB", "outcome", "CPU s", "CPU budget s", "CPU ÷ scan", "peak RSS MB", "tool mem MB",
         "RSS ÷ scan", "wall s"], rows)


if __name__ == "__main__":
    main()
