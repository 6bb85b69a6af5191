"""OCR benchmark on the dev scans: bare Tesseract against the hoso pipeline (prepare + OCR + repair).

    python -m bench.ocr                    # the table (about 1 min on two cores)
    python -m bench.ocr --steps            # also each preparation step switched off in turn
    python -m bench.ocr --pdf              # also the PDF/A: build cost per page, validation, Ghostscript

Both runs use OMP_THREAD_LIMIT=1 and two worker processes, read the JPEG each scan PDF holds, write one
text file per page into a temporary directory and are scored by the corpus' own `score_ocr.py`. The two
take turns, `--chunk` pages at a time, so that both meet the same load from whatever else runs on the
machine; with `--repeat N` the fastest of N runs counts (the quality figures are the same on every run).
CPU s/page counts the worker and its Tesseract process, and does not depend on that load.

Dossier-code repair needs the agency codes hoso knows: the demo agencies (`infra/demo/agencies.json`) and
every code of the Đồng Nai scheme's shape, 000.JJ.NN.H19 (JJ, NN = 00–99) — the scheme, not the answers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from bench.common import OCR_CORPUS
from ingest.ocr import OcrOptions, PageOcr, assemble_pdf, ocr_page
from ingest.ocr.prepare import PrepareOptions

CORPUS = OCR_CORPUS  # $HOSO_OCR_CORPUS, or ../shared/corpus/ocr beside the repository
AGENCIES_JSON = Path(__file__).resolve().parent.parent / "infra" / "demo" / "agencies.json"
TARGET_FOLDED_CER_RATIO = 0.5
TARGET_FIELD_EXACT = 0.95
TARGET_THROUGHPUT = 0.90


@dataclass(frozen=True)
class Run:
    name: str
    wall_seconds: float
    cpu_seconds: float
    page_seconds: float  # mean time one worker spent on a page
    pages: int
    scores: dict[str, object]

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall_seconds


def known_agency_codes() -> frozenset[str]:
    demo = {agency["code"] for agency in json.loads(AGENCIES_JSON.read_text(encoding="utf-8"))}
    scheme = {f"000.{unit:02d}.{parent:02d}.H19" for unit in range(100) for parent in range(100)}
    return frozenset(demo | scheme)


def extract_scans(scans_dir: Path, out_dir: Path) -> list[Path]:
    """The JPEG inside each single-page scan PDF, written as <page>.jpg (bytes unchanged)."""
    paths = []
    for pdf_path in sorted(scans_dir.glob("*.pdf")):
        with pikepdf.open(pdf_path) as pdf:
            image = next(iter(pdf.pages[0].Resources.XObject.values()))
            if image.get("/Filter") != pikepdf.Name.DCTDecode:
                raise SystemExit(f"{pdf_path.name}: expected a JPEG page image")
            target = out_dir / f"{pdf_path.stem}.jpg"
            target.write_bytes(image.read_raw_bytes())
            paths.append(target)
    return paths


# -- the two runs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRun:
    seconds: float  # wall time of the page in its worker
    cpu_seconds: float  # CPU of the worker and its tesseract process for this page
    page: PageOcr | None = None


def _bare_page(job: tuple[Path, Path]) -> PageRun:
    image, out_dir = job
    started, cpu = time.perf_counter(), _cpu()
    subprocess.run(
        ["tesseract", str(image), str(out_dir / image.stem), "-l", "vie", "--psm", "3"],
        env=dict(os.environ, OMP_THREAD_LIMIT="1"), check=True, capture_output=True, timeout=300,
    )
    return PageRun(time.perf_counter() - started, _cpu() - cpu)


def _pipeline_page(job: tuple[Path, Path, frozenset[str], OcrOptions]) -> PageRun:
    image, out_dir, codes, options = job
    started, cpu = time.perf_counter(), _cpu()
    page = ocr_page(image.read_bytes(), known_agency_codes=codes, options=options)
    (out_dir / f"{image.stem}.txt").write_text(page.text, encoding="utf-8")
    return PageRun(time.perf_counter() - started, _cpu() - cpu, page)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the tesseract runs it waited for)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _start(_: int) -> None:
    time.sleep(0.2)  # start every worker before the clock does (one call each)


def run_interleaved(
    images: Sequence[Path], outs: dict[str, Path], processes: int, codes: frozenset[str], chunk: int
) -> tuple[dict[str, float], dict[str, list[PageRun]]]:
    """Both configurations over the same pages, `chunk` pages at a time in turn, each in its own pool of
    `processes` worker processes, so that both meet the same load from anything else on the machine.

    Returns the wall seconds per configuration (sum over its chunks) and each page's run.
    """
    wall = {"bare": 0.0, "pipeline": 0.0}
    runs: dict[str, list[PageRun]] = {"bare": [], "pipeline": []}
    options = OcrOptions()
    with ProcessPoolExecutor(processes) as bare_pool, ProcessPoolExecutor(processes) as pipeline_pool:
        for pool in (bare_pool, pipeline_pool):
            list(pool.map(_start, range(processes)))
        for number, start in enumerate(range(0, len(images), chunk)):
            part = images[start : start + chunk]
            order = ("bare", "pipeline") if number % 2 == 0 else ("pipeline", "bare")
            for name in order:
                started = time.perf_counter()
                if name == "bare":
                    done = list(bare_pool.map(_bare_page, [(image, outs[name]) for image in part]))
                else:
                    jobs = [(image, outs[name], codes, options) for image in part]
                    done = list(pipeline_pool.map(_pipeline_page, jobs))
                wall[name] += time.perf_counter() - started
                runs[name] += done
    return wall, runs


def run_pipeline(
    images: Sequence[Path], out: Path, processes: int, codes: frozenset[str], options: OcrOptions
) -> list[PageRun]:
    """The pipeline alone over all pages (for the step-by-step report)."""
    with ProcessPoolExecutor(processes) as pool:
        return list(pool.map(_pipeline_page, [(image, out, codes, options) for image in images]))


# -- scoring and the table -------------------------------------------------------------------------------


def score(set_dir: Path, ocr_dir: Path) -> dict[str, object]:
    """The summary `score_ocr.py --json` writes."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "score.json"
        subprocess.run(
            [sys.executable, str(CORPUS / "score_ocr.py"), "--set", str(set_dir), "--ocr", str(ocr_dir),
             "--json", str(report)],
            check=True, capture_output=True,
        )
        summary: dict[str, object] = json.loads(report.read_text(encoding="utf-8"))["summary"]
        return summary


