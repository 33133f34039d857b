"""A person on file as the erasure finds one: two records merged, a donation traced to a unit, a visit that
led to no donation, an appointment to come, deferrals, and their name and numbers copied into audit values
and into the free text of kept records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import count

from sqlalchemy import String, Text, select
from sqlalchemy.types import JSON, TypeDecorator

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import Base, Site
from bloodbank.domain.errors import PossibleDuplicate
from bloodbank.service_layer.donors import appointments, deferrals, merge, registry
from bloodbank.service_layer.donors.visits import check_in
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.trace_fixtures import add_test, make_unit
from tests.integration.visit_fixtures import all_clear, make_donation, screen

PERSON = dict(given_name="Wilhelmina", family_name="Quarrington", date_of_birth=date(1984, 7, 19), sex="F",
              phone="+44 7700 900461", email="w.quarrington@example.org", address="7 Larkspur Row\nHebden Bridge",
              postcode="HX7 8AF")
SECOND = {**PERSON, "given_name": "Wilhelmena", "phone": "07700 900462", "email": "wq84@example.net"}
NOTE = "Prefers the left arm; ring before noon"
# Every one of these must be gone from the database once the person is erased.
TRACES = ("Wilhelmina", "Wilhelmena", "Quarrington", "7700900461", "7700 900461", "7700900462",
          "w.quarrington@example.org", "wq84@example.net", "Larkspur", "Hebden Bridge", "HX7 8AF", "1984-07-19",
          "left arm", "ring before noon",
          # the phones' digits last first, as the search keys keep them
          "1640090077", "2640090077")
EVERY_DAY = {day: ["00:00", "23:45"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
_sites = count(1)


@dataclass(frozen=True)
class Person:
    donor_id: int
    number: str
    duplicate_id: int
    duplicate_number: str
    site_id: int
    donation_id: int
    din: str
    unit_id: int
    visit_id: int
    appointment_id: int


def as_(database: Database, actor: str) -> UnitOfWork:
    return UnitOfWork(database, actor=actor)


def make_site(database: Database) -> int:
    with database.sessions() as session, session.begin():
        n = next(_sites)
        site = Site(code=f"HB{n}", name=f"Hebden centre {n}", kind="fixed", facility_code="A9999", rule_set="who",
                    chairs=2, slot_minutes=15, opening_hours=EVERY_DAY, active=True, time_zone="UTC")
        session.add(site)
        session.flush()
        return site.id


def register_twice(database: Database) -> tuple[registry.DonorView, registry.DonorView]:
    first = registry.register_donor(as_(database, "clerk.ann"), **PERSON)
    registry.update_donor(as_(database, "clerk.ann"), first.id, notes=NOTE, reason="")
    try:
        second = registry.register_donor(as_(database, "clerk.bob"), **SECOND)
    except PossibleDuplicate:
        second = registry.register_donor(as_(database, "clerk.bob"), **SECOND,
                                         confirm_new_person_despite=(first.id,))
    return first, second


def make_person(database: Database, *, permanent_deferral: bool = True) -> Person:
    site = make_site(database)
    first, second = register_twice(database)
    merge.merge_donors(as_(database, "sup.dee"), survivor_id=first.id, duplicate_id=second.id,
                       reason="Wilhelmina Quarrington showed both cards")
    # The donation was given under the second record, two years ago: the merge brought it over.
    donation_id = make_donation(database, donor_id=first.id, site_id=site, on=date(2024, 11, 4))
    with database.sessions() as session:
        from bloodbank.adapters.db.models import Donation
        din = session.get(Donation, donation_id).din
    add_test(database, donation_id, "hiv", "negative")
    unit_id = make_unit(database, din=din, kind="red_cells", site_id=site, donation_id=donation_id)
    tomorrow = datetime.combine(date.today() + timedelta(days=1), time(10, 0))
    appointment = appointments.book(as_(database, "clerk.ann"), donor_id=first.id, site_id=site, starts_at=tomorrow)
    visit = check_in(as_(database, "clerk.ann"), donor_id=first.id, site_id=site).id
    screen(database, visit, answers=all_clear(tattoo="2026-11-01"), hemoglobin_g_dl=11.2)
    if permanent_deferral:
        deferrals.add_deferral(as_(database, "dr.kim"), donor_id=first.id, code="hiv", kind="permanent",
                               reason="Confirmed positive; Wilhelmina told by phone on 07700 900461")
    return Person(first.id, first.donor_number, second.id, second.donor_number, site, donation_id, din, unit_id,
                  visit, appointment.id)


def text_columns() -> list:
    """Every column that holds text or JSON, sealed ones included (read back opened)."""
    def texty(kind) -> bool:
        return isinstance(kind, (String, Text, JSON)) or (isinstance(kind, TypeDecorator) and texty(kind.impl_instance))
    return [column for table in Base.metadata.sorted_tables for column in table.columns if texty(column.type)]


def traces_left(database: Database, traces: tuple[str, ...] = TRACES) -> list[str]:
    """Every text or JSON value in every table that still holds one of `traces`, as table.column: trace."""
    found = []
    with database.sessions() as session:
        for column in text_columns():
            for value in session.execute(select(column).where(column.is_not(None))).scalars():
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                found += [f"{column.table.name}.{column.name}: {t}" for t in traces if t.lower() in text.lower()]
    return found
