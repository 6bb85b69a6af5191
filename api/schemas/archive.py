"""Schemas of the archive's endpoints: retention schedules and due dates, holds, disposition, tombstones."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from api.schemas.bounds import BoundedDate
from records.disposition import Disposition, DispositionState, Tombstone
from records.holds import Hold, HoldScope
from records.retention import DossierRetention, EndAction, RetentionDue, RetentionSchedule, RetentionState


class ScheduleIn(BaseModel):
    procedure_code: str | None = Field(default=None, max_length=40)
    field: str | None = Field(default=None, max_length=120)
    document_type: str | None = Field(default=None, max_length=30)
    years: int | None = Field(default=None, ge=1, le=200, description="None: permanent (vĩnh viễn)")
    legal_minimum_years: int | None = Field(default=None, ge=1, le=200)
    end_action: EndAction = EndAction.DESTROY
    note: str = Field(default="", max_length=2000)
    active: bool = True


class SchedulePublic(BaseModel):
    id: str
    procedure_code: str | None
    field: str | None
    document_type: str | None
    years: int | None
    legal_minimum_years: int | None
    end_action: EndAction
    note: str
    active: bool
    created_by: str
    created_at: datetime | None
    dossiers_moved: int | None = None

    @classmethod
    def of(cls, s: RetentionSchedule, moved: int | None = None) -> SchedulePublic:
        return cls(id=s.id, procedure_code=s.procedure_code, field=s.field, document_type=s.document_type,
                   years=s.years, legal_minimum_years=s.legal_minimum_years, end_action=s.end_action, note=s.note,
                   active=s.active, created_by=s.created_by, created_at=s.created_at, dossiers_moved=moved)


class SchedulesPublic(BaseModel):
    data: list[SchedulePublic]
    count: int


class RetentionPublic(BaseModel):
    dossier_code: str
    agency_code: str
    procedure_code: str
    closed_at: datetime
    schedule_id: str | None
    years: int | None
    end_action: EndAction
    due_on: date | None
    scheduled_due_on: date | None
    minimum_due_on: date | None
    extension_reason: str
    state: RetentionState

    @classmethod
    def of(cls, r: DossierRetention) -> RetentionPublic:
        return cls(dossier_code=r.dossier_code, agency_code=r.agency_code, procedure_code=r.procedure_code,
                   closed_at=r.closed_at, schedule_id=r.schedule_id, years=r.years, end_action=r.end_action,
                   due_on=r.due_on, scheduled_due_on=r.scheduled_due_on, minimum_due_on=r.minimum_due_on,
                   extension_reason=r.extension_reason, state=r.state)


class DueDateMove(BaseModel):
    due_on: BoundedDate
    reason: str = Field(min_length=1, max_length=2000)


class DuePublic(BaseModel):
    dossier_code: str
    agency_code: str
    procedure_code: str
    closed_at: datetime
    due_on: date | None
    end_action: EndAction
    schedule_id: str | None
    state: RetentionState
    held: bool

    @classmethod
    def of(cls, d: RetentionDue) -> DuePublic:
        return cls(**{name: getattr(d, name) for name in cls.model_fields})


class DuesPublic(BaseModel):
    data: list[DuePublic]
    count: int


class HoldIn(BaseModel):
    scope: HoldScope
    target: str = Field(min_length=1, max_length=64, description="dossier code, archival file code or ID number")
    reason: str = Field(min_length=1, max_length=2000)


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class HoldPublic(BaseModel):
    id: str
    scope: HoldScope
    target: str
    reason: str
    placed_by: str
    placed_at: datetime
    released_by: str | None
    released_at: datetime | None
    release_reason: str
    active: bool

    @classmethod
    def of(cls, h: Hold) -> HoldPublic:
        return cls(id=h.id, scope=h.scope, target=h.target, reason=h.reason, placed_by=h.placed_by,
                   placed_at=h.placed_at, released_by=h.released_by, released_at=h.released_at,
                   release_reason=h.release_reason, active=h.active)


class HoldsPublic(BaseModel):
    data: list[HoldPublic]
    count: int


class ProposalIn(BaseModel):
    dossier_codes: list[str] = Field(min_length=1, max_length=500)
    reason: str = Field(min_length=1, max_length=2000)
    action: EndAction = EndAction.DESTROY


class ApprovalIn(BaseModel):
    password: str = Field(min_length=1, max_length=200, description="the approver's own password, typed again")
    note: str = Field(default="", max_length=2000)


class RejectionIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


class TombstonePublic(BaseModel):
    kind: str
    dossier_code: str
    document_id: str | None
    disposition_id: str = ""
    destroyed_at: datetime
    record: dict[str, Any]

    @classmethod
    def of(cls, t: Tombstone) -> TombstonePublic:
        return cls(kind=t.kind, dossier_code=t.dossier_code, document_id=t.document_id, disposition_id=t.disposition_id,
                   destroyed_at=t.destroyed_at, record=t.record)


class TombstonesPublic(BaseModel):
    data: list[TombstonePublic]
    count: int


class DispositionPublic(BaseModel):
    id: str
    action: EndAction
    reason: str
    dossier_codes: list[str]
    agency_code: str
    state: DispositionState
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    blobs_pending: int
    index_pending: bool = False
    package_path: str | None
    tombstones: list[TombstonePublic] = []

    @classmethod
    def of(cls, d: Disposition, tombstones: list[Tombstone] | None = None) -> DispositionPublic:
        return cls(id=d.id, action=d.action, reason=d.reason, dossier_codes=d.dossier_codes, agency_code=d.agency_code,
                   state=d.state, proposed_by=d.proposed_by, proposed_at=d.proposed_at, decided_by=d.decided_by,
                   decided_at=d.decided_at, decision_note=d.decision_note, blobs_pending=len(d.pending_blobs),
                   index_pending=d.index_pending, package_path=d.package_path,
                   tombstones=[TombstonePublic.of(t) for t in tombstones or []])


class DispositionsPublic(BaseModel):
    data: list[DispositionPublic]
    count: int
