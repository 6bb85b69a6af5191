"""Pages are checked and opened safely: every kind of bad upload gets its code; page images come one at a
time, scanned PDF pages without re-rendering. Files are built here, in the test's temporary folder."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pikepdf
import pytest
from fpdf import FPDF
from PIL import Image

from ingest.pages import (
    DocumentInfo,
    EncryptedPdf,
    ImageTooLarge,
    MalformedImage,
    MalformedPdf,
    PageLimits,
    PageTooLarge,
    TooManyPages,
    inspect_document,
    iter_page_images,
    iter_thumbnails,
    thumbnail_png,
)
from ingest.sniff import FileKind
from records.errors import ValidationFailed

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian fonts-dejavu-core (see the Makefile)
A4 = (595.0, 842.0)

# -- files ------------------------------------------------------------------------------------------------


def blank_pdf(path: Path, pages: int = 1, size: tuple[float, float] = A4, *,
              encryption: pikepdf.Encryption | None = None) -> Path:
    with pikepdf.new() as pdf:
        for _ in range(pages):
            pdf.add_blank_page()
            pdf.pages[-1].mediabox = pikepdf.Array([0, 0, *size])  # (add_blank_page stops at 14,400 pt)
        pdf.save(path, encryption=encryption)
    return path


def jpeg(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85, **options)
    return buffer.getvalue()


def scanned_pdf(path: Path, scans: list[Image.Image], *, dpi: int = 300, rotate: int = 0,
                extra_content: bytes = b"") -> Path:
    """One page per scan: a JPEG drawn over the whole page, as scanners write them."""
    with pikepdf.new() as pdf:
        for scan in scans:
            width, height = scan.width * 72 / dpi, scan.height * 72 / dpi
            pdf.add_blank_page(page_size=(width, height))
            page = pdf.pages[-1]
            image = pikepdf.Stream(pdf, jpeg(scan), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                                   Width=scan.width, Height=scan.height, BitsPerComponent=8,
                                   Filter=pikepdf.Name.DCTDecode,
                                   ColorSpace=pikepdf.Name.DeviceGray if scan.mode == "L" else pikepdf.Name.DeviceRGB)
            font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                      BaseFont=pikepdf.Name.Helvetica)
            page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image),
                                                    Font=pikepdf.Dictionary(F1=font))
            content = f"q {width:.3f} 0 0 {height:.3f} 0 0 cm /Im0 Do Q ".encode() + extra_content
            page.obj.Contents = pikepdf.Stream(pdf, content)
            if rotate:
                page.obj.Rotate = rotate
        pdf.save(path)
    return path


def text_pdf(path: Path, lines: list[str], size: tuple[float, float] = (300.0, 200.0)) -> Path:
    document = FPDF(unit="pt", format=size)
    document.set_auto_page_break(False)
    document.set_margin(4)
    document.add_font("DejaVu", fname=FONT)
    document.set_font("DejaVu", size=10)
    document.add_page()
    for line in lines:
        document.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    document.output(str(path))
    return path


def tiff(path: Path, frames: list[Image.Image], **options: object) -> Path:
    frames[0].save(path, format="TIFF", save_all=True, append_images=frames[1:], dpi=(300, 300), **options)
    return path


def png_claiming(width: int, height: int) -> bytes:
    """A real PNG whose header claims width × height 1-bit pixels, with only a few rows of data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = zlib.compress(bytes(1 + (width + 7) // 8) * 16, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def grey_page(shade: int, size: tuple[int, int] = (250, 350)) -> Image.Image:
    return Image.new("L", size, shade)


# -- PDFs that are refused --------------------------------------------------------------------------------


def test_a_pdf_needing_a_password_is_refused(tmp_path: Path) -> None:
    path = blank_pdf(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(user="1234", owner="5678"))

    with pytest.raises(EncryptedPdf) as caught:
        inspect_document(path, FileKind.PDF)

    assert caught.value.code == "encrypted_pdf"
    assert isinstance(caught.value, ValidationFailed)


def test_a_pdf_with_only_an_owner_password_is_accepted_and_reported(tmp_path: Path) -> None:
    """Issued documents often forbid copying or editing; we only read and render what was handed in."""
    restrictions = pikepdf.Permissions(extract=False, modify_other=False)
    path = blank_pdf(tmp_path / "restricted.pdf", 2,
                     encryption=pikepdf.Encryption(user="", owner="5678", allow=restrictions))

    assert inspect_document(path, FileKind.PDF) == DocumentInfo(FileKind.PDF, 2, encrypted=True)
    assert [page.number for page in iter_page_images(path, FileKind.PDF, dpi=20)] == [1, 2]


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_a_truncated_pdf_is_refused_although_qpdf_could_rebuild_part_of_it(tmp_path: Path, keep: float) -> None:
    whole = blank_pdf(tmp_path / "whole.pdf", 3).read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: int(len(whole) * keep)])

    with pytest.raises(MalformedPdf) as caught:
        inspect_document(path, FileKind.PDF)

    assert caught.value.code == "malformed_pdf"
    assert "truncated" in caught.value.detail["reason"]


