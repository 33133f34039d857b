"""The facts release is judged on, read from the database: every source donation, its results, its donor's
history and consent, and the unit's open holds.

Read for many units at once in a fixed number of queries (a quarantine board of a hundred units costs what
one unit does); the release of one unit reads through the same function, so the board and the release
never judge a unit on different facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Donor, Site, TestResult, Unit
from bloodbank.domain import release as rules
from bloodbank.domain.holds import OpenHold
from bloodbank.domain.lab_tests import GROUPING, MINIMUM_PANEL
from bloodbank.domain.second_entry import Entry
from bloodbank.service_layer.blood.hold_records import open_holds
from bloodbank.service_layer.blood.unit_sources import sources_of_units
from bloodbank.service_layer.donors.consent import consents_of, self_excluded_visits
from bloodbank.service_layer.donors.deferral_lookup import people_of_survivors, survivors


def release_facts(session: Session, unit: Unit, now: datetime) -> tuple[rules.ReleaseFacts, list[Donation]]:
    return release_facts_of_units(session, [unit], now)[unit.id]


def release_facts_of_units(session: Session, units: Sequence[Unit], now: datetime
                           ) -> dict[int, tuple[rules.ReleaseFacts, list[Donation]]]:
    """Each unit's release facts and source donations, in about a dozen queries whatever the number of units."""
    if not units:
        return {}
    sources = sources_of_units(session, [unit.id for unit in units])
    donation_ids = sorted({d for ids in sources.values() for d in ids})
    donations = {d.id: d for d in session.execute(select(Donation).where(Donation.id.in_(donation_ids))).scalars()}
    site_ids = {u.site_id for u in units} | {d.site_id for d in donations.values()}
    sites = {s.id: s for s in session.execute(select(Site).where(Site.id.in_(site_ids - {None}))).scalars()}
    results = _current_results(session, donation_ids)
    history = historical_groups_of(session, list(donations.values()))
    visits = [d.visit_id for d in donations.values()]
    consents, excluded = consents_of(session, visits), self_excluded_visits(session, visits)
    holds: dict[int, list[OpenHold]] = {}
    for hold in open_holds(session, [u.id for u in units]):
        holds.setdefault(hold.unit_id, []).append(OpenHold(hold.kind, hold.reason, hold.opened_at, hold.opened_by))
    facts = {}
    for unit in units:
        own = [donations[d] for d in sources[unit.id]]
        facts[unit.id] = (rules.ReleaseFacts(
            status=unit.status, kind=unit.kind, expires_at=unit.expires_at, now=now,
            panel=_panel([sites[i] for i in sorted({unit.site_id, *(d.site_id for d in own)} - {None})]),
            sources=tuple(_source(d, results.get(d.id, {}), history[d.id], consents.get(d.visit_id)) for d in own),
            unit_group=unit.blood_group, label_verified=unit.label_verified_at is not None,
            self_excluded=any(d.visit_id in excluded for d in own),
            holds=tuple(holds.get(unit.id, ())), emergency_use=unit.emergency_use,
        ), own)
    return facts


def panel_for(session: Session, unit: Unit, donations: list[Donation]) -> tuple[str, ...]:
    """The union of the unit's site's panel and each collecting site's: the stricter wins."""
    site_ids = {unit.site_id, *(d.site_id for d in donations)} - {None}
    return _panel(list(session.execute(select(Site).where(Site.id.in_(site_ids)).order_by(Site.id)).scalars()))


def _panel(sites: list[Site]) -> tuple[str, ...]:
    panel: list[str] = []
    for site in sorted(sites, key=lambda s: s.id):
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


def historical_groups(session: Session, donation: Donation) -> tuple[frozenset[str], bool]:
    """The groups the person is known by (other than this donation's typing), and their discrepancy flag."""
    return historical_groups_of(session, [donation])[donation.id]


def historical_groups_of(session: Session, donations: list[Donation]) -> dict[int, tuple[frozenset[str], bool]]:
    """For each donation, the groups its person is known by elsewhere (every record of the person, merged ones
    included: confirmed groups on file and the typings of their other donations) and any discrepancy flag."""
    if not donations:
        return {}
    head = survivors(session, sorted({d.donor_id for d in donations}))
    people = people_of_survivors(session, sorted(set(head.values())))
    records = sorted({r for rs in people.values() for r in rs})
    donors = {d.id: d for d in session.execute(select(Donor).where(Donor.id.in_(records))).scalars()}
    typings: dict[int, list[tuple[int, str]]] = {}
    for donor_id, donation_id, value in session.execute(
        select(Donation.donor_id, Donation.id, TestResult.value).join(Donation, Donation.id == TestResult.donation_id)
        .where(Donation.donor_id.in_(records), TestResult.test == GROUPING, TestResult.superseded_by_id.is_(None),
               TestResult.value.is_not(None))
    ):
        typings.setdefault(donor_id, []).append((donation_id, value))
    found = {}
    for donation in donations:
        person = people[head[donation.donor_id]]
        groups = {donors[r].blood_group for r in person if donors[r].blood_group and donors[r].blood_group_confirmed}
        groups |= {value for r in person for donation_id, value in typings.get(r, ()) if donation_id != donation.id}
        found[donation.id] = (frozenset(groups), any(donors[r].group_discrepancy for r in person))
    return found


def _source(donation: Donation, results: dict[str, rules.ResultFact], history: tuple[frozenset[str], bool],
            consent) -> rules.SourceFacts:
    groups, flagged = history
    return rules.SourceFacts(
        din=donation.din, results=results, historical_groups=groups, donor_group_discrepancy=flagged,
        consent_given=consent is not None, consent_withdrawn=consent is not None and consent.withdrawn_at is not None,
        volume_flag=donation.volume_flag,
    )
