"""Use cases for legal holds (đóng băng): placing and releasing them, and the check every change goes through.

The check covers a dossier through a hold on itself, on its group dossier, on the archival file it is in, or on its
applicant's ID number (which also covers dossiers received after the hold). Where the blob store can (S3 object
lock), the held dossiers' originals and derivatives are also put under the object store's own legal hold, so that
not even a store administrator removes them by mistake.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime

from records.access import Action, Principal, Role
from records.access_log import AccessKind
from records.archive import archive_agencies, require_archive_role
from records.blobs import BlobMissing, BlobStore, document_blob_keys, object_lock_of
from records.clock import Clock
from records.dossiers import Dossier
from records.errors import NotFound, PermissionDenied
from records.holds import Hold, HoldScope, check_new_hold, on_hold
from records.ports import DossierFilters, DossierQuery, UnitOfWork
from records.services.access import audited, dossier_not_found, require

log = logging.getLogger("hoso.holds")
RELEASERS = (Role.ARCHIVIST, Role.LEADER)


def holds_on(uow: UnitOfWork, dossier: Dossier) -> list[Hold]:
    """The active holds that freeze this dossier."""
    targets = [(HoldScope.DOSSIER, dossier.code), (HoldScope.APPLICANT, dossier.applicant.id_number)]
    if dossier.parent_code is not None:
        targets.append((HoldScope.DOSSIER, dossier.parent_code))
    targets += [(HoldScope.FILE, file_code) for file_code in sorted(uow.archival_files.file_codes_of(dossier.code))]
    return uow.holds.covering(targets)


def ensure_not_held(uow: UnitOfWork, dossier_codes: Iterable[str]) -> None:
    """Raises OnHold (423) naming the holds when any of these dossiers is frozen."""
    found: list[Hold] = []
    for code in dossier_codes:
        dossier = uow.dossiers.get(code)
        if dossier is not None:
            found += [h for h in holds_on(uow, dossier) if h not in found]
    if found:
        raise on_hold(found)


def _hold_not_found(hold_id: str) -> NotFound:
    return NotFound("Không tìm thấy lệnh đóng băng.", "Hold not found.", code="hold_not_found",
                    detail={"hold_id": hold_id})


def _covered_dossiers(uow: UnitOfWork, hold: Hold, now: datetime) -> list[Dossier]:
    if hold.scope is HoldScope.DOSSIER:
        dossier = uow.dossiers.get(hold.target)
        return [] if dossier is None else [dossier, *uow.dossiers.children(dossier.code)]
    if hold.scope is HoldScope.FILE:
        file = uow.archival_files.get(hold.target)
        return [] if file is None else uow.dossiers.get_many(uow.archival_files.dossier_codes_in(file.file_code))
    found, _ = uow.dossiers.find(DossierQuery(DossierFilters(applicant_id_number=hold.target, limit=10_000),
                                              visible_agencies=None, now=now))
    return found


def _owner(uow: UnitOfWork, actor: Principal, scope: HoldScope, target: str) -> str:
    """The agency whose archive the hold belongs to: the dossier's or the file's, or the actor's own for an
    applicant. Raises not-found for a target outside the actor's archive."""
    scope_agencies = archive_agencies(actor, uow.agencies.list())
    if scope is HoldScope.DOSSIER:
        dossier = uow.dossiers.get(target)
        if dossier is None or (scope_agencies is not None and dossier.receiving_agency_code not in scope_agencies):
            raise dossier_not_found(target)
        return dossier.receiving_agency_code
    if scope is HoldScope.FILE:
        file = uow.archival_files.get(target)
        if file is None or (scope_agencies is not None and file.organ_id not in scope_agencies):
            raise NotFound("Không tìm thấy hồ sơ lưu trữ.", "Archival file not found.", code="file_not_found",
                           detail={"file_code": target})
        return file.organ_id
    return actor.agency_code


