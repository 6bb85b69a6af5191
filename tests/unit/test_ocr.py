"""The OCR pipeline with the real Tesseract on two dev scans (about 5 s of OCR in all).

Skipped where Tesseract with Vietnamese data or the scan corpus (HOSO_OCR_CORPUS, default
../shared/corpus/ocr beside the repository) is missing.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pikepdf
import pypdf
import pytest
from PIL import Image

from ingest.ocr import (
    DocumentOcr,
    DocumentTimeout,
    ImageTooLarge,
    OcrOptions,
    TooManyPages,
    ocr_document,
    ocr_page,
)
from ingest.ocr.prepare import estimate_skew, prepare_page
from ingest.ocr.tesseract import TesseractNotFound, TesseractTimeout, Word, run_tesseract
from tests.support.papers import CORPUS as SHARED_CORPUS

CORPUS = Path(os.environ.get("HOSO_OCR_CORPUS") or SHARED_CORPUS / "ocr")
PAGES = ("dev-0011", "dev-0010")  # a clean decision; a decision scanned 0.7° askew, noisy, JPEG q80


def _tesseract_has_vietnamese() -> bool:
    if shutil.which("tesseract") is None:
        return False
    listed = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False)
    return "vie" in listed.stdout.split()


pytestmark = [
    pytest.mark.skipif(not _tesseract_has_vietnamese(), reason="tesseract with the vie data is not installed"),
    pytest.mark.skipif(not (CORPUS / "dev" / "scans").is_dir(), reason=f"scan corpus not found at {CORPUS}"),
]


def scan_jpeg(page: str) -> bytes:
    """The JPEG a desk scanner wrapped in the page's PDF, as it was stored."""
    with pikepdf.open(CORPUS / "dev" / "scans" / f"{page}.pdf") as pdf:
        image = next(iter(pdf.pages[0].Resources.XObject.values()))
        data: bytes = image.read_raw_bytes()
        return data


@pytest.fixture(scope="module")
def scans() -> list[bytes]:
    return [scan_jpeg(page) for page in PAGES]


@pytest.fixture(scope="module")
def document(scans: list[bytes]) -> DocumentOcr:
    return ocr_document(scans, known_agency_codes={"000.10.05.H19", "000.10.09.H19"}, title="Hồ sơ thử")


def test_page_text_is_nfc_with_vietnamese_diacritics(document: DocumentOcr) -> None:
    text = document.pages[0].text

    assert unicodedata.is_normalized("NFC", text)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "QUYẾT ĐỊNH" in text


def test_word_boxes_lie_inside_the_page_and_follow_the_text(document: DocumentOcr) -> None:
    for page in document.pages:
        assert len(page.words) > 100
        for word in page.words:
            assert 0 <= word.left < word.right <= page.width
            assert 0 <= word.top < word.bottom <= page.height
            assert 0.0 <= word.confidence <= 100.0 or word.confidence == -1.0
    first = document.pages[0]
    title = [w for w in first.words if w.text == "QUYẾT"]
    national = [w for w in first.words if w.text == "CỘNG"]
    assert title and national
    assert national[0].top < title[0].top  # the national header is above the title
    assert first.words[0].block == 1 and first.words[0].line >= 1


