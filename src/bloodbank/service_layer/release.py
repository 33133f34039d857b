"""Release out of quarantine, and taking a donation's blood out of use.

`release_unit` is the ONLY code path that moves a unit from quarantined to
available: no other module may call `move(..., "available")` on a
quarantined unit. It gathers the facts from the database (every source
donation of a pool included), asks `domain.release.release_blockers`, and
moves the unit only when the list is empty; otherwise nothing is changed and
the refusal lists every reason. There is no override.

A donor's confidential self-exclusion is acted on without being named (see
`withdrawal`): the unit is discarded as "not suitable for transfusion".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Donor, Site, TestResult, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import release as rules
from bloodbank.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from bloodbank.domain.lab_tests import GROUPING, MINIMUM_PANEL, name_of, required_tests
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.consent import consent_of, is_self_excluded
from bloodbank.service_layer.deferral_lookup import donor_ids_of_person
from bloodbank.service_layer.discards import unit_subject
from bloodbank.service_layer.labels import read_din_scan, read_product_scan
from bloodbank.service_layer.unit_moves import load_unit, move
from bloodbank.service_layer.unit_of_work import UnitOfWork
from bloodbank.service_layer.unit_records import din_of, product_name
from bloodbank.service_layer.unit_sources import source_donation_ids
from bloodbank.service_layer.withdrawal import (  # noqa: F401  (re-exported for the lab's use cases)
    NOT_SUITABLE_LABEL, Withdrawn, units_holding, withdraw_not_suitable, withdraw_reactive,
)

S = UnitStatus
_RESULT_BLOCKERS = frozenset({"missing_result", "preliminary_result", "no_grouping"})


@dataclass(frozen=True)
class ReleasedUnitView:
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    expires_at: datetime
    released_at: datetime
    released_by: str


@dataclass(frozen=True)
class QuarantineItem:
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    blood_group: str | None
    expires_at: datetime
    site_id: int | None
    # "ready for release", "awaiting results", "held" or "blocked": never why a unit is blocked.
    state: str
    missing_tests: tuple[str, ...]
    holds: tuple[str, ...]


def release_unit(uow: UnitOfWork, *, unit_id: int) -> ReleasedUnitView:
    with uow:
        s = uow.session
        unit = _lock_for_release(s, unit_id)
        now = utcnow()
        facts, donations = release_facts(s, unit, now)
        if facts.self_excluded:
            # The system acts at once, and says only that the unit is unsuitable.
            excluded = [d.id for d in donations if is_self_excluded(s, d.visit_id)]
            withdraw_not_suitable(uow, excluded)
            uow.commit()
            raise InvalidTransition(rules.NOT_SUITABLE)
        blockers = rules.release_blockers(facts)
        if blockers:
            raise InvalidTransition(refusal_message(unit, blockers))
        move(uow, unit, S.AVAILABLE, event="released", reason="every release check passed",
             released_at=now, released_by=uow.actor)
        view = ReleasedUnitView(
            unit_id=unit.id, din=unit.din, product_code=unit.product_code, division=unit.division, kind=unit.kind,
            blood_group=unit.blood_group, status=unit.status, expires_at=unit.expires_at, released_at=now,
            released_by=uow.actor,
        )
        uow.commit()
        return view


def _lock_for_release(session: Session, unit_id: int) -> Unit:
    """Lock the source donations, then the unit: the order recording a result takes them in.

    A result being recorded for a source donation is then either committed
    before the release reads the results, or waits until the release is done.
    """
    donation_ids = source_donation_ids(session, unit_id)
    session.execute(select(Donation.id).where(Donation.id.in_(donation_ids)).order_by(Donation.id)
                    .with_for_update()).all()
    return session.execute(select(Unit).where(Unit.id == unit_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def release_blockers_for(uow: UnitOfWork, unit_id: int) -> tuple[rules.Blocker, ...]:
    """Why a unit is held (empty when it may be released); reads only."""
    with uow:
        unit = load_unit(uow.session, unit_id)
        facts, _ = release_facts(uow.session, unit, utcnow())
        return rules.release_blockers(facts)


def quarantine_list(uow: UnitOfWork, site_id: int | None = None, *, limit: int | None = None) -> list[QuarantineItem]:
    """Units in quarantine and what holds them, without any result or the reason a unit is blocked.

    Soonest expiry first; `limit` keeps a board to the units that matter now, since judging each
    unit costs a few queries.
    """
    with uow:
        s = uow.session
        query = _quarantined(site_id).order_by(Unit.expires_at, Unit.id).limit(limit)
        now = utcnow()
        return [_item(s, unit, now) for unit in s.execute(query).scalars()]


def quarantine_count(uow: UnitOfWork, site_id: int | None = None) -> int:
    with uow:
        return uow.session.execute(select(func.count()).select_from(_quarantined(site_id).subquery())).scalar_one()


def _quarantined(site_id: int | None):
    query = select(Unit).where(Unit.status == "quarantined")
    return query if site_id is None else query.where(Unit.site_id == site_id)


def _item(session: Session, unit: Unit, now: datetime) -> QuarantineItem:
    facts, _ = release_facts(session, unit, now)
    blockers = rules.release_blockers(facts)
    missing = sorted({
        name_of(code)
        for source in facts.sources for code in required_tests(facts.panel, facts.kind)
        if code not in source.results or not source.results[code].final
    })
    holds = tuple(b.message for b in blockers if not b.sensitive and b.code not in _RESULT_BLOCKERS)
    if any(b.sensitive for b in blockers):
        state = "blocked"
    elif missing:
        state = "awaiting results"
    else:
        state = "held" if blockers else "ready for release"
    return QuarantineItem(
        unit_id=unit.id, din=unit.din, product_code=unit.product_code, division=unit.division, kind=unit.kind,
        blood_group=unit.blood_group, expires_at=unit.expires_at, site_id=unit.site_id, state=state,
        missing_tests=tuple(missing), holds=holds,
    )


def refusal_message(unit: Unit, blockers: tuple[rules.Blocker, ...]) -> str:
    lines = "\n".join(f"- {b.message}" for b in blockers)
    return f"Unit {unit.din} {unit.product_code} cannot be released:\n{lines}"


def apply_self_exclusion(uow: UnitOfWork, *, visit_id: int) -> None:
    """Take the blood of a self-excluded visit out of use (own transaction).

    Returns nothing on purpose: whoever calls it learns nothing they could show.
    """
    with uow:
        s = uow.session
        if not is_self_excluded(s, visit_id):
            return
        donation_ids = list(s.execute(select(Donation.id).where(Donation.visit_id == visit_id)).scalars())
        withdraw_not_suitable(uow, donation_ids)
        uow.commit()


def release_facts(session: Session, unit: Unit, now: datetime) -> tuple[rules.ReleaseFacts, list[Donation]]:
    donation_ids = sorted(set(source_donation_ids(session, unit.id)))
    donations = list(session.execute(
        select(Donation).where(Donation.id.in_(donation_ids)).order_by(Donation.id)).scalars())
    panel = _panel(session, unit, donations)
    results = _current_results(session, donation_ids)
    facts = rules.ReleaseFacts(
        status=unit.status, kind=unit.kind, expires_at=unit.expires_at, now=now, panel=panel,
        sources=tuple(_source(session, d, results.get(d.id, {})) for d in donations),
        unit_group=unit.blood_group, label_verified=unit.label_verified_at is not None,
        self_excluded=any(is_self_excluded(session, d.visit_id) for d in donations),
    )
    return facts, donations


def _panel(session: Session, unit: Unit, donations: list[Donation]) -> tuple[str, ...]:
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
        found.setdefault(row.donation_id, {})[row.test] = rules.ResultFact(row.outcome, row.final, row.value)
    return found


def person_of(session: Session, donor_id: int) -> list[Donor]:
    """Every record of the person behind this donor record, merged ones included."""
    root, seen = session.get(Donor, donor_id), {donor_id}
    while root.merged_into_id is not None and root.merged_into_id not in seen:
        seen.add(root.merged_into_id)
        root = session.get(Donor, root.merged_into_id)
    ids = donor_ids_of_person(session, root.id)
    return list(session.execute(select(Donor).where(Donor.id.in_(ids))).scalars())


def historical_groups(session: Session, donation: Donation) -> tuple[frozenset[str], bool]:
    """The groups the person is known by (other than this donation's typing), and their discrepancy flag."""
    people = person_of(session, donation.donor_id)
    groups = {d.blood_group for d in people if d.blood_group}
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


@dataclass(frozen=True)
class BlockerView:
    code: str
    message: str


@dataclass(frozen=True)
class ReleaseCheck:
    """A unit at the release bench: what it is, and every reason it may not go to stock yet."""

    unit_id: int
    din: str
    din_eye_readable: str
    product_code: str
    product_name: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    expires_at: datetime
    site_id: int | None
    label_verified: bool
    blockers: tuple[BlockerView, ...]
    may_release: bool  # no blocker at all
    # The words of the release signature for this unit (domain.access.signature_meaning's subject).
    signature_subject: str


def release_check(uow: UnitOfWork, *, unit_id: int) -> ReleaseCheck:
    """The unit and every release blocker; reads only (a self-exclusion is named only as 'not suitable')."""
    with uow:
        return _check(uow.session, load_unit(uow.session, unit_id))


def release_check_by_scan(uow: UnitOfWork, *, scanned_din: str, scanned_product: str) -> ReleaseCheck:
    """The unit whose label was scanned (DIN and product code of the bag in hand), and its blockers."""
    din, code = read_din_scan(scanned_din), read_product_scan(scanned_product)
    with uow:
        return _check(uow.session, _unit_for_label(uow.session, str(din), code.description_code, code.division))


class ReleaseRefused(InvalidTransition):
    """A refused release, with each blocker apart (`reasons`) as well as in the message."""

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons


def release_at_bench(uow: UnitOfWork, *, unit_id: int, scanned_din: str | None = None,
                     scanned_product: str | None = None) -> ReleasedUnitView:
    """Release a unit, refused with every blocker listed; with a scan-back, only if the bag scanned is that unit."""
    if (scanned_din is None) != (scanned_product is None):
        raise InvalidInput("Scan both the DIN and the product code of the bag, or neither.")
    if scanned_din is not None:
        din, code = read_din_scan(scanned_din), read_product_scan(scanned_product)
        with uow:
            unit = load_unit(uow.session, unit_id)
            mine = (unit.din, unit.product_code, unit.division)
        scanned = (str(din), code.description_code, code.division)
        if scanned != mine:
            raise Conflict(f"The bag scanned ({unit_subject(*scanned)}) is not unit {unit_subject(*mine)}: "
                           "nothing was released. Scan the bag you are releasing.")
    try:
        return release_unit(uow, unit_id=unit_id)
    except InvalidTransition as error:
        # refusal_message writes one "- " line per blocker; a self-exclusion's refusal is one sentence.
        reasons = [line[2:] for line in error.message.splitlines() if line.startswith("- ")] or [error.message]
        raise ReleaseRefused(error.message, reasons) from None


def _unit_for_label(session: Session, din: str, product_code: str, division: str) -> Unit:
    unit = session.execute(select(Unit).where(
        Unit.din == din, Unit.product_code == product_code, Unit.division == division,
    ).order_by(Unit.id.desc())).scalars().first()
    if unit is None:
        raise NotFound(f"No unit {unit_subject(din, product_code, division)} is on record: "
                       "check that the DIN and the product code come from the same bag.")
    return unit


def _check(session: Session, unit: Unit) -> ReleaseCheck:
    facts, _ = release_facts(session, unit, utcnow())
    blockers = rules.release_blockers(facts)
    return ReleaseCheck(
        unit_id=unit.id, din=unit.din, din_eye_readable=din_of(unit.din).eye_readable,
        product_code=unit.product_code, product_name=product_name(unit.product_code), division=unit.division,
        kind=unit.kind, blood_group=unit.blood_group, status=unit.status, expires_at=unit.expires_at,
        site_id=unit.site_id, label_verified=unit.label_verified_at is not None,
        blockers=tuple(BlockerView(b.code, b.message) for b in blockers), may_release=not blockers,
        signature_subject=unit_subject(unit.din, unit.product_code, unit.division),
    )


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
            site_panel = _panel(s, unit, [donation]) if unit is not None else _donation_panel(s, donation)
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

