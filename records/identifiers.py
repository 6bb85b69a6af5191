"""Formats of the identifiers the desk types in: citizen ID numbers, tax codes, dossier codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from records.errors import ValidationFailed

# Province part of the 12-digit citizen identity number (CCCD), Circular 07/2016/TT-BCA and later lists.
CCCD_PROVINCE_CODES = frozenset(
    (
        "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 "
        "026 027 030 031 033 034 035 036 037 038 040 042 044 045 046 048 "
        "049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 "
        "077 079 080 082 083 084 086 087 089 091 092 093 094 095 096"
    ).split()
)
_CENTURY_BY_GENDER_DIGIT = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 1800, 9: 1800}
_TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
DOSSIER_CODE_PATTERN = re.compile(r"^(?P<agency>[0-9A-Z]{1,6}(?:\.[0-9A-Z]{1,8}){1,4})-(?P<day>\d{6})-(?P<seq>\d{4,})$")


def _bad_id(kind_vi: str, kind_en: str, value: str, why_vi: str, why_en: str) -> ValidationFailed:
    return ValidationFailed(
        f"{kind_vi} '{value}' không hợp lệ: {why_vi}.",
        f"{kind_en} '{value}' is not valid: {why_en}.",
        code="invalid_id_number",
        detail={"id_number": value},
    )


def cccd_birth_year(number: str) -> int:
    return _CENTURY_BY_GENDER_DIGIT[int(number[3])] + int(number[4:6])


def check_cccd(number: str, *, birth_date: date | None = None) -> str:
    """A 12-digit citizen identity number: province code, gender/century digit, birth year."""
    if not re.fullmatch(r"\d{12}", number):
        raise _bad_id("Số định danh", "ID number", number, "phải gồm đúng 12 chữ số", "it must be exactly 12 digits")
    if number[:3] not in CCCD_PROVINCE_CODES:
        raise _bad_id("Số định danh", "ID number", number, "mã tỉnh không tồn tại", "unknown province code")
    if birth_date is not None and cccd_birth_year(number) != birth_date.year:
        raise _bad_id("Số định danh", "ID number", number, "năm sinh không khớp", "the birth year does not match")
    return number


def check_tax_code(number: str) -> str:
    """A 10-digit enterprise/tax code (with optional -NNN branch suffix), check digit verified."""
    if not re.fullmatch(r"\d{10}(-\d{3})?", number) or number.endswith("-000"):
        raise _bad_id("Mã số thuế", "Tax code", number, "phải gồm 10 chữ số (hoặc 10-3)",
                      "expected 10 digits (or 10-3)")
    digits = [int(c) for c in number[:9]]
    check = 10 - sum(d * w for d, w in zip(digits, _TAX_CODE_WEIGHTS, strict=True)) % 11
    if check == 10 or check != int(number[9]):
        raise _bad_id("Mã số thuế", "Tax code", number, "sai chữ số kiểm tra", "the check digit is wrong")
    return number


def tax_code_check_digit(first_nine: str) -> int | None:
    """The check digit for nine leading digits, or None when no valid code starts with them."""
    check = 10 - sum(int(d) * w for d, w in zip(first_nine, _TAX_CODE_WEIGHTS, strict=True)) % 11
    return None if check == 10 else check


@dataclass(frozen=True)
class DossierCode:
    agency_code: str
    day: date
    sequence: int

    def __str__(self) -> str:
        return f"{self.agency_code}-{self.day:%y%m%d}-{self.sequence:04d}"


def format_dossier_code(agency_code: str, day: date, sequence: int) -> str:
    return str(DossierCode(agency_code, day, sequence))


def parse_dossier_code(text: str) -> DossierCode | None:
    match = DOSSIER_CODE_PATTERN.fullmatch(text)
    if match is None:
        return None
    raw = match["day"]
    try:
        day = date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:6]))
    except ValueError:
        return None
    return DossierCode(match["agency"], day, int(match["seq"]))
