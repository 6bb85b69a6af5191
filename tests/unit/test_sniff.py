"""Uploads are typed by their bytes, never their names; names are made safe to store and show."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from ingest.sniff import (
    MAX_NAME_BYTES,
    EmptyFile,
    FileKind,
    InvalidFilename,
    SniffedUpload,
    TypeMismatch,
    UnsupportedType,
    sanitize_filename,
    sniff_kind,
    sniff_path,
    sniff_upload,
)
from records.errors import ValidationFailed


def image_bytes(format_: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format=format_, **options)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def samples() -> dict[FileKind, bytes]:
    return {
        FileKind.PDF: pdf_bytes(),
        FileKind.TIFF: image_bytes("TIFF"),
        FileKind.JPEG: image_bytes("JPEG"),
        FileKind.PNG: image_bytes("PNG"),
    }


# -- types from bytes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FileKind))
def test_each_supported_type_is_recognised_by_its_bytes(samples: dict[FileKind, bytes], kind: FileKind) -> None:
    assert sniff_kind(samples[kind][:8192]) is kind


def test_big_endian_and_big_tiff_headers_are_tiff() -> None:
    assert sniff_kind(image_bytes("TIFF", big_tiff=True)) is FileKind.TIFF
    assert sniff_kind(b"MM\x00*\x00\x00\x00\x08" + bytes(100)) is FileKind.TIFF


@pytest.mark.parametrize("prefix", [b"\r\n", b"<html><script>alert(1)</script>", b"PK\x03\x04" + bytes(26)],
                         ids=["blank-lines", "html", "zip"])
def test_a_pdf_header_anywhere_but_at_offset_0_is_not_a_pdf(samples: dict[FileKind, bytes], prefix: bytes) -> None:
    """A file that starts as something else is that something else to a browser or an unpacker: a polyglot."""
    with pytest.raises(UnsupportedType):
        sniff_kind(prefix + samples[FileKind.PDF])


@pytest.mark.parametrize("head", [b"\x89PNG\r\n\x1a\n" + bytes(64), b"\xff\xd8\xff", b"II*\x00\x00\x00\x00\x00",
                                  b"%PDF-x.y garbage"],
                         ids=["png-without-ihdr", "jpeg-cut", "tiff-ifd-0", "pdf-no-version"])
def test_a_magic_number_alone_without_what_must_follow_is_not_enough(head: bytes) -> None:
    with pytest.raises(UnsupportedType):
        sniff_kind(head)


def test_an_empty_file_is_refused_with_its_own_code() -> None:
    with pytest.raises(EmptyFile) as caught:
        sniff_upload(b"", "scan.pdf")

    assert caught.value.code == "empty_file"
    assert isinstance(caught.value, ValidationFailed)


@pytest.mark.parametrize(
    ("head", "detected"),
    [
        (b"GIF89a\x01\x00\x01\x00", "gif"),
        (b"PK\x03\x04\x14\x00\x06\x00", "zip"),  # docx, xlsx, odt
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ms-office"),  # doc, xls
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"\x00\x00\x00\x18ftypheic", "heic"),
        (b"Don xin cap giay phep xay dung", None),
        (b"\x00" * 64, None),
    ],
)
def test_anything_else_is_an_unsupported_type_saying_what_it_seems_to_be(head: bytes, detected: str | None) -> None:
    with pytest.raises(UnsupportedType) as caught:
        sniff_upload(head, "giay-to.pdf")

    assert caught.value.code == "unsupported_type"
    assert caught.value.detail == {"detected": detected}
    assert "PDF, TIFF, JPEG" in caught.value.message_vi


# -- names and bytes that disagree ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "filename"),
    [(FileKind.PDF, "Don.PDF"), (FileKind.TIFF, "scan.tif"), (FileKind.TIFF, "scan.TIFF"),
     (FileKind.JPEG, "anh.jpg"), (FileKind.JPEG, "anh.JPEG"), (FileKind.PNG, "anh.png")],
)
def test_a_name_that_agrees_with_the_bytes_is_kept(samples: dict[FileKind, bytes], kind: FileKind,
                                                  filename: str) -> None:
    result = sniff_upload(samples[kind], filename)

    assert result == SniffedUpload(kind, result.media_type, filename, name_mismatch=False,
                                   claimed_extension=filename.rsplit(".", 1)[1].lower())
    assert result.media_type in ("application/pdf", "image/tiff", "image/jpeg", "image/png")


@pytest.mark.parametrize(
    ("kind", "filename", "extension"),
    [(FileKind.PNG, "giay-phep.pdf", "pdf"), (FileKind.PDF, "to-khai.docx", "docx"),
     (FileKind.JPEG, "anh.png", "png"), (FileKind.PDF, "scan.tiff", "tiff"), (FileKind.PDF, "bao-cao.exe", "exe")],
)
def test_a_name_whose_extension_contradicts_the_bytes_is_refused(samples: dict[FileKind, bytes], kind: FileKind,
                                                                filename: str, extension: str) -> None:
    with pytest.raises(TypeMismatch) as caught:
        sniff_upload(samples[kind], filename)

    assert caught.value.code == "type_mismatch"
    assert caught.value.detail == {"extension": extension, "detected": kind.value, "filename": filename}
    assert kind.value.upper() in caught.value.message_vi and kind.value.upper() in caught.value.message_en


@pytest.mark.parametrize(
    ("filename", "display_name"),
    [("giay-to", "giay-to.png"), ("QĐ 12.UBND", "QĐ 12.UBND.png"), ("scan.v2", "scan.v2.png"),
     ("Tờ trình 1.2", "Tờ trình 1.2.png")],
)
def test_a_name_without_a_known_extension_is_accepted_and_flagged(samples: dict[FileKind, bytes], filename: str,
                                                                 display_name: str) -> None:
    result = sniff_upload(samples[FileKind.PNG], filename)

    assert result.kind is FileKind.PNG
    assert result.name_mismatch is True
    assert result.claimed_extension is None
    assert result.display_name == display_name


def test_sniff_path_reads_only_the_head_of_a_file_on_disk(tmp_path: Path, samples: dict[FileKind, bytes]) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(samples[FileKind.JPEG] + bytes(100_000))

    assert sniff_path(path, "Ảnh chụp CCCD.jpg").kind is FileKind.JPEG
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(EmptyFile):
        sniff_path(tmp_path / "empty", "x.pdf")


# -- safe display names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\Lan\\Desktop\\Đơn đề nghị.pdf", "Đơn đề nghị.pdf"),
        ("/tmp/a\\b/c.pdf", "c.pdf"),
        ("tờ\x00khai\x07.pdf", "tờkhai.pdf"),
        ("báo cáo\u202efdp.exe", "báo cáofdp.exe"),  # a right-to-left override that hid ".exe"
        ("..hidden.pdf", "hidden.pdf"),
        ("  Giấy   chứng\tnhận .pdf ", "Giấy chứng nhận.pdf"),
        ("hồ sơ: số 1/2?.pdf", "2_.pdf"),
        ('a<b>c"d|e*f.pdf', "a_b_c_d_e_f.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("scan.", "scan"),
    ],
)
def test_names_are_sanitised(filename: str, expected: str) -> None:
    assert sanitize_filename(filename) == expected


def test_vietnamese_letters_are_kept_and_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Quyết định giao đất – Nguyễn Thị Ánh.pdf")

    name = sanitize_filename(decomposed)

    assert name == "Quyết định giao đất – Nguyễn Thị Ánh.pdf"
    assert unicodedata.is_normalized("NFC", name)


def test_long_names_are_cut_on_a_character_boundary_and_keep_their_extension() -> None:
    name = sanitize_filename("Đề nghị cấp giấy chứng nhận quyền sử dụng đất " * 20 + ".pdf")

    assert name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert name.startswith("Đề nghị cấp giấy")
    assert unicodedata.is_normalized("NFC", name)


@pytest.mark.parametrize("filename", ["", "   ", "...", "\x00\x01\x02", "C:\\scans\\", "/", ".pdf", " ..pdf"])
def test_a_name_with_nothing_left_after_sanitising_is_refused(samples: dict[FileKind, bytes], filename: str) -> None:
    with pytest.raises(InvalidFilename) as caught:
        sniff_upload(samples[FileKind.PDF], filename)

    assert caught.value.code == "invalid_filename"
    assert caught.value.message_en and caught.value.message_vi
