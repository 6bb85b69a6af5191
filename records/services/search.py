"""Use cases for search: keeping a dossier's index entry current, and searching as an officer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from records.access import Decision, Principal, visible_agencies
from records.access_log import AccessEntry, AccessKind, entry
from records.clock import Clock
from records.dossiers import Dossier
from records.errors import ValidationFailed
from records.ports import DossierFilters, DossierQuery, UnitOfWork
from records.search import (
    DossierIndexEntry,
    IndexedDocument,
    SearchFilters,
    SearchIndex,
    SearchQuery,
    SearchResults,
)
from records.services.access import log_access

MAX_QUERY_LENGTH = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # lateness plays no part in a reindex listing
MAX_RESULTS_WINDOW = 1000


def index_entry(uow: UnitOfWork, dossier_code: str) -> DossierIndexEntry | None:
    """The dossier as the index should see it now (None when it no longer exists). Reads only."""
    dossier = uow.dossiers.get(dossier_code)
    if dossier is None:
        return None
    procedure = uow.procedures.get(dossier.procedure_code)
    agency = uow.agencies.get(dossier.receiving_agency_code)
    documents = []
    for document in uow.documents.list_for_dossier(dossier_code):
        pages = uow.documents.pages(document.id)  # stored once extracted, searchable from then on
        meta = document.metadata
        documents.append(IndexedDocument(
            document_id=document.id, document_type=document.document_type.value, title=document.title,
            pages=tuple(p.text for p in pages), number_notation=meta.number_notation,
            issuing_organ=meta.issuing_organ, signer=meta.signer, issued_date=meta.issued_date))
    # Whoever inherits a participant agency's dossiers finds them too: the index stores the participants
    # and queries ask with the caller's reachable agencies (own + predecessors).
    return DossierIndexEntry(
        dossier_code=dossier.code, visible_to=frozenset(dossier.participant_agencies | dossier.linked_agencies),
        receiving_agency_code=dossier.receiving_agency_code, agency_name=agency.name if agency else "",
        procedure_code=dossier.procedure_code, procedure_name=procedure.name if procedure else "",
        field=procedure.field if procedure else "", state=dossier.state.value, received_at=dossier.received_at,
        applicant_name=dossier.applicant.name, applicant_id_number=dossier.applicant.id_number,
        applicant_address=dossier.applicant.address or "", subject=dossier.subject, documents=tuple(documents))


def index_dossier(*, uow: UnitOfWork, index: SearchIndex, dossier_code: str) -> bool:
    """Brings the dossier's index entry up to date (or removes it). Safe to repeat. True when indexed."""
    with uow:
        entry = index_entry(uow, dossier_code)
    if entry is None:
        index.delete([dossier_code])
        return False
    index.upsert([entry])
    return True


def all_dossier_codes(uow: UnitOfWork, *, batch: int = 500) -> Iterator[list[str]]:
    """Every dossier code, in batches (for `hoso reindex`)."""
    offset = 0
    while True:
        with uow:
            page, _ = uow.dossiers.find(DossierQuery(DossierFilters(limit=batch, offset=offset),
                                                     visible_agencies=None, now=EPOCH))
        if not page:
            return
        yield [d.code for d in page]
        offset += batch


def reindex_all(*, uow: UnitOfWork, index: SearchIndex, batch: int = 200) -> int:
    """Rebuilds every dossier's entry from the database and the stored page texts. Safe to repeat."""
    count = 0
    for codes in all_dossier_codes(uow, batch=batch):
        entries = []
        with uow:
            for code in codes:
                entry = index_entry(uow, code)
                if entry is not None:
                    entries.append(entry)
        index.upsert(entries)
        count += len(entries)
    return count


@dataclass(frozen=True)
class SearchPage:
    """Results as an officer reads them: the hits, and what labels them (dossier and document titles), so a
    result list needs no further request per hit."""

    results: SearchResults
    dossiers: dict[str, Dossier]
    document_titles: dict[str, str]


def search_dossiers(*, uow: UnitOfWork, clock: Clock, index: SearchIndex, actor: Principal, text: str,
                    filters: SearchFilters, limit: int = 10, offset: int = 0, with_facets: bool = True) -> SearchPage:
    """Search as this officer: only dossiers they may read — by taking part, by succession, through a linked
    dossier, or shared whole with their agency — are matched, counted or faceted (inside the engine).

    The query goes to the access log, and so does every document whose text a snippet shows."""
    if not text.strip() and filters == SearchFilters():
        raise ValidationFailed("Nhập từ khóa hoặc chọn bộ lọc để tìm kiếm.", "Type words or choose a filter.",
                               code="empty_query")
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationFailed("Từ khóa quá dài.", "The query is too long.", code="query_too_long",
                               detail={"max_length": MAX_QUERY_LENGTH})
    if not 1 <= limit <= 100 or offset < 0 or offset + limit > MAX_RESULTS_WINDOW:
        raise ValidationFailed("Phân trang không hợp lệ.", "Invalid page.", code="invalid_page",
                               detail={"max_window": MAX_RESULTS_WINDOW})
    if filters.received_from and filters.received_to and filters.received_from > filters.received_to:
        raise ValidationFailed("Khoảng ngày không hợp lệ.", "The date range is reversed.", code="invalid_date_range")
    now = clock.now()
    visible = visible_agencies(actor)
    with uow:
        shared = uow.shares.shared_dossier_codes(visible, now) if visible is not None else frozenset()
    results = index.query(SearchQuery(text=text.strip(), visible_to=visible, filters=filters, limit=limit,
                                      offset=offset, with_facets=with_facets, shared_codes=shared))
    codes = [hit.dossier_code for hit in results.hits]
    document_ids = sorted({h.document_id for hit in results.hits for h in hit.highlights})
    with uow:
        dossiers = {d.code: d for d in uow.dossiers.get_many(codes)}
        titles = uow.documents.titles(document_ids)
        log_access(uow, _search_entries(actor, now, text, filters, results))
    return SearchPage(results, dossiers, titles)


def _search_entries(actor: Principal, now: datetime, text: str, filters: SearchFilters,
                    results: SearchResults) -> list[AccessEntry]:
    """The query (its words, filters and count), and every document a snippet shows."""
    searched = Decision(True, "query")
    entries = [entry(actor, AccessKind.SEARCH, searched, now, detail={
        "q": text.strip(), "filters": {k: str(v) for k, v in asdict(filters).items() if v is not None},
        "count": results.total})]
    shown = Decision(True, "search_result")
    entries += [entry(actor, AccessKind.SNIPPET, shown, now, dossier_code=hit.dossier_code,
                      document_id=document_id)
                for hit in results.hits for document_id in dict.fromkeys(h.document_id for h in hit.highlights)]
    return entries
