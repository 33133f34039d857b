""""Your blood was used": written by the issue in its own transaction, once per donation, only to a donor who
asked, saying where and when and nothing about the patient; it reaches a real mail server."""

from __future__ import annotations

import email

import re

from babel.dates import format_date
from sqlalchemy import select, update

from bloodbank.adapters.db.models import Donation, Donor, DonorPortalChoice, Hospital, OutboxMessage, Patient
from bloodbank.service_layer.hospital.allocation import allocate
from bloodbank.service_layer.hospital.issue import issue_unit
from bloodbank.service_layer.hospital.transfusion import start_transfusion
from tests.integration.appeal_fixtures import smtp_server
from tests.integration.issue_fixtures import clerk, din_scan, make_order, make_patient, make_unit, make_ward
from tests.integration.trace_fixtures import VITALS, build_chain, issue_unit as recorded_issue
from tests.integration.trace_fixtures import make_patient as traced_patient, make_unit as traced_unit
from tests.integration.portal_fixtures import make_donation, make_home_donor, messages, send_outbox

__all__ = ["smtp_server"]


def issue_from(database, ward, donation_id: int, *, patient=None):
    patient = patient or make_patient(database, group="O-", hospital_id=ward.hospital)
    unit = make_unit(database, ward.site, "O-", donation_id=donation_id)
    order = make_order(database, ward.hospital, patient.id)
    reservation = allocate(clerk(database), order_id=order).reserved[0].id
    issue_unit(clerk(database, "bms.ray"), reservation_id=reservation, scanned_unit=din_scan(database, unit),
               scanned_patient=patient.scan)
    return patient


def opted_in_donation(database, ward, *, opt_in: bool = True) -> tuple[int, int]:
    donor = make_home_donor(database, phone=False)
    with database.sessions() as s, s.begin():
        s.add(DonorPortalChoice(donor_id=donor, blood_used_opt_in=opt_in))
    return donor, make_donation(database, donor, ward.site)


def test_the_first_issue_of_a_donation_tells_the_donor_once_and_nothing_of_the_patient(database, smtp_server):
    ward = make_ward(database)
    donor, donation = opted_in_donation(database, ward)
    patient = issue_from(database, ward, donation)
    issue_from(database, ward, donation, patient=patient)  # a second component of the same donation
    sent = messages(database)
    assert [m.idempotency_key for m in sent] == [f"blood-used:{donation}"]
    assert send_outbox(database).sent == 1 and send_outbox(database).sent == 0
    (recipients, text), = smtp_server.messages
    with database.sessions() as s:
        hospital = s.get(Hospital, ward.hospital)
        person = s.get(Patient, patient.id)
        assert recipients == [s.get(Donor, donor).email]
    # As the donor's mail program reads it: decoded from its transfer encoding (long lines are folded).
    body = email.message_from_string(text).get_payload(decode=True).decode("utf-8")
    assert hospital.name in body and "was used" in body
    for secret in (person.given_name, person.family_name, patient.scan.split(":", 1)[1], "patient", "ward"):
        assert secret.lower() not in body.lower(), secret


def test_a_donor_who_did_not_ask_is_not_told(database, smtp_server):
    ward = make_ward(database)
    _, donation = opted_in_donation(database, ward, opt_in=False)
    issue_from(database, ward, donation)
    assert messages(database) == []


def test_each_donation_is_told_once_of_its_own(database, smtp_server):
    ward = make_ward(database)
    donor, first = opted_in_donation(database, ward)
    second = make_donation(database, donor, ward.site, days_ago=90)
    issue_from(database, ward, first)
    issue_from(database, ward, second)
    assert sorted(m.idempotency_key for m in messages(database)) == sorted(
        [f"blood-used:{first}", f"blood-used:{second}"])
    with database.sessions() as s:
        assert s.execute(select(OutboxMessage.channel)).scalars().all() == ["email", "email"]


def test_a_transfusion_tells_the_donor_when_no_issue_did_and_only_once(database):
    chain = build_chain(database)
    patient, wristband = traced_patient(database, chain.hospital_id)
    unit = traced_unit(database, din=chain.dins["B"], kind="plasma", site_id=chain.site_id,
                       donation_id=chain.donations["B"], parents=(chain.units["WB_B"],), volume_ml=280)
    issue, _ = recorded_issue(database, unit, patient, chain.hospital_id, minutes_ago=5)  # written before any opt-in
    with database.sessions() as s, s.begin():
        donor = s.get(Donation, chain.donations["B"]).donor_id
        s.execute(update(Donor).where(Donor.id == donor).values(email="b@example.org"))
        s.add(DonorPortalChoice(donor_id=donor, blood_used_opt_in=True))
    start_transfusion(clerk(database, "nurse.kim"), issue_id=issue, scanned_unit=chain.dins["B"].barcode,
                      scanned_patient=wristband, vitals_before=VITALS, checked_by=None)
    assert [m.idempotency_key for m in messages(database)] == [f"blood-used:{chain.donations['B']}"]


def _told(database, ward, language: str) -> tuple[OutboxMessage, Donation]:
    donor, donation = opted_in_donation(database, ward)
    with database.sessions() as s, s.begin():
        s.get(Donor, donor).language = language
    issue_from(database, ward, donation)
    [message] = messages(database)
    with database.sessions() as s:
        return message, s.get(Donation, donation)


def test_a_french_donor_is_told_in_french_with_the_days_written_in_french(database, smtp_server):
    ward = make_ward(database)
    message, donation = _told(database, ward, "fr")
    gave = format_date(donation.started_at.date(), format="long", locale="fr")
    assert message.body.startswith("Merci.") and f"le {gave}" in message.body, message.body
    assert re.search(r"\d{4}-\d{2}-\d{2}", message.body) is None
    assert message.subject == "Votre sang a été utilisé"
    assert send_outbox(database).sent == 1 and len(smtp_server.messages) == 1


def test_an_arabic_donor_is_told_in_arabic_with_the_days_written_in_arabic(database, smtp_server):
    ward = make_ward(database)
    message, donation = _told(database, ward, "ar")
    gave = format_date(donation.started_at.date(), format="long", locale="ar")
    assert message.body.startswith("شكرًا") and gave in message.body, message.body
    with database.sessions() as s:
        assert s.get(Hospital, ward.hospital).name in message.body
    assert re.search(r"\d{4}-\d{2}-\d{2}", message.body) is None and "Thank you" not in message.body
    assert message.subject == "تم استخدام دمك"
