"""The Vietnamese working-day calendar: public holidays, compensatory days off and deadline arithmetic.

Used to compute a dossier's appointment date (ngày hẹn trả kết quả) and the deadlines of its processing
steps. Everything here is pure and computed; no holiday is typed in per year.

Lunar calendar
    The Vietnamese lunar calendar is computed with Hồ Ngọc Đức's astronomical algorithm (new moons and
    the sun's longitude after Jean Meeus, "Astronomical Algorithms"; Julian day numbers; time zone UTC+7).
    A lunar month starts on the local day of a new moon; month 11 is the month containing the winter
    solstice; in a year with 13 months between two months 11, the first month containing no major solar
    term is the leap month. Supported for solar years ``MIN_YEAR``..``MAX_YEAR`` (1800-2199); outside
    that range the functions raise ``ValueError`` rather than guess. For 1968-2100 the results agree
    with Hồ Ngọc Đức's published tables (Tết and leap month of every year). Before 1968 Vietnam followed
    the Chinese calendar (UTC+8), so a few historical years differ (e.g. Tết 1965 is computed as
    1965-02-01; it was celebrated on 1965-02-02); the UTC+7 rule is applied throughout on purpose.

Public holidays (Labour Code 2019, Art. 112)
    - Tết Dương lịch: 1/1.
    - Tết Nguyên đán: 5 days, the last day of the old lunar year (29 or 30 of the 12th month) and lunar
      1/1 to 4/1.
    - Giỗ Tổ Hùng Vương: lunar 10/3 (of the regular 3rd month when the year has a leap 3rd month).
    - Ngày Chiến thắng: 30/4. Ngày Quốc tế Lao động: 1/5.
    - Quốc khánh: 2/9 and one adjacent day, 1/9 or 3/9 (``WorkingCalendar.national_day_extra``).

Compensatory days off (nghỉ bù)
    Each public holiday that falls on a weekend day gives one compensatory day: the first day after it
    that is not a weekend day, not a public holiday, not an extra holiday and not already a
    compensatory day. Holidays are taken in date order, so for the Tết block the compensatory days come
    right after the block, one per block day that fell on a weekend. Two holidays falling on the same
    date (possible for Giỗ Tổ and 30/4) count as one day. Extra holidays decided by the government or the
    province (``extra_holidays``) give no compensatory day; such decisions already state every day off.

Make-up working days
    ``extra_working_days`` wins over everything: a day listed there is a working day even if it is a
    weekend day, a public holiday or a compensatory day, and it is left out of ``holidays()``.

Deadline semantics
    All datetimes must be timezone-aware (``ValueError`` otherwise). Computations happen in Vietnam time
    (``VN_TZ``, UTC+7, no daylight saving) and returned datetimes are in ``VN_TZ``. A working day counts
    as one whole 24-hour unit, from 00:00 to 24:00 local time: ``working_days_between`` measures how much
    of the interval lies on working days, and ``add_working_days`` is its inverse. Office hours only
    matter at intake: a dossier received at or after 17:00, or on a day off, counts from 07:30 of the next
    working day (``intake_start``). An appointment date is therefore computed as::

        calendar.add_working_days(calendar.intake_start(received_at), days)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from records.clock import VN_TZ

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "OFFICE_CLOSE",
    "OFFICE_OPEN",
    "Holiday",
    "LunarDate",
    "WorkingCalendar",
    "lunar_new_year",
    "lunar_to_solar",
    "solar_to_lunar",
]

MIN_YEAR = 1800
MAX_YEAR = 2199

OFFICE_OPEN = time(7, 30)
"""Opening time of the one-stop desk: a dossier received on a day off counts from this time."""
OFFICE_CLOSE = time(17, 0)
"""Closing time: a dossier received at or after it counts from the next working day."""

NATIONAL_DAY_EXTRA_CHOICES = ("before", "after")

_ONE_DAY = timedelta(days=1)

# ---------------------------------------------------------------------------------------------------
# Lunar calendar (Hồ Ngọc Đức's algorithm)
# ---------------------------------------------------------------------------------------------------

_TZ_HOURS = 7.0
_JDN_MINUS_ORDINAL = 1721425  # Julian day number of a date minus its proleptic Gregorian ordinal
_SYNODIC_MONTH = 29.530588853
_NEW_MOON_EPOCH = 2415021.076998695  # Julian date of the new moon of 1900-01-01 (k = 0)
_DEG = math.pi / 180


@dataclass(frozen=True)
class LunarDate:
    """A date of the Vietnamese lunar calendar; ``leap`` is True in a leap month (tháng nhuận)."""

    year: int
    month: int
    day: int
    leap: bool = False

    def __str__(self) -> str:
        suffix = " (nhuận)" if self.leap else ""
        return f"{self.day}/{self.month}{suffix}/{self.year}"


def _jdn(day: date) -> int:
    return day.toordinal() + _JDN_MINUS_ORDINAL


def _from_jdn(jdn: int) -> date:
    return date.fromordinal(jdn - _JDN_MINUS_ORDINAL)


@lru_cache(maxsize=8192)
def _new_moon_day(k: int) -> int:
    """Julian day number of the local (UTC+7) day of the k-th new moon after the one of 1900-01-01."""
    t = k / 1236.85
    t2 = t * t
    t3 = t2 * t
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * _DEG)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3  # sun's mean anomaly
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3  # moon's mean anomaly
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3  # moon's argument of latitude
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * _DEG) + 0.0021 * math.sin(2 * _DEG * m)
    c1 = c1 - 0.4068 * math.sin(mpr * _DEG) + 0.0161 * math.sin(_DEG * 2 * mpr)
    c1 = c1 - 0.0004 * math.sin(_DEG * 3 * mpr)
    c1 = c1 + 0.0104 * math.sin(_DEG * 2 * f) - 0.0051 * math.sin(_DEG * (m + mpr))
    c1 = c1 - 0.0074 * math.sin(_DEG * (m - mpr)) + 0.0004 * math.sin(_DEG * (2 * f + m))
    c1 = c1 - 0.0004 * math.sin(_DEG * (2 * f - m)) - 0.0006 * math.sin(_DEG * (2 * f + mpr))
    c1 = c1 + 0.0010 * math.sin(_DEG * (2 * f - mpr)) + 0.0005 * math.sin(_DEG * (2 * mpr + m))
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    jd_new = jd1 + c1 - delta_t
    return math.floor(jd_new + 0.5 + _TZ_HOURS / 24)


def _sun_longitude_sector(jdn: int) -> int:
    """The sun's longitude at local (UTC+7) midnight opening day ``jdn``, in 30° sectors (0..11)."""
    t = (jdn - 0.5 - _TZ_HOURS / 24 - 2451545.0) / 36525
    t2 = t * t
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2  # mean anomaly, degrees
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2  # mean longitude, degrees
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(_DEG * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(_DEG * 2 * m) + 0.000290 * math.sin(_DEG * 3 * m)
    longitude = (l0 + dl) * _DEG
    longitude -= 2 * math.pi * math.floor(longitude / (2 * math.pi))
    return math.floor(longitude / math.pi * 6)


@lru_cache(maxsize=1024)
def _lunar_month_11(year: int) -> int:
    """Julian day number of the first day of lunar month 11 (the month of the winter solstice) of ``year``."""
    off = _jdn(date(year, 12, 31)) - 2415021
    k = math.floor(off / _SYNODIC_MONTH)
    start = _new_moon_day(k)
    if _sun_longitude_sector(start) >= 9:
        start = _new_moon_day(k - 1)
    return start


@lru_cache(maxsize=1024)
def _leap_month_offset(a11: int) -> int:
    """In a 13-month lunar year starting at month 11 ``a11``: the leap month's offset (in months) from it."""
    k = math.floor((a11 - _NEW_MOON_EPOCH) / _SYNODIC_MONTH + 0.5)
    i = 1
    arc = _sun_longitude_sector(_new_moon_day(k + i))
    while True:
        last = arc
        i += 1
        arc = _sun_longitude_sector(_new_moon_day(k + i))
        if arc == last or i >= 14:
            break
    return i - 1


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"the lunar calendar is supported for years {MIN_YEAR}..{MAX_YEAR}, not {year}")


