"""How a query is scored, independent of the engine: a `Plan` (`search.clauses`) built from the understood query.
Each adapter translates the plan into its engine's query language, so the embedded and the server backends rank
alike. Weights are in `Weights`; each rule below was kept because it measured better on the dev queries
(bench/search.py), by query type, at 10k and 100k dossiers.

Matching (what counts in the total):
* a hit contains most (`min_should_match`) of the telling free words, in any field — folded, so a query typed
  without marks finds text with them; a word in more than `common_share` of the entries' pages ("đăng", "ký",
  "nguyễn") tells little: it only ranks, in the metadata (Lucene's "common terms");
* or an identifier typed in the query (dossier code, 12-digit ID number, parcel thửa/tờ, date), or the
  applicant's whole name (a run of 2–5 query words), or a name one edit away;
* when every word is common: the identifier or name alone, else most words in the metadata; and unless the
  officers' catalogue names and places explain the query, all its words together in the pages;
* every quoted phrase, as a phrase.

Ranking (what comes first):
* BM25 per field with a boost per field (name, agency, procedure, field first; pages after); when the user typed
  diacritics, the exact form counts in the (clean) metadata and folded look-alikes count less, so "Lan" ranks
  above "Lân"; a word the index never saw (a typo) is searched as its known neighbours at edit distance 1;
* identifiers and whole names score constants no text score reaches;
* a run of 2–3 words naming the agency's commune or district (`place_key`) or the applicant's (`addr_key`);
* proximity: the whole query as a phrase in the pages (exactly, then a little apart), runs of three words with
  a rare word as phrases (robust to OCR breaking one word), adjacent words in the applicant's name, and pairs and
  runs in the procedure and field names — scored on the few hundred distinct names (`search.catalogue`), not on
  every entry;
* colloquial terms and desk abbreviations (`search.synonyms`) also search their formal wording.

Every costly clause is bounded: phrases of common words only where they decide (see `_explained`), windows only
with a rare word, fuzzy name lookups only on name-like runs and at most `name_fuzzy_max` of them.
"""

from __future__ import annotations

import itertools
import math
import string
from dataclasses import dataclass
from dataclasses import field as default

from search.analysis import ParsedQuery, QueryTerm, tone_variants
from search.clauses import (
    ALL_METADATA,
    CATALOGUE_FIELDS,
    EXACT_FIELDS,
    FOLDED_FIELDS,
    METADATA_FOLDED,
    AnyOf,
    Clause,
    Fuzzy,
    IndexStats,
    NoStats,
    Phrase,
    Plan,
    Term,
)
from search.synonyms import expansions


@dataclass(frozen=True)
class Weights:
    """Boosts and thresholds of the ranking. The defaults are the measured ones (search/README.md); the bench
    and experiments pass others."""

    fields: dict[str, float] = default(default_factory=lambda: {
        "name_f": 3.0, "place_f": 2.0, "addr_f": 0.7, "proc_f": 2.0, "field_f": 2.0, "meta_f": 0.7,
        "body_f": 1.0,
        "name_x": 2.0, "place_x": 1.0, "addr_x": 0.4, "proc_x": 1.0, "meta_x": 0.4,
    })
    folded_when_exact: float = 0.3  # metadata folded weights × this when the user typed diacritics
    correction: float = 0.8  # a typo's neighbour counts this much of the word
    correction_min_length: int = 4
    correction_max: int = 3  # neighbours kept per typo (the most frequent)
    rare_in_text: float = 0.0005  # a word in fewer than this share of entries' text may be a typo
    min_should_match: float = 0.6  # share of free words (or synonym groups) a hit must contain
    # Cost rules (Lucene's "common terms"): a word in more than `common_share` of the entries' pages says little
    # about them; it is scored in the metadata only and a hit need not contain it. A run of words is searched in
    # the pages only if one of its words is in fewer than `rare_share` of them (its short postings drive the
    # phrase).
    common_share: float = 0.2
    common_min_entries: int = 1000  # below this many entries nothing is common
    explained_share: float = 0.8  # metadata names holding this share of the words explain a common query
    rare_share: float = 0.05
    code: float = 1000.0
    id_number: float = 500.0
    id_in_text: float = 200.0
    code_in_text: float = 200.0
    parcel: float = 300.0
    parcel_number_only: float = 40.0
    date: float = 20.0
    place_key: float = 20.0  # a run of query words names the agency's commune or district
    addr_key: float = 3.0  # … the applicant's
    name_key: float = 15.0  # a run of query words equals the applicant's whole name (folded)
    name_key_exact: float = 10.0  # … with the same diacritics
    name_key_fuzzy: float = 25.0  # … one edit away
    name_fuzzy_max: int = 6  # runs looked up one edit away (each costs a walk of the name dictionary)
    phrase: float = 10.0  # the whole query as a phrase in the text
    phrase_near: float = 3.0  # … with its words a little apart (slop `phrase_slop`)
    phrase_slop: int = 4
    window_size: int = 3
    window_fields: dict[str, float] = default(default_factory=lambda: {"body_f": 2.0})
    bigram: dict[str, float] = default(default_factory=lambda: {"name_f": 1.0})
    # Proximity in the catalogue names (search.catalogue), per keyword field: adjacent pairs, runs of 3. Not in
    # agency names: the place keys say where, and a department named like a field ("Sở Giáo dục và Đào tạo")
    # would count the field twice (measured: no loss at 10k, +0.002 at 100k).
    catalogue_pair: dict[str, float] = default(default_factory=lambda: {"proc_name": 1.0, "field_kw": 2.0})
    catalogue_run: dict[str, float] = default(default_factory=lambda: {"proc_name": 2.0})
    synonym: dict[str, float] = default(default_factory=lambda: {
        "proc_f": 3.0, "meta_f": 1.0, "place_f": 1.0, "addr_f": 0.5, "body_f": 0.5,
    })
    synonym_field: float = 4.0


