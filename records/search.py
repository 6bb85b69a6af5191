"""The search port: what is indexed (one entry per dossier, with its documents' pages), what is asked,
and what comes back. Adapters live in search/ (embedded tantivy, Elasticsearch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from records.blobs import BackendUnavailable


@dataclass(frozen=True)
class IndexedDocument:
    """One paper of a dossier: its metadata and its text, page by page (page 1 first)."""

    document_id: str
    document_type: str
    title: str
    pages: tuple[str, ...]
    number_notation: str | None = None  # số, ký hiệu văn bản
    issuing_organ: str | None = None
    signer: str | None = None
    issued_date: date | None = None


@dataclass(frozen=True)
class DossierIndexEntry:
    """A dossier as the index sees it: officers' metadata (clean) and the documents' OCR text (noisy)."""

    dossier_code: str
    visible_to: frozenset[str]  # agencies that may find it (the access rule's participants)
    receiving_agency_code: str
    agency_name: str
    procedure_code: str
    procedure_name: str
    field: str
    state: str
    received_at: datetime
    applicant_name: str
    applicant_id_number: str
    applicant_address: str = ""
    subject: str = ""
    documents: tuple[IndexedDocument, ...] = ()


@dataclass(frozen=True)
class SearchFilters:
    agency_code: str | None = None
    procedure_code: str | None = None
    field: str | None = None
    state: str | None = None
    document_type: str | None = None
    received_from: date | None = None
    received_to: date | None = None


@dataclass(frozen=True)
class SearchQuery:
    text: str
    visible_to: frozenset[str] | None  # None: no restriction (admin); filtered inside the engine
    filters: SearchFilters = field(default_factory=SearchFilters)
    # Dossiers visible besides those of `visible_to`: shared whole with the caller's agency, share active now.
    shared_codes: frozenset[str] = frozenset()
    limit: int = 10
    offset: int = 0
    with_facets: bool = False


@dataclass(frozen=True)
class Highlight:
    document_id: str
    page_number: int  # 1-based
    snippet: str  # with <mark>…</mark> around matched words; other text escaped


@dataclass(frozen=True)
class SearchHit:
    dossier_code: str
    score: float
    highlights: tuple[Highlight, ...] = ()


@dataclass(frozen=True)
class SearchResults:
    hits: tuple[SearchHit, ...]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)  # field -> value -> count


class SearchIndex(Protocol):
    def upsert(self, entries: Sequence[DossierIndexEntry]) -> None:
        """Adds or replaces entries by dossier code. Safe to repeat."""
        ...

    def delete(self, dossier_codes: Sequence[str]) -> None:
        """Removes entries; unknown codes are ignored. Safe to repeat."""
        ...

    def query(self, query: SearchQuery) -> SearchResults:
        """Best first. Only entries visible to `query.visible_to` (or in `query.shared_codes`) are counted,
        faceted or returned."""
        ...

    def count(self) -> int: ...

    def check(self) -> None:
        """Cheap health check for /readyz: raises SearchUnavailable when the index cannot be read, or (a local
        directory) written. Writes nothing. Safe to repeat."""
        ...


class SearchUnavailable(BackendUnavailable):
    """The search index cannot be read or written right now. Searches answer 503; writes go on (index tasks retry
    and `hoso reindex` catches up). `detail["reason"]`: "permission" (the index's files cannot be written: fix the
    owner or mode, never delete the index), "schema" (built by another version: rebuild it), "damaged" (unreadable
    files: rebuild it), "unreachable" (a search server does not answer)."""

    code = "search_unavailable"
    message_vi = ("Chức năng tìm kiếm tạm thời không hoạt động; việc tiếp nhận và xử lý hồ sơ vẫn diễn ra bình "
                  "thường. Vui lòng thử lại sau.")
    message_en = "Search is unavailable right now; dossiers are still received and processed. Please try again later."
