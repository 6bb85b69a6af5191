"""Use cases for disposition: proposing due dossiers for destruction or deposit, the second person's decision after
re-authentication, the destruction itself (tombstones kept), and finishing what follows its commit.

Nothing is half-done. Everything is checked first (scope, due, end action, holds, the decider, the password); then one
transaction writes the tombstones, deletes the dossiers' rows (documents and page texts with them), marks the
retention lines and the proposal, and lists the blobs still to destroy. After the commit the search entries are
removed and the blobs destroyed (overwritten before unlinking on a local disk; every version on S3); whatever fails
there stays listed on the proposal and is finished by `finish_dispositions` (a worker task) — nothing is lost, and the
database never points at a destroyed blob.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

from records.access import Principal, Role
from records.access_log import AccessKind
from records.archive import archive_agencies, require_archive_role
from records.attempts import AttemptPolicy
from records.blobs import BackendUnavailable, BlobStore, document_blob_keys, original_key
from records.clock import Clock, local_date
from records.disposition import (
    DestructionFailed,
    DestructionNotStarted,
    Disposition,
    DispositionState,
    ReauthenticationFailed,
    Tombstone,
    check_proposal,
)
from records.errors import DomainError, NotFound, RateLimited, ValidationFailed
from records.outbox import index_dossier_later
from records.ports import PasswordHasher, UnitOfWork
from records.retention import EndAction, RetentionState
from records.search import SearchIndex
from records.services.access import audited, dossier_not_found
from records.services.holds import ensure_not_held

log = logging.getLogger("hoso.disposition")
PROPOSERS = (Role.ARCHIVIST, Role.ADMIN)
DECIDERS = (Role.ARCHIVIST, Role.LEADER)
REAUTH_POLICY = AttemptPolicy(max_failures=5, window=timedelta(minutes=15), lockout=timedelta(minutes=15))

# Writes a deposit package of one dossier into a folder and returns its path (see records.services.bags).
PackageWriter = Callable[[str, Path], Path]


def _not_found(disposition_id: str) -> NotFound:
    return NotFound("Không tìm thấy đề nghị.", "Proposal not found.", code="disposition_not_found",
                    detail={"disposition_id": disposition_id})


def propose_disposition(*, uow: UnitOfWork, clock: Clock, actor: Principal, dossier_codes: list[str], reason: str,
                        action: EndAction = EndAction.DESTROY) -> Disposition:
    """An archivist proposes a set of due dossiers whose end action is `action`. Refused whole if any is not due,
    ends otherwise, is held, is already proposed, or lies outside the archivist's records."""
    require_archive_role(actor, *PROPOSERS)
    codes = check_proposal(dossier_codes, reason)
    now = clock.now()
    today = local_date(now)
    with uow:
        uow.begin_write()
        scope = archive_agencies(actor, uow.agencies.list())
        lines = {line.dossier_code: line for line in uow.retention.get_many(codes)}
        problems: dict[str, str] = {}
        for code in codes:
            line = lines.get(code)
            if line is None or (scope is not None and line.agency_code not in scope):
                raise dossier_not_found(code)
            if line.state is not RetentionState.KEPT:
                problems[code] = f"state:{line.state.value}"
            elif line.due_on is None or line.due_on > today:
                problems[code] = "not_due"
            elif line.end_action is not action:
                problems[code] = f"end_action:{line.end_action.value}"
        if problems:
            raise ValidationFailed("Có hồ sơ chưa đến hạn, khác hình thức xử lý hoặc đã được đề nghị.",
                                   "Some dossiers are not due, end otherwise, or are already proposed.",
                                   code="not_disposable", detail={"dossiers": problems})
        ensure_not_held(uow, codes)
        agencies = {lines[c].agency_code for c in codes}
        disposition = Disposition(id=uuid.uuid4().hex, action=action, reason=reason.strip(), dossier_codes=codes,
                                  agency_code=sorted(agencies)[0] if len(agencies) == 1 else actor.agency_code,
                                  proposed_by=actor.username, proposed_at=now)
        uow.dispositions.add(disposition)
        for code in codes:
            lines[code].state = RetentionState.PROPOSED
            uow.retention.save(lines[code])
            audited(uow, actor, AccessKind.DISPOSITION_PROPOSED, now, dossier_code=code,
                    detail={"disposition_id": disposition.id, "action": action.value, "reason": disposition.reason})
        uow.commit()
    return disposition


