"""Rows for walking-blood-bank tests: a field site with its hospital, panel volunteers with a typed and screened
history, an open incident; and the answers an emergency collection gives."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import Donation, Donor, Hospital, Incident, Site, TestResult, Titre, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.donor_numbers import new_donor_number
from bloodbank.domain.isbt128 import make_din
from bloodbank.service_layer.field import panel
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

_numbers = count(1)
FACILITY = "G1234"
ANSWERS = {"feels_well": True, "fever_or_infection": False, "new_risk": False, "medication": False,
           "pregnant": False}
RAPID = [{"marker": m, "result": "negative", "kit": "Determine", "lot": f"L{m}"}
         for m in ("hiv", "hbv", "hcv", "syphilis")]


def insert(database: Database, *rows) -> int:
    with database.sessions() as session, session.begin():
        session.add_all(rows)
        session.flush()
        return rows[0].id


def field_site(database: Database, *, time_zone: str = "Asia/Amman") -> tuple[int, int]:
    """A field blood bank and the hospital it serves: (site id, hospital id)."""
    n = next(_numbers)
    site = insert(database, Site(code=f"FH{n}", name=f"Field hospital {n}", facility_code=FACILITY,
                                 time_zone=time_zone))
    hospital = insert(database, Hospital(code=f"FHH{n}", name=f"Field hospital ward {n}", site_id=site))
    return site, hospital


def volunteer(database: Database, site_id: int, *, group: str = "O+", screened_days_ago: int = 20,
              donations: int = 2, titre: tuple[int, int] | None = (64, 32), titre_days_ago: int = 10,
              marker: str = "negative") -> int:
    """A donor whose group was typed on `donations` past donations, each fully screened; returns the donor id."""
    n = next(_numbers)
    now = utcnow()
    donor_id = insert(database, Donor(donor_number=new_donor_number(7000000 + n), given_name="Vol", family_name=f"Unteer{n}",
                                      date_of_birth=date(1985, 3, 3), sex="M", phone=f"+96270000{n:04d}",
                                      blood_group=group, blood_group_confirmed=True))
    for k in range(donations):
        at = now - timedelta(days=screened_days_ago + 120 * (donations - 1 - k))
        visit = insert(database, Visit(donor_id=donor_id, site_id=site_id, status="collected", kind="whole_blood",
                                       checked_in_at=at, checked_in_by="clerk", eligible=True))
        serial = 50000 + next(_numbers)
        donation = insert(database, Donation(
            din=str(make_din(FACILITY, 26, serial)), facility_code=FACILITY, din_year=26, serial=serial,
            visit_id=visit, donor_id=donor_id, site_id=site_id, kind="whole_blood", bag_type="single",
            bag_lot="LOT", phlebotomist="nurse", volume_ml=450, started_at=at, ended_at=at, status="complete"))
        rows = [TestResult(donation_id=donation, test="abo_rh", outcome="typed", value=group, final=True,
                           recorded_at=at, recorded_by="lab", source="analyser")]
        rows += [TestResult(donation_id=donation, test=m, outcome=marker, final=True, recorded_at=at,
                            recorded_by="lab", source="analyser") for m in ("hiv", "hbv", "hcv", "syphilis")]
        insert(database, *rows)
    if titre is not None:
        insert(database, Titre(donor_id=donor_id, anti_a=titre[0], anti_b=titre[1],
                               tested_at=now - timedelta(days=titre_days_ago), recorded_at=now, recorded_by="lab"))
    return donor_id


def join(database: Database, site_id: int, donor_id: int) -> int:
    return panel.join_panel(UnitOfWork(database, actor="clerk"), site_id=site_id, donor_id=donor_id,
                            text_version="2026-01", confirmed_by_donor=True).id


def open_incident(database: Database, site_id: int | None = None) -> int:
    now = utcnow()
    return insert(database, Incident(place="Market square", kind="explosion", occurred_at=now - timedelta(hours=1),
                                     site_id=site_id, note="", status="declared", declared_at=now,
                                     declared_by="director"))


def close_incident(database: Database, incident_id: int) -> None:
    with database.sessions() as session, session.begin():
        incident = session.get(Incident, incident_id)
        incident.status, incident.closed_at, incident.closed_by = "closed", utcnow(), "director"


def collection_form(**changes) -> dict:
    form = dict(answers=dict(ANSWERS), consent_text_version="2026-01", confirmed_by_donor=True,
                rapid_tests=[dict(r) for r in RAPID], bedside_group="O+", bag_type="single", bag_lot="CPDA-77",
                volume_ml=450, anticoagulant="CPDA-1")
    form.update(changes)
    return form