DEFAULT_WEIGHTS = Weights()


_LETTERS = string.ascii_lowercase + string.digits


def neighbours(word: str) -> set[str]:
    """Every string one edit away (deletion, adjacent transposition, substitution, insertion)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    found |= {a + c + b for a, b in splits for c in _LETTERS}
    found.discard(word)
    return found


def corrections(term: QueryTerm, stats: IndexStats, weights: Weights) -> list[str]:
    """Known metadata words one edit away from a word the index (almost) never saw, most frequent first."""
    word = term.folded
    vocabulary = stats.vocabulary(ALL_METADATA)
    if word.isdigit() or word in vocabulary or len(word) < weights.correction_min_length - 1:
        return []
    in_text = stats.doc_freq("body_f", word)
    if in_text > weights.rare_in_text * stats.total or (len(word) < weights.correction_min_length and in_text):
        return []
    found = sorted((w for w in neighbours(word) if w in vocabulary), key=lambda w: -vocabulary[w])
    return found[:weights.correction_max]


@dataclass(frozen=True)
class _Word:
    term: QueryTerm
    corrected: tuple[str, ...]
    common: bool  # in more than `Weights.common_share` of the entries' pages
    common_corrections: frozenset[str] = frozenset()

    @property
    def best(self) -> str:
        return self.corrected[0] if self.corrected else self.term.folded


def _field_weight(name: str, exact: bool, weights: Weights) -> float:
    weight = weights.fields[name]
    return weight * weights.folded_when_exact if exact and name in METADATA_FOLDED else weight


def _word_clauses(word: _Word, exact: bool, weights: Weights) -> list[Clause]:
    """The word in every field (a common word: in the metadata only)."""
    folded_fields = METADATA_FOLDED if word.common else FOLDED_FIELDS
    clauses: list[Clause] = [Term(f, word.term.folded, _field_weight(f, exact, weights)) for f in folded_fields]
    if exact:
        clauses += [Term(f, variant, weights.fields[f])
                    for f in EXACT_FIELDS for variant in tone_variants(word.term.exact)]
    for fix in word.corrected:
        fields = METADATA_FOLDED if fix in word.common_corrections else folded_fields
        clauses += [Term(f, fix, weights.fields[f] * weights.correction) for f in fields]
    return clauses


def _identifier_signals(query: ParsedQuery, weights: Weights) -> list[Clause]:
    signals: list[Clause] = []
    for code in query.dossier_codes:
        signals += [Term("code", code, weights.code, constant=True),
                    Term("ids", f"code:{code}", weights.code_in_text, constant=True)]
    for number in query.id_numbers:
        signals += [Term("id_number", number, weights.id_number, constant=True),
                    Term("ids", f"id:{number}", weights.id_in_text, constant=True)]
    for parcel in query.parcels:
        if parcel.sheet is not None:
            signals.append(Term("ids", f"parcel:{parcel.key}", weights.parcel, constant=True))
        signals.append(Term("ids", f"parcel:{parcel.parcel}/?", weights.parcel_number_only, constant=True))
    signals += [Term("ids", f"date:{iso}", weights.date, constant=True) for iso in query.dates]
    signals += [Term("agency", code, weights.code_in_text, constant=True) for code in query.agency_codes]
    return signals


def _name_signals(words: list[_Word], exact: bool, weights: Weights, stats: IndexStats) -> list[Clause]:
    """Runs of 2–5 words that are an applicant's whole name; runs of 3–4 name-like words (all but one known name
    words) that are one edit away from a name."""
    signals: list[Clause] = []
    fuzzy: list[Clause] = []
    name_words = stats.vocabulary("name_f")
    named = [w for w in words if not w.term.folded.isdigit()]
    for size in range(2, min(5, len(named)) + 1):
        for start in range(len(named) - size + 1):
            window = named[start:start + size]
            folded = " ".join(w.term.folded for w in window)
            if stats.doc_freq("name_key_f", folded) > 0:
                signals.append(Term("name_key_f", folded, weights.name_key, constant=True))
                if exact:
                    signals.append(Term("name_key_x", " ".join(w.term.exact for w in window), weights.name_key_exact,
                                        constant=True))
            elif (size in (3, 4) and len(folded) >= 8
                  and sum(w.term.folded not in name_words for w in window) <= 1):
                fuzzy.append(Fuzzy("name_key_f", folded, weights.name_key_fuzzy))
    return signals + fuzzy[:weights.name_fuzzy_max]


class _Rarity:
    """Whether a phrase has a word rare enough in its field for the engine to evaluate it cheaply."""

    def __init__(self, stats: IndexStats, weights: Weights) -> None:
        self._stats = stats
        self._limit = weights.rare_share * stats.total
        self._seen: dict[tuple[str, str], int] = {}

    def cheap(self, phrase: Phrase) -> bool:
        for word in phrase.words:
            key = (phrase.field, word)
            if key not in self._seen:
                self._seen[key] = self._stats.doc_freq(phrase.field, word)
            if self._seen[key] <= self._limit:
                return True
        return False


def _proximity(words: list[_Word], weights: Weights, rarity: _Rarity) -> list[Clause]:
    """Proximity boosts: adjacent words in the metadata, the whole query as a phrase in the pages (exactly and a
    little apart), and runs of `window_size` words in the procedure name and in the pages, a run in the pages
    only if it has a rare word (a run of common words costs a scan of most postings and measured no better)."""
    folded = tuple(w.best for w in words)
    phrases: list[Phrase] = []
    for first, second in itertools.pairwise(folded):
        phrases += [Phrase(f, (first, second), boost) for f, boost in weights.bigram.items()]
    if len(folded) >= 2:
        if weights.phrase:
            phrases.append(Phrase("body_f", folded, weights.phrase))
        if weights.phrase_near:
            phrases.append(Phrase("body_f", folded, weights.phrase_near, slop=weights.phrase_slop))
    size = weights.window_size
    if len(folded) > size:
        phrases += [Phrase(f, folded[i:i + size], boost, slop=1) for f, boost in weights.window_fields.items()
                    for i in range(len(folded) - size + 1)]
    return [p for p in phrases if p.field != "body_f" or len(p.words) == len(folded) or rarity.cheap(p)]


def _catalogue_boosts(words: list[_Word], weights: Weights, stats: IndexStats) -> list[Clause]:
    query = [w.best for w in words]
    boosts: list[Clause] = []
    for field in CATALOGUE_FIELDS:
        pair, run = weights.catalogue_pair.get(field, 0.0), weights.catalogue_run.get(field, 0.0)
        if len(query) >= 2 and (pair or run):
            boosts += [Term(field, name, score, constant=True)
                       for name, score in stats.catalogue(field).proximity(query, pair=pair, run=run)]
    return boosts


def _explained(words: list[_Word], names: list[list[str]], weights: Weights, stats: IndexStats) -> bool:
    """Whether the words are mostly those of a procedure, agency or field name, of places and of the applicant
    names found: then the query is about the metadata, and looking for its words together in the pages (costly
    when they are common) is not needed to find what it means."""
    query = [w.best for w in words]
    covered = {i for i, w in enumerate(query) for name in names if w in name}
    for field in CATALOGUE_FIELDS:
        covered |= stats.catalogue(field).covered(query)
    for size in (2, 3):
        for start in range(len(query) - size + 1):
            if stats.doc_freq("place_key", " ".join(query[start:start + size])):
                covered.update(range(start, start + size))
    return len(covered) >= weights.explained_share * len(query)


def _place_boosts(words: list[_Word], weights: Weights, stats: IndexStats) -> list[Clause]:
    boosts: list[Clause] = []
    folded = [w.best for w in words]
    for size in (2, 3):
        for start in range(len(folded) - size + 1):
            place = " ".join(folded[start:start + size])
            if stats.doc_freq("place_key", place):
                boosts.append(Term("place_key", place, weights.place_key, constant=True))
            if stats.doc_freq("addr_key", place):
                boosts.append(Term("addr_key", place, weights.addr_key, constant=True))
    return boosts


def _quoted(query: ParsedQuery, exact: bool, weights: Weights) -> tuple[list[Clause], list[Clause]]:
    required: list[Clause] = []
    boosts: list[Clause] = []
    for phrase in query.phrases:
        words = tuple(t.folded for t in phrase)
        fields = ("body_f", "name_f", "place_f", "addr_f", "proc_f", "meta_f")
        required.append(AnyOf(tuple(Phrase(f, words, weights.fields[f] * 3) for f in fields)))
        if exact:
            spellings = {tuple(t.exact for t in phrase),
                         tuple(tone_variants(t.exact)[-1] for t in phrase)}  # new and old tone styles
            boosts += [Phrase(f, spelling, weights.fields[f] * 3)
                       for f in ("name_x", "proc_x", "meta_x") for spelling in sorted(spellings)]
    return required, boosts


@dataclass(frozen=True)
class _Unit:
    clause: AnyOf
    common: bool  # says little about an entry: in most entries' pages


def _units(words: list[_Word], exact: bool, weights: Weights, rarity: _Rarity) -> list[_Unit]:
    """One unit per free word, or per colloquial term / abbreviation (its words or its formal wording)."""
    groups = expansions(tuple(w.term.folded for w in words))
    starts = {g.start: g for g in groups}
    units: list[_Unit] = []
    index = 0
    while index < len(words):
        group = starts.get(index)
        if group is None:
            units.append(_Unit(AnyOf(tuple(_word_clauses(words[index], exact, weights))), words[index].common))
            index += 1
            continue
        covered = words[group.start:group.end]
        original = [c for w in covered for c in _word_clauses(w, exact, weights)]
        formal: list[Clause] = [p for p in (Phrase(f, phrase, boost) for phrase in group.expansion.phrases
                                            for f, boost in weights.synonym.items())
                                if p.field != "body_f" or rarity.cheap(p)]
        if group.expansion.field is not None:
            formal.append(Phrase("field_f", group.expansion.field, weights.synonym_field))
        common = all(w.common for w in covered) or any(not rarity.cheap(Phrase("body_f", phrase, 1.0))
                                                       for phrase in group.expansion.phrases)
        units.append(_Unit(AnyOf((AnyOf(tuple(original)), *formal)), common))
        index = group.end
    return units


def plan(query: ParsedQuery, *, weights: Weights = DEFAULT_WEIGHTS, stats: IndexStats | None = None) -> Plan:
    """The clauses that find and rank entries for `query`, using the index's statistics (if given) to correct
    typos, to tell common words and to look up only applicant names that exist."""
    stats = stats or NoStats()
    exact = query.typed_diacritics
    common = weights.common_share * stats.total if stats.total >= weights.common_min_entries else math.inf
    words = []
    for term in query.terms:
        fixes = tuple(corrections(term, stats, weights))
        words.append(_Word(term, fixes, stats.doc_freq("body_f", term.folded) > common,
                           frozenset(f for f in fixes if stats.doc_freq("body_f", f) > common)))
    rarity = _Rarity(stats, weights)
    all_units = _units(words, exact, weights, rarity)
    signals = _identifier_signals(query, weights) + _name_signals(words, exact, weights, stats)
    near = _proximity(words, weights, rarity)
    # A hit must contain most of the telling units (common words only rank, in the metadata). When every unit
    # is common: an identifier or a whole name says what is wanted and the words only rank, or else most of the
    # words must be in the metadata; and unless the officers' names and places explain the words, all of them
    # together in the pages also make a hit.
    units = [u.clause for u in all_units if not u.common]
    optional: list[Clause] = [u.clause for u in all_units if u.common]
    if not units and optional:
        names = [c.value.split() for c in signals if isinstance(c, Term) and c.field == "name_key_f"]
        identified = any(isinstance(c, Term) and not c.field.startswith("name_key") for c in signals)
        if not names and not identified:
            units, optional = [u for u in optional if isinstance(u, AnyOf)], []
        if not identified and not _explained(words, names, weights, stats):
            in_pages: list[Clause] = [c for c in near if isinstance(c, Phrase) and c.field == "body_f"
                                      and len(c.words) == len(words)]
            if len(words) == 1:
                in_pages = [Term("body_f", words[0].best, weights.fields["body_f"])]
            signals += in_pages
            near = [c for c in near if c not in in_pages]
    required, quoted_boosts = _quoted(query, exact, weights)
    return Plan(
        units=tuple(units),
        min_units=max(1, math.ceil(len(units) * weights.min_should_match)) if units else 0,
        signals=tuple(signals),
        required=tuple(required),
        boosts=tuple(optional + near + _catalogue_boosts(words, weights, stats) + _place_boosts(words, weights, stats)
                     + quoted_boosts),
        selective=not units and not required and bool(signals),
    )