def _reauthenticate(uow: UnitOfWork, hasher: PasswordHasher, actor: Principal, password: str, now: datetime,
                    disposition_id: str) -> None:
    """The decider types their password again (checked against the stored hash); failures are counted, audited, and
    lock the decision for a while (REAUTH_POLICY) — even the right password is refused while locked."""
    key = f"reauth:{actor.username}"
    with uow:
        limits = uow.attempt_limits.get_many([key])
        if any(limit.locked(now) for limit in limits):
            raise RateLimited(max(limit.retry_after_seconds(now) for limit in limits))
        user = uow.users.get(actor.username)
    if user is not None and user.active and hasher.verify(user.password_hash, password):
        return
    with uow:
        uow.begin_write()
        for limit in uow.attempt_limits.lock([key], now):
            limit.fail(now, REAUTH_POLICY)
            uow.attempt_limits.save(limit)
        audited(uow, actor, AccessKind.REAUTHENTICATION_FAILED, now, detail={"disposition_id": disposition_id},
                reason="refused")
        uow.commit()
    raise ReauthenticationFailed()


def _decidable(uow: UnitOfWork, actor: Principal, disposition_id: str) -> Disposition:
    disposition = uow.dispositions.get(disposition_id, for_update=True)
    scope = archive_agencies(actor, uow.agencies.list())
    if disposition is None or (scope is not None and disposition.agency_code not in scope):
        raise _not_found(disposition_id)
    disposition.check_decider(actor.username)
    return disposition


def reject_disposition(*, uow: UnitOfWork, clock: Clock, actor: Principal, disposition_id: str,
                       note: str) -> Disposition:
    require_archive_role(actor, *DECIDERS)
    if not note.strip():
        raise ValidationFailed("Cần nêu lý do.", "A reason is required.", code="reason_required")
    now = clock.now()
    with uow:
        uow.begin_write()
        disposition = _decidable(uow, actor, disposition_id)
        disposition.decide(DispositionState.REJECTED, by=actor.username, at=now, note=note)
        for line in uow.retention.get_many(disposition.dossier_codes):
            line.state = RetentionState.KEPT
            uow.retention.save(line)
        uow.dispositions.save(disposition)
        audited(uow, actor, AccessKind.DISPOSITION_REJECTED, now,
                detail={"disposition_id": disposition.id, "note": disposition.decision_note})
        uow.commit()
    return disposition


def approve_disposition(*, uow: UnitOfWork, clock: Clock, hasher: PasswordHasher, blobs: BlobStore,
                        index: SearchIndex, actor: Principal, disposition_id: str, password: str, note: str = "",
                        package: PackageWriter | None = None, deposit_dir: Path | None = None) -> Disposition:
    """A second person (archivist or leader, not the proposer) approves after re-entering their password; the set is
    then destroyed (or, for a deposit, packaged into `deposit_dir` by `package`)."""
    require_archive_role(actor, *DECIDERS)
    now = clock.now()
    with uow:
        disposition = _decidable(uow, actor, disposition_id)
    _reauthenticate(uow, hasher, actor, password, now, disposition_id)
    if disposition.action is EndAction.DEPOSIT:
        return _deposit(uow, clock, actor, disposition_id, note, package, deposit_dir)
    _check_blob_store(uow, blobs, disposition)
    try:
        with uow:
            uow.begin_write()
            disposition = _decidable(uow, actor, disposition_id)
            ensure_not_held(uow, disposition.dossier_codes)
            pending = _destroy_rows(uow, actor, disposition, now)
            disposition.decide(DispositionState.EXECUTED, by=actor.username, at=now, note=note)
            disposition.pending_blobs = pending
            disposition.index_pending = True
            uow.dispositions.save(disposition)
            audited(uow, actor, AccessKind.DISPOSITION_APPROVED, now, detail={
                "disposition_id": disposition.id, "action": disposition.action.value,
                "dossiers": disposition.dossier_codes, "proposed_by": disposition.proposed_by})
            uow.commit()
    except DomainError:
        raise
    except Exception as exc:  # the database refused: rolled back, nothing destroyed — say so
        log.exception("disposition %s: the destruction's transaction failed and was rolled back", disposition_id)
        raise DestructionFailed(detail={"disposition_id": disposition_id,
                                        "dossiers": disposition.dossier_codes}) from exc
    return finish_disposition(uow=uow, blobs=blobs, index=index, disposition_id=disposition.id)


def _check_blob_store(uow: UnitOfWork, blobs: BlobStore, disposition: Disposition) -> None:
    """Before anything is touched: the store that holds the set's papers answers (a missing blob is no obstacle to
    destroying it; a store that does not answer is)."""
    with uow:
        hashes = {document.sha256 for code in disposition.dossier_codes
                  for document in uow.documents.list_for_dossier(code)}
    try:
        for sha256 in sorted(hashes):
            blobs.exists(original_key(sha256))
    except (BackendUnavailable, OSError) as exc:
        raise DestructionNotStarted(detail={"disposition_id": disposition.id}) from exc


