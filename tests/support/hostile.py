"""A hostile corpus, generated (no binaries committed): files built to cost the worker time or memory, to
confuse the sniffing, or to be something other than what they claim. Used by the tests and by bench.hostile.

Each `HostileCase` says what hoso must do with it: refuse it at upload with a code (`refused`), or accept it
and end the document `failed` with a named reason (`failed`). Sizes scale with the budget they are aimed at,
so the tests can use a small budget (cheap files) and the bench the default one.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pikepdf
from PIL import Image

from infra.demo_lien_thong import text_pdf

APPLICATION = [["ĐƠN ĐỀ NGHỊ CẤP BẢN SAO TRÍCH LỤC HỘ TỊCH", "Người yêu cầu: Trần Văn Bình",
                "Nơi cư trú: phường Trấn Biên, tỉnh Đồng Nai"]]


@dataclass(frozen=True)
class Target:
    """The budget the files are built against (the file just exceeds it)."""

    max_pages: int = 2_000
    max_page_pixels: int = 150_000_000
    max_stream_bytes: int = 256 * 1024**2


@dataclass(frozen=True)
class HostileCase:
    name: str
    filename: str
    build: Callable[[Target], bytes]
    refused: tuple[int, str] | None = None  # (HTTP status, code) at upload
    failed: str | None = None  # the failure code once processed
    cpu_seconds: float | None = None  # a tighter CPU budget for this case (tool runs and the document)


def _pdf_bytes(pdf: pikepdf.Pdf, **save: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **save)  # type: ignore[arg-type]
    return out.getvalue()


def truncated_pdf(_: Target) -> bytes:
    return text_pdf(APPLICATION)[:-400]


def encrypted_pdf(_: Target) -> bytes:
    pdf = pikepdf.open(io.BytesIO(text_pdf(APPLICATION)))
    return _pdf_bytes(pdf, encryption=pikepdf.Encryption(user="mat-khau", owner="chu-so-huu"))


def reference_loop_pdf(_: Target) -> bytes:
    """A page tree whose /Kids holds the tree itself, and a page whose /Parent points at the page: readers
    that follow references without remembering where they have been never come back."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length 5 0 R >>\nstream\nBT ET\nendstream",
        b"5 0 R",
    ]
    return _raw_pdf(objects)


def _raw_pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def thousands_of_pages_pdf(target: Target) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    for _ in range(max(target.max_pages, 2_000) + 500):
        pdf.pages.append(page)  # the same blank page over and over: a few bytes each
    return _pdf_bytes(pdf)


def _zlib_of_spaces(size: int) -> bytes:
    compressor = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    return b"".join(compressor.compress(chunk) for _ in range(size // len(chunk) + 1)) + compressor.flush()


def flate_bomb_pdf(target: Target) -> bytes:
    """One page whose content stream is a few hundred KB that inflates past the per-stream limit."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    bomb = pikepdf.Stream(pdf, _zlib_of_spaces(target.max_stream_bytes + 1024 * 1024))
    bomb.Filter = pikepdf.Name.FlateDecode
    pdf.pages[0].Contents = pdf.make_indirect(bomb)
    return _pdf_bytes(pdf, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)


def encrypted_flate_bomb_pdf(target: Target) -> bytes:
    """The Flate bomb behind an owner password (opens without one): the count runs on the decrypted data."""
    pdf = pikepdf.open(io.BytesIO(flate_bomb_pdf(target)))
    return _pdf_bytes(pdf, compress_streams=False, encryption=pikepdf.Encryption(user="", owner="chu-so-huu"))


def huge_page_pdf(_: Target) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].MediaBox = pikepdf.Array([0, 0, 1_000_000, 1_000_000])  # 350 m a side
    return _pdf_bytes(pdf)


def huge_image_in_pdf(target: Target) -> bytes:
    """A page drawing one image that claims more pixels than the budget (its data is a few bytes)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    side = int((target.max_page_pixels * 2) ** 0.5)
    image = pikepdf.Stream(pdf, zlib.compress(b"\xff" * 1024))
    image.Type, image.Subtype, image.Filter = pikepdf.Name.XObject, pikepdf.Name.Image, pikepdf.Name.FlateDecode
    image.Width, image.Height, image.ColorSpace, image.BitsPerComponent = side, side, pikepdf.Name.DeviceGray, 8
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(image)))
    page.Contents = pdf.make_indirect(pikepdf.Stream(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q"))
    return _pdf_bytes(pdf)


def jpeg_lying_about_its_size_pdf(target: Target) -> bytes:
    """A page image whose dictionary says 100 × 100 while its JPEG data is larger than the pixel budget."""
    side = int((target.max_page_pixels * 1.2) ** 0.5)
    out = io.BytesIO()
    Image.new("L", (side, side), 255).save(out, "JPEG", quality=10)
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    image = pikepdf.Stream(pdf, out.getvalue())
    image.Type, image.Subtype, image.Filter = pikepdf.Name.XObject, pikepdf.Name.Image, pikepdf.Name.DCTDecode
    image.Width, image.Height, image.ColorSpace, image.BitsPerComponent = 100, 100, pikepdf.Name.DeviceGray, 8
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(image)))
    page.Contents = pdf.make_indirect(pikepdf.Stream(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q"))
    return _pdf_bytes(pdf)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(target: Target) -> bytes:
    """A grey PNG with more pixels than the budget, all white: ~1/1000 of its decoded size on disk."""
    side = int((target.max_page_pixels * 1.2) ** 0.5)
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * side
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data)
            + _png_chunk(b"IEND", b""))