def _field(scores: dict[str, object], kind: str) -> float:
    by_type = scores["fields_by_type"]
    assert isinstance(by_type, dict)
    return float(by_type[kind]["exact"])


def _metric(scores: dict[str, object], key: str) -> float:
    value = scores[key]
    assert isinstance(value, float | int)
    return float(value)


def print_table(bare: Run, pipeline: Run) -> None:
    pct: Callable[[float], str] = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    folded_ratio = _metric(pipeline.scores, "CER_folded") / _metric(bare.scores, "CER_folded")
    throughput = pipeline.pages_per_second / bare.pages_per_second
    rows: list[tuple[str, str, str, str, str]] = []

    def row(label: str, b: str, p: str, target: str = "", met: bool | None = None) -> None:
        rows.append((label, b, p, target, "" if met is None else ("yes" if met else "NO")))

    row("CER", pct(_metric(bare.scores, "CER")), pct(_metric(pipeline.scores, "CER")))
    row("CER, diacritics folded", pct(_metric(bare.scores, "CER_folded")), pct(_metric(pipeline.scores, "CER_folded")),
        f"≤ ½ bare ({pct(0.5 * _metric(bare.scores, 'CER_folded'))})", folded_ratio <= TARGET_FOLDED_CER_RATIO)
    row("WER", pct(_metric(bare.scores, "WER")), pct(_metric(pipeline.scores, "WER")))
    row("CER, strict reading order", pct(_metric(bare.scores, "CER_strict")),
        pct(_metric(pipeline.scores, "CER_strict")))
    for kind, label in (("cccd", "ID numbers exact"), ("dossier_code", "dossier codes exact")):
        value = _field(pipeline.scores, kind)
        row(label, pct(_field(bare.scores, kind)), pct(value), "≥ 95%", value >= TARGET_FIELD_EXACT)
    row("dates exact", pct(_field(bare.scores, "date")), pct(_field(pipeline.scores, "date")))
    row("s/page (one worker)", f"{bare.page_seconds:.2f}", f"{pipeline.page_seconds:.2f}")
    row("CPU s/page", f"{bare.cpu_seconds / bare.pages:.2f}", f"{pipeline.cpu_seconds / pipeline.pages:.2f}")
    row("pages/s (2 processes)", f"{bare.pages_per_second:.2f}", f"{pipeline.pages_per_second:.2f}")
    row("throughput vs bare", "100%", pct(throughput), "≥ 90%", throughput >= TARGET_THROUGHPUT)
    _print(f"OCR, {bare.pages} dev scans, Tesseract vie --psm 3, OMP_THREAD_LIMIT=1",
           ("", "bare tesseract", "hoso pipeline", "target", "met"), rows)


def _print(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    cells = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print("| " + r[0].ljust(widths[0]) + " | "
              + " | ".join(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)) + " |")


# -- optional reports ------------------------------------------------------------------------------------

STEP_VARIANTS: dict[str, PrepareOptions] = {
    "all steps": PrepareOptions(),
    "− red-stamp removal": PrepareOptions(remove_stamp=False),
    "− background flattening": PrepareOptions(flatten_background=False),
    "− deskew": PrepareOptions(deskew=False),
    "− despeckle (3×3 majority)": PrepareOptions(despeckle=False),
    "− Otsu (flattened grey to Tesseract)": PrepareOptions(binarize=False, despeckle=False),
    "grey only (no step)": PrepareOptions(remove_stamp=False, flatten_background=False, deskew=False,
                                          binarize=False, despeckle=False),
}


