"""TCVN3 (ABC) and VNI text, as PDF text extraction shows it, back to Unicode; everything else untouched."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest

from ingest.legacy_encodings import (
    TCVN3_DECODE,
    LegacyEncoding,
    decode_tcvn3,
    decode_vni,
    detect_legacy_encoding,
    encode_tcvn3,
    encode_vni,
    is_vietnamese_syllable,
    repair_legacy_text,
)

TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
LOWERCASE_LETTERS = [unicodedata.normalize("NFC", vowel + tone) for vowel in "aăâeêioôơuưy" for tone in TONES] + ["đ"]
ALL_LETTERS = LOWERCASE_LETTERS + [letter.upper() for letter in LOWERCASE_LETTERS]

# Sentences as they appear in administrative papers (sentence case, all-capital headings).
SENTENCES = [
    "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc",
    "ỦY BAN NHÂN DÂN TỈNH ĐỒNG NAI\nSỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG",
    "Ủy ban nhân dân phường Trấn Biên, tỉnh Đồng Nai.",
    "Số: 125/QĐ-UBND ngày 04 tháng 3 năm 2024 về việc cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu "
    "nhà ở và tài sản khác gắn liền với đất cho ông Nguyễn Văn An và bà Trần Thị Bích Ngọc.",
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; Căn cứ Nghị định số "
    "61/2018/NĐ-CP của Chính phủ về thực hiện cơ chế một cửa, một cửa liên thông trong giải quyết "
    "thủ tục hành chính.",
    "Văn phòng Đăng ký đất đai có trách nhiệm kiểm tra hồ sơ, xác minh thực địa và trả kết quả đúng hạn. "
    "Người nộp hồ sơ: Huỳnh Quốc Khánh, số định danh cá nhân 075085001234, địa chỉ thường trú xã Tân Phú.",
    "Giấy đề nghị đăng ký khai sinh. Họ, chữ đệm, tên người yêu cầu: Lê Thị Thuỷ; quan hệ với người được "
    "khai sinh: mẹ. Nơi sinh: Bệnh viện Đa khoa Đồng Nai.",
]


# -- tables ---------------------------------------------------------------------------------------------


def test_the_tcvn3_table_has_every_lowercase_letter_and_the_seven_plain_capitals() -> None:
    assert len(TCVN3_DECODE) == 74  # 12 vowels × 5 tones, ă â ê ô ơ ư đ, Ă Â Ê Ô Ơ Ư Đ
    assert sorted(set(TCVN3_DECODE.values()) - set(LOWERCASE_LETTERS)) == sorted("ĂÂÊÔƠƯĐ")
    assert all("\xa0" < code <= "\xff" for code in TCVN3_DECODE)
    assert len(set(TCVN3_DECODE.values())) == len(TCVN3_DECODE)


def test_well_known_tcvn3_codes() -> None:
    # Codes as printed in TCVN 5712:1993 VN3 charts (after a "t": alone, a letter would start a sentence).
    assert decode_tcvn3("t\xb5\xb8\xa8\xa9\xaa\xab\xac\xad\xae\xa7") == "tàáăâêôơưđĐ"
    assert decode_tcvn3("t\xbe\xc6\xca\xcb\xd5\xd6\xe8\xe9\xed\xee\xf8\xf9\xfd\xfe") == "tắặấậếệốộớợứựýỵ"


@pytest.mark.parametrize("letter", ALL_LETTERS)
def test_vni_encodes_and_decodes_every_letter_in_both_cases(letter: str) -> None:
    encoded = encode_vni(letter)

    assert all(ord(char) <= 0xFF for char in encoded)
    assert decode_vni(encoded) == letter


@pytest.mark.parametrize("letter", LOWERCASE_LETTERS)
def test_tcvn3_encodes_and_decodes_every_lowercase_letter(letter: str) -> None:
    assert decode_tcvn3(encode_tcvn3(f"t{letter}")) == f"t{letter}"  # (alone, it would start a sentence)


def test_the_encoders_refuse_what_the_encodings_cannot_hold() -> None:
    with pytest.raises(ValueError, match="TCVN3"):
        encode_tcvn3("señor")
    with pytest.raises(ValueError, match="VNI"):
        encode_vni("Ωmega")


# -- real text as extraction shows it ------------------------------------------------------------------


def test_tcvn3_as_seen_in_pdfs_typed_with_vntime() -> None:
    text = ("Céng hoµ x· héi chñ nghÜa ViÖt Nam\n§éc lËp - Tù do - H¹nh phóc\n"
            "QuyÕt ®Þnh vÒ viÖc giao ®Êt cho ng\xadêi d©n")

    repaired = repair_legacy_text(text)

    assert repaired.encoding is LegacyEncoding.TCVN3
    assert repaired.text == ("Cộng hoà xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc\n"
                             "Quyết định về việc giao đất cho người dân")


def test_vni_as_seen_in_pdfs_typed_with_vni_times() -> None:
    text = "COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM\nÑoäc laäp - Töï do - Haïnh phuùc"

    repaired = repair_legacy_text(text)

    assert repaired.encoding is LegacyEncoding.VNI
    assert repaired.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"


@pytest.mark.parametrize("sentence", SENTENCES)
@pytest.mark.parametrize(("encoding", "encode"), [(LegacyEncoding.TCVN3, encode_tcvn3),
                                                  (LegacyEncoding.VNI, encode_vni)])
def test_administrative_sentences_round_trip(sentence: str, encoding: LegacyEncoding,
                                            encode: Callable[[str], str]) -> None:
    legacy = encode(sentence)
    assert legacy != sentence

    repaired = repair_legacy_text(legacy)

    assert repaired.encoding is encoding
    assert repaired.text == sentence
    assert unicodedata.is_normalized("NFC", repaired.text)


def test_tcvn3_cannot_tell_a_toned_capital_in_the_middle_of_a_sentence() -> None:
    """GIVEN "Ấp" mid-sentence (TCVN3 has no code for Ấ; the capitals font used the code of ấ)
    THEN it comes back lowercase; capitals at a sentence start or in all-capital words come back right."""
    legacy = encode_tcvn3("Ở đây có Ấp Bình Hoà. Ấp này thuộc XÃ TÂN PHÚ.")

    assert repair_legacy_text(legacy).text == "Ở đây có ấp Bình Hoà. Ấp này thuộc XÃ TÂN PHÚ."


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("NguyÔn V¨n An", LegacyEncoding.TCVN3, "Nguyễn Văn An"),
        ("Nguyeãn Vaên An", LegacyEncoding.VNI, "Nguyễn Văn An"),
        ("ViÖt", LegacyEncoding.TCVN3, "Việt"),
        ("Vieät", LegacyEncoding.VNI, "Việt"),
        ("Hä tªn: TrÇn ThÞ Thu", LegacyEncoding.TCVN3, "Họ tên: Trần Thị Thu"),
    ],
)
def test_short_strings_are_recognised(text: str, encoding: LegacyEncoding, expected: str) -> None:
    assert detect_legacy_encoding(text) is encoding
    assert repair_legacy_text(text).text == expected


def test_in_a_mixed_document_only_the_legacy_lines_are_converted() -> None:
    unicode_lines = "Họ và tên: Nguyễn Thị Lan\nTân Phú, Đồng Nai"
    legacy_lines = encode_tcvn3("Địa chỉ thường trú: ấp Bình Hòa, xã Tân Phú\nNghề nghiệp: giáo viên")

    repaired = repair_legacy_text(f"{unicode_lines}\n{legacy_lines}")

    assert repaired.text == f"{unicode_lines}\nĐịa chỉ thường trú: ấp Bình Hòa, xã Tân Phú\nNghề nghiệp: giáo viên"


@pytest.mark.parametrize(
    "text",
    [
        *SENTENCES,
        "Tân Phú, Biên Hòa, Đồng Nai",
        "có là và",  # Unicode Vietnamese written only with Latin-1 letters
        "Tân",
        "The quick brown fox jumps over the lazy dog.",
        "The café in Zürich costs £5; naïve résumé, déjà vu.",
        "Müller, señor, São Paulo, Ålesund, Þórsmörk, sí",
        "Sè: 12/Q§-UBND",  # too little evidence on its own: left alone
        "Total: 1,250.00 € — ref. 2024/07",
        "",
    ],
)
def test_unicode_and_other_languages_pass_through_unchanged(text: str) -> None:
    repaired = repair_legacy_text(text)

    assert repaired.encoding is None
    assert repaired.text == unicodedata.normalize("NFC", text)


def test_repair_is_idempotent() -> None:
    once = repair_legacy_text(encode_vni(SENTENCES[3])).text

    assert repair_legacy_text(once).text == once


# -- syllables -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    "người quyết nghĩa giếng gì quốc khuếch Huỳnh tục hòa hoà Uỷ Ủy ngoẹo quyền xã đất "
    "NGHIÊNG khuỷu oai yêu Việt the ban".split(),
)
def test_vietnamese_syllables(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize(
    "word",
    "Viet quoc ViÖt Coäng hoµ café Zürich ngi ce ghu fax wow jazz strength vịệt hỏá".split(),
)
def test_not_vietnamese_syllables(word: str) -> None:
    """Stop finals (-c, -ch, -p, -t) need the acute or dot-below tone; k/gh/ngh go before i, e, ê, y
    only; at most one tone."""
    assert not is_vietnamese_syllable(word)
