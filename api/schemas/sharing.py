"""Schemas for shares, integration accounts and the access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.bounds import BoundedAwareDateTime
from records.access import Scope
from records.access_log import AccessEntry, AccessKind
from records.integrations import IntegrationAccount
from records.shares import MAX_PURPOSE_LENGTH, Share, ShareStatus


class ShareCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grantee_agency_code: str = Field(min_length=1, max_length=40, description="the agency or system to share with")
    purpose: str = Field(min_length=1, max_length=MAX_PURPOSE_LENGTH, description="why it needs the papers")
    expires_at: BoundedAwareDateTime = Field(description="when access ends (at most a year ahead)")
    document_ids: list[str] = Field(default_factory=list, max_length=200,
                                    description="share only these documents; empty: the whole dossier")
    allow_attach: bool = Field(default=False, description="the grantee may attach its results (whole dossier only)")


class ShareRevoke(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=1000)


class SharePublic(BaseModel):
    id: str
    dossier_code: str
    grantor_agency_code: str
    grantee_agency_code: str
    purpose: str
    whole_dossier: bool
    document_ids: list[str]
    allow_attach: bool
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    status: ShareStatus
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str

    @classmethod
    def of(cls, share: Share, *, now: datetime) -> SharePublic:
        return cls(id=share.id, dossier_code=share.dossier_code, grantor_agency_code=share.grantor_agency_code,
                   grantee_agency_code=share.grantee_agency_code, purpose=share.purpose,
                   whole_dossier=share.whole_dossier, document_ids=list(share.document_ids),
                   allow_attach=share.allow_attach, granted_by=share.granted_by, granted_at=share.granted_at,
                   expires_at=share.expires_at, status=share.status(now), revoked_at=share.revoked_at,
                   revoked_by=share.revoked_by, revoke_reason=share.revoke_reason)


class SharesPublic(BaseModel):
    data: list[SharePublic]
    count: int


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    agency_code: str = Field(min_length=1, max_length=40, description="the agency (or system) it acts for")
    scopes: list[Scope] = Field(min_length=1, description="read: pull dossiers and papers; attach: add results")
    expires_at: BoundedAwareDateTime | None = None


class IntegrationPublic(BaseModel):
    id: str
    name: str
    agency_code: str
    scopes: list[Scope]
    username: str = Field(description="how the account appears in histories and the access log")
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    active: bool

    @classmethod
    def of(cls, account: IntegrationAccount, *, now: datetime) -> IntegrationPublic:
        return cls(id=account.id, name=account.name, agency_code=account.agency_code, scopes=sorted(account.scopes),
                   username=account.username, created_by=account.created_by, created_at=account.created_at,
                   expires_at=account.expires_at, revoked_at=account.revoked_at, revoked_by=account.revoked_by,
                   active=account.usable(now))


class IntegrationIssued(IntegrationPublic):
    token: str = Field(description="the service token, shown this once: send it as `Authorization: Bearer <token>`")


class IntegrationsPublic(BaseModel):
    data: list[IntegrationPublic]
    count: int


class AccessEntryPublic(BaseModel):
    id: int | None
    at: datetime
    principal_kind: str
    username: str
    agency_code: str | None
    action: AccessKind
    reason: str
    dossier_code: str | None
    document_id: str | None
    share_id: str | None
    client: str | None
    detail: dict[str, Any]

    @classmethod
    def of(cls, item: AccessEntry) -> AccessEntryPublic:
        return cls(id=item.id, at=item.at, principal_kind=item.principal_kind, username=item.username,
                   agency_code=item.agency_code, action=item.action, reason=item.reason,
                   dossier_code=item.dossier_code, document_id=item.document_id, share_id=item.share_id,
                   client=item.client, detail=item.detail)


class AccessLogPublic(BaseModel):
    data: list[AccessEntryPublic]
    count: int
