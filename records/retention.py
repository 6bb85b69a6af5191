"""Retention (thời hạn bảo quản): how long a closed dossier is kept, and what happens at the end.

A schedule maps a procedure — or a whole field (lĩnh vực) — and optionally a document type to a period in years (or
permanent) and an end action: destroy, or deposit to the historical archive. The procedure catalogue's
`retention_years` is the default when no schedule applies. The clock starts when the dossier is closed (result
returned, refused, withdrawn, stopped).

Which schedule applies — the most specific match wins, in this order:
  1. a schedule naming the dossier's procedure and a document type the dossier holds a paper of;
  2. a schedule naming the procedure (no document type);
  3. a schedule naming the procedure's field and a document type the dossier holds;
  4. a schedule naming the field (no document type);
  5. the catalogue's `retention_years` for the procedure (permanent when it has none: deposit).
When several schedules tie on the winning level (the dossier holds papers of two scheduled types), the one that keeps
LONGEST wins (permanent beats any number of years), so no paper leaves before its own time. The legal minimum of the
winning schedule is the floor under which a due date can never be moved.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from records.clock import local_date
from records.dossiers import DossierState
from records.errors import ValidationFailed
from records.procedures import DocumentType, Procedure

CLOSED_STATES = frozenset({DossierState.RESULT_RETURNED, DossierState.REFUSED, DossierState.WITHDRAWN,
                           DossierState.STOPPED})
MAX_YEARS = 200


class EndAction(StrEnum):
    DESTROY = "destroy"  # tiêu hủy
    DEPOSIT = "deposit"  # nộp lưu vào lưu trữ lịch sử


class RetentionState(StrEnum):
    KEPT = "kept"  # in the agency's keeping
    PROPOSED = "proposed"  # part of a disposition proposal awaiting approval
    DESTROYED = "destroyed"
    DEPOSITED = "deposited"


@dataclass(frozen=True)
class RetentionSchedule:
    id: str
    years: int | None  # None: permanent (vĩnh viễn)
    end_action: EndAction
    procedure_code: str | None = None
    field: str | None = None
    document_type: str | None = None
    legal_minimum_years: int | None = None  # None: the period itself is the legal minimum
    note: str = ""
    created_by: str = ""
    created_at: datetime | None = None
    active: bool = True

    @property
    def minimum_years(self) -> int | None:
        return self.years if self.legal_minimum_years is None else self.legal_minimum_years


def check_schedule(schedule: RetentionSchedule) -> RetentionSchedule:
    if (schedule.procedure_code is None) == (schedule.field is None):
        raise ValidationFailed("Thời hạn bảo quản phải áp dụng cho đúng một thủ tục hoặc một lĩnh vực.",
                               "A schedule applies to exactly one procedure or one field.", code="invalid_schedule")
    if schedule.document_type is not None and schedule.document_type not in {t.value for t in DocumentType}:
        raise ValidationFailed("Loại giấy tờ không tồn tại.", "Unknown document type.", code="unknown_document_type",
                               detail={"document_type": schedule.document_type,
                                       "allowed": sorted(t.value for t in DocumentType)})
    for value in (schedule.years, schedule.legal_minimum_years):
        if value is not None and not 1 <= value <= MAX_YEARS:
            raise ValidationFailed(f"Số năm phải từ 1 đến {MAX_YEARS}.", f"Years must be 1 to {MAX_YEARS}.",
                                   code="invalid_retention_years")
    if schedule.legal_minimum_years is not None and (
            schedule.years is not None and schedule.legal_minimum_years > schedule.years):
        raise ValidationFailed("Thời hạn tối thiểu theo luật không được dài hơn thời hạn bảo quản.",
                               "The legal minimum cannot be longer than the period.", code="invalid_retention_years")
    if schedule.years is None and schedule.end_action is EndAction.DESTROY:
        raise ValidationFailed("Hồ sơ bảo quản vĩnh viễn không thể bị tiêu hủy.",
                               "A permanent schedule cannot end in destruction.", code="invalid_schedule")
    return schedule


@dataclass(frozen=True)
class Applied:
    """What a dossier's retention comes to: the governing schedule (None: the catalogue's default)."""

    schedule_id: str | None
    years: int | None
    minimum_years: int | None
    end_action: EndAction


def _longer(a: int | None, b: int | None) -> bool:
    """Whether period `a` keeps longer than `b` (None is permanent)."""
    return (a is None and b is not None) or (a is not None and b is not None and a > b)


def _specificity(schedule: RetentionSchedule) -> int:
    """Higher is more specific: procedure beats field, and a document type beats none on the same level."""
    return (2 if schedule.procedure_code is not None else 0) + (1 if schedule.document_type is not None else 0)


def applicable(procedure: Procedure, schedules: Iterable[RetentionSchedule],
               document_types: Iterable[str] = ()) -> Applied:
    """The retention a dossier of `procedure` holding papers of `document_types` comes to (see the module's doc)."""
    types = set(document_types)
    matching = [s for s in schedules if s.active
                and (s.procedure_code == procedure.code
                     or (s.procedure_code is None and s.field is not None and s.field == procedure.field))
                and (s.document_type is None or s.document_type in types)]
    if not matching:
        years = procedure.retention_years
        return Applied(None, years, years, EndAction.DEPOSIT if years is None else EndAction.DESTROY)
    level = max(_specificity(s) for s in matching)
    tied = [s for s in matching if _specificity(s) == level]
    best = tied[0]
    for schedule in tied[1:]:
        if _longer(schedule.years, best.years):
            best = schedule
    return Applied(best.id, best.years, best.minimum_years, best.end_action)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


@dataclass
class DossierRetention:
    dossier_code: str
    agency_code: str  # the owner of the records: the receiving agency
    procedure_code: str
    closed_at: datetime
    schedule_id: str | None
    years: int | None
    minimum_years: int | None
    end_action: EndAction
    extended_due_on: date | None = None
    extension_reason: str = ""
    extended_by: str | None = None
    state: RetentionState = RetentionState.KEPT

    @property
    def scheduled_due_on(self) -> date | None:
        return None if self.years is None else add_years(local_date(self.closed_at), self.years)

    @property
    def minimum_due_on(self) -> date | None:
        return None if self.minimum_years is None else add_years(local_date(self.closed_at), self.minimum_years)

    @property
    def due_on(self) -> date | None:
        """When the end action falls due (None: kept permanently)."""
        if self.years is None:
            return None
        return self.extended_due_on or self.scheduled_due_on

    def apply(self, applied: Applied) -> None:
        """A schedule changed: the due date follows it (an extension given earlier still holds when later)."""
        self.schedule_id, self.years = applied.schedule_id, applied.years
        self.minimum_years, self.end_action = applied.minimum_years, applied.end_action
        scheduled = self.scheduled_due_on
        if self.extended_due_on is not None and (scheduled is None or self.extended_due_on <= scheduled):
            self.extended_due_on = None

    def move_due_date(self, new_due_on: date, *, reason: str, by: str) -> None:
        """An archivist moves one dossier's due date, with a reason; never below the legal minimum."""
        if not reason.strip():
            raise ValidationFailed("Cần nêu lý do.", "A reason is required.", code="reason_required")
        if self.years is None:
            raise ValidationFailed("Hồ sơ bảo quản vĩnh viễn không có hạn để thay đổi.",
                                   "A permanently kept dossier has no due date to move.", code="retention_permanent")
        minimum = self.minimum_due_on
        if minimum is not None and new_due_on < minimum:
            raise ValidationFailed(
                f"Không được rút ngắn dưới thời hạn tối thiểu theo luật ({minimum.isoformat()}).",
                f"The due date cannot be earlier than the legal minimum ({minimum.isoformat()}).",
                code="below_legal_minimum", detail={"minimum_due_on": minimum.isoformat()})
        self.extended_due_on = new_due_on
        self.extension_reason = reason.strip()
        self.extended_by = by

    def shortens(self, new_due_on: date) -> bool:
        current = self.due_on
        return current is not None and new_due_on < current


@dataclass(frozen=True)
class RetentionDue:
    """One line of the disposition queue."""

    dossier_code: str
    agency_code: str
    procedure_code: str
    closed_at: datetime
    due_on: date | None
    end_action: EndAction
    schedule_id: str | None
    state: RetentionState
    held: bool
