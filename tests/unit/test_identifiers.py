"""Identifiers typed in at the desk: citizen ID numbers (CCCD), tax codes and dossier codes."""

from __future__ import annotations

from datetime import date

import pytest

from records.errors import ValidationFailed
from records.identifiers import (
    DossierCode,
    cccd_birth_year,
    check_cccd,
    check_tax_code,
    format_dossier_code,
    parse_dossier_code,
    tax_code_check_digit,
)
from tests.support.factories import TRAN_BIEN, cccd

# -- citizen identity numbers (CCCD) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "birth_date"),
    [
        ("075085000123", date(1985, 6, 1)),  # Đồng Nai, man born 1985
        ("075185000123", date(1985, 6, 1)),  # Đồng Nai, woman born 1985
        ("001300012345", date(2000, 1, 1)),  # Hà Nội, man born 2000
        ("079301123456", date(2001, 12, 31)),  # TP Hồ Chí Minh, woman born 2001
        ("096099000001", None),
    ],
)
def test_a_valid_cccd_is_accepted(number: str, birth_date: date | None) -> None:
    assert check_cccd(number, birth_date=birth_date) == number


def test_the_factory_cccd_is_valid_for_a_man_born_1985() -> None:
    number = cccd(42)

    assert number == "075085000042"
    assert check_cccd(number, birth_date=date(1985, 3, 2)) == number


@pytest.mark.parametrize(
    ("number", "year"),
    [("075085000001", 1985), ("075185000001", 1985), ("079201000001", 2001), ("079301000001", 2001),
     ("079899000001", 1899)],
)
def test_the_birth_year_comes_from_the_gender_century_digit(number: str, year: int) -> None:
    assert cccd_birth_year(number) == year


@pytest.mark.parametrize(
    "number",
    [
        "07508500012",  # 11 digits
        "0750850001234",  # 13 digits
        "075 085 000 123",
        "07508500012A",
        "",
        "003085000123",  # 003 is not a province code
        "000085000123",
        "099085000123",
    ],
)
def test_a_malformed_cccd_or_unknown_province_is_refused(number: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_cccd(number)

    assert raised.value.code == "invalid_id_number"
    assert raised.value.detail == {"id_number": number}


@pytest.mark.parametrize(
    ("number", "birth_date"),
    [
        ("075085000123", date(1986, 1, 1)),
        ("075085000123", date(2085, 1, 1)),  # right two digits, wrong century
        ("079301123456", date(1901, 1, 1)),
    ],
)
def test_a_cccd_whose_birth_year_does_not_match_is_refused(number: str, birth_date: date) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_cccd(number, birth_date=birth_date)

    assert raised.value.code == "invalid_id_number"
    assert "birth year" in raised.value.message_en


# -- tax codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("first_nine", ["010010910", "031234567", "360000000", "100000000", "030000000"])
def test_a_tax_code_with_the_computed_check_digit_is_accepted(first_nine: str) -> None:
    digit = tax_code_check_digit(first_nine)
    assert digit is not None

    assert check_tax_code(f"{first_nine}{digit}") == f"{first_nine}{digit}"
    assert check_tax_code(f"{first_nine}{digit}-001") == f"{first_nine}{digit}-001"


def test_a_known_enterprise_code_has_check_digit_6() -> None:
    assert tax_code_check_digit("010010910") == 6
    assert check_tax_code("0100109106") == "0100109106"


def test_every_wrong_check_digit_is_refused() -> None:
    for wrong in "012345789":  # every digit but the right one, 6
        with pytest.raises(ValidationFailed) as raised:
            check_tax_code(f"010010910{wrong}")
        assert raised.value.code == "invalid_id_number"
        assert "check digit" in raised.value.message_en


def test_nine_digits_with_no_possible_check_digit_start_no_valid_code() -> None:
    """Weighted sum 286 = 26 × 11 would need check digit 10, so no code starts with 031234500."""
    assert tax_code_check_digit("031234500") is None
    for last in "0123456789":
        with pytest.raises(ValidationFailed):
            check_tax_code(f"031234500{last}")


@pytest.mark.parametrize(
    "number",
    ["010010910", "01001091066", "0100109106-01", "0100109106-0001", "0100109106_001", "010010910A", ""],
)
def test_a_malformed_tax_code_is_refused(number: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_tax_code(number)

    assert raised.value.code == "invalid_id_number"
    assert raised.value.detail == {"id_number": number}


# -- dossier codes -----------------------------------------------------------------------------------


def test_a_dossier_code_names_the_agency_the_day_and_a_four_digit_sequence() -> None:
    assert format_dossier_code(TRAN_BIEN, date(2026, 3, 2), 7) == "000.60.01.H19-260302-0007"
    assert format_dossier_code(TRAN_BIEN, date(2026, 12, 31), 12345) == "000.60.01.H19-261231-12345"


@pytest.mark.parametrize(
    ("agency_code", "day", "sequence"),
    [(TRAN_BIEN, date(2026, 3, 2), 1), ("G12.BHXH", date(2028, 2, 29), 9999), (TRAN_BIEN, date(2099, 1, 1), 10000)],
)
def test_a_dossier_code_round_trips(agency_code: str, day: date, sequence: int) -> None:
    text = format_dossier_code(agency_code, day, sequence)

    assert parse_dossier_code(text) == DossierCode(agency_code, day, sequence)
    assert str(parse_dossier_code(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "000.60.01.H19-260302-007",  # sequence shorter than four digits
        "000.60.01.H19-2603020-0001",
        "000.60.01.h19-260302-0001",
        "H19-260302-0001",  # agency code without groups
        "000.60.01.H19-260302",
        "000.60.01.H19_260302_0001",
        " 000.60.01.H19-260302-0001",
        "000.60.01.H19-260230-0001",  # 30 February
        "000.60.01.H19-251329-0001",  # month 13
        "000.60.01.H19-250229-0001",  # 2025 is not a leap year
        "000.60.01.H19-260300-0001",
    ],
)
def test_a_malformed_dossier_code_or_impossible_date_is_not_parsed(text: str) -> None:
    assert parse_dossier_code(text) is None
