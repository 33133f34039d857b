"""The facts release is judged on, read from the database: every source donation, its results, its donor's
history and consent, and the unit's open holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Donor, Site, TestResult, Unit
from bloodbank.domain import release as rules
from bloodbank.domain.holds import OpenHold
from bloodbank.domain.second_entry import Entry
from bloodbank.service_layer.blood.hold_records import open_holds
from bloodbank.domain.lab_tests import GROUPING, MINIMUM_PANEL
from bloodbank.service_layer.blood.unit_sources import source_donation_ids
from bloodbank.service_layer.donors.consent import consent_of, is_self_excluded
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person, survivor


def release_facts(session: Session, unit: Unit, now: datetime) -> tuple[rules.ReleaseFacts, list[Donation]]:
    donation_ids = sorted(set(source_donation_ids(session, unit.id)))
    donations = list(session.execute(
        select(Donation).where(Donation.id.in_(donation_ids)).order_by(Donation.id)).scalars())
    panel = panel_for(session, unit, donations)
    results = _current_results(session, donation_ids)
    facts = rules.ReleaseFacts(
        status=unit.status, kind=unit.kind, expires_at=unit.expires_at, now=now, panel=panel,
        sources=tuple(_source(session, d, results.get(d.id, {})) for d in donations),
        unit_group=unit.blood_group, label_verified=unit.label_verified_at is not None,
        self_excluded=any(is_self_excluded(session, d.visit_id) for d in donations),
        holds=tuple(OpenHold(h.kind, h.reason, h.opened_at, h.opened_by) for h in open_holds(session, [unit.id])),
    )
    return facts, donations


def panel_for(session: Session, unit: Unit, donations: list[Donation]) -> tuple[str, ...]:
    """The union of the unit's site's panel and each collecting site's: the stricter wins."""
    site_ids = {unit.site_id, *(d.site_id for d in donations)} - {None}
    panel: list[str] = []
    for site in session.execute(select(Site).where(Site.id.in_(site_ids)).order_by(Site.id)).scalars():
        panel += [str(code) for code in (site.test_panel or []) if str(code) not in panel]
    return tuple(panel) or MINIMUM_PANEL


def _current_results(session: Session, donation_ids: list[int]) -> dict[int, dict[str, rules.ResultFact]]:
    found: dict[int, dict[str, rules.ResultFact]] = {}
    rows = session.execute(select(TestResult).where(
        TestResult.donation_id.in_(donation_ids), TestResult.superseded_by_id.is_(None)
    ).order_by(TestResult.id)).scalars()
    for row in rows:
        second = Entry(row.second_entry_outcome, row.second_entry_value) if row.second_entry_at is not None else None
        found.setdefault(row.donation_id, {})[row.test] = rules.ResultFact(row.outcome, row.final, row.value,
                                                                          row.source, second)
    return found


def person_of(session: Session, donor_id: int) -> list[Donor]:
    """Every record of the person behind this donor record, merged ones included."""
    ids = donor_ids_of_person(session, survivor(session, session.get(Donor, donor_id)).id)
    return list(session.execute(select(Donor).where(Donor.id.in_(ids))).scalars())


def historical_groups(session: Session, donation: Donation) -> tuple[frozenset[str], bool]:
    """The groups the person is known by (other than this donation's typing), and their discrepancy flag."""
    people = person_of(session, donation.donor_id)
    groups = {d.blood_group for d in people if d.blood_group and d.blood_group_confirmed}
    groups |= set(session.execute(
        select(TestResult.value).join(Donation, Donation.id == TestResult.donation_id).where(
            Donation.donor_id.in_([d.id for d in people]), Donation.id != donation.id,
            TestResult.test == GROUPING, TestResult.superseded_by_id.is_(None), TestResult.value.is_not(None),
        )
    ).scalars())
    return frozenset(groups), any(d.group_discrepancy for d in people)


def _source(session: Session, donation: Donation, results: dict[str, rules.ResultFact]) -> rules.SourceFacts:
    groups, flagged = historical_groups(session, donation)
    consent = consent_of(session, donation.visit_id)
    return rules.SourceFacts(
        din=donation.din, results=results, historical_groups=groups, donor_group_discrepancy=flagged,
        consent_given=consent is not None, consent_withdrawn=consent is not None and consent.withdrawn_at is not None,
        volume_flag=donation.volume_flag,
    )
