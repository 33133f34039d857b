from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bloodbank.adapters.db import audit_log
from bloodbank.adapters.db.models import DinCounter, Donation
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict
from bloodbank.domain.isbt128 import parse_din
from bloodbank.service_layer.donors.collection import abort_collection, start_collection
from bloodbank.service_layer.donors.din_allocation import next_din
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.collection_fixtures import counts, make_site, make_visit


def start(database, visit_id, actor="phleb.dan"):
    return start_collection(UnitOfWork(database, actor=actor), visit_id=visit_id, bag_type="triple",
                            bag_lot="LOT-7")


def serials(views) -> list[int]:
    return [int(v.din[7:]) for v in views]


def test_serials_increase_by_one_per_collection_at_a_facility(database):
    site_id = make_site(database)

    views = [start(database, make_visit(database, site_id=site_id)) for _ in range(3)]

    assert serials(views) == [1, 2, 3]
    assert len({v.din for v in views}) == 3


def test_each_facility_has_its_own_sequence_and_sites_sharing_a_facility_share_it(database):
    central, drive = make_site(database, facility_code="G1234"), make_site(database, facility_code="G1234")
    other = make_site(database, facility_code="W0001")

    a = start(database, make_visit(database, site_id=central))
    b = start(database, make_visit(database, site_id=drive))
    c = start(database, make_visit(database, site_id=other))

    assert (a.din[:5], a.din[7:]) == ("G1234", "000001")
    assert (b.din[:5], b.din[7:]) == ("G1234", "000002")
    assert (c.din[:5], c.din[7:]) == ("W0001", "000001")


def test_the_serial_restarts_at_one_in_a_new_year_and_the_din_carries_the_year(database):
    site_id = make_site(database)
    visits = [make_visit(database, site_id=site_id) for _ in range(3)]

    with time_machine.travel(datetime(2026, 12, 31, 23, 58, tzinfo=timezone.utc), tick=False):
        first, second = start(database, visits[0]), start(database, visits[1])
    with time_machine.travel(datetime(2027, 1, 1, 0, 1, tzinfo=timezone.utc), tick=False):
        new_year = start(database, visits[2])

    assert [first.din[5:13], second.din[5:13]] == ["26000001", "26000002"]
    assert new_year.din[5:13] == "27000001"
    assert new_year.started_at == datetime(2027, 1, 1, 0, 1, tzinfo=timezone.utc)
    with database.sessions() as session:
        rows = session.execute(select(DinCounter.year, DinCounter.last_serial).order_by(DinCounter.year)).all()
    assert [tuple(r) for r in rows] == [(2026, 2), (2027, 1)]


def test_an_aborted_collections_din_is_never_given_again(database):
    site_id = make_site(database)
    aborted = start(database, make_visit(database, site_id=site_id))
    abort_collection(UnitOfWork(database, actor="phleb.dan"), donation_id=aborted.donation_id, reason="vein lost")

    following = start(database, make_visit(database, site_id=site_id))

    assert serials([aborted, following]) == [1, 2]


def test_a_facility_that_has_used_every_serial_this_year_is_refused_clearly(database):
    site_id = make_site(database)
    year = utcnow().year
    with database.sessions() as session, session.begin():
        session.add(DinCounter(facility_code="G1234", year=year, last_serial=999_999))
    before = counts(database)

    with pytest.raises(Conflict, match="used all 999,999 donation numbers.*another Facility Identification"):
        start(database, make_visit(database, site_id=site_id))

    assert counts(database) == before


def test_next_din_creates_the_counter_row_once_and_counts_from_one(database):
    with database.sessions() as session, session.begin():
        dins = [next_din(session, "G1234", 2031) for _ in range(3)]
        assert session.execute(select(DinCounter.last_serial)).scalars().all() == [3]

    assert [str(d) for d in dins] == ["G123431000001", "G123431000002", "G123431000003"]
    assert all(parse_din(d.eye_readable) == d for d in dins)


def test_a_rolled_back_allocation_leaves_the_counter_where_it_was(database):
    with database.sessions() as session:
        with session.begin():
            next_din(session, "G1234", 2031)
        session.begin()
        next_din(session, "G1234", 2031)
        session.rollback()
        with session.begin():
            assert str(next_din(session, "G1234", 2031)) == "G123431000002"


def test_the_database_refuses_a_second_donation_with_an_existing_din(database):
    view = start(database, make_visit(database, site_id=make_site(database)))
    other_visit = make_visit(database, site_id=make_site(database))

    with database.sessions() as session:
        original = session.get(Donation, view.donation_id)
        copy = {k: getattr(original, k) for k in (
            "din", "facility_code", "din_year", "serial", "donor_id", "site_id", "kind", "bag_type",
            "bag_lot", "phlebotomist", "started_at", "status")}
        session.add(Donation(**{**copy, "visit_id": other_visit, "serial": 999}))
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
        # The (facility, year, serial) triple is a constraint of its own.
        session.add(Donation(**{**copy, "visit_id": other_visit, "din": "G1234" + view.din[5:7] + "999999"}))
        with pytest.raises(IntegrityError):
            session.commit()


def test_a_donation_row_cannot_end_before_it_starts(database):
    view = start(database, make_visit(database, site_id=make_site(database)))

    with database.sessions() as session:
        with pytest.raises(IntegrityError):
            with session.begin():
                session.execute(update(Donation).where(Donation.id == view.donation_id).values(
                    ended_at=datetime(2000, 1, 1, tzinfo=timezone.utc)))


def _collect_at_once(database, visit_ids):
    barrier = threading.Barrier(len(visit_ids))

    def collect(visit_id):
        # Each thread has its own unit of work (own connection); all start together.
        uow = UnitOfWork(database, actor=f"phleb.{visit_id}")
        barrier.wait(timeout=30)
        return start_collection(uow, visit_id=visit_id, bag_type="quadruple", bag_lot="LOT-9")

    with ThreadPoolExecutor(max_workers=len(visit_ids)) as pool:
        return list(pool.map(collect, visit_ids))


@pytest.mark.parametrize("threads", [2, 10])
def test_simultaneous_collections_at_one_site_all_succeed_with_distinct_dins(database, threads):
    site_id = make_site(database)
    visit_ids = [make_visit(database, site_id=site_id) for _ in range(threads)]

    views = _collect_at_once(database, visit_ids)

    assert len({v.din for v in views}) == threads
    assert sorted(serials(views)) == list(range(1, threads + 1))
    assert sorted(v.visit_id for v in views) == sorted(visit_ids)
    with database.sessions() as session:
        assert session.execute(select(DinCounter.last_serial)).scalars().all() == [threads]
        assert audit_log.verify(session).ok
