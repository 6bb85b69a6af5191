"""A document's pages, checked and opened safely from a file on disk, one page in memory at a time.

Decisions (see the tests for each):
- PDFs are opened with qpdf (pikepdf), which maps the file rather than reading it. A PDF that needs a user
  password is refused (`encrypted_pdf`); one that opens with the empty password (owner password and
  permission flags only, common for issued documents) is accepted and reported `encrypted`: we only read
  and render what the applicant handed in, and qpdf, poppler and pypdf all read it.
- A PDF without "%%EOF" in its last 1 KB (the rule PDF readers apply) is a truncated upload and is refused
  (`malformed_pdf`) even though qpdf could rebuild part of it: that would archive an incomplete paper
  silently. A complete file whose cross-reference table qpdf has to rebuild is accepted, reported
  `repaired`; one qpdf cannot open at all, or with no pages, is `malformed_pdf`.
- Limits (`PageLimits`, the header part of the document's processing budget, ingest.budget): page count
  `budget_pages`; page side (crop box × /UserUnit) `page_too_large`; pixels or side of an image or image
  page `budget_pixels`; decoded bytes of all images `budget_image_bytes` and of each PDF stream
  `budget_stream_bytes`, checked from headers before anything is decoded. The worker sets Pillow's own bomb
  limit to the same pixel count (`configure_pillow`); its DecompressionBombError is reported the same way.
- Pages for OCR come at 300 dpi: a scanned page that is one JPEG or CCITT image filling the page is taken
  out as it is (its own resolution, no re-rendering); any other page is rendered by pdftoppm (or
  Ghostscript) in a subprocess under the budget's memory and CPU limits (`run_tool`), at a lower dpi if
  300 dpi would exceed `max_render_pixels`.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pikepdf
from PIL import Image, ImageOps

from ingest.budget import BudgetImageBytes as BudgetImageBytes
from ingest.budget import ProcessingBudget, check_cpu, check_pdf_streams, run_tool
from ingest.sniff import FileKind
from records.errors import DomainError, ValidationFailed

StrPath = str | os.PathLike[str]
Renderer = Literal["pdftoppm", "ghostscript"]
PageSource = Literal["embedded", "rendered", "scan"]


class TooManyPages(ValidationFailed):
    code = "budget_pages"
    message_vi = "Tài liệu có nhiều trang hơn mức cho phép."
    message_en = "The document has more pages than allowed."


class PageTooLarge(ValidationFailed):
    code = "page_too_large"
    message_vi = "Kích thước trang quá lớn."
    message_en = "A page is too large."


class ImageTooLarge(ValidationFailed):
    code = "budget_pixels"
    message_vi = "Ảnh hoặc trang trong tài liệu có nhiều điểm ảnh hơn mức cho phép."
    message_en = "An image or page of the document has more pixels than allowed."


class EncryptedPdf(ValidationFailed):
    code = "encrypted_pdf"
    message_vi = "Tệp PDF được bảo vệ bằng mật khẩu; hãy nộp bản không đặt mật khẩu."
    message_en = "The PDF is password-protected; upload a copy without a password."


class MalformedPdf(ValidationFailed):
    code = "malformed_pdf"
    message_vi = "Tệp PDF bị hỏng hoặc không đầy đủ."
    message_en = "The PDF is damaged or incomplete."


class MalformedImage(ValidationFailed):
    code = "malformed_image"
    message_vi = "Tệp ảnh bị hỏng hoặc không đầy đủ."
    message_en = "The image file is damaged or incomplete."


class PageRenderFailed(ValidationFailed):
    code = "page_render_failed"
    message_vi = "Không dựng được hình ảnh trang tài liệu."
    message_en = "A page of the document could not be rendered."


class RendererUnavailable(DomainError):
    code = "renderer_unavailable"
    message_vi = "Máy chủ thiếu công cụ dựng trang PDF (poppler-utils hoặc ghostscript)."
    message_en = "No PDF page renderer (poppler-utils or ghostscript) is installed."


PageLimits = ProcessingBudget  # the page checks are the header part of a document's processing budget


@dataclass(frozen=True)
class DocumentInfo:
    kind: FileKind
    page_count: int
    encrypted: bool = False  # a PDF that opened with the empty password
    repaired: bool = False  # qpdf rebuilt the PDF's structure (damaged cross-reference table)


@dataclass(frozen=True)
class PageImage:
    number: int  # 1-based
    image: Image.Image  # mode "1", "L" or "RGB", upright
    dpi: float | None  # None when an image file does not say
    source: PageSource  # embedded: taken out of the PDF as it was; rendered; scan: an image file's frame


@dataclass(frozen=True)
class Thumbnail:
    number: int
    png: bytes
    width: int
    height: int


_PIL_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError, TypeError,
               ZeroDivisionError, Image.DecompressionBombWarning)


# -- images -------------------------------------------------------------------------------------------
def _check_pixels(width: int, height: int, number: int, limits: PageLimits) -> None:
    if width * height > limits.max_page_pixels or max(width, height) > limits.max_page_side_px:
        raise ImageTooLarge(detail={"page": number, "width": width, "height": height,
                                    "limit_pixels": limits.max_page_pixels, "limit_side": limits.max_page_side_px})


@contextmanager
def _open_image(path: StrPath) -> Iterator[Image.Image]:
    try:
        image = Image.open(path)
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(detail={"page": 1, "reason": str(error)}) from error
    except _PIL_ERRORS as error:
        raise MalformedImage(detail={"page": 1, "reason": str(error)}) from error
    with image:
        yield image


def _image_frames(image: Image.Image, kind: FileKind, limits: PageLimits) -> Iterator[int]:
    """Seeks `image` to each page in turn (TIFF: every frame; JPEG, PNG: the first) after checking the
    page count and the frame's pixel count from its header. Yields the 1-based page number."""
    number = 1
    while True:
        _check_pixels(image.width, image.height, number, limits)
        yield number
        if kind is not FileKind.TIFF:
            return
        try:
            image.seek(number)
        except EOFError:
            return
        except _PIL_ERRORS as error:
            raise MalformedImage(detail={"page": number + 1, "reason": str(error)}) from error
        number += 1
        if number > limits.max_pages:
            raise TooManyPages(detail={"pages_at_least": number, "limit": limits.max_pages})


