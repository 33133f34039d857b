"""Donors brought from a previous system with their past: numbered, audited, and seen by the checks."""

from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from bloodbank.adapters.db.models import AuditEntry, DinCounter, Donation, Donor
from bloodbank.domain.donor_numbers import new_donor_number, validate_donor_number
from bloodbank.domain.errors import DonorDeferred, InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.domain.questionnaire import questions
from bloodbank.service_layer.donors import deferrals, registry, screening, visits
from bloodbank.service_layer.donors.collection import start_collection
from bloodbank.service_layer.donors.history_import import (
    ImportedDonor, Measurements, PastDeferral, PastDonation, import_donors, import_past_donations,
)
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.collection_fixtures import FACILITY, make_site, make_visit
from tests.integration.donor_fixtures import counts, person

SOURCE = "PULSE export, 2026-01-05"
HEALTHY = dict(weight_kg=72, hemoglobin_g_dl=14.1, systolic=128, diastolic=82, pulse=68, temperature_c=36.6)


def clerk(database):
    return UnitOfWork(database, actor="migration.ivy")


def days_ago(n: int) -> datetime:
    return (datetime.now(timezone.utc) - timedelta(days=n)).replace(hour=10, minute=0, second=0, microsecond=0)


def gave(site: int, at: datetime, **overrides) -> PastDonation:
    fields = dict(site_id=site, needle_in=at, volume_ml=460, bag_type="quadruple", bag_lot="OLD-LOT-9",
                  measurements=Measurements(weight_kg=70, hemoglobin_g_dl=13.9))
    return PastDonation(**{**fields, **overrides})


def donor(**overrides) -> ImportedDonor:
    return ImportedDonor(**{**person(), **overrides})


def din_serials(database) -> list[int]:
    with database.sessions() as s:
        return sorted(s.execute(select(Donation.serial).where(Donation.facility_code == FACILITY)).scalars())


def live_collection(database, site_id: int):
    return start_collection(UnitOfWork(database, actor="phleb.dan"), visit_id=make_visit(database, site_id=site_id),
                            bag_type="triple", bag_lot="LOT-7")


def test_imported_donors_get_valid_numbers_and_one_audit_entry_each_naming_the_source(database):
    site = make_site(database)
    [first, second] = import_donors(clerk(database), [
        donor(given_name="Ines", preferred_site_id=site, phone="+44 7700 900 555", blood_group="O neg",
              donations=(gave(site, days_ago(200)), gave(site, days_ago(90)))),
        donor(given_name="Karim", sex="M"),
    ], source=SOURCE)

    assert first.donor_number == new_donor_number(first.donor_id)
    assert validate_donor_number(second.donor_number) == second.donor_number
    assert len(first.donation_ids) == 2 and second.donation_ids == () and second.deferral_ids == ()
    with database.sessions() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.action == "import").order_by(AuditEntry.id)).scalars()
        entries = list(entries)
        dins = list(s.execute(select(Donation.din).where(Donation.id.in_(first.donation_ids))
                              .order_by(Donation.started_at)).scalars())
    by_donor = {e.entity_id: e for e in entries if e.entity == "donor"}
    assert set(by_donor) == {str(first.donor_id), str(second.donor_id)}
    mine = by_donor[str(first.donor_id)]
    assert mine.actor == "migration.ivy" and mine.reason == f"imported from {SOURCE}"
    assert mine.new["donor_number"] == first.donor_number and mine.new["blood_group"] == "O-"
    with database.sessions() as s:
        groups = {d.id: (d.blood_group, d.blood_group_confirmed) for d in s.execute(select(Donor)).scalars()}
    assert groups == {first.donor_id: ("O-", True), second.donor_id: (None, False)}
    assert mine.new["phone"] == "+447700900555"
    assert mine.new["past_donations"] == dins
    [batch] = [e for e in entries if e.entity == "donor_import"]
    assert batch.new["donors"] == 2 and batch.new["past_donations"] == 2 and batch.new["source"] == SOURCE
    assert verify_chain(UnitOfWork(database)).ok


