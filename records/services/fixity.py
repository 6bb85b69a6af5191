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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
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
FLUSH_SECONDS = 30.0  # checks are recorded per batch of blobs, or at least this often
LEASE = timedelta(minutes=15)  # renewed with every check; a run that died frees the registry after this long
BATCH = 100  # documents or keys registered per transaction
CHECK_BATCH = 500  # blobs checked per registry page and per recording transaction (or FLUSH_SECONDS)
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
    (`derived`: key → (sha256, size)), with the document and dossier they belong to."""
    records = [BlobRecord(original_key(document.sha256), document.sha256, document.size_bytes, document.id, at,
                          dossier_code=document.dossier_code)]
    records += [BlobRecord(key, sha, size, document.id, at, dossier_code=document.dossier_code)
                for key, (sha, size) in derived.items()]
    uow.fixity.record(records)


def _hash(blobs: BlobStore, key: str, pace: Pace) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with blobs.open(key) as stream:
        started = pace.monotonic() if pace.mb_per_second > 0 else 0.0
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if pace.mb_per_second > 0:
                ahead = size / (pace.mb_per_second * 1024 * 1024) - (pace.monotonic() - started)
                if ahead > 0:
                    pace.sleep(ahead)
    return digest.hexdigest(), size


DOCUMENT_PREFIXES = ("originals/", "derived/")  # found through the documents that hold them
OTHER_PREFIXES = ("audit/",)  # blobs of no document (audit checkpoints), found by listing these folders


def register_unrecorded(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock, pace: Pace | None = None) -> int:
    """Registers, on first sight, blobs that have no record yet (written before the registry existed, or by a writer
    that does not record): a document's original with the hash its document recorded at upload (its key names it
    too), a document's derivatives and the blobs under OTHER_PREFIXES (audit checkpoints) with the hash they have
    now. Runs at the start of every pass; safe to repeat."""
    pace = pace or Pace(0)
    registered, after = 0, ""
    while True:
        with uow:
            documents = uow.documents.page(after_id=after, limit=BATCH)
        if not documents:
            break
        after = documents[-1].id
        registered += _register_documents(uow, blobs, clock, documents, pace)
    others = [key for prefix in OTHER_PREFIXES for key in blobs.keys(prefix)]
    for start in range(0, len(others), BATCH):
        keys = others[start:start + BATCH]
        with uow:
            known = uow.fixity.known(keys)
        fresh = []
        for key in keys:
            if key not in known:
                try:
                    sha, size = _hash(blobs, key, pace)
                except BlobMissing:
                    continue
                fresh.append(BlobRecord(key, sha, size, None, clock.now()))
        registered += _save(uow, fresh, clock)
    return registered


def _save(uow: UnitOfWork, records: list[BlobRecord], clock: Clock) -> int:
    if records:
        with uow:
            uow.begin_write()
            uow.fixity.record(records)
            state = uow.fixity.state(for_update=True)
            if state.running_until is not None:  # a run is registering: its lease goes on
                state.running_until = clock.now() + LEASE
                uow.fixity.save_state(state)
            uow.commit()
    return len(records)


def _register_documents(uow: UnitOfWork, blobs: BlobStore, clock: Clock, documents: list[Document],
                        pace: Pace) -> int:
    wanted = {key: document for document in documents
              for key in document_blob_keys(document.sha256, document.page_count)}
    with uow:
        known = uow.fixity.known(list(wanted))
    fresh: list[BlobRecord] = []
    for key, document in wanted.items():
        if key in known:
            continue
        if key == original_key(document.sha256):
            fresh.append(BlobRecord(key, document.sha256, document.size_bytes, document.id, clock.now(),
                                    dossier_code=document.dossier_code))
            continue
        try:
            sha, size = _hash(blobs, key, pace)
        except BlobMissing:
            continue  # a derivative this document does not have (a born-digital PDF has no searchable copy)
        fresh.append(BlobRecord(key, sha, size, document.id, clock.now(), dossier_code=document.dossier_code))
    return _save(uow, fresh, clock)


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


def _owner_agency(uow: UnitOfWork, record: BlobRecord) -> str | None:
    """Whose archivists see the alert: the receiving agency of the blob's dossier (None: everyone's, e.g. an audit
    checkpoint or a blob of no dossier). Administrators and auditors see every alert."""
    if record.dossier_code is None:
        return None
    dossier = uow.dossiers.get(record.dossier_code)
    return None if dossier is None else dossier.receiving_agency_code


def _report_problem(uow: UnitOfWork, check: FixityCheck, record: BlobRecord) -> None:
    repaired = check.outcome is Outcome.REPAIRED
    state_vi = "đã tự khôi phục từ bản sao" if repaired else "CHƯA khôi phục được"
    state_en = "restored from the replica" if repaired else "NOT restored"
    found_vi = "bị mất" if check.actual_sha256 is None else "bị sai lệch nội dung"
    found_en = "missing" if check.actual_sha256 is None else "damaged (hash mismatch)"
    of_vi = f" (hồ sơ {record.dossier_code})" if record.dossier_code else ""
    of_en = f" (dossier {record.dossier_code})" if record.dossier_code else ""
    uow.archive_alerts.raise_once(ArchiveAlert(
        kind="fixity_repaired" if repaired else "fixity_damage", subject=check.key, raised_at=check.at,
        agency_code=_owner_agency(uow, record),
        message_vi=f"Tệp {check.key}{of_vi} {found_vi}; {state_vi}.",
        message_en=f"Blob {check.key}{of_en} was {found_en}; {state_en}.",
        detail={"key": check.key, "kind": record.kind.value, "outcome": check.outcome.value,
                "expected_sha256": check.expected_sha256, "actual_sha256": check.actual_sha256,
                "document_id": record.document_id, "dossier_code": record.dossier_code}))
    if repaired:
        audited(uow, FIXITY_ACTOR, AccessKind.FIXITY_REPAIRED, check.at, dossier_code=record.dossier_code,
                document_id=record.document_id,
                detail={"key": check.key, "kind": record.kind.value, "expected_sha256": check.expected_sha256,
                        "found_sha256": check.actual_sha256}, reason="fixity")


def _gone_with_its_documents(uow: UnitOfWork, check: FixityCheck, record: BlobRecord) -> bool:
    """A missing document blob that no document references any more (its dossier was destroyed between the
    registry's listing and the destruction) is nothing lost: it leaves the registry instead of raising an alert."""
    if check.actual_sha256 is not None or check.outcome is Outcome.REPAIRED \
            or not record.key.startswith(DOCUMENT_PREFIXES):
        return False
    return uow.documents.references_to(record.key.split("/")[2]) == 0


def _flush(uow: UnitOfWork, clock: Clock, pending: list[tuple[FixityCheck, BlobRecord]], run: FixityRun) -> None:
    """Records the checks made since the last flush in one transaction and moves the cursor past them (a batch of
    blobs, or up to a damaged one): a run cut short re-checks at most that much."""
    if not pending:
        return
    with uow:
        uow.begin_write()
        ok = []
        for check, record in pending:
            if check.outcome is Outcome.OK:
                ok.append(check)
            elif _gone_with_its_documents(uow, check, record):
                uow.fixity.forget([record.key])
            else:
                uow.fixity.add_check(check)
                run.problems.append(check)
                _report_problem(uow, check, record)
        uow.fixity.add_checks(ok)
        state = uow.fixity.state(for_update=True)
        state.cursor, state.running_until = pending[-1][1].key, clock.now() + LEASE
        uow.fixity.save_state(state)
        uow.commit()
    pending.clear()


def _claim(uow: UnitOfWork, clock: Clock) -> bool:
    """Takes the run's lease unless another run holds it (a scheduled run and an operator's `hoso fixity run` never
    walk the registry at once: one could read a blob while the other restores it)."""
    with uow:
        uow.begin_write()
        state = uow.fixity.state(for_update=True)
        if state.running_until is not None and state.running_until > clock.now():
            uow.commit()
            return False
        state.running_until = clock.now() + LEASE
        uow.fixity.save_state(state)
        uow.commit()
    return True


def _release(uow: UnitOfWork) -> None:
    with uow:
        uow.begin_write()
        state = uow.fixity.state(for_update=True)
        state.running_until = None
        uow.fixity.save_state(state)
        uow.commit()


def run_fixity(*, uow: UnitOfWork, blobs: BlobStore, clock: Clock, pace: Pace, budget_seconds: float | None = None,
               full_pass: bool = False) -> FixityRun:
    """Checks blobs from where the last run stopped, until the registry's end (a pass completes) or the time budget
    runs out. With `full_pass`, starts a fresh pass and goes to its end. Safe to run again at any moment; while
    another run is going on it does nothing and says so (`busy`)."""
    run = FixityRun()
    started = pace.monotonic()
    if not _claim(uow, clock):
        run.busy = True
        return run
    try:
        _walk(uow, blobs, clock, pace, budget_seconds, full_pass, run, started)
    finally:
        _release(uow)
    run.seconds = pace.monotonic() - started
    return run


def _walk(uow: UnitOfWork, blobs: BlobStore, clock: Clock, pace: Pace, budget_seconds: float | None,
          full_pass: bool, run: FixityRun, started: float) -> None:
    with uow:
        fresh_pass = full_pass or uow.fixity.state().pass_started_at is None
    if fresh_pass:  # blobs with no record yet are registered on first sight, at the start of each pass
        run.registered = register_unrecorded(uow=uow, blobs=blobs, clock=clock, pace=pace)
    with uow:
        uow.begin_write()
        state = uow.fixity.state(for_update=True)
        if fresh_pass:
            state.cursor, state.pass_started_at = "", clock.now()
        state.running_until = clock.now() + LEASE
        uow.fixity.save_state(state)
        uow.commit()
    while budget_seconds is None or pace.monotonic() - started < budget_seconds:
        with uow:
            batch = uow.fixity.after(state.cursor, limit=CHECK_BATCH)
        if not batch:
            with uow:
                uow.begin_write()
                state = uow.fixity.state(for_update=True)
                state.cursor, state.last_full_pass_at, state.pass_started_at = "", clock.now(), None
                uow.fixity.save_state(state)
                uow.commit()
            run.finished_pass = True
            return
        pending: list[tuple[FixityCheck, BlobRecord]] = []
        flushed = pace.monotonic()
        for record in batch:
            check, size = _check(blobs, record, pace, clock.now())
            run.checked += 1
            run.bytes_read += size
            pending.append((check, record))
            now = pace.monotonic()
            # damage is recorded (and alerted) at once; a slow batch (large blobs, a low rate) now and then
            if check.outcome is not Outcome.OK or now - flushed >= FLUSH_SECONDS:
                _flush(uow, clock, pending, run)
                flushed = now
            if budget_seconds is not None and now - started >= budget_seconds:
                _flush(uow, clock, pending, run)
                return
        _flush(uow, clock, pending, run)
        state.cursor = batch[-1].key


def fixity_report(*, uow: UnitOfWork, actor: Principal | None = None, limit: int = 50) -> FixityReport:
    """Progress of the current pass, the last full pass, what is damaged now, and the recent failures and repairs.
    The whole installation's (blob keys are content hashes; which dossier a problem concerns is in the alert, which
    only that dossier's archive sees)."""
    if actor is not None:
        require_archive_role(actor, Role.ARCHIVIST, Role.AUDITOR, Role.ADMIN)
    with uow:
        state = uow.fixity.state()
        counts = uow.fixity.counts(state.cursor)
        return FixityReport(counts.blobs, counts.checked_this_pass, state, uow.fixity.problems(limit=limit),
                            counts.damaged_now, repairs=counts.repairs, failures=counts.failures)


def fixity_checks(*, uow: UnitOfWork, actor: Principal, outcomes: Sequence[Outcome] | None = None,
                  key: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[FixityCheck], int]:
    """The recorded checks, newest first (all outcomes, or only those asked for), and how many there are."""
    require_archive_role(actor, Role.ARCHIVIST, Role.AUDITOR, Role.ADMIN)
    with uow:
        return uow.fixity.checks(outcomes=outcomes, key=key, limit=limit, offset=offset)