def _destroy_rows(uow: UnitOfWork, actor: Principal, disposition: Disposition, now: datetime) -> list[str]:
    """Tombstones, then the rows; returns the blob keys no remaining document references."""
    tombstones: list[Tombstone] = []
    gone: dict[str, int | None] = {}
    lines = {line.dossier_code: line for line in uow.retention.get_many(disposition.dossier_codes)}
    who = {"proposed_by": disposition.proposed_by, "proposed_at": disposition.proposed_at.isoformat(),
           "approved_by": actor.username, "approved_at": now.isoformat(), "reason": disposition.reason}
    for code in disposition.dossier_codes:
        dossier = uow.dossiers.get(code)
        line = lines.get(code)
        if dossier is None or line is None or line.state is not RetentionState.PROPOSED:
            raise ValidationFailed("Hồ sơ không còn ở trạng thái chờ tiêu hủy.", "A dossier is no longer proposed.",
                                   code="not_disposable", detail={"dossier_code": code})
        documents = uow.documents.list_for_dossier(code)
        schedule = {"schedule_id": line.schedule_id, "years": line.years, "end_action": line.end_action.value,
                    "closed_at": line.closed_at.isoformat(), "due_on": line.due_on.isoformat() if line.due_on else None}
        tombstones.append(Tombstone(kind="dossier", dossier_code=code, disposition_id=disposition.id,
                                    destroyed_at=now, record={
                                        "procedure_code": dossier.procedure_code, "subject": dossier.subject,
                                        "receiving_agency_code": dossier.receiving_agency_code,
                                        "applicant_kind": dossier.applicant.kind.value,
                                        "received_at": dossier.received_at.isoformat(), "state": dossier.state.value,
                                        "documents": len(documents), "schedule": schedule, **who}))
        for document in documents:
            tombstones.append(Tombstone(kind="document", dossier_code=code, document_id=document.id,
                                        disposition_id=disposition.id, destroyed_at=now, record={
                                            "title": document.title, "filename": document.filename,
                                            "document_type": document.document_type.value,
                                            "media_type": document.media_type, "size_bytes": document.size_bytes,
                                            "sha256": document.sha256, "page_count": document.page_count,
                                            "metadata": {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                                         for k, v in asdict(document.metadata).items()},
                                            "uploaded_at": document.uploaded_at.isoformat(),
                                            "schedule": schedule, **who}))
            gone[document.sha256] = max(gone.get(document.sha256) or 0, document.page_count or 0)
        uow.archival_files.forget_dossier(code)
        uow.dossiers.delete(code)
        index_dossier_later(uow.outbox, code)  # reindexing a dossier that is gone removes its entry
        line.state = RetentionState.DESTROYED
        uow.retention.save(line)
        audited(uow, actor, AccessKind.DOSSIER_DESTROYED, now, dossier_code=code,
                detail={"disposition_id": disposition.id, "documents": [d.id for d in documents],
                        "sha256": sorted({d.sha256 for d in documents})})
    uow.dispositions.add_tombstones(tombstones)
    keys: list[str] = []
    for sha256, pages in gone.items():
        if uow.documents.references_to(sha256) == 0:  # the same paper may still belong to another dossier
            keys += document_blob_keys(sha256, pages)
    uow.fixity.forget(keys)
    return keys


def finish_disposition(*, uow: UnitOfWork, blobs: BlobStore, index: SearchIndex,
                       disposition_id: str) -> Disposition:
    """Removes the destroyed dossiers' search entries and destroys their blobs; what fails stays pending for the
    next run (the worker's sweep). Safe to repeat."""
    with uow:
        disposition = uow.dispositions.get(disposition_id)
    if disposition is None:
        raise _not_found(disposition_id)
    index_left = disposition.index_pending
    if index_left:
        try:
            index.delete(disposition.dossier_codes)
            index_left = False
        except Exception:  # any index failure (Elasticsearch down, …): the entries are removed by the next run
            log.warning("search entries of disposition %s not removed yet; they stay pending", disposition_id,
                        exc_info=True)
    left: list[str] = []
    for key in disposition.pending_blobs:
        try:
            blobs.destroy(key)
        except (BackendUnavailable, OSError, RuntimeError):
            log.warning("blob %s not destroyed yet; it stays pending", key, exc_info=True)
            left.append(key)
    with uow:
        uow.begin_write()
        current = uow.dispositions.get(disposition_id, for_update=True)
        assert current is not None
        current.pending_blobs = [k for k in current.pending_blobs if k in left]
        current.index_pending = current.index_pending and index_left
        uow.dispositions.save(current)
        uow.commit()
    return current


def finish_dispositions(*, uow: UnitOfWork, blobs: BlobStore, index: SearchIndex) -> int:
    """The worker's sweep: finishes every executed destruction that still has blobs to destroy or search entries to
    remove; returns how many it worked on."""
    with uow:
        pending = [d.id for d in uow.dispositions.with_pending_blobs()]
    for disposition_id in pending:
        finish_disposition(uow=uow, blobs=blobs, index=index, disposition_id=disposition_id)
    return len(pending)


