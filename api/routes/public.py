"""The citizens' endpoints: no bearer token. A lookup by dossier code and receipt secret, and the download of a
result document through the signed link the lookup handed out."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import BackendsDep, CalendarDep, ClientAddress, ClockDep, UowDep
from api.downloads import download_response
from api.errors import PUBLIC_ERROR_RESPONSES
from api.schemas.public import LookupRequest, PublicDossier
from records.blobs import original_key
from records.services.public import lookup_dossier, open_result_link

router = APIRouter(prefix="/public", tags=["public"], responses=PUBLIC_ERROR_RESPONSES)
# What the answer holds (the state of someone's dossier, signed links) stays out of shared caches and history.
NO_STORE = "no-store"


@router.post("/lookup", response_model=PublicDossier, summary="Tra cứu hồ sơ bằng mã hồ sơ và mã tra cứu",
             description="For the applicant, with the dossier code and the secret printed on the intake receipt: "
                         "state, appointment date, linked dossiers' progress and signed links (10 minutes) to the "
                         "results of each resolved dossier. No personal data. An unknown code and a wrong secret "
                         "both answer 404 `lookup_failed`; 5 failures for one code, or 30 from one address, within "
                         "15 minutes answer 429 `too_many_attempts` (with Retry-After) for 15 minutes.")
def lookup(body: LookupRequest, response: Response, backends: BackendsDep, uow: UowDep, clock: ClockDep,
           calendar: CalendarDep, client: ClientAddress) -> PublicDossier:
    found = lookup_dossier(uow=uow, clock=clock, calendar=calendar, signer=backends.signer, code=body.code,
                           secret=body.secret, client=client)
    response.headers["Cache-Control"] = NO_STORE
    return PublicDossier.of(found)


@router.get("/documents/{document_id}/download", summary="Tải kết quả giải quyết qua đường dẫn có chữ ký",
            description="The link from a lookup's `results`. A bad or altered signature: 403 `link_invalid`; "
                        "past its time: 403 `link_expired`.",
            responses={200: {"content": {"application/octet-stream": {}}}, 307: {"description": "S3 link"}})
def download_result(document_id: str, backends: BackendsDep, uow: UowDep, clock: ClockDep, client: ClientAddress,
                    expires: Annotated[int, Query(ge=0, le=2**40, description="Unix seconds")],
                    signature: Annotated[str, Query(max_length=128)]) -> Response:
    document = open_result_link(uow=uow, clock=clock, signer=backends.signer, document_id=document_id,
                                expires=expires, signature=signature, client=client)
    remaining = timedelta(seconds=max(1, expires - int(clock.now().timestamp())))
    response = download_response(backends.blobs, original_key(document.sha256), document.filename,
                                 document.media_type, lifetime=remaining)
    response.headers["Cache-Control"] = NO_STORE
    return response