def test_a_complete_pdf_with_a_broken_cross_reference_table_is_repaired_and_accepted(tmp_path: Path) -> None:
    whole = blank_pdf(tmp_path / "whole.pdf", 3).read_bytes()
    path = tmp_path / "bad-xref.pdf"
    path.write_bytes(whole.replace(b"startxref\n", b"startxref\n9"))

    assert inspect_document(path, FileKind.PDF) == DocumentInfo(FileKind.PDF, 3, repaired=True)


def test_a_pdf_that_cannot_be_read_at_all_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n")

    with pytest.raises(MalformedPdf):
        inspect_document(path, FileKind.PDF)


def test_a_pdf_with_2001_pages_has_too_many(tmp_path: Path) -> None:
    path = blank_pdf(tmp_path / "long.pdf", 2_001, size=(100, 100))

    with pytest.raises(TooManyPages) as caught:
        inspect_document(path, FileKind.PDF)

    assert caught.value.code == "budget_pages"
    assert caught.value.detail == {"pages": 2_001, "limit": 2_000}


def test_the_page_limit_is_configurable(tmp_path: Path) -> None:
    path = blank_pdf(tmp_path / "three.pdf", 3, size=(100, 100))

    assert inspect_document(path, FileKind.PDF, limits=PageLimits(max_pages=3)).page_count == 3
    with pytest.raises(TooManyPages):
        inspect_document(path, FileKind.PDF, limits=PageLimits(max_pages=2))
    with pytest.raises(TooManyPages):
        next(iter_page_images(path, FileKind.PDF, limits=PageLimits(max_pages=2)))


def test_a_20000_point_page_is_too_large(tmp_path: Path) -> None:
    path = blank_pdf(tmp_path / "banner.pdf", 1, size=(20_000, 500))

    with pytest.raises(PageTooLarge) as caught:
        inspect_document(path, FileKind.PDF)

    assert caught.value.code == "page_too_large"
    assert caught.value.detail == {"page": 1, "width_pt": 20_000.0, "height_pt": 500.0, "limit_pt": 14_400.0}


def test_a_page_made_large_by_its_user_unit_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "user-unit.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(2_000, 1_000))
        pdf.pages[0].obj.UserUnit = 10
        pdf.save(path)

    with pytest.raises(PageTooLarge):
        inspect_document(path, FileKind.PDF)


def test_an_image_in_a_pdf_declaring_too_many_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    path = blank_pdf(tmp_path / "bomb.pdf", 1)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        bomb = pikepdf.Stream(pdf, zlib.compress(bytes(1_000_000)), Type=pikepdf.Name.XObject,
                              Subtype=pikepdf.Name.Image, Width=100_000, Height=100_000, BitsPerComponent=8,
                              ColorSpace=pikepdf.Name.DeviceGray, Filter=pikepdf.Name.FlateDecode)
        pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=bomb))
        pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q")
        pdf.save(path)

    with pytest.raises(ImageTooLarge) as caught:
        inspect_document(path, FileKind.PDF)
    assert caught.value.detail["width"] == 100_000
    with pytest.raises(ImageTooLarge):
        next(iter_page_images(path, FileKind.PDF))


# -- images that are refused ------------------------------------------------------------------------------


