"""Handing out Donation Identification Numbers: one serial per collection, never twice.

The counter row for (facility, year) is created if missing with an insert
that ignores a concurrent creator, then incremented with one UPDATE …
RETURNING. That UPDATE locks the row until the collection's transaction ends,
so concurrent collections at the same facility queue for their serial
(PostgreSQL row lock; SQLite takes the database write lock at BEGIN).

Rollbacks: the counter lives in the collection's own transaction. If the
collection fails, the increment is rolled back together with the donation
row, so the next collection gets the same serial. That is correct: a DIN is
"used" only once a donation row carrying it is committed, and no label can be
printed before that. A committed DIN is never reissued, because the counter
only moves forward and the `donation` table's unique constraints on `din` and
(facility_code, din_year, serial) refuse a second row with it regardless.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import DinCounter
from bloodbank.domain.errors import Conflict
from bloodbank.domain.isbt128 import Din, make_din

MAX_SERIAL = 999_999

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def next_din(session: Session, facility_code: str, year: int) -> Din:
    # A malformed facility code is refused before any counter row is created for it.
    make_din(facility_code, year % 100, 1)
    serial = _next_serial(session, facility_code, year)
    if serial > MAX_SERIAL:
        raise Conflict(
            f"Facility {facility_code} has used all {MAX_SERIAL:,} donation numbers for {year}. "
            "No DIN can be assigned: the facility must be given another Facility Identification "
            "Number (FIN) by ICCBBA before collecting again."
        )
    return make_din(facility_code, year % 100, serial)


def _next_serial(session: Session, facility_code: str, year: int) -> int:
    dialect = session.get_bind().dialect.name
    insert = _INSERTS.get(dialect)
    if insert is None:
        raise RuntimeError(f"DIN allocation does not support the {dialect} database")
    session.execute(
        insert(DinCounter)
        .values(facility_code=facility_code, year=year, last_serial=0)
        .on_conflict_do_nothing(index_elements=["facility_code", "year"])
    )
    return session.execute(
        update(DinCounter)
        .where(DinCounter.facility_code == facility_code, DinCounter.year == year)
        .values(last_serial=DinCounter.last_serial + 1)
        .returning(DinCounter.last_serial)
        # The ORM must not try to sync an identity-map copy it may not hold.
        .execution_options(synchronize_session=False)
    ).scalar_one()