def solar_to_lunar(day: date) -> LunarDate:
    """The Vietnamese lunar date of a solar (Gregorian) date."""
    if isinstance(day, datetime):
        raise TypeError("solar_to_lunar takes a date, not a datetime")
    _check_year(day.year)
    day_number = _jdn(day)
    # Estimate the lunation from the mean synodic month, then correct it: the true new moon can fall a
    # day after the mean estimate (e.g. around 2054-05-07), which would otherwise give lunar day 0.
    k = math.floor((day_number - _NEW_MOON_EPOCH) / _SYNODIC_MONTH)
    while _new_moon_day(k) > day_number:
        k -= 1
    while _new_moon_day(k + 1) <= day_number:
        k += 1
    month_start = _new_moon_day(k)
    a11 = _lunar_month_11(day.year)
    b11 = a11
    if a11 >= month_start:
        lunar_year = day.year
        a11 = _lunar_month_11(day.year - 1)
    else:
        lunar_year = day.year + 1
        b11 = _lunar_month_11(day.year + 1)
    lunar_day = day_number - month_start + 1
    diff = math.floor((month_start - a11) / 29)
    leap = False
    lunar_month = diff + 11
    if b11 - a11 > 365:
        leap_offset = _leap_month_offset(a11)
        if diff >= leap_offset:
            lunar_month = diff + 10
            leap = diff == leap_offset
    if lunar_month > 12:
        lunar_month -= 12
    if lunar_month >= 11 and diff < 4:
        lunar_year -= 1
    return LunarDate(lunar_year, lunar_month, lunar_day, leap)