def _count_frames(image: Image.Image, kind: FileKind, limits: PageLimits) -> int:
    """Pages in an image file, every frame's size checked from its header (nothing decoded)."""
    count = sum(1 for _ in _image_frames(image, kind, limits))
    if count > 1:
        image.seek(0)
    return count


def _check_image_bytes(image: Image.Image, kind: FileKind, limits: PageLimits) -> None:
    """BudgetImageBytes when the frames together decode to more than `max_image_bytes` (from headers)."""
    total = 0
    for _ in _image_frames(image, kind, limits):
        total += image.width * image.height * max(1, len(image.getbands()))
        if total > limits.max_image_bytes:
            raise BudgetImageBytes(detail={"limit_bytes": limits.max_image_bytes})
    if kind is FileKind.TIFF:
        image.seek(0)


def _decode(frame: Image.Image, number: int) -> None:
    try:
        frame.load()
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(detail={"page": number, "reason": str(error)}) from error
    except _PIL_ERRORS as error:
        raise MalformedImage(detail={"page": number, "reason": str(error)}) from error


def _upright(frame: Image.Image, number: int, *, use_orientation: bool = True) -> Image.Image:
    """The decoded frame as a new image (the file's frame object moves on) in mode 1, L or RGB, turned as
    its EXIF/TIFF orientation says (unless told not to: PDF readers ignore it in embedded JPEGs)."""
    _decode(frame, number)
    try:
        orientation = frame.getexif().get(0x0112, 1) if use_orientation else 1
        image = (ImageOps.exif_transpose(frame) or frame) if orientation not in (None, 1) else frame
        if image.mode.startswith("I;16"):
            image = Image.fromarray((np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8))
        elif image.mode in ("I", "F"):
            values = np.asarray(image, dtype=np.float64)
            top = float(values.max()) or 1.0
            image = Image.fromarray((np.clip(values / top, 0, 1) * 255).astype(np.uint8))
        elif image.mode in ("LA", "RGBA", "PA", "P") and ("transparency" in image.info or "A" in image.mode):
            rgba = image.convert("RGBA")
            background = Image.new("RGBA", rgba.size, "white")
            image = Image.alpha_composite(background, rgba).convert("RGB")
        elif image.mode not in ("1", "L", "RGB"):
            image = image.convert("RGB")
        return image.copy() if image is frame else image
    except _PIL_ERRORS as error:
        raise MalformedImage(detail={"page": number, "reason": str(error)}) from error


