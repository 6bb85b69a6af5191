"""Vietnamese text analysis shared by the search adapters: normalisation, diacritic folding, tone placement,
tokens that keep identifiers whole, and query understanding.

Two forms of every word are indexed and searched:

* **folded** — lower case, every tone and vowel mark removed, đ→d (``Hòa`` → ``hoa``). What a user typing
  without diacritics (or an OCR engine without the Vietnamese model) produces; always searched.
* **exact** — lower case, NFC, tone marks kept and placed the new way (``hoà`` → ``hòa``). Searched only when the
  user typed diacritics, as a boost: the exact spelling ranks above its folded look-alikes (Lan above Lân).

Folding maps one character to one character (for NFC text), so offsets found in the folded text are offsets in
the original: the snippet highlighter relies on that.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np

# --- folding -------------------------------------------------------------------------------------------------

_FOLD_LIMIT = 0x2000  # everything Vietnamese lives below: Latin-1, Latin Extended A/B and Additional, marks


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base != chr(cp) and base.isascii():
            table[cp] = base
    table[ord("đ")], table[ord("Đ")] = "d", "D"
    table[ord("ð")], table[ord("Ð")] = "d", "D"  # OCR reads đ as the Icelandic eth
    return table


_FOLD = _fold_table()
_FOLD_LUT = np.arange(_FOLD_LIMIT, dtype=np.uint32)
for _cp, _base in _FOLD.items():
    _FOLD_LUT[_cp] = ord(_base)
_LONG_TEXT = 512  # above this, folding through a numpy lookup table is much faster than str.translate


def fold(text: str) -> str:
    """Removes Vietnamese diacritics, đ→d, keeping case and length: ``Nguyễn Đức`` → ``Nguyen Duc``.

    Expects NFC text (one code point per letter), as `nfc` returns; other text keeps its combining marks."""
    if text.isascii():
        return text
    if len(text) < _LONG_TEXT:
        return text.translate(_FOLD)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    folded = np.where(codes < _FOLD_LIMIT, _FOLD_LUT[np.minimum(codes, _FOLD_LIMIT - 1)], codes)
    return folded.astype(np.uint32).tobytes().decode("utf-32-le")


def nfc(text: str) -> str:
    """NFC normalisation: a letter typed with combining marks becomes one code point."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def has_diacritics(text: str) -> bool:
    """True when the text carries any Vietnamese mark (so the user typed diacritics)."""
    text = nfc(text)
    return fold(text) != text


# --- tone placement ------------------------------------------------------------------------------------------

# Old style puts the tone on the second vowel of an open oa/oe/uy syllable (hoà, thuỷ, khoẻ), new style on the
# first (hòa, thủy, khỏe). Only open syllables differ: "hoàng" and "quý" are the same in both styles.
_TONE_MARKS = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_OLD_TO_NEW: dict[str, str] = {}
for _mark in _TONE_MARKS:
    for _first, _second in (("o", "a"), ("o", "e"), ("u", "y")):
        for _f, _s in ((_first, _second), (_first.upper(), _second), (_first.upper(), _second.upper())):
            _old = _f + unicodedata.normalize("NFC", _s + _mark)
            _OLD_TO_NEW[_old] = unicodedata.normalize("NFC", _f + _mark) + _s
_NEW_TO_OLD = {new: old for old, new in _OLD_TO_NEW.items()}
_OLD_STYLE = re.compile(r"(?<![qQ])(?:" + "|".join(_OLD_TO_NEW) + r")(?![^\W\d_])")
_NEW_STYLE = re.compile(r"(?<![qQ])(?:" + "|".join(_NEW_TO_OLD) + r")(?![^\W\d_])")


def canonical_tones(text: str) -> str:
    """Places tone marks the new way in open oa/oe/uy syllables: ``hoà`` → ``hòa``, ``Thuỷ`` → ``Thủy``."""
    return _OLD_STYLE.sub(lambda m: _OLD_TO_NEW[m.group(0)], text)


def tone_variants(word: str) -> tuple[str, ...]:
    """The spellings of a (lower-case, NFC) word in both tone styles, new style first."""
    new = canonical_tones(word)
    old = _NEW_STYLE.sub(lambda m: _NEW_TO_OLD[m.group(0)], new)
    return (new,) if old == new else (new, old)


