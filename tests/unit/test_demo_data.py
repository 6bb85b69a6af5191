"""The demo data in infra/demo/ must load through the domain code and tell a consistent story."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from records.agencies import Agency, AgencyLevel, AgencyRegistry, AgencyStatus
from records.procedures import (
    RECEIVING,
    Procedure,
    coverage,
    procedure_from_dict,
    procedure_to_dict,
    validate_procedure,
)

DEMO = Path(__file__).resolve().parents[2] / "infra" / "demo"

PROVINCE = "000.00.00.H19"
LAND_OFFICE = "000.00.02.H19"
DISTRICT_END = date(2025, 7, 1)
AGENCY_KEYS = {"code", "name", "level", "parent_code", "status", "successor_code", "ended_on", "short_name",
               "external_system"}
EXTERNAL_SYSTEMS = {"land_registry", "tax", "police", "social_insurance", "civil_registry"}
ROLES = {"reception", "processing", "leader", "archivist", "auditor", "admin"}
THREE_IN_ONE = "Liên thông thủ tục hành chính về đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế"
NEW_UNIT = re.compile(r"^000\.60\.\d{2}\.H19$")
EXTERNAL_CODE = re.compile(r"^HT\.[A-Z]+\.H19$")


def _load(name: str) -> Any:
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


def agency_from_dict(data: dict[str, Any]) -> Agency:
    """Test-side reader; the real loader lives elsewhere."""
    ended = data.get("ended_on")
    return Agency(
        code=data["code"],
        name=data["name"],
        level=AgencyLevel(data["level"]),
        parent_code=data.get("parent_code"),
        status=AgencyStatus(data.get("status", "active")),
        successor_code=data.get("successor_code"),
        ended_on=None if ended is None else date.fromisoformat(ended),
        short_name=data.get("short_name"),
        external_system=data.get("external_system"),
    )


@cache
def raw_agencies() -> list[dict[str, Any]]:
    return _load("agencies.json")


@cache
def raw_procedures() -> list[dict[str, Any]]:
    return _load("procedures.json")


@cache
def registry() -> AgencyRegistry:
    return AgencyRegistry([agency_from_dict(a) for a in raw_agencies()])


@cache
def procedures() -> tuple[Procedure, ...]:
    return tuple(procedure_from_dict(p) for p in raw_procedures())


def by_level(level: AgencyLevel) -> list[Agency]:
    return [a for a in registry() if a.level is level]


# --- agencies ------------------------------------------------------------------------------------------

def test_agencies_have_exactly_the_documented_keys() -> None:
    for data in raw_agencies():
        assert set(data) == AGENCY_KEYS, data["code"]


def test_registry_builds_codes_references_and_succession_are_valid() -> None:
    reg = registry()
    assert len(reg) == len(raw_agencies())
    assert reg.get(PROVINCE) is not None and reg.get(PROVINCE).level is AgencyLevel.PROVINCE


def test_ended_agencies_carry_a_date_and_active_ones_do_not() -> None:
    for agency in registry():
        assert (agency.ended_on is None) == agency.is_active, agency.code


def test_eleven_former_districts_abolished_on_1_july_2025_with_active_final_successors() -> None:
    reg = registry()
    districts = by_level(AgencyLevel.DISTRICT)
    assert sorted(d.code for d in districts) == [f"000.00.{n}.H19" for n in range(31, 42)]
    for district in districts:
        assert district.status is AgencyStatus.ABOLISHED
        assert district.ended_on == DISTRICT_END
        assert district.parent_code == PROVINCE
        assert district.successor_code is not None, district.code
        final = reg.get(reg.final_successor(district.code))
        assert final is not None and final.is_active and final.level is AgencyLevel.COMMUNE, district.code


def test_old_communes_merged_into_new_units_under_their_former_district() -> None:
    reg = registry()
    old = [a for a in by_level(AgencyLevel.COMMUNE) if not a.is_active]
    assert old
    districts_with_merged_communes = set()
    for commune in old:
        assert commune.status is AgencyStatus.MERGED
        assert commune.ended_on == DISTRICT_END
        parent = reg.get(commune.parent_code or "")
        assert parent is not None and parent.level is AgencyLevel.DISTRICT, commune.code
        districts_with_merged_communes.add(parent.code)
        # catalog.py's commune codes: 000.JJ.(31+k).H19 under district 000.00.(31+k).H19
        assert commune.code.split(".")[2] == parent.code.split(".")[2]
        successor = reg.get(commune.successor_code or "")
        assert successor is not None and successor.is_active and NEW_UNIT.match(successor.code)
    assert 3 <= len(districts_with_merged_communes) <= 4


def test_new_units_are_active_communes_under_the_province() -> None:
    new_units = [a for a in registry() if NEW_UNIT.match(a.code)]
    assert len(new_units) >= 10
    for unit in new_units:
        assert unit.level is AgencyLevel.COMMUNE and unit.is_active and unit.parent_code == PROVINCE
    # every active commune is a new unit: the old ones all ended on 1 July 2025
    assert {a.code for a in by_level(AgencyLevel.COMMUNE) if a.is_active} == {u.code for u in new_units}


def test_a_new_commune_inherits_its_district_and_old_communes() -> None:
    reg = registry()
    tran_bien = "000.60.01.H19"
    reach = reg.reachable_codes(tran_bien)
    assert "000.00.31.H19" in reach  # the former city of Biên Hòa
    assert {"000.09.31.H19", "000.21.31.H19"} <= reach  # phường Quang Vinh, phường Trung Dũng


def test_departments_include_one_merged_into_another_active_department() -> None:
    reg = registry()
    departments = by_level(AgencyLevel.DEPARTMENT)
    assert len(departments) >= 18
    assert all(d.parent_code == PROVINCE for d in departments)
    merged = [d for d in departments if d.status is AgencyStatus.MERGED]
    assert merged
    for dept in merged:
        successor = reg.get(reg.final_successor(dept.code))
        assert successor is not None and successor.is_active and successor.level is AgencyLevel.DEPARTMENT
    stttt = reg.get("000.00.15.H19")
    assert stttt is not None and stttt.successor_code == "000.00.16.H19"
    land_office = reg.get(LAND_OFFICE)
    assert land_office is not None and land_office.is_active


def test_external_systems() -> None:
    externals = by_level(AgencyLevel.EXTERNAL)
    assert {e.external_system for e in externals} == EXTERNAL_SYSTEMS
    for ext in externals:
        assert ext.parent_code is None and ext.is_active and EXTERNAL_CODE.match(ext.code), ext.code
    for agency in registry():
        if agency.level is not AgencyLevel.EXTERNAL:
            assert agency.external_system is None, agency.code


# --- procedures ----------------------------------------------------------------------------------------

def test_procedures_are_in_the_export_shape_and_round_trip() -> None:
    assert 30 <= len(raw_procedures()) <= 45
    for data in raw_procedures():
        assert procedure_to_dict(procedure_from_dict(data)) == data, data["code"]
    codes = [p.code for p in procedures()]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("index", range(len(raw_procedures())))
def test_every_procedure_validates_against_the_registry(index: int) -> None:
    validate_procedure(procedures()[index], registry())


def test_published_procedures_only_refer_to_active_agencies() -> None:
    reg = registry()
    for proc in procedures():
        if not proc.published:
            continue
        refs = [s.agency for s in proc.route if s.agency != RECEIVING] + list(proc.receiving_agencies)
        for code in refs:
            agency = reg.get(code)
            assert agency is not None and agency.is_active, (proc.code, code)
        for code in proc.receiving_agencies:
            assert reg.get(code).level is proc.level, (proc.code, code)


def test_land_procedures_go_commune_desk_then_land_office_then_back() -> None:
    land = [p for p in procedures() if p.field == "Đất đai"]
    configured = [p for p in land if p.route]
    assert len(configured) >= 5
    for proc in configured:
        assert proc.level is AgencyLevel.COMMUNE
        assert [s.agency for s in proc.route] == [RECEIVING, LAND_OFFICE, RECEIVING], proc.code
        desk, office, back = (s.days for s in proc.route)
        assert office > desk + back, proc.code
        assert proc.retention_years is None  # land dossiers are kept permanently


def test_civil_status_dossiers_are_kept_permanently_and_others_for_years() -> None:
    for proc in procedures():
        if proc.field in ("Đất đai", "Hộ tịch"):
            assert proc.retention_years is None, proc.code
        else:
            assert proc.retention_years is not None and proc.retention_years > 0, proc.code


def test_three_in_one_group_links_its_member_procedures() -> None:
    by_code = {p.code: p for p in procedures()}
    parents = [p for p in procedures() if p.name.startswith(THREE_IN_ONE)]
    assert len(parents) == 1
    parent = parents[0]
    assert parent.level is AgencyLevel.COMMUNE and parent.published and parent.is_configured
    assert len(parent.linked_procedures) == 3
    members = [by_code[code] for code in parent.linked_procedures]
    assert {m.field for m in members} == {"Hộ tịch", "Cư trú", "Bảo hiểm y tế"}
    systems = {m.field: {registry().get(c).external_system for c in m.receiving_agencies} for m in members}
    assert systems["Cư trú"] == {"police"}
    assert systems["Bảo hiểm y tế"] == {"social_insurance"}
    for member in members:
        assert member.published and member.is_configured, member.code
        assert member.processing_days <= parent.processing_days


def test_department_procedures_name_their_receiving_department() -> None:
    dept_procs = [p for p in procedures() if p.level is AgencyLevel.DEPARTMENT]
    assert dept_procs
    for proc in dept_procs:
        assert proc.receiving_agencies, proc.code
    received_at = {code for p in dept_procs for code in p.receiving_agencies}
    assert {"000.00.03.H19", "000.00.05.H19", "000.00.14.H19"} <= received_at  # Xây dựng, Tư pháp, Tài chính


def test_some_published_procedures_are_not_configured_and_some_are_drafts() -> None:
    unconfigured = [p for p in procedures() if p.published and not p.is_configured]
    drafts = [p for p in procedures() if not p.published]
    assert 3 <= len(unconfigured) <= 5
    assert 1 <= len(drafts) <= 2


def test_coverage_is_partial_somewhere_and_complete_somewhere() -> None:
    ratios = {a.code: coverage(a, procedures()) for a in registry() if a.is_active}
    published = {code: c for code, c in ratios.items() if c.published}
    assert any(c.ratio < 1.0 for c in published.values())
    assert any(c.ratio == 1.0 for c in published.values())
    assert published["000.60.01.H19"].ratio < 1.0  # a commune desk: some land/notary procedures pending
    assert published["000.00.05.H19"].ratio == 1.0  # Sở Tư pháp


# --- users ---------------------------------------------------------------------------------------------

@cache
def raw_users() -> list[dict[str, Any]]:
    return _load("users.json")


def test_users_belong_to_active_agencies_with_known_roles() -> None:
    reg = registry()
    names = [u["username"] for u in raw_users()]
    assert len(names) == len(set(names))
    for user in raw_users():
        assert set(user) == {"username", "full_name", "agency_code", "roles"}
        assert re.fullmatch(r"[a-z][a-z0-9._]{2,39}", user["username"]), user["username"]
        assert "password" not in json.dumps(user)
        assert user["full_name"].strip()
        agency = reg.get(user["agency_code"])
        assert agency is not None and agency.is_active, user["username"]
        assert user["roles"] and set(user["roles"]) <= ROLES, user["username"]


def test_the_required_demo_officers_exist() -> None:
    roles_at: dict[str, set[str]] = {}
    for user in raw_users():
        roles_at.setdefault(user["agency_code"], set()).update(user["roles"])
    assert {"reception", "processing", "leader"} <= roles_at["000.60.01.H19"]  # phường Trấn Biên
    assert {"processing", "leader"} <= roles_at[LAND_OFFICE]
    assert {"archivist", "auditor", "admin"} <= roles_at[PROVINCE]
    reg = registry()
    systems = {reg.get(code).external_system for code, roles in roles_at.items()
               if reg.get(code).level is AgencyLevel.EXTERNAL and "processing" in roles}
    assert {"police", "social_insurance"} <= systems
    other_communes = [code for code, roles in roles_at.items()
                      if code != "000.60.01.H19" and reg.get(code).level is AgencyLevel.COMMUNE
                      and {"reception", "processing"} <= roles]
    assert other_communes