def lunar_to_solar(year: int, month: int, day: int, leap: bool = False) -> date:
    """The solar date of a Vietnamese lunar date.

    Raises ``ValueError`` for a month outside 1..12, a day the month does not have (a lunar month has
    29 or 30 days), or ``leap=True`` for a month that is not the leap month of that lunar year.
    """
    _check_year(year)
    if not 1 <= month <= 12:
        raise ValueError(f"lunar month must be 1..12, not {month}")
    if not 1 <= day <= 30:
        raise ValueError(f"lunar day must be 1..30, not {day}")
    if month < 11:
        a11 = _lunar_month_11(year - 1)
        b11 = _lunar_month_11(year)
    else:
        a11 = _lunar_month_11(year)
        b11 = _lunar_month_11(year + 1)
    offset = month - 11
    if offset < 0:
        offset += 12
    if b11 - a11 > 365:
        leap_offset = _leap_month_offset(a11)
        leap_month = leap_offset - 2
        if leap_month <= 0:
            leap_month += 12
        if leap and month != leap_month:
            raise ValueError(f"lunar year {year} has no leap month {month} (its leap month is {leap_month})")
        if leap or offset >= leap_offset:
            offset += 1
    elif leap:
        raise ValueError(f"lunar year {year} has no leap month")
    k = math.floor(0.5 + (a11 - _NEW_MOON_EPOCH) / _SYNODIC_MONTH)
    month_start = _new_moon_day(k + offset)
    month_length = _new_moon_day(k + offset + 1) - month_start
    if day > month_length:
        raise ValueError(f"lunar month {month}/{year} has {month_length} days, not {day}")
    return _from_jdn(month_start + day - 1)


@lru_cache(maxsize=512)
def lunar_new_year(year: int) -> date:
    """The solar date of Tết Nguyên đán (lunar 1/1) that falls in solar year ``year``."""
    return lunar_to_solar(year, 1, 1)


# ---------------------------------------------------------------------------------------------------
# Holidays and the working calendar
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holiday:
    """A day off, named in Vietnamese and English."""

    day: date
    name_vi: str
    name_en: str


_NEW_YEAR = ("Tết Dương lịch", "New Year's Day")
_TET = ("Tết Nguyên đán", "Lunar New Year")
_HUNG_KINGS = ("Giỗ Tổ Hùng Vương", "Hung Kings' Commemoration Day")
_REUNIFICATION = ("Ngày Chiến thắng", "Reunification Day")
_LABOUR_DAY = ("Ngày Quốc tế Lao động", "International Labour Day")
_NATIONAL_DAY = ("Quốc khánh", "National Day")
_COMPENSATORY = ("Nghỉ bù", "Compensatory day off")
_EXTRA = ("Ngày nghỉ theo quyết định", "Additional day off")