def _dpi(image: Image.Image) -> float | None:
    value = image.info.get("dpi")
    try:
        dpi = float(value[0]) if value else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    return round(dpi, 2) if 20 <= dpi <= 10_000 else None


# -- PDFs ---------------------------------------------------------------------------------------------
def ensure_complete_pdf(path: StrPath) -> None:
    """MalformedPdf unless "%%EOF" is in the last 1 KB (reads only that): a cut-off upload."""
    with open(path, "rb") as stream:
        stream.seek(0, os.SEEK_END)
        stream.seek(max(0, stream.tell() - 1024))
        if b"%%EOF" not in stream.read():
            raise MalformedPdf(detail={"reason": "truncated: no %%EOF at the end of the file"})


@contextmanager
def _open_pdf(path: StrPath) -> Iterator[pikepdf.Pdf]:
    ensure_complete_pdf(path)
    try:
        pdf = pikepdf.open(os.fspath(path))
    except pikepdf.PasswordError as error:
        raise EncryptedPdf(detail={"reason": "a password is needed to open it"}) from error
    except pikepdf.PdfError as error:
        raise MalformedPdf(detail={"reason": str(error)[-300:]}) from error
    with pdf:
        try:
            yield pdf
        except pikepdf.PdfError as error:
            raise MalformedPdf(detail={"reason": str(error)[-300:]}) from error


def _rectangle(box: pikepdf.Object, number: int) -> tuple[float, float, float, float]:
    try:
        x0, y0, x1, y1 = (float(value) for value in box)
    except (TypeError, ValueError) as error:
        raise MalformedPdf(detail={"page": number, "reason": "page box is not four numbers"}) from error
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _visible_box(page: pikepdf.Page, number: int) -> tuple[float, float, float, float]:
    """The crop box within the media box, in PDF units (before /UserUnit)."""
    mx0, my0, mx1, my1 = _rectangle(page.mediabox, number)
    cx0, cy0, cx1, cy1 = _rectangle(page.cropbox, number)
    box = max(mx0, cx0), max(my0, cy0), min(mx1, cx1), min(my1, cy1)
    if box[2] - box[0] < 1 or box[3] - box[1] < 1:
        raise MalformedPdf(detail={"page": number, "reason": "the page has no area"})
    return box


def _user_unit(page: pikepdf.Page) -> float:
    unit = page.obj.get("/UserUnit")
    try:
        return float(unit) if unit is not None else 1.0
    except (TypeError, ValueError):
        return 1.0


def _jpeg_size(xobject: pikepdf.Stream) -> tuple[int, int]:
    """The size a JPEG image XObject's own header gives (read from its SOF marker, nothing decoded)."""
    try:
        with Image.open(io.BytesIO(xobject.read_raw_bytes())) as image:
            return image.size
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(detail={"reason": str(error)}) from error
    except _PIL_ERRORS:
        return 0, 0  # not readable: the renderer skips it, or the fast path renders instead


