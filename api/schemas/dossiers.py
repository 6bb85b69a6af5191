"""Schemas for dossiers, their history, extension letters and statistics."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.bounds import BoundedAwareDateTime
from records.access import Action, Principal, decide
from records.dossiers import (
    DONE_FOR_GROUP,
    ROLE_TARGETS,
    TRANSITIONS,
    Applicant,
    ApplicantKind,
    Channel,
    Dossier,
    DossierEvent,
    DossierState,
    ExtensionLetter,
    Handover,
    Party,
    Timeliness,
)
from records.holds import Hold, HoldScope
from records.services.access import subject_of
from records.services.reports import TimelinessCounts


class ApplicantSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ApplicantKind = ApplicantKind.PERSON
    name: str = Field(min_length=1, max_length=200)
    id_number: str = Field(min_length=1, max_length=20,
                           description="12-digit citizen ID for a person, tax code for an organisation")
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)

    def to_domain(self) -> Applicant:
        return Applicant(self.kind, self.name.strip(), self.id_number.strip(), self.phone, self.email,
                         self.address)

    @classmethod
    def of(cls, applicant: Applicant) -> ApplicantSchema:
        return cls(kind=applicant.kind, name=applicant.name, id_number=applicant.id_number,
                   phone=applicant.phone, email=applicant.email, address=applicant.address)


class DossierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    procedure_code: str = Field(min_length=1, max_length=40)
    applicant: ApplicantSchema
    channel: Channel = Channel.COUNTER
    received_at: BoundedAwareDateTime | None = Field(default=None, description="default: now; never in the future")
    agency_code: str | None = Field(default=None, description="default: the officer's own agency")
    subject: str = Field(default="", max_length=1000)
    linked_procedures: list[str] | None = Field(
        default=None, max_length=20,
        description="for a procedure that links others (\"3 in 1\"): which linked dossiers to open; "
                    "default all of them")


class TransitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: DossierState
    note: str = Field(default="", max_length=2000)
    target_agency_code: str | None = Field(
        default=None, description="for `to` = 'transferred': the agency to hand over to; default the next agency "
                                  "of the procedure's route (required at the end of the route)")


class ExtensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    new_due_at: BoundedAwareDateTime


class DossierPublic(BaseModel):
    code: str
    procedure_code: str
    receiving_agency_code: str
    holder_agency_code: str
    holder_party: Party
    state: DossierState
    channel: Channel
    subject: str
    applicant: ApplicantSchema
    received_at: datetime
    due_at: datetime | None
    extended_due_at: datetime | None
    step_index: int
    step_due_at: datetime | None
    paused_at: datetime | None
    resolved_at: datetime | None
    completed_at: datetime | None
    overdue_days: float
    late: bool
    version: int
    participant_agencies: list[str]
    linked_agencies: list[str] = Field(description="agencies working on its linked dossiers, who read it too")
    parent_code: str | None = Field(description="the group dossier this one was opened with (\"3 in 1\")")
    next_states: list[DossierState] = Field(
        description="moves the current user may make now: allowed from this state, by their roles, and only "
                    "while their agency holds the dossier")

    @classmethod
    def of(cls, dossier: Dossier, *, overdue_days: float, viewer: Principal, now: datetime) -> DossierPublic:
        holds = decide(viewer, Action.CHANGE, subject_of(dossier), now=now).allowed
        allowed = {s for role in viewer.roles for s in ROLE_TARGETS.get(role, frozenset())} if holds else set()
        return cls(
            code=dossier.code, procedure_code=dossier.procedure_code,
            receiving_agency_code=dossier.receiving_agency_code, holder_agency_code=dossier.holder_agency_code,
            holder_party=dossier.holder_party, state=dossier.state, channel=dossier.channel,
            subject=dossier.subject, applicant=ApplicantSchema.of(dossier.applicant),
            received_at=dossier.received_at, due_at=dossier.due_at, extended_due_at=dossier.extended_due_at,
            step_index=dossier.step_index, step_due_at=dossier.step_due_at, paused_at=dossier.paused_at,
            resolved_at=dossier.resolved_at, completed_at=dossier.completed_at,
            overdue_days=round(overdue_days, 2), late=overdue_days > 0, version=dossier.version,
            participant_agencies=sorted(dossier.participant_agencies),
            linked_agencies=sorted(dossier.linked_agencies - dossier.participant_agencies),
            parent_code=dossier.parent_code,
            next_states=sorted(TRANSITIONS[dossier.state] & allowed),
        )


class LinkedDossierPublic(BaseModel):
    """One linked dossier of a group, as its progress: enough to follow it, not its contents."""

    code: str
    procedure_code: str
    receiving_agency_code: str
    holder_agency_code: str
    state: DossierState
    due_at: datetime | None
    resolved_at: datetime | None
    overdue_days: float
    late: bool
    done: bool

    @classmethod
    def of(cls, dossier: Dossier, *, overdue_days: float) -> LinkedDossierPublic:
        return cls(code=dossier.code, procedure_code=dossier.procedure_code,
                   receiving_agency_code=dossier.receiving_agency_code, holder_agency_code=dossier.holder_agency_code,
                   state=dossier.state, due_at=dossier.due_at, resolved_at=dossier.resolved_at,
                   overdue_days=round(overdue_days, 2), late=overdue_days > 0,
                   done=dossier.state in DONE_FOR_GROUP)


class GroupProgress(BaseModel):
    """The combined progress of a group dossier's linked dossiers."""

    total: int
    done: int
    late: int
    latest_due_at: datetime | None
    dossiers: list[LinkedDossierPublic]

    @classmethod
    def of(cls, linked: list[LinkedDossierPublic]) -> GroupProgress:
        dues = [d.due_at for d in linked if d.due_at is not None]
        return cls(total=len(linked), done=sum(d.done for d in linked), late=sum(d.late for d in linked),
                   latest_due_at=max(dues) if dues else None, dossiers=linked)


