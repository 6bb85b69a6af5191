"""Repair of identifiers as OCR reads them: the errors below are the kinds Tesseract made on the dev scans."""

from __future__ import annotations

import pytest

from ingest.ocr.repair import (
    repair_cccd,
    repair_date,
    repair_dossier_code,
    repair_identifiers,
    resolve_agency_code,
)

# Agency codes of the Đồng Nai scheme: departments and districts 000.00.NN.H19, their units 000.JJ.NN.H19.
SCHEME_CODES = frozenset(f"000.{unit:02d}.{parent:02d}.H19" for unit in range(100) for parent in range(100))
DEMO_CODES = frozenset(
    {"000.00.02.H19", "000.00.15.H19", "000.60.01.H19", "000.00.31.H19", "000.01.31.H19", "HT.DATDAI.H19"}
)


def repaired(text: str, codes: frozenset[str] = SCHEME_CODES) -> str:
    return repair_identifiers(text, known_agency_codes=codes).text


# -- ID numbers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("Số định danh cá nhân: O75085001234", "Số định danh cá nhân: 075085001234"),  # O for 0
        ("Số CCCD: 07508500l234", "Số CCCD: 075085001234"),  # l for 1
        ("Số CCCD: 0750850O|234", "Số CCCD: 075085001234"),  # O and | in one number
        ("Số định danh cá nhân: 0750 85001234", "Số định danh cá nhân: 075085001234"),  # space in the digits
        ("Số định danh cá nhân\n0750 85OO1234", "Số định danh cá nhân\n075085001234"),  # label on the line above
        ("CCCD: 0793011234S6 cấp ngày", "CCCD: 079301123456 cấp ngày"),  # S for 5
        ("Số CCCD: 0793011B3456", "Số CCCD: 079301183456"),  # B for 8
        ("Số CCCD: 0752O1586924", "Số CCCD: 075201586924"),
    ],
)
def test_an_id_number_with_letters_or_spaces_for_digits_is_repaired(read: str, expected: str) -> None:
    assert repaired(read) == expected


@pytest.mark.parametrize(
    "read",
    [
        "Số CCCD: 075085001234",  # already right
        "Số CCCD: 07508500123",  # a digit missing: which one?
        "Số CCCD: 0750850012345",  # a digit too many
        "Số CCCD: 003085001234",  # 003 is no province: not a CCCD, nothing to repair towards
        "Điện thoại: 0842 504 934",  # a phone number, ten digits
        "Số CCCD: 075O8SOO1B34",  # five letters in twelve: too damaged to trust
        "Thửa đất số 1234 5678 9012",  # spaces between separate numbers (no label, 123 is no province)
    ],
)
def test_an_id_number_that_cannot_be_repaired_unambiguously_is_left_alone(read: str) -> None:
    assert repaired(read) == read


def test_an_id_number_split_by_spaces_is_joined_only_after_a_label_when_letters_are_involved() -> None:
    assert repair_cccd("0750 85OO1234", labelled=True) == "075085001234"
    assert repair_cccd("0750 85OO1234", labelled=False) is None
    assert repair_cccd("0750 85001234", labelled=False) == "075085001234"  # plain digit groups


def test_a_gender_digit_outside_1900_2099_is_not_accepted() -> None:
    assert repair_cccd("O75485001234") is None  # 4 = born 2100s


# -- dates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("Ngày cấp: 14/1 1/2023", "Ngày cấp: 14/11/2023"),
        ("Sinh ngày: 18/ 11/1963", "Sinh ngày: 18/11/1963"),
        ("tiếp nhận ngày 04/03/ 2025.", "tiếp nhận ngày 04/03/2025."),
        ("ngày O8/11/2024", "ngày 08/11/2024"),
        ("Ngày cấp: 27I05/2025", "Ngày cấp: 27/05/2025"),  # slash read as I, after a label
        ("ngày 28//04/2025", "ngày 28/04/2025"),
        ("Ngày sinh 24/06/l961", "Ngày sinh 24/06/1961"),
        ("Tờ bản đồ số 5, ngày 14/1 1/2023", "Tờ bản đồ số 5, ngày 14/11/2023"),
    ],
)
def test_a_date_with_spaces_letters_or_a_damaged_slash_is_repaired(read: str, expected: str) -> None:
    assert repaired(read) == expected


@pytest.mark.parametrize(
    "read",
    [
        "ngày 17/12/2028",  # a valid date, even if the 8 was a 5 on paper: never guessed
        "ngày 31/02/2024",  # no such day
        "ngày 08/11/2024 2 bản",  # a valid date followed by another number: not joined
        "số 12/2024/QĐ-UBND",  # a document number, not a date
        "ngày 1 2/11/2024",  # 1 or 12? "2/11/2024" is already a date: the space is not removed
    ],
)
def test_a_date_that_is_valid_or_not_a_date_is_left_alone(read: str) -> None:
    assert repaired(read) == read


