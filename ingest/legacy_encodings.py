"""Vietnamese typed in the legacy 8-bit encodings TCVN3 (ABC) and VNI, as PDF text extraction shows it.

Documents typed before Unicode (and many still typed with the .VnTime or VNI-Times fonts) carry their
Vietnamese in font code points. A PDF of such a document declares the font as WinAnsi, so its text layer
comes out as Latin-1/cp1252 characters: TCVN3 "Céng hoµ x· héi" or VNI "Coäng hoøa xaõ hoäi" for
"Cộng hoà xã hội". This module converts them back to Unicode NFC.

Conversion is conservative: `repair_legacy_text` converts only when the text scores clearly better as
Vietnamese afterwards (valid syllables before vs after), never touches a line that already holds Unicode
Vietnamese letters, and leaves English and correct Unicode text exactly as they were.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class LegacyEncoding(StrEnum):
    TCVN3 = "tcvn3"  # TCVN 5712:1993, VN3 ("ABC", the .VnTime fonts)
    VNI = "vni"  # VNI-Windows (the VNI-Times fonts): base letter, then a diacritic byte


_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
_TONES = (_ACUTE, _GRAVE, _HOOK, _TILDE, _DOT)
_TONE_SET = frozenset(_TONES)
_STOP_TONES = frozenset((_ACUTE, _DOT))


def _compose(letter: str, tone: str) -> str:
    return unicodedata.normalize("NFC", letter + tone)


# -- TCVN3 --------------------------------------------------------------------------------------------
# Each vowel row: the code of the bare letter, then its grave, hook, tilde, acute and dot-below forms
# (TCVN 5712:1993 VN3). Codes are written as the Latin-1 characters the PDF extraction shows.
_TCVN3_VOWEL_ROWS: dict[str, tuple[str, str, str, str, str, str]] = {
    "a": ("a", "\xb5", "\xb6", "\xb7", "\xb8", "\xb9"),
    "ă": ("\xa8", "\xbb", "\xbc", "\xbd", "\xbe", "\xc6"),
    "â": ("\xa9", "\xc7", "\xc8", "\xc9", "\xca", "\xcb"),
    "e": ("e", "\xcc", "\xce", "\xcf", "\xd0", "\xd1"),
    "ê": ("\xaa", "\xd2", "\xd3", "\xd4", "\xd5", "\xd6"),
    "i": ("i", "\xd7", "\xd8", "\xdc", "\xdd", "\xde"),
    "o": ("o", "\xdf", "\xe1", "\xe2", "\xe3", "\xe4"),
    "ô": ("\xab", "\xe5", "\xe6", "\xe7", "\xe8", "\xe9"),
    "ơ": ("\xac", "\xea", "\xeb", "\xec", "\xed", "\xee"),
    "u": ("u", "\xef", "\xf1", "\xf2", "\xf3", "\xf4"),
    "ư": ("\xad", "\xf5", "\xf6", "\xf7", "\xf8", "\xf9"),
    "y": ("y", "\xfa", "\xfb", "\xfc", "\xfd", "\xfe"),
}
_TCVN3_ROW_TONES = (_GRAVE, _HOOK, _TILDE, _ACUTE, _DOT)
# TCVN3 has codes for these capitals only; capitals with a tone were drawn with the separate capitals
# font (.VnTimeH) using the lowercase codes, so after extraction they are indistinguishable from lowercase.
_TCVN3_CAPITALS = {"Ă": "\xa1", "Â": "\xa2", "Ê": "\xa3", "Ô": "\xa4", "Ơ": "\xa5", "Ư": "\xa6", "Đ": "\xa7"}


def _tcvn3_tables() -> tuple[dict[str, str], dict[str, str]]:
    decode: dict[str, str] = {}
    for vowel, (bare, *toned) in _TCVN3_VOWEL_ROWS.items():
        if bare != vowel:
            decode[bare] = vowel
        for tone, code in zip(_TCVN3_ROW_TONES, toned, strict=True):
            decode[code] = _compose(vowel, tone)
    decode["\xae"] = "đ"
    decode.update({code: capital for capital, code in _TCVN3_CAPITALS.items()})
    encode = {letter: code for code, letter in decode.items()}
    for letter, code in list(encode.items()):
        if letter.upper() not in encode:
            encode[letter.upper()] = code  # a toned capital: the lowercase code, as the ABC keyboards typed it
    return decode, encode


TCVN3_DECODE, TCVN3_ENCODE = _tcvn3_tables()
_TCVN3_LOWER_CODES = frozenset(code for code, letter in TCVN3_DECODE.items() if letter.islower())


# -- VNI ----------------------------------------------------------------------------------------------
# A vowel is typed as its base letter followed by one diacritic byte; i, ỵ, ơ, ư and đ have their own
# bytes (ơ and ư then take a tone byte like any base). Tuples are in the order: none, acute, grave,
# hook, tilde, dot below. Capitals use the capital forms of the same bytes (Latin-1 pairs them).
_VNI_TONE_ORDER = ("", _ACUTE, _GRAVE, _HOOK, _TILDE, _DOT)
_VNI_TONE_BYTES = ("", "ù", "ø", "û", "õ", "ï")
_VNI_CIRCUMFLEX_BYTES = ("â", "á", "à", "å", "ã", "ä")
_VNI_BREVE_BYTES = ("ê", "é", "è", "ú", "ü", "ë")
_VNI_I_LETTERS = ("i", "í", "ì", "æ", "ó", "ò")
_VNI_Y_DOT, _VNI_O_HORN, _VNI_U_HORN, _VNI_D_STROKE = "î", "ô", "ö", "ñ"


def _vni_tables() -> tuple[dict[tuple[str, str], str], dict[str, str], dict[str, str]]:
    """(base, diacritic byte) -> letter; single byte -> letter; letter -> VNI sequence. Both cases."""
    pairs: dict[tuple[str, str], str] = {}
    for tone, tone_byte in zip(_VNI_TONE_ORDER[1:], _VNI_TONE_BYTES[1:], strict=True):
        for vowel in "aeouy":
            pairs[(vowel, tone_byte)] = _compose(vowel, tone)
        pairs[(_VNI_O_HORN, tone_byte)] = _compose("ơ", tone)
        pairs[(_VNI_U_HORN, tone_byte)] = _compose("ư", tone)
    for tone, circumflex_byte, breve_byte in zip(_VNI_TONE_ORDER, _VNI_CIRCUMFLEX_BYTES, _VNI_BREVE_BYTES,
                                                 strict=True):
        for vowel, with_circumflex in (("a", "â"), ("e", "ê"), ("o", "ô")):
            pairs[(vowel, circumflex_byte)] = _compose(with_circumflex, tone)
        pairs[("a", breve_byte)] = _compose("ă", tone)
    singles = {byte: _compose("i", tone)
               for tone, byte in zip(_VNI_TONE_ORDER[1:], _VNI_I_LETTERS[1:], strict=True)}
    singles |= {_VNI_Y_DOT: "ỵ", _VNI_O_HORN: "ơ", _VNI_U_HORN: "ư", _VNI_D_STROKE: "đ"}

    encode = {letter: byte for byte, letter in singles.items()}
    for (base, byte), letter in pairs.items():
        encode.setdefault(letter, base + byte)  # ỵ keeps its own byte rather than "y" + dot
    encode |= {letter.upper(): sequence.upper() for letter, sequence in encode.items()}
    singles |= {byte.upper(): letter.upper() for byte, letter in singles.items()}
    both_cases: dict[tuple[str, str], str] = {}
    for (base, byte), letter in pairs.items():
        for cased_base in (base, base.upper()):
            for cased_byte in (byte, byte.upper()):
                # case follows the base letter; a diacritic byte of the other case is still understood
                both_cases[(cased_base, cased_byte)] = letter.upper() if cased_base.isupper() else letter
    return both_cases, singles, encode


VNI_PAIRS, VNI_SINGLES, VNI_ENCODE = _vni_tables()
_VNI_BASES = frozenset(base for base, _ in VNI_PAIRS)


# -- conversion -----------------------------------------------------------------------------------------
_SEPARATORS = r"\s!-/:-@\[-`{-~0-9\u2010-\u2027"
_TOKEN = re.compile(f"[^{_SEPARATORS}]+")


def decode_tcvn3(text: str) -> str:
    """TCVN3 text (as Latin-1 characters) to Unicode NFC, unconditionally.

    TCVN3 has no codes for capitals with a tone (the ABC capitals font reused the lowercase codes), so
    the case of such letters is guessed: capitals inside an all-capitals word (judged by its other letters,
    or when it has too few by the nearest word on the line, to the right first, that has enough), a
    capital at the start of the text or of a sentence, lowercase otherwise."""
    letters = [TCVN3_DECODE.get(char, char) for char in text]
    case_unknown = [char in _TCVN3_LOWER_CODES for char in text]
    spans = [match.span() for match in _TOKEN.finditer(text)]
    votes: list[bool | None] = []  # True: all capitals, False: has a lowercase letter, None: can't tell
    for start, end in spans:
        known = [letters[i] for i in range(start, end) if not case_unknown[i] and letters[i].isalpha()]
        votes.append(False if any(letter.islower() for letter in known) else True if len(known) >= 2 else None)
    for index, (start, end) in enumerate(spans):
        if not any(case_unknown[start:end]):
            continue
        vote = votes[index]
        if vote is None:  # a word, not an acronym like "UBND", decides
            neighbours = [votes[j] for j in _line_neighbours(text, spans, index)
                          if votes[j] is not None and is_vietnamese_syllable("".join(letters[slice(*spans[j])]))]
            vote = bool(neighbours) and neighbours[0]
        if vote:
            for i in range(start, end):
                letters[i] = letters[i].upper()
        elif case_unknown[start] and _starts_sentence(text, start):
            letters[start] = letters[start].upper()
    return unicodedata.normalize("NFC", "".join(letters))


def _starts_sentence(text: str, start: int) -> bool:
    before = start
    while before > 0 and text[before - 1].isspace():
        before -= 1
    return before == 0 or (before < start and text[before - 1] in ".!?")


def _line_neighbours(text: str, spans: list[tuple[int, int]], index: int) -> list[int]:
    """The tokens after token `index`, then those before it (up to two each way), on the same line."""
    found: list[int] = []
    for step in (1, -1):
        j = index + step
        while 0 <= j < len(spans) and abs(j - index) <= 2:
            between = text[min(spans[j][1], spans[index][1]):max(spans[j][0], spans[index][0])]
            if "\n" in between:
                break
            found.append(j)
            j += step
    return found


def decode_vni(text: str) -> str:
    """VNI text (as Latin-1 characters) to Unicode NFC, unconditionally."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        following = text[index + 1] if index + 1 < len(text) else ""
        if char in _VNI_BASES and (char, following) in VNI_PAIRS:
            out.append(VNI_PAIRS[(char, following)])
            index += 2
            continue
        out.append(VNI_SINGLES.get(char, char))
        index += 1
    return unicodedata.normalize("NFC", "".join(out))


