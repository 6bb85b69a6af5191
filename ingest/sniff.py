"""What an upload is, decided from its bytes, and the name it may be shown under.

The first bytes decide the type (PDF, TIFF, JPEG, PNG); the filename never does. A name whose extension
names another type is refused (`type_mismatch`): the issue asks that "a file whose bytes contradict its
name" get a clear 4xx, and such a file is more often a wrong attachment than a misnamed scan. A name with
no extension, or with a suffix that is no known file type (Vietnamese names often hold dots: "QĐ 12.UBND"),
is accepted: the result says `name_mismatch` and the display name gets the right extension.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from records.errors import ValidationFailed

SNIFF_BYTES = 8192  # how much of the head `sniff_upload` wants; the signatures sit at offset 0
MAX_NAME_BYTES = 240  # UTF-8 bytes of a display name: fits file systems (255) and database columns


class FileKind(StrEnum):
    PDF = "pdf"
    TIFF = "tiff"
    JPEG = "jpeg"
    PNG = "png"


MEDIA_TYPES = {
    FileKind.PDF: "application/pdf",
    FileKind.TIFF: "image/tiff",
    FileKind.JPEG: "image/jpeg",
    FileKind.PNG: "image/png",
}
EXTENSIONS: dict[FileKind, tuple[str, ...]] = {  # the first one is added to names that have none
    FileKind.PDF: ("pdf",),
    FileKind.TIFF: ("tiff", "tif"),
    FileKind.JPEG: ("jpg", "jpeg", "jpe", "jfif"),
    FileKind.PNG: ("png",),
}
# Extensions of other file types: a supported file named like one of these contradicts its name.
OTHER_TYPE_EXTENSIONS = frozenset(
    """doc docx docm dot dotx odt ott rtf txt csv xls xlsx xlsm ods ppt pptx odp pages key numbers
    zip rar 7z gz tgz tar bz2 xz gif bmp webp heic heif avif svg ico psd ai eps ps djvu djv jp2 j2k jpx
    xps oxps html htm xml json exe dll msi bat cmd sh js vbs ps1 apk mp3 mp4 mov avi mkv wav eml msg""".split()
)
_KNOWN_EXTENSIONS = frozenset(ext for exts in EXTENSIONS.values() for ext in exts) | OTHER_TYPE_EXTENSIONS

# Signatures of common types we do not take, to say what the file seems to be.
_OTHER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "gif"), (b"GIF89a", "gif"), (b"PK\x03\x04", "zip"), (b"\xd0\xcf\x11\xe0", "ms-office"),
    (b"Rar!", "rar"), (b"7z\xbc\xaf", "7z"), (b"\x1f\x8b", "gzip"), (b"MZ", "executable"),
    (b"\x7fELF", "executable"), (b"%!PS", "postscript"), (b"{\\rtf", "rtf"), (b"AT&TFORM", "djvu"),
    (b"\x00\x00\x00\x0cjP  ", "jpeg2000"), (b"BM", "bmp"),
)
_WINDOWS_DEVICE_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{prefix}{n}" for prefix in ("COM", "LPT") for n in range(1, 10)]
)
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')


class EmptyFile(ValidationFailed):
    code = "empty_file"
    message_vi = "Tệp tải lên rỗng (0 byte)."
    message_en = "The uploaded file is empty (0 bytes)."


class UnsupportedType(ValidationFailed):
    code = "unsupported_type"
    message_vi = "Loại tệp không được hỗ trợ; chỉ nhận PDF, TIFF, JPEG hoặc PNG."
    message_en = "Unsupported file type; only PDF, TIFF, JPEG or PNG are accepted."


class TypeMismatch(ValidationFailed):
    code = "type_mismatch"
    message_vi = "Nội dung tệp không khớp với phần mở rộng của tên tệp."
    message_en = "The file's content does not match its name's extension."


class InvalidFilename(ValidationFailed):
    code = "invalid_filename"
    message_vi = "Tên tệp không hợp lệ (rỗng sau khi loại bỏ ký tự không cho phép)."
    message_en = "The filename is not valid (empty once disallowed characters are removed)."


@dataclass(frozen=True)
class SniffedUpload:
    kind: FileKind
    media_type: str
    display_name: str  # safe to store and show: no directories, no control characters, NFC, bounded
    name_mismatch: bool = False  # the name had no (known) extension; the display name got the right one
    claimed_extension: str | None = None  # the extension the client sent, lowercased


def _other_type(head: bytes) -> str | None:
    for signature, name in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    start = head[:256].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for marker, name in ((b"<!doctype html", "html"), (b"<html", "html"), (b"<svg", "svg"), (b"<?xml", "xml"),
                         (b"<script", "html")):
        if start.startswith(marker):
            return name
    if b"%PDF-" in head[:1024]:
        return "pdf-after-other-content"
    if head[4:8] == b"ftyp":
        return "heic" if head[8:12] in (b"heic", b"heix", b"mif1", b"msf1") else "iso-media"
    return None


_PDF_HEADER = re.compile(rb"%PDF-[12]\.\d")


def _tiff_ifd_offset(head: bytes) -> int:
    return int.from_bytes(head[4:8], "little" if head[:2] == b"II" else "big")


def sniff_kind(head: bytes) -> FileKind:
    """The type of a file from its first bytes. EmptyFile for no bytes, UnsupportedType otherwise."""
    if not head:
        raise EmptyFile()
    # Each signature at offset 0 and what must follow it. Readers accept a PDF header anywhere in the first
    # kilobyte, but a file that starts as something else (HTML, a ZIP) is that something else to a browser
    # or an unpacker: a polyglot, refused.
    if _PDF_HEADER.match(head):
        return FileKind.PDF
    if head[:4] in (b"II*\x00", b"MM\x00*") and len(head) >= 8 and _tiff_ifd_offset(head) >= 8:
        return FileKind.TIFF
    if head[:4] in (b"II+\x00", b"MM\x00+") and head[4:8] in (b"\x08\x00\x00\x00", b"\x00\x08\x00\x00"):  # BigTIFF
        return FileKind.TIFF
    if head.startswith(b"\xff\xd8\xff") and len(head) > 3 and head[3] >= 0xC0:  # SOI, then a marker
        return FileKind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"):  # the signature, then the IHDR chunk
        return FileKind.PNG
    raise UnsupportedType(detail={"detected": _other_type(head)})


def _fit_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")[:max_bytes]
    cut = encoded.decode("utf-8", errors="ignore")
    while cut and unicodedata.combining(cut[-1]):
        cut = cut[:-1]  # don't end on a diacritic whose letter may be cut
    return cut


def split_extension(name: str) -> tuple[str, str | None]:
    """(stem, extension lowercased) when the name ends in a known file type's extension; else (name, None)."""
    match = _EXTENSION.search(name)
    if match and match.group(1).lower() in _KNOWN_EXTENSIONS:
        return name[: match.start()], match.group(1).lower()
    return name, None