def test_word_boxes_of_a_deskewed_page_hold_the_ink_of_the_scan(document: DocumentOcr, scans: list[bytes]) -> None:
    """GIVEN a page scanned 0.7° askew (turned before OCR) WHEN its word boxes are laid on the scan as given
    THEN each box holds the ink around it: nearly all dark pixels within 15 px of a box lie inside it."""
    page = document.pages[1]
    ink = np.asarray(Image.open(io.BytesIO(scans[1])).convert("L")) < 128
    margin = 15

    def share_inside(word: Word) -> float:
        around = ink[word.top - margin : word.bottom + margin, word.left - margin : word.right + margin]
        total = int(around.sum())
        return int(around[margin:-margin, margin:-margin].sum()) / total if total else 0.0

    assert page.skew_degrees != 0.0
    code = next(w for w in page.words if w.text.startswith("000.10.09.H19"))
    assert share_inside(code) > 0.95
    shares = sorted(share_inside(w) for w in page.words if len(w.text) >= 3)
    assert shares[len(shares) // 10] > 0.9  # nine words in ten


def test_identifiers_on_the_page_come_out_valid(document: DocumentOcr) -> None:
    second = document.pages[1].text

    assert "Số CCCD: 074154807649" in second
    assert "Mã hồ sơ: 000.10.09.H19-250628-9768" in second
    assert "Ngày sinh: 25/01/1954" in second


def test_preparation_levels_a_page_turned_by_two_degrees(scans: list[bytes]) -> None:
    page = Image.open(io.BytesIO(scans[0]))
    turned = page.rotate(2.0, resample=Image.Resampling.BILINEAR, fillcolor=(255,) * len(page.getbands()))

    prepared = prepare_page(turned)

    assert prepared.skew_degrees == pytest.approx(-2.0, abs=0.15)
    assert abs(estimate_skew(prepared.image.convert("L"))) <= 0.15
    # a point of the prepared page maps back to where it was on the turned scan
    x, y = prepared.to_original(prepared.image.width / 2, prepared.image.height / 2)
    assert (x, y) == pytest.approx((turned.width / 2, turned.height / 2), abs=1.0)


def test_the_searchable_pdf_is_pdfa_2b_with_one_page_per_scan(document: DocumentOcr) -> None:
    with pikepdf.open(io.BytesIO(document.pdf)) as pdf:
        assert len(pdf.pages) == len(PAGES)
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "B"
        assert pdf.Root.OutputIntents[0].S == pikepdf.Name.GTS_PDFA1
        assert pdf.trailer.get("/ID") is not None and not pdf.is_encrypted
        assert pdf.pages[0].Resources.XObject.Im0.read_raw_bytes() == scan_jpeg(PAGES[0])  # the scan, unchanged


def test_the_pdf_passes_pikepdfs_pdfa_validator(document: DocumentOcr, tmp_path: Path) -> None:
    pdfa = pytest.importorskip("pikepdf.pdfa", reason="pikepdf[pdfa] extras are not installed")
    path = tmp_path / "document.pdf"
    path.write_bytes(document.pdf)

    report = pdfa.validate_written(path, "2b")

    assert report.passed, [str(f) for f in report.findings]


def test_the_pdf_text_layer_holds_the_ocr_text(document: DocumentOcr) -> None:
    reader = pypdf.PdfReader(io.BytesIO(document.pdf))
    layer = " ".join(reader.pages[0].extract_text().split())

    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in layer
    assert "Căn cứ Luật An toàn thực phẩm ngày 17 tháng 6 năm 2010;" in layer
    ocr_words = " ".join(document.pages[0].raw_text.split())
    assert layer.replace(" ", "") == ocr_words.replace(" ", "")


def test_a_page_over_its_time_limit_is_stopped_with_a_clear_error(scans: list[bytes]) -> None:
    page = Image.open(io.BytesIO(scans[0]))

    with pytest.raises(TesseractTimeout, match=r"within 0\.05 s"):
        run_tesseract(page, timeout=0.05)


def test_a_missing_tesseract_is_reported_as_such(scans: list[bytes]) -> None:
    with pytest.raises(TesseractNotFound):
        run_tesseract(Image.open(io.BytesIO(scans[0])), executable="tesseract-not-installed")


def test_a_document_stops_before_any_work_when_it_is_too_long_or_out_of_time(scans: list[bytes]) -> None:
    with pytest.raises(TooManyPages):
        ocr_document(scans, options=OcrOptions(max_pages=1))
    with pytest.raises(DocumentTimeout):
        ocr_document(scans, options=OcrOptions(document_timeout_seconds=0.0))
    with pytest.raises(ImageTooLarge):
        ocr_page(scans[0], options=OcrOptions(max_pixels=1_000_000))


def test_a_blank_page_gives_empty_text_without_running_tesseract() -> None:
    blank = Image.new("L", (2480, 3508), 235)
    blank.info["dpi"] = (300, 300)

    page = ocr_page(blank)

    assert page.text == "" and page.words == () and page.ocr_seconds == 0.0
