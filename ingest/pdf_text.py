"""The text layer of a born-digital PDF, page by page, and whether each page's text is worth keeping.

A page keeps its text layer when there is enough of it and it reads as words: Vietnamese syllables, or
plain Latin-script words. Pages without one (scans), with too little text, with garbage (fonts without a
usable Unicode map) or with little text over a page-sized image go to OCR. Text comes out NFC, after
TCVN3/VNI repair (legacy_encodings), without control characters, soft hyphens or zero-width spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import pypdf
from pypdf.errors import PyPdfError

from ingest.budget import check_cpu
from ingest.legacy_encodings import LegacyEncoding, is_vietnamese_syllable, repair_legacy_text, word_tokens
from ingest.pages import (
    EncryptedPdf,
    MalformedPdf,
    PageLimits,
    StrPath,
    TooManyPages,
    ensure_complete_pdf,
)

MIN_LETTERS = 20  # fewer letters than this on a page: OCR it (it costs little and may find more)
SCAN_IMAGE_PIXELS = 500_000  # an image this large on a page is probably a scan (A4 at ~85 dpi)
SCAN_MIN_LETTERS = 200  # ...and a text layer shorter than this over it is a header or a page number
MAX_BAD_SHARE = 0.05  # replacement, private-use and control characters among the visible ones
MAX_CONTENT_BYTES = 4 * 1024 * 1024  # content bytes of a page read for text; past it: OCR (a rendered page)
MIN_WORD_SHARE = 0.5  # Vietnamese syllables among the words, or plain Latin words (see `judge_text`)


class TextVerdict(StrEnum):
    USABLE = "usable"
    NO_TEXT = "no_text"
    TOO_SHORT = "too_short"
    GARBAGE = "garbage"
    SCANNED_IMAGE = "scanned_image"  # a page-sized image with only a little text on it
    EXTRACTION_FAILED = "extraction_failed"
    TOO_COMPLEX = "too_complex"  # more content than pypdf reads within the budget: the page is OCR'd instead


@dataclass(frozen=True)
class PageText:
    number: int  # 1-based
    text: str  # NFC and repaired; "" unless `verdict` is USABLE (garbage is never passed on)
    verdict: TextVerdict
    legacy_encoding: LegacyEncoding | None = None  # the text was converted from TCVN3 or VNI

    @property
    def needs_ocr(self) -> bool:
        return self.verdict is not TextVerdict.USABLE


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_BAD_CATEGORIES = frozenset(("Cc", "Co", "Cs", "Cn"))  # (whitespace controls are not "visible")
_LETTER_RUN_BROKEN = re.compile(r"[^\W\d_][?\ufffd]+[^\W\d_]")  # "Vi?t": a glyph the font could not map


def _repaired(text: str) -> tuple[str, LegacyEncoding | None]:
    repaired = repair_legacy_text(text.replace("\r\n", "\n").replace("\r", "\n"))
    return repaired.text, repaired.encoding


def _without_invisible(text: str) -> str:
    text = "".join(char for char in text if char in "\n\t" or unicodedata.category(char) != "Cc")
    text = unicodedata.normalize("NFC", text.translate(_INVISIBLE))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def clean_text(text: str) -> tuple[str, LegacyEncoding | None]:
    """Extracted text as it should be stored: legacy encodings repaired, NFC, line ends as "\\n", no
    control characters (but tab and newline), soft hyphens or zero-width characters, no trailing spaces."""
    repaired, encoding = _repaired(text)  # before dropping soft hyphens: in TCVN3, U+00AD is "ư"
    return _without_invisible(repaired), encoding


def _plain_latin(words: list[str]) -> bool:
    latin = [word for word in words if word.isascii() and word.isalpha() and len(word) <= 20]
    if len(latin) < MIN_WORD_SHARE * len(words) or not latin:
        return False
    letters = "".join(latin).lower()
    vowels = sum(letters.count(vowel) for vowel in "aeiouy")
    # real words have vowels (glyph-id soup rarely does) and are not single letters (spaced-out glyphs)
    return 0.25 <= vowels / len(letters) <= 0.7 and len(letters) >= 2.5 * len(latin)


def judge_text(text: str, *, min_letters: int = MIN_LETTERS) -> TextVerdict:
    """Whether a page's text layer is worth keeping, from the text alone: the text as extracted (legacy
    encodings repaired, not yet cleaned: control characters count against it)."""
    visible = [char for char in text if not char.isspace() and char not in "\u00ad\u200b\ufeff"]
    if not visible:
        return TextVerdict.NO_TEXT
    bad = sum(char == "\ufffd" or unicodedata.category(char) in _BAD_CATEGORIES for char in visible)
    bad += len(_LETTER_RUN_BROKEN.findall(text))
    if bad > MAX_BAD_SHARE * len(visible):
        return TextVerdict.GARBAGE
    if sum(char.isalpha() for char in visible) < min_letters:
        return TextVerdict.TOO_SHORT
    words = [token for token in word_tokens(text) if any(char.isalpha() for char in token)]
    syllables = sum(is_vietnamese_syllable(word) for word in words)
    if syllables >= MIN_WORD_SHARE * len(words) or _plain_latin(words):
        return TextVerdict.USABLE
    return TextVerdict.GARBAGE


def _largest_image(resources: object, depth: int = 0) -> int:
    """Pixels of the largest image XObject a page (or a form on it, three levels deep) uses."""
    if not isinstance(resources, pypdf.generic.DictionaryObject):
        return 0
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, pypdf.generic.DictionaryObject):
        return 0
    largest = 0
    for reference in xobjects.values():
        xobject = reference.get_object()
        if not isinstance(xobject, pypdf.generic.DictionaryObject):
            continue
        if xobject.get("/Subtype") == "/Image":
            try:
                largest = max(largest, int(xobject.get("/Width", 0)) * int(xobject.get("/Height", 0)))
            except (TypeError, ValueError):
                continue
        elif xobject.get("/Subtype") == "/Form" and depth < 3:
            form_resources = xobject.get("/Resources")
            form_resources = form_resources.get_object() if form_resources is not None else None
            largest = max(largest, _largest_image(form_resources, depth + 1))
    return largest


def _content_bytes(page: pypdf.PageObject) -> int:
    """Decoded bytes of the page's content streams (pypdf itself stops inflating at 75 MB)."""
    contents = page.get_contents()
    return len(contents.get_data()) if contents is not None else 0


