"""The retention rules alone: which schedule governs a dossier (the most specific; ties: the longest), due dates from
the local closing date, and moves never below the legal minimum."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from records.clock import VN_TZ
from records.errors import ValidationFailed
from records.retention import (
    DossierRetention,
    EndAction,
    RetentionSchedule,
    add_years,
    applicable,
    check_schedule,
)
from tests.support.factories import LAND, LAND_FIRST_CERTIFICATE

FIELD = LAND.field
BY_FIELD = RetentionSchedule("field", 10, EndAction.DESTROY, field=FIELD)
BY_FIELD_TYPE = RetentionSchedule("field-type", 12, EndAction.DESTROY, field=FIELD, document_type="decision")
BY_PROCEDURE = RetentionSchedule("procedure", 8, EndAction.DESTROY, procedure_code=LAND_FIRST_CERTIFICATE)
BY_TYPE = RetentionSchedule("type", 5, EndAction.DESTROY, procedure_code=LAND_FIRST_CERTIFICATE,
                            document_type="application_form", legal_minimum_years=3)
BY_OTHER_TYPE = RetentionSchedule("other-type", None, EndAction.DEPOSIT, procedure_code=LAND_FIRST_CERTIFICATE,
                                  document_type="land_certificate")
ALL = [BY_FIELD, BY_FIELD_TYPE, BY_PROCEDURE, BY_TYPE, BY_OTHER_TYPE]


@pytest.mark.parametrize(("schedules", "types", "winner"), [
    (ALL, ["application_form"], "type"),
    (ALL, ["application_form", "land_certificate"], "other-type"),  # tie on the top level: the longer (permanent)
    (ALL, ["decision"], "procedure"),  # a procedure beats the field, even the field's document type
    ([BY_FIELD, BY_FIELD_TYPE], ["decision"], "field-type"),
    ([BY_FIELD, BY_FIELD_TYPE], ["other"], "field"),
    ([replace(BY_PROCEDURE, active=False), BY_FIELD], [], "field"),
    ([replace(BY_FIELD, field="Hộ tịch")], [], None),
])
def test_the_most_specific_schedule_wins(schedules: list[RetentionSchedule], types: list[str],
                                         winner: str | None) -> None:
    assert applicable(LAND, schedules, types).schedule_id == winner


def test_without_a_schedule_the_catalogue_decides() -> None:
    permanent = applicable(LAND, [])
    assert (permanent.years, permanent.end_action) == (None, EndAction.DEPOSIT)
    five = applicable(replace(LAND, retention_years=5), [])
    assert (five.years, five.minimum_years, five.end_action) == (5, 5, EndAction.DESTROY)


def test_due_dates_count_from_the_local_closing_day_and_never_go_below_the_minimum() -> None:
    closed = datetime(2020, 2, 29, 23, 30, tzinfo=VN_TZ)  # a leap day, late in the evening
    applied = applicable(LAND, ALL, ["application_form"])
    line = DossierRetention("X", "A", LAND_FIRST_CERTIFICATE, closed, applied.schedule_id, applied.years,
                            applied.minimum_years, applied.end_action)
    assert line.due_on == add_years(date(2020, 2, 29), 5) == date(2025, 2, 28)
    line.move_due_date(date(2024, 1, 1), reason="Đã xác minh", by="luutru")
    assert line.due_on == date(2024, 1, 1)
    with pytest.raises(ValidationFailed) as below:
        line.move_due_date(date(2023, 2, 27), reason="Rút ngắn", by="luutru")
    assert below.value.code == "below_legal_minimum"
    with pytest.raises(ValidationFailed) as blank:
        line.move_due_date(date(2030, 1, 1), reason=" ", by="luutru")
    assert blank.value.code == "reason_required"
    assert line.due_on == date(2024, 1, 1)


@pytest.mark.parametrize(("schedule", "code"), [
    (RetentionSchedule("x", 5, EndAction.DESTROY), "invalid_schedule"),
    (RetentionSchedule("x", None, EndAction.DESTROY, field=FIELD), "invalid_schedule"),
    (RetentionSchedule("x", 5, EndAction.DESTROY, field=FIELD, document_type="passport"), "unknown_document_type"),
    (RetentionSchedule("x", 201, EndAction.DESTROY, field=FIELD), "invalid_retention_years"),
    (RetentionSchedule("x", 5, EndAction.DESTROY, field=FIELD, legal_minimum_years=6), "invalid_retention_years"),
])
def test_bad_schedules(schedule: RetentionSchedule, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_schedule(schedule)
    assert refused.value.code == code