def _encode(text: str, table: dict[str, str], name: str) -> str:
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        if char.isascii():
            out.append(char)
        elif char in table:
            out.append(table[char])
        else:
            raise ValueError(f"{name} cannot encode {char!r}")
    return "".join(out)


def encode_tcvn3(text: str) -> str:
    """Unicode Vietnamese to TCVN3, written as the Latin-1 characters a PDF text layer shows.
    Capitals with a tone get the lowercase codes (TCVN3 has none). ValueError for what TCVN3 lacks."""
    return _encode(text, TCVN3_ENCODE, "TCVN3")


def encode_vni(text: str) -> str:
    """Unicode Vietnamese to VNI-Windows, written as Latin-1 characters. ValueError for what VNI lacks."""
    return _encode(text, VNI_ENCODE, "VNI")


DECODERS: dict[LegacyEncoding, Callable[[str], str]] = {
    LegacyEncoding.TCVN3: decode_tcvn3,
    LegacyEncoding.VNI: decode_vni,
}


# -- Vietnamese syllables ------------------------------------------------------------------------------
_INITIALS = ("ngh", "ng", "gh", "gi", "ch", "kh", "nh", "ph", "qu", "th", "tr",
             "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")
_RHYMES = frozenset("""
    a ai ao au ay ac ach am an ang anh ap at
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e eo ec em en eng ep et
    ê êu êch êm ên ênh êp êt
    i ia iu ich im in inh ip it
    iêc iêm iên iêng iêp iêt iêu
    o oi oc om on ong op ot ooc oong
    oa oai oao oay oac oach oam oan oang oanh oap oat
    oăc oăm oăn oăng oăt
    oe oeo oem oen oet
    ô ôi ôc ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ui ua uc um un ung up ut
    uâc uân uâng uât uây
    uê uêch uênh uêu
    uy uya uyu uych uyn uynh uyp uyt uyên uyêt
    uôc uôi uôm uôn uông uôt uơ
    ư ưa ưi ưu ưc ưm ưn ưng ưt
    ươc ươi ươm ươn ương ươp ươt ươu
    y yêm yên yêng yêt yêu
""".split())
_FRONT_VOWELS = frozenset("ieêy")
_LETTERS = frozenset("abcdđeghiklmnopqrstuvxyăâêôơư")


