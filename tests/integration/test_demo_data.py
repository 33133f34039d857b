from collections import Counter
from datetime import date

from sqlalchemy import func, select

from bloodbank.adapters.db import models
from bloodbank.adapters.db.models import (
    Appointment, Donation, Donor, Hospital, Issue, Order, Patient, PatientGrouping, PatientIdentifier, Site,
    Transfer, Transfusion, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import parse_din
from bloodbank.entrypoints.demo import blood as demo_blood, region as demo_data
from bloodbank.service_layer.blood import quarantine, release
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.conftest import empty

# Units that left quarantine: each one went through release_unit.
RELEASED = ("available", "reserved", "issued", "transfused", "in_transit")


def load(database, n, seed=7, appointments=2, **options):
    return demo_data.load_demo(lambda: UnitOfWork(database, actor=demo_data.DEMO_ACTOR), donors=n, seed=seed,
                               appointments_per_site_day=appointments, **options)


def load_with_blood(database, n=150, seed=7):
    # No bookings: a donor booked to come in is not among the recent donors, and the region is small.
    return load(database, n, seed, appointments=0)


def test_the_demo_region_has_sites_donors_histories_and_bookings(database):
    summary = load(database, 120, blood=False)
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
    first = load(database, 25, appointments=0)
    second = load(database, 25, appointments=0)
    assert second.sites_created == 0 and second.blood.hospitals == 0
    # Both loads collected blood: bulk and live collections share the history's DIN counters.
    assert first.blood.donations_collected > 0 and second.blood.donations_collected > 0
    with database.sessions() as s:
        people = s.execute(select(Donor.given_name, Donor.family_name, Donor.date_of_birth)).all()
        dins = s.execute(select(Donation.din)).scalars().all()
        identifiers = s.execute(select(PatientIdentifier.system, PatientIdentifier.value)).all()
        hospitals = s.execute(select(func.count()).select_from(Hospital)).scalar_one()
    assert len(people) == 50 and len(set(people)) > 25
    assert len(dins) == len(set(dins)) == (first.donations + first.blood.donations_collected
                                           + second.donations + second.blood.donations_collected)
    assert hospitals == len(demo_blood.DEMO_HOSPITALS)
    assert len(identifiers) == len(set(identifiers)) > 2 * len(demo_blood.CASES)


def test_the_region_can_be_loaded_without_its_blood(database):
    summary = load(database, 30, blood=False)
    assert summary.blood == demo_blood.BloodSummary()
    with database.sessions() as s:
        assert s.execute(select(func.count()).select_from(Unit)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Hospital)).scalar_one() == 0


def test_the_demo_has_stock_quarantine_orders_and_transfusions(database):
    summary = load_with_blood(database).blood
    now = utcnow()
    with database.sessions() as s:
        units = s.execute(select(Unit.id, Unit.kind, Unit.blood_group, Unit.status, Unit.expires_at,
                                 Unit.released_at, Site.code).outerjoin(Site, Site.id == Unit.site_id)
                          .order_by(Unit.id)).all()
        orders = Counter(s.execute(select(Order.status)).scalars())
        transfers = Counter(s.execute(select(Transfer.status)).scalars())
        transfused = s.execute(select(func.count()).select_from(Transfusion)
                               .where(Transfusion.ended_at.is_not(None))).scalar_one()
        issues = s.execute(select(func.count()).select_from(Issue)).scalar_one()
        patients = s.execute(select(Patient.id)).scalars().all()
        groupings = Counter(s.execute(select(PatientGrouping.patient_id)).scalars())
        hospitals = s.execute(select(Hospital.code, Site.code).join(Site, Site.id == Hospital.site_id)).all()
    shelf = [u for u in units if u.status == "available"]
    assert {u.kind for u in shelf} >= {"red_cells", "plasma", "cryo"}
    assert len({u.blood_group for u in shelf if u.kind == "red_cells"}) >= 3
    # Stock sits at the centres that supply the hospitals, not at the mobile sessions.
    assert {u.code for u in shelf} <= set(demo_blood.STOCK_SITES)
    assert {site for _, site in hospitals} <= set(demo_blood.STOCK_SITES) and len(hospitals) == 4
    assert summary.available == len(shelf) > 20
    assert summary.quarantined == sum(u.status == "quarantined" for u in units) > 0
    assert any(u.status == "discarded" for u in units)
    assert all(u.expires_at > now for u in units if u.status in ("available", "quarantined", "reserved"))
    assert orders["open"] > 0 and orders["allocated"] > 0 and orders["issued"] > 0
    assert issues > 0 and transfused > 0
    assert transfers["dispatched"] == 1
    assert len(patients) == len(demo_blood.CASES) + 1  # and one emergency patient
    # Most patients are grouped on two samples, which allows electronic issue.
    assert sum(1 for p in patients if groupings[p] >= 2) > len(patients) * 2 // 3

    # Every unit out of quarantine went through release: asked again, the rules find nothing but that.
    released = [u for u in units if u.status in RELEASED]
    assert released and all(u.released_at is not None for u in released)
    for unit in released:
        blockers = release.release_blockers_for(UnitOfWork(database), unit.id)
        assert [b.code for b in blockers] == ["not_quarantined"], (unit, blockers)
    with database.sessions() as s:
        preliminary = s.execute(select(func.count()).select_from(models.TestResult)
                                .where(models.TestResult.final.is_(False))).scalar_one()
    assert preliminary == 0

    # The quarantine board has blood waiting for its results, and nothing blocked but a reactive donation's.
    states = Counter(item.state for item in quarantine.quarantine_list(UnitOfWork(database)))
    assert states["awaiting results"] > 0
    assert set(states) <= {"awaiting results", "held", "ready for release"}
    assert verify_chain(UnitOfWork(database)).ok


