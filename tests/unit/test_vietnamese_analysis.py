"""Vietnamese text analysis for search: folding, tone placement, identifiers kept whole, query understanding."""

from __future__ import annotations

import unicodedata

import pytest
import tantivy

from search.analysis import (
    Parcel,
    TokenKind,
    canonical_tones,
    exact_form,
    fold,
    folded_form,
    has_diacritics,
    identifier_keys,
    nfc,
    parse_query,
    place_names,
    tokenize,
    tone_variants,
    words,
)
from search.ranking import neighbours
from search.synonyms import expansions

VIETNAMESE_LETTERS = ("aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợ"
                      "uùúủũụưừứửữựyỳýỷỹỵđ")


def test_folding_removes_every_tone_and_vowel_mark_and_maps_d_bar() -> None:
    assert fold("Nguyễn Đức Hòa, Phường Trảng Dài") == "Nguyen Duc Hoa, Phuong Trang Dai"
    assert fold(VIETNAMESE_LETTERS) == "a" * 18 + "e" * 12 + "i" * 6 + "o" * 18 + "u" * 12 + "y" * 6 + "d"
    assert fold(VIETNAMESE_LETTERS.upper()) == fold(VIETNAMESE_LETTERS).upper()


def test_folding_keeps_the_length_so_offsets_carry_over() -> None:
    """GIVEN a long page (folded through the lookup table) THEN each character maps to one character."""
    page = "Ủy ban nhân dân xã Phú Hội — “hồ sơ” số 12/2025 ² ✓ " * 40
    assert len(fold(page)) == len(page)
    assert fold(page) == page.translate({ord(c): fold(c) for c in set(page)})


def test_tantivy_ascii_folding_agrees_with_ours_on_every_vietnamese_letter() -> None:
    analyzer = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
                .filter(tantivy.Filter.ascii_fold()).build())
    letters = VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()
    assert analyzer.analyze(" ".join("x" + c for c in letters)) == ["x" + folded_form(c) for c in letters]


def test_nfc_joins_combining_marks() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Thủy")
    assert decomposed != "Nguyễn Thị Thủy"
    assert nfc(decomposed) == "Nguyễn Thị Thủy"
    assert fold(nfc(decomposed)) == "Nguyen Thi Thuy"


def test_has_diacritics_tells_whether_the_user_typed_marks() -> None:
    assert has_diacritics("Nguyễn Văn An")
    assert has_diacritics("dong nai đ")
    assert not has_diacritics("nguyen van an 075085001234")


@pytest.mark.parametrize(("old", "new"), [
    ("hoà", "hòa"), ("Hoà", "Hòa"), ("HOÀ", "HÒA"), ("thuỷ", "thủy"), ("Thuỵ", "Thụy"), ("khoẻ", "khỏe"),
    ("hoàng", "hoàng"), ("quý", "quý"), ("Quỳnh", "Quỳnh"), ("toán", "toán"), ("Biên Hoà", "Biên Hòa"),
])
def test_old_tone_placement_becomes_the_new_one_in_open_syllables_only(old: str, new: str) -> None:
    assert canonical_tones(old) == new


def test_tone_variants_give_both_spellings_of_an_open_syllable() -> None:
    assert tone_variants("hòa") == ("hòa", "hoà")
    assert tone_variants("thuỷ") == ("thủy", "thuỷ")
    assert tone_variants("hoàng") == ("hoàng",)


def test_exact_and_folded_forms() -> None:
    assert exact_form("Nguyễn Thị Hoà") == "nguyễn thị hòa"
    assert folded_form("Nguyễn Thị Hoà") == "nguyen thi hoa"
    assert words("Ủy ban nhân dân, xã Phú-Hội") == ["uy", "ban", "nhan", "dan", "xa", "phu", "hoi"]


def test_tokens_keep_identifiers_whole() -> None:
    tokens = tokenize("Hồ sơ 000.00.15.H19-251126-0001 của ông 075085001234, sinh 18/01/1967, "
                      "thửa đất số 342, tờ bản đồ số 60 tại 000.60.01.H19")
    kinds = [(t.kind, t.text) for t in tokens if t.kind is not TokenKind.WORD]
    assert kinds == [
        (TokenKind.DOSSIER_CODE, "000.00.15.H19-251126-0001"),
        (TokenKind.ID_NUMBER, "075085001234"),
        (TokenKind.DATE, "1967-01-18"),
        (TokenKind.PARCEL, "342/60"),
        (TokenKind.AGENCY_CODE, "000.60.01.H19"),
    ]
    assert [t.folded for t in tokens if t.kind is TokenKind.WORD] == ["ho", "so", "cua", "ong", "sinh", "tai"]