def _rhyme_allowed(initial: str, rhyme: str, tone: str) -> bool:
    if rhyme not in _RHYMES:  # (also the empty rhyme)
        return False
    if initial in ("k", "gh", "ngh") and rhyme[0] not in _FRONT_VOWELS:
        return False
    if initial in ("c", "g", "ng") and rhyme[0] in _FRONT_VOWELS:
        return False
    if initial == "qu" and rhyme[0] in "uưo":
        return False
    stop_final = rhyme.endswith("ch") or rhyme[-1] in "cpt"
    return not stop_final or tone in _STOP_TONES  # -c, -ch, -p, -t take only the acute or dot-below tone


def _tone_well_placed(rhyme: str, offset: int) -> bool:
    """Whether a tone on letter `offset` of `rhyme` sits on its main vowel (old or new style)."""
    final = 2 if rhyme.endswith(("ch", "ng", "nh")) else 1 if rhyme[-1] in "cmnpt" else 0
    vowels = rhyme[: len(rhyme) - final]
    marked = [index for index, letter in enumerate(vowels) if letter in "ăâêôơư"]
    if marked:
        return offset == marked[-1]  # người, hươu, thuở, khuyến
    if len(vowels) == 1:
        return offset == 0
    if final:
        return offset == len(vowels) - 1  # toán, huỳnh
    if len(vowels) == 2:
        return offset == 0 or vowels in ("oa", "oe", "uy")  # của, hái; hóa or hoá, thúy or thuý
    return offset == 1  # ngoài, khuỷu, ngoẹo


