"""SQLAlchemy tables. Rows stay here; repositories hand the core its own dataclasses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants in UTC; SQLite gives them back naive, so the zone is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class AgencyRow(Base):
    __tablename__ = "agencies"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(20), index=True)
    parent_code: Mapped[str | None] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20))
    successor_code: Mapped[str | None] = mapped_column(String(40), index=True)
    ended_on: Mapped[date | None] = mapped_column(Date)
    short_name: Mapped[str | None] = mapped_column(String(60))
    external_system: Mapped[str | None] = mapped_column(String(40))


class ProcedureRow(Base):
    __tablename__ = "procedures"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(String(120), index=True)
    level: Mapped[str] = mapped_column(String(20))
    published: Mapped[bool] = mapped_column(Boolean)
    processing_days: Mapped[float] = mapped_column(Float)
    retention_years: Mapped[int | None] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # the full procedure as exported


class UserRow(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DossierCounterRow(Base):
    __tablename__ = "dossier_counters"

    agency_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class DossierRow(Base):
    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure_code: Mapped[str] = mapped_column(ForeignKey("procedures.code"), index=True)
    receiving_agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    holder_agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    holder_party: Mapped[str] = mapped_column(String(20))
    holder_since: Mapped[datetime | None]
    clock_started_at: Mapped[datetime | None]
    last_moved_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(30), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(Text, default="")
    applicant_kind: Mapped[str] = mapped_column(String(20))
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_id_number: Mapped[str] = mapped_column(String(20), index=True)
    applicant_phone: Mapped[str | None] = mapped_column(String(30))
    applicant_email: Mapped[str | None] = mapped_column(String(200))
    applicant_address: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(index=True)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    extended_due_at: Mapped[datetime | None]
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    step_started_at: Mapped[datetime | None]
    step_due_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    holding_paused_days: Mapped[float] = mapped_column(Float, default=0.0)
    total_paused_days: Mapped[float] = mapped_column(Float, default=0.0)
    resolved_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_event_seq: Mapped[int] = mapped_column(Integer, default=0)
    parent_code: Mapped[str | None] = mapped_column(String(64), index=True)  # linked dossiers ("3 in 1")
    receipt_digest: Mapped[str | None] = mapped_column(String(64))  # keyed digest of the receipt's secret


class DossierParticipantRow(Base):
    """Every agency that received, held or holds a dossier (`via` route), or works on a dossier linked to it
    (`via` linked): the basis of read access."""

    __tablename__ = "dossier_participants"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), primary_key=True)
    via: Mapped[str] = mapped_column(String(10), default="route", server_default="route")

    __table_args__ = (Index("ix_dossier_participants_agency", "agency_code", "dossier_id"),)


class DossierEventRow(Base):
    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_username: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_agency_code: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    target_agency_code: Mapped[str | None] = mapped_column(String(40))
    handover: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("dossier_id", "seq"),)


class ExtensionLetterRow(Base):
    __tablename__ = "extension_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    new_due_at: Mapped[datetime]
    issued_at: Mapped[datetime]
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_by_name: Mapped[str] = mapped_column(String(200), default="")


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    agency_code: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    raised_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("dossier_id", "kind", "due_at"),)


class DocumentRow(Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    document_type: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
    number_notation: Mapped[str | None] = mapped_column(String(100))
    issuing_organ: Mapped[str | None] = mapped_column(String(300))
    issued_date: Mapped[date | None] = mapped_column(Date)
    signer: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_changed_at: Mapped[datetime | None]
    failure_code: Mapped[str | None] = mapped_column(String(60))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int | None] = mapped_column(Integer)
    has_searchable_pdf: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    uploaded_agency_code: Mapped[str | None] = mapped_column(String(40))
    is_result: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    heartbeat_at: Mapped[datetime | None]
    pages_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (UniqueConstraint("dossier_id", "sha256"),)


class DocumentPageRow(Base):
    __tablename__ = "document_pages"

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    page_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float)


class ShareRow(Base):
    __tablename__ = "shares"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    grantor_agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    grantee_agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    purpose: Mapped[str] = mapped_column(Text)
    allow_attach: Mapped[bool] = mapped_column(Boolean, default=False)
    whole_dossier: Mapped[bool] = mapped_column(Boolean, default=True)
    granted_by: Mapped[str] = mapped_column(String(64))
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_shares_grantee", "grantee_agency_code", "expires_at"),)


class ShareDocumentRow(Base):
    __tablename__ = "share_documents"

    share_id: Mapped[str] = mapped_column(ForeignKey("shares.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)


class IntegrationAccountRow(Base):
    __tablename__ = "integration_accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    token_digest: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(64))


class AccessLogRow(Base):
    """Append-only. Dossier codes and document ids are kept as text, not foreign keys: the log outlives them."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    principal_kind: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(100), index=True)
    agency_code: Mapped[str | None] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(40))
    dossier_code: Mapped[str | None] = mapped_column(String(64))
    document_id: Mapped[str | None] = mapped_column(String(32))
    share_id: Mapped[str | None] = mapped_column(String(32))
    client: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The audit chain (records.audit): the previous entry's hash and this entry's, over its canonical bytes.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_access_log_dossier", "dossier_code", "at"),
        Index("ix_access_log_document", "document_id", "at"),
    )


class WebhookSubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(128))  # needed in clear to sign; shown once, stored for the worker
    event_types: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
                                                 index=True)
    event_id: Mapped[str] = mapped_column(String(32), index=True)
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    replay_of: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)


class WebhookAttemptRow(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)


class AttemptLimitRow(Base):
    """Failed attempts per key (a dossier code, a client address) on the public lookup, to slow guessing."""

    __tablename__ = "attempt_limits"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_started_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]


class AuditHeadRow(Base):
    """The audit chain's head (one row): the last entry's id and hash. Appends lock it, so entries chain in order."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    # The hash before last_hash: what a one-statement append (PostgreSQL) reads back as its entry's prev_hash.
    prev_hash: Mapped[str | None] = mapped_column(String(64))


class ArchiveAlertRow(Base):
    """Alerts for archivists (fixity damage, a broken audit chain, files due for deposit): one open per kind+subject."""

    __tablename__ = "archive_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    agency_code: Mapped[str | None] = mapped_column(String(40), index=True)
    message_vi: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raised_at: Mapped[datetime] = mapped_column(index=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None]
    # Equal to `subject` while the alert is open and NULL once acknowledged: the unique index then allows one open
    # alert per kind and subject, and any number of acknowledged ones.
    open_subject: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (UniqueConstraint("kind", "open_subject", name="uq_archive_alerts_open"),)


def table_of(model: type[Base]) -> Table:
    """The Core table behind a mapped class, for the hot paths that skip the ORM's bookkeeping."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class RetentionScheduleRow(Base):
    __tablename__ = "retention_schedules"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    procedure_code: Mapped[str | None] = mapped_column(ForeignKey("procedures.code"), index=True)
    field: Mapped[str | None] = mapped_column(String(120), index=True)
    document_type: Mapped[str | None] = mapped_column(String(30))
    years: Mapped[int | None] = mapped_column(Integer)
    legal_minimum_years: Mapped[int | None] = mapped_column(Integer)
    end_action: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DossierRetentionRow(Base):
    """A closed dossier's retention. Kept by dossier code (no foreign key): the line outlives a destroyed dossier."""

    __tablename__ = "dossier_retention"

    dossier_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(40), index=True)
    procedure_code: Mapped[str] = mapped_column(String(40), index=True)
    closed_at: Mapped[datetime]
    schedule_id: Mapped[str | None] = mapped_column(String(32), index=True)
    years: Mapped[int | None] = mapped_column(Integer)
    minimum_years: Mapped[int | None] = mapped_column(Integer)
    end_action: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date | None] = mapped_column(Date, index=True)  # derived, kept for the queue's query
    extended_due_on: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    extended_by: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), index=True)
    # The due date the S3 object-lock retention of the originals was last set to (None: not set, or no S3 lock).
    object_retention_on: Mapped[date | None] = mapped_column(Date)


class HoldRow(Base):
    __tablename__ = "legal_holds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(64))
    agency_code: Mapped[str] = mapped_column(String(40), index=True)  # whose archive placed it
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime]
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None]
    release_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_legal_holds_target", "scope", "target"),)