def test_donors_imported_between_registrations_by_hand_take_fresh_ids_and_numbers(database):
    by_hand = lambda name, born: registry.register_donor(  # noqa: E731
        UnitOfWork(database, actor="desk.amy"), given_name=name, family_name="Okafor", date_of_birth=born, sex="F")
    before = by_hand("Adaeze", date(1985, 3, 2))
    imported = import_donors(clerk(database), [donor(given_name="Chidi"), donor(given_name="Ngozi")], source=SOURCE)
    after = by_hand("Obioma", date(1991, 11, 23))

    ids = [before.id, *(i.donor_id for i in imported), after.id]
    assert ids == sorted(ids) and len(set(ids)) == 4
    with database.sessions() as s:
        numbers = dict(s.execute(select(Donor.id, Donor.donor_number)).all())
    assert [numbers[i.donor_id] for i in imported] == [new_donor_number(i.donor_id) for i in imported]
    assert len(set(numbers.values())) == 4


@time_machine.travel(datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc), tick=False)
def test_past_donations_continue_the_din_counters_and_a_later_collection_takes_the_next_serial(database):
    site = make_site(database)
    before = live_collection(database, site)
    recent = days_ago(3)
    [imported] = import_donors(clerk(database), [donor(donations=(gave(site, recent), gave(site, recent)))],
                               source=SOURCE)
    [later] = import_past_donations(clerk(database), [(imported.donor_id, gave(site, recent))], source=SOURCE)
    after = live_collection(database, site)

    assert int(before.din[7:]) == 1 and int(after.din[7:]) == 5
    assert din_serials(database) == [1, 2, 3, 4, 5]
    with database.sessions() as s:
        dins = list(s.execute(select(Donation.din).where(Donation.id.in_([*imported.donation_ids, later])))
                    .scalars())
        counter = s.get(DinCounter, (FACILITY, 2026)).last_serial
    assert all(str(parse_din(d)) == d for d in dins) and len(set(dins)) == 3
    assert counter == 5


def test_a_past_donation_is_numbered_in_the_year_it_was_given(database):
    site = make_site(database)
    [imported] = import_donors(clerk(database), [donor(donations=(gave(site, datetime(2023, 6, 1, 9, 30,
                                                                                    tzinfo=timezone.utc)),))],
                               source=SOURCE)
    with database.sessions() as s:
        row = s.get(Donation, imported.donation_ids[0])
    assert (row.din[:7], row.din_year, row.serial) == (f"{FACILITY}23", 2023, 1)
    assert row.ended_at - row.started_at == timedelta(minutes=10) and row.status == "complete"


def test_a_past_donation_in_the_future_is_refused_and_nothing_is_written(database):
    site = make_site(database)
    before = counts(database)
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    with pytest.raises(InvalidInput, match=r"Donor 2 of the import \(Farid .*not over yet"):
        import_donors(clerk(database), [donor(), donor(given_name="Farid", donations=(gave(site, tomorrow),))],
                      source=SOURCE)
    with pytest.raises(InvalidInput, match="not over yet"):
        import_past_donations(clerk(database), [(1, gave(site, tomorrow))], source=SOURCE)
    assert counts(database) == before
    assert din_serials(database) == []


@pytest.mark.parametrize("change, problem", [
    (dict(site_id=999_999), "sites this system does not have: 999999"),
    (dict(needle_in=datetime(2025, 3, 1, 10, 0)), "time zone"),
    (dict(bag_type="bucket"), "Unknown bag type"),
    (dict(bag_lot=" "), "bag lot number is missing"),
    (dict(volume_ml=4500), "not possible"),
    (dict(needle_in=datetime(1950, 3, 1, 10, 0, tzinfo=timezone.utc)), "before the donor was born"),
])
def test_a_donation_that_cannot_have_happened_is_refused_with_what_to_correct(database, change, problem):
    site = make_site(database)
    before = counts(database)
    with pytest.raises(InvalidInput, match=problem):
        import_donors(clerk(database), [donor(date_of_birth=date(1990, 5, 17),
                                              donations=(gave(site, days_ago(50), **change),))], source=SOURCE)
    assert counts(database) == before


