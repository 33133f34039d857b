"""What the panel's rules need to know of one donor, read from their record, results and deferrals."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Donor, DonorFollowUp, PanelMember, Site, TestResult
from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.lab_tests import GROUPING
from bloodbank.service_layer.donors.deferral_lookup import active_deferrals
from bloodbank.service_layer.field.titres import latest_titre
from bloodbank.service_layer.shared.clocks import site_clock, today_on


def site_policy(site: Site) -> wbb.Policy:
    return wbb.policy(titre_threshold=site.titre_threshold, titre_validity_days=site.titre_validity_days,
                      screen_validity_days=site.panel_screen_validity_days)


def member_facts(session: Session, member: PanelMember, site: Site, now: datetime) -> wbb.MemberFacts:
    donor = session.get(Donor, member.donor_id)
    donations = list(session.execute(
        select(Donation).where(Donation.donor_id == donor.id, Donation.status == "complete")
        .order_by(Donation.started_at)).scalars())
    results: dict[int, dict[str, TestResult]] = defaultdict(dict)
    if donations:
        for row in session.execute(select(TestResult).where(
                TestResult.donation_id.in_([d.id for d in donations]), TestResult.superseded_by_id.is_(None),
                TestResult.final.is_(True))).scalars():
            results[row.donation_id][row.test] = row
    group = _group(donor)
    typings = sum(1 for d in donations if (r := results[d.id].get(GROUPING)) is not None and _same(r.value, group))
    screened_at, clear = None, False
    markers = wbb.rules().screen_markers
    for donation in reversed(donations):
        found = results[donation.id]
        if not donation.emergency and all(m in found for m in markers):
            screened_at = donation.started_at
            clear = all(found[m].outcome == "negative" for m in markers)
            break
    return wbb.MemberFacts(
        group=group, group_confirmations=typings, titre=latest_titre(session, donor.id),
        screened_at=screened_at, screen_clear=clear,
        last_donation=donations[-1].started_at if donations else None,
        deferred=bool(active_deferrals(session, donor.id, today_on(site_clock(site), now)))
        or _reactive_follow_up_open(session, donor.id),
        available=member.available,
    )


def _reactive_follow_up_open(session: Session, donor_id: int) -> bool:
    """A marker found not negative keeps a member from being called until the physician has seen them and closed
    the follow-up (deferring them as the finding warrants): the reason is sealed, so it is read here."""
    return any(row.reason == "reactive_marker" for row in session.execute(
        select(DonorFollowUp).where(DonorFollowUp.donor_id == donor_id, DonorFollowUp.closed_at.is_(None))).scalars())


def _group(donor: Donor) -> str | None:
    if not donor.blood_group or not donor.blood_group_confirmed or donor.group_discrepancy:
        return None
    try:
        return str(parse_group(donor.blood_group))
    except ValueError:
        return None


def _same(typed: str | None, group: str | None) -> bool:
    try:
        return group is not None and typed is not None and parse_group(typed) == parse_group(group)
    except ValueError:
        return False
