"""Colloquial names and desk abbreviations for the formal terms dossiers use, as folded word sequences.

Only well-known equivalences belong here (domain knowledge, not tuning): citizens say "sổ đỏ" for the land use
right certificate, desks write "UBND", "GCN", "QSDĐ". A query that contains the left side also searches the
right side; the words typed keep matching as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

Words = tuple[str, ...]


@dataclass(frozen=True)
class Expansion:
    phrases: tuple[Words, ...]  # formal wordings searched as phrases in the procedure, metadata and text
    field: Words | None = None  # the field (lĩnh vực) the colloquial term belongs to, if any


def _w(text: str) -> Words:
    return tuple(text.split())


_LAND_CERTIFICATE = _w("giay chung nhan quyen su dung dat")

# Keys and values are folded (no diacritics, lower case), the form every query is matched in.
COLLOQUIAL: dict[Words, Expansion] = {
    _w("so do"): Expansion((_LAND_CERTIFICATE,), field=_w("dat dai")),
    _w("so hong"): Expansion((_LAND_CERTIFICATE, _w("quyen so huu nha o")), field=_w("dat dai")),
    _w("so nha dat"): Expansion((_LAND_CERTIFICATE,), field=_w("dat dai")),
    _w("sang ten"): Expansion((_w("chuyen nhuong"), _w("dang ky bien dong"))),
    _w("bang lai"): Expansion((_w("giay phep lai xe"),)),
    _w("giay khai sinh"): Expansion((_w("dang ky khai sinh"),)),
    _w("giay chung tu"): Expansion((_w("dang ky khai tu"),)),
    _w("giay ket hon"): Expansion((_w("dang ky ket hon"),)),
    _w("giay xac nhan doc than"): Expansion((_w("xac nhan tinh trang hon nhan"),)),
    _w("ho khau"): Expansion((_w("dang ky thuong tru"),)),
    _w("lam nha"): Expansion((_w("giay phep xay dung"),)),
    _w("xin phep xay dung"): Expansion((_w("giay phep xay dung"),)),
    _w("ly lich tu phap"): Expansion((_w("phieu ly lich tu phap"),)),
    _w("cong chung"): Expansion((_w("chung thuc"),)),
}

ABBREVIATIONS: dict[str, Words] = {
    "ubnd": _w("uy ban nhan dan"),
    "tp": _w("thanh pho"),
    "tx": _w("thi xa"),
    "gcn": _w("giay chung nhan"),
    "qsdd": _w("quyen su dung dat"),
    "gcnqsdd": _LAND_CERTIFICATE,
    "cccd": _w("can cuoc cong dan"),
    "cmnd": _w("chung minh nhan dan"),
    "gplx": _w("giay phep lai xe"),
    "gpxd": _w("giay phep xay dung"),
    "hkd": _w("ho kinh doanh"),
    "bhxh": _w("bao hiem xa hoi"),
    "bhyt": _w("bao hiem y te"),
    "tnhh": _w("trach nhiem huu han"),
    "vpdkdd": _w("van phong dang ky dat dai"),
}

_LONGEST = max(len(key) for key in COLLOQUIAL)


@dataclass(frozen=True)
class Match:
    start: int  # index of the first query word covered
    end: int  # one past the last
    expansion: Expansion


def expansions(folded_words: Words) -> list[Match]:
    """The colloquial terms and abbreviations found in a folded query, longest first, not overlapping."""
    found: list[Match] = []
    index = 0
    while index < len(folded_words):
        for size in range(min(_LONGEST, len(folded_words) - index), 0, -1):
            key = folded_words[index:index + size]
            expansion = COLLOQUIAL.get(key)
            if expansion is None and size == 1 and key[0] in ABBREVIATIONS:
                expansion = Expansion((ABBREVIATIONS[key[0]],))
            if expansion is not None:
                found.append(Match(index, index + size, expansion))
                index += size
                break
        else:
            index += 1
    return found
