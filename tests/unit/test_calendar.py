"""The Vietnamese working-day calendar: lunar dates, public holidays, compensatory days, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from records.calendar import (
    Holiday,
    LunarDate,
    WorkingCalendar,
    lunar_new_year,
    lunar_to_solar,
    solar_to_lunar,
)
from records.clock import VN_TZ

CAL = WorkingCalendar()


def vn(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN_TZ)


def days_off(calendar: WorkingCalendar, year: int) -> dict[date, str]:
    return {holiday.day: holiday.name_vi for holiday in calendar.holidays(year)}


# -- lunar calendar ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "tet"),
    [
        (2023, date(2023, 1, 22)),
        (2024, date(2024, 2, 10)),
        (2025, date(2025, 1, 29)),
        (2026, date(2026, 2, 17)),
        (2027, date(2027, 2, 6)),
        # Years where Vietnam's calendar (UTC+7) differs from China's (UTC+8: 1985-02-20, 2007-02-18).
        (1985, date(1985, 1, 21)),
        (2007, date(2007, 2, 17)),
    ],
)
def test_tet_falls_on_the_vietnamese_lunar_new_year(year: int, tet: date) -> None:
    assert lunar_new_year(year) == tet
    assert solar_to_lunar(tet) == LunarDate(year, 1, 1, leap=False)
    assert lunar_to_solar(year, 1, 1) == tet


@pytest.mark.parametrize(
    ("year", "day"),
    [(2024, date(2024, 4, 18)), (2025, date(2025, 4, 7)), (2026, date(2026, 4, 26))],
)
def test_hung_kings_day_is_lunar_10_3(year: int, day: date) -> None:
    assert lunar_to_solar(year, 3, 10) == day
    assert days_off(CAL, year)[day] == "Giỗ Tổ Hùng Vương"


def test_leap_months_are_recognised() -> None:
    """GIVEN lunar 2023, which has a leap 2nd month (tháng 2 nhuận)
    THEN both 2nd months convert both ways and a leap month the year lacks is refused."""
    assert lunar_to_solar(2023, 2, 1) == date(2023, 2, 20)
    assert lunar_to_solar(2023, 2, 1, leap=True) == date(2023, 3, 22)
    assert solar_to_lunar(date(2023, 3, 22)) == LunarDate(2023, 2, 1, leap=True)
    assert solar_to_lunar(date(2025, 7, 25)) == LunarDate(2025, 6, 1, leap=True)
    with pytest.raises(ValueError):
        lunar_to_solar(2024, 2, 1, leap=True)
    with pytest.raises(ValueError):
        lunar_to_solar(2023, 3, 1, leap=True)


def test_lunar_month_length_is_checked() -> None:
    """The 12th month of lunar 2025 has 29 days: 29/12 is Tết eve 2026, 30/12 does not exist."""
    assert lunar_to_solar(2025, 12, 29) == date(2026, 2, 16)
    with pytest.raises(ValueError):
        lunar_to_solar(2025, 12, 30)
    with pytest.raises(ValueError):
        lunar_to_solar(2025, 13, 1)


def test_solar_and_lunar_dates_round_trip_every_day_1900_to_2100() -> None:
    day = date(1900, 1, 1)
    previous = solar_to_lunar(day - timedelta(days=1))
    while day <= date(2100, 12, 31):
        lunar = solar_to_lunar(day)
        assert 1 <= lunar.day <= 30
        assert lunar_to_solar(lunar.year, lunar.month, lunar.day, lunar.leap) == day
        # Consecutive days either continue the month or start a new one on day 1.
        assert lunar.day == previous.day + 1 or lunar.day == 1
        previous = lunar
        day += timedelta(days=1)


# -- holidays -----------------------------------------------------------------------------------------


def test_holidays_of_2026() -> None:
    assert [(h.day, h.name_vi) for h in CAL.holidays(2026)] == [
        (date(2026, 1, 1), "Tết Dương lịch"),
        (date(2026, 2, 16), "Tết Nguyên đán"),  # 29 Tết, the last day of lunar 2025
        (date(2026, 2, 17), "Tết Nguyên đán"),
        (date(2026, 2, 18), "Tết Nguyên đán"),
        (date(2026, 2, 19), "Tết Nguyên đán"),
        (date(2026, 2, 20), "Tết Nguyên đán"),
        (date(2026, 4, 26), "Giỗ Tổ Hùng Vương"),  # a Sunday
        (date(2026, 4, 27), "Nghỉ bù"),
        (date(2026, 4, 30), "Ngày Chiến thắng"),
        (date(2026, 5, 1), "Ngày Quốc tế Lao động"),
        (date(2026, 9, 1), "Quốc khánh"),
        (date(2026, 9, 2), "Quốc khánh"),
    ]
    tet = CAL.holidays(2026)[2]
    assert tet == Holiday(date(2026, 2, 17), "Tết Nguyên đán", "Lunar New Year")


def test_holidays_on_a_weekend_give_compensatory_days() -> None:
    """GIVEN 30/4/2022 was a Saturday and 1/5/2022 a Sunday
    THEN Monday 2/5 and Tuesday 3/5 are compensatory days off."""
    off = days_off(CAL, 2022)
    assert off[date(2022, 5, 2)] == "Nghỉ bù"
    assert off[date(2022, 5, 3)] == "Nghỉ bù"
    assert CAL.is_working_day(date(2022, 5, 4))
    assert not CAL.is_working_day(date(2022, 5, 3))


def test_compensatory_days_skip_other_holidays() -> None:
    """GIVEN Giỗ Tổ 2023 on Saturday 29/4, 30/4 on Sunday and 1/5 on Monday
    THEN the two compensatory days are Tuesday 2/5 and Wednesday 3/5."""
    off = days_off(CAL, 2023)
    assert off[date(2023, 4, 29)] == "Giỗ Tổ Hùng Vương"
    assert off[date(2023, 5, 1)] == "Ngày Quốc tế Lao động"
    assert off[date(2023, 5, 2)] == "Nghỉ bù"
    assert off[date(2023, 5, 3)] == "Nghỉ bù"
    assert date(2023, 5, 4) not in off


def test_national_day_on_a_saturday() -> None:
    """GIVEN 2/9/2023 was a Saturday
    WHEN the extra day is 1/9 (default) THEN 1/9 Friday and Monday 4/9 (nghỉ bù) are off
    WHEN the extra day is 3/9 (a Sunday) THEN both 2/9 and 3/9 are compensated: Monday 4/9, Tuesday 5/9."""
    before = days_off(CAL, 2023)
    assert [day for day in sorted(before) if day.month == 9] == [
        date(2023, 9, 1),
        date(2023, 9, 2),
        date(2023, 9, 4),
    ]
    assert before[date(2023, 9, 4)] == "Nghỉ bù"

    after = days_off(WorkingCalendar.from_config(national_day_extra="after"), 2023)
    assert [day for day in sorted(after) if day.month == 9] == [
        date(2023, 9, 2),
        date(2023, 9, 3),
        date(2023, 9, 4),
        date(2023, 9, 5),
    ]


def test_tet_block_weekend_days_are_compensated_right_after_the_block() -> None:
    """GIVEN Tết 2027 on Saturday 6/2: the block is Friday 5/2 to Tuesday 9/2, two days on the weekend
    THEN Wednesday 10/2 and Thursday 11/2 are compensatory days and Friday 12/2 is a working day."""
    off = days_off(CAL, 2027)
    assert [off[date(2027, 2, day)] for day in range(5, 10)] == ["Tết Nguyên đán"] * 5
    assert off[date(2027, 2, 10)] == "Nghỉ bù"
    assert off[date(2027, 2, 11)] == "Nghỉ bù"
    assert CAL.is_working_day(date(2027, 2, 12))


def test_extra_days_off_and_make_up_working_days() -> None:
    """GIVEN the province adds Monday 2026-02-23 off and makes Saturday 2026-02-28 and Tết day 2026-02-20
    working days THEN the calendar follows the decision, and `holidays` lists what is actually off."""
    calendar = WorkingCalendar.from_config(
        extra_holidays=[date(2026, 2, 23)],
        extra_working_days=[date(2026, 2, 28), date(2026, 2, 20)],
    )
    assert not calendar.is_working_day(date(2026, 2, 23))
    assert calendar.is_working_day(date(2026, 2, 28))
    assert calendar.is_working_day(date(2026, 2, 20))
    off = days_off(calendar, 2026)
    assert off[date(2026, 2, 23)] == "Ngày nghỉ theo quyết định"
    assert date(2026, 2, 20) not in off
    assert date(2026, 2, 28) not in off


def test_next_working_day_is_strictly_after() -> None:
    assert CAL.next_working_day(date(2024, 6, 10)) == date(2024, 6, 11)  # Monday -> Tuesday
    assert CAL.next_working_day(date(2024, 6, 14)) == date(2024, 6, 17)  # Friday -> Monday
    assert CAL.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)  # Friday before Tết 2026


def test_from_config_rejects_unknown_national_day_extra() -> None:
    with pytest.raises(ValueError, match="national_day_extra"):
        WorkingCalendar.from_config(national_day_extra="middle")


# -- deadlines ----------------------------------------------------------------------------------------

# A week in June 2024 without holidays: Monday 10 .. Sunday 16.


def test_adding_whole_days_keeps_the_clock_time() -> None:
    assert CAL.add_working_days(vn(2024, 6, 10, 14), 1) == vn(2024, 6, 11, 14)  # Monday -> Tuesday
    assert CAL.add_working_days(vn(2024, 6, 14, 14), 1) == vn(2024, 6, 17, 14)  # Friday -> Monday
    assert CAL.add_working_days(vn(2024, 6, 10, 9, 15), 10) == vn(2024, 6, 24, 9, 15)


def test_adding_fractions_of_a_day() -> None:
    """Friday 14:00 has 10 hours left; half a day (12 hours) ends at Monday 02:00."""
    assert CAL.add_working_days(vn(2024, 6, 14, 14), 0.5) == vn(2024, 6, 17, 2)
    assert CAL.add_working_days(vn(2024, 6, 14, 14), 10 / 24) == vn(2024, 6, 15, 0)


def test_counting_from_a_day_off_starts_at_midnight_of_the_next_working_day() -> None:
    """GIVEN a Saturday start WHEN one working day is added THEN Monday is counted, ending Tuesday 00:00."""
    assert CAL.add_working_days(vn(2024, 6, 15, 11), 1) == vn(2024, 6, 18, 0)
    assert CAL.add_working_days(vn(2024, 6, 15, 11), 0) == vn(2024, 6, 17, 0)


def test_appointment_across_tet_2026() -> None:
    """GIVEN a dossier received Thursday 2026-02-12 at 10:00 with a 5-working-day deadline
    WHEN Tết runs Monday 16/2 to Friday 20/2
    THEN the days counted are 12/2 (from 10:00), 13/2, 23/2, 24/2, 25/2: the appointment is 26/2 10:00."""
    start = CAL.intake_start(vn(2026, 2, 12, 10))
    assert start == vn(2026, 2, 12, 10)
    assert CAL.add_working_days(start, 5) == vn(2026, 2, 26, 10)


def test_make_up_saturday_counts_as_a_working_day() -> None:
    """GIVEN Saturday 2024-06-15 is declared a make-up working day
    THEN Friday 14:00 + 1 working day is Saturday 14:00 instead of Monday 14:00."""
    calendar = WorkingCalendar.from_config(extra_working_days=[date(2024, 6, 15)])
    assert calendar.add_working_days(vn(2024, 6, 14, 14), 1) == vn(2024, 6, 15, 14)
    assert CAL.add_working_days(vn(2024, 6, 14, 14), 1) == vn(2024, 6, 17, 14)


def test_extra_holiday_pushes_the_deadline() -> None:
    calendar = WorkingCalendar.from_config(extra_holidays=[date(2024, 6, 17)])
    assert calendar.add_working_days(vn(2024, 6, 14, 14), 1) == vn(2024, 6, 18, 14)


def test_results_are_in_vietnam_time_whatever_the_input_zone() -> None:
    """GIVEN Monday 2024-06-10 07:00 UTC (14:00 in Vietnam) THEN + 1 is Tuesday 14:00 in Vietnam."""
    result = CAL.add_working_days(datetime(2024, 6, 10, 7, tzinfo=UTC), 1)
    assert result == vn(2024, 6, 11, 14)
    assert result.utcoffset() == timedelta(hours=7)
    # Friday 20:00 in UTC is already Saturday 03:00 in Vietnam: a day off.
    assert CAL.add_working_days(datetime(2024, 6, 14, 20, tzinfo=UTC), 1) == vn(2024, 6, 18, 0)


def test_working_days_between_counts_only_working_hours_of_working_days() -> None:
    assert CAL.working_days_between(vn(2024, 6, 10), vn(2024, 6, 17)) == 5
    assert CAL.working_days_between(vn(2024, 6, 14, 12), vn(2024, 6, 17, 12)) == 1
    assert CAL.working_days_between(vn(2024, 6, 15, 8), vn(2024, 6, 16, 20)) == 0
    assert CAL.working_days_between(vn(2026, 2, 13), vn(2026, 2, 24)) == 2  # Friday 13/2 and Monday 23/2
    assert CAL.working_days_between(vn(2024, 6, 17, 12), vn(2024, 6, 14, 12)) == -1


ROUND_TRIP_STARTS = [
    vn(2024, 6, 10, 9),  # Monday morning
    vn(2024, 6, 14, 16, 30),  # Friday afternoon
    vn(2024, 6, 15, 11),  # Saturday
    vn(2026, 2, 13, 15),  # Friday before Tết 2026
    vn(2026, 2, 17, 10),  # Tết day
    vn(2022, 4, 29, 23, 59),  # just before the 30/4-1/5 weekend and its compensatory days
    datetime(2025, 8, 29, 22, tzinfo=timezone(timedelta(hours=-5))),
]


@pytest.mark.parametrize("start", ROUND_TRIP_STARTS)
@pytest.mark.parametrize("days", [0, 0.25, 0.5, 1, 2.75, 5, 15, 60])
def test_working_days_between_inverts_add_working_days(start: datetime, days: float) -> None:
    end = CAL.add_working_days(start, days)
    assert CAL.working_days_between(start, end) == pytest.approx(days, abs=1e-9)
    assert CAL.working_days_between(end, start) == pytest.approx(-days, abs=1e-9)
    if days > 0:
        # The earliest such instant: a minute before, the count is not reached yet.
        assert CAL.working_days_between(start, end - timedelta(minutes=1)) < days


def test_many_working_days_are_added_quickly() -> None:
    start = vn(2024, 1, 2, 9)
    end = CAL.add_working_days(start, 1000)
    assert CAL.working_days_between(start, end) == pytest.approx(1000)
    assert end.time() == start.time()


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2024, 6, 10, 9)
    with pytest.raises(ValueError):
        CAL.add_working_days(naive, 1)
    with pytest.raises(ValueError):
        CAL.working_days_between(naive, vn(2024, 6, 11))
    with pytest.raises(ValueError):
        CAL.working_days_between(vn(2024, 6, 11), naive)
    with pytest.raises(ValueError):
        CAL.intake_start(naive)


def test_negative_or_non_finite_days_are_refused() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(vn(2024, 6, 10, 9), -1)
    with pytest.raises(ValueError):
        CAL.add_working_days(vn(2024, 6, 10, 9), float("nan"))


# -- intake after office hours ------------------------------------------------------------------------


def test_received_before_17h_on_a_working_day_counts_from_receipt() -> None:
    assert CAL.intake_start(vn(2024, 6, 14, 16, 59)) == vn(2024, 6, 14, 16, 59)


def test_received_at_or_after_17h_counts_from_the_next_working_day() -> None:
    """GIVEN a dossier received Friday at 17:30 (or exactly 17:00) with a 1-working-day deadline
    THEN processing starts Monday 07:30 and the appointment is Tuesday 07:30."""
    received = vn(2024, 6, 14, 17, 30)
    assert CAL.intake_start(received) == vn(2024, 6, 17, 7, 30)
    assert CAL.intake_start(vn(2024, 6, 14, 17)) == vn(2024, 6, 17, 7, 30)
    assert CAL.add_working_days(CAL.intake_start(received), 1) == vn(2024, 6, 18, 7, 30)


def test_received_on_a_day_off_counts_from_the_next_working_day() -> None:
    assert CAL.intake_start(vn(2024, 6, 15, 9)) == vn(2024, 6, 17, 7, 30)  # Saturday
    assert CAL.intake_start(vn(2026, 2, 18, 9)) == vn(2026, 2, 23, 7, 30)  # during Tết


def test_office_hours_are_judged_in_vietnam_time() -> None:
    """10:30 UTC is 17:30 in Vietnam: after closing time."""
    assert CAL.intake_start(datetime(2024, 6, 14, 10, 30, tzinfo=UTC)) == vn(2024, 6, 17, 7, 30)
