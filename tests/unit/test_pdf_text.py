"""Born-digital text comes out per page in NFC, legacy encodings repaired; pages without a usable text
layer are flagged for OCR. PDFs are built here: fpdf2 with DejaVu Sans for Unicode text, pikepdf for raw
text layers (WinAnsi bytes, as .VnTime and VNI-Times documents have) and for scans."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pikepdf
import pytest
from fpdf import FPDF
from PIL import Image

from ingest.legacy_encodings import LegacyEncoding, encode_tcvn3, encode_vni
from ingest.pages import EncryptedPdf, MalformedPdf, PageLimits, TooManyPages
from ingest.pdf_text import (
    PageText,
    TextVerdict,
    clean_text,
    extract_pdf_text,
    judge_text,
    pages_needing_ocr,
)

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian fonts-dejavu-core (see the Makefile)

DECISION = [
    "ỦY BAN NHÂN DÂN PHƯỜNG TRẤN BIÊN",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "QUYẾT ĐỊNH",
    "Về việc cấp giấy chứng nhận quyền sử dụng đất",
    "Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024;",
    "Xét đề nghị của Văn phòng Đăng ký đất đai tỉnh Đồng Nai.",
]


def unicode_pdf(path: Path, pages: list[list[str]], *, normal_form: Literal["NFC", "NFD"] = "NFC") -> Path:
    document = FPDF()
    document.add_font("DejaVu", fname=FONT)
    document.set_font("DejaVu", size=11)
    for lines in pages:
        document.add_page()
        for line in lines:
            document.cell(text=unicodedata.normalize(normal_form, line), new_x="LMARGIN", new_y="NEXT")
    document.output(str(path))
    return path


def _scan_image(pdf: pikepdf.Pdf) -> pikepdf.Stream:
    buffer = io.BytesIO()
    Image.effect_noise((827, 1170), 30).convert("L").save(buffer, format="JPEG")  # A4 at 100 dpi
    return pikepdf.Stream(pdf, buffer.getvalue(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                          Width=827, Height=1170, BitsPerComponent=8, ColorSpace=pikepdf.Name.DeviceGray,
                          Filter=pikepdf.Name.DCTDecode)


def raw_pdf(path: Path, pages: list[tuple[list[str], bool]], *,
            encryption: pikepdf.Encryption | None = None) -> Path:
    """Pages whose text layer is `lines` encoded as WinAnsi bytes in Helvetica, over a full-page scan
    when the flag says so (a scan with no text: `([], True)`)."""
    with pikepdf.new() as pdf:
        font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                    BaseFont=pikepdf.Name.Helvetica,
                                                    Encoding=pikepdf.Name.WinAnsiEncoding))
        for lines, scanned in pages:
            pdf.add_blank_page(page_size=(595, 842))
            page = pdf.pages[-1]
            content = b"q 595 0 0 842 0 0 cm /Im0 Do Q " if scanned else b""
            if lines:
                content += b"BT /F1 10 Tf 40 800 Td 14 TL "
                for line in lines:
                    escaped = line.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
                    content += b"(" + escaped + b") Tj T* "
                content += b"ET"
            resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
            if scanned:
                resources.XObject = pikepdf.Dictionary(Im0=_scan_image(pdf))
            page.obj.Resources = resources
            page.obj.Contents = pikepdf.Stream(pdf, content)
        pdf.save(path, encryption=encryption)
    return path


# -- born-digital text -------------------------------------------------------------------------------------


def test_born_digital_vietnamese_comes_out_per_page_in_nfc(tmp_path: Path) -> None:
    path = unicode_pdf(tmp_path / "decision.pdf", [DECISION[:4], DECISION[4:]])

    pages = extract_pdf_text(path)

    assert [(page.number, page.verdict, page.needs_ocr) for page in pages] == [
        (1, TextVerdict.USABLE, False), (2, TextVerdict.USABLE, False)]
    assert pages[0].text.split("\n") == DECISION[:4]
    assert pages[1].text.split("\n") == DECISION[4:]
    assert all(unicodedata.is_normalized("NFC", page.text) for page in pages)
    assert pages_needing_ocr(pages) == []


def test_a_decomposed_text_layer_is_composed(tmp_path: Path) -> None:
    path = unicode_pdf(tmp_path / "nfd.pdf", [DECISION], normal_form="NFD")

    [page] = extract_pdf_text(path)

    assert page.text.split("\n") == DECISION
    assert unicodedata.is_normalized("NFC", page.text)


def test_english_text_is_usable_too(tmp_path: Path) -> None:
    path = raw_pdf(tmp_path / "english.pdf", [(["This certificate confirms the land use right of the holder",
                                                 "named below, issued under the Land Law of 2024."], False)])

    [page] = extract_pdf_text(path)

    assert page.verdict is TextVerdict.USABLE
    assert page.legacy_encoding is None


# -- pages that go to OCR ----------------------------------------------------------------------------------


def test_a_page_without_a_text_layer_is_flagged_for_ocr(tmp_path: Path) -> None:
    path = raw_pdf(tmp_path / "mixed.pdf", [(["Trang nay co noi dung van ban du dai de doc duoc."], False),
                                            ([], True)])

    pages = extract_pdf_text(path)

    assert pages[1] == PageText(2, "", TextVerdict.NO_TEXT)
    assert pages[1].needs_ocr
    assert pages_needing_ocr(pages) == [2]


def test_a_scan_with_only_a_stamped_header_goes_to_ocr(tmp_path: Path) -> None:
    path = raw_pdf(tmp_path / "scan.pdf", [(["Ban sao dien tu tu ban chinh - trang 1/3"], True)])

    [page] = extract_pdf_text(path)

    assert page.verdict is TextVerdict.SCANNED_IMAGE
    assert page.text == ""


def test_a_scan_with_a_full_ocr_layer_keeps_it(tmp_path: Path) -> None:
    lines = ["Cong hoa xa hoi chu nghia Viet Nam, doc lap tu do hanh phuc. Giay chung nhan quyen su dung dat"] * 4

    [page] = extract_pdf_text(raw_pdf(tmp_path / "searchable.pdf", [(lines, True)]))

    assert page.verdict is TextVerdict.USABLE


@pytest.mark.parametrize(
    ("lines", "verdict"),
    [
        (["Trang 2"], TextVerdict.TOO_SHORT),
        (["Xkqz Pbvtr Qwxz Jklmn Vbnmz Trsqw Plkj Mnbv Cxzl Qwrt"], TextVerdict.GARBAGE),  # glyph-id soup
        (["\x80\x81\x8d\x8f\x90\x9d" * 12], TextVerdict.GARBAGE),  # undefined WinAnsi codes
        (["   "], TextVerdict.NO_TEXT),
    ],
)
def test_unusable_text_layers_go_to_ocr(tmp_path: Path, lines: list[str], verdict: TextVerdict) -> None:
    path = tmp_path / "page.pdf"
    with pikepdf.new() as pdf:  # raw bytes: cp1252 cannot spell the undefined codes
        pdf.add_blank_page()
        font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                  BaseFont=pikepdf.Name.Helvetica, Encoding=pikepdf.Name.WinAnsiEncoding)
        pdf.pages[0].obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        text = pikepdf.String(lines[0].encode("latin-1"))
        pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, b"BT /F1 10 Tf 40 800 Td " + text.unparse() + b" Tj ET")
        pdf.save(path)

    [page] = extract_pdf_text(path)

    assert (page.verdict, page.text, page.needs_ocr) == (verdict, "", True)


# -- legacy encodings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("encode", "encoding"), [(encode_tcvn3, LegacyEncoding.TCVN3),
                                                  (encode_vni, LegacyEncoding.VNI)])
def test_text_typed_in_a_legacy_font_comes_out_as_unicode(tmp_path: Path, encode: Callable[[str], str],
                                                         encoding: LegacyEncoding) -> None:
    path = raw_pdf(tmp_path / "legacy.pdf", [([encode(line) for line in DECISION], False)])

    [page] = extract_pdf_text(path)

    assert page.legacy_encoding is encoding
    assert page.text.split("\n") == DECISION


# -- refused files -----------------------------------------------------------------------------------------


def test_files_that_cannot_be_read_are_refused_like_inspect_document_does(tmp_path: Path) -> None:
    locked = raw_pdf(tmp_path / "locked.pdf", [(["abc"], False)],
                     encryption=pikepdf.Encryption(user="1234", owner="5678"))
    whole = unicode_pdf(tmp_path / "whole.pdf", [DECISION])
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole.read_bytes()[:-200])

    with pytest.raises(EncryptedPdf):
        extract_pdf_text(locked)
    with pytest.raises(MalformedPdf):
        extract_pdf_text(cut)
    with pytest.raises(TooManyPages):
        extract_pdf_text(unicode_pdf(tmp_path / "two.pdf", [DECISION, DECISION]), limits=PageLimits(max_pages=1))


def test_an_owner_password_only_pdf_is_read(tmp_path: Path) -> None:
    path = raw_pdf(tmp_path / "restricted.pdf", [([encode_tcvn3(line) for line in DECISION], False)],
                   encryption=pikepdf.Encryption(user="", owner="5678", allow=pikepdf.Permissions(extract=False)))

    [page] = extract_pdf_text(path)

    assert page.text.split("\n") == DECISION


# -- the text alone ----------------------------------------------------------------------------------------


def test_clean_text_drops_invisible_characters_after_the_legacy_repair() -> None:
    text, encoding = clean_text("Ng\xadêi d©n\r\n")  # in TCVN3 the soft hyphen is "ư"

    assert (text, encoding) == ("Người dân", LegacyEncoding.TCVN3)
    assert clean_text("Việt\u00ad\u200bNam\x00 \t\n\n") == ("ViệtNam", None)


def test_judge_text_accepts_unaccented_vietnamese_and_refuses_broken_glyph_maps() -> None:
    assert judge_text("CONG HOA XA HOI CHU NGHIA VIET NAM - Doc lap - Tu do - Hanh phuc") is TextVerdict.USABLE
    assert judge_text("Vi?t Nam, C?ng h?a x? h?i ch? ngh?a, ??c l?p, t? do") is TextVerdict.GARBAGE
    assert judge_text("Cӝng hòa xã hӝi chӫ nghƭa ViӋt Nam ĈӝF lұp Tӵ do") is TextVerdict.GARBAGE
    assert judge_text("T h i s   c e r t i f i c a t e   c o n f i r m s") is TextVerdict.GARBAGE
