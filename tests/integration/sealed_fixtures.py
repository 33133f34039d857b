"""A database holding one of everything a donor confides, written through the use cases.

Each free text carries the test's own tag, so a scan finds this test's words
and not those of a test that ran before it on the same database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text

from bloodbank.adapters import data_keys
from bloodbank.adapters.data_keys import KeyRing
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import Base, Donation
from bloodbank.adapters.db.sealed_types import sealed_columns
from bloodbank.config import get_settings
from bloodbank.domain.second_entry import ANALYSER
from bloodbank.service_layer.blood.self_exclusion import record_confidential_choice
from bloodbank.service_layer.blood.testing import correct_result, record_result
from bloodbank.service_layer.donors.deferrals import add_deferral, lift_deferral
from bloodbank.service_layer.donors.visits import check_in
from bloodbank.service_layer.traceability.recall import recall
from tests.integration.lab_fixtures import get, lab, make_donation, make_site, make_unit
from tests.integration.visit_fixtures import clerk, make_donor, screen


@dataclass(frozen=True)
class Confided:
    tag: str
    visit_id: int
    donor_id: int
    deferral_id: int
    reactive_donation: int
    reactive_unit: int
    excluded_visit: int
    excluded_unit: int
    kept_visit: int
    corrected_result: int

    @property
    def free_texts(self) -> dict[str, str]:
        """Words written by staff, each found nowhere else: column → text."""
        return {
            "deferral.reason": f"partner tested positive {self.tag}",
            "deferral.lift_reason": f"physician reviewed the history {self.tag}",
            "test_result.correction_reason": f"plate read upside down {self.tag}",
            "recall.reason": f"donor disclosed hepatitis after giving {self.tag}",
        }


def confide_everything(database: Database) -> Confided:
    tag = uuid.uuid4().hex[:10]
    site = make_site(database)
    donor = make_donor(database)
    visit = check_in(clerk(database), donor_id=donor, site_id=site).id
    # A low haemoglobin gives the visit a reason in words; every answer's question id lands in the questionnaire.
    screen(database, visit, hemoglobin_g_dl=10.5)

    deferral = add_deferral(clerk(database, "dr.kim"), donor_id=donor, code="hiv", kind="permanent",
                            reason=f"partner tested positive {tag}").id
    lift_deferral(clerk(database, "dr.kim"), deferral_id=deferral, reason=f"physician reviewed the history {tag}")

    reactive = make_donation(database, site_id=site)
    reactive_unit = make_unit(database, donation_id=reactive, site_id=site)
    record_result(lab(database), donation_id=reactive, test="hiv", outcome="reactive", source=ANALYSER)
    first = record_result(lab(database), donation_id=reactive, test="hbv", outcome="indeterminate", source=ANALYSER)
    corrected = correct_result(lab(database), result_id=first.id, outcome="negative",
                               reason=f"plate read upside down {tag}")

    excluded = make_donation(database, site_id=site)
    excluded_unit = make_unit(database, donation_id=excluded, site_id=site)
    kept = make_donation(database, site_id=site)
    make_unit(database, donation_id=kept, site_id=site)
    excluded_visit, kept_visit = (get(database, Donation, d).visit_id for d in (excluded, kept))
    record_confidential_choice(clerk(database, "kiosk"), visit_id=excluded_visit, choice="not")
    record_confidential_choice(clerk(database, "kiosk"), visit_id=kept_visit, choice="use")

    recalled = make_donation(database, site_id=site)
    make_unit(database, donation_id=recalled, site_id=site, status="available")
    recall(clerk(database, "dr.kim"), reason=f"donor disclosed hepatitis after giving {tag}",
           din=get(database, Donation, recalled).din)
    return Confided(tag, visit, donor, deferral, reactive, reactive_unit, excluded_visit, excluded_unit,
                    kept_visit, corrected.id)


def raw_rows(database: Database, *, leave_out: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Every row of every table as the database holds it, read with no key: table → rows as text."""
    with database.engine.connect() as conn:
        return {table.name: [repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {table.name}"))]
                for table in Base.metadata.sorted_tables if table.name not in leave_out}


def raw_sealed_values(database: Database) -> dict[str, list[str]]:
    """Every stored value of every sealed column, not opened: table.column → values."""
    found = {}
    with database.engine.connect() as conn:
        for sealed in sealed_columns(Base.metadata):
            found[sealed.context] = list(conn.execute(text(
                f"SELECT {sealed.column} FROM {sealed.table.name} WHERE {sealed.column} IS NOT NULL")).scalars())
    return found


def opened(database: Database) -> dict[str, list]:
    """Every sealed value, opened with the key ring, column by column in id order."""
    with database.sessions() as s:
        return {sealed.context: s.execute(select(sealed.table.c[sealed.column]).order_by(
                    *sealed.table.primary_key.columns)).scalars().all()
                for sealed in sealed_columns(Base.metadata)}


@pytest.fixture
def key_file(monkeypatch, tmp_path):
    """The keys in a key file of the test's own, holding one key, "first"."""
    path = tmp_path / "keys" / "data-keys"
    data_keys.write_file(path, KeyRing.generate("first"))
    monkeypatch.delenv("BLOODBANK_DATA_KEYS")
    monkeypatch.setenv("BLOODBANK_DATA_KEY_FILE", str(path))
    get_settings.cache_clear()
    data_keys.reload_ring()
    yield path
    monkeypatch.undo()
    get_settings.cache_clear()
    data_keys.reload_ring()