def is_vietnamese_syllable(token: str) -> bool:
    """Whether `token` spells one Vietnamese syllable (any case): an initial and a rhyme that go together,
    at most one tone, on the main vowel (old "hóa" or new "hoá" placement), -c/-ch/-p/-t only with the
    acute or dot-below tone. Used to score text as Vietnamese."""
    decomposed = unicodedata.normalize("NFD", token.lower())
    tone, tone_at, letters = "", -1, 0
    for char in decomposed:
        if char in _TONE_SET:
            if tone:
                return False
            tone, tone_at = char, letters - 1
        elif not unicodedata.combining(char):
            letters += 1
    bare = unicodedata.normalize("NFC", "".join(char for char in decomposed if char not in _TONE_SET))
    if not bare or len(bare) > 7 or not set(bare) <= _LETTERS:
        return False
    for initial in _INITIALS:
        if not bare.startswith(initial):
            continue
        for rule_initial, rhyme, rhyme_start in _readings(initial, bare[len(initial):]):
            if _rhyme_allowed(rule_initial, rhyme, tone):  # the first reading that spells a rhyme decides
                return not tone or _tone_well_placed(rhyme, tone_at - rhyme_start)
    return False


def _readings(initial: str, rest: str) -> list[tuple[str, str, int]]:
    """Ways to split a syllable after `initial`: (initial for the spelling rules, rhyme, where it starts).
    The i of gi- also starts rhymes in i (gì, giếng); the u of qu- is the glide of rhymes in u (quýt)."""
    if initial == "gi":
        return [("gi", rest, 2), ("gi", "i" + rest, 1)]
    if initial == "qu":
        return [("qu", rest, 2), ("q", "u" + rest, 1)]
    return [(initial, rest, len(initial))]


