"""Retrospective testing of emergency donations: what is still to be tested, and the recipients to follow up.

An emergency unit goes to a patient on bedside tests alone; the sample kept
with it is fully tested afterwards, through the ordinary results entry. Until
every test of the site's panel has a final result the donation is on the
pending list. A marker found not negative opens, in the result's own
transaction, a follow-up for every patient who received its blood (beside
the donor's follow-up and the recall the result already makes); the
hospital side lists and closes them (`field.recipient_follow_ups`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import (
    Donation, Issue, Patient, RecipientFollowUp, Site, TestResult, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import lab_tests
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PendingDonation:
    donation_id: int
    din: str
    site_id: int
    collected_at: datetime
    missing: tuple[str, ...]  # tests with no final result yet
    unit_statuses: tuple[str, ...]


def pending_results(uow: UnitOfWork, *, site_id: int | None = None) -> list[PendingDonation]:
    """Emergency donations whose full tests are not all in, oldest first."""
    with uow:
        s = uow.session
        statement = select(Donation).where(Donation.emergency.is_(True))
        if site_id is not None:
            statement = statement.where(Donation.site_id == site_id)
        pending = []
        for donation in s.execute(statement.order_by(Donation.started_at, Donation.id)).scalars():
            site = s.get(Site, donation.site_id)
            panel = tuple(str(code) for code in (site.test_panel or [])) or lab_tests.MINIMUM_PANEL
            wanted = lab_tests.required_tests(panel, "whole_blood")
            have = {r.test for r in s.execute(select(TestResult).where(
                TestResult.donation_id == donation.id, TestResult.superseded_by_id.is_(None),
                TestResult.final.is_(True))).scalars()}
            missing = tuple(t for t in wanted if t not in have)
            if missing:
                statuses = tuple(s.execute(select(Unit.status).where(Unit.donation_id == donation.id)).scalars())
                pending.append(PendingDonation(donation.id, donation.din, donation.site_id, donation.started_at,
                                               missing, statuses))
        return pending


def open_recipient_follow_ups(uow: UnitOfWork, donation: Donation) -> list[int]:
    """Inside the caller's transaction: one follow-up per patient who received this emergency donation's blood."""
    s = uow.session
    opened = []
    rows = s.execute(select(Issue, Unit).join(Unit, Unit.id == Issue.unit_id)
                     .where(Unit.donation_id == donation.id).order_by(Issue.id)).all()
    for issue, unit in rows:
        exists = s.execute(select(RecipientFollowUp.id).where(RecipientFollowUp.donation_id == donation.id,
                                                              RecipientFollowUp.issue_id == issue.id)).scalar()
        if exists is not None:
            continue
        patient = s.get(Patient, issue.patient_id)
        row = RecipientFollowUp(donation_id=donation.id, unit_id=unit.id, issue_id=issue.id, patient_id=patient.id,
                                hospital_id=patient.hospital_id, opened_at=utcnow(), opened_by=uow.actor)
        s.add(row)
        s.flush()
        uow.audit("open", "recipient_follow_up", row.id, new={
            "donation_id": donation.id, "unit_id": unit.id, "issue_id": issue.id, "patient_id": patient.id},
            reason="retrospective testing of an emergency donation: a marker not negative")
        opened.append(row.id)
    return opened
