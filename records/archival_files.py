"""Archival files (hồ sơ lưu trữ) and the metadata Decree 30/2020/NĐ-CP Appendix VI asks of them.

A file gathers closed dossiers of one agency, year and (usually) procedure. FileCode = OrganId + FileCatalog (the year)
+ FileNotation. Each document in it has its DocOrdinal (chronological) and document metadata, prefilled from what hoso
knows and editable by the archivist. A file is deposited to the agency archive and then to the historical archive;
each step is recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from records.errors import InvalidTransition, ValidationFailed


class FileState(StrEnum):
    OPEN = "open"  # dossiers may still be added or removed
    CLOSED = "closed"  # complete; kept by the agency's records unit
    DEPOSITED_AGENCY = "deposited_agency"  # nộp lưu vào Lưu trữ cơ quan
    DEPOSITED_HISTORICAL = "deposited_historical"  # nộp lưu vào Lưu trữ lịch sử


FILE_MOVES: dict[FileState, frozenset[FileState]] = {
    FileState.OPEN: frozenset({FileState.CLOSED}),
    FileState.CLOSED: frozenset({FileState.OPEN, FileState.DEPOSITED_AGENCY}),
    FileState.DEPOSITED_AGENCY: frozenset({FileState.DEPOSITED_HISTORICAL}),
    FileState.DEPOSITED_HISTORICAL: frozenset(),
}

# The document metadata fields of Decree 30 App. VI (with SignerInfo split into position and full name).
DOCUMENT_FIELDS = ("TypeName", "CodeNumber", "CodeNotation", "IssuedDate", "OrganName", "Subject", "Language",
                   "PageAmount", "SignerPosition", "SignerFullName", "Description")
NOTATION = re.compile(r"^\s*(?P<number>\d+)\s*/\s*(?P<notation>\S.*?)\s*$")
FILE_NOTATION = re.compile(r"^[\w.\-]{1,40}$")  # part of FileCode and of the file's address: no "/", no spaces
PERMANENT = "Vĩnh viễn"


@dataclass(frozen=True)
class DepositRule:
    """When a file is due for deposit (settings HOSO_DEPOSIT_AGENCY_DAYS, HOSO_DEPOSIT_HISTORICAL_YEARS).

    Law on Archives 2011: to the agency archive within one year after the work ends (the file's EndDate); files kept
    permanently go on to the historical archive within ten years counted from the year the work ended."""

    agency_after_days: int = 365
    historical_after_years: int = 10

    def due_on(self, state: FileState, year: int, end_date: date | None, maintenance: str) -> date | None:
        end = end_date or date(year, 12, 31)
        if state in (FileState.OPEN, FileState.CLOSED):
            return end + timedelta(days=self.agency_after_days)
        if state is FileState.DEPOSITED_AGENCY and maintenance.strip().lower() == PERMANENT.lower():
            return date(end.year + self.historical_after_years, 12, 31)
        return None


@dataclass
class ArchivalFile:
    id: str
    organ_id: str  # the agency's national code
    file_catalog: int  # the year
    file_notation: str
    title: str
    maintenance: str  # e.g. "05 năm", "Vĩnh viễn"
    rights: str  # use regime: "Công khai" / "Hạn chế sử dụng"
    creator: str  # the agency's name
    language: str = "Tiếng Việt"
    description: str = ""
    procedure_code: str | None = None
    state: FileState = FileState.OPEN
    deposit_due_on: date | None = None
    created_by: str = ""
    created_at: datetime | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def file_code(self) -> str:
        return f"{self.organ_id}.{self.file_catalog}.{self.file_notation}"

    def move(self, to: FileState, *, by: str, at: datetime, note: str = "") -> FileEvent:
        if to not in FILE_MOVES[self.state]:
            raise InvalidTransition(f"Hồ sơ lưu trữ đang ở trạng thái '{self.state.value}', không thể chuyển sang "
                                    f"'{to.value}'.", f"A file in '{self.state.value}' cannot move to '{to.value}'.",
                                    code="invalid_file_state", detail={"from": self.state.value, "to": to.value})
        event = FileEvent(at=at, by=by, from_state=self.state, to_state=to, note=note)
        self.history.append(event.as_dict())
        self.state = to
        return event


@dataclass(frozen=True)
class FileEvent:
    """One recorded step of a file: created (from_state None), closed, reopened, deposited."""

    at: datetime
    by: str
    to_state: FileState
    from_state: FileState | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.from_state.value if self.from_state else None, "to": self.to_state.value,
                "by": self.by, "at": self.at.isoformat(), "note": self.note}


@dataclass(frozen=True)
class ArchivalDocument:
    document_id: str
    dossier_code: str
    doc_ordinal: int
    metadata: dict[str, Any]


@dataclass(frozen=True)
class FileSummary:
    """A file with the figures computed from its content: StartDate, EndDate, DocTotal, PageTotal."""

    file: ArchivalFile
    dossier_codes: list[str]
    start_date: date | None
    end_date: date | None
    doc_total: int
    page_total: int


def split_notation(number_notation: str | None) -> tuple[str, str]:
    """"123/QĐ-UBND" → ("123", "QĐ-UBND"); anything else is kept whole as the notation."""
    if not number_notation:
        return "", ""
    found = NOTATION.match(number_notation)
    if found is None:
        return "", number_notation.strip()
    return found["number"], found["notation"]


def check_file_metadata(values: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(values) - set(DOCUMENT_FIELDS))
    if unknown:
        raise ValidationFailed("Trường thông tin không có trong Nghị định 30.", "Unknown Decree 30 field.",
                               code="unknown_metadata_field", detail={"fields": unknown})
    return values


def check_file_notation(notation: str) -> str:
    notation = notation.strip()
    if not FILE_NOTATION.match(notation):
        raise ValidationFailed("Ký hiệu hồ sơ chỉ gồm chữ, số, dấu chấm, gạch ngang (tối đa 40 ký tự).",
                               "A file notation is letters, digits, dots and dashes (at most 40).",
                               code="invalid_file_notation", detail={"notation": notation[:60]})
    return notation


def maintenance_label(years: int | None) -> str:
    return "Vĩnh viễn" if years is None else f"{years:02d} năm"
