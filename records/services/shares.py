"""Use cases for explicit shares: an agency that took part in a dossier lends it (or some of its documents) to
another agency or specialised system, for a purpose, until a date; the grantor revokes it at will."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from records.access import WORKING_ROLES, Action, Principal, visible_agencies
from records.access_log import AccessKind
from records.clock import Clock
from records.errors import NotFound, PermissionDenied, ValidationFailed
from records.ports import UnitOfWork
from records.services.access import audited, authorize, require
from records.services.catalogue import operating_agency
from records.services.webhooks import announce
from records.shares import Share, check_share_terms
from records.webhooks import EventType

MAX_DOCUMENTS_PER_SHARE = 200


def _share_not_found(share_id: str) -> NotFound:
    return NotFound("Không tìm thấy lượt chia sẻ.", "Share not found.", code="share_not_found",
                    detail={"share_id": share_id})


def share_dossier(*, uow: UnitOfWork, clock: Clock, actor: Principal, dossier_code: str, grantee_agency_code: str,
                  purpose: str, expires_at: datetime, document_ids: Sequence[str] = (),
                  allow_attach: bool = False) -> Share:
    """Shares the whole dossier (no `document_ids`) or the listed documents with another agency.

    Refused: an agency that does not exist or already reads the dossier by taking part in it, documents of
    another dossier (reported as not found), an expiry in the past or more than a year ahead, attaching on a
    document share. The grantee's subscribed systems are told (event share.granted)."""
    now = clock.now()
    documents = tuple(dict.fromkeys(document_ids))
    if len(documents) > MAX_DOCUMENTS_PER_SHARE:
        raise ValidationFailed("Quá nhiều tài liệu trong một lượt chia sẻ.", "Too many documents in one share.",
                               code="too_many_documents", detail={"max": MAX_DOCUMENTS_PER_SHARE})
    check_share_terms(purpose=purpose, expires_at=expires_at, now=now, whole_dossier=not documents,
                      allow_attach=allow_attach)
    with uow:
        uow.begin_write()
        dossier, _ = require(uow, actor, dossier_code, Action.SHARE, now=now)
        grantee = operating_agency(uow, grantee_agency_code, error="unknown_grantee_agency",
                                   field="grantee_agency_code", which_vi="Cơ quan được chia sẻ",
                                   which_en="The agency to share with")
        if grantee.code in dossier.participant_agencies or grantee.code in actor.agencies:
            raise ValidationFailed("Cơ quan này đã tham gia giải quyết hồ sơ, không cần chia sẻ.",
                                   "That agency already takes part in the dossier; there is nothing to share.",
                                   code="grantee_already_participant",
                                   detail={"grantee_agency_code": grantee.code})
        own = {d.id for d in uow.documents.list_for_dossier(dossier_code)}
        foreign = [d for d in documents if d not in own]
        if foreign:
            raise NotFound("Không tìm thấy tài liệu trong hồ sơ.", "Document not found in the dossier.",
                           code="document_not_found", detail={"document_ids": foreign})
        share = Share(id=uuid.uuid4().hex, dossier_code=dossier_code, grantor_agency_code=actor.agency_code,
                      grantee_agency_code=grantee.code, purpose=purpose.strip(), granted_by=actor.username,
                      granted_at=now, expires_at=expires_at, whole_dossier=not documents, document_ids=documents,
                      allow_attach=allow_attach)
        uow.shares.add(share)
        announce(uow, event_type=EventType.SHARE_GRANTED, dossier=dossier, at=now, data=_event_data(share),
                 also_agencies={grantee.code})
        audited(uow, actor, AccessKind.SHARE_GRANTED, now, dossier_code=dossier_code, share_id=share.id,
                detail=_event_data(share))
        uow.commit()
    return share


def _event_data(share: Share) -> dict[str, object]:
    return {"share_id": share.id, "grantor_agency_code": share.grantor_agency_code,
            "grantee_agency_code": share.grantee_agency_code, "whole_dossier": share.whole_dossier,
            "document_ids": list(share.document_ids), "allow_attach": share.allow_attach,
            "expires_at": share.expires_at.isoformat()}


def _visible_share(uow: UnitOfWork, actor: Principal, share_id: str, *, now: datetime) -> Share:
    """A share is seen by its grantor and grantee agencies, by the agencies that took part in its dossier (they
    see its shares listed) and by admins; anyone else is told it does not exist."""
    share = uow.shares.get(share_id)
    if share is None:
        raise _share_not_found(share_id)
    agencies = visible_agencies(actor)
    if agencies is None or share.grantor_agency_code in agencies or share.grantee_agency_code in agencies:
        return share
    dossier = uow.dossiers.get(share.dossier_code)
    if dossier is None or not authorize(uow, actor, dossier, Action.SHARE, now=now):
        raise _share_not_found(share_id)
    return share


def get_share(*, uow: UnitOfWork, clock: Clock, actor: Principal, share_id: str) -> Share:
    with uow:
        return _visible_share(uow, actor, share_id, now=clock.now())


def revoke_share(*, uow: UnitOfWork, clock: Clock, actor: Principal, share_id: str, reason: str = "") -> Share:
    """Ends a share at once. Only the granting agency (an officer with a working role) or an admin; safe to
    repeat: revoking a revoked share changes nothing."""
    now = clock.now()
    with uow:
        uow.begin_write()
        share = _visible_share(uow, actor, share_id, now=now)
        if not actor.sees_everything and (share.grantor_agency_code not in actor.agencies
                                          or not actor.roles & WORKING_ROLES):
            raise PermissionDenied("Chỉ cơ quan đã chia sẻ mới được thu hồi.",
                                   "Only the agency that granted the share may revoke it.", code="not_the_grantor")
        if share.revoke(by=actor.username, at=now, reason=reason):
            uow.shares.save(share)
            dossier = uow.dossiers.get(share.dossier_code)
            if dossier is not None:
                announce(uow, event_type=EventType.SHARE_REVOKED, dossier=dossier, at=now, data=_event_data(share),
                         also_agencies={share.grantee_agency_code})
            audited(uow, actor, AccessKind.SHARE_REVOKED, now, dossier_code=share.dossier_code, share_id=share.id,
                    detail={"reason": reason})
            uow.commit()
    return share


def dossier_shares(*, uow: UnitOfWork, clock: Clock, actor: Principal, dossier_code: str) -> list[Share]:
    """Every share of the dossier, for the agencies that may share it (those who took part) and admins."""
    with uow:
        require(uow, actor, dossier_code, Action.SHARE, now=clock.now())
        return uow.shares.for_dossier(dossier_code)


def shares_received(*, uow: UnitOfWork, clock: Clock, actor: Principal, active_only: bool = True,
                    limit: int = 50, offset: int = 0) -> tuple[list[Share], int]:
    """What other agencies shared with the actor's agency (or one it succeeded), newest first."""
    if not 1 <= limit <= 200 or offset < 0:
        raise ValidationFailed("Kích thước trang phải từ 1 đến 200.", "Page size must be 1 to 200.",
                               code="invalid_page")
    with uow:
        return uow.shares.received(actor.agencies, now=clock.now(), active_only=active_only, limit=limit,
                                   offset=offset)
