"""The agency registry: code formats, consistency checks and succession after mergers."""

from __future__ import annotations

from datetime import date

import pytest

from records.agencies import Agency, AgencyLevel, AgencyRegistry, AgencyStatus, check_agency_code
from records.errors import ValidationFailed
from tests.support.factories import BIEN_HOA, LAND_OFFICE, TAN_PHU, TRAN_BIEN

PROVINCE = "000.00.00.H19"  # Đồng Nai
OLD_WARD = "000.31.01.H19"  # a ward of Biên Hòa, merged into the new ward Quyết Thắng
QUYET_THANG = "000.31.02.H19"  # merged in turn into Trấn Biên
ABOLISHED_UNIT = "000.31.99.H19"  # abolished with no successor


def agency(code: str, *, level: AgencyLevel = AgencyLevel.COMMUNE, parent: str | None = PROVINCE,
           status: AgencyStatus = AgencyStatus.ACTIVE, successor: str | None = None, name: str = "Cơ quan") -> Agency:
    return Agency(code, name, level, parent_code=parent, status=status, successor_code=successor,
                  ended_on=None if status is AgencyStatus.ACTIVE else date(2025, 7, 1))


def dong_nai() -> list[Agency]:
    return [
        agency(PROVINCE, level=AgencyLevel.PROVINCE, parent=None, name="UBND tỉnh Đồng Nai"),
        agency(LAND_OFFICE, level=AgencyLevel.DEPARTMENT, name="Văn phòng Đăng ký đất đai"),
        agency(BIEN_HOA, level=AgencyLevel.DISTRICT, status=AgencyStatus.ABOLISHED, successor=TRAN_BIEN,
               name="UBND thành phố Biên Hòa"),
        agency(OLD_WARD, parent=BIEN_HOA, status=AgencyStatus.MERGED, successor=QUYET_THANG, name="Phường cũ"),
        agency(QUYET_THANG, parent=BIEN_HOA, status=AgencyStatus.MERGED, successor=TRAN_BIEN,
               name="Phường Quyết Thắng"),
        agency(TRAN_BIEN, name="Phường Trấn Biên"),
        agency(TAN_PHU, name="Xã Tân Phú"),
        agency(ABOLISHED_UNIT, parent=BIEN_HOA, status=AgencyStatus.ABOLISHED, name="Đơn vị đã giải thể"),
    ]


