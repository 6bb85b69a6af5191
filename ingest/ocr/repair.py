"""Check and repair the structured identifiers OCR reads: ID numbers, dossier codes, dates.

A repair is made only when exactly one valid value is reachable from what was read by undoing common OCR
mistakes: letters read for digits (O→0, l/I/|→1, S→5, B→8, Z→2, …), spaces inside a number, dots read as
spaces or commas, doubled or dropped dots and dashes, and — for the agency part of a dossier code — the
single nearest known agency code. Nothing is guessed: a digit read as another digit, a number with a digit
too many or too few, or a code two known agencies are equally close to stays as it was read.

A label before the value ("Số định danh cá nhân:", "Mã hồ sơ:", "Ngày cấp:", …) widens what is accepted
(spaces between digit groups of an ID number, a second edit in an agency code), since the label says what
kind of value follows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from records.errors import ValidationFailed
from records.identifiers import check_cccd, parse_dossier_code

_rapid_distance: Callable[..., int] | None
try:  # C implementation when available (it is in the test environment); the fallback gives the same answers.
    from rapidfuzz.distance.Levenshtein import distance as _rapid_distance
except ImportError:  # pragma: no cover - depends on the environment
    _rapid_distance = None

FieldKind = Literal["cccd", "dossier_code", "date"]

# Letters and marks OCR commonly returns for a digit (Latin serif fonts at 300 dpi).
DIGIT_CONFUSIONS: dict[str, str] = {
    "O": "0", "o": "0", "Q": "0", "D": "0",
    "I": "1", "l": "1", "|": "1", "i": "1", "!": "1", "]": "1", "[": "1",
    "Z": "2", "z": "2",
    "S": "5", "s": "5", "$": "5",
    "G": "6", "b": "6",
    "B": "8",
    "g": "9", "q": "9",
}  # fmt: skip
_DIGITISH = set("0123456789") | set(DIGIT_CONFUSIONS)
_TO_DIGITS = str.maketrans(DIGIT_CONFUSIONS)

_LABELS: dict[FieldKind, re.Pattern[str]] = {
    "cccd": re.compile(r"(dinh danh( ca nhan)?|cccd|cmnd|can cuoc( cong dan)?|chung minh( nhan dan)?)\W*$"),
    "dossier_code": re.compile(r"(ma ho so|ma so|so ho so)\W*$"),
    "date": re.compile(r"(ngay|sinh|cap)\W*$"),
}
_LABEL_WINDOW = 40  # characters before the value searched for its label (the label may sit on the line above)

_DIGITISH_CLASS = "0-9" + re.escape("".join(sorted(DIGIT_CONFUSIONS)))
_SEP = r"[ ]?[-–—_~%.,:]{0,2}[ ]?"
_LOOSE_DOSSIER_CODE = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?P<agency>[0-9A-Za-z|](?:[0-9A-Za-z|.,·:;]|[ ](?=[0-9A-Za-z|.,])){2,30}?)"
    + _SEP
    + rf"(?P<day>[{_DIGITISH_CLASS}]{{6}})"
    + _SEP
    + rf"(?P<seq>[{_DIGITISH_CLASS}]{{4}})"
    r"(?![0-9])"
)
# A run of digit-like tokens separated by single spaces, on one line; each token holds at least one digit.
_TOKEN = rf"[{_DIGITISH_CLASS}/]*[0-9][{_DIGITISH_CLASS}/]*"
_LOOSE_NUMBER = re.compile(rf"(?<![\w/])(?:{_TOKEN})(?:[ ]{_TOKEN})*(?![\w/])")
_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@dataclass(frozen=True)
class Repair:
    """One corrected identifier: where it was in the OCR text, what was read, what it is now."""

    kind: FieldKind
    start: int
    end: int
    read: str
    value: str


@dataclass(frozen=True)
class RepairedText:
    text: str
    repairs: tuple[Repair, ...]


def repair_identifiers(text: str, *, known_agency_codes: Collection[str] = ()) -> RepairedText:
    """The OCR text with every unambiguous identifier repair applied, and the list of repairs.

    Dossier codes are looked for first (their digits would otherwise look like dates or ID numbers), then
    ID numbers, then dates; a later candidate overlapping an earlier repair is skipped. Pure function.
    """
    found, code_spans = _find_dossier_codes(text, known_agency_codes)
    found += _find_numbers(text, taken=code_spans)
    found.sort(key=lambda r: r.start)
    pieces: list[str] = []
    position = 0
    for repair in found:
        pieces += [text[position : repair.start], repair.value]
        position = repair.end
    pieces.append(text[position:])
    return RepairedText("".join(pieces), tuple(found))


# -- ID numbers (CCCD) -----------------------------------------------------------------------------------


def repair_cccd(read: str, *, labelled: bool = False) -> str | None:
    """The valid 12-digit ID number `read` unambiguously stands for, or None.

    Letters read for digits are mapped back; spaces inside are removed only when `labelled` (the value
    follows "Số định danh cá nhân" or "CCCD") or when the pieces are all plain digits. The result must pass
    `records.identifiers.check_cccd` (a province code) and have a 20th/21st-century gender digit.
    """
    pieces = read.split()
    if len(pieces) > 1 and not labelled and not all(p.isdigit() for p in pieces):
        return None
    if any(not set(p) <= _DIGITISH for p in pieces):
        return None
    joined = "".join(pieces)
    letters = sum(1 for c in joined if not c.isdigit())
    if letters > 3 or letters * 4 > len(joined):
        return None
    candidate = joined.translate(_TO_DIGITS)
    if not _valid_cccd(candidate):
        return None
    return candidate


def _valid_cccd(number: str) -> bool:
    try:
        check_cccd(number)
    except ValidationFailed:
        return False
    return number[3] in "0123"  # born 1900–2099


# -- dates -----------------------------------------------------------------------------------------------


def repair_date(read: str, *, labelled: bool = False) -> str | None:
    """The valid dd/mm/yyyy date `read` unambiguously stands for, or None.

    Spaces inside are removed, letters read for digits mapped back, a doubled slash collapsed; with a label
    ("Ngày …"), a slash read as l, I or | is restored too. The date must exist and lie in 1900–2099.
    """
    compact = "".join(read.split())
    compact = re.sub(r"/{2,}", "/", compact)
    if labelled and compact.count("/") == 1 and len(compact) == 10:
        compact = _restore_slash(compact)
    if compact.count("/") != 2:
        return None
    letters = sum(1 for c in compact if c not in "0123456789/")
    if letters > 2:
        return None
    candidate = compact.translate(_TO_DIGITS)
    match = _DATE.fullmatch(candidate)
    if match is None or not _valid_date(int(match[3]), int(match[2]), int(match[1])):
        return None
    return candidate


def _restore_slash(compact: str) -> str:
    """dd/mm?yyyy or dd?mm/yyyy with ? one of l I | (a slash misread) -> dd/mm/yyyy."""
    chars = list(compact)
    for index in (2, 5):
        if chars[index] in "lI|\\":
            chars[index] = "/"
    return "".join(chars)


def _valid_date(year: int, month: int, day: int) -> bool:
    if not 1900 <= year <= 2099:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _find_numbers(text: str, *, taken: list[tuple[int, int]]) -> list[Repair]:
    """ID numbers and dates among the runs of digit-like tokens on each line."""
    repairs: list[Repair] = []
    for match in _LOOSE_NUMBER.finditer(text):
        if _overlaps(match.start(), match.end(), taken):
            continue
        tokens = [(m.start() + match.start(), m.end() + match.start()) for m in re.finditer(r"\S+", match[0])]
        repairs += _repairs_in_run(text, tokens)
    return repairs


def _repairs_in_run(text: str, tokens: list[tuple[int, int]]) -> list[Repair]:
    """Within one run of tokens, each sub-run that repairs to exactly one valid value, if no other sub-run
    overlapping it repairs too (two readings of the same digits are ambiguous)."""
    candidates: list[Repair] = []
    for i in range(len(tokens)):
        for j in range(i + 1, min(len(tokens), i + 4) + 1):
            start, end = tokens[i][0], tokens[j - 1][1]
            read = text[start:end]
            for kind in ("cccd", "date"):
                labelled = _labelled(text, start, kind)
                value = repair_cccd(read, labelled=labelled) if kind == "cccd" else repair_date(read, labelled=labelled)
                if value is not None:
                    candidates.append(Repair(kind, start, end, read, value))
    accepted: list[Repair] = []
    for candidate in candidates:
        rivals = [c for c in candidates if c is not candidate and c.start < candidate.end and candidate.start < c.end]
        if candidate.read == candidate.value:
            continue  # read correctly: nothing to repair
        if any(r.read == r.value for r in rivals):
            continue  # an overlapping piece is already a valid value as read: leave the text alone
        if rivals:
            continue  # two different repairs of the same characters: ambiguous
        accepted.append(candidate)
    return accepted


# -- dossier codes ---------------------------------------------------------------------------------------


def repair_dossier_code(
    read: str, known_agency_codes: Collection[str] = (), *, labelled: bool = False
) -> str | None:
    """The valid dossier code `{agency}-{yyMMdd}-{NNNN}` that `read` unambiguously stands for, or None."""
    match = _LOOSE_DOSSIER_CODE.fullmatch(read.strip())
    if match is None:
        return None
    return _resolve_dossier_code(match, known_agency_codes, labelled=labelled)


def _find_dossier_codes(
    text: str, known_agency_codes: Collection[str]
) -> tuple[list[Repair], list[tuple[int, int]]]:
    """The repairs, and the spans of every valid code found (repaired or not)."""
    repairs: list[Repair] = []
    spans: list[tuple[int, int]] = []
    for match in _LOOSE_DOSSIER_CODE.finditer(text):
        labelled = _labelled(text, match.start(), "dossier_code")
        value = _resolve_dossier_code(match, known_agency_codes, labelled=labelled)
        start = match.start()
        if value is None:
            # The lazy agency part may have started too early ("ABC 000.10…"): try from each later word.
            for space in (m.end() for m in re.finditer(r" ", match["agency"])):
                sub = _LOOSE_DOSSIER_CODE.fullmatch(match[0][space:])
                if sub is not None:
                    value = _resolve_dossier_code(sub, known_agency_codes, labelled=labelled)
                    if value is not None:
                        start = match.start() + space
                        break
        if value is None:
            continue
        spans.append((start, match.end()))
        if value != text[start : match.end()]:
            repairs.append(Repair("dossier_code", start, match.end(), text[start : match.end()], value))
    return repairs, spans


def _resolve_dossier_code(match: re.Match[str], known: Collection[str], *, labelled: bool) -> str | None:
    agency = resolve_agency_code(match["agency"], known, labelled=labelled)
    if agency is None:
        return None
    value = f"{agency}-{match['day'].translate(_TO_DIGITS)}-{match['seq'].translate(_TO_DIGITS)}"
    return value if parse_dossier_code(value) is not None else None


def resolve_agency_code(read: str, known: Collection[str] = (), *, labelled: bool = False) -> str | None:
    """The agency code `read` stands for: dots restored (spaces, commas, doubled dots), then the known code
    it matches once confusable letters and digits are treated alike, else the single nearest known code
    within one edit (two after a "Mã hồ sơ" label). With no known codes, only the dots are restored and the
    result must have the shape of an agency code."""
    canonical = ".".join(part for part in re.split(r"[\s.,·:;]+", read) if part)
    if not known:
        return canonical if re.fullmatch(r"[0-9A-Z]{1,6}(?:\.[0-9A-Z]{1,8}){1,4}", canonical) else None
    known_set = known if isinstance(known, (set, frozenset)) else frozenset(known)
    if canonical in known_set:
        return canonical
    shape = _shape(canonical)
    by_shape = [code for code in known_set if _shape(code) == shape]
    if len(by_shape) == 1:
        return by_shape[0]
    if by_shape:
        return None
    limit = 2 if labelled else 1
    limit = min(limit, max(1, len(shape) // 5))
    distances = _distances(shape, ((_shape(code), code) for code in known_set), limit)
    if not distances:
        return None
    best = min(d for d, _ in distances)
    nearest = [code for d, code in distances if d == best]
    return nearest[0] if len(nearest) == 1 else None


def _shape(code: str) -> str:
    """A code with every confusable letter and its digit in one class (so O and 0 compare equal)."""
    return code.translate(_TO_DIGITS).upper()


def _distances(query: str, choices: Iterable[tuple[str, str]], limit: int) -> list[tuple[int, str]]:
    """(edit distance, code) for every choice within `limit` edits of `query`."""
    out: list[tuple[int, str]] = []
    for shape, code in choices:
        if abs(len(shape) - len(query)) > limit:
            continue
        if _rapid_distance is not None:
            distance = int(_rapid_distance(query, shape, score_cutoff=limit))
        else:
            distance = _levenshtein(query, shape, limit)
        if distance <= limit:
            out.append((distance, code))
    return out


def _levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance, or limit + 1 once it is certain to exceed `limit`."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


# -- shared ----------------------------------------------------------------------------------------------


def _labelled(text: str, start: int, kind: FieldKind) -> bool:
    """Whether the characters just before `start` end with a label for this kind of value."""
    before = _fold(text[max(0, start - _LABEL_WINDOW) : start]).lower()
    return _LABELS[kind].search(before) is not None


def _fold(text: str) -> str:
    """Vietnamese without diacritics (OCR often drops or changes them in labels)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)