def fingerprint(database):
    """What the demo made, without database ids (sequences differ) or times taken from the clock."""
    with database.sessions() as s:
        units = sorted(s.execute(
            select(Unit.din, Unit.product_code, Unit.division, Unit.kind, Unit.blood_group, Unit.status,
                   Unit.expires_at, Unit.irradiated, Unit.cmv_negative, Site.code)
            .outerjoin(Site, Site.id == Unit.site_id)).all())
        orders = sorted(s.execute(
            select(Hospital.code, PatientIdentifier.value, Order.kind, Order.quantity, Order.urgency, Order.status)
            .join(Hospital, Hospital.id == Order.hospital_id)
            .outerjoin(PatientIdentifier, (PatientIdentifier.patient_id == Order.patient_id)
                       & (PatientIdentifier.system == "mrn"))).all(), key=str)
        patients = sorted(s.execute(select(Patient.given_name, Patient.family_name, Patient.date_of_birth,
                                           Patient.sex)).all(), key=str)
        groups = sorted(s.execute(select(PatientIdentifier.value, PatientGrouping.blood_group)
                                  .join(PatientGrouping, PatientGrouping.patient_id == PatientIdentifier.patient_id)
                                  .where(PatientIdentifier.system == "mrn")).all())
    return units, orders, patients, groups


def test_the_same_seed_gives_the_same_blood(database):
    first = load_with_blood(database, n=25, seed=5)
    before = fingerprint(database)
    empty(database)
    second = load_with_blood(database, n=25, seed=5)
    assert first.blood.available > 0 and first.blood.orders_allocated > 0
    assert second == first
    assert fingerprint(database) == before


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


def test_the_demo_has_one_closed_past_incident_with_counts_from_its_hospitals(database):
    from bloodbank.adapters.db.models import CasualtyCount, Incident
    load_with_blood(database, n=25, seed=5)
    load(database, 5, seed=9, appointments=0)
    with database.sessions() as s:
        incidents = s.execute(select(Incident)).scalars().all()
        assert [(i.status, i.kind) for i in incidents] == [("closed", "transport")]
        admitted = s.execute(select(func.sum(CasualtyCount.change)).where(CasualtyCount.basis == "admitted")).scalar()
        assert admitted > 0


def test_the_demo_has_a_walking_blood_bank_panel_with_titres_loaded_once(database):
    from bloodbank.adapters.db.models import PanelMember, Titre
    load_with_blood(database, n=150, seed=5)
    load(database, 5, seed=9, appointments=0)
    with database.sessions() as s:
        members = s.execute(select(PanelMember)).scalars().all()
        assert 0 < len(members) <= 12 and all(m.withdrawn_at is None for m in members)
        assert len({m.site_id for m in members}) == 1
        assert s.execute(select(func.count(Titre.id))).scalar() > 0


def test_the_demo_field_hospital_has_its_own_ratio_and_one_identity_pack_loaded_once(database):
    from bloodbank.adapters.db.models import EmergencyIdentity, HospitalMtpRatio, IdentityPack
    load_with_blood(database, n=150, seed=5)
    load(database, 5, seed=9, appointments=0)
    with database.sessions() as s:
        assert s.execute(select(func.count(IdentityPack.id))).scalar() == 1
        assert s.execute(select(func.count(EmergencyIdentity.id))).scalar() == 10
        [ratio] = s.execute(select(HospitalMtpRatio)).scalars().all()
        assert (ratio.red_cells, ratio.plasma, ratio.platelets) == (2, 2, 1)