def steps_report(images: Sequence[Path], set_dir: Path, processes: int, codes: frozenset[str]) -> None:
    rows = []
    for label, prepare in STEP_VARIANTS.items():
        with tempfile.TemporaryDirectory(prefix="hoso-ocr-steps-") as out:
            options = OcrOptions(prepare=prepare, text_layer=False)
            runs = run_pipeline(images, Path(out), processes, codes, options)
            s = score(set_dir, Path(out))
        prep = sum(r.page.prepare_seconds for r in runs if r.page) / len(runs)
        cpu = sum(r.cpu_seconds for r in runs)
        rows.append((label, f"{100 * _metric(s, 'CER'):.2f}%", f"{100 * _metric(s, 'CER_folded'):.2f}%",
                     f"{100 * _field(s, 'cccd'):.1f}%", f"{100 * _field(s, 'dossier_code'):.1f}%",
                     f"{100 * _field(s, 'date'):.1f}%", f"{prep:.3f}", f"{cpu / len(runs):.2f}"))
        print(f"  {label}: done", file=sys.stderr)
    _print("Preparation steps (pipeline with repair; each step switched off in turn)",
           ("variant", "CER", "folded", "ID", "dossier", "dates", "prep s/page", "CPU s/page"), rows)


def pdf_report(images: Sequence[Path], pages: Sequence[PageOcr]) -> None:
    started = time.perf_counter()
    documents = [assemble_pdf([image.read_bytes()], [page]) for image, page in zip(images, pages, strict=True)]
    build = (time.perf_counter() - started) / len(images)
    rows = [("pikepdf: scan + text layer + PDF/A-2b metadata", f"{build:.3f}", _validate(documents))]
    if shutil.which("gs"):
        sample = documents[:5]
        converted = []
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            for number, data in enumerate(sample):
                source, target = Path(tmp) / f"{number}.pdf", Path(tmp) / f"{number}-gs.pdf"
                source.write_bytes(data)
                subprocess.run(
                    ["gs", "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=pdfwrite", "-dPDFA=2",
                     "-dPDFACompatibilityPolicy=1", "-sColorConversionStrategy=RGB", f"-sOutputFile={target}",
                     str(source)],
                    check=True, capture_output=True, timeout=300,
                )
                converted.append(target.read_bytes())
            gs = (time.perf_counter() - started) / len(sample)
        rows.append(("Ghostscript -dPDFA=2 of that PDF (no PDFA_def.ps)", f"{gs:.3f}", _validate(converted)))
    _print("Searchable PDF/A per page (validator: pikepdf.pdfa, built from the veraPDF PDF/A-2b rules)",
           ("step", "s/page", "PDF/A-2b"), rows)


def _validate(documents: Sequence[bytes]) -> str:
    try:
        import pikepdf.pdfa as pdfa
    except ImportError:
        return "not checked: pikepdf[pdfa] missing"
    passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for number, data in enumerate(documents):
            path = Path(tmp) / f"{number}.pdf"
            path.write_bytes(data)
            passed += pdfa.validate_written(path, "2b").passed
    return f"{passed}/{len(documents)} pass"


# -- main ------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ocr", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", default="dev", help="set directory name under the corpus (default dev)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration; the fastest counts")
    parser.add_argument("--chunk", type=int, default=6, help="pages per turn when alternating the two runs")
    parser.add_argument("--steps", action="store_true", help="also measure each preparation step")
    parser.add_argument("--pdf", action="store_true", help="also build and check the PDF/A of each page")
    parser.add_argument("--keep", type=Path, help="keep the outputs under this directory")
    args = parser.parse_args(argv)

    set_dir = CORPUS / args.set
    if shutil.which("tesseract") is None or not (set_dir / "scans").is_dir():
        raise SystemExit(f"needs tesseract and the scans under {set_dir / 'scans'}")
    codes = known_agency_codes()
    work = Path(tempfile.mkdtemp(prefix="hoso-bench-ocr-"))
    try:
        images_dir = work / "scans"
        images_dir.mkdir()
        images = extract_scans(set_dir / "scans", images_dir)
        best: dict[str, Run] = {}
        pages: list[PageOcr] = []
        for attempt in range(args.repeat):
            outs = {name: work / f"{name}-{attempt}" for name in ("bare", "pipeline")}
            for out in outs.values():
                out.mkdir()
            wall, runs = run_interleaved(images, outs, args.processes, codes, args.chunk)
            for name, out in outs.items():
                done = runs[name]
                run = Run(name, wall[name], sum(r.cpu_seconds for r in done),
                          sum(r.seconds for r in done) / len(done), len(done), score(set_dir, out))
                print(f"  {name} run {attempt + 1}: {run.wall_seconds:.1f} s, {run.pages_per_second:.2f} pages/s",
                      file=sys.stderr)
                if name not in best or run.wall_seconds < best[name].wall_seconds:
                    best[name] = run
            pages = [r.page for r in runs["pipeline"] if r.page is not None]
        print_table(best["bare"], best["pipeline"])
        if args.pdf:
            pdf_report(images, pages)
        if args.steps:
            steps_report(images, set_dir, args.processes, codes)
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
