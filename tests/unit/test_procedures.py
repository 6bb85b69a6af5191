"""The procedure catalogue: configuration, validation, routes, coverage figures and the JSON shape."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from records.agencies import Agency, AgencyLevel, AgencyRegistry
from records.errors import ValidationFailed
from records.procedures import (
    RECEIVING,
    Coverage,
    DocumentType,
    Procedure,
    RequiredPaper,
    RouteStep,
    coverage,
    procedure_from_dict,
    procedure_to_dict,
    validate_procedure,
)
from tests.support.factories import BIRTH_REGISTRATION, LAND, LAND_FIRST_CERTIFICATE, LAND_OFFICE, TAN_PHU, TRAN_BIEN

DISTRICT = "000.31.00.H19"
APPLICATION = RequiredPaper("Đơn đăng ký", DocumentType.APPLICATION_FORM, original=True)

BIRTH = Procedure(
    code=BIRTH_REGISTRATION,
    name="Đăng ký khai sinh",
    field="Hộ tịch",
    level=AgencyLevel.COMMUNE,
    processing_days=1,
    route=(RouteStep(RECEIVING, 1),),
    required_papers=(RequiredPaper("Tờ khai đăng ký khai sinh", DocumentType.APPLICATION_FORM),),
)


def commune(code: str) -> Agency:
    return Agency(code, "Xã", AgencyLevel.COMMUNE)


def registry(*codes: str) -> AgencyRegistry:
    return AgencyRegistry([Agency(code, "Cơ quan", AgencyLevel.COMMUNE) for code in codes])


# -- configuration -----------------------------------------------------------------------------------


def test_the_land_and_birth_procedures_are_configured() -> None:
    assert LAND.is_configured  # 2 + 17 + 1 = 20: the route may use the whole processing time
    assert BIRTH.is_configured


@pytest.mark.parametrize(
    "procedure",
    [
        replace(LAND, route=()),
        replace(LAND, required_papers=()),
        replace(LAND, processing_days=19.5),  # the route's 20 days no longer fit
        replace(LAND, processing_days=0, route=(RouteStep(RECEIVING, 0),)),
    ],
    ids=["no route", "no papers", "route too long", "no processing time"],
)
def test_a_procedure_without_route_papers_or_time_is_not_configured(procedure: Procedure) -> None:
    assert not procedure.is_configured


# -- validation --------------------------------------------------------------------------------------


def test_a_sound_procedure_passes_validation_against_the_registry() -> None:
    validate_procedure(LAND, registry(TRAN_BIEN, LAND_OFFICE))
    validate_procedure(replace(LAND, receiving_agencies=(TRAN_BIEN,)), registry(TRAN_BIEN, LAND_OFFICE))
    validate_procedure(replace(LAND, code="DNI-HT-01"))  # a provincial code


@pytest.mark.parametrize(
    "procedure",
    [
        replace(LAND, code="1"),  # too short
        replace(LAND, code="-1.001"),  # must start with a letter or digit
        replace(LAND, code="1.001 193"),
        replace(LAND, name="  "),
        replace(LAND, field=""),
        replace(LAND, processing_days=-1, route=()),
        replace(LAND, route=(RouteStep(RECEIVING, -1),)),
        replace(LAND, processing_days=19),  # steps exceed the processing time
        replace(LAND, retention_years=0),
    ],
    ids=["short code", "leading dash", "space in code", "no name", "no field", "negative time",
         "negative step", "steps too long", "zero retention"],
)
def test_an_unsound_procedure_fails_validation(procedure: Procedure) -> None:
    with pytest.raises(ValidationFailed) as raised:
        validate_procedure(procedure)

    assert raised.value.code == "invalid_procedure"
    assert raised.value.detail == {"procedure_code": procedure.code}


@pytest.mark.parametrize(
    ("procedure", "missing"),
    [
        (LAND, LAND_OFFICE),  # on the route
        (replace(BIRTH, receiving_agencies=(TAN_PHU,)), TAN_PHU),  # among the receiving desks
    ],
)
def test_a_procedure_naming_an_unknown_agency_fails_against_the_registry(procedure: Procedure,
                                                                        missing: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        validate_procedure(procedure, registry(TRAN_BIEN))

    assert raised.value.code == "unknown_agency"
    assert raised.value.detail == {"procedure_code": procedure.code, "agency_code": missing}


def test_without_a_registry_agency_codes_are_not_checked() -> None:
    validate_procedure(replace(BIRTH, receiving_agencies=("000.99.99.H19",)))


# -- the route ---------------------------------------------------------------------------------------

LONG_ROUTE = replace(
    LAND,
    processing_days=30,
    route=(RouteStep(RECEIVING, 1), RouteStep(RECEIVING, 2), RouteStep(LAND_OFFICE, 5),
           RouteStep(LAND_OFFICE, 3), RouteStep(RECEIVING, 1)),
)


@pytest.mark.parametrize(("index", "days"), [(0, 3.0), (1, 2.0), (2, 8.0), (3, 3.0), (4, 1.0)])
def test_held_days_add_up_consecutive_steps_of_one_agency(index: int, days: float) -> None:
    assert LONG_ROUTE.held_days(index, TRAN_BIEN) == days


def test_a_step_naming_the_receiving_agency_explicitly_joins_the_receiving_step() -> None:
    procedure = replace(BIRTH, processing_days=3, route=(RouteStep(RECEIVING, 1), RouteStep(TRAN_BIEN, 2)))

    assert procedure.held_days(0, TRAN_BIEN) == 3.0
    assert procedure.held_days(0, TAN_PHU) == 1.0  # received elsewhere, Trấn Biên's step is another agency's
    assert procedure.step_agency(0, TAN_PHU) == TAN_PHU
    assert procedure.step_agency(1, TAN_PHU) == TRAN_BIEN


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        (0, LAND_OFFICE, 1),
        (0, TRAN_BIEN, 2),  # the commune's own later step
        (1, TRAN_BIEN, 2),
        (2, LAND_OFFICE, None),  # nothing after the last step
        (0, TAN_PHU, None),  # off the route
    ],
)
def test_next_step_index_finds_the_target_later_on_the_route(current: int, target: str,
                                                             expected: int | None) -> None:
    assert LAND.next_step_index(current, target, TRAN_BIEN) == expected


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        (2, LAND_OFFICE, 1),
        (1, TRAN_BIEN, 0),
        (2, TRAN_BIEN, 0),
        (0, TRAN_BIEN, None),  # nothing before the first step
        (1, LAND_OFFICE, None),  # the current step itself is not "before"
        (2, TAN_PHU, None),
        (7, LAND_OFFICE, 1),  # an index past the route's end is clamped
    ],
)
def test_previous_step_index_finds_the_target_earlier_on_the_route(current: int, target: str,
                                                                   expected: int | None) -> None:
    assert LAND.previous_step_index(current, target, TRAN_BIEN) == expected


# -- coverage ----------------------------------------------------------------------------------------


def test_coverage_counts_published_and_configured_procedures_of_the_agency_desk() -> None:
    """GIVEN commune procedures (configured, unconfigured, unpublished), a district one, and one
    reserved for Tân Phú
    THEN each desk counts only what it receives (its level, or its code when the desks are listed),
    and of those only the published ones."""
    unconfigured = replace(BIRTH, code="1.000001", route=())
    unpublished = replace(BIRTH, code="1.000002", published=False)
    district = replace(BIRTH, code="2.000001", level=AgencyLevel.DISTRICT)
    tan_phu_only = replace(LAND, code="1.000003", receiving_agencies=(TAN_PHU,))
    tan_phu_district = replace(BIRTH, code="2.000002", level=AgencyLevel.DISTRICT, receiving_agencies=(TAN_PHU,),
                               route=())
    catalogue = [LAND, BIRTH, unconfigured, unpublished, district, tan_phu_only, tan_phu_district]

    tran_bien = coverage(commune(TRAN_BIEN), catalogue)
    tan_phu = coverage(commune(TAN_PHU), catalogue)
    district_desk = coverage(Agency(DISTRICT, "Huyện", AgencyLevel.DISTRICT), catalogue)

    assert tran_bien == Coverage(TRAN_BIEN, published=3, configured=2)
    assert tran_bien.ratio == pytest.approx(2 / 3)
    assert tan_phu == Coverage(TAN_PHU, published=5, configured=3)  # the commune three plus its own two
    assert district_desk == Coverage(DISTRICT, published=1, configured=1)
    assert district_desk.ratio == 1.0


def test_coverage_of_a_desk_with_nothing_published_is_zero() -> None:
    result = coverage(Agency(DISTRICT, "Huyện", AgencyLevel.DISTRICT), [LAND, BIRTH])

    assert result == Coverage(DISTRICT, published=0, configured=0)
    assert result.ratio == 0.0


# -- JSON --------------------------------------------------------------------------------------------

FULL = Procedure(
    code="DNI-DD-07",
    name="Chuyển mục đích sử dụng đất",
    field="Đất đai",
    level=AgencyLevel.DISTRICT,
    processing_days=15.5,
    route=(RouteStep(RECEIVING, 0.5, "Tiếp nhận"), RouteStep(LAND_OFFICE, 15, "Thẩm định")),
    required_papers=(
        APPLICATION,
        RequiredPaper("Bản sao CCCD", DocumentType.ID_CARD_COPY, original=False, quantity=2, mandatory=False),
        RequiredPaper("Giấy chứng nhận", DocumentType.LAND_CERTIFICATE, original=True),
    ),
    retention_years=20,
    published=False,
    receiving_agencies=(TRAN_BIEN, TAN_PHU),
    fee_vnd=150_000,
    linked_procedures=("1.012756", "2.000986"),
)


@pytest.mark.parametrize("procedure", [FULL, LAND, BIRTH, replace(BIRTH, route=(), required_papers=())])
def test_the_json_shape_round_trips_without_loss(procedure: Procedure) -> None:
    document = json.loads(json.dumps(procedure_to_dict(procedure)))

    restored = procedure_from_dict(document)

    assert restored == procedure
    assert procedure_to_dict(restored) == procedure_to_dict(procedure)


def test_the_json_shape_is_plain_and_stable() -> None:
    assert procedure_to_dict(BIRTH) == {
        "code": "1.001193",
        "name": "Đăng ký khai sinh",
        "field": "Hộ tịch",
        "level": "commune",
        "processing_days": 1,
        "route": [{"agency": "receiving", "days": 1, "task": ""}],
        "required_papers": [{"name": "Tờ khai đăng ký khai sinh", "document_type": "application_form",
                             "original": False, "quantity": 1, "mandatory": True}],
        "retention_years": None,
        "published": True,
        "receiving_agencies": [],
        "fee_vnd": None,
        "linked_procedures": [],
    }


def test_optional_keys_take_their_defaults() -> None:
    restored = procedure_from_dict({"code": "1.000100", "name": "Thủ tục", "field": "Hộ tịch", "level": "commune",
                                    "processing_days": "3", "route": [{"agency": "receiving", "days": 3}]})

    assert restored == Procedure("1.000100", "Thủ tục", "Hộ tịch", AgencyLevel.COMMUNE, 3.0,
                                 route=(RouteStep(RECEIVING, 3.0),))
    assert restored.published is True
    assert restored.retention_years is None


@pytest.mark.parametrize("key", ["code", "name", "field", "level", "processing_days"])
def test_a_document_missing_a_required_key_is_refused(key: str) -> None:
    document = procedure_to_dict(LAND)
    del document[key]

    with pytest.raises(ValidationFailed) as raised:
        procedure_from_dict(document)

    assert raised.value.code == "invalid_procedure"
    assert raised.value.detail == {"procedure_code": "" if key == "code" else LAND_FIRST_CERTIFICATE}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("level", "village"),
        ("processing_days", "twenty"),
        ("route", [{"agency": "receiving"}]),  # a step without days
        ("route", ["receiving"]),
        ("required_papers", [{"name": "Đơn", "document_type": "photo"}]),
        ("fee_vnd", "free"),
    ],
)
def test_a_document_with_a_malformed_value_is_refused(key: str, value: Any) -> None:
    document = procedure_to_dict(LAND) | {key: value}

    with pytest.raises(ValidationFailed) as raised:
        procedure_from_dict(document)

    assert raised.value.code == "invalid_procedure"
    assert raised.value.detail == {"procedure_code": LAND_FIRST_CERTIFICATE}


def test_the_next_agency_of_the_route_is_the_next_one_that_does_not_hold_the_dossier() -> None:
    from tests.support.factories import LAND, LAND_OFFICE, TRAN_BIEN

    assert LAND.next_agency(0, TRAN_BIEN, TRAN_BIEN) == LAND_OFFICE
    assert LAND.next_agency(1, TRAN_BIEN, LAND_OFFICE) == TRAN_BIEN
    assert LAND.next_agency(2, TRAN_BIEN, TRAN_BIEN) is None
    assert LAND.next_agency(0, TRAN_BIEN, LAND_OFFICE) == TRAN_BIEN  # sent ahead off its step: back on the route
