"""The register's counts kept by triggers agree with counting the tables, whatever writes them."""

from datetime import date, datetime, timezone

from sqlalchemy import func, select, text

from bloodbank.adapters.db.models import Donation, Donor, RegisterTally
from bloodbank.service_layer.donors.history_import import ImportedDonor, PastDonation, import_donors
from bloodbank.service_layer.donors.merge import merge_donors
from bloodbank.service_layer.donors.registry import update_donor
from bloodbank.service_layer.reporting.overview import overview
from tests.integration.donor_fixtures import clerk, make_site, register


def kept(database) -> dict[str, int]:
    with database.sessions() as s:
        return {name: n for name, n in s.execute(select(RegisterTally.name, RegisterTally.count)) if n}


def counted(database) -> dict[str, int]:
    with database.sessions() as s:
        live = Donor.merged_into_id.is_(None)
        found = {"donors": s.scalar(select(func.count()).select_from(Donor).where(live)),
                 "donations": s.scalar(select(func.count()).select_from(Donation))}
        found |= {f"donors:{group}": n for group, n in s.execute(
            select(Donor.blood_group, func.count()).where(live, Donor.blood_group.is_not(None))
            .group_by(Donor.blood_group))}
    return {name: n for name, n in found.items() if n}


def test_registering_importing_regrouping_and_merging_keep_the_counts_true(database):
    site = make_site(database)
    ann = register(database, blood_group="O-")
    bea = register(database, blood_group="A+")
    register(database)
    import_donors(clerk(database), [
        ImportedDonor("Cai", "Imported", date(1970, 5, 20), "F", blood_group="B+", donations=(
            PastDonation(site, datetime(2025, 3, 1, 9, tzinfo=timezone.utc), 470, "quadruple", "L1"),)),
        ImportedDonor("Dev", "Imported", date(1971, 6, 21), "M"),
    ], source="bulk")
    assert kept(database) == counted(database)
    update_donor(clerk(database), bea.id, reason="typed wrong at the desk", blood_group="AB+")
    merge_donors(clerk(database), survivor_id=ann.id, duplicate_id=bea.id, reason="same person, two records")
    assert kept(database) == counted(database)
    assert kept(database)["donors"] == 4 and "donors:AB+" not in kept(database)


def test_rows_written_or_removed_without_the_application_are_counted_too(database):
    ann = register(database, blood_group="O+")
    register(database, blood_group="O+")
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE donor SET blood_group = 'B-' WHERE id = :id"), {"id": ann.id})
    assert kept(database) == counted(database) == {"donors": 2, "donors:O+": 1, "donors:B-": 1}


def test_the_home_page_figures_are_the_kept_counts(database):
    for group in ("O-", "O-", "A+", None):
        register(database, blood_group=group)
    figures = overview(clerk(database))
    assert (figures.donors, figures.donations, figures.donors_by_group) == (4, 0, {"O-": 2, "A+": 1})
