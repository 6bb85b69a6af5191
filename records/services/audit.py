"""Use cases for reading the access log: who read a document or a dossier, and what a person or an agency
read. Auditors and administrators read all of it; a leader reads it for the dossiers their agency took part
in. Reading the log of a dossier is itself logged."""

from __future__ import annotations

from dataclasses import replace

from records.access import Action, Principal, Role
from records.access_log import AccessEntry, AccessKind, AccessLogFilter
from records.clock import Clock
from records.errors import ValidationFailed
from records.ports import UnitOfWork
from records.services.access import logged, require
from records.services.catalogue import require_role
from records.services.documents import permitted_document

MAX_PAGE = 500


def _check_page(wanted: AccessLogFilter) -> None:
    if not 1 <= wanted.limit <= MAX_PAGE or wanted.offset < 0:
        raise ValidationFailed(f"Kích thước trang phải từ 1 đến {MAX_PAGE}.", f"Page size must be 1 to {MAX_PAGE}.",
                               code="invalid_page")
    if wanted.since and wanted.until and wanted.since > wanted.until:
        raise ValidationFailed("Khoảng ngày không hợp lệ.", "The date range is reversed.", code="invalid_date_range")


def document_readers(*, uow: UnitOfWork, clock: Clock, actor: Principal, document_id: str,
                     wanted: AccessLogFilter = AccessLogFilter()) -> tuple[list[AccessEntry], int]:
    """Who read this document — its metadata, content, text, page images or search snippets — newest first."""
    _check_page(wanted)
    now = clock.now()
    with uow:
        document, decision = permitted_document(uow, actor, document_id, Action.AUDIT, now=now)
        found = uow.access_log.find(replace(wanted, document_id=document_id, dossier_code=None))
        logged(uow, actor, AccessKind.AUDIT, decision, now, dossier_code=document.dossier_code, document_id=document_id)
    return found


def dossier_readers(*, uow: UnitOfWork, clock: Clock, actor: Principal, code: str,
                    wanted: AccessLogFilter = AccessLogFilter()) -> tuple[list[AccessEntry], int]:
    """Every read of the dossier and of its documents, newest first."""
    _check_page(wanted)
    now = clock.now()
    with uow:
        _, decision = require(uow, actor, code, Action.AUDIT, now=now)
        found = uow.access_log.find(replace(wanted, dossier_code=code))
        logged(uow, actor, AccessKind.AUDIT, decision, now, dossier_code=code)
    return found


def search_access_log(*, uow: UnitOfWork, actor: Principal, wanted: AccessLogFilter) -> tuple[list[AccessEntry], int]:
    """The whole log by person, agency, dossier, document, kind and dates: auditors and administrators."""
    require_role(actor, Role.AUDITOR, Role.ADMIN)
    _check_page(wanted)
    with uow:
        return uow.access_log.find(wanted)
