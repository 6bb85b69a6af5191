"""Schemas of the citizens' side: the lookup by code and receipt secret, and the receipt itself.

Nothing personal leaves through these: no applicant name, ID number, phone or address, no officer names."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ConfigDict, Field

from records.dossiers import DossierState
from records.services.public import LinkedProgress, PublicLookup, ResultLink

PUBLIC_DOWNLOAD_PATH = "/api/v1/public/documents/{document_id}/download"


class LookupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=60, description="the dossier code on the receipt")
    secret: str = Field(min_length=1, max_length=40,
                        description="the secret on the receipt, e.g. 7KQ4-M9XA-TC (case, spaces and dashes "
                                    "do not matter)")


class PublicLinkedDossier(BaseModel):
    code: str
    procedure_name: str
    agency_name: str
    state: DossierState
    due_at: datetime | None
    resolved_at: datetime | None
    late: bool

    @classmethod
    def of(cls, progress: LinkedProgress) -> PublicLinkedDossier:
        d = progress.dossier
        return cls(code=d.code, procedure_name=progress.procedure_name, agency_name=progress.agency_name,
                   state=d.state, due_at=d.due_at, resolved_at=d.resolved_at, late=progress.late)


class PublicResult(BaseModel):
    dossier_code: str
    title: str
    media_type: str
    size_bytes: int
    download_url: str = Field(description="a signed link, valid until expires_at; look up again for a new one")
    expires_at: datetime

    @classmethod
    def of(cls, result: ResultLink) -> PublicResult:
        document, link = result.document, result.link
        path = PUBLIC_DOWNLOAD_PATH.format(document_id=quote(document.id, safe=""))
        query = urlencode({"expires": link.expires, "signature": link.signature})
        return cls(dossier_code=document.dossier_code, title=document.title, media_type=document.media_type,
                   size_bytes=document.size_bytes, download_url=f"{path}?{query}", expires_at=link.expires_at)


class PublicDossier(BaseModel):
    """A dossier as the applicant may see it with the receipt: where it stands and when it is due."""

    code: str
    procedure_code: str
    procedure_name: str
    agency_name: str = Field(description="the receiving desk")
    state: DossierState
    received_at: datetime
    due_at: datetime | None = Field(description="the appointment date (ngày hẹn trả kết quả)")
    extended_due_at: datetime | None = Field(description="a later date promised by an apology letter")
    resolved_at: datetime | None
    completed_at: datetime | None
    late: bool
    linked: list[PublicLinkedDossier] = Field(description="a group dossier's (\"3 in 1\") linked dossiers")
    results: list[PublicResult] = Field(description="result documents of the dossiers already resolved")

    @classmethod
    def of(cls, found: PublicLookup) -> PublicDossier:
        d = found.dossier
        return cls(code=d.code, procedure_code=d.procedure_code, procedure_name=found.procedure_name,
                   agency_name=found.agency_name, state=d.state, received_at=d.received_at, due_at=d.due_at,
                   extended_due_at=d.extended_due_at, resolved_at=d.resolved_at, completed_at=d.completed_at,
                   late=found.late, linked=[PublicLinkedDossier.of(p) for p in found.linked],
                   results=[PublicResult.of(r) for r in found.results])


class ReceiptPublic(BaseModel):
    dossier_code: str
    receipt_secret: str = Field(description="the new secret; the previous one no longer works")
