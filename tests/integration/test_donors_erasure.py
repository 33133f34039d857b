"""A donor's erasure at their request: what goes, what stays and why; nothing of it left; traceability whole."""

from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from bloodbank.adapters.db.models import (
    Appointment, AuditEntry, Deferral, Donor, DonorErasure, ErasedIdentity, SlotCounter, Visit,
)
from bloodbank.domain.errors import Conflict, DonorDeferred, InvalidInput
from bloodbank.service_layer.donors import appointments, card, deferrals, erasure, merge, registry, search
from bloodbank.service_layer.donors.visits import check_in
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.traceability.trace import lookback, trace_din
from tests.integration.erasure_fixtures import (
    NOTE, PERSON, TRACES, as_, make_person, make_site, register_twice, traces_left,
)

TODAY = date.today()


def erase(database, person, actor="dr.kim"):
    return erasure.erase_donor(as_(database, actor), donor_ref=person.donor_id, requested_on=TODAY,
                               channel="letter")


def items(statement) -> dict:
    return {item.category: item for item in statement.items}


def test_the_statement_says_what_was_erased_and_what_was_kept_why_and_until_when(database):
    person = make_person(database)

    statement = erase(database, person)

    found = items(statement)
    assert statement.erased and statement.kind == "request" and statement.channel == "letter"
    assert set(statement.record_numbers) == {person.number, person.duplicate_number}
    assert {i.category for i in statement.erased_items} >= {"name", "contact", "notes", "appointments",
                                                            "visits_without_donation", "audit_values"}
    assert (found["appointments"].count, found["visits_without_donation"].count) == (1, 1)
    assert (found["donations"].count, found["visits_with_donation"].count, found["deferrals"].count) == (1, 1, 2)
    assert found["donations"].kept_until == date(2054, 11, 4)
    assert found["visits_with_donation"].kept_until == date(2039, 11, 4)
    assert found["fingerprint"].disposition == "kept" and found["mentions"].count == 1
    assert found["audit_values"].count > 5
    assert all(item.why and item.sources for item in statement.items)
    assert erasure.erasure_statement(as_(database, "dr.kim"), person.donor_id) == statement


def test_a_preview_changes_nothing_and_says_the_same_as_the_erasure_will(database):
    person = make_person(database)
    preview = erasure.preview_erasure(as_(database, "dr.kim"), person.duplicate_number)
    assert not preview.erased and preview.donor_id == person.donor_id
    assert registry.get_donor(as_(database, "dr.kim"), person.donor_id).given_name == "Wilhelmina"

    done = erase(database, person)

    assert [(i.category, i.count, i.disposition) for i in preview.items] == \
        [(i.category, i.count, i.disposition) for i in done.items]


def test_no_trace_of_the_erased_data_is_left_in_any_table(database):
    person = make_person(database)
    assert len(traces_left(database)) > 10  # the names and numbers really were copied about

    erase(database, person)

    assert traces_left(database) == []
    with database.sessions() as session:
        visit = session.get(Visit, person.visit_id)
        donor = session.get(Donor, person.donor_id)
        deferral = session.execute(select(Deferral).where(Deferral.kind == "permanent")).scalar_one()
    assert (visit.questionnaire, visit.hemoglobin_g_dl, visit.decision_reasons) == ({}, None, [])
    assert visit.status == "deferred" and visit.eligible is False  # the outcome is kept
    assert (donor.given_name, donor.date_of_birth, donor.sex, donor.notes) == ("", date(1984, 1, 1), "F", "")
    assert deferral.reason == "Confirmed positive; [erased] told by phone on [erased]"


def test_the_sqlite_file_holds_no_trace_of_the_erased_data(database):
    if database.engine.dialect.name != "sqlite":
        pytest.skip("the raw file is SQLite's; PostgreSQL's files are the server's")
    person = make_person(database)
    path = database.engine.url.database

    def left() -> list[str]:
        raw = b"".join(open(f, "rb").read() for f in (path, path + "-wal") if os.path.exists(f))
        return [t for t in TRACES if any(form.encode() in raw for form in (t, t.lower(), t.upper()))]

    assert "Quarrington" in left()
    erase(database, person)

    assert left() == []


