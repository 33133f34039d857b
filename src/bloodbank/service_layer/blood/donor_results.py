"""A donor's test results across every record of the person: a sensitive read, audited each time."""

from __future__ import annotations

from sqlalchemy import select

from bloodbank.adapters.db.models import Donation, Donor, TestResult
from bloodbank.domain.errors import NotFound
from bloodbank.service_layer.blood.testing import ResultView, result_view
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def donor_test_results(uow: UnitOfWork, donor_id: int) -> list[ResultView]:
    """Every test result on the person's donations, newest donation first. A sensitive read: audited."""
    with uow:
        s = uow.session
        if s.get(Donor, donor_id) is None:
            raise NotFound(f"No donor with id {donor_id}.")
        rows = s.execute(
            select(TestResult, Donation.din).join(Donation, Donation.id == TestResult.donation_id)
            .where(Donation.donor_id.in_(donor_ids_of_person(s, donor_id)))
            .order_by(Donation.started_at.desc(), TestResult.test, TestResult.id)
        ).all()
        uow.audit("read", "test_result", None, new={"donor_id": donor_id, "result_ids": [r.id for r, _ in rows]})
        views = [result_view(row, din) for row, din in rows]
        uow.commit()
        return views
