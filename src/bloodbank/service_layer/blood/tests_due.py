"""The tests a donation still needs, as the lab's result entry shows them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Site, TestResult, Unit
from bloodbank.domain.errors import NotFound
from bloodbank.domain.lab_tests import GROUPING, MINIMUM_PANEL, name_of, required_tests
from bloodbank.service_layer.blood.labels import read_din_scan
from bloodbank.service_layer.blood.release_facts import panel_for
from bloodbank.service_layer.blood.units import din_of
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


# Not a release requirement of its own (a positive screen blocks), but entered with every donation's tests.
ANTIBODY_SCREEN = "antibody_screen"


@dataclass(frozen=True)
class DueTest:
    test: str
    name: str
    required_for_release: bool
    has_final_result: bool


@dataclass(frozen=True)
class DonationTests:
    """The tests the lab enters for a donation: grouping, antibody screen and the site's panel."""

    donation_id: int
    din: str
    din_eye_readable: str
    tests: tuple[DueTest, ...]
    missing: tuple[str, ...]  # required for release and without a final result yet


def tests_for_donation(uow: UnitOfWork, *, din: str) -> DonationTests:
    """Which tests a donation needs and which have a final result; never what any result says."""
    text = str(read_din_scan(din))
    with uow:
        s = uow.session
        donation = s.execute(select(Donation).where(Donation.din == text)).scalar_one_or_none()
        if donation is None:
            raise NotFound(f"No donation with DIN {din_of(text).eye_readable}.")
        units = list(s.execute(select(Unit).where(Unit.donation_id == donation.id).order_by(Unit.id)).scalars())
        panel: list[str] = []
        for unit in units or [None]:
            site_panel = panel_for(s, unit, [donation]) if unit is not None else _donation_panel(s, donation)
            kind = unit.kind if unit is not None else "whole_blood"
            panel += [code for code in required_tests(site_panel, kind) if code not in panel]
        final = set(s.execute(select(TestResult.test).where(
            TestResult.donation_id == donation.id, TestResult.superseded_by_id.is_(None), TestResult.final,
        )).scalars())
        order = [GROUPING, ANTIBODY_SCREEN] + [c for c in panel if c != GROUPING]
        return DonationTests(
            donation_id=donation.id, din=donation.din, din_eye_readable=din_of(donation.din).eye_readable,
            tests=tuple(DueTest(code, name_of(code), code in panel, code in final) for code in order),
            missing=tuple(code for code in panel if code not in final),
        )


def _donation_panel(session: Session, donation: Donation) -> tuple[str, ...]:
    site = session.get(Site, donation.site_id)
    return tuple(str(c) for c in (site.test_panel or [])) if site is not None and site.test_panel else MINIMUM_PANEL
