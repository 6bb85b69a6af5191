"""The ranges the service can handle, declared once so the OpenAPI document tells clients and out-of-range input
gets 422 before it reaches the working-day calendar (lunar tables 1800-2199), the search index (dates 1677-2262)
or the database (PostgreSQL integer: 32 bits)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, Field

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2190, 12, 31)  # leaves room for deadlines counted in working days up to the calendar's 2199
MAX_OFFSET = 10_000_000
MAX_DB_ID = 2_147_483_647  # PostgreSQL integer
RANGE_TEXT = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"
# JSON Schema keeps minimum/maximum for numbers; dates carry their range in the format-range keywords.
DATE_RANGE: dict[str, object] = {"formatMinimum": EARLIEST_DATE.isoformat(), "formatMaximum": LATEST_DATE.isoformat()}


def _datetime_in_range(value: datetime) -> datetime:
    as_utc = value if value.tzinfo is None else value.astimezone(UTC)
    if not EARLIEST_DATE <= as_utc.date() <= LATEST_DATE:
        raise ValueError(f"the date must be {RANGE_TEXT}")
    return value


# For bodies (pydantic models) and forms.
BoundedDate = Annotated[date, Field(ge=EARLIEST_DATE, le=LATEST_DATE, description=f"A date {RANGE_TEXT}.",
                                    json_schema_extra=DATE_RANGE)]
BoundedDateTime = Annotated[datetime, AfterValidator(_datetime_in_range),
                            Field(description=f"A time {RANGE_TEXT}.")]
# For query strings and paths.
DateQuery = Annotated[date, Query(ge=EARLIEST_DATE, le=LATEST_DATE, description=f"A date {RANGE_TEXT}.",
                                  json_schema_extra=DATE_RANGE)]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
IdPath = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
BoundedAwareDateTime = Annotated[AwareDatetime, AfterValidator(_datetime_in_range),
                                 Field(description=f"A time with its UTC offset, {RANGE_TEXT}.")]
PageNumber = Annotated[int, Path(ge=1, le=100_000)]