def test_a_png_claiming_100k_by_100k_pixels_is_a_decompression_bomb(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(100_000, 100_000))

    with pytest.raises(ImageTooLarge) as caught:
        inspect_document(path, FileKind.PNG)

    assert caught.value.code == "budget_pixels"
    with pytest.raises(ImageTooLarge):
        list(iter_thumbnails(path, FileKind.PNG))


def test_our_own_pixel_limit_applies_below_pillows(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg(grey_page(128, (1_200, 1_000))))

    with pytest.raises(ImageTooLarge) as caught:
        inspect_document(path, FileKind.JPEG, limits=PageLimits(max_page_pixels=1_000_000))

    assert caught.value.detail == {"page": 1, "width": 1_200, "height": 1_000, "limit_pixels": 1_000_000,
                                   "limit_side": 65_000}


def test_each_tiff_frame_is_checked_not_only_the_first(tmp_path: Path) -> None:
    path = tiff(tmp_path / "scan.tif", [grey_page(255, (100, 100)), grey_page(0, (400, 400))])

    with pytest.raises(ImageTooLarge) as caught:
        inspect_document(path, FileKind.TIFF, limits=PageLimits(max_page_pixels=50_000))

    assert caught.value.detail["page"] == 2


@pytest.mark.parametrize(("kind", "keep"), [(FileKind.JPEG, 0.6), (FileKind.PNG, 0.6), (FileKind.JPEG, 0.01)])
def test_a_truncated_image_is_malformed(tmp_path: Path, kind: FileKind, keep: float) -> None:
    picture = Image.effect_noise((400, 300), 60).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format=kind.value.upper())
    path = tmp_path / f"cut.{kind.value}"
    path.write_bytes(buffer.getvalue()[: max(4, int(len(buffer.getvalue()) * keep))])

    with pytest.raises(MalformedImage) as caught:
        inspect_document(path, kind)

    assert caught.value.code == "malformed_image"


def test_a_tiff_with_more_frames_than_allowed_has_too_many_pages(tmp_path: Path) -> None:
    path = tiff(tmp_path / "scan.tif", [grey_page(shade) for shade in (0, 100, 200)])

    with pytest.raises(TooManyPages):
        inspect_document(path, FileKind.TIFF, limits=PageLimits(max_pages=2))


# -- page images for OCR ----------------------------------------------------------------------------------


def test_a_three_page_tiff_gives_three_separate_page_images(tmp_path: Path) -> None:
    path = tiff(tmp_path / "scan.tif", [grey_page(shade) for shade in (0, 100, 200)], compression="tiff_lzw")

    assert inspect_document(path, FileKind.TIFF) == DocumentInfo(FileKind.TIFF, 3)
    pages = list(iter_page_images(path, FileKind.TIFF))

    assert [(page.number, page.source, page.dpi) for page in pages] == [(n, "scan", 300.0) for n in (1, 2, 3)]
    assert [page.image.getpixel((10, 10)) for page in pages] == [0, 100, 200]  # each its own frame


def test_only_the_pages_asked_for_are_produced(tmp_path: Path) -> None:
    path = tiff(tmp_path / "scan.tif", [grey_page(shade) for shade in (0, 100, 200)])

    assert [page.number for page in iter_page_images(path, FileKind.TIFF, pages=[3, 1])] == [1, 3]


def test_a_scanned_pdf_page_is_taken_out_as_it_is(tmp_path: Path) -> None:
    scan = Image.effect_noise((826, 1169), 40).convert("L")  # A4 at 100 dpi
    path = scanned_pdf(tmp_path / "scan.pdf", [scan], dpi=100)

    [page] = iter_page_images(path, FileKind.PDF)

    assert page.source == "embedded"
    assert page.image.size == (826, 1169)
    assert page.dpi == pytest.approx(100, abs=0.5)


def test_a_rotated_scanned_page_comes_out_as_a_reader_shows_it(tmp_path: Path) -> None:
    scan = grey_page(255, (300, 200))
    scan.paste(0, (0, 0, 40, 40))  # a mark in the top left corner
    path = scanned_pdf(tmp_path / "scan.pdf", [scan], rotate=90)  # shown turned 90° clockwise

    [page] = iter_page_images(path, FileKind.PDF)

    assert (page.source, page.image.size) == ("embedded", (200, 300))
    assert (page.image.getpixel((195, 5)), page.image.getpixel((5, 5))) == (0, 255)  # now top right


