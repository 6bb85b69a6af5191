"""Applying the access rule in use cases, and writing the access log.

`authorize` asks `records.access.decide` about a dossier (or one of its documents); shares are read from the
database only when taking part in the dossier is not enough, so the usual read costs no extra query.
`log_access` appends to the access log and commits, right after the read it records and before the answer
leaves: a read whose log entry cannot be written fails, so nothing is read without a trace. Called inside the
read's unit of work it commits the read's own transaction on PostgreSQL; on SQLite (one writer) the read's
snapshot ends and a short write transaction takes the writer's turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from records.access import AccessSubject, Action, Decision, Principal, Reason, ShareGrant, decide
from records.access_log import AccessEntry, AccessKind, entry
from records.dossiers import Dossier
from records.errors import NotFound, PermissionDenied
from records.ports import UnitOfWork

# Refusals a share might turn into a permission, so the shares are worth reading.
_SHARES_MAY_HELP = frozenset({Reason.NOT_A_PARTICIPANT.value, Reason.NOT_THE_HOLDER.value,
                              Reason.ROLE_CANNOT_CHANGE.value})

_REFUSALS: dict[str, tuple[str, str]] = {
    Reason.NOT_THE_HOLDER: ("Hồ sơ không do cơ quan của bạn đang giữ.", "The dossier is not held by your agency."),
    Reason.ROLE_CANNOT_CHANGE: ("Vai trò của bạn không được thay đổi hồ sơ.", "Your roles may not change dossiers."),
    Reason.SCOPE_MISSING: ("Tài khoản tích hợp không có quyền này.", "The service token lacks this scope."),
    Reason.SHARE_READ_ONLY: ("Hồ sơ được chia sẻ chỉ để xem.", "The dossier was shared for reading only."),
    Reason.CANNOT_SHARE: ("Chỉ cơ quan tham gia giải quyết hồ sơ mới được chia sẻ.",
                          "Only an agency that took part in the dossier may share it."),
    Reason.CANNOT_AUDIT: ("Bạn không được xem nhật ký truy cập của hồ sơ này.",
                          "You may not read this dossier's access log."),
}


def dossier_not_found(code: str) -> NotFound:
    return NotFound("Không tìm thấy hồ sơ.", "Dossier not found.", code="dossier_not_found",
                    detail={"dossier_code": code})


def subject_of(dossier: Dossier, *, document_id: str | None = None,
               shares: Sequence[ShareGrant] = ()) -> AccessSubject:
    return AccessSubject(
        dossier_code=dossier.code, receiving_agency_code=dossier.receiving_agency_code,
        holder_agency_code=dossier.holder_agency_code, participant_agencies=frozenset(dossier.participant_agencies),
        linked_agencies=frozenset(dossier.linked_agencies),
        shares=tuple(shares), document_id=document_id)


def authorize(uow: UnitOfWork, actor: Principal, dossier: Dossier, action: Action, *, now: datetime,
              document_id: str | None = None) -> Decision:
    """The rule's answer for this dossier (or document), reading the dossier's shares only when they may help."""
    subject = subject_of(dossier, document_id=document_id)
    decision = decide(actor, action, subject, now=now)
    if decision.allowed or decision.reason not in _SHARES_MAY_HELP or actor.sees_everything:
        return decision
    grants = uow.shares.grants_for(dossier.code, actor.agencies)
    if not grants:
        return decision
    return decide(actor, action, subject_of(dossier, document_id=document_id, shares=grants), now=now)


def refusal(decision: Decision, code: str) -> NotFound | PermissionDenied:
    """The error for a refused decision: 404 when the dossier must stay unknown to the caller, else 403."""
    if not decision.readable:
        return dossier_not_found(code)
    vi, en = _REFUSALS.get(decision.reason, (PermissionDenied.message_vi, PermissionDenied.message_en))
    return PermissionDenied(vi, en, code=decision.reason)


def require(uow: UnitOfWork, actor: Principal, code: str, action: Action, *, now: datetime,
            for_update: bool = False, document_id: str | None = None) -> tuple[Dossier, Decision]:
    """The dossier if the actor may do `action` on it; else dossier_not_found (unknown or unreadable) or 403."""
    dossier = uow.dossiers.get(code, for_update=for_update)
    if dossier is None:
        raise dossier_not_found(code)
    decision = authorize(uow, actor, dossier, action, now=now, document_id=document_id)
    if not decision:
        raise refusal(decision, code)
    return dossier, decision


def log_access(uow: UnitOfWork, entries: Sequence[AccessEntry]) -> None:
    """Appends to the access log and commits (see the module's note)."""
    if not entries:
        return
    with uow:
        uow.begin_write()
        uow.access_log.record(entries)
        uow.commit()


def logged(uow: UnitOfWork, actor: Principal, kind: AccessKind, decision: Decision, at: datetime, *,
           dossier_code: str | None, document_id: str | None = None, part: str | None = None) -> None:
    """One access-log entry; `part` says which view of a dossier was read (dossier, history, documents, …)."""
    log_access(uow, [entry(actor, kind, decision, at, dossier_code=dossier_code, document_id=document_id,
                           detail={"part": part} if part else None)])


def audited(uow: UnitOfWork, actor: Principal, kind: AccessKind, at: datetime, *, dossier_code: str | None = None,
            document_id: str | None = None, share_id: str | None = None, detail: dict[str, Any] | None = None,
            reason: str = "write") -> None:
    """Appends the audit entry of a write inside the caller's transaction: it commits (durably) with the write or
    not at all. `reason` says on what ground the write was allowed (default: a write the use case checked)."""
    uow.access_log.record([AccessEntry(at=at, principal_kind=actor.kind.value, username=actor.username,
                                       agency_code=actor.agency_code or None, action=kind, reason=reason,
                                       dossier_code=dossier_code, document_id=document_id, share_id=share_id,
                                       client=actor.client,
                                       detail=detail or {})], durable=True)