def exact_form(text: str) -> str:
    """The exact (diacritics kept) form: NFC, lower case, new-style tones."""
    return canonical_tones(nfc(text).lower())


def folded_form(text: str) -> str:
    """The folded form: NFC, lower case, no diacritics."""
    return fold(nfc(text).lower())


# --- tokens --------------------------------------------------------------------------------------------------


class TokenKind(StrEnum):
    WORD = "word"
    NUMBER = "number"
    ID_NUMBER = "id_number"  # 12-digit citizen identity number (CCCD)
    DOSSIER_CODE = "dossier_code"  # 000.00.15.H19-251126-0001
    AGENCY_CODE = "agency_code"  # 000.00.15.H19
    DATE = "date"  # dd/mm/yyyy, kept as ISO yyyy-mm-dd
    PARCEL = "parcel"  # thửa đất số 342, tờ bản đồ số 60 → 342/60


@dataclass(frozen=True)
class Token:
    text: str  # exact form; for identifiers their canonical spelling
    folded: str
    kind: TokenKind
    start: int  # character offsets in the analysed text
    end: int


@dataclass(frozen=True)
class Parcel:
    """A land parcel: thửa (parcel number) and tờ bản đồ (map sheet), either may be unknown."""

    parcel: int | None
    sheet: int | None

    @property
    def key(self) -> str:
        return f"{self.parcel if self.parcel is not None else '?'}/{self.sheet if self.sheet is not None else '?'}"


_CODE = r"\d{3}\.\d{2}\.\d{2}\.[A-Za-z]\d{2}"
# OCR turns digits into look-alike letters inside numbers; parcels tolerate the common ones.
_OCR_DIGITS = str.maketrans("lios", "1105")
_NUM = r"(\d[\dlios]{0,5})(?![^\W_])"  # the patterns below run on folded, lower-case text
_PARCEL_NO = r"thua\s*(?:dat\s*)?(?:so\s*)?(?:[:.]\s*)?"
_SHEET_NO = r"to\s*(?:ban\s*do\s*)?(?:so\s*)?(?:[:.]\s*)?"
# Literal prefixes and no case folding let the regex engine skip ahead quickly through long page texts.
_PARCEL_PAIR = re.compile(_PARCEL_NO + _NUM + r"[\s,;()-]{0,4}" + _SHEET_NO + _NUM)
_SHEET_PAIR = re.compile(_SHEET_NO + _NUM + r"[\s,]{0,3}" + _PARCEL_NO + _NUM)
_PARCEL_ONLY = re.compile(_PARCEL_NO + _NUM)
_SHEET_ONLY = re.compile(r"(?<![^\W\d_])" + _SHEET_NO + _NUM)

_TOKEN = re.compile(
    rf"(?P<dossier_code>(?<![\w.]){_CODE}-\d{{6}}-\d{{4,}}(?![\w]))"
    rf"|(?P<agency_code>(?<![\w.]){_CODE}(?![\w.]))"
    r"|(?P<date>(?<![\d/])\d{1,2}/\d{1,2}/\d{4}(?![\d/]))"
    r"|(?P<id_number>(?<!\d)\d{12}(?!\d))"
    r"|(?P<word>[^\W_]+)"
)


def _ocr_number(text: str) -> int:
    return int(text.translate(_OCR_DIGITS))


