"""The catalogue of administrative procedures (thủ tục hành chính) and its coverage figures."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from records.agencies import Agency, AgencyLevel, AgencyRegistry
from records.errors import ValidationFailed

# National procedure codes are like 1.001193 or 2.000986; provinces add local ones such as DNI-HT-01.
PROCEDURE_CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]{1,39}$")

RECEIVING = "receiving"
"""A route step held by whichever agency received the dossier (a commune desk, say)."""


class DocumentType(StrEnum):
    APPLICATION_FORM = "application_form"
    ID_CARD_COPY = "id_card_copy"
    LAND_CERTIFICATE = "land_certificate"
    DECISION = "decision"
    OTHER = "other"


@dataclass(frozen=True)
class RouteStep:
    """One agency's part of the procedure, with the working days it is allowed."""

    agency: str  # RECEIVING or an agency code
    days: float
    task: str = ""


@dataclass(frozen=True)
class RequiredPaper:
    name: str
    document_type: DocumentType = DocumentType.OTHER
    original: bool = False  # bản chính (original) vs bản sao (copy)
    quantity: int = 1
    mandatory: bool = True


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    field: str  # lĩnh vực: Đất đai, Hộ tịch, Xây dựng, ...
    level: AgencyLevel  # the level whose desks receive it
    processing_days: float  # legal processing time in working days
    route: tuple[RouteStep, ...] = ()
    required_papers: tuple[RequiredPaper, ...] = ()
    retention_years: int | None = None  # None: kept permanently (vĩnh viễn)
    published: bool = True  # announced (công bố) by the competent authority
    receiving_agencies: tuple[str, ...] = ()  # empty: every agency of `level`
    fee_vnd: int | None = None
    linked_procedures: tuple[str, ...] = ()  # opened together ("3 in 1")

    @property
    def is_configured(self) -> bool:
        """Set up in the system: a route, papers and a processing time that the route fits in."""
        return (
            self.processing_days > 0
            and bool(self.route)
            and bool(self.required_papers)
            and sum(step.days for step in self.route) <= self.processing_days + 1e-9
        )

    def receives_at(self, agency: Agency) -> bool:
        if self.receiving_agencies:
            return agency.code in self.receiving_agencies
        return agency.level is self.level

    def step_agency(self, index: int, receiving_agency_code: str) -> str:
        agency = self.route[index].agency
        return receiving_agency_code if agency == RECEIVING else agency

    def held_days(self, index: int, receiving_agency_code: str) -> float:
        """Working days an agency holds the dossier from step `index`: consecutive steps of one agency add up."""
        agency = self.step_agency(index, receiving_agency_code)
        days = 0.0
        for later in range(index, len(self.route)):
            if self.step_agency(later, receiving_agency_code) != agency:
                break
            days += self.route[later].days
        return days

    def next_step_index(self, current: int, target_agency_code: str, receiving_agency_code: str) -> int | None:
        """The first step after `current` held by the target agency, or None when it is off the route."""
        for index in range(current + 1, len(self.route)):
            if self.step_agency(index, receiving_agency_code) == target_agency_code:
                return index
        return None

    def next_agency(self, current: int, receiving_agency_code: str, holder_agency_code: str) -> str | None:
        """Where the route goes next: the agency of the first step after `current` that the holder does not
        hold (None at the end of the route). A transfer that names no target goes there."""
        for index in range(current + 1, len(self.route)):
            agency = self.step_agency(index, receiving_agency_code)
            if agency != holder_agency_code:
                return agency
        return None

    def previous_step_index(self, current: int, target_agency_code: str, receiving_agency_code: str) -> int | None:
        """The latest step before `current` held by the target agency (a dossier sent back)."""
        for index in range(min(current, len(self.route)) - 1, -1, -1):
            if self.step_agency(index, receiving_agency_code) == target_agency_code:
                return index
        return None


def _invalid(message_vi: str, message_en: str, **detail: Any) -> ValidationFailed:
    return ValidationFailed(message_vi, message_en, code="invalid_procedure", detail=detail)