def _image_sizes(resources: pikepdf.Object | None, depth: int = 0) -> Iterator[tuple[int, int]]:
    """(width, height) of every image XObject the resources name, through up to three nested forms."""
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return
    for _, xobject in xobjects.items():
        if not isinstance(xobject, pikepdf.Stream):
            continue
        subtype = xobject.get("/Subtype")
        if subtype == pikepdf.Name.Image:
            try:
                yield int(xobject.get("/Width", 0)), int(xobject.get("/Height", 0))
            except (TypeError, ValueError) as error:
                raise MalformedPdf(detail={"reason": "an image has no numeric size"}) from error
            if xobject.get("/Filter") == pikepdf.Name.DCTDecode:
                yield _jpeg_size(xobject)  # what a decoder will make of it, whatever the dictionary says
        elif subtype == pikepdf.Name.Form and depth < 3:
            yield from _image_sizes(xobject.get("/Resources"), depth + 1)


def _check_pdf_page(page: pikepdf.Page, number: int, limits: PageLimits) -> tuple[float, float]:
    """The page's visible size in points after the size and embedded-image checks."""
    x0, y0, x1, y1 = _visible_box(page, number)
    unit = _user_unit(page)
    width, height = (x1 - x0) * unit, (y1 - y0) * unit
    if max(width, height) > limits.max_page_side_pt:
        raise PageTooLarge(detail={"page": number, "width_pt": round(width, 1), "height_pt": round(height, 1),
                                   "limit_pt": limits.max_page_side_pt})
    for image_width, image_height in _image_sizes(page.obj.get("/Resources")):
        _check_pixels(image_width, image_height, number, limits)
    return width, height


def _check_page_count(count: int, limits: PageLimits) -> None:
    if count == 0:
        raise MalformedPdf(detail={"reason": "the PDF has no pages"})
    if count > limits.max_pages:
        raise TooManyPages(detail={"pages": count, "limit": limits.max_pages})


def _rotation(page: pikepdf.Page) -> int:
    node: pikepdf.Object | None = page.obj
    for _ in range(64):  # /Rotate is inherited through the page tree
        if not isinstance(node, pikepdf.Dictionary):
            break
        if "/Rotate" in node:
            try:
                return int(node["/Rotate"]) % 360
            except (TypeError, ValueError):
                return 0
        node = node.get("/Parent")
    return 0


_Matrix = tuple[float, float, float, float, float, float]


def _concat(m: _Matrix, n: _Matrix) -> _Matrix:
    return (m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3], m[2] * n[0] + m[3] * n[2],
            m[2] * n[1] + m[3] * n[3], m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5])


def _single_drawn_image(page: pikepdf.Page) -> tuple[pikepdf.Stream, _Matrix] | None:
    """The one image XObject a page draws and where, when its content is nothing but q/Q/cm and one Do."""
    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [] if contents is None else [contents]
    if "/Annots" in page.obj or sum(int(s.get("/Length", 0)) for s in streams) > 4096:
        return None
    ctm: _Matrix = (1, 0, 0, 1, 0, 0)
    saved: list[_Matrix] = []
    drawn: tuple[pikepdf.Object, _Matrix] | None = None
    for instruction in pikepdf.parse_content_stream(page):
        operator = str(instruction.operator)
        if isinstance(instruction, pikepdf.ContentStreamInlineImage) or operator not in ("q", "Q", "cm", "Do"):
            return None
        if operator == "q":
            saved.append(ctm)
        elif operator == "Q" and saved:
            ctm = saved.pop()
        elif operator == "cm" and len(instruction.operands) == 6:
            a, b, c, d, e, f = (float(value) for value in instruction.operands)
            ctm = _concat((a, b, c, d, e, f), ctm)
        elif operator == "Do" and drawn is None:
            drawn = (instruction.operands[0], ctm)
        else:
            return None
    if drawn is None:
        return None
    xobjects = page.obj.get("/Resources", pikepdf.Dictionary()).get("/XObject")
    image = xobjects.get(str(drawn[0])) if isinstance(xobjects, pikepdf.Dictionary) else None
    return (image, drawn[1]) if isinstance(image, pikepdf.Stream) else None