def test_tokens_give_offsets_in_the_original_text() -> None:
    text = "Ông Nguyễn Văn An, CCCD 075085001234"
    for token in tokenize(text):
        if token.kind is TokenKind.WORD:
            assert folded_form(text[token.start:token.end]) == token.folded


def test_a_date_that_does_not_exist_stays_numbers() -> None:
    assert [(t.kind, t.text) for t in tokenize("31/02/2024")] == [
        (TokenKind.NUMBER, "31"), (TokenKind.NUMBER, "02"), (TokenKind.NUMBER, "2024")]


def test_query_understanding_finds_identifiers_phrases_and_diacritics() -> None:
    query = parse_query('hồ sơ 000.00.15.H19-251126-0001 "quyền sử dụng đất" 075085001234')
    assert query.dossier_codes == ("000.00.15.H19-251126-0001",)
    assert query.id_numbers == ("075085001234",)
    assert [[t.folded for t in phrase] for phrase in query.phrases] == [["quyen", "su", "dung", "dat"]]
    assert [t.folded for t in query.terms] == ["ho", "so"]
    assert query.typed_diacritics
    assert not parse_query("nguyen van an").typed_diacritics


def test_a_lower_case_dossier_code_is_understood() -> None:
    assert parse_query("000.00.15.h19-251126-0001").dossier_codes == ("000.00.15.H19-251126-0001",)


@pytest.mark.parametrize(("text", "parcel"), [
    ("thửa đất số 342, tờ bản đồ số 60", Parcel(342, 60)),
    ("thua dat so 1206 to ban do so 47", Parcel(1206, 47)),
    ("thửa 342 tờ 60 xã Bảo Hòa", Parcel(342, 60)),
    ("tờ bản đồ số 60, thửa đất số 342", Parcel(342, 60)),
    ("THỬA 75 TỜ 36", Parcel(75, 36)),
    ("thửa số 342", Parcel(342, None)),
])
def test_query_understanding_finds_parcels(text: str, parcel: Parcel) -> None:
    assert parse_query(text).parcels == (parcel,)


def test_parcel_words_stay_search_terms() -> None:
    assert [t.folded for t in parse_query("thửa 342 tờ 60").terms] == ["thua", "342", "to", "60"]


def test_dates_typed_with_spaces_or_words_are_understood() -> None:
    assert parse_query("ngày sinh 31 07 1959").dates == ("1959-07-31",)
    assert parse_query("Đồng Nai, ngày 26 tháng 06 năm 2025").dates == ("2025-06-26",)
    assert parse_query("18/01/1967").dates == ("1967-01-18",)
    assert parse_query("số 12 13 2024").dates == ()


def test_identifiers_in_page_text_become_keyword_keys() -> None:
    page = ("Số định danh 075085001234. Mã hồ sơ 000.00.12.H19-241017-0001. Ngày 01/02/2020; "
            "Đồng Nai, ngày 26 tháng 06 năm 2025. Thửa đất số: 34l; Tờ bản đồ số: 60. Thửa đất số 12 là đất ở.")
    assert identifier_keys(page) == {
        "id:075085001234", "code:000.00.12.H19-241017-0001", "date:2020-02-01", "date:2025-06-26",
        "parcel:341/60", "parcel:341/?", "parcel:12/?",
    }


def test_ocr_damage_does_not_hide_a_parcel() -> None:
    assert "parcel:342/60" in identifier_keys("thừa đât sô 342 , tò bản đô số 60")
    assert "parcel:342/60" in identifier_keys("THUA DAT SO 342, TO BAN DO SO 60")


def test_place_names_come_with_and_without_their_level() -> None:
    assert place_names("UBND xã Hiếu Liêm, huyện Vĩnh Cửu") == {"hieu liem", "xa hieu liem", "vinh cuu",
                                                                 "huyen vinh cuu"}
    assert place_names("ấp 7, xã Hố Nai 3, huyện Trảng Bom, tỉnh Đồng Nai") >= {"ho nai 3", "trang bom", "dong nai"}
    assert place_names("Sở Y tế") == set()


def test_colloquial_terms_and_abbreviations_expand_to_the_formal_wording() -> None:
    found = expansions(("so", "do", "dinh", "quan"))
    assert [(m.start, m.end) for m in found] == [(0, 2)]
    assert found[0].expansion.phrases == (("giay", "chung", "nhan", "quyen", "su", "dung", "dat"),)
    assert found[0].expansion.field == ("dat", "dai")
    assert [m.expansion.phrases for m in expansions(("ubnd", "tp", "bien", "hoa"))] == [
        (("uy", "ban", "nhan", "dan"),), (("thanh", "pho"),)]


def test_typo_neighbours_are_one_edit_away() -> None:
    found = neighbours("hkai")
    assert {"khai", "hai", "hkais", "hoai"} <= found
    assert "hkai" not in found
    assert "khoai" not in found
