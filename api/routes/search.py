from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import BackendsDep, CurrentUser
from api.errors import ERROR_RESPONSES
from records.search import SearchFilters
from records.services.search import search_dossiers

router = APIRouter(prefix="/search", tags=["search"], responses=ERROR_RESPONSES)


class HighlightPublic(BaseModel):
    document_id: str
    page_number: int
    snippet: str  # HTML-escaped text with <mark> around matches


class HitPublic(BaseModel):
    dossier_code: str
    score: float
    highlights: list[HighlightPublic]


class SearchPublic(BaseModel):
    data: list[HitPublic]
    count: int
    facets: dict[str, dict[str, int]]


@router.get("", response_model=SearchPublic, summary="Tìm kiếm hồ sơ và tài liệu",
            description="Words with or without diacritics (exact diacritics rank higher), \"quoted phrases\", "
                        "12-digit ID numbers, dossier codes, parcel numbers; filters; facet counts; snippets "
                        "naming the page. Only dossiers the caller may read are matched, counted or faceted.")
def search(
    backends: BackendsDep, user: CurrentUser,
    q: Annotated[str, Query(max_length=500)] = "",
    agency_code: str | None = None, procedure_code: str | None = None, field: str | None = None,
    state: str | None = None, document_type: str | None = None,
    received_from: date | None = None, received_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10, offset: Annotated[int, Query(ge=0, le=990)] = 0,
    facets: bool = True,
) -> SearchPublic:
    results = search_dossiers(
        index=backends.search, actor=user, text=q,
        filters=SearchFilters(agency_code=agency_code, procedure_code=procedure_code, field=field, state=state,
                              document_type=document_type, received_from=received_from, received_to=received_to),
        limit=limit, offset=offset, with_facets=facets)
    return SearchPublic(
        data=[HitPublic(dossier_code=h.dossier_code, score=round(h.score, 4),
                        highlights=[HighlightPublic(document_id=x.document_id, page_number=x.page_number,
                                                    snippet=x.snippet) for x in h.highlights])
              for h in results.hits],
        count=results.total, facets=results.facets)