def test_a_slash_read_as_a_letter_is_restored_only_after_a_date_label() -> None:
    assert repair_date("27I05/2025", labelled=True) == "27/05/2025"
    assert repair_date("27I05/2025", labelled=False) is None


# -- dossier codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        # dot read as a space
        ("có mã số 000.40 29.H19-230925-2046, tiếp nhận", "có mã số 000.40.29.H19-230925-2046, tiếp nhận"),
        # a leading zero dropped
        ("Mã hồ sơ: 00.30.21.H19-250208-3618\n", "Mã hồ sơ: 000.30.21.H19-250208-3618\n"),
        # spaces after a dot and a dash
        ("mã số 000.30.26. H19-250527- 1334, tiếp", "mã số 000.30.26.H19-250527-1334, tiếp"),
        # comma for a dot, colon for a dot, dash missing
        ("mã số 000. 30:26.H19- 250527 1334", "mã số 000.30.26.H19-250527-1334"),
        # I for 1 in the province part, O for 0 in the sequence
        ("Mã hồ sơ: 000.10.09.HI9-241108-O491", "Mã hồ sơ: 000.10.09.H19-241108-0491"),
        # doubled dot and doubled dash
        ("Mã hồ sơ: 000..00.15.H19--251126-0001", "Mã hồ sơ: 000.00.15.H19-251126-0001"),
        # a stray character after the agency part, after a label (two edits allowed)
        ("có mã số 000. 10. 10, H19. 9-250808- 3166,", "có mã số 000.10.10.H19-250808-3166,"),
    ],
)
def test_a_dossier_code_with_punctuation_or_letter_errors_is_repaired(read: str, expected: str) -> None:
    assert repaired(read) == expected


def test_the_nearest_known_agency_code_is_taken_only_when_it_is_the_only_one() -> None:
    assert resolve_agency_code("000.00.2.H19", DEMO_CODES) == "000.00.02.H19"  # one edit, unique
    assert resolve_agency_code("000.0.31.H19", DEMO_CODES) is None  # 000.00.31 and 000.01.31: a tie
    assert resolve_agency_code("HT.DATDAl.H19", DEMO_CODES) == "HT.DATDAI.H19"  # l for I in letters
    assert resolve_agency_code("000.77.77.H19", DEMO_CODES) is None  # far from every known code


@pytest.mark.parametrize(
    "read",
    [
        "Mã hồ sơ: 000.10.09.H19-241108-0491",  # right as read
        "Mã hồ sơ: 000.10.30.H19-250519-3288",  # a digit read as another digit: undetectable, kept
        "Mã hồ sơ: 000.10.09.H19-241338-0491",  # 13th month: no valid code, kept as read
        "có mã số 000. 10.1 10, HI9- 250808- 3166",  # 000.10.10 or 000.10.11? ambiguous, kept
    ],
)
def test_a_dossier_code_that_is_right_or_ambiguous_is_left_alone(read: str) -> None:
    assert repaired(read) == read


def test_without_known_agency_codes_only_the_punctuation_is_restored() -> None:
    assert repair_dossier_code("000.40 29.H19-230925-2046") == "000.40.29.H19-230925-2046"
    # HI9 or H19? With no list of agencies to ask, letters in the agency part stay as read.
    assert repair_dossier_code("000.10.09.HI9-241108-O491") == "000.10.09.HI9-241108-0491"


def test_repairs_report_what_was_read_and_where() -> None:
    text = "Số CCCD: O75085001234\nMã hồ sơ: 000.40 29.H19-230925-2046\nNgày cấp: 14/1 1/2023"

    result = repair_identifiers(text, known_agency_codes=SCHEME_CODES)

    assert [(r.kind, r.read, r.value) for r in result.repairs] == [
        ("cccd", "O75085001234", "075085001234"),
        ("dossier_code", "000.40 29.H19-230925-2046", "000.40.29.H19-230925-2046"),
        ("date", "14/1 1/2023", "14/11/2023"),
    ]
    for repair in result.repairs:
        assert text[repair.start : repair.end] == repair.read
    assert result.text == "Số CCCD: 075085001234\nMã hồ sơ: 000.40.29.H19-230925-2046\nNgày cấp: 14/11/2023"


def test_the_digits_of_a_dossier_code_are_not_taken_for_an_id_number_or_a_date() -> None:
    text = "Mã hồ sơ: 000.00.15.H19-251126-0001"

    assert repair_identifiers(text, known_agency_codes=DEMO_CODES).repairs == ()
