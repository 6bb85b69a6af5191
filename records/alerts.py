"""Deadline alerts: a dossier about to fall due, or past due, is flagged to the agency holding it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AlertKind(StrEnum):
    DUE_SOON = "due_soon"  # sắp đến hạn: due within the warning horizon
    OVERDUE = "overdue"  # quá hạn


@dataclass(frozen=True)
class DueDossier:
    """What the deadline scan needs to know of an open dossier."""

    dossier_id: int
    code: str
    holder_agency_code: str
    due_at: datetime


@dataclass(frozen=True)
class Alert:
    dossier_code: str
    agency_code: str
    kind: AlertKind
    due_at: datetime
    raised_at: datetime
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    id: int | None = None


def alert_for(dossier: DueDossier, *, now: datetime, horizon_end: datetime) -> AlertKind | None:
    """Overdue once the appointment date has passed; due soon when it falls before the horizon."""
    if dossier.due_at < now:
        return AlertKind.OVERDUE
    if dossier.due_at <= horizon_end:
        return AlertKind.DUE_SOON
    return None
