"""The SQL repositories of what lets other agencies and systems reach a dossier: shares and integration
accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from records.access import Scope, ShareGrant
from records.errors import NotFound
from records.integrations import IntegrationAccount
from records.shares import Share
from storage.models import DossierRow, IntegrationAccountRow, ShareDocumentRow, ShareRow, table_of

SHARES = table_of(ShareRow)
SHARE_DOCUMENTS = table_of(ShareDocumentRow)
DOSSIERS = table_of(DossierRow)
ACCOUNTS = table_of(IntegrationAccountRow)

_SELECT_SHARES = select(SHARES, DOSSIERS.c.code.label("dossier_code")).join(
    DOSSIERS, DOSSIERS.c.id == SHARES.c.dossier_id)


class SqlShareRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _documents_of(self, share_ids: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {i: [] for i in share_ids}
        if share_ids:
            rows = self.session.execute(select(SHARE_DOCUMENTS.c.share_id, SHARE_DOCUMENTS.c.document_id)
                                        .where(SHARE_DOCUMENTS.c.share_id.in_(list(share_ids)))
                                        .order_by(SHARE_DOCUMENTS.c.document_id))
            for share_id, document_id in rows:
                found[share_id].append(document_id)
        return found

    def _to_domain(self, rows: Sequence[Any]) -> list[Share]:
        documents = self._documents_of([r.id for r in rows])
        return [Share(id=r.id, dossier_code=r.dossier_code, grantor_agency_code=r.grantor_agency_code,
                      grantee_agency_code=r.grantee_agency_code, purpose=r.purpose, granted_by=r.granted_by,
                      granted_at=r.granted_at, expires_at=r.expires_at, whole_dossier=r.whole_dossier,
                      document_ids=tuple(documents[r.id]), allow_attach=r.allow_attach, revoked_at=r.revoked_at,
                      revoked_by=r.revoked_by, revoke_reason=r.revoke_reason) for r in rows]

    def add(self, share: Share) -> None:
        dossier_id = self.session.scalar(select(DOSSIERS.c.id).where(DOSSIERS.c.code == share.dossier_code))
        if dossier_id is None:
            raise NotFound(code="dossier_not_found", detail={"dossier_code": share.dossier_code})
        self.session.execute(insert(SHARES).values(
            id=share.id, dossier_id=dossier_id, grantor_agency_code=share.grantor_agency_code,
            grantee_agency_code=share.grantee_agency_code, purpose=share.purpose, allow_attach=share.allow_attach,
            whole_dossier=share.whole_dossier, granted_by=share.granted_by, granted_at=share.granted_at,
            expires_at=share.expires_at, revoked_at=share.revoked_at, revoked_by=share.revoked_by,
            revoke_reason=share.revoke_reason))
        if share.document_ids:
            self.session.execute(insert(SHARE_DOCUMENTS), [{"share_id": share.id, "document_id": d}
                                                           for d in sorted(set(share.document_ids))])

    def get(self, share_id: str) -> Share | None:
        rows = list(self.session.execute(_SELECT_SHARES.where(SHARES.c.id == share_id)))
        return self._to_domain(rows)[0] if rows else None

    def save(self, share: Share) -> None:
        self.session.execute(update(SHARES).where(SHARES.c.id == share.id).values(
            revoked_at=share.revoked_at, revoked_by=share.revoked_by, revoke_reason=share.revoke_reason))

    def for_dossier(self, dossier_code: str) -> list[Share]:
        rows = list(self.session.execute(_SELECT_SHARES.where(DOSSIERS.c.code == dossier_code)
                                         .order_by(SHARES.c.granted_at.desc(), SHARES.c.id)))
        return self._to_domain(rows)

    def grants_for(self, dossier_code: str, agencies: frozenset[str]) -> list[ShareGrant]:
        if not agencies:
            return []
        rows = list(self.session.execute(
            select(SHARES.c.id, SHARES.c.grantee_agency_code, SHARES.c.expires_at, SHARES.c.whole_dossier,
                   SHARES.c.allow_attach, SHARES.c.revoked_at)
            .join(DOSSIERS, DOSSIERS.c.id == SHARES.c.dossier_id)
            .where(DOSSIERS.c.code == dossier_code, SHARES.c.grantee_agency_code.in_(sorted(agencies)))))
        documents = self._documents_of([r.id for r in rows if not r.whole_dossier])
        return [ShareGrant(share_id=r.id, grantee_agency_code=r.grantee_agency_code, expires_at=r.expires_at,
                           whole_dossier=r.whole_dossier, document_ids=frozenset(documents.get(r.id, ())),
                           allow_attach=r.allow_attach, revoked_at=r.revoked_at) for r in rows]

    def received(self, agencies: frozenset[str], *, now: datetime, active_only: bool, limit: int,
                 offset: int) -> tuple[list[Share], int]:
        conditions: list[Any] = [SHARES.c.grantee_agency_code.in_(sorted(agencies))]
        if active_only:
            conditions += [SHARES.c.revoked_at.is_(None), SHARES.c.expires_at > now]
        count = self.session.scalar(select(func.count()).select_from(SHARES).where(*conditions)) or 0
        rows = list(self.session.execute(_SELECT_SHARES.where(*conditions)
                                         .order_by(SHARES.c.granted_at.desc(), SHARES.c.id)
                                         .limit(limit).offset(offset)))
        return self._to_domain(rows), int(count)

    def shared_dossier_codes(self, agencies: frozenset[str], now: datetime) -> frozenset[str]:
        if not agencies:
            return frozenset()
        return frozenset(self.session.scalars(
            select(DOSSIERS.c.code).join(SHARES, SHARES.c.dossier_id == DOSSIERS.c.id)
            .where(SHARES.c.grantee_agency_code.in_(sorted(agencies)), SHARES.c.whole_dossier.is_(True),
                   SHARES.c.revoked_at.is_(None), SHARES.c.expires_at > now)))


class SqlIntegrationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: Any) -> IntegrationAccount:
        return IntegrationAccount(id=row.id, name=row.name, agency_code=row.agency_code,
                                  scopes=frozenset(Scope(s) for s in row.scopes), token_digest=row.token_digest,
                                  created_by=row.created_by, created_at=row.created_at, expires_at=row.expires_at,
                                  revoked_at=row.revoked_at, revoked_by=row.revoked_by)

    @staticmethod
    def _values(account: IntegrationAccount) -> dict[str, Any]:
        return {"name": account.name, "agency_code": account.agency_code,
                "scopes": sorted(s.value for s in account.scopes), "token_digest": account.token_digest,
                "created_by": account.created_by, "created_at": account.created_at,
                "expires_at": account.expires_at, "revoked_at": account.revoked_at, "revoked_by": account.revoked_by}

    def add(self, account: IntegrationAccount) -> None:
        self.session.execute(insert(ACCOUNTS).values(id=account.id, **self._values(account)))

    def get(self, account_id: str) -> IntegrationAccount | None:
        row = self.session.execute(select(ACCOUNTS).where(ACCOUNTS.c.id == account_id)).one_or_none()
        return None if row is None else self._to_domain(row)

    def save(self, account: IntegrationAccount) -> None:
        self.session.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == account.id).values(**self._values(account)))

    def list(self, agency_code: str | None = None) -> list[IntegrationAccount]:
        stmt = select(ACCOUNTS).order_by(ACCOUNTS.c.created_at.desc(), ACCOUNTS.c.id)
        if agency_code is not None:
            stmt = stmt.where(ACCOUNTS.c.agency_code == agency_code)
        return [self._to_domain(r) for r in self.session.execute(stmt)]