def bomb_tiff(target: Target) -> bytes:
    """A deflate TIFF claiming more pixels than the budget, with one strip of a few KB."""
    side = int((target.max_page_pixels * 1.5) ** 0.5)
    strip = zlib.compress(b"\xff" * 65536, 9)
    entries = [(256, 4, 1, side), (257, 4, 1, side), (258, 3, 1, 8), (259, 3, 1, 8), (262, 3, 1, 1),
               (273, 4, 1, 0), (277, 3, 1, 1), (278, 4, 1, side), (279, 4, 1, len(strip))]
    ifd_size = 2 + 12 * len(entries) + 4
    data_offset = 8 + ifd_size
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = data_offset if tag == 273 else value
        ifd += struct.pack("<HHI", tag, kind, count) + (struct.pack("<HH", value, 0) if kind == 3
                                                       else struct.pack("<I", value))
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + strip


def thousands_of_frames_tiff(target: Target) -> bytes:
    """A TIFF of thousands of 8 × 8 frames, every frame's directory pointing at the same 8-byte strip."""
    frames = max(target.max_pages, 2_000) + 100
    entries = [(256, 3, 8), (257, 3, 8), (258, 3, 1), (259, 3, 1), (262, 3, 0), (273, 4, 8), (277, 3, 1),
               (278, 3, 8), (279, 4, 8)]
    ifd_size = 2 + 12 * len(entries) + 4
    out = io.BytesIO()
    out.write(b"II*\x00" + struct.pack("<I", 16) + b"\xff" * 8)  # header, then the strip at offset 8
    for index in range(frames):
        out.write(struct.pack("<H", len(entries)))
        for tag, kind, value in entries:
            out.write(struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", value, 0) if kind == 3
                                                           else struct.pack("<I", value)))
        out.write(struct.pack("<I", 0 if index == frames - 1 else out.tell() + 4))
    assert out.tell() == 16 + frames * ifd_size
    return out.getvalue()