def _page_text(page: pypdf.PageObject, number: int, min_letters: int) -> PageText:
    try:
        if _content_bytes(page) > MAX_CONTENT_BYTES:  # pure-Python parsing of it would take minutes
            return PageText(number, "", TextVerdict.TOO_COMPLEX)
        raw = page.extract_text()
        resources = page.get("/Resources")
        largest_image = _largest_image(resources.get_object() if resources is not None else None)
    except Exception:  # any failure reading one page's text layer sends that page to OCR
        return PageText(number, "", TextVerdict.EXTRACTION_FAILED)
    repaired, encoding = _repaired(raw)
    verdict = judge_text(repaired, min_letters=min_letters)
    text = _without_invisible(repaired)
    if verdict is TextVerdict.USABLE and largest_image >= SCAN_IMAGE_PIXELS and (
            sum(char.isalpha() for char in text) < SCAN_MIN_LETTERS):
        verdict = TextVerdict.SCANNED_IMAGE
    if verdict is not TextVerdict.USABLE:
        return PageText(number, "", verdict)
    return PageText(number, text, verdict, encoding)


def iter_pdf_text(path: StrPath, *, limits: PageLimits = PageLimits(), min_letters: int = MIN_LETTERS,
                  first: int = 1) -> Iterator[PageText]:
    """Each page's text layer and verdict, in page order from page `first` (1-based). The file is read
    through an open handle (pypdf given a path would read it whole).
    Raises MalformedPdf (truncated, or pypdf cannot read it),
    EncryptedPdf (a user password is needed), TooManyPages. Safe to repeat."""
    ensure_complete_pdf(path)
    with open(path, "rb") as stream:
        try:
            reader = pypdf.PdfReader(stream)
            if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
                raise EncryptedPdf(detail={"reason": "a password is needed to open it"})
            count = len(reader.pages)
        except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            raise MalformedPdf(detail={"reason": str(error)[-300:]}) from error
        if count == 0:
            raise MalformedPdf(detail={"reason": "the PDF has no pages"})
        if count > limits.max_pages:
            raise TooManyPages(detail={"pages": count, "limit": limits.max_pages})
        for index in range(max(first, 1) - 1, count):
            check_cpu(f"text layer, page {index + 1}")
            try:
                page = reader.pages[index]
            except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
                yield PageText(index + 1, "", TextVerdict.EXTRACTION_FAILED)
                continue
            yield _page_text(page, index + 1, min_letters)


def extract_pdf_text(path: StrPath, *, limits: PageLimits = PageLimits(),
                     min_letters: int = MIN_LETTERS) -> list[PageText]:
    """`iter_pdf_text` as a list (one entry per page; text only, no images, so it stays small)."""
    return list(iter_pdf_text(path, limits=limits, min_letters=min_letters))


def pages_needing_ocr(pages: Iterable[PageText]) -> list[int]:
    """The 1-based numbers of the pages to send to OCR (`iter_page_images(..., pages=...)`)."""
    return [page.number for page in pages if page.needs_ocr]
