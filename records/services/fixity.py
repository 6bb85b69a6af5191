"""Use cases for fixity: the resumable, rate-limited pass over every registered blob, self-repair from the replica,
alerts, and the report archivists read.

A pass walks the blob registry in key order from a cursor kept in the database, so a pass cut short (a time budget, a
restart) continues where it stopped. Each blob is re-read at no more than the configured MB/s; each check is recorded.
Damage raises an archive alert; where the store has a replica (a `restore(key, sha256)` method) the blob is restored,
verified and the repair recorded in the audit chain.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from records.access import Principal, PrincipalKind, Role
from records.access_log import AccessKind
from records.archive import require_archive_role
from records.archive_alerts import ArchiveAlert
from records.blobs import BlobMissing, BlobStore, document_blob_keys, original_key
from records.clock import Clock
from records.documents import Document
from records.fixity import BlobRecord, FixityCheck, FixityReport, FixityRun, Outcome
from records.ports import UnitOfWork
from records.services.access import audited

CHUNK = 1024 * 1024
BATCH = 100
FIXITY_ACTOR = Principal("system.fixity", "", frozenset(), full_name="Kiểm tra toàn vẹn tự động",
                         kind=PrincipalKind.INTEGRATION)


@runtime_checkable
class Repairable(Protocol):
    def restore(self, key: str, sha256: str) -> bool: ...


@dataclass(frozen=True)
class Pace:
    """Reading no faster than `mb_per_second` (0: as fast as the disk goes)."""

    mb_per_second: float
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic


def register_document_blobs(uow: UnitOfWork, document: Document, derived: dict[str, tuple[str, int]],
                            at: datetime) -> None:
    """Records, in the caller's transaction, the hashes of a document's original and of the derivatives just written
    (`derived`: key → (sha256, size))."""
    records = [BlobRecord(original_key(document.sha256), document.sha256, document.size_bytes, document.id, at)]
    records += [BlobRecord(key, sha, size, document.id, at) for key, (sha, size) in derived.items()]
    uow.fixity.record(records)


def _hash(blobs: BlobStore, key: str, pace: Pace) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    started = pace.monotonic()
    with blobs.open(key) as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if pace.mb_per_second > 0:
                ahead = size / (pace.mb_per_second * 1024 * 1024) - (pace.monotonic() - started)
                if ahead > 0:
                    pace.sleep(ahead)
    return digest.hexdigest(), size


def register_unrecorded(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock) -> int:
    """Blobs written before the registry existed are registered on first sight: originals with the hash their
    document recorded at upload, derivatives with the hash they have now (documented)."""
    registered, after = 0, ""
    while True:
        with uow:
            documents = uow.documents.page(after_id=after, limit=BATCH)
        if not documents:
            return registered
        after = documents[-1].id
        registered += _register_documents(uow, blobs, clock, documents)


def _register_documents(uow: UnitOfWork, blobs: BlobStore, clock: Clock, documents: list[Document]) -> int:
    registered = 0
    for document in documents:
        keys = document_blob_keys(document.sha256, document.page_count)
        with uow:
            known = uow.fixity.known(keys)
        fresh: list[BlobRecord] = []
        for key in keys:
            if key in known:
                continue
            if key == original_key(document.sha256):
                fresh.append(BlobRecord(key, document.sha256, document.size_bytes, document.id, clock.now()))
            elif blobs.exists(key):
                sha, size = _hash(blobs, key, Pace(0))
                fresh.append(BlobRecord(key, sha, size, document.id, clock.now()))
        if fresh:
            with uow:
                uow.begin_write()
                uow.fixity.record(fresh)
                uow.commit()
            registered += len(fresh)
    return registered


def _check(blobs: BlobStore, record: BlobRecord, pace: Pace, now: datetime) -> tuple[FixityCheck, int]:
    try:
        actual, size = _hash(blobs, record.key, pace)
    except BlobMissing:
        actual, size = None, 0
    if actual == record.sha256:
        return FixityCheck(record.key, now, Outcome.OK, record.sha256, actual), size
    if isinstance(blobs, Repairable):
        if blobs.restore(record.key, record.sha256):
            verified, _ = _hash(blobs, record.key, Pace(0))
            if verified == record.sha256:
                return FixityCheck(record.key, now, Outcome.REPAIRED, record.sha256, actual), size
        return FixityCheck(record.key, now, Outcome.UNREPAIRED, record.sha256, actual), size
    return FixityCheck(record.key, now, Outcome.MISSING if actual is None else Outcome.MISMATCH, record.sha256,
                       actual), size


def _report_problem(uow: UnitOfWork, check: FixityCheck, record: BlobRecord) -> None:
    repaired = check.outcome is Outcome.REPAIRED
    state_vi = "đã tự khôi phục từ bản sao" if repaired else "CHƯA khôi phục được"
    state_en = "restored from the replica" if repaired else "NOT restored"
    found_vi = "bị mất" if check.actual_sha256 is None else "bị sai lệch nội dung"
    found_en = "missing" if check.actual_sha256 is None else "damaged (hash mismatch)"
    uow.archive_alerts.raise_once(ArchiveAlert(
        kind="fixity_repaired" if repaired else "fixity_damage", subject=check.key, raised_at=check.at,
        message_vi=f"Tệp {check.key} {found_vi}; {state_vi}.",
        message_en=f"Blob {check.key} was {found_en}; {state_en}.",
        detail={"key": check.key, "outcome": check.outcome.value, "expected_sha256": check.expected_sha256,
                "actual_sha256": check.actual_sha256, "document_id": record.document_id}))
    if repaired:
        audited(uow, FIXITY_ACTOR, AccessKind.FIXITY_REPAIRED, check.at, document_id=record.document_id,
                detail={"key": check.key, "expected_sha256": check.expected_sha256,
                        "found_sha256": check.actual_sha256}, reason="fixity")


def run_fixity(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock, pace: Pace, budget_seconds: float | None = None,
               full_pass: bool = False) -> FixityRun:
    """Checks blobs from where the last run stopped, until the registry's end (a pass completes) or the time budget
    runs out. With `full_pass`, starts a fresh pass and goes to its end. Safe to run again at any moment."""
    run = FixityRun()
    started = pace.monotonic()
    if full_pass:
        run.registered = register_unrecorded(uow=uow, blobs=blobs, clock=clock)
    with uow:
        uow.begin_write()
        state = uow.fixity.state(for_update=True)
        if full_pass or state.pass_started_at is None:
            state.cursor, state.pass_started_at = "", clock.now()
            uow.fixity.save_state(state)
        uow.commit()
    while budget_seconds is None or pace.monotonic() - started < budget_seconds:
        with uow:
            batch = uow.fixity.after(state.cursor, limit=BATCH)
        if not batch:
            with uow:
                uow.begin_write()
                state = uow.fixity.state(for_update=True)
                state.cursor, state.last_full_pass_at, state.pass_started_at = "", clock.now(), None
                uow.fixity.save_state(state)
                uow.commit()
            run.finished_pass = True
            break
        for record in batch:
            check, size = _check(blobs, record, pace, clock.now())
            run.checked += 1
            run.bytes_read += size
            with uow:
                uow.begin_write()
                uow.fixity.add_check(check)
                if check.outcome is not Outcome.OK:
                    run.problems.append(check)
                    _report_problem(uow, check, record)
                state = uow.fixity.state(for_update=True)
                state.cursor = record.key
                uow.fixity.save_state(state)
                uow.commit()
            if budget_seconds is not None and pace.monotonic() - started >= budget_seconds:
                break
    run.seconds = pace.monotonic() - started
    return run


def fixity_report(*, uow: UnitOfWork, actor: Principal | None = None, limit: int = 50) -> FixityReport:
    if actor is not None:
        require_archive_role(actor, Role.ARCHIVIST, Role.AUDITOR, Role.ADMIN)
    with uow:
        state = uow.fixity.state()
        total, done, damaged = uow.fixity.counts(state.cursor)
        return FixityReport(total, done, state, uow.fixity.problems(limit=limit), damaged)