@pytest.mark.parametrize("deferral, problem", [
    (PastDeferral("tatoo", "temporary", date(2025, 1, 1), date(2025, 6, 1)), "Unknown deferral code 'tatoo'"),
    (PastDeferral("tattoo", "forever", date(2025, 1, 1), None), "Unknown deferral kind"),
    (PastDeferral("tattoo", "temporary", date(2025, 1, 1), None), "needs an end date"),
])
def test_an_unknown_deferral_is_refused(database, deferral, problem):
    before = counts(database)
    with pytest.raises(InvalidInput, match=problem):
        import_donors(clerk(database), [donor(deferrals=(deferral,))], source=SOURCE)
    assert counts(database) == before


def test_an_import_must_say_where_it_comes_from(database):
    with pytest.raises(InvalidInput, match="Say where the records come from"):
        import_donors(clerk(database), [donor()], source="  ")


def test_imported_deferrals_are_seen_by_the_deferral_check(database):
    site = make_site(database)
    today = datetime.now(timezone.utc).date()
    until = today + timedelta(days=60)
    [imported] = import_donors(clerk(database), [donor(deferrals=(
        PastDeferral("tattoo", "temporary", today - timedelta(days=60), until, reason="Tattoo, left arm"),))],
        source=SOURCE)

    status = deferrals.deferral_status(clerk(database), imported.donor_id)
    assert status.deferred and status.until == until
    with pytest.raises(DonorDeferred, match=f"deferred until {until.isoformat()}"):
        visits.check_in(clerk(database), donor_id=imported.donor_id, site_id=site)
    [listed] = deferrals.list_deferrals(clerk(database), imported.donor_id, include_reasons=True)
    assert (listed.code, listed.reason, listed.decided_by) == ("tattoo", "Tattoo, left arm", "migration.ivy")


def test_the_interval_check_sees_an_imported_donation(database):
    site = make_site(database)
    [imported] = import_donors(clerk(database), [donor(sex="M", date_of_birth=date(1990, 5, 17),
                                                       donations=(gave(site, days_ago(20)),))], source=SOURCE)
    visit = make_visit(database, site_id=site, donor_id=imported.donor_id, status="checked_in", eligible=None,
                       consent=False)
    answers = {q.id: ("no" if q.defers_on else "yes") for q in questions()}

    decision = screening.record_screening(clerk(database), visit_id=visit, answers=answers, **HEALTHY,
                                          reasons=True)

    assert not decision.eligible and decision.failed_rules == ("interval.whole_blood",)
    assert decision.next_eligible_date == days_ago(20).date() + timedelta(days=84)  # 12 weeks for men (WHO)


def test_past_donations_of_a_donor_on_file_are_audited_one_by_one(database):
    site = make_site(database)
    [imported] = import_donors(clerk(database), [donor()], source=SOURCE)
    ids = import_past_donations(clerk(database), [(imported.donor_id, gave(site, days_ago(40))),
                                                  (imported.donor_id, gave(site, days_ago(10)))],
                                source="paper register, outage of 2026-02")
    with database.sessions() as s:
        entries = list(s.execute(select(AuditEntry).where(AuditEntry.entity == "donation")).scalars())
    assert sorted(int(e.entity_id) for e in entries) == sorted(ids)
    assert all(e.action == "import" and "paper register, outage of 2026-02" in e.reason for e in entries)
    with pytest.raises(NotFound, match="No donor with id"):
        import_past_donations(clerk(database), [(999_999, gave(site, days_ago(5)))], source=SOURCE)


def test_an_imported_donor_with_a_place_is_in_the_appeal_grid_as_one_registered_by_hand(database):
    from bloodbank.domain.appeal_rules import default_parameters
    from bloodbank.domain.appeal_selection import grid_cell

    [placed, nowhere] = import_donors(clerk(database), [donor(latitude=52.91, longitude=-1.47), donor()],
                                      source="test register")
    with database.sessions() as s:
        cells = dict(s.execute(select(Donor.id, Donor.grid_cell)).all())
    assert cells[placed.donor_id] == grid_cell(52.91, -1.47, default_parameters().grid_degrees) is not None
    assert cells[nowhere.donor_id] is None
