from datetime import date

from sqlalchemy import func, select

from bloodbank.adapters.db.models import Appointment, Donation, Donor
from bloodbank.domain.isbt128 import parse_din
from bloodbank.service_layer import demo_data
from bloodbank.service_layer.audit import verify_chain
from bloodbank.service_layer.unit_of_work import UnitOfWork


def load(database, n, seed=7):
    return demo_data.load_demo(lambda: UnitOfWork(database, actor=demo_data.DEMO_ACTOR), donors=n, seed=seed,
                               appointments_per_site_day=2)


def test_the_demo_region_has_sites_donors_histories_and_bookings(database):
    summary = load(database, 120)
    assert summary.sites_created == len(demo_data.DEMO_SITES)
    assert summary.donors == 120 and summary.donations > 120 and summary.appointments > 0
    with database.sessions() as s:
        assert s.execute(select(func.count()).select_from(Donor)).scalar_one() == 120
        assert s.execute(select(func.count()).select_from(Appointment)).scalar_one() == summary.appointments
        dins = s.execute(select(Donation.din)).scalars().all()
    assert len(dins) == len(set(dins)) == summary.donations
    assert all(str(parse_din(d)) == d for d in dins)
    assert verify_chain(UnitOfWork(database)).ok


def test_loading_more_adds_new_people_and_never_reuses_a_din(database):
    first = load(database, 40)
    second = load(database, 40)
    assert second.sites_created == 0
    with database.sessions() as s:
        people = s.execute(select(Donor.given_name, Donor.family_name, Donor.date_of_birth)).all()
        dins = s.execute(select(Donation.din)).scalars().all()
    assert len(people) == 80 and len(set(people)) > 40
    assert len(dins) == len(set(dins)) == first.donations + second.donations


def test_the_same_seed_gives_the_same_people():
    from bloodbank.simulation.population import generate
    sites = [(52.9, -1.47), (52.95, -1.15)]
    assert generate(50, seed=3, today=date(2026, 1, 1), sites=sites) == generate(
        50, seed=3, today=date(2026, 1, 1), sites=sites)


def test_the_population_group_mix_is_close_to_the_one_asked_for():
    from bloodbank.simulation.population import US_GROUP_MIX, generate
    people = generate(4000, seed=11, today=date(2026, 1, 1), sites=[(52.9, -1.47)])
    share = sum(1 for p in people if str(p.blood_group) == "O-") / len(people)
    assert abs(share - US_GROUP_MIX["O-"]) < 0.02
