from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import BackendsDep, ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES
from api.schemas.bounds import DateQuery
from records.dossiers import Dossier, DossierState
from records.search import SearchFilters
from records.services.search import search_dossiers

router = APIRouter(prefix="/search", tags=["search"], responses=ERROR_RESPONSES)


class HighlightPublic(BaseModel):
    document_id: str
    document_title: str | None
    page_number: int
    snippet: str  # HTML-escaped text with <mark> around matches


class HitDossierPublic(BaseModel):
    """What labels a hit in a result list (so the list needs no request per hit)."""

    procedure_code: str
    state: DossierState
    receiving_agency_code: str
    holder_agency_code: str
    applicant_name: str
    received_at: datetime
    due_at: datetime | None
    parent_code: str | None

    @classmethod
    def of(cls, dossier: Dossier) -> HitDossierPublic:
        return cls(procedure_code=dossier.procedure_code, state=dossier.state,
                   receiving_agency_code=dossier.receiving_agency_code, holder_agency_code=dossier.holder_agency_code,
                   applicant_name=dossier.applicant.name, received_at=dossier.received_at, due_at=dossier.due_at,
                   parent_code=dossier.parent_code)


class HitPublic(BaseModel):
    dossier_code: str
    score: float
    dossier: HitDossierPublic | None
    highlights: list[HighlightPublic]


class SearchPublic(BaseModel):
    data: list[HitPublic]
    count: int
    facets: dict[str, dict[str, int]]


@router.get("", response_model=SearchPublic, summary="Tìm kiếm hồ sơ và tài liệu",
            description="Words with or without diacritics (exact diacritics rank higher), \"quoted phrases\", "
                        "12-digit ID numbers, dossier codes, parcel numbers; filters; facet counts; snippets "
                        "naming the page. Only dossiers the caller may read (taking part, succession, a linked "
                        "dossier, a whole-dossier share) are matched, counted or faceted. The query and every "
                        "document a snippet shows are written to the access log.")
def search(
    backends: BackendsDep, uow: UowDep, clock: ClockDep, user: CurrentUser,
    q: Annotated[str, Query(max_length=500)] = "",
    agency_code: str | None = None, procedure_code: str | None = None, field: str | None = None,
    state: str | None = None, document_type: str | None = None,
    received_from: DateQuery | None = None, received_to: DateQuery | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10, offset: Annotated[int, Query(ge=0, le=990)] = 0,
    facets: bool = True,
) -> SearchPublic:
    page = search_dossiers(
        uow=uow, clock=clock, index=backends.search, actor=user, text=q,
        filters=SearchFilters(agency_code=agency_code, procedure_code=procedure_code, field=field, state=state,
                              document_type=document_type, received_from=received_from, received_to=received_to),
        limit=limit, offset=offset, with_facets=facets)
    results = page.results
    return SearchPublic(
        data=[HitPublic(dossier_code=h.dossier_code, score=round(h.score, 4),
                        dossier=HitDossierPublic.of(page.dossiers[h.dossier_code])
                        if h.dossier_code in page.dossiers else None,
                        highlights=[HighlightPublic(document_id=x.document_id,
                                                    document_title=page.document_titles.get(x.document_id),
                                                    page_number=x.page_number, snippet=x.snippet)
                                    for x in h.highlights])
              for h in results.hits],
        count=results.total, facets=results.facets)
