"""Agencies: the hierarchy of one-stop desks and the systems they exchange papers with.

An agency may be merged into or abolished in favour of a successor (Vietnam abolished the district
level on 1 July 2025). Its dossiers stay reachable by the successor, transitively.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from records.errors import ValidationFailed

# National agency codes look like 000.00.15.H19 (see the national one-stop code list); external systems
# use short upper-case codes such as G12.BHXH. Dots separate groups of letters and digits.
AGENCY_CODE_PATTERN = re.compile(r"^[0-9A-Z]{1,6}(\.[0-9A-Z]{1,8}){1,4}$")


class AgencyLevel(StrEnum):
    PROVINCE = "province"
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"
    EXTERNAL = "external"


class AgencyStatus(StrEnum):
    ACTIVE = "active"
    MERGED = "merged"
    ABOLISHED = "abolished"


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    level: AgencyLevel
    parent_code: str | None = None
    status: AgencyStatus = AgencyStatus.ACTIVE
    successor_code: str | None = None
    ended_on: date | None = None
    short_name: str | None = None
    external_system: str | None = None  # land_registry, tax, police, social_insurance, civil_registry

    @property
    def is_active(self) -> bool:
        return self.status is AgencyStatus.ACTIVE


def check_agency_code(code: str) -> str:
    if not AGENCY_CODE_PATTERN.fullmatch(code):
        raise ValidationFailed(
            f"Mã cơ quan '{code}' không đúng định dạng (ví dụ 000.00.15.H19).",
            f"Agency code '{code}' is malformed (expected e.g. 000.00.15.H19).",
            code="invalid_agency_code",
            detail={"agency_code": code},
        )
    return code


def validate_agency(agency: Agency) -> None:
    """Checks one agency on its own: code format, name, and that succession fields agree with status."""
    check_agency_code(agency.code)
    if not agency.name.strip():
        raise ValidationFailed("Tên cơ quan không được để trống.", "Agency name is empty.", code="invalid_agency")
    if agency.parent_code == agency.code or agency.successor_code == agency.code:
        raise ValidationFailed(
            "Cơ quan không thể là cấp trên hoặc kế thừa của chính nó.",
            "An agency cannot be its own parent or successor.",
            code="invalid_agency",
            detail={"agency_code": agency.code},
        )
    if agency.status is AgencyStatus.ACTIVE and agency.successor_code is not None:
        raise ValidationFailed(
            "Cơ quan đang hoạt động không có cơ quan kế thừa.",
            "An active agency cannot have a successor.",
            code="invalid_agency",
            detail={"agency_code": agency.code},
        )
    if agency.status is AgencyStatus.MERGED and agency.successor_code is None:
        raise ValidationFailed(
            "Cơ quan đã sáp nhập phải có cơ quan kế thừa.",
            "A merged agency needs a successor.",
            code="invalid_agency",
            detail={"agency_code": agency.code},
        )


class AgencyRegistry:
    """A consistent set of agencies, with succession resolved."""

    def __init__(self, agencies: Iterable[Agency]) -> None:
        self._by_code: dict[str, Agency] = {}
        for agency in agencies:
            validate_agency(agency)
            if agency.code in self._by_code:
                raise ValidationFailed(
                    f"Mã cơ quan '{agency.code}' bị trùng.",
                    f"Agency code '{agency.code}' appears twice.",
                    code="duplicate_agency",
                    detail={"agency_code": agency.code},
                )
            self._by_code[agency.code] = agency
        self._check_references()
        self._predecessors = _invert_succession(self._by_code)

    def _check_references(self) -> None:
        for agency in self._by_code.values():
            for field, ref in (("parent_code", agency.parent_code), ("successor_code", agency.successor_code)):
                if ref is not None and ref not in self._by_code:
                    raise ValidationFailed(
                        f"Cơ quan '{agency.code}' tham chiếu mã không tồn tại '{ref}'.",
                        f"Agency '{agency.code}' refers to unknown agency '{ref}'.",
                        code="unknown_agency",
                        detail={"agency_code": agency.code, "field": field, "missing": ref},
                    )
            self.final_successor(agency.code)  # raises on a cycle
            self._check_parent_chain(agency.code)

    def _check_parent_chain(self, code: str) -> None:
        seen = {code}
        parent = self._by_code[code].parent_code
        while parent is not None:
            if parent in seen:
                raise ValidationFailed(
                    f"Quan hệ cấp trên của '{code}' bị lặp vòng.",
                    f"The parent chain of '{code}' loops.",
                    code="hierarchy_cycle",
                    detail={"agency_code": code},
                )
            seen.add(parent)
            parent = self._by_code[parent].parent_code

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Agency]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Agency | None:
        return self._by_code.get(code)

    def final_successor(self, code: str) -> str:
        """Follows the succession chain to the agency that holds this one's dossiers today."""
        seen = {code}
        current = self._by_code[code]
        while current.successor_code is not None:
            if current.successor_code in seen:
                raise ValidationFailed(
                    f"Chuỗi kế thừa của '{code}' bị lặp vòng.",
                    f"The succession chain of '{code}' loops.",
                    code="succession_cycle",
                    detail={"agency_code": code},
                )
            seen.add(current.successor_code)
            current = self._by_code[current.successor_code]
        return current.code

    def predecessors(self, code: str) -> frozenset[str]:
        """Every agency whose dossiers this one inherited, directly or through a chain of successions."""
        return self._predecessors.get(code, frozenset())

    def reachable_codes(self, code: str) -> frozenset[str]:
        """The agency itself and all it succeeded: whose dossiers its officers work on."""
        return self.predecessors(code) | {code}

    def children(self, code: str) -> list[Agency]:
        return [a for a in self._by_code.values() if a.parent_code == code]


def _invert_succession(by_code: Mapping[str, Agency]) -> dict[str, frozenset[str]]:
    direct: dict[str, set[str]] = {}
    for agency in by_code.values():
        if agency.successor_code is not None:
            direct.setdefault(agency.successor_code, set()).add(agency.code)
    result: dict[str, frozenset[str]] = {}
    for code in by_code:
        found: set[str] = set()
        stack = list(direct.get(code, ()))
        while stack:
            pred = stack.pop()
            if pred not in found:
                found.add(pred)
                stack.extend(direct.get(pred, ()))
        if found:
            result[code] = frozenset(found)
    return result
