"""What the operator's metrics read from the database at scrape time: document processing, index lag, fixity,
the last audit verification and the outbox backlog. Read-only, a handful of aggregate queries; safe to repeat.

The figures come from the database rather than from counters inside worker processes, so every API process
reports the same numbers whichever worker did the work, and a restarted worker loses nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, func, select

from storage.models import (
    AccessLogRow,
    BlobRecordRow,
    DocumentPageRow,
    DocumentRow,
    FixityCheckRow,
    FixityStateRow,
    OutboxRow,
)

AUDIT_VERIFIED = "audit_verified"  # records.access_log.AccessKind.AUDIT_VERIFIED
DAMAGED_OUTCOMES = ("mismatch", "missing", "unrepaired")  # records.fixity.DAMAGED
INTACT_OUTCOMES = ("ok", "repaired")
PROCESSING = ("extracting", "ocr")
OCR_RATE_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class OutboxBacklog:
    pending: int
    oldest_age_seconds: float | None


@dataclass(frozen=True)
class OperationsSnapshot:
    documents_by_status: dict[str, int] = field(default_factory=dict)
    failures_by_code: dict[str, int] = field(default_factory=dict)
    ocr_pages: int = 0  # pages whose text came from OCR, stored
    ocr_pages_recent: int = 0  # OCR pages of documents that finished (indexed) within OCR_RATE_WINDOW
    index_lag_documents: int = 0  # processed (pages stored) but their dossier not yet indexed
    index_lag_oldest_seconds: float | None = None
    fixity_last_pass_at: datetime | None = None
    fixity_blobs_by_outcome: dict[str, int] = field(default_factory=dict)  # "unchecked" for never checked
    fixity_last_check_at: datetime | None = None
    audit_last_verified_at: datetime | None = None
    audit_last_checked: int | None = None
    audit_last_intact: bool | None = None
    outbox: OutboxBacklog | None = None  # None: no outbox table in this database


def read_operations(engine: Engine, now: datetime) -> OperationsSnapshot:
    """One consistent-enough read of the figures (a few short queries on one connection)."""
    with engine.connect() as conn:
        docs = dict(conn.execute(select(DocumentRow.status, func.count()).group_by(DocumentRow.status)).all())
        failures = dict(conn.execute(select(func.coalesce(DocumentRow.failure_code, "unknown"), func.count())
                                     .where(DocumentRow.status == "failed")
                                     .group_by(DocumentRow.failure_code)).all())
        ocr_pages = conn.execute(select(func.count()).select_from(DocumentPageRow)
                                 .where(DocumentPageRow.source == "ocr")).scalar_one()
        recent = conn.execute(
            select(func.count()).select_from(DocumentPageRow)
            .join(DocumentRow, DocumentRow.id == DocumentPageRow.document_id)
            .where(DocumentPageRow.source == "ocr", DocumentRow.status == "indexed",
                   DocumentRow.status_changed_at >= now - OCR_RATE_WINDOW)).scalar_one()
        lag_count, lag_oldest = conn.execute(
            select(func.count(), func.min(DocumentRow.status_changed_at))
            .where(DocumentRow.status.in_(PROCESSING), DocumentRow.page_count.is_not(None))).one()
        outcomes = dict(conn.execute(select(func.coalesce(BlobRecordRow.last_outcome, "unchecked"), func.count())
                                     .group_by(BlobRecordRow.last_outcome)).all())
        last_check = conn.execute(select(func.max(FixityCheckRow.at))).scalar()  # indexed: no scan
        last_pass = conn.execute(select(FixityStateRow.last_full_pass_at).limit(1)).scalar()
        verified = conn.execute(select(AccessLogRow.at, AccessLogRow.detail)
                                .where(AccessLogRow.action == AUDIT_VERIFIED)
                                .order_by(AccessLogRow.id.desc()).limit(1)).first()
        outbox = outbox_backlog(conn, now)
    detail = verified.detail if verified is not None else {}
    return OperationsSnapshot(
        documents_by_status={str(k): int(v) for k, v in docs.items()},
        failures_by_code={str(k): int(v) for k, v in failures.items()},
        ocr_pages=int(ocr_pages), ocr_pages_recent=int(recent),
        index_lag_documents=int(lag_count),
        index_lag_oldest_seconds=_age(now, lag_oldest),
        fixity_last_pass_at=last_pass, fixity_blobs_by_outcome={str(k): int(v) for k, v in outcomes.items()},
        fixity_last_check_at=last_check,
        audit_last_verified_at=verified.at if verified is not None else None,
        audit_last_checked=int(detail.get("checked") or 0) if verified is not None else None,
        audit_last_intact=bool(detail.get("intact")) if verified is not None else None,
        outbox=outbox,
    )


def outbox_backlog(conn: Connection, now: datetime) -> OutboxBacklog | None:
    """Rows of the transactional outbox not yet handed to the broker, and the age of the oldest."""
    pending, first = conn.execute(select(func.count(), func.min(OutboxRow.created_at))
                                  .where(OutboxRow.dispatched_at.is_(None))).one()
    return OutboxBacklog(int(pending), _age(now, first))


def _age(now: datetime, then: datetime | None) -> float | None:
    if then is None:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - then).total_seconds())
