"""Highlights for a hit: which pages of which documents match the query best, and a short HTML snippet of each
with ``<mark>`` around the matched words. Everything else in the snippet is HTML-escaped.

Matching is diacritic-insensitive (on the folded page text, which has the same offsets as the original), so an
OCR page that lost its marks is highlighted as well as a clean one. Shared by both adapters so they highlight
the same way.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from records.search import Highlight
from search.analysis import ParsedQuery, fold

SNIPPET_CHARS = 220
_MAX_SPANS = 300  # matches looked at per page: enough to find the densest passage


@dataclass(frozen=True)
class PageText:
    document_id: str
    page_number: int  # 1-based
    text: str


def marked_words(query: ParsedQuery) -> list[str]:
    """The folded, lower-case words and identifiers to mark in a page, longest first."""
    found = {term.folded for term in query.terms}
    found.update(term.folded for phrase in query.phrases for term in phrase)
    found.update(query.id_numbers)
    found.update(code.lower() for code in query.dossier_codes)
    for iso in query.dates:  # pages write dates dd/mm/yyyy
        year, month, day = iso.split("-")
        found.add(f"{day}/{month}/{year}")
    for parcel in query.parcels:
        found.update(str(n) for n in (parcel.parcel, parcel.sheet) if n is not None)
    return sorted((w for w in found if w), key=lambda w: (-len(w), w))


def _pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"\b(?:{alternatives})\b")  # on folded, lower-case text


@dataclass(frozen=True)
class _Scored:
    score: float
    page: PageText
    spans: list[tuple[int, int, str]]  # start, end, folded word


def _score(page: PageText, folded: str, pattern: re.Pattern[str], phrase_pairs: set[tuple[str, str]]) -> _Scored:
    spans = [(m.start(), m.end(), m.group(0)) for m in itertools.islice(pattern.finditer(folded), _MAX_SPANS)]
    distinct = {word for _, _, word in spans}
    adjacent = sum(1 for a, b in itertools.pairwise(spans) if (a[2], b[2]) in phrase_pairs and b[0] - a[1] <= 2)
    return _Scored(len(distinct) * 10.0 + min(len(spans), 20) * 0.5 + adjacent * 3.0, page, spans)


def _window(spans: list[tuple[int, int, str]], length: int) -> tuple[int, int]:
    """The span of text of about `length` characters holding the most distinct matched words (one pass, two
    pointers over the matches)."""
    counts: dict[str, int] = {}
    best, best_start, first = -1, 0, 0
    for _, end, word in spans:
        counts[word] = counts.get(word, 0) + 1
        while end - spans[first][0] > length:
            old = spans[first][2]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            first += 1
        if len(counts) > best:
            best, best_start = len(counts), spans[first][0]
    return best_start, best_start + length


def _snippet(text: str, spans: list[tuple[int, int, str]], length: int = SNIPPET_CHARS) -> str:
    first, _ = _window(spans, length)
    start = max(0, first - length // 4)
    end = min(len(text), start + length)
    while start > 0 and not text[start - 1].isspace() and first - start < length // 2:
        start -= 1
    while end < len(text) and not text[end].isspace() and end - start < length + 20:
        end += 1
    pieces: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for s, e, _ in spans:
        if s < start or e > end:
            continue
        pieces.append(html.escape(text[cursor:s]))
        pieces.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    pieces.append(html.escape(text[cursor:end]))
    pieces.append("…" if end < len(text) else "")
    return " ".join("".join(pieces).split())


def _presence(folded_lower: str, words: Sequence[str]) -> tuple[int, int]:
    """A cheap first look (substring counts, no word boundaries): distinct words present, occurrences."""
    counts = [folded_lower.count(w) for w in words]
    return sum(1 for c in counts if c), sum(counts)


def highlights(pages: Sequence[PageText], query: ParsedQuery, *, limit: int = 2) -> tuple[Highlight, ...]:
    """The best `limit` matching pages (at most one per document first), each with its snippet. Pages must be
    NFC (the index stores them so)."""
    words = marked_words(query)
    pattern = _pattern(words)
    if pattern is None:
        return ()
    folded_terms = [t.folded for t in query.terms]
    pairs = set(itertools.pairwise(folded_terms))
    for phrase in query.phrases:
        pairs.update(itertools.pairwise(t.folded for t in phrase))
    # Only the pages that look best at a glance are matched word by word.
    folded = {id(page): fold(page.text).lower() for page in pages}
    looked = [(_presence(folded[id(page)], words), page) for page in pages]
    looked = [item for item in looked if item[0][0]]
    looked.sort(key=lambda item: (-item[0][0], -item[0][1]))
    shortlist: list[PageText] = []
    documents: set[str] = set()
    for _, page in looked:
        if page.document_id not in documents and len(shortlist) < limit:
            shortlist.append(page)
            documents.add(page.document_id)
    shortlist += [page for _, page in looked if page not in shortlist][:max(0, limit - len(shortlist))]
    scored = [s for s in (_score(p, folded[id(p)], pattern, pairs) for p in shortlist) if s.spans]
    scored.sort(key=lambda s: -s.score)
    chosen: list[_Scored] = []
    documents = set()
    for candidate in scored:  # the best page of each document first, then second pages
        if candidate.page.document_id not in documents:
            chosen.append(candidate)
            documents.add(candidate.page.document_id)
    chosen.extend(s for s in scored if s not in chosen)
    return tuple(Highlight(s.page.document_id, s.page.page_number, _snippet(s.page.text, s.spans))
                 for s in chosen[:limit])
