"""Real papers for tests: born-digital Vietnamese PDFs made here, and scans from ../shared/corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.demo_lien_thong import text_pdf

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"


def born_digital_pdf(pages: list[list[str]]) -> bytes:
    """A PDF with a real text layer: each page's lines in DejaVu Sans (Vietnamese diacritics intact)."""
    return text_pdf(pages)


def corpus_scan(name: str = "dev-0001") -> tuple[bytes, str]:
    """A scanned page from the shared OCR corpus and its ground-truth text."""
    scan = CORPUS / "ocr" / "dev" / "scans" / f"{name}.pdf"
    if not scan.exists():
        pytest.fail(f"the shared corpus is missing: {scan} (CI puts shared/ beside the clone)")
    return scan.read_bytes(), (CORPUS / "ocr" / "dev" / "gt" / f"{name}.txt").read_text(encoding="utf-8")