@functools.lru_cache(maxsize=4096)
def _iso_date(text: str) -> str | None:
    day, month, year = (int(part) for part in text.split("/"))
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def tokenize(text: str, *, parcels: bool = True) -> list[Token]:
    """Splits text into words, keeping identifiers whole: dossier and agency codes, 12-digit ID numbers,
    dd/mm/yyyy dates (as ISO dates) and labelled parcels ("thửa đất số 342, tờ bản đồ số 60" → ``342/60``,
    which replaces the words it spans, unless `parcels` is False)."""
    text = nfc(text)
    found = [(m.start(), m.end(), Parcel(_ocr_number(m.group(1)), _ocr_number(m.group(2))))
             for m in _PARCEL_PAIR.finditer(fold(text).lower())] if parcels else []
    tokens: list[Token] = []
    spans = iter(found)
    pending = next(spans, None)
    for match in _TOKEN.finditer(text):
        while pending is not None and match.start() >= pending[1]:
            pending = next(spans, None)
        if pending is not None and pending[0] <= match.start() < pending[1]:  # inside a parcel: one token for all
            if not (tokens and tokens[-1].kind is TokenKind.PARCEL and tokens[-1].start == pending[0]):
                key = pending[2].key
                tokens.append(Token(key, key, TokenKind.PARCEL, pending[0], pending[1]))
            continue
        kind = TokenKind(match.lastgroup or "word")
        value = match.group(0)
        if kind is TokenKind.WORD:
            exact = canonical_tones(value.lower())
            tokens.append(Token(exact, fold(exact), TokenKind.NUMBER if value.isdigit() else kind,
                                match.start(), match.end()))
        elif kind is TokenKind.DATE:
            iso = _iso_date(value)
            if iso is None:  # not a real date: keep its numbers as words
                for part in re.finditer(r"\d+", value):
                    start, number = match.start() + part.start(), part.group(0)
                    tokens.append(Token(number, number, TokenKind.NUMBER, start, start + len(number)))
            else:
                tokens.append(Token(iso, iso, kind, match.start(), match.end()))
        else:
            canonical = value.upper() if kind in (TokenKind.DOSSIER_CODE, TokenKind.AGENCY_CODE) else value
            tokens.append(Token(canonical, canonical, kind, match.start(), match.end()))
    return tokens


def words(text: str) -> list[str]:
    """The folded words of a text, split like the search engines split it (letters and digits runs)."""
    return re.findall(r"[^\W_]+", folded_form(text))


# --- identifiers in document text ----------------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"\d[\d./A-Za-z-]{7,}")  # candidates for ID numbers, codes and dates
_CODE_FULL = re.compile(rf"{_CODE}-\d{{6}}-\d{{4,}}")
_DATE_FULL = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_SPELLED_DATE = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})")


def parcels_in(folded_text: str) -> list[Parcel]:
    """Parcels named in a folded text: labelled pairs (thửa … tờ … in either order), then lone parcel numbers."""
    found: list[Parcel] = []
    for match in _PARCEL_PAIR.finditer(folded_text):
        found.append(Parcel(_ocr_number(match.group(1)), _ocr_number(match.group(2))))
    for match in _SHEET_PAIR.finditer(folded_text):
        found.append(Parcel(_ocr_number(match.group(2)), _ocr_number(match.group(1))))
    for match in _PARCEL_ONLY.finditer(folded_text):
        found.append(Parcel(_ocr_number(match.group(1)), None))
    return found


def identifier_keys(text: str) -> set[str]:
    """Keys of the identifiers a text mentions, for an exact-match keyword field: ``id:<12 digits>``,
    ``code:<dossier code>``, ``date:<ISO date>``, ``parcel:<n>/<sheet>`` and ``parcel:<n>/?``."""
    keys: set[str] = set()
    for run in _DIGIT_RUN.findall(text):
        run = run.rstrip(".-/")
        if len(run) == 12 and run.isdigit():
            keys.add(f"id:{run}")
        elif _DATE_FULL.fullmatch(run):
            iso = _iso_date(run)
            if iso:
                keys.add(f"date:{iso}")
        elif _CODE_FULL.fullmatch(run):
            keys.add(f"code:{run.upper()}")
    folded = fold(text).lower()
    for day, month, year in _SPELLED_DATE.findall(folded):
        iso = _iso_date(f"{day}/{month}/{year}")
        if iso:
            keys.add(f"date:{iso}")
    for parcel in parcels_in(folded):
        keys.add(f"parcel:{parcel.key}")
        keys.add(f"parcel:{parcel.parcel}/?")
    return keys


# --- places --------------------------------------------------------------------------------------------------

_PLACE = re.compile(r"\b(xa|phuong|thi tran|huyen|quan|thi xa|thanh pho|tp\.?|tinh)\s+"
                    r"([a-z0-9][a-z0-9 ]*?)\s*(?=[,;.()-]|$)")


