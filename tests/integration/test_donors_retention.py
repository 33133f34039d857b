"""Retention: records past their purpose are erased unasked, by the same mechanism as an erasure on request."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from bloodbank.adapters.db import audit_log
from bloodbank.adapters.db.models import Appointment, AuditEntry, Donor, Visit
from bloodbank.service_layer.donors import erasure, registry, retention
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.erasure_fixtures import as_, make_person, make_site
from tests.integration.test_audit_chain import tamper
from tests.integration.visit_fixtures import _insert, make_donation, make_visit

TODAY = date.today()
YEARS_AGO = datetime.now(timezone.utc) - timedelta(days=4 * 365)


def old_registration(database, name: str, **fields) -> int:
    """A record written years ago, before any change was audited."""
    return _insert(database, Donor(donor_number=f"R{abs(hash(name)) % 10**7:07d}", given_name=name,
                                   family_name="Oldfield", date_of_birth=date(1960, 1, 2), sex="M",
                                   phone="+44 7700 900999", created_at=YEARS_AGO, **fields))


def plan(database, **periods):
    return retention.due(as_(database, "dr.kim"), today=TODAY, **periods)


def sweep(database, the_plan):
    return retention.apply(as_(database, "dr.kim"), the_plan)


def rules_of(the_plan) -> set[tuple[str, int]]:
    return {(d.rule, d.donor_id) for d in the_plan.due}


def test_a_registration_quiet_for_three_years_that_never_led_to_a_donation_is_due(database):
    site = make_site(database)
    quiet = old_registration(database, "Quinn")
    donated = old_registration(database, "Dora")
    make_donation(database, donor_id=donated, site_id=site, on=date(2023, 1, 5))
    visited = old_registration(database, "Vic")
    make_visit(database, donor_id=visited, site_id=site, status="withdrawn",
               checked_in_at=datetime.now(timezone.utc) - timedelta(days=300))
    recent = registry.register_donor(as_(database, "clerk.ann"), given_name="Rhea", family_name="New",
                                     date_of_birth=date(1990, 1, 1), sex="F").id

    found = plan(database)

    assert {d for r, d in rules_of(found) if r == "registered_never_donated"} == {quiet}
    assert {recent, donated, visited}.isdisjoint(d for _, d in rules_of(plan(database, never_donated_years=5)))
    assert "never donated" in next(d.detail for d in found.due if d.donor_id == quiet)


def test_a_listing_changes_nothing(database):
    quiet = old_registration(database, "Quinn")
    before = registry.get_donor(as_(database, "dr.kim"), quiet)

    plan(database)

    assert registry.get_donor(as_(database, "dr.kim"), quiet) == before


def test_the_sweep_erases_the_quiet_registration_as_a_request_would_and_the_chain_verifies(database):
    quiet = old_registration(database, "Quinn")
    kept = registry.register_donor(as_(database, "clerk.ann"), given_name="Rhea", family_name="New",
                                   date_of_birth=date(1990, 1, 1), sex="F").id

    report = sweep(database, plan(database))

    assert [d.donor_id for d in report.done] == [quiet] and report.refused == [] and report.reclaimed
    statement = erasure.erasure_statement(as_(database, "dr.kim"), quiet)
    assert statement.kind == "retention" and statement.channel is None
    assert {i.category: i.disposition for i in statement.items}["fingerprint"] == "not needed"
    assert registry.get_donor(as_(database, "dr.kim"), kept).given_name == "Rhea"
    assert verify_chain(UnitOfWork(database)).ok
    with database.sessions() as session:
        entry = session.get(AuditEntry, statement.audit_entry_id)
    assert entry.reason.startswith("retention rule registered_never_donated")


def test_appointments_ended_more_than_a_year_ago_are_deleted_with_their_audit_values(database):
    person = make_person(database, permanent_deferral=False)
    long_ago = datetime.now(timezone.utc) - timedelta(days=500)
    old = _insert(database, Appointment(donor_id=person.donor_id, site_id=person.site_id, starts_at=long_ago, status="no_show",
                                        booked_by="clerk.bob", status_changed_at=long_ago))
    with UnitOfWork(database, actor="clerk.bob") as uow:
        uow.audit("update", "appointment", old, old={"status": "booked"}, new={"status": "no_show"})
        uow.commit()

    found = plan(database)
    assert ("appointments_past_purpose", person.donor_id) in rules_of(found)
    report = sweep(database, found)

    assert report.refused == []
    with database.sessions() as session:
        assert session.get(Appointment, old) is None
        assert session.get(Appointment, person.appointment_id) is not None  # tomorrow's stays
        entry = session.execute(select(AuditEntry).where(AuditEntry.entity == "appointment",
                                                         AuditEntry.entity_id == str(old))).unique().scalar_one()
    assert entry.new is None and entry.erased_by is not None
    assert registry.get_donor(as_(database, "dr.kim"), person.donor_id).given_name == "Wilhelmina"
    assert verify_chain(UnitOfWork(database)).ok


def test_answers_of_an_erased_person_are_erased_fifteen_years_after_their_donation(database):
    person = make_person(database, permanent_deferral=False)
    ancient = make_donation(database, donor_id=person.donor_id, site_id=person.site_id, on=date(2009, 6, 1))
    with database.sessions() as session, session.begin():
        from bloodbank.adapters.db.models import Donation
        for visit in session.execute(select(Visit).where(Visit.donor_id == person.donor_id,
                                                         Visit.status == "collected")).scalars():
            visit.questionnaire, visit.hemoglobin_g_dl = {"feeling_well": True}, 13.9
        old_visit = session.get(Donation, ancient).visit_id
    assert ("erased_answers_past_record_keeping", person.donor_id) not in rules_of(plan(database))
    erasure.erase_donor(as_(database, "dr.kim"), donor_ref=person.donor_id, requested_on=TODAY, channel="email")

    found = plan(database)
    assert [(d.rule, d.donor_id) for d in found.due if d.rule == "erased_answers_past_record_keeping"] == [
        ("erased_answers_past_record_keeping", person.donor_id)]
    sweep(database, found)

    with database.sessions() as session:
        visits = {v.id: v for v in session.execute(select(Visit).where(Visit.donor_id == person.donor_id,
                                                                        Visit.status == "collected")).scalars()}
    assert (visits[old_visit].questionnaire, visits[old_visit].hemoglobin_g_dl) == ({}, None)
    assert all(v.hemoglobin_g_dl == 13.9 for i, v in visits.items() if i != old_visit)
    assert verify_chain(UnitOfWork(database)).ok
    assert rules_of(plan(database)) == set()


def test_a_person_the_sweep_cannot_erase_is_reported_and_the_others_are_erased(database):
    site = make_site(database)
    busy = old_registration(database, "Busy")
    quiet = old_registration(database, "Quinn")
    found = plan(database)
    # The person walks in between the listing and the sweep.
    make_visit(database, donor_id=busy, site_id=site, status="checked_in")

    report = sweep(database, found)

    assert [d.donor_id for d in report.done] == [quiet]
    assert [d.donor_id for d in report.skipped] == [busy] and report.refused == []
    assert registry.get_donor(as_(database, "dr.kim"), busy).given_name == "Busy"


def test_a_visit_in_progress_does_not_hold_back_the_appointments_rule(database):
    person = make_person(database, permanent_deferral=False)
    long_ago = datetime.now(timezone.utc) - timedelta(days=500)
    _insert(database, Appointment(donor_id=person.donor_id, site_id=person.site_id, starts_at=long_ago,
                                  status="no_show", booked_by="clerk.bob", status_changed_at=long_ago))
    quiet = old_registration(database, "Quinn")
    found = plan(database)
    # The open visit does not stop the appointments rule: only an erasure of the whole person waits for it.
    make_visit(database, donor_id=person.donor_id, site_id=person.site_id, status="checked_in")

    report = sweep(database, found)

    assert {d.donor_id for d in report.done} == {quiet, person.donor_id} and report.refused == []


def test_a_person_whose_audit_values_were_tampered_with_is_refused_with_the_reason_and_the_others_erased(database):
    person = make_person(database, permanent_deferral=False)
    long_ago = datetime.now(timezone.utc) - timedelta(days=500)
    old = _insert(database, Appointment(donor_id=person.donor_id, site_id=person.site_id, starts_at=long_ago,
                                        status="no_show", booked_by="clerk.bob", status_changed_at=long_ago))
    with UnitOfWork(database, actor="clerk.bob") as uow:
        entry = audit_log.append(uow.session, actor="clerk.bob", action="update", entity="appointment",
                                 entity_id=old, new={"status": "no_show"}).id
        uow.commit()
    tamper(database, "UPDATE audit_payload SET reason = 'forged' WHERE entry_id = :e", e=entry)
    quiet = old_registration(database, "Quinn")

    report = sweep(database, plan(database))

    assert [d.donor_id for d in report.done] == [quiet]
    [(refused, why)] = report.refused
    assert refused.donor_id == person.donor_id and f"Audit entry {entry} does not verify" in why
    with database.sessions() as session:
        assert session.get(Appointment, old) is not None
