"""OCR of scanned pages: prepare → Tesseract → identifier repair, and a searchable PDF/A of the document.

    page = ocr_page(scan_bytes, known_agency_codes=codes)           # one page, in any process
    doc = ocr_document([scan1, scan2], known_agency_codes=codes)    # pages in turn, then the PDF/A

A page source is the scan as a file's bytes, a path, or a Pillow image. Give bytes or a path where you
can: a JPEG scan is then embedded in the PDF byte for byte.

Steps for one page (`ocr_page`), each short, with its stop condition:

1. **load** — decode the scan; a page over `max_pixels` stops with `ImageTooLarge` (nothing decoded
   beyond the header).
2. **prepare** — grey + red-stamp removal, background flattening, deskew, Otsu, despeckle
   (`prepare.py`, ~0.15 s). A page left with (almost) no ink stops here: empty text, no Tesseract run.
3. **tesseract** — one run with `OMP_THREAD_LIMIT=1` gives text, word boxes and the invisible text-layer
   PDF page; it is killed after `page_timeout_seconds` (`TesseractTimeout`); a missing executable or
   language raises `TesseractNotFound` / `TesseractLanguageMissing` at once.
4. **repair** — ID numbers, dossier codes and dates fixed where exactly one valid value fits
   (`repair.py`); the raw text is kept beside the repaired one.

`ocr_document` refuses more than `max_pages` pages before doing any work (`TooManyPages`) and stops with
`DocumentTimeout` once `document_timeout_seconds` have passed (each page's Tesseract limit shrinks to the
time left). Then `assemble_pdf` builds the PDF/A-2b.

Everything here is a pure function of its arguments: no module state, no settings, each page
independent. To use both cores, fan `ocr_page` out over a process pool (Tesseract is single-threaded
here on purpose) and call `assemble_pdf` with the results in page order. Errors derive from `OcrError`.
"""

from __future__ import annotations

import io
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from PIL import Image

from ingest.ocr.pdfa import IDENTITY, Affine, PdfPage, ScanImage, build_searchable_pdf
from ingest.ocr.prepare import PreparedPage, PrepareOptions, prepare_page
from ingest.ocr.repair import Repair, repair_identifiers
from ingest.ocr.tesseract import (
    OcrError,
    TesseractFailed,
    TesseractLanguageMissing,
    TesseractNotFound,
    TesseractTimeout,
    Word,
    run_tesseract,
)

PageSource = bytes | str | Path | Image.Image

__all__ = [
    "DocumentOcr",
    "DocumentTimeout",
    "ImageTooLarge",
    "OcrError",
    "OcrOptions",
    "PageOcr",
    "PageSource",
    "PrepareOptions",
    "Repair",
    "TesseractFailed",
    "TesseractLanguageMissing",
    "TesseractNotFound",
    "TesseractTimeout",
    "TooManyPages",
    "UnreadableImage",
    "Word",
    "assemble_pdf",
    "ocr_document",
    "ocr_page",
]

_BLANK_INK_FRACTION = 0.0001  # fewer dark pixels than this after despeckling: a blank page


class ImageTooLarge(OcrError):
    """The page image has more pixels than `OcrOptions.max_pixels`."""


class UnreadableImage(OcrError):
    """The page source is not an image Pillow can decode."""


class TooManyPages(OcrError):
    """The document has more pages than `OcrOptions.max_pages`."""


class DocumentTimeout(OcrError):
    """The document took longer than `OcrOptions.document_timeout_seconds`."""


@dataclass(frozen=True)
class OcrOptions:
    language: str = "vie"
    page_segmentation_mode: int = 3
    page_timeout_seconds: float = 60.0
    document_timeout_seconds: float = 900.0
    max_pages: int = 500
    max_pixels: int = 80_000_000  # an A3 page at 600 dpi is 70 MP
    memory_bytes: int | None = 2 * 1024**3  # RLIMIT_AS of each Tesseract run
    text_layer: bool = True
    prepare: PrepareOptions = field(default_factory=PrepareOptions)


@dataclass(frozen=True)
class PageOcr:
    """One page's OCR. Word boxes are in pixels of the scan as given (not of the prepared image)."""

    text: str  # NFC, identifiers repaired
    raw_text: str  # NFC, as Tesseract read it (this is what the PDF's text layer holds)
    words: tuple[Word, ...]
    repairs: tuple[Repair, ...]
    width: int
    height: int
    dpi: float
    skew_degrees: float
    text_layer_pdf: bytes | None = field(default=None, repr=False)
    text_to_scan: Affine = IDENTITY
    text_dpi: float | None = None
    prepare_seconds: float = 0.0
    ocr_seconds: float = 0.0


@dataclass(frozen=True)
class DocumentOcr:
    pages: tuple[PageOcr, ...]
    pdf: bytes  # PDF/A-2b: the scans with an invisible text layer

    @property
    def text(self) -> str:
        """All pages' repaired text, pages separated by a form feed."""
        return "\f".join(page.text for page in self.pages)