def _deposit(uow: UnitOfWork, clock: Clock, actor: Principal, disposition_id: str, note: str,
             package: PackageWriter | None, deposit_dir: Path | None) -> Disposition:
    """Writes every dossier's package into a folder of its own under `deposit_dir`, then marks the set deposited.
    The packages are written under a `.partial` name first and get their final name only after the commit: a failure
    anywhere leaves no package behind and the proposal open."""
    if package is None or deposit_dir is None:
        raise ValidationFailed("Chưa cấu hình thư mục nộp lưu.", "No deposit folder is configured.",
                               code="deposit_not_configured")
    now = clock.now()
    with uow:
        disposition = _decidable(uow, actor, disposition_id)
        ensure_not_held(uow, disposition.dossier_codes)
    target = deposit_dir / f"nop-luu-{local_date(now).isoformat()}-{disposition.id[:8]}"
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # what a crashed earlier attempt left
    try:
        partial.mkdir(parents=True)
        for code in disposition.dossier_codes:
            package(code, partial)
        with uow:
            uow.begin_write()
            disposition = _decidable(uow, actor, disposition_id)
            ensure_not_held(uow, disposition.dossier_codes)
            disposition.decide(DispositionState.EXECUTED, by=actor.username, at=now, note=note)
            disposition.package_path = str(target)
            for line in uow.retention.get_many(disposition.dossier_codes):
                line.state = RetentionState.DEPOSITED
                uow.retention.save(line)
                audited(uow, actor, AccessKind.DOSSIER_DEPOSITED, now, dossier_code=line.dossier_code,
                        detail={"disposition_id": disposition.id, "package": str(target)})
            uow.dispositions.save(disposition)
            audited(uow, actor, AccessKind.DISPOSITION_APPROVED, now, detail={
                "disposition_id": disposition.id, "action": disposition.action.value,
                "dossiers": disposition.dossier_codes, "proposed_by": disposition.proposed_by})
            uow.commit()
    except DomainError:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    except Exception as exc:  # a package or the database failed: nothing deposited, no package left behind
        shutil.rmtree(partial, ignore_errors=True)
        log.exception("disposition %s: the deposit failed and was undone", disposition_id)
        raise DestructionFailed("Việc nộp lưu không thực hiện được và đã được hoàn tác; bộ hồ sơ còn nguyên.",
                                "The deposit failed and was undone; the set is intact.",
                                detail={"disposition_id": disposition_id, "dossiers": disposition.dossier_codes},
                                code="deposit_failed") from exc
    partial.rename(target)
    return disposition


def list_dispositions(*, uow: UnitOfWork, actor: Principal, state: DispositionState | None = None, limit: int = 100,
                      offset: int = 0) -> tuple[list[Disposition], int]:
    require_archive_role(actor, Role.ARCHIVIST, Role.LEADER, Role.AUDITOR)
    with uow:
        scope = archive_agencies(actor, uow.agencies.list())
        return uow.dispositions.find(agencies=scope, state=state, limit=limit, offset=offset)


def get_disposition(*, uow: UnitOfWork, actor: Principal,
                    disposition_id: str) -> tuple[Disposition, list[Tombstone]]:
    require_archive_role(actor, Role.ARCHIVIST, Role.LEADER, Role.AUDITOR)
    with uow:
        disposition = uow.dispositions.get(disposition_id)
        scope = archive_agencies(actor, uow.agencies.list())
        if disposition is None or (scope is not None and disposition.agency_code not in scope):
            raise _not_found(disposition_id)
        return disposition, uow.dispositions.tombstones(disposition_id=disposition_id)


def dossier_tombstones(*, uow: UnitOfWork, actor: Principal, code: str) -> list[Tombstone]:
    """What remains of a destroyed dossier (its tombstone, then one per document), for the archivists, leaders and
    auditors whose records it was. A dossier never destroyed, or outside the reader's records: not found."""
    require_archive_role(actor, Role.ARCHIVIST, Role.LEADER, Role.AUDITOR)
    with uow:
        scope = archive_agencies(actor, uow.agencies.list())
        found = uow.dispositions.tombstones(dossier_code=code.strip())
        agencies = {d.id: d.agency_code for d in
                    (uow.dispositions.get(i) for i in {t.disposition_id for t in found}) if d is not None}
    visible = [t for t in found if scope is None or agencies.get(t.disposition_id) in scope]
    if not visible:
        raise NotFound("Không có bia hồ sơ đã hủy với mã này.", "No tombstone of a destroyed dossier has this code.",
                       code="tombstone_not_found", detail={"dossier_code": code})
    return visible