def pdf_then_zip(_: Target) -> bytes:
    """A PDF with a ZIP archive appended: an unpacker sees the archive; the PDF's end is no longer at the end."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as bundle:
        bundle.writestr("payload.html", "<script>alert(document.cookie)</script>" + "<!-- -->" * 400)
    return text_pdf(APPLICATION) + archive.getvalue()


def html_then_pdf(_: Target) -> bytes:
    return b"<html><body><script>alert(document.cookie)</script><!--\n" + text_pdf(APPLICATION) + b"-->"


def zip_then_pdf(_: Target) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("don.pdf", text_pdf(APPLICATION))
    return archive.getvalue()


def gif_named_pdf(_: Target) -> bytes:
    out = io.BytesIO()
    Image.new("L", (16, 16), 255).save(out, "GIF")
    return out.getvalue()


def jpeg_magic_then_garbage(_: Target) -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 20


def zero_bytes(_: Target) -> bytes:
    return b""


def html_with_script(_: Target) -> bytes:
    return "<!DOCTYPE html><html><body><script>fetch('/api/v1/users')</script>Đơn</body></html>".encode()


def svg_with_script(_: Target) -> bytes:
    return (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
            b"<script>alert(document.domain)</script></svg>")


def slow_to_draw_pdf(_: Target, strokes: int = 800) -> bytes:
    """A small page that costs seconds of CPU to draw: hundreds of overlapping strokes 100 pt wide, each
    stroked on its own. (Drawn as one path, 60,000 of them make pdftoppm take 18 GB; see bench.hostile.)"""
    content = b"100 w 1 J " + b"".join(b"%d %d m %d %d l S " % (i % 595, (i * 7) % 842, (i * 13) % 595,
                                                                  (i * 31) % 842) for i in range(strokes))
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].Contents = pdf.make_indirect(pikepdf.Stream(pdf, content))
    return _pdf_bytes(pdf)


CASES: tuple[HostileCase, ...] = (
    HostileCase("truncated_pdf", "cat-ngang.pdf", truncated_pdf, failed="malformed_pdf"),
    HostileCase("encrypted_pdf", "mat-khau.pdf", encrypted_pdf, failed="encrypted_pdf"),
    HostileCase("reference_loop_pdf", "vong-lap.pdf", reference_loop_pdf, failed="malformed_pdf"),
    HostileCase("thousands_of_pages_pdf", "nghin-trang.pdf", thousands_of_pages_pdf, refused=(422, "budget_pages")),
    HostileCase("flate_bomb_pdf", "bom-nen.pdf", flate_bomb_pdf, refused=(422, "budget_stream_bytes")),
    HostileCase("encrypted_flate_bomb_pdf", "bom-nen-khoa.pdf", encrypted_flate_bomb_pdf,
                refused=(422, "budget_stream_bytes")),
    HostileCase("huge_page_pdf", "trang-khong-lo.pdf", huge_page_pdf, refused=(422, "page_too_large")),
    HostileCase("huge_image_in_pdf", "anh-khong-lo.pdf", huge_image_in_pdf, refused=(422, "budget_pixels")),
    HostileCase("jpeg_lying_about_its_size_pdf", "anh-noi-doi.pdf", jpeg_lying_about_its_size_pdf,
                refused=(422, "budget_pixels")),
    HostileCase("bomb_png", "bom.png", bomb_png, refused=(422, "budget_pixels")),
    HostileCase("bomb_tiff", "bom.tiff", bomb_tiff, refused=(422, "budget_pixels")),
    HostileCase("thousands_of_frames_tiff", "nghin-khung.tiff", thousands_of_frames_tiff,
                refused=(422, "budget_pages")),
    HostileCase("slow_to_draw_pdf", "ve-cham.pdf", slow_to_draw_pdf, failed="budget_cpu", cpu_seconds=1.0),
    HostileCase("polyglot_pdf_then_zip", "don-kem-zip.pdf", pdf_then_zip, failed="malformed_pdf"),
    HostileCase("polyglot_html_then_pdf", "trang-web.pdf", html_then_pdf, refused=(415, "unsupported_type")),
    HostileCase("polyglot_zip_then_pdf", "nen.pdf", zip_then_pdf, refused=(415, "unsupported_type")),
    HostileCase("wrong_magic_gif_named_pdf", "anh.pdf", gif_named_pdf, refused=(415, "unsupported_type")),
    HostileCase("jpeg_magic_then_garbage", "anh-hong.jpg", jpeg_magic_then_garbage, failed="malformed_image"),
    HostileCase("zero_bytes", "trong.pdf", zero_bytes, refused=(422, "empty_file")),
    HostileCase("html_with_script", "don.html", html_with_script, refused=(415, "unsupported_type")),
    HostileCase("svg_with_script", "chu-ky.svg", svg_with_script, refused=(415, "unsupported_type")),
)