def _public_holidays(year: int, national_day_extra: str) -> dict[date, Holiday]:
    """The statutory public holidays of a solar year, one entry per date (coinciding names are joined)."""
    tet = lunar_new_year(year)
    national_extra = date(year, 9, 1) if national_day_extra == "before" else date(year, 9, 3)
    entries: list[tuple[date, tuple[str, str]]] = [
        (date(year, 1, 1), _NEW_YEAR),
        *((tet + timedelta(days=i), _TET) for i in range(-1, 4)),
        (lunar_to_solar(year, 3, 10), _HUNG_KINGS),
        (date(year, 4, 30), _REUNIFICATION),
        (date(year, 5, 1), _LABOUR_DAY),
        (date(year, 9, 2), _NATIONAL_DAY),
        (national_extra, _NATIONAL_DAY),
    ]
    by_day: dict[date, Holiday] = {}
    for day, (name_vi, name_en) in entries:
        known = by_day.get(day)
        if known is None:
            by_day[day] = Holiday(day, name_vi, name_en)
        elif name_vi not in known.name_vi.split("; "):
            by_day[day] = Holiday(day, f"{known.name_vi}; {name_vi}", f"{known.name_en}; {name_en}")
    return by_day


def _require_aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got naive {value.isoformat()}")
    return value.astimezone(VN_TZ)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VN_TZ)


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days for a one-stop office, and deadline arithmetic over them.

    See the module docstring for the holiday, compensatory-day and deadline rules. Instances are
    immutable and hashable; holidays are computed once per year and cached on the instance.
    """

    extra_holidays: frozenset[date] = frozenset()
    """Extra days off decided by the government or the province (no compensatory day)."""
    extra_working_days: frozenset[date] = frozenset()
    """Make-up working days (làm bù); they override weekends, holidays and compensatory days."""
    weekend: frozenset[int] = frozenset({5, 6})
    """Weekly days off as ``date.weekday()`` values (default Saturday and Sunday)."""
    national_day_extra: str = "before"
    """The day added to Quốc khánh 2/9: ``"before"`` (1/9) or ``"after"`` (3/9)."""

    _days_off: dict[int, dict[date, Holiday]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if self.national_day_extra not in NATIONAL_DAY_EXTRA_CHOICES:
            choices = " or ".join(repr(choice) for choice in NATIONAL_DAY_EXTRA_CHOICES)
            raise ValueError(f"national_day_extra must be {choices}, not {self.national_day_extra!r}")
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        object.__setattr__(self, "weekend", frozenset(self.weekend))
        if not self.weekend <= frozenset(range(7)) or len(self.weekend) == 7:
            raise ValueError(f"weekend must be a proper subset of weekdays 0..6, not {sorted(self.weekend)}")
        for day in self.extra_holidays | self.extra_working_days:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"extra holidays and working days must be dates, not {day!r}")

    @classmethod
    def from_config(
        cls,
        *,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        national_day_extra: str = "before",
    ) -> WorkingCalendar:
        """Build a calendar from configuration values; raises ``ValueError`` on an invalid value.

        ``national_day_extra`` must be ``"before"`` or ``"after"``; the extra days must be ``date``
        objects (not datetimes). A day listed in both ``extra_holidays`` and ``extra_working_days``
        is a working day.
        """
        return cls(
            extra_holidays=frozenset(extra_holidays),
            extra_working_days=frozenset(extra_working_days),
            national_day_extra=national_day_extra,
        )

    # -- days ---------------------------------------------------------------------------------------

    def _year_days_off(self, year: int) -> dict[date, Holiday]:
        cached = self._days_off.get(year)
        if cached is not None:
            return cached
        public = _public_holidays(year, self.national_day_extra)
        days_off: dict[date, Holiday] = dict(public)
        for day in sorted(public):
            if day.weekday() not in self.weekend:
                continue
            substitute = day + _ONE_DAY
            while (
                substitute.weekday() in self.weekend
                or substitute in days_off
                or substitute in self.extra_holidays
            ):
                substitute += _ONE_DAY
            days_off[substitute] = Holiday(substitute, *_COMPENSATORY)
        for day in self.extra_holidays:
            if day.year == year and day not in days_off:
                days_off[day] = Holiday(day, *_EXTRA)
        for day in self.extra_working_days:
            days_off.pop(day, None)
        result = {day: days_off[day] for day in sorted(days_off) if day.year == year}
        self._days_off[year] = result
        return result

    def holidays(self, year: int) -> list[Holiday]:
        """The days off of a solar year other than plain weekend days, sorted by date.

        Public holidays (including those falling on a weekend), compensatory days and extra holidays;
        days listed in ``extra_working_days`` are left out.
        """
        return list(self._year_days_off(year).values())

    def is_working_day(self, day: date) -> bool:
        """True unless ``day`` is a weekend day or a holiday; a make-up working day is always True."""
        if isinstance(day, datetime):
            raise TypeError("is_working_day takes a date, not a datetime")
        if day in self.extra_working_days:
            return True
        if day.weekday() in self.weekend:
            return False
        return day not in self._year_days_off(day.year)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + _ONE_DAY
        while not self.is_working_day(candidate):
            candidate += _ONE_DAY
        return candidate

    # -- instants -----------------------------------------------------------------------------------

    def intake_start(self, received_at: datetime) -> datetime:
        """The instant from which a dossier received at ``received_at`` is processed, in ``VN_TZ``.

        ``received_at`` itself (converted to Vietnam time) if it lies on a working day within office hours;
        07:30 the same day if it came in before the office opened (an online dossier at 03:00); otherwise
        (at or after 17:00, or on a day off) 07:30 of the next working day.
        The appointment date is ``add_working_days(intake_start(received_at), days)``.
        """
        local = _require_aware(received_at, "received_at")
        if self.is_working_day(local.date()) and local.time() < OFFICE_CLOSE:
            return max(local, datetime.combine(local.date(), OFFICE_OPEN, tzinfo=VN_TZ))
        return datetime.combine(self.next_working_day(local.date()), OFFICE_OPEN, tzinfo=VN_TZ)

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """How many working days lie between two instants.

        The sum, over the working days d, of the length of the overlap of [start, end] with d's 24 hours
        (00:00 to 24:00 Vietnam time), divided by 24 hours. Negative, with the same magnitude, if
        ``end`` is before ``start``. Both must be timezone-aware.
        """
        start_vn = _require_aware(start, "start")
        end_vn = _require_aware(end, "end")
        if end_vn < start_vn:
            return -self.working_days_between(end_vn, start_vn)
        total = timedelta(0)
        day = start_vn.date()
        last = end_vn.date()
        while day <= last:
            if self.is_working_day(day):
                low = max(start_vn, _midnight(day))
                high = min(end_vn, _midnight(day + _ONE_DAY))
                if high > low:
                    total += high - low
            day += _ONE_DAY
        return total / _ONE_DAY

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """The instant ``days`` working days after ``start``, in ``VN_TZ``.

        Counting begins at ``start`` if it lies on a working day, otherwise at 00:00 of the next working
        day (call it start'); the result t is the earliest instant with
        ``working_days_between(start', t) == days``. Whole days keep the clock time (Monday 14:00 + 1 =
        Tuesday 14:00; Friday 14:00 + 1 = Monday 14:00); fractions are 24-hour fractions (Friday
        14:00 + 0.5 = Monday 02:00). When the count ends exactly at the end of a working day, the result
        is 00:00 of the following day (Saturday + 1 = Tuesday 00:00, Monday being the day counted).
        ``days`` must be finite and >= 0 (``ValueError`` otherwise); 0 returns start'.
        """
        current = _require_aware(start, "start")
        if not math.isfinite(days) or days < 0:
            raise ValueError(f"days must be a finite number >= 0, not {days!r}")
        remaining = timedelta(days=days)
        if not self.is_working_day(current.date()):
            current = _midnight(self.next_working_day(current.date()))
        while True:
            available = _midnight(current.date() + _ONE_DAY) - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = _midnight(self.next_working_day(current.date()))