def sanitize_filename(name: str, *, max_bytes: int = MAX_NAME_BYTES) -> str:
    """A display name safe to store, show and offer for download: the last path component (after / or \\),
    NFC, without control or format characters (NUL, bidi overrides), without leading dots, with characters
    Windows forbids replaced by "_", spaces collapsed, at most `max_bytes` UTF-8 bytes with the extension
    kept. Vietnamese letters are kept. InvalidFilename when nothing is left."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if char.isspace() else char for char in name
                   if unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn") or char.isspace())
    name = _WINDOWS_FORBIDDEN.sub("_", re.sub(r"\s+", " ", name)).strip()
    stem, extension = split_extension(name)
    stem = stem.strip(". ")  # no hidden ".name", no "name." or "name " that Windows would trim
    if not stem:
        raise InvalidFilename(detail={"filename": name[:100]})
    if stem.upper() in _WINDOWS_DEVICE_NAMES:
        stem = f"_{stem}"
    suffix = name[len(name) - len(extension) - 1:] if extension else ""
    stem = _fit_utf8(stem, max_bytes - len(suffix.encode("utf-8"))).rstrip(". ")
    if not stem:
        raise InvalidFilename(detail={"filename": name[:100]})
    return stem + suffix


def sniff_upload(head: bytes, filename: str) -> SniffedUpload:
    """What an upload is (from `head`, its first SNIFF_BYTES bytes) and its safe display name.

    Raises EmptyFile, UnsupportedType, InvalidFilename, or TypeMismatch when the name's extension is
    that of another type (a `.pdf` that is a PNG). Pure; safe to repeat."""
    kind = sniff_kind(head)
    display_name = sanitize_filename(filename)
    _, extension = split_extension(display_name)
    if extension is None:
        display_name = sanitize_filename(f"{display_name}.{EXTENSIONS[kind][0]}")
        return SniffedUpload(kind, MEDIA_TYPES[kind], display_name, name_mismatch=True)
    if extension not in EXTENSIONS[kind]:
        raise TypeMismatch(
            f"Tệp có đuôi .{extension} nhưng nội dung là {kind.value.upper()}.",
            f"The file is named .{extension} but its content is {kind.value.upper()}.",
            detail={"extension": extension, "detected": kind.value, "filename": display_name},
        )
    return SniffedUpload(kind, MEDIA_TYPES[kind], display_name, claimed_extension=extension)


def sniff_path(path: str | os.PathLike[str], filename: str) -> SniffedUpload:
    """`sniff_upload` for a file already on disk (reads only its first SNIFF_BYTES bytes)."""
    with open(path, "rb") as stream:
        return sniff_upload(stream.read(SNIFF_BYTES), filename)