def place_hold(*, uow: UnitOfWork, clock: Clock, blobs: BlobStore, actor: Principal, scope: HoldScope, target: str,
               reason: str) -> Hold:
    """Freezes a dossier, an archival file, or every dossier of one applicant ID number (later ones included)."""
    require_archive_role(actor)
    target = target.strip()
    check_new_hold(scope, target, reason)
    now = clock.now()
    with uow:
        uow.begin_write()
        hold = Hold(id=uuid.uuid4().hex, scope=scope, target=target, agency_code=_owner(uow, actor, scope, target),
                    reason=reason.strip(), placed_by=actor.username, placed_at=now)
        uow.holds.add(hold)
        covered = _covered_dossiers(uow, hold, now)
        for code in sorted(d.code for d in covered):
            # A change in flight holds its dossier's row: the hold waits for it, and a change starting now waits for
            # the hold and then sees it (no transition slips past a hold placed at the same moment).
            uow.dossiers.get(code, for_update=True)
        for dossier in covered:
            audited(uow, actor, AccessKind.HOLD_PLACED, now, dossier_code=dossier.code,
                    detail={"hold_id": hold.id, "scope": scope.value, "target": target, "reason": hold.reason})
        if not covered:
            audited(uow, actor, AccessKind.HOLD_PLACED, now,
                    detail={"hold_id": hold.id, "scope": scope.value, "target": target, "reason": hold.reason})
        uow.commit()
        keys = _blob_keys(uow, covered)
    _set_object_holds(blobs, keys, on=True)
    return hold


def release_hold(*, uow: UnitOfWork, clock: Clock, blobs: BlobStore, actor: Principal, hold_id: str,
                 reason: str) -> Hold:
    """Ends a hold, with a reason, by an archivist or a leader — not an administrator as such: a hold binds
    administrators too. Blobs still covered by another hold stay locked."""
    require_archive_role(actor, *RELEASERS)
    if not actor.has_any(*RELEASERS):
        raise PermissionDenied("Chỉ cán bộ lưu trữ hoặc lãnh đạo được gỡ đóng băng.",
                               "Only an archivist or a leader releases a hold.", code="hold_releaser_required",
                               detail={"required_roles": sorted(r.value for r in RELEASERS)})
    now = clock.now()
    with uow:
        uow.begin_write()
        hold = uow.holds.get(hold_id, for_update=True)
        scope_agencies = archive_agencies(actor, uow.agencies.list())
        if hold is None or (scope_agencies is not None and hold.agency_code not in scope_agencies):
            raise _hold_not_found(hold_id)
        hold.release(by=actor.username, at=now, reason=reason)
        uow.holds.save(hold)
        covered = _covered_dossiers(uow, hold, now)
        codes: list[str | None] = [d.code for d in covered]
        for code in codes or [None]:
            audited(uow, actor, AccessKind.HOLD_RELEASED, now, dossier_code=code,
                    detail={"hold_id": hold.id, "scope": hold.scope.value, "target": hold.target,
                            "reason": hold.release_reason})
        uow.commit()
        freed = [d for d in covered if not holds_on(uow, d)]
        keys = _blob_keys(uow, freed)
    _set_object_holds(blobs, keys, on=False)
    return hold


def _blob_keys(uow: UnitOfWork, dossiers: Iterable[Dossier]) -> list[str]:
    keys: list[str] = []
    for dossier in dossiers:
        for document in uow.documents.list_for_dossier(dossier.code):
            keys += document_blob_keys(document.sha256, document.page_count)
    return keys


def _set_object_holds(blobs: BlobStore, keys: Iterable[str], *, on: bool) -> None:
    lock = object_lock_of(blobs)
    if lock is None:
        return
    for key in keys:
        try:
            lock.set_legal_hold(key, on)
        except BlobMissing:
            continue  # a derivative this document does not have


def lock_held_document_blobs(*, uow: UnitOfWork, blobs: BlobStore, document_id: str) -> int:
    """After a document's derivatives are written: if its dossier is held, they get the S3 legal hold too (a hold
    placed while the document was being processed covered only the blobs that existed then). Returns the number of
    keys put under legal hold; 0 without object lock or hold. Safe to repeat."""
    lock = object_lock_of(blobs)
    if lock is None:
        return 0
    with uow:
        document = uow.documents.get(document_id)
        dossier = None if document is None else uow.dossiers.get(document.dossier_code)
        if document is None or dossier is None or not holds_on(uow, dossier):
            return 0
        keys = document_blob_keys(document.sha256, document.page_count)
    _set_object_holds(blobs, keys, on=True)
    return len(keys)


def list_holds(*, uow: UnitOfWork, actor: Principal, active_only: bool = True, limit: int = 100,
               offset: int = 0) -> tuple[list[Hold], int]:
    require_archive_role(actor, Role.ARCHIVIST, Role.LEADER, Role.AUDITOR)
    with uow:
        return uow.holds.find(agencies=archive_agencies(actor, uow.agencies.list()), active_only=active_only,
                              limit=limit, offset=offset)


def dossier_holds(*, uow: UnitOfWork, clock: Clock, actor: Principal, code: str) -> list[Hold]:
    """The holds on a dossier, for anyone who may read it (they show on the dossier)."""
    with uow:
        dossier, _ = require(uow, actor, code, Action.READ, now=clock.now())
        return holds_on(uow, dossier)