class HoldBadge(BaseModel):
    """A legal hold as it shows on a dossier: while any is listed, nothing about the dossier can change."""

    id: str
    scope: HoldScope
    target: str
    reason: str
    placed_by: str
    placed_at: datetime

    @classmethod
    def of(cls, hold: Hold) -> HoldBadge:
        return cls(id=hold.id, scope=hold.scope, target=hold.target, reason=hold.reason, placed_by=hold.placed_by,
                   placed_at=hold.placed_at)


class DossierDetail(DossierPublic):
    """One dossier as its reader sees it: why they may, and, for a group dossier, its linked dossiers."""

    access_reason: str = Field(description="why the reader may see it: holder_agency, receiving_agency, "
                                           "route_agency, successor_agency, linked_dossier, share, admin")
    group: GroupProgress | None = None
    holds: list[HoldBadge] = Field(default_factory=list, description="the legal holds (đóng băng) freezing the "
                                   "dossier: on itself, its group dossier, its archival file or its applicant")


class DossierCreated(DossierDetail):
    receipt_secret: str = Field(description="printed on the intake receipt; with the code it lets the applicant "
                                            "look the dossier up. Shown this once: only a digest is stored")


class DossiersPublic(BaseModel):
    data: list[DossierPublic]
    count: int


class HandoverPublic(BaseModel):
    from_agency_code: str
    from_party: Party
    to_agency_code: str
    to_party: Party
    started_at: datetime
    due_at: datetime
    allowed_days: float
    used_days: float
    timeliness: Timeliness

    @classmethod
    def of(cls, handover: Handover) -> HandoverPublic:
        return cls(**{name: getattr(handover, name) for name in cls.model_fields})


class EventPublic(BaseModel):
    seq: int
    at: datetime
    from_state: DossierState | None
    to_state: DossierState
    actor_username: str
    actor_name: str
    actor_agency_code: str
    note: str
    target_agency_code: str | None
    handover: HandoverPublic | None

    @classmethod
    def of(cls, event: DossierEvent) -> EventPublic:
        return cls(seq=event.seq, at=event.at, from_state=event.from_state, to_state=event.to_state,
                   actor_username=event.actor_username, actor_name=event.actor_name,
                   actor_agency_code=event.actor_agency_code, note=event.note,
                   target_agency_code=event.target_agency_code,
                   handover=HandoverPublic.of(event.handover) if event.handover else None)


class EventsPublic(BaseModel):
    data: list[EventPublic]
    count: int


class ExtensionPublic(BaseModel):
    reason: str
    new_due_at: datetime
    issued_at: datetime
    issued_by: str
    issued_by_name: str

    @classmethod
    def of(cls, letter: ExtensionLetter) -> ExtensionPublic:
        return cls(reason=letter.reason, new_due_at=letter.new_due_at, issued_at=letter.issued_at,
                   issued_by=letter.issued_by, issued_by_name=letter.issued_by_name)


class ExtensionsPublic(BaseModel):
    data: list[ExtensionPublic]
    count: int


class ControlSlipPublic(BaseModel):
    dossier: DossierPublic
    procedure_name: str
    agency_names: dict[str, str]
    events: list[EventPublic]
    extensions: list[ExtensionPublic]
    generated_at: datetime


class LateDossierPublic(BaseModel):
    dossier: DossierPublic
    overdue_days: float


class LateDossiersPublic(BaseModel):
    data: list[LateDossierPublic]
    count: int


class TimelinessPublic(BaseModel):
    agency_code: str | None
    received: int
    resolved: int
    resolved_early: int
    resolved_on_time: int
    resolved_late: int
    on_time_rate: float | None
    open_on_time: int
    open_late: int
    paused: int
    ended_without_result: int
    by_state: dict[str, int]

    @classmethod
    def of(cls, counts: TimelinessCounts) -> TimelinessPublic:
        return cls(agency_code=counts.agency_code, received=counts.received, resolved=counts.resolved,
                   resolved_early=counts.resolved_early, resolved_on_time=counts.resolved_on_time,
                   resolved_late=counts.resolved_late,
                   on_time_rate=None if counts.on_time_rate is None else round(counts.on_time_rate, 4),
                   open_on_time=counts.open_on_time, open_late=counts.open_late, paused=counts.paused,
                   ended_without_result=counts.ended_without_result, by_state=counts.by_state)


class TimelinessReport(BaseModel):
    data: list[TimelinessPublic]
    count: int
