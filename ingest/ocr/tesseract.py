"""Tesseract as a subprocess: one run per page gives the text, the word boxes and (on request) a text-only
PDF page to lay over the scan.

Why not pytesseract's functions: each of them runs Tesseract once per output (text, then data, then PDF
would be three OCR passes), and its subprocess inherits `os.environ` as it is, so `OMP_THREAD_LIMIT=1`
could only be set by changing the worker's global environment. Here the same command pytesseract builds is
run once with every renderer asked for (`txt tsv pdf`), its own environment and a hard timeout.

`OMP_THREAD_LIMIT=1`: Tesseract's OpenMP threads fight over the cores the page pool already uses
(measured 1.12 s/page single-threaded vs 3.63 s/page with OpenMP on two cores); parallelism comes from
running pages in separate processes instead.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ingest.budget import BudgetCpu, run_tool

DEFAULT_LANGUAGE = "vie"
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MEMORY_BYTES = 2 * 1024**3  # RLIMIT_AS of one run (vie + an A3 page at 300 dpi need ~300 MB)


class OcrError(Exception):
    """Base of the OCR errors."""


class TesseractNotFound(OcrError):
    """The tesseract executable is not installed or not on PATH (install tesseract-ocr)."""


class TesseractLanguageMissing(OcrError):
    """Tesseract runs but has no data for the language asked for (install tesseract-ocr-vie)."""


class TesseractTimeout(OcrError):
    """Tesseract did not finish a page within its time limit; the process was killed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"Tesseract did not finish the page within {seconds:g} s; it was stopped.")
        self.seconds = seconds


class TesseractFailed(OcrError):
    """Tesseract exited with an error (unreadable image, bad option, …)."""


@dataclass(frozen=True)
class Word:
    """One recognised word. Box in pixels of the image Tesseract read: left, top, right, bottom."""

    text: str
    confidence: float  # 0–100
    left: int
    top: int
    right: int
    bottom: int
    block: int
    paragraph: int
    line: int
    number: int  # position of the word in its line, from 1

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.right, self.bottom


@dataclass(frozen=True)
class TesseractOutput:
    text: str  # Unicode NFC, lines as Tesseract laid them out
    words: tuple[Word, ...]
    text_layer_pdf: bytes | None  # one page, invisible text only (textonly_pdf), sized from the dpi


def run_tesseract(
    image: Image.Image | str | Path,
    *,
    language: str = DEFAULT_LANGUAGE,
    page_segmentation_mode: int = 3,
    dpi: float | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    text_layer_pdf: bool = False,
    executable: str = "tesseract",
    memory_bytes: int | None = DEFAULT_MEMORY_BYTES,
) -> TesseractOutput:
    """OCR one page image in one Tesseract run.

    Pure and safe to repeat; writes only into its own temporary directory. Raises `TesseractNotFound`,
    `TesseractLanguageMissing`, `TesseractTimeout` (the process is killed; also when the current document's
    CPU budget is spent, see ingest.budget), `BudgetMemory` (past `memory_bytes`) or `TesseractFailed`.
    """
    if shutil.which(executable) is None:
        raise TesseractNotFound(f"'{executable}' was not found; install the tesseract-ocr package.")
    with tempfile.TemporaryDirectory(prefix="hoso-ocr-") as workdir:
        if isinstance(image, Image.Image):
            source = _write_image(image, Path(workdir))
            if dpi is None and "dpi" in image.info:
                dpi = float(image.info["dpi"][0])
        else:
            source = Path(image)
        base = Path(workdir) / "page"
        command = [executable, str(source), str(base), "-l", language, "--psm", str(page_segmentation_mode)]
        if dpi:
            command += ["--dpi", str(round(dpi))]
        if text_layer_pdf:
            command += ["-c", "textonly_pdf=1"]
        command += ["txt", "tsv"] + (["pdf"] if text_layer_pdf else [])
        _run(command, timeout, memory_bytes)
        text = base.with_suffix(".txt").read_text(encoding="utf-8")
        words = parse_tsv(base.with_suffix(".tsv").read_text(encoding="utf-8"))
        pdf = base.with_suffix(".pdf").read_bytes() if text_layer_pdf else None
    text = unicodedata.normalize("NFC", text).rstrip("\f\n")
    return TesseractOutput(text=text + "\n" if text else "", words=words, text_layer_pdf=pdf)


def parse_tsv(tsv: str) -> tuple[Word, ...]:
    """The word rows (level 5, non-empty text) of Tesseract's TSV output."""
    words: list[Word] = []
    for row in tsv.splitlines()[1:]:
        fields = row.split("\t")
        if len(fields) < 12 or fields[0] != "5":
            continue
        text = unicodedata.normalize("NFC", fields[11]).strip()
        if not text:
            continue
        left, top, width, height = (int(v) for v in fields[6:10])
        words.append(
            Word(text=text, confidence=float(fields[10]), left=left, top=top, right=left + width,
                 bottom=top + height, block=int(fields[2]), paragraph=int(fields[3]), line=int(fields[4]),
                 number=int(fields[5]))
        )
    return tuple(words)


def _write_image(image: Image.Image, directory: Path) -> Path:
    """Uncompressed PNM for what Tesseract reads fastest (PNG encoding costs ~0.7 s for a grey A4 page)."""
    if image.mode == "1":
        path = directory / "page.pbm"
    elif image.mode == "L":
        path = directory / "page.pgm"
    else:
        image = image.convert("RGB")
        path = directory / "page.ppm"
    image.save(path)
    return path


def _run(command: list[str], timeout: float, memory_bytes: int | None) -> None:
    environment = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        completed = run_tool(command, env=environment, timeout=timeout, memory_bytes=memory_bytes)
    except FileNotFoundError as error:
        raise TesseractNotFound(f"'{command[0]}' was not found; install the tesseract-ocr package.") from error
    except BudgetCpu as error:
        raise TesseractTimeout(timeout) from error
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        if "Failed loading language" in message or "Error opening data file" in message:
            raise TesseractLanguageMissing(message.splitlines()[0] if message else "language data missing")
        raise TesseractFailed(f"tesseract exited with status {completed.returncode}: {message[-500:]}")