def test_a_scan_with_anything_drawn_over_it_is_rendered_at_300_dpi(tmp_path: Path) -> None:
    path = scanned_pdf(tmp_path / "stamped.pdf", [grey_page(200, (300, 150))],
                       extra_content=b"BT /F1 10 Tf 5 5 Td (Ban sao) Tj ET")  # 72 × 36 pt

    [page] = iter_page_images(path, FileKind.PDF)

    assert (page.source, page.dpi, page.image.size) == ("rendered", 300.0, (300, 150))


@pytest.mark.parametrize("renderer", ["pdftoppm", "ghostscript"])
def test_born_digital_pages_are_rendered_by_either_renderer(tmp_path: Path, renderer: str) -> None:
    path = text_pdf(tmp_path / "text.pdf", ["Cộng hòa xã hội chủ nghĩa Việt Nam"], size=(216, 36))

    [page] = iter_page_images(path, FileKind.PDF, renderer=renderer)  # type: ignore[arg-type]

    assert page.source == "rendered"
    assert page.image.size == (900, 150)
    assert page.image.getextrema() != (255, 255)  # something was drawn


def test_a_very_large_page_is_rendered_at_a_lower_dpi_within_the_pixel_budget(tmp_path: Path) -> None:
    path = blank_pdf(tmp_path / "plan.pdf", 1, size=(14_000, 7_000))
    limits = PageLimits(max_render_pixels=2_000_000)

    [page] = iter_page_images(path, FileKind.PDF, limits=limits)

    assert page.dpi == pytest.approx(10.28)  # 72 × √(2 Mpx / (14,000 × 7,000 pt²))
    assert page.image.width * page.image.height <= 2_000_000


def test_jpeg_orientation_is_applied_and_alpha_is_flattened_on_white(tmp_path: Path) -> None:
    photo = Image.new("RGB", (400, 200), "white")
    exif = photo.getexif()
    exif[0x0112] = 6  # taken with the phone turned: rotate 90° clockwise to view
    (tmp_path / "photo.jpg").write_bytes(jpeg(photo, exif=exif))
    Image.new("RGBA", (50, 40), (0, 0, 0, 0)).save(tmp_path / "clear.png")

    [photo_page] = iter_page_images(tmp_path / "photo.jpg", FileKind.JPEG)
    [clear_page] = iter_page_images(tmp_path / "clear.png", FileKind.PNG)

    assert photo_page.image.size == (200, 400)
    assert (clear_page.image.mode, clear_page.image.getpixel((0, 0))) == ("RGB", (255, 255, 255))


# -- thumbnails --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", ["pdftoppm", "ghostscript"])
def test_pdf_thumbnails_are_pngs_at_most_300_pixels_wide(tmp_path: Path, renderer: str) -> None:
    path = blank_pdf(tmp_path / "doc.pdf", 3, size=A4)

    thumbnails = list(iter_thumbnails(path, FileKind.PDF, renderer=renderer, chunk=2))  # type: ignore[arg-type]

    assert [thumbnail.number for thumbnail in thumbnails] == [1, 2, 3]
    for thumbnail in thumbnails:
        assert thumbnail.png.startswith(b"\x89PNG")
        assert thumbnail.width == 300 and 420 <= thumbnail.height <= 426


def test_image_thumbnails_keep_their_shape_and_tall_pages_are_capped(tmp_path: Path) -> None:
    path = tiff(tmp_path / "scan.tif", [grey_page(0, (2_480, 3_508)), grey_page(0, (100, 2_000))])
    (tmp_path / "photo.jpg").write_bytes(jpeg(grey_page(50, (4_000, 3_000))))

    a4, strip = iter_thumbnails(path, FileKind.TIFF)
    [photo] = iter_thumbnails(tmp_path / "photo.jpg", FileKind.JPEG)

    assert (a4.width, a4.height) == (300, 424)
    assert (strip.width, strip.height) == (60, 1_200)
    assert (photo.width, photo.height) == (300, 225)


def test_thumbnail_png_never_enlarges() -> None:
    with Image.open(io.BytesIO(thumbnail_png(grey_page(0, (120, 80))))) as small:
        assert small.size == (120, 80)