def validate_procedure(procedure: Procedure, registry: AgencyRegistry | None = None) -> None:
    if not PROCEDURE_CODE_PATTERN.fullmatch(procedure.code):
        raise _invalid(
            f"Mã thủ tục '{procedure.code}' không đúng định dạng.",
            f"Procedure code '{procedure.code}' is malformed.",
            procedure_code=procedure.code,
        )
    if not procedure.name.strip() or not procedure.field.strip():
        raise _invalid("Tên và lĩnh vực thủ tục là bắt buộc.", "Procedure name and field are required.",
                       procedure_code=procedure.code)
    numbers = [procedure.processing_days, *(step.days for step in procedure.route)]
    if not all(math.isfinite(n) for n in numbers):
        raise _invalid("Thời hạn giải quyết phải là số hữu hạn.", "Processing times must be finite numbers.",
                       procedure_code=procedure.code)
    if procedure.processing_days < 0 or any(step.days < 0 for step in procedure.route):
        raise _invalid("Thời hạn giải quyết không được âm.", "Processing times cannot be negative.",
                       procedure_code=procedure.code)
    if sum(step.days for step in procedure.route) > procedure.processing_days + 1e-9:
        raise _invalid(
            "Tổng thời gian các bước vượt quá thời hạn giải quyết.",
            "The route's steps take longer than the legal processing time.",
            procedure_code=procedure.code,
        )
    if procedure.retention_years is not None and procedure.retention_years <= 0:
        raise _invalid("Thời hạn bảo quản phải là số năm dương hoặc vĩnh viễn.",
                       "Retention must be a positive number of years or permanent.",
                       procedure_code=procedure.code)
    if registry is not None:
        referenced = [s.agency for s in procedure.route if s.agency != RECEIVING]
        referenced += list(procedure.receiving_agencies)
        for code in referenced:
            if code not in registry:
                raise ValidationFailed(
                    f"Thủ tục '{procedure.code}' tham chiếu cơ quan không tồn tại '{code}'.",
                    f"Procedure '{procedure.code}' refers to unknown agency '{code}'.",
                    code="unknown_agency",
                    detail={"procedure_code": procedure.code, "agency_code": code},
                )


@dataclass(frozen=True)
class Coverage:
    agency_code: str
    published: int
    configured: int

    @property
    def ratio(self) -> float:
        return self.configured / self.published if self.published else 0.0


def coverage(agency: Agency, procedures: Iterable[Procedure]) -> Coverage:
    """Procedures published for this agency's desk vs those configured to run in hoso."""
    published = [p for p in procedures if p.published and p.receives_at(agency)]
    return Coverage(agency.code, len(published), sum(1 for p in published if p.is_configured))


# --- JSON import/export: one stable document shape shared by the API, the CLI and the demo data ---

def procedure_to_dict(procedure: Procedure) -> dict[str, Any]:
    return {
        "code": procedure.code,
        "name": procedure.name,
        "field": procedure.field,
        "level": procedure.level.value,
        "processing_days": procedure.processing_days,
        "route": [{"agency": s.agency, "days": s.days, "task": s.task} for s in procedure.route],
        "required_papers": [
            {
                "name": p.name,
                "document_type": p.document_type.value,
                "original": p.original,
                "quantity": p.quantity,
                "mandatory": p.mandatory,
            }
            for p in procedure.required_papers
        ],
        "retention_years": procedure.retention_years,
        "published": procedure.published,
        "receiving_agencies": list(procedure.receiving_agencies),
        "fee_vnd": procedure.fee_vnd,
        "linked_procedures": list(procedure.linked_procedures),
    }


def _flag(value: Any, name: str) -> bool:
    """A JSON boolean; the string "false" is not silently taken as true."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be true or false, not {value!r}")
    return value


def procedure_from_dict(data: Mapping[str, Any]) -> Procedure:
    try:
        return Procedure(
            code=str(data["code"]),
            name=str(data["name"]),
            field=str(data["field"]),
            level=AgencyLevel(data["level"]),
            processing_days=float(data["processing_days"]),
            route=tuple(
                RouteStep(agency=str(s["agency"]), days=float(s["days"]), task=str(s.get("task", "")))
                for s in data.get("route", [])
            ),
            required_papers=tuple(
                RequiredPaper(
                    name=str(p["name"]),
                    document_type=DocumentType(p.get("document_type", "other")),
                    original=_flag(p.get("original", False), "original"),
                    quantity=int(p.get("quantity", 1)),
                    mandatory=_flag(p.get("mandatory", True), "mandatory"),
                )
                for p in data.get("required_papers", [])
            ),
            retention_years=None if data.get("retention_years") is None else int(data["retention_years"]),
            published=_flag(data.get("published", True), "published"),
            receiving_agencies=tuple(str(c) for c in data.get("receiving_agencies", [])),
            fee_vnd=None if data.get("fee_vnd") is None else int(data["fee_vnd"]),
            linked_procedures=tuple(str(c) for c in data.get("linked_procedures", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(
            "Dữ liệu thủ tục không hợp lệ.",
            f"Procedure data is not valid: {exc!r}.",
            code="invalid_procedure",
            detail={"procedure_code": str(data.get("code", "")) if isinstance(data, Mapping) else ""},
        ) from exc
