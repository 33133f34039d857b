"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from bloodbank.domain.errors import InvalidInput


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out.

    SQLite keeps no time zone; storing naive UTC and re-attaching it on the way
    out stops a local time from ever being compared with a UTC one.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        try:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:
            # 0001-01-01T00:00+14:00 is before the first instant a datetime can hold.
            raise InvalidInput(f"The time {value.isoformat()} is out of range: check the date.") from None

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)