def _embedded_page_image(page: pikepdf.Page, number: int, limits: PageLimits) -> PageImage | None:
    """The fast path: a scanned page that is one JPEG or CCITT image filling the visible page, taken out
    as it is. None (render instead) for anything else or anything the extraction does not handle."""
    if _user_unit(page) != 1.0:
        return None
    try:
        found = _single_drawn_image(page)
    except (pikepdf.PdfError, TypeError, ValueError):
        return None  # a content stream qpdf cannot parse: poppler may still draw it
    if found is None:
        return None
    xobject, (a, b, c, d, e, f) = found
    declared = xobject.get("/Filter")
    filters = [str(name) for name in declared] if isinstance(declared, pikepdf.Array) else [str(declared)]
    if (xobject.get("/Subtype") != pikepdf.Name.Image or filters not in (["/DCTDecode"], ["/CCITTFaxDecode"])
            or any(key in xobject for key in ("/ImageMask", "/SMask", "/Mask", "/Decode"))):
        return None
    x0, y0, x1, y1 = _visible_box(page, number)
    tolerance = max(1.0, 0.01 * max(x1 - x0, y1 - y0))
    if abs(b) > 1e-6 or abs(c) > 1e-6 or a <= 0 or d <= 0 or any(
            abs(edge - bound) > tolerance for edge, bound in ((e, x0), (f, y0), (e + a, x1), (f + d, y1))):
        return None
    try:
        pdf_image = pikepdf.PdfImage(xobject)
        if pdf_image.colorspace not in ("/DeviceGray", "/DeviceRGB") and not (
                pdf_image.colorspace == "/ICCBased" and pdf_image.mode in ("L", "RGB")):
            return None
        image = pdf_image.as_pil_image()
        _check_pixels(image.width, image.height, number, limits)
        image = _upright(image, number, use_orientation=False)
    except (MalformedImage, pikepdf.PikepdfError, *_PIL_ERRORS, NotImplementedError):
        return None  # not something the fast path handles: render the page instead
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(detail={"page": number, "reason": str(error)}) from error
    rotation = _rotation(page)
    if rotation in (90, 180, 270):
        image = image.transpose({90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
                                 270: Image.Transpose.ROTATE_90}[rotation])
    dpi = image.width * 72 / (x1 - x0) if rotation in (0, 180) else image.height * 72 / (x1 - x0)
    return PageImage(number, image, round(dpi, 2), "embedded")


# -- rendering ----------------------------------------------------------------------------------------
def choose_renderer(renderer: Renderer | None = None) -> Renderer:
    """The renderer asked for, else pdftoppm when installed, else Ghostscript; RendererUnavailable."""
    programs: tuple[tuple[Renderer, str], ...] = (("pdftoppm", "pdftoppm"), ("ghostscript", "gs"))
    for candidate, program in programs:
        if renderer in (None, candidate) and shutil.which(program):
            return candidate
    raise RendererUnavailable(detail={"renderer": renderer})


def _render(path: StrPath, first: int, last: int, directory: Path, *, renderer: Renderer,
            timeout: float, memory_bytes: int | None = None, dpi: float | None = None,
            width: int | None = None) -> list[tuple[int, Path]]:
    """Renders pages first..last to PPM files in `directory` (at `dpi`, or `width` pixels wide with
    pdftoppm) under the budget's memory and CPU limits (`run_tool`); returns (page number, file) in page
    order. PageRenderFailed on error, BudgetCpu / BudgetMemory past the limits."""
    source, prefix = str(Path(path).resolve()), str(directory / "page")
    if renderer == "pdftoppm":
        size = ["-scale-to-x", str(width), "-scale-to-y", "-1"] if width else ["-r", f"{dpi:.2f}"]
        command = ["pdftoppm", "-cropbox", "-f", str(first), "-l", str(last), *size, source, prefix]
    else:
        command = ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=ppmraw", f"-r{dpi:.2f}",
                   "-dUseCropBox", "-dTextAlphaBits=4", "-dGraphicsAlphaBits=4", f"-dFirstPage={first}",
                   f"-dLastPage={last}", f"-sOutputFile={prefix}-%d.ppm", source]
    detail: dict[str, object] = {"first_page": first, "last_page": last, "renderer": renderer}
    finished = run_tool(command, timeout=timeout, memory_bytes=memory_bytes)
    found = sorted((int(match.group(1)), file) for file in directory.glob("page-*.ppm")
                   if (match := re.search(r"-(\d+)\.ppm$", file.name)))
    if renderer == "ghostscript":  # gs numbers its output files from 1
        found = [(first + index - 1, file) for index, file in found]
    if finished.returncode != 0 or [number for number, _ in found] != list(range(first, last + 1)):
        reason = finished.stderr.decode("utf-8", "replace")[-300:] or f"exit status {finished.returncode}"
        raise PageRenderFailed(detail={**detail, "reason": reason})
    return found


