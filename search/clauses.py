"""The language between the ranking policy (`search.ranking`) and the adapters: the logical index fields, the
clauses of a query plan, and the statistics a plan may ask of an index."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from search.catalogue import Catalogue

# Logical fields: the tantivy field names (the Elasticsearch adapter maps them to its mapping, `FIELDS`).
METADATA_FOLDED = ("name_f", "place_f", "addr_f", "proc_f", "field_f", "meta_f")
FOLDED_FIELDS = (*METADATA_FOLDED, "body_f")
# Exact forms only for the officers' metadata: OCR marks are too noisy to rank pages by (measured: no gain on the
# dev set, for 40% of the indexing time).
EXACT_FIELDS = ("name_x", "place_x", "addr_x", "proc_x", "meta_x")
VOCABULARY_FIELDS = ("name_f", "place_f", "addr_f", "proc_f", "field_f")
ALL_METADATA = "*"
CATALOGUE_FIELDS = ("proc_name", "agency_name", "field_kw")  # keyword fields holding the names as written


@dataclass(frozen=True)
class Term:
    field: str
    value: str
    boost: float
    constant: bool = False  # score `boost` flat instead of BM25 × boost


@dataclass(frozen=True)
class Phrase:
    field: str
    words: tuple[str, ...]
    boost: float
    slop: int = 0


@dataclass(frozen=True)
class Fuzzy:
    field: str
    value: str
    boost: float  # flat score: engines do not BM25-score fuzzy expansions alike


@dataclass(frozen=True)
class AnyOf:
    clauses: tuple[Clause, ...]
    boost: float = 1.0


Clause = Term | Phrase | Fuzzy | AnyOf


@dataclass(frozen=True)
class Plan:
    units: tuple[AnyOf, ...] = ()  # free words (and synonym groups): at least `min_units` must match…
    min_units: int = 0
    signals: tuple[Clause, ...] = ()  # …or any one of these (identifiers, whole names)
    required: tuple[Clause, ...] = ()  # quoted phrases: all must match
    boosts: tuple[Clause, ...] = ()  # only add to the score
    selective: bool = False  # only identifiers or whole names match: few entries, boosts best scored one by one

    @property
    def matches_everything(self) -> bool:
        return not (self.units or self.signals or self.required)


class IndexStats(Protocol):
    """What the planner may ask the index: term statistics and the words of the officers' metadata."""

    @property
    def total(self) -> int: ...

    def doc_freq(self, field: str, term: str) -> int: ...

    def vocabulary(self, field: str = ALL_METADATA) -> Mapping[str, int]:
        """Folded words of one of `VOCABULARY_FIELDS` (or of all of them: names, agencies, addresses, procedures,
        fields), with their entry counts."""
        ...

    def catalogue(self, field: str) -> Catalogue:
        """The distinct names of a keyword field of `CATALOGUE_FIELDS`."""
        ...


class NoStats:
    """Planning without statistics: no typo correction, every name run looked up."""

    total = 1

    def doc_freq(self, field: str, term: str) -> int:
        return 1

    def vocabulary(self, field: str = ALL_METADATA) -> Mapping[str, int]:
        return {}

    def catalogue(self, field: str) -> Catalogue:
        return Catalogue(())
