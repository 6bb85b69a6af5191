"""Demo data: Đồng Nai's agencies, a procedure catalogue, officers per role, and dossiers in every state.

Loading is safe to repeat: reference data is upserted, users and dossiers are only added when missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from infra.demo_archive import load_archive_demo
from infra.demo_lien_thong import attach_paper, land_application, load_three_in_one, share_with_land_registry
from infra.wiring import Backends
from records.access import Principal, Role
from records.agencies import Agency, AgencyLevel, AgencyStatus
from records.clock import VN_TZ, FixedClock
from records.dossiers import Applicant, ApplicantKind, Channel, DossierState
from records.ports import DossierFilters, DossierQuery
from records.procedures import procedure_from_dict
from records.services.catalogue import create_user, import_agencies, import_procedures, load_principal
from records.services.dossiers import transition_dossier
from records.services.intake import receive_dossier
from records.services.search import reindex_all

DEMO_DIR = Path(__file__).parent / "demo"
DEMO_PASSWORD = "hoso-demo-2025"
LAND_OFFICE = "000.00.02.H19"


def agency_from_dict(data: dict[str, Any]) -> Agency:
    return Agency(
        code=data["code"], name=data["name"], level=AgencyLevel(data["level"]),
        parent_code=data.get("parent_code"), status=AgencyStatus(data.get("status", "active")),
        successor_code=data.get("successor_code"),
        ended_on=date.fromisoformat(data["ended_on"]) if data.get("ended_on") else None,
        short_name=data.get("short_name"), external_system=data.get("external_system"),
    )


def read_json(name: str) -> Any:
    return json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class DemoSummary:
    agencies: int
    procedures: int
    users_created: int
    dossiers_created: int


def load_demo(backends: Backends, *, password: str = DEMO_PASSWORD, with_dossiers: bool = True) -> DemoSummary:
    agencies = import_agencies(uow=backends.uow(), agencies=[agency_from_dict(a) for a in read_json("agencies.json")],
                               clock=backends.clock)
    procedures = import_procedures(uow=backends.uow(),
                                   procedures=[procedure_from_dict(p) for p in read_json("procedures.json")],
                                   clock=backends.clock)
    created = 0
    for user in read_json("users.json"):
        with backends.uow() as uow:
            exists = uow.users.get(user["username"]) is not None
        if not exists:
            create_user(uow=backends.uow(), hasher=backends.hasher, username=user["username"],
                        full_name=user["full_name"], agency_code=user["agency_code"],
                        roles=[Role(r) for r in user["roles"]], password=password, clock=backends.clock)
            created += 1
    dossiers = load_demo_dossiers(backends) if with_dossiers else 0
    if dossiers:
        reindex_all(uow=backends.uow(), index=backends.search)  # so that search finds them from the start
    return DemoSummary(agencies, procedures, created, dossiers)


# (procedure, applicant name, CCCD, working days ago received, the moves after intake, by whom)
_STORIES: list[tuple[str, str, str, int, list[tuple[str, DossierState, str | None]]]] = [
    ("1.012756", "Nguyễn Văn An", "075085001234", 30, [
        ("tiepnhan.tranbien", DossierState.PROCESSING, None),
        ("xuly.tranbien", DossierState.TRANSFERRED, "000.00.02.H19"),
        ("xuly.vpdkdd", DossierState.PROCESSING, None),
        ("xuly.vpdkdd", DossierState.TRANSFERRED, "000.60.01.H19"),
        ("xuly.tranbien", DossierState.PROCESSING, None),
        ("xuly.tranbien", DossierState.RESOLVED, None),
        ("tiepnhan.tranbien", DossierState.RESULT_RETURNED, None),
    ]),
    ("1.012759", "Trần Thị Bích Ngọc", "075190004567", 14, [
        ("tiepnhan.tranbien", DossierState.PROCESSING, None),
        ("xuly.tranbien", DossierState.TRANSFERRED, "000.00.02.H19"),
        ("xuly.vpdkdd", DossierState.PROCESSING, None),
    ]),
    ("1.012774", "Lê Hoàng Phúc", "075088009876", 3, [
        ("tiepnhan.tranbien", DossierState.PROCESSING, None),
        ("xuly.tranbien", DossierState.SUPPLEMENT_REQUESTED, None),
    ]),
    ("1.001193", "Phạm Thị Mai", "075195002468", 0, []),
    ("2.000815", "Đỗ Minh Khang", "075201003579", 2, [
        ("tiepnhan.tranbien", DossierState.PROCESSING, None),
    ]),
    ("1.000894", "Võ Thị Hồng Nhung", "075093007531", 9, [
        ("tiepnhan.tranbien", DossierState.PROCESSING, None),
        ("xuly.tranbien", DossierState.RESOLVED, None),
    ]),
]


def load_demo_dossiers(backends: Backends) -> int:
    """Dossiers at phường Trấn Biên in several states, some of them late, dated back from today; the land
    applications on paper (read by the worker), one land dossier shared with the land registry system, and a
    "3 in 1" group with its linked dossiers at the police and social insurance."""
    desk = load_principal(uow=backends.uow(), username="tiepnhan.tranbien")
    with backends.uow() as uow:  # a bootstrap check, not an officer's read: it stays out of the access log
        _, existing = uow.dossiers.find(DossierQuery(DossierFilters(limit=1), visible_agencies=desk.agencies,
                                                     now=backends.clock.now()))
    if existing:
        return 0
    calendar = backends.calendar
    at_land_office = ""
    for procedure_code, name, cccd, days_ago, moves in _STORIES:
        clock = FixedClock(_working_days_ago(backends, days_ago))
        dossier = receive_dossier(
            uow=backends.uow(), clock=clock, calendar=calendar, actor=desk, procedure_code=procedure_code,
            applicant=Applicant(ApplicantKind.PERSON, name, cccd, phone="0912345678",
                                address="phường Trấn Biên, tỉnh Đồng Nai"),
            channel=Channel.COUNTER, received_at=clock.now(), subject="Hồ sơ mẫu (demo)",
            signer=backends.signer).dossier
        if procedure_code.startswith("1.0127"):  # land: the application goes in with the dossier
            attach_paper(backends, clock=clock, actor=desk, dossier_code=dossier.code,
                         paper=land_application(name, f"thửa đất số {300 + len(name)}, tờ bản đồ số 60"))
        actors: dict[str, Principal] = {}
        for username, to, target in moves:
            clock.at = _next_morning(backends, clock.at)
            actor = actors.get(username) or load_principal(uow=backends.uow(), username=username)
            actors[username] = actor
            dossier, _ = transition_dossier(uow=backends.uow(), clock=clock, calendar=calendar, actor=actor,
                                            code=dossier.code, to=to, target_agency_code=target,
                                            note="Chuyển liên thông theo quy trình" if target else "")
        if dossier.holder_agency_code == LAND_OFFICE:
            at_land_office = dossier.code
    if at_land_office:
        share_with_land_registry(backends, dossier_code=at_land_office, at=backends.clock.now())
    received = _working_days_ago(backends, 3)
    return len(_STORIES) + load_three_in_one(backends, received_at=received, now=backends.clock.now(),
                                             next_morning=_next_morning(backends, received)) + load_archive_demo(
        backends)


def _working_days_ago(backends: Backends, days: int) -> datetime:
    """08:30 that many working days before today (never in the future)."""
    day = backends.clock.now().astimezone(VN_TZ).date()
    for _ in range(days):
        day = _previous_working_day(backends.calendar, day)
    return min(datetime.combine(day, time(8, 30), VN_TZ), backends.clock.now())


def _next_morning(backends: Backends, after: datetime) -> datetime:
    """The next working morning at 09:00 (never in the future): an office's rhythm."""
    next_day = backends.calendar.next_working_day(after.astimezone(VN_TZ).date())
    return min(datetime.combine(next_day, time(9, 0), VN_TZ), backends.clock.now())


def _previous_working_day(calendar: Any, day: date) -> date:
    day -= timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day
