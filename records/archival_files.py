"""Archival files (hồ sơ lưu trữ) and the metadata Decree 30/2020/NĐ-CP Appendix VI asks of them.

A file gathers closed dossiers of one agency, year and (usually) procedure. FileCode = OrganId + FileCatalog (the year)
+ FileNotation. Each document in it has its DocOrdinal (chronological) and document metadata, prefilled from what hoso
knows and editable by the archivist. A file is deposited to the agency archive and then to the historical archive;
each step is recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
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

    def move(self, to: FileState, *, by: str, at: datetime, note: str = "") -> None:
        if to not in FILE_MOVES[self.state]:
            raise InvalidTransition(f"Hồ sơ lưu trữ đang ở trạng thái '{self.state.value}', không thể chuyển sang "
                                    f"'{to.value}'.", f"A file in '{self.state.value}' cannot move to '{to.value}'.",
                                    code="invalid_file_state", detail={"from": self.state.value, "to": to.value})
        self.history.append({"from": self.state.value, "to": to.value, "by": by, "at": at.isoformat(), "note": note})
        self.state = to


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


def maintenance_label(years: int | None) -> str:
    return "Vĩnh viễn" if years is None else f"{years:02d} năm"