def _load_rendered(file: Path, number: int) -> Image.Image:
    try:
        with Image.open(file) as image:
            image.load()
            return image.copy() if image.mode in ("1", "L", "RGB") else image.convert("RGB")
    except _PIL_ERRORS as error:
        raise PageRenderFailed(detail={"page": number, "reason": str(error)}) from error
    finally:
        file.unlink(missing_ok=True)


def _render_dpi(width_pt: float, height_pt: float, dpi: float, limits: PageLimits) -> float:
    fitting = 72 * math.sqrt(limits.max_render_pixels / (width_pt * height_pt))
    return max(1.0, min(float(dpi), math.floor(fitting * 100) / 100))


def _page_numbers(pages: Iterable[int] | None, count: int) -> Sequence[int]:
    numbers = range(1, count + 1) if pages is None else sorted(set(pages))
    if numbers and (numbers[0] < 1 or numbers[-1] > count):
        raise ValueError(f"page numbers must be within 1..{count}")
    return numbers


# -- public -------------------------------------------------------------------------------------------
def inspect_document(path: StrPath, kind: FileKind, *, limits: PageLimits = PageLimits(),
                     decode_images: bool = True) -> DocumentInfo:
    """Checks a document against `limits` and says how many pages it has. Reads headers and page
    dictionaries only, except that with `decode_images` every image frame is decoded (one at a time) to
    catch cut-off image files; PDF pages are not rendered. Safe to repeat. Raises TooManyPages,
    PageTooLarge, ImageTooLarge, EncryptedPdf, MalformedPdf, MalformedImage."""
    if kind is FileKind.PDF:
        with _open_pdf(path) as pdf:
            count = len(pdf.pages)
            _check_page_count(count, limits)
            for number, page in enumerate(pdf.pages, start=1):
                _check_pdf_page(page, number, limits)
            check_pdf_streams(pdf, limits)
            return DocumentInfo(kind, count, encrypted=pdf.is_encrypted, repaired=bool(pdf.get_warnings()))
    with _open_image(path) as image:
        count = _count_frames(image, kind, limits)
        _check_image_bytes(image, kind, limits)
        if decode_images:
            for number in _image_frames(image, kind, limits):
                _decode(image, number)
    return DocumentInfo(kind, count)