def refused(agencies: list[Agency]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as raised:
        AgencyRegistry(agencies)
    return raised.value


# -- codes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["000.00.15.H19", "000.60.01.H19", "G12.BHXH", "H19.1", "ABCDEF.12345678"])
def test_national_and_external_agency_codes_are_accepted(code: str) -> None:
    assert check_agency_code(code) == code


@pytest.mark.parametrize(
    "code",
    [
        "",
        "H19",  # no group separator
        "000-00-15-H19",
        "000.00.15.h19",  # lower case
        "000.00.15.H19.",  # trailing dot
        ".000.00.15",
        "000..15.H19",
        "0000000.15",  # first group longer than six
        "000.123456789",  # later group longer than eight
        "1.2.3.4.5.6",  # more than five groups
        "000.00.15.H19 ",
    ],
)
def test_malformed_agency_codes_are_refused(code: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_agency_code(code)

    assert raised.value.code == "invalid_agency_code"
    assert raised.value.detail == {"agency_code": code}


def test_the_registry_refuses_an_agency_with_a_malformed_code() -> None:
    error = refused([*dong_nai(), agency("000.60.1O.h19")])

    assert error.code == "invalid_agency_code"


# -- consistency -------------------------------------------------------------------------------------


def test_a_consistent_province_is_accepted() -> None:
    registry = AgencyRegistry(dong_nai())

    assert len(registry) == 8
    assert TRAN_BIEN in registry
    assert "000.99.99.H19" not in registry
    assert registry.get("000.99.99.H19") is None
    tran_bien = registry.get(TRAN_BIEN)
    assert tran_bien is not None and tran_bien.is_active
    bien_hoa = registry.get(BIEN_HOA)
    assert bien_hoa is not None and not bien_hoa.is_active
    assert {a.code for a in registry} == {a.code for a in dong_nai()}
    assert {a.code for a in registry.children(BIEN_HOA)} == {OLD_WARD, QUYET_THANG, ABOLISHED_UNIT}
    assert registry.children(TAN_PHU) == []


def test_duplicate_codes_are_refused() -> None:
    error = refused([*dong_nai(), agency(TAN_PHU, name="Xã Tân Phú (bản trùng)")])

    assert error.code == "duplicate_agency"
    assert error.detail == {"agency_code": TAN_PHU}


@pytest.mark.parametrize(
    ("dangling", "field"),
    [
        (agency("000.60.50.H19", parent="000.99.99.H19"), "parent_code"),
        (agency("000.60.50.H19", status=AgencyStatus.MERGED, successor="000.99.99.H19"), "successor_code"),
    ],
)
def test_references_to_unknown_agencies_are_refused(dangling: Agency, field: str) -> None:
    error = refused([*dong_nai(), dangling])

    assert error.code == "unknown_agency"
    assert error.detail == {"agency_code": "000.60.50.H19", "field": field, "missing": "000.99.99.H19"}


def test_a_two_agency_succession_cycle_is_refused() -> None:
    first, second = "000.70.01.H19", "000.70.02.H19"
    error = refused([
        agency(PROVINCE, level=AgencyLevel.PROVINCE, parent=None),
        agency(first, status=AgencyStatus.MERGED, successor=second),
        agency(second, status=AgencyStatus.MERGED, successor=first),
    ])

    assert error.code == "succession_cycle"


def test_a_longer_succession_cycle_is_refused() -> None:
    codes = ["000.70.01.H19", "000.70.02.H19", "000.70.03.H19"]
    error = refused([
        agency(PROVINCE, level=AgencyLevel.PROVINCE, parent=None),
        *(agency(code, status=AgencyStatus.ABOLISHED, successor=codes[(i + 1) % 3]) for i, code in enumerate(codes)),
    ])

    assert error.code == "succession_cycle"
    assert error.detail["agency_code"] in codes


@pytest.mark.parametrize(
    "bad",
    [
        agency(TAN_PHU, successor=TRAN_BIEN),  # active, yet with a successor
        agency(TAN_PHU, status=AgencyStatus.MERGED),  # merged into nothing
        agency(TAN_PHU, status=AgencyStatus.MERGED, successor=TAN_PHU),  # its own successor
        agency(TAN_PHU, parent=TAN_PHU),  # its own parent
        agency(TAN_PHU, name="   "),
    ],
)
def test_an_agency_whose_fields_disagree_is_refused(bad: Agency) -> None:
    error = refused([a for a in dong_nai() if a.code != TAN_PHU] + [bad])

    assert error.code == "invalid_agency"


def test_an_abolished_agency_may_have_no_successor() -> None:
    registry = AgencyRegistry(dong_nai())

    assert registry.final_successor(ABOLISHED_UNIT) == ABOLISHED_UNIT
    assert registry.reachable_codes(ABOLISHED_UNIT) == {ABOLISHED_UNIT}


# -- succession --------------------------------------------------------------------------------------


def test_predecessors_are_found_through_a_chain_of_mergers() -> None:
    """GIVEN an old ward merged into Quyết Thắng, which was merged into Trấn Biên, and Biên Hòa abolished
    in favour of Trấn Biên
    THEN Trấn Biên inherits the dossiers of all three, and Quyết Thắng only those of the old ward."""
    registry = AgencyRegistry(dong_nai())

    assert registry.predecessors(TRAN_BIEN) == {BIEN_HOA, QUYET_THANG, OLD_WARD}
    assert registry.predecessors(QUYET_THANG) == {OLD_WARD}
    assert registry.predecessors(OLD_WARD) == frozenset()
    assert registry.predecessors(TAN_PHU) == frozenset()


def test_reachable_codes_include_the_agency_itself() -> None:
    registry = AgencyRegistry(dong_nai())

    assert registry.reachable_codes(TRAN_BIEN) == {TRAN_BIEN, BIEN_HOA, QUYET_THANG, OLD_WARD}
    assert registry.reachable_codes(TAN_PHU) == {TAN_PHU}
    assert registry.reachable_codes(OLD_WARD) == {OLD_WARD}


@pytest.mark.parametrize(
    ("code", "today"),
    [(OLD_WARD, TRAN_BIEN), (QUYET_THANG, TRAN_BIEN), (BIEN_HOA, TRAN_BIEN), (TRAN_BIEN, TRAN_BIEN),
     (TAN_PHU, TAN_PHU)],
)
def test_the_final_successor_is_the_agency_holding_the_dossiers_today(code: str, today: str) -> None:
    assert AgencyRegistry(dong_nai()).final_successor(code) == today
