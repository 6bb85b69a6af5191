"""Factories for the domain objects tests need, with valid defaults."""

from __future__ import annotations

import itertools
from datetime import datetime

from records.access import Principal, Role
from records.agencies import AgencyLevel
from records.dossiers import Applicant, ApplicantKind
from records.procedures import RECEIVING, DocumentType, Procedure, RequiredPaper, RouteStep

# A Monday in a plain working week (no holiday near): 2 March 2026, 09:00 in Vietnam.
MONDAY_9AM = datetime.fromisoformat("2026-03-02T09:00:00+07:00")

TRAN_BIEN = "000.60.01.H19"  # phường Trấn Biên (succeeded Biên Hòa and some of its wards)
TAN_PHU = "000.60.09.H19"  # xã Tân Phú, unrelated to Trấn Biên
LAND_OFFICE = "000.00.02.H19"  # Văn phòng Đăng ký đất đai
BIEN_HOA = "000.00.31.H19"  # former city, abolished 2025-07-01, successor Trấn Biên
LAND_FIRST_CERTIFICATE = "1.012756"  # commune → land office → commune, 20 working days
BIRTH_REGISTRATION = "1.001193"  # commune only, 1 working day

_serial = itertools.count(1)


def cccd(serial: int | None = None) -> str:
    """A valid 12-digit CCCD (Đồng Nai, male born 1985) unique per call."""
    number = next(_serial) if serial is None else serial
    return f"075085{number:06d}"


def applicant(name: str = "Nguyễn Văn An", id_number: str | None = None) -> Applicant:
    return Applicant(ApplicantKind.PERSON, name, id_number or cccd(), phone="0912345678")


def officer(username: str = "test.officer", agency_code: str = TRAN_BIEN, *roles: Role,
            reachable: frozenset[str] = frozenset()) -> Principal:
    return Principal(username, agency_code, frozenset(roles or (Role.RECEPTION, Role.PROCESSING)),
                     full_name="Cán bộ Thử nghiệm", reachable_agencies=reachable)


# A land procedure as unit tests use it: commune desk (2 days) → land office (17) → commune (1).
LAND = Procedure(
    code=LAND_FIRST_CERTIFICATE,
    name="Đăng ký đất đai, cấp Giấy chứng nhận lần đầu",
    field="Đất đai",
    level=AgencyLevel.COMMUNE,
    processing_days=20,
    route=(
        RouteStep(RECEIVING, 2, "Tiếp nhận, kiểm tra"),
        RouteStep(LAND_OFFICE, 17, "Thẩm định, cấp Giấy chứng nhận"),
        RouteStep(RECEIVING, 1, "Trả kết quả"),
    ),
    required_papers=(RequiredPaper("Đơn đăng ký", DocumentType.APPLICATION_FORM, original=True),),
)