def iter_page_images(path: StrPath, kind: FileKind, *, limits: PageLimits = PageLimits(), dpi: float = 300,
                     pages: Iterable[int] | None = None, renderer: Renderer | None = None) -> Iterator[PageImage]:
    """Page images for OCR, one at a time, in page order (all pages, or the 1-based `pages`). The same
    checks as `inspect_document` apply to each page on the way. PDF pages that are a single full-page scan
    come out at their own resolution; others are rendered at `dpi`. Raises what `inspect_document` does,
    and PageRenderFailed or RendererUnavailable."""
    if kind is not FileKind.PDF:
        with _open_image(path) as image:
            wanted = _page_numbers(pages, _count_frames(image, kind, limits))
            for number in _image_frames(image, kind, limits) if wanted else ():
                check_cpu(f"page {number}")
                if number in wanted:
                    yield PageImage(number, _upright(image, number), _dpi(image), "scan")
                if number == wanted[-1]:
                    return
        return
    with _open_pdf(path) as pdf, tempfile.TemporaryDirectory(prefix="hoso-render-") as directory:
        _check_page_count(len(pdf.pages), limits)
        for number in _page_numbers(pages, len(pdf.pages)):
            check_cpu(f"page {number}")
            page = pdf.pages[number - 1]
            width, height = _check_pdf_page(page, number, limits)
            embedded = _embedded_page_image(page, number, limits)
            if embedded is not None:
                yield embedded
                continue
            page_dpi = _render_dpi(width, height, dpi, limits)
            [(_, file)] = _render(path, number, number, Path(directory), renderer=choose_renderer(renderer),
                                  timeout=limits.render_timeout_s, memory_bytes=limits.tool_memory_bytes, dpi=page_dpi)
            yield PageImage(number, _load_rendered(file, number), page_dpi, "rendered")


def thumbnail_png(image: Image.Image, *, max_width: int = 300, max_height: int = 1200) -> bytes:
    """`image` scaled down (never up) to fit max_width × max_height, as PNG bytes."""
    small = image.convert("L") if image.mode == "1" else image.copy()
    small.thumbnail((max_width, max_height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _thumbnail(number: int, image: Image.Image, max_width: int, max_height: int) -> Thumbnail:
    png = thumbnail_png(image, max_width=max_width, max_height=max_height)
    with Image.open(io.BytesIO(png)) as small:
        return Thumbnail(number, png, small.width, small.height)


def iter_thumbnails(path: StrPath, kind: FileKind, *, limits: PageLimits = PageLimits(), max_width: int = 300,
                    max_height: int = 1200, renderer: Renderer | None = None,
                    chunk: int = 16, pages: range | None = None) -> Iterator[Thumbnail]:
    """A PNG thumbnail of every page (or of the 1-based `pages`; at most max_width wide and max_height high),
    in page order, one page in memory at a time. PDFs are rendered straight to thumbnail size, `chunk` pages
    per renderer run. Raises what `iter_page_images` does."""
    if kind is not FileKind.PDF:
        with _open_image(path) as image:
            _count_frames(image, kind, limits)
            for number in _image_frames(image, kind, limits):
                if pages is not None and number not in pages:
                    continue
                check_cpu(f"thumbnail {number}")
                if kind is FileKind.JPEG:
                    image.draft("RGB", (max_width, max_height))  # decode at 1/2…1/8 scale
                yield _thumbnail(number, _upright(image, number), max_width, max_height)
        return
    chosen = choose_renderer(renderer)
    with _open_pdf(path) as pdf, tempfile.TemporaryDirectory(prefix="hoso-thumbs-") as directory:
        count = len(pdf.pages)
        _check_page_count(count, limits)
        wanted = range(1, count + 1) if pages is None else range(max(pages.start, 1), min(pages.stop, count + 1))
        for first in range(wanted.start, wanted.stop, chunk):
            check_cpu(f"thumbnail {first}")
            last = min(wanted.stop - 1, first + chunk - 1)
            sizes = [_check_pdf_page(pdf.pages[n - 1], n, limits) for n in range(first, last + 1)]
            if chosen == "pdftoppm":
                files = _render(path, first, last, Path(directory), renderer=chosen,
                                timeout=limits.render_timeout_s, memory_bytes=limits.tool_memory_bytes, width=max_width)
                for number, file in files:
                    yield _thumbnail(number, _load_rendered(file, number), max_width, max_height)
                continue
            for number, (width, _) in zip(range(first, last + 1), sizes, strict=True):
                # Ghostscript has no "scale to width": one run per page at the dpi that gives it
                [(_, file)] = _render(path, number, number, Path(directory), renderer=chosen,
                                      timeout=limits.render_timeout_s, memory_bytes=limits.tool_memory_bytes,
                                      dpi=72 * max_width / width)
                yield _thumbnail(number, _load_rendered(file, number), max_width, max_height)
