"""Fixity: every stored blob is re-read now and then and its SHA-256 compared with the one recorded when it was
written (originals at upload, derivatives when the worker made them). A damaged or missing blob is restored from the
replica when one is configured (QCVN 12:2026/BCA: automatic recovery of damaged documents)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    MISMATCH = "mismatch"  # found damaged, no replica to restore from
    MISSING = "missing"  # gone, no replica to restore from
    REPAIRED = "repaired"  # found damaged or missing, restored from the replica and verified
    UNREPAIRED = "unrepaired"  # damaged or missing, and the replica had no good copy either


DAMAGED = frozenset({Outcome.MISMATCH, Outcome.MISSING, Outcome.UNREPAIRED})


class BlobKind(StrEnum):
    """What a stored blob is, read from its key (records.blobs decides the keys)."""

    ORIGINAL = "original"
    SEARCHABLE_PDF = "searchable_pdf"
    TEXT = "text"
    THUMBNAIL = "thumbnail"
    AUDIT_CHECKPOINT = "audit_checkpoint"
    OTHER = "other"


def blob_kind(key: str) -> BlobKind:
    if key.startswith("originals/"):
        return BlobKind.ORIGINAL
    if key.startswith("derived/"):
        name = key.rsplit("/", 1)[-1]
        if name == "searchable.pdf":
            return BlobKind.SEARCHABLE_PDF
        if name == "text.json":
            return BlobKind.TEXT
        if name.startswith("page-") and name.endswith(".png"):
            return BlobKind.THUMBNAIL
    if key.startswith("audit/"):
        return BlobKind.AUDIT_CHECKPOINT
    return BlobKind.OTHER


@dataclass(frozen=True)
class BlobRecord:
    key: str
    sha256: str
    size: int
    document_id: str | None
    recorded_at: datetime
    checked_at: datetime | None = None
    last_outcome: Outcome | None = None
    dossier_code: str | None = None  # the dossier the blob was written for (None: not a document's blob)

    @property
    def kind(self) -> BlobKind:
        return blob_kind(self.key)


@dataclass(frozen=True)
class FixityCheck:
    key: str
    at: datetime
    outcome: Outcome
    expected_sha256: str
    actual_sha256: str | None


@dataclass
class FixityState:
    cursor: str = ""  # the last key checked in the current pass ("" = at the start)
    pass_started_at: datetime | None = None
    last_full_pass_at: datetime | None = None
    running_until: datetime | None = None  # a run is going on until then (renewed as it goes); None: none is


@dataclass
class FixityRun:
    checked: int = 0
    bytes_read: int = 0
    seconds: float = 0.0
    registered: int = 0
    finished_pass: bool = False
    busy: bool = False  # another run was going on: this one checked nothing
    problems: list[FixityCheck] = field(default_factory=list)

    @property
    def unrepaired(self) -> list[FixityCheck]:
        return [p for p in self.problems if p.outcome in DAMAGED]

    @property
    def repaired(self) -> list[FixityCheck]:
        return [p for p in self.problems if p.outcome is Outcome.REPAIRED]


@dataclass(frozen=True)
class FixityCounts:
    blobs: int  # registered
    checked_this_pass: int  # at or before the pass's cursor
    damaged_now: int  # whose last check found damage that is not repaired
    repairs: int  # checks that restored a blob from the replica, ever
    failures: int  # checks that found damage they could not repair, ever


@dataclass(frozen=True)
class FixityReport:
    blobs: int
    checked_this_pass: int
    state: FixityState
    recent_problems: list[FixityCheck]
    damaged_now: int
    repairs: int = 0
    failures: int = 0