class ArchivalFileRow(Base):
    """An archival file (hồ sơ lưu trữ) with the metadata of Decree 30/2020 Appendix VI."""

    __tablename__ = "archival_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    file_code: Mapped[str] = mapped_column(String(120), unique=True)
    organ_id: Mapped[str] = mapped_column(String(40), index=True)
    file_catalog: Mapped[int] = mapped_column(Integer)
    file_notation: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    maintenance: Mapped[str] = mapped_column(String(60))
    rights: Mapped[str] = mapped_column(String(60))
    creator: Mapped[str] = mapped_column(String(300))
    language: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text, default="")
    procedure_code: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30), index=True)
    deposit_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    history: Mapped[list[Any]] = mapped_column(JSON, default=list)  # state changes: who, when, from, to, note


class ArchivalFileDossierRow(Base):
    __tablename__ = "archival_file_dossiers"

    dossier_code: Mapped[str] = mapped_column(String(64), primary_key=True)  # a dossier is in one file at most
    file_id: Mapped[str] = mapped_column(ForeignKey("archival_files.id", ondelete="CASCADE"), index=True)


class ArchivalDocumentRow(Base):
    """A document's entry in its archival file: DocOrdinal and the document metadata of Decree 30."""

    __tablename__ = "archival_documents"

    document_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("archival_files.id", ondelete="CASCADE"), index=True)
    dossier_code: Mapped[str] = mapped_column(String(64), index=True)
    doc_ordinal: Mapped[int] = mapped_column(Integer)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)


class DispositionRow(Base):
    """A proposal to destroy (or deposit) a set of due dossiers, and what became of it."""

    __tablename__ = "dispositions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    dossier_codes: Mapped[list[str]] = mapped_column(JSON)
    agency_code: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    pending_blobs: Mapped[list[str]] = mapped_column(JSON, default=list)  # still to destroy after the commit
    index_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    package_path: Mapped[str | None] = mapped_column(Text)


class TombstoneRow(Base):
    """What remains of a destroyed dossier or document: metadata, hashes, schedule, who proposed and approved."""

    __tablename__ = "tombstones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))  # dossier | document
    dossier_code: Mapped[str] = mapped_column(String(64), index=True)
    document_id: Mapped[str | None] = mapped_column(String(32))
    disposition_id: Mapped[str] = mapped_column(String(32), index=True)
    destroyed_at: Mapped[datetime]
    record: Mapped[dict[str, Any]] = mapped_column(JSON)


class BlobRecordRow(Base):
    """Every stored blob with the SHA-256 recorded when it was written, and its last fixity check."""

    __tablename__ = "blob_records"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    document_id: Mapped[str | None] = mapped_column(String(32), index=True)
    recorded_at: Mapped[datetime]
    checked_at: Mapped[datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="other", server_default="other")  # fixity.BlobKind
    dossier_code: Mapped[str | None] = mapped_column(String(64), index=True)


class FixityCheckRow(Base):
    __tablename__ = "fixity_checks"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # ok, mismatch, missing, repaired, unrepaired
    expected_sha256: Mapped[str] = mapped_column(String(64))
    actual_sha256: Mapped[str | None] = mapped_column(String(64))


class FixityStateRow(Base):
    """Where the fixity pass stands (one row): it resumes after the last key checked."""

    __tablename__ = "fixity_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cursor: Mapped[str] = mapped_column(String(300), default="")
    pass_started_at: Mapped[datetime | None]
    last_full_pass_at: Mapped[datetime | None]
    running_until: Mapped[datetime | None]


class ArchivalFileEventRow(Base):
    """One step of an archival file: created, closed, reopened, deposited to the agency or the historical archive."""

    __tablename__ = "archival_file_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    file_id: Mapped[str] = mapped_column(ForeignKey("archival_files.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")


class OutboxRow(Base):
    """Follow-up work written with the change that needs it; the dispatcher sends it to the task queue."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON (sorted keys): equal work, equal text
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    available_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_pending", "dispatched_at", "available_at"),)


class IdempotencyKeyRow(Base):
    """A creating request's Idempotency-Key, per principal, with the first answer to replay."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(130))  # request line hash ":" body hash
    state: Mapped[str] = mapped_column(String(20))  # in_progress, done
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
class PastImportRow(Base):
    """The import journal: each dossier brought in from a past archive and what its manifest row said (fingerprint)."""

    __tablename__ = "past_imports"

    dossier_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(500))
    row_number: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime]
    documents: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
