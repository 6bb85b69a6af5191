"""The intake receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả), issued again at the desk: a lost or
never-printed receipt is replaced by one with a new secret, and the old secret stops working."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from records.access import Action, Principal, Role
from records.access_log import AccessKind
from records.clock import Clock
from records.dossiers import Dossier
from records.errors import Conflict, PermissionDenied
from records.ports import Signer, UnitOfWork
from records.procedures import Procedure
from records.receipts import new_receipt_secret
from records.services.access import audited, dossier_not_found, logged, require
from records.services.intake import receipt_digest


@dataclass(frozen=True)
class LinkedLine:
    code: str
    procedure_name: str
    agency_name: str
    due_at: datetime | None


@dataclass(frozen=True)
class Receipt:
    """What the paper shows: the dossier, its procedure and papers, where to look it up, and the secret."""

    dossier: Dossier
    procedure: Procedure
    agency_name: str  # the receiving desk
    linked: list[LinkedLine]
    secret: str
    issued_at: datetime
    issued_by_name: str


def may_issue_receipt(actor: Principal, dossier: Dossier) -> bool:
    """The desk that received the dossier (or one that succeeded it) with a reception or leader role; admins."""
    if actor.sees_everything:
        return True
    return dossier.receiving_agency_code in actor.agencies and actor.has_any(Role.RECEPTION, Role.LEADER)


def _procedure_name(uow: UnitOfWork, code: str) -> str:
    procedure = uow.procedures.get(code)
    return procedure.name if procedure is not None else code


def reissue_receipt(*, uow: UnitOfWork, clock: Clock, signer: Signer, actor: Principal, code: str) -> Receipt:
    """A new receipt secret for the dossier (the old one stops working), with what the paper prints.

    Raises NotFound when the actor may not read the dossier, PermissionDenied (not_the_receiving_desk) when
    they may read it but are not its desk, Conflict (receipt_is_for_group) for a linked dossier, whose
    applicant holds the receipt of the group dossier.
    """
    now = clock.now()
    secret = new_receipt_secret()
    with uow:
        uow.begin_write()
        dossier, decision = require(uow, actor, code, Action.READ, now=now, for_update=True)
        if not may_issue_receipt(actor, dossier):
            raise PermissionDenied("Chỉ bộ phận tiếp nhận của cơ quan đã nhận hồ sơ mới được cấp giấy tiếp nhận.",
                                   "Only the desk that received the dossier may issue its receipt.",
                                   code="not_the_receiving_desk")
        if dossier.parent_code is not None:
            raise Conflict("Giấy tiếp nhận được cấp cho hồ sơ liên thông chính.",
                           "The receipt is issued for the group dossier this one was opened with.",
                           code="receipt_is_for_group", detail={"group_code": dossier.parent_code})
        procedure = uow.procedures.get(dossier.procedure_code)
        if procedure is None:
            raise dossier_not_found(code)
        names = {a.code: a.name for a in uow.agencies.list()}
        linked = [LinkedLine(d.code, _procedure_name(uow, d.procedure_code),
                             names.get(d.receiving_agency_code, d.receiving_agency_code), d.due_at)
                  for d in uow.dossiers.children(code)]
        uow.dossiers.set_receipt_digest(code, receipt_digest(signer, code, secret))
        audited(uow, actor, AccessKind.RECEIPT_REISSUED, now, dossier_code=code)
        uow.commit()
    logged(uow, actor, AccessKind.VIEW, decision, now, dossier_code=code, part="receipt")
    return Receipt(dossier, procedure, names.get(dossier.receiving_agency_code, dossier.receiving_agency_code),
                   linked, secret, now, actor.full_name or actor.username)
