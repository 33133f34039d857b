"""The state-changing requests of a busy day for the load test: collect, result, release, reserve, issue.

What each request needs beforehand (a consented visit, a donation awaiting results, a unit ready for release,
an order and a unit in stock) is written as plain rows with the tests' own row builders, so the load test
times the requests and nothing else. Reserve and issue race on purpose: every unit is offered to two orders
and every reservation is issued twice, by different clients at once; one of each pair may win, the other is
refused (409), and `double_issues` counts any unit issued twice all the same.
"""

from __future__ import annotations

import sys
from collections import deque
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' row builders

from bloodbank.adapters.db.database import Database  # noqa: E402
from bloodbank.adapters.db.models import Hospital, Issue, Order, Reservation, Unit  # noqa: E402
from bloodbank.domain.isbt128 import encode_product_code  # noqa: E402
from bloodbank.domain.lab_tests import DEFAULT_PANEL  # noqa: E402
from tests.integration import collection_fixtures, issue_fixtures, lab_fixtures  # noqa: E402

LOST_RACE = 409
PATIENTS = 40


class Work:
    """Prepared rows, handed out one request at a time to whichever client asks next."""

    def __init__(self, database: Database, *, hospital_code: str, collections: int, donations: int,
                 releases: int, reservations: int) -> None:
        self.database = database
        with database.sessions() as session:
            hospital = session.scalars(select(Hospital).where(Hospital.code == hospital_code)).one()
            hospital_id, site_id = hospital.id, hospital.site_id
        self.visits = deque(collection_fixtures.make_visit(database, site_id=site_id,
                                                           donor_id=lab_fixtures.make_donor(database))
                            for _ in range(collections))
        self.results: deque = deque()
        for _ in range(donations):
            donation = lab_fixtures.make_donation(database, site_id=site_id)
            lab_fixtures.make_unit(database, donation_id=donation, site_id=site_id)
            self.results.extend((donation, test) for test in ("abo_rh", *DEFAULT_PANEL))
        self.releases: deque = deque()
        for _ in range(releases):
            donation = lab_fixtures.make_donation(database, site_id=site_id)
            unit = lab_fixtures.make_unit(database, donation_id=donation, site_id=site_id, blood_group="O+")
            lab_fixtures.pass_all_tests(database, donation, group="O+")
            row = issue_fixtures.get(database, Unit, unit)
            self.releases.append((unit, f"={row.din}00", encode_product_code(row.product_code, "V", row.division)))
        patients = [issue_fixtures.make_patient(database, group="A+", hospital_id=hospital_id)
                    for _ in range(PATIENTS)]
        self.scans = {p.id: p.scan for p in patients}
        self.reserve: deque = deque()
        for n in range(reservations):
            unit = lab_fixtures.make_unit(database, donation_id=None, site_id=site_id, status="available",
                                          blood_group="O+")
            for patient in (patients[n % PATIENTS], patients[(n + 1) % PATIENTS]):
                self.reserve.append((issue_fixtures.make_order(database, hospital_id, patient.id), unit))
        self.issue: deque = deque()

    def take_reservations(self) -> None:
        """Every live reservation, twice in a row, so two clients try to issue it at once."""
        with self.database.sessions() as session:
            rows = session.execute(
                select(Reservation.id, Order.patient_id, Unit.din)
                .join(Order, Order.id == Reservation.order_id).join(Unit, Unit.id == Reservation.unit_id)
                .where(Reservation.released_at.is_(None), Order.patient_id.in_(self.scans))).all()
        for reservation, patient, din in rows:
            item = dict(reservation_id=reservation, scanned_unit=f"={din}00", scanned_patient=self.scans[patient])
            self.issue.extend((item, item))


def double_issues(database: Database) -> int:
    """Units issued more than once; the answer must be nought."""
    with database.sessions() as session:
        twice = select(Issue.unit_id).group_by(Issue.unit_id).having(func.count() > 1).subquery()
        return session.scalar(select(func.count()).select_from(twice))