def test_the_audit_chain_verifies_after_an_erasure_and_names_it(database):
    person = make_person(database)

    statement = erase(database, person)

    report = verify_chain(UnitOfWork(database))
    assert report.ok
    assert dict(report.erased_by) == {statement.audit_entry_id: items(statement)["audit_values"].count}
    with database.sessions() as session:
        entry = session.execute(select(AuditEntry).where(AuditEntry.id == statement.audit_entry_id)
                                ).unique().scalar_one()
        register = session.execute(select(AuditEntry).where(AuditEntry.entity == "donor",
                                                            AuditEntry.action == "register")).unique().scalars().all()
    assert (entry.action, entry.actor, entry.entity, entry.entity_id) == ("erase", "dr.kim", "donor",
                                                                          str(person.donor_id))
    assert set(entry.new["records"]) == {person.number, person.duplicate_number}
    assert "request" in entry.reason and "by letter" in entry.reason
    # Each entry stays, who and when and what kind of change; only its values went.
    assert len(register) == 2 and all(e.new is None and e.erased_by == entry.id for e in register)


def test_units_are_still_traced_to_the_donor_number_and_looked_back_from_it(database):
    person = make_person(database)

    erase(database, person)

    [traced] = trace_din(as_(database, "dr.kim"), person.din).donations
    assert traced.donor.donor_number == person.number and traced.donor.name == registry.ERASED_NAME
    assert [u.unit_id for u in traced.units] == [person.unit_id]
    for number in (person.number, person.duplicate_number):
        found = lookback(as_(database, "dr.kim"), number)
        assert [d.din for d in found.donations] == [person.din]
        assert found.donor.name == registry.ERASED_NAME


def test_the_record_shows_as_erased_and_no_search_finds_the_old_name_or_phone(database):
    person = make_person(database)

    erase(database, person)

    view = registry.get_donor(as_(database, "clerk.ann"), person.donor_id)
    assert view.erased and view.full_name == registry.ERASED_NAME and view.phone is None
    for query in (dict(text="Quarrington"), dict(text="Wilhelmina"), dict(phone="07700 900461"),
                  dict(date_of_birth=PERSON["date_of_birth"])):
        assert search.find_donors(as_(database, "clerk.ann"), **query).total == 0
    by_number = search.find_donors(as_(database, "clerk.ann"), donor_number=person.duplicate_number)
    assert [d.id for d in by_number.items] == [person.donor_id] and by_number.items[0].erased
    assert search.find_donor_by_number(as_(database, "clerk.ann"), person.number).erased


def test_a_future_appointment_is_cancelled_and_its_chair_freed(database):
    person = make_person(database)
    with database.sessions() as session:
        starts_at = session.get(Appointment, person.appointment_id).starts_at

    erase(database, person)

    with database.sessions() as session:
        assert session.get(Appointment, person.appointment_id) is None
        assert session.get(SlotCounter, (person.site_id, starts_at)).booked == 0


def test_the_erased_record_takes_no_booking_check_in_change_merge_or_card(database):
    person = make_person(database, permanent_deferral=False)
    erase(database, person)
    clerk = as_(database, "clerk.ann")
    newcomer = registry.register_donor(as_(database, "clerk.ann"), given_name="Otto", family_name="Brand",
                                       date_of_birth=date(1970, 2, 2), sex="M")
    refusals = [
        lambda: check_in(as_(database, "clerk.ann"), donor_id=person.donor_id, site_id=person.site_id),
        lambda: appointments.book(as_(database, "clerk.ann"), donor_id=person.donor_id, site_id=person.site_id,
                                  starts_at=datetime.combine(TODAY + timedelta(days=3), time(9))),
        lambda: registry.update_donor(clerk, person.donor_id, notes="x", reason=""),
        lambda: card.donor_card(as_(database, "clerk.ann"), person.donor_id),
        lambda: merge.merge_donors(as_(database, "sup.dee"), survivor_id=newcomer.id, duplicate_id=person.donor_id,
                                   reason="same"),
    ]
    for refused in refusals:
        with pytest.raises(Conflict, match="erased at the donor's request"):
            refused()