# -- detection -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LegacyScore:
    """Evidence tokens (Latin-1 only, with an ASCII letter and a high character) and how many of them
    are Vietnamese syllables before and after conversion; `words` counts every token with a letter and
    `words_valid_after` those that are syllables once the evidence tokens are converted."""

    words: int
    evidence: int
    evidence_chars: int
    valid_before: int
    valid_after: int
    words_valid_after: int


def _is_unicode_letter(char: str) -> bool:
    return ord(char) > 0xFF and (char.isalpha() or unicodedata.category(char) == "Mn")


def _is_evidence(token: str) -> bool:
    return (all(ord(char) <= 0xFF for char in token) and any(ord(char) >= 0xA0 for char in token)
            and any(char.isascii() and char.isalpha() for char in token))


def score_conversion(text: str, encoding: LegacyEncoding) -> LegacyScore:
    """How `text` scores as Vietnamese before and after converting it from `encoding`."""
    decode = DECODERS[encoding]
    words = evidence = evidence_chars = valid_before = valid_after = words_valid_after = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        is_word = any(char.isalpha() or ord(char) >= 0xA0 for char in token)
        words += is_word
        if _is_evidence(token):
            evidence += 1
            evidence_chars += len(token)
            valid_before += is_vietnamese_syllable(token)
            converted_valid = is_vietnamese_syllable(decode(token))
            valid_after += converted_valid
            words_valid_after += converted_valid
        elif is_word:
            words_valid_after += is_vietnamese_syllable(token)
    return LegacyScore(words, evidence, evidence_chars, valid_before, valid_after, words_valid_after)


def _clearly_better(score: LegacyScore) -> bool:
    if score.evidence_chars < 4 or score.evidence < 0.2 * score.words:
        return False  # one short word, or a few accented words inside plain text, is not enough
    return (score.valid_after >= 0.6 * score.evidence  # the marked words become Vietnamese...
            and score.valid_after - score.valid_before >= max(1.0, 0.25 * score.evidence)  # ...clearly more
            and score.words_valid_after >= 0.5 * score.words)  # and the whole then reads as Vietnamese


def detect_legacy_encoding(text: str) -> LegacyEncoding | None:
    """The legacy encoding `text` is clearly written in, or None (Unicode, English, or not sure)."""
    text = unicodedata.normalize("NFC", text)
    best: tuple[int, LegacyEncoding] | None = None
    for encoding in LegacyEncoding:
        score = score_conversion(text, encoding)
        if _clearly_better(score) and (best is None or score.valid_after > best[0]):
            best = (score.valid_after, encoding)
    return best[1] if best else None


@dataclass(frozen=True)
class RepairedText:
    text: str  # NFC
    encoding: LegacyEncoding | None  # what was converted, None when the text was left as it was


def _line_not_worse(line: str, encoding: LegacyEncoding) -> bool:
    if any(_is_unicode_letter(char) for char in line):
        return False  # a line that already holds Unicode letters is not legacy text
    score = score_conversion(line, encoding)
    return score.valid_after >= score.valid_before


def repair_legacy_text(text: str) -> RepairedText:
    """Converts TCVN3 or VNI text to Unicode NFC when the whole text is clearly written in one of them;
    then line by line, only lines without Unicode letters that do not score worse as Vietnamese. Anything
    else (Unicode Vietnamese, English, too little evidence) comes back unchanged, NFC-normalised."""
    text = unicodedata.normalize("NFC", text)
    encoding = detect_legacy_encoding(text)
    if encoding is None:
        return RepairedText(text, None)
    original_lines = text.splitlines(keepends=True)
    converted_lines = DECODERS[encoding](text).splitlines(keepends=True)
    if len(converted_lines) != len(original_lines):  # decoders keep line breaks; guard all the same
        converted_lines = [DECODERS[encoding](line) for line in original_lines]
    lines = (converted if _line_not_worse(original, encoding) else original
             for original, converted in zip(original_lines, converted_lines, strict=True))
    return RepairedText(unicodedata.normalize("NFC", "".join(lines)), encoding)


def word_tokens(text: str) -> list[str]:
    """The tokens this module scores: runs between whitespace, ASCII punctuation, digits and general
    punctuation (Latin-1 symbols stay inside tokens: in TCVN3 they are letters)."""
    return _TOKEN.findall(text)