def place_names(text: str) -> set[str]:
    """The administrative places a name or address mentions, folded, bare and with their level:
    "UBND xã Hiếu Liêm, huyện Vĩnh Cửu" → hieu liem, xa hieu liem, vinh cuu, huyen vinh cuu."""
    names: set[str] = set()
    for level, name in _PLACE.findall(folded_form(text)):
        name = " ".join(name.split())
        level = "thanh pho" if level.startswith("tp") else level
        names.update((name, f"{level} {name}"))
    return names


# --- queries -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryTerm:
    exact: str  # exact form (as typed, lower case, new-style tones)
    folded: str
    typed_diacritics: bool  # this word carried a mark as typed


@dataclass(frozen=True)
class ParsedQuery:
    """What the user asked for, understood: free words, quoted phrases and identifiers."""

    text: str
    terms: tuple[QueryTerm, ...]  # every free word in order (identifiers excluded)
    phrases: tuple[tuple[QueryTerm, ...], ...]  # quoted phrases, each in order
    dossier_codes: tuple[str, ...] = ()
    id_numbers: tuple[str, ...] = ()
    agency_codes: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()  # ISO
    parcels: tuple[Parcel, ...] = ()
    typed_diacritics: bool = False  # the user typed at least one mark

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.phrases or self.dossier_codes or self.id_numbers or self.agency_codes
                    or self.dates or self.parcels)


_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»]+)[\"“”„«»]")


def _terms(tokens: list[Token]) -> tuple[QueryTerm, ...]:
    return tuple(QueryTerm(t.text, t.folded, t.text != t.folded) for t in tokens
                 if t.kind in (TokenKind.WORD, TokenKind.NUMBER))


def _query_parcels(folded: str) -> tuple[Parcel, ...]:
    pairs = parcels_in(folded)
    complete = [p for p in pairs if p.sheet is not None]
    if complete:
        return tuple(dict.fromkeys(complete))
    numbers = [_ocr_number(m.group(1)) for m in _PARCEL_ONLY.finditer(folded)]
    sheets = [_ocr_number(m.group(1)) for m in _SHEET_ONLY.finditer(folded)]
    if numbers:  # "thửa 342 tờ 60" in any order, even far apart
        return (Parcel(numbers[0], sheets[0] if sheets else None),)
    return ()


def _spelled_dates(terms: tuple[QueryTerm, ...]) -> list[str]:
    """Dates typed as words: "31 07 1959", "ngày 26 tháng 06 năm 2025" (day, month, then a 4-digit year, at most
    one word between the numbers)."""
    found: list[str] = []
    numbers = [(i, t.folded) for i, t in enumerate(terms) if t.folded.isdigit()]
    for (i, day), (j, month), (k, year) in zip(numbers, numbers[1:], numbers[2:], strict=False):
        if j - i <= 2 and k - j <= 2 and len(day) <= 2 and len(month) <= 2 and len(year) == 4:
            iso = _iso_date(f"{day}/{month}/{year}")
            if iso:
                found.append(iso)
    return found


def parse_query(text: str) -> ParsedQuery:
    """Understands a search box entry: ``"quoted phrases"``, dossier codes, 12-digit ID numbers, agency codes,
    dd/mm/yyyy dates, parcel/map-sheet pairs ("thửa 342 tờ 60", "thua dat so 342 to ban do so 60"), and
    whether the user typed diacritics. Identifiers are not free words; parcel labels and numbers stay words
    too (they also match the document text)."""
    text = nfc(text)
    phrases = tuple(p for p in (_terms(tokenize(m.group(1), parcels=False)) for m in _QUOTED.finditer(text)) if p)
    unquoted = _QUOTED.sub(" ", text)
    tokens = tokenize(unquoted, parcels=False)

    def of(kind: TokenKind) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.text for t in tokens if t.kind is kind))

    terms = _terms(tokens)
    return ParsedQuery(
        text=text,
        terms=terms,
        phrases=phrases,
        dossier_codes=of(TokenKind.DOSSIER_CODE),
        id_numbers=of(TokenKind.ID_NUMBER),
        agency_codes=of(TokenKind.AGENCY_CODE),
        dates=tuple(dict.fromkeys([*of(TokenKind.DATE), *_spelled_dates(terms)])),
        parcels=_query_parcels(fold(unquoted).lower()),
        typed_diacritics=has_diacritics(text),
    )