def test_erasing_twice_is_refused_and_changes_nothing(database):
    person = make_person(database)
    erase(database, person)
    with database.sessions() as session:
        before = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()

    with pytest.raises(Conflict, match="nothing more to erase"):
        erase(database, person)

    with database.sessions() as session:
        assert session.execute(select(func.count()).select_from(AuditEntry)).scalar_one() == before


@pytest.mark.parametrize("requested_on, channel, message", [
    (TODAY + timedelta(days=1), "letter", "after today"),
    (TODAY, "pigeon", "Say how the donor asked"),
    ("2026-01-01", "letter", "date the donor asked"),
])
def test_a_request_without_its_date_or_channel_is_refused_and_nothing_is_erased(database, requested_on, channel,
                                                                             message):
    first, _ = register_twice(database)
    with pytest.raises(InvalidInput, match=message):
        erasure.erase_donor(as_(database, "dr.kim"), donor_ref=first.id, requested_on=requested_on,
                            channel=channel)
    assert registry.get_donor(as_(database, "dr.kim"), first.id).notes == NOTE


def test_a_visit_in_progress_must_be_closed_before_the_erasure(database):
    first, _ = register_twice(database)
    site = make_site(database)
    check_in(as_(database, "clerk.ann"), donor_id=first.id, site_id=site)

    with pytest.raises(Conflict, match="visit in progress"):
        erasure.erase_donor(as_(database, "dr.kim"), donor_ref=first.id, requested_on=TODAY, channel="email")

    assert not registry.get_donor(as_(database, "dr.kim"), first.id).erased


def test_a_permanently_deferred_person_who_registers_again_is_stopped_before_any_donation(database):
    person = make_person(database)
    erase(database, person)

    # Same person, typed differently: names swapped and in capitals. The duplicate check has nothing to match.
    again = registry.register_donor(as_(database, "clerk.ann"), given_name="QUARRINGTON", family_name="wilhelmina",
                                    date_of_birth=PERSON["date_of_birth"], sex="F")

    with pytest.raises(DonorDeferred, match="permanently deferred"):
        check_in(as_(database, "clerk.ann"), donor_id=again.id, site_id=person.site_id)
    assert deferrals.deferral_status(as_(database, "clerk.ann"), again.id).permanent


def test_a_donor_erased_without_a_deferral_may_register_and_give_again(database):
    person = make_person(database, permanent_deferral=False)
    erase(database, person)
    with database.sessions() as session:
        kept = session.execute(select(func.count()).select_from(ErasedIdentity)).scalar_one()
    assert kept == 2  # one per name the person was on file under: a finding may still defer them

    again = registry.register_donor(as_(database, "clerk.ann"), given_name="Wilhelmina", family_name="Quarrington",
                                    date_of_birth=date(1984, 7, 19), sex="F")

    assert check_in(as_(database, "clerk.ann"), donor_id=again.id, site_id=person.site_id).status == "checked_in"


def test_a_permanent_deferral_added_after_the_erasure_stops_the_person_who_registers_again(database):
    person = make_person(database, permanent_deferral=False)
    erase(database, person)
    # A lookback finds the donor's blood infected a recipient: the medical director defers the erased record.
    deferrals.add_deferral(as_(database, "dr.kim"), donor_id=person.donor_id, code="hiv", kind="permanent",
                           reason="lookback: a recipient seroconverted")

    again = registry.register_donor(as_(database, "clerk.ann"), given_name="Wilhelmena", family_name="Quarrington",
                                    date_of_birth=date(1984, 7, 19), sex="F")

    with pytest.raises(DonorDeferred, match="permanently deferred"):
        check_in(as_(database, "clerk.ann"), donor_id=again.id, site_id=person.site_id)
