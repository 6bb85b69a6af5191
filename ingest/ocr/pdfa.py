"""A searchable two-layer PDF/A-2b of a scanned document, built directly with pikepdf.

Each page is the scan as it came (a JPEG is copied byte for byte, never re-encoded: the red stamp and the
colours are part of the record) with Tesseract's invisible text layer over it. The text layer comes from
the same Tesseract run that produced the page text (`textonly_pdf=1`), so nothing is OCRed twice; it was
laid out on the prepared (deskewed, maybe upscaled) page, and one `cm` matrix maps it back onto the scan.

PDF/A-2b needs, beyond a clean PDF: an sRGB output intent (ICC profile), XMP metadata declaring
pdfaid:part 2 / conformance B that agrees with the document information dictionary, embedded fonts
(Tesseract's GlyphLessFont is embedded; its text is drawn in render mode 3, invisible), a file identifier
(qpdf always writes one) and no encryption. Measured on the dev scans (`python -m bench.ocr --pdf`):
about 0.01 s per page, every page passing pikepdf's PDF/A-2b validator. Ghostscript's `-dPDFA=2` on the
same file takes ~30 times as long, still needs a PDFA_def.ps to carry the output intent, and drops a
Vietnamese title from the document information.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
from PIL import Image, ImageCms

Affine = tuple[float, float, float, float, float, float]  # x' = a x + b y + c ; y' = d x + e y + f
IDENTITY: Affine = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
_SRGB_PROFILE_PATHS = (
    Path("/usr/share/color/icc/ghostscript/srgb.icc"),  # Debian's libgs-common (ghostscript): ICC v2
    Path("/usr/share/color/icc/sRGB.icc"),
)
PDFA_PART = "2"
PDFA_CONFORMANCE = "B"


@dataclass(frozen=True)
class ScanImage:
    """A page image as it will be embedded: an encoded JPEG (kept as is) or a decoded Pillow image."""

    jpeg: bytes | None = None
    image: Image.Image | None = None

    @staticmethod
    def from_source(source: bytes | Image.Image) -> ScanImage:
        if isinstance(source, bytes):
            if source[:3] == b"\xff\xd8\xff":
                return ScanImage(jpeg=source)
            with Image.open(io.BytesIO(source)) as opened:
                opened.load()
                return ScanImage(image=opened.copy())
        return ScanImage(image=source)


@dataclass(frozen=True)
class PdfPage:
    """One page of the searchable PDF.

    `scan_dpi` sizes the page (pixels × 72 / dpi points). `text_layer_pdf` is Tesseract's one-page
    text-only PDF for the image it read, which was `text_image_size` pixels at `text_dpi`;
    `text_to_scan` maps a pixel of that image to a pixel of the scan (deskew and upscale undone).
    """

    scan: ScanImage
    scan_dpi: float
    text_layer_pdf: bytes | None = None
    text_to_scan: Affine = IDENTITY
    text_dpi: float | None = None


class PdfBuildError(Exception):
    """The pages could not be assembled into a PDF (an unreadable image or text layer)."""


def build_searchable_pdf(
    pages: Sequence[PdfPage], *, title: str | None = None, created: datetime | None = None
) -> bytes:
    """The PDF/A-2b bytes: one page per entry, scan image below, invisible text above. Pure; raises
    `PdfBuildError`."""
    if not pages:
        raise PdfBuildError("a PDF needs at least one page")
    pdf = pikepdf.new()
    try:
        for page in pages:
            _add_page(pdf, page)
    except (OSError, ValueError, pikepdf.PdfError) as error:
        raise PdfBuildError(f"cannot assemble the page: {error}") from error
    _make_pdfa(pdf, title=title, created=created or datetime.now(UTC))
    out = io.BytesIO()
    pdf.save(out, min_version="1.7", object_stream_mode=pikepdf.ObjectStreamMode.generate,
             compress_streams=True, deterministic_id=True)
    return out.getvalue()


def _add_page(pdf: pikepdf.Pdf, page: PdfPage) -> None:
    image_stream, width_px, height_px = _image_xobject(pdf, page.scan)
    width_pt = width_px * 72.0 / page.scan_dpi
    height_pt = height_px * 72.0 / page.scan_dpi
    xobjects = pikepdf.Dictionary(Im0=image_stream)
    content = f"q {_num(width_pt)} 0 0 {_num(height_pt)} 0 0 cm /Im0 Do Q\n"
    if page.text_layer_pdf is not None:
        with pikepdf.open(io.BytesIO(page.text_layer_pdf)) as layer:
            layer_page = layer.pages[0]
            layer_height_pt = float(layer_page.mediabox[3]) - float(layer_page.mediabox[1])
            form = pdf.copy_foreign(layer_page.as_form_xobject())
        matrix = _text_matrix(page, layer_height_pt, height_px)
        xobjects.Tx0 = form
        content += "q " + " ".join(_num(v) for v in matrix) + " cm /Tx0 Do Q\n"
    new_page = pikepdf.Page(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, _round(width_pt), _round(height_pt)],
            Resources=pikepdf.Dictionary(XObject=xobjects),
            Contents=pdf.make_stream(content.encode("ascii")),
        )
    )
    pdf.pages.append(new_page)


def _image_xobject(pdf: pikepdf.Pdf, scan: ScanImage) -> tuple[pikepdf.Stream, int, int]:
    if scan.jpeg is not None:
        with Image.open(io.BytesIO(scan.jpeg)) as header:
            mode, (width, height) = header.mode, header.size
        if mode in ("L", "RGB"):
            stream = pdf.make_stream(scan.jpeg)
            stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
            stream.Width, stream.Height, stream.BitsPerComponent = width, height, 8
            stream.ColorSpace = pikepdf.Name.DeviceGray if mode == "L" else pikepdf.Name.DeviceRGB
            stream.Filter = pikepdf.Name.DCTDecode
            return stream, width, height
        image = Image.open(io.BytesIO(scan.jpeg)).convert("RGB")  # CMYK etc.: not allowed with an sRGB intent
    elif scan.image is not None:
        image = scan.image
    else:
        raise PdfBuildError("a page has no image")
    if image.mode not in ("1", "L", "RGB"):
        image = image.convert("RGB")
    # Lossless for anything that was not a JPEG already (archive copy).
    stream = pdf.make_stream(zlib.compress(image.tobytes(), 6))
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    stream.Width, stream.Height = image.width, image.height
    stream.BitsPerComponent = 1 if image.mode == "1" else 8
    stream.ColorSpace = pikepdf.Name.DeviceRGB if image.mode == "RGB" else pikepdf.Name.DeviceGray
    stream.Filter = pikepdf.Name.FlateDecode
    return stream, image.width, image.height


def _text_matrix(page: PdfPage, layer_height_pt: float, scan_height_px: int) -> Affine:
    """PDF `cm` operands mapping the text layer's user space onto the page's.

    text layer (u, v) pt → text-image pixel (u·k, (h − v)·k), k = dpi/72 → scan pixel (affine) →
    page (x·72/dpi, (H − y)·72/dpi).
    """
    text_dpi = page.text_dpi or page.scan_dpi
    k = text_dpi / 72.0
    # layer -> text-image pixels
    to_pixels = ((k, 0.0, 0.0), (0.0, -k, layer_height_pt * k), (0.0, 0.0, 1.0))
    a, b, c, d, e, f = page.text_to_scan
    to_scan = ((a, b, c), (d, e, f), (0.0, 0.0, 1.0))
    s = 72.0 / page.scan_dpi
    to_page = ((s, 0.0, 0.0), (0.0, -s, scan_height_px * s), (0.0, 0.0, 1.0))
    m = _matmul(to_page, _matmul(to_scan, to_pixels))
    # PDF cm [A B C D E F]: X = A u + C v + E, Y = B u + D v + F
    return m[0][0], m[1][0], m[0][1], m[1][1], m[0][2], m[1][2]


def _matmul(
    p: tuple[tuple[float, float, float], ...], q: tuple[tuple[float, float, float], ...]
) -> tuple[tuple[float, float, float], ...]:
    rows = [tuple(sum(p[i][k] * q[k][j] for k in range(3)) for j in range(3)) for i in range(3)]
    return tuple((r[0], r[1], r[2]) for r in rows)


def _make_pdfa(pdf: pikepdf.Pdf, *, title: str | None, created: datetime) -> None:
    icc = pdf.make_stream(srgb_profile())
    icc.N = 3
    pdf.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                RegistryName=pikepdf.String("http://www.color.org"),
                Info=pikepdf.String("sRGB IEC61966-2.1"),
                DestOutputProfile=icc,
            )
        ]
    )
    stamp = created.astimezone(UTC).replace(microsecond=0)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=True) as meta:
        meta["pdfaid:part"] = PDFA_PART
        meta["pdfaid:conformance"] = PDFA_CONFORMANCE
        meta["xmp:CreateDate"] = stamp.isoformat()
        meta["xmp:ModifyDate"] = stamp.isoformat()
        meta["xmp:MetadataDate"] = stamp.isoformat()
        meta["xmp:CreatorTool"] = "hoso ingest.ocr (Tesseract)"
        meta["pdf:Producer"] = "hoso ingest.ocr (pikepdf)"
        if title:
            meta["dc:title"] = title


def srgb_profile() -> bytes:
    """An sRGB ICC profile: Ghostscript's (installed with it), else one Little CMS builds."""
    for path in _SRGB_PROFILE_PATHS:
        if path.is_file():
            return path.read_bytes()
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    data: bytes = profile.tobytes()
    return data


def _num(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _round(value: float) -> float:
    return round(value, 3)
