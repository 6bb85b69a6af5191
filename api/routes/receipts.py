"""The intake receipt, issued again at the desk with a new secret (the old one stops working)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import BackendsDep, ClockDep, CurrentUser, UowDep
from api.errors import ERROR_RESPONSES, wants_english
from api.reports.receipt_pdf import LOOKUP_PAGE_PATH, render_receipt_pdf
from api.schemas.public import ReceiptPublic
from records.services.receipts import reissue_receipt

router = APIRouter(prefix="/dossiers", tags=["receipts"], responses=ERROR_RESPONSES)


class ReceiptFormat(StrEnum):
    PDF = "pdf"
    JSON = "json"


@router.post("/{code}/receipt", summary="Cấp (lại) giấy tiếp nhận hồ sơ và hẹn trả kết quả",
             description="For the desk that received the dossier (reception or leader; admins): issues a new "
                         "receipt secret — the previous one stops working — and answers the printable receipt "
                         "(`format=pdf`, the default) or `{dossier_code, receipt_secret}` (`format=json`). "
                         "Others who may read the dossier get 403; those who may not, 404.",
             responses={200: {"content": {"application/pdf": {}, "application/json": {
                 "schema": ReceiptPublic.model_json_schema()}}}})
def issue_receipt(code: str, request: Request, backends: BackendsDep, uow: UowDep, clock: ClockDep,
                  user: CurrentUser, format: Annotated[ReceiptFormat, Query()] = ReceiptFormat.PDF,
                  lang: str | None = None) -> Response:
    receipt = reissue_receipt(uow=uow, clock=clock, signer=backends.signer, actor=user, code=code)
    headers = {"Cache-Control": "no-store"}  # it carries the secret
    if format is ReceiptFormat.JSON:
        body = ReceiptPublic(dossier_code=receipt.dossier.code, receipt_secret=receipt.secret)
        return Response(body.model_dump_json(), media_type="application/json", headers=headers)
    language = lang or ("en" if wants_english(request) else "vi")
    lookup_url = str(request.base_url).rstrip("/") + LOOKUP_PAGE_PATH
    pdf = render_receipt_pdf(receipt, lookup_url=lookup_url, language="en" if language == "en" else "vi")
    headers["Content-Disposition"] = f'inline; filename="giay-tiep-nhan-{receipt.dossier.code}.pdf"'
    return Response(pdf, media_type="application/pdf", headers=headers)