def ocr_page(
    source: PageSource, *, known_agency_codes: Collection[str] = (), options: OcrOptions | None = None
) -> PageOcr:
    """OCR one scanned page (prepare, one Tesseract run, identifier repair). Pure; safe in any process."""
    opts = options or OcrOptions()
    started = time.perf_counter()
    image = load_page_image(source, max_pixels=opts.max_pixels)
    prepared = prepare_page(image, options=opts.prepare)
    prepared_at = time.perf_counter()
    if _is_blank(prepared):
        return PageOcr(text="", raw_text="", words=(), repairs=(), width=image.width, height=image.height,
                       dpi=prepared.original_dpi, skew_degrees=prepared.skew_degrees,
                       prepare_seconds=prepared_at - started)
    result = run_tesseract(
        prepared.image,
        language=opts.language,
        page_segmentation_mode=opts.page_segmentation_mode,
        dpi=prepared.dpi,
        timeout=opts.page_timeout_seconds,
        text_layer_pdf=opts.text_layer,
        memory_bytes=opts.memory_bytes,
    )
    repaired = repair_identifiers(result.text, known_agency_codes=known_agency_codes)
    words = tuple(_in_scan_pixels(prepared, word) for word in result.words)
    return PageOcr(
        text=repaired.text,
        raw_text=result.text,
        words=words,
        repairs=repaired.repairs,
        width=image.width,
        height=image.height,
        dpi=prepared.original_dpi,
        skew_degrees=prepared.skew_degrees,
        text_layer_pdf=result.text_layer_pdf,
        text_to_scan=prepared.to_original_affine,
        text_dpi=prepared.dpi,
        prepare_seconds=prepared_at - started,
        ocr_seconds=time.perf_counter() - prepared_at,
    )


def ocr_document(
    sources: Sequence[PageSource],
    known_agency_codes: Collection[str] = (),
    *,
    options: OcrOptions | None = None,
    title: str | None = None,
) -> DocumentOcr:
    """OCR every page in turn and build the searchable PDF/A. Stops on the first page error."""
    opts = options or OcrOptions()
    if len(sources) > opts.max_pages:
        raise TooManyPages(f"{len(sources)} pages; at most {opts.max_pages} are read in one document")
    deadline = time.monotonic() + opts.document_timeout_seconds
    pages: list[PageOcr] = []
    for number, source in enumerate(sources, 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DocumentTimeout(f"stopped before page {number}: over {opts.document_timeout_seconds:g} s")
        page_options = replace(opts, page_timeout_seconds=min(opts.page_timeout_seconds, remaining))
        pages.append(ocr_page(source, known_agency_codes=known_agency_codes, options=page_options))
    return DocumentOcr(pages=tuple(pages), pdf=assemble_pdf(sources, pages, title=title))


def assemble_pdf(sources: Sequence[PageSource], pages: Sequence[PageOcr], *, title: str | None = None) -> bytes:
    """The PDF/A-2b of the scans (as given, a JPEG unchanged) with each page's invisible text layer."""
    if len(sources) != len(pages):
        raise ValueError(f"{len(sources)} scans but {len(pages)} OCR results")
    pdf_pages = [
        PdfPage(scan=_scan_image(source), scan_dpi=page.dpi, text_layer_pdf=page.text_layer_pdf,
                text_to_scan=page.text_to_scan, text_dpi=page.text_dpi)
        for source, page in zip(sources, pages, strict=True)
    ]
    return build_searchable_pdf(pdf_pages, title=title)


def load_page_image(source: PageSource, *, max_pixels: int = OcrOptions.max_pixels) -> Image.Image:
    """Decode a page source, refusing images over `max_pixels` before decoding them."""
    if isinstance(source, Image.Image):
        image = source
    else:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        try:
            image = Image.open(io.BytesIO(data))
        except (OSError, ValueError) as error:
            raise UnreadableImage(f"the page image cannot be read: {error}") from error
    if image.width * image.height > max_pixels:
        raise ImageTooLarge(f"{image.width}×{image.height} pixels; at most {max_pixels} are read")
    try:
        image.load()
    except (OSError, ValueError) as error:
        raise UnreadableImage(f"the page image cannot be decoded: {error}") from error
    return image


def _scan_image(source: PageSource) -> ScanImage:
    if isinstance(source, Image.Image):
        return ScanImage(image=source)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    return ScanImage.from_source(data)


def _in_scan_pixels(prepared: PreparedPage, word: Word) -> Word:
    left, top, right, bottom = prepared.box_to_original(word.bbox)
    return replace(word, left=left, top=top, right=right, bottom=bottom)


def _is_blank(prepared: PreparedPage) -> bool:
    if prepared.image.mode != "1":
        return False
    histogram = prepared.image.histogram()
    dark, total = histogram[0], sum(histogram)
    return total > 0 and dark < _BLANK_INK_FRACTION * total
