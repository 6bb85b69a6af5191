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


def generated_scan(lines: list[str], *, kind: str = "PNG") -> bytes:
    """A small 300-dpi scan made here: the lines drawn in DejaVu Sans on white, to be read by Tesseract."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    from infra.demo_lien_thong import FONT

    font = ImageFont.truetype(str(FONT), 42)
    image = Image.new("L", (1800, 140 + 80 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((90, 70 + 80 * number), line, font=font, fill=0)
    out = io.BytesIO()
    image.save(out, kind, dpi=(300, 300))
    return out.getvalue()
