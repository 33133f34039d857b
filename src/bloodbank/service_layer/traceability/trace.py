"""Trace (vein to vein, from a DIN) and lookback (every recipient of one donor's blood).

Both show who gave and who received: restricted views, so every donor and
patient shown gets a "read" entry in the audit log, committed with nothing
else. Both follow splits and pools through `unit_graph`, the walk recall uses.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    Donation, Donor, Issue, Order, Patient, PatientIdentifier, Site, TestResult, Transfusion, TransfusionReaction, Unit,
    UnitEvent, UnitReturn,
)
from bloodbank.domain import access
from bloodbank.domain.hospital_scope import HospitalScope
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.domain.unit_status import DISCARD_REASONS
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person
from bloodbank.service_layer.donors.person import find_person
from bloodbank.service_layer.donors.registry import ERASED_NAME
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.patients import current_patient
from bloodbank.service_layer.shared import unit_graph
from bloodbank.service_layer.shared.clocks import clock_of_site, local_date, site_clock
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.traceability.trace_views import (
    DonorRef, EventLine, Lookback, LookbackDonation, LookbackRecipient, RecentIssue, Recipient, SourceRef, TestLine,
    Trace, TraceDonation, TraceSearch, TraceUnit,
)

# Never says why: the donor's confidential self-exclusion must not be readable from a trace.
CONFIDENTIAL_DISCARD = "self_excluded"


# ---------------------------------------------------------------- shared pieces


def fate(unit: Unit) -> str:
    if unit.status != "discarded":
        return unit.status.replace("_", " ")
    text = DISCARD_REASONS.get(unit.discard_reason or "", unit.discard_reason or "no reason recorded")
    if unit.discard_note and unit.discard_reason != CONFIDENTIAL_DISCARD:
        text += f" ({unit.discard_note})"
    return f"discarded: {text}"


def recipients_of(session: Session, unit_ids: set[int]) -> dict[int, list[Recipient]]:
    """Every issue of these units, with the patient's identifiers and the transfusion if it started."""
    found: dict[int, list[Recipient]] = {i: [] for i in unit_ids}
    issues = session.execute(select(Issue).where(Issue.unit_id.in_(unit_ids)).order_by(Issue.issued_at)) \
        .scalars().all() if unit_ids else []
    issue_ids = [i.id for i in issues]
    hospitals = dict(session.execute(
        select(Issue.id, func.coalesce(Order.hospital_id, Patient.hospital_id))
        .join(Patient, Patient.id == Issue.patient_id).outerjoin(Order, Order.id == Issue.order_id)
        .where(Issue.id.in_(issue_ids))).all()) if issue_ids else {}
    transfusions = {t.issue_id: t for t in session.execute(
        select(Transfusion).where(Transfusion.issue_id.in_(issue_ids))).scalars()}
    returns = {r.issue_id: r.returned_at for r in session.execute(
        select(UnitReturn).where(UnitReturn.issue_id.in_(issue_ids))).scalars()}
    reactions: dict[int, list[str]] = {}
    for r in session.execute(select(TransfusionReaction).where(
            TransfusionReaction.transfusion_id.in_([t.id for t in transfusions.values()]))).scalars():
        reactions.setdefault(r.transfusion_id, []).append(f"{r.category} ({r.severity})")
    for issue in issues:
        t = transfusions.get(issue.id)
        patient = current_patient(session, issue.patient_id)
        found[issue.unit_id].append(Recipient(
            issue_id=issue.id, patient_id=patient.id,
            identifiers=_identifiers(session, {issue.patient_id, patient.id}),
            issued_at=issue.issued_at, issued_by=issue.issued_by, returned_at=returns.get(issue.id),
            transfusion_id=t.id if t else None, transfusion_started_at=t.started_at if t else None,
            transfusion_ended_at=t.ended_at if t else None, outcome=t.outcome if t else None,
            reactions=tuple(reactions.get(t.id, [])) if t else (), hospital_id=hospitals.get(issue.id),
        ))
    return found


def _identifiers(session: Session, patient_ids: set[int]) -> tuple[str, ...]:
    rows = session.execute(select(PatientIdentifier.system, PatientIdentifier.value)
                           .where(PatientIdentifier.patient_id.in_(patient_ids))).all()
    return tuple(sorted(f"{system}:{value}" for system, value in rows))


def _donor_ref(donor: Donor) -> DonorRef:
    # An erased person is traced by number alone: the donation and its fate stay, the name is gone.
    name = ERASED_NAME if donor.erasure is not None else f"{donor.given_name} {donor.family_name}"
    return DonorRef(donor.id, donor.donor_number, name)


def _audit_reads(uow: UnitOfWork, donor_ids, patient_ids, *, view: str, key: str) -> None:
    for donor_id in sorted(donor_ids):
        uow.audit("read", "donor", donor_id, new={"view": view, "key": key},
                  reason=f"donor identity shown in a {view}")
    for patient_id in sorted(patient_ids):
        uow.audit("read", "patient", patient_id, new={"view": view, "key": key},
                  reason=f"recipient shown in a {view}")


# ---------------------------------------------------------------- trace


def trace_din(uow: UnitOfWork, din_text: str) -> Trace:
    """Everything that came from, or went into, the units carrying this DIN."""
    din = str(parse_din(din_text))
    with uow:
        session = uow.session
        donation = session.execute(select(Donation).where(Donation.din == din)).scalar_one_or_none()
        start = set(session.execute(select(Unit.id).where(Unit.din == din)).scalars())
        if donation is not None:
            start |= unit_graph.units_of_donations(session, [donation.id])
        if donation is None and not start:
            raise NotFound(f"No donation and no unit has DIN {din}.")
        shown = start | unit_graph.ancestors(session, start) | unit_graph.descendants(session, start)
        builder = _TreeBuilder(session, shown)
        donation_ids = {u.donation_id for u in builder.units.values() if u.donation_id is not None}
        if donation is not None:
            donation_ids.add(donation.id)
        donations = tuple(builder.donation(d) for d in session.execute(
            select(Donation).where(Donation.id.in_(donation_ids)).order_by(Donation.started_at, Donation.id)
        ).scalars())
        others = tuple(builder.node(u) for u in builder.roots() if builder.units[u].donation_id is None)
        result = Trace(din=din, donations=donations, other_units=others)
        _audit_reads(uow, {d.donor.donor_id for d in donations},
                     {r.patient_id for units in builder.recipients.values() for r in units},
                     view="trace", key=din)
        uow.commit()
        return result


class _TreeBuilder:
    """Reads every shown unit's facts in a few queries, then assembles the tree."""

    def __init__(self, session: Session, shown: set[int]):
        self.session = session
        self.units = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_(shown))).scalars()} \
            if shown else {}
        self.parents = unit_graph.parents_of(session, shown)
        self.children = {k: [c for c in v if c in shown] for k, v in unit_graph.children_of(session, shown).items()}
        self.sources = self._sources()
        self.donations_of = unit_graph.donations_of_units(session, shown)
        self.tests = self._tests()
        self.events = self._events(shown)
        self.recipients = recipients_of(session, shown)
        self.seen: set[int] = set()

    def roots(self) -> list[int]:
        return sorted(u for u in self.units if not any(p in self.units for p in self.parents[u]))

    def donation(self, donation: Donation) -> TraceDonation:
        site = self.session.get(Site, donation.site_id)
        roots = [u for u in self.roots() if self.units[u].donation_id == donation.id]
        return TraceDonation(
            donation_id=donation.id, din=donation.din, collected_on=local_date(donation.started_at, site_clock(site)),
            site_code=site.code, site_name=site.name, volume_ml=donation.volume_ml, status=donation.status,
            donor=_donor_ref(self.session.get(Donor, donation.donor_id)),
            units=tuple(self.node(u) for u in roots),
        )

    def node(self, unit_id: int) -> TraceUnit:
        unit, again = self.units[unit_id], unit_id in self.seen
        self.seen.add(unit_id)
        sources = tuple(self.sources[p] for p in self.parents[unit_id]) if len(self.parents[unit_id]) > 1 else ()
        return TraceUnit(
            unit_id=unit.id, din=unit.din, product_code=unit.product_code, division=unit.division,
            kind=unit.kind, blood_group=unit.blood_group, volume_ml=unit.volume_ml, status=unit.status,
            fate=fate(unit), sources=sources,
            tests=() if again else tuple(t for d in sorted(self.donations_of[unit_id]) for t in self.tests.get(d, [])),
            events=() if again else self._events_shown(unit),
            recipients=() if again else tuple(self.recipients[unit_id]),
            children=() if again else tuple(self.node(c) for c in self.children[unit_id]),
            shown_above=again,
        )

    def _sources(self) -> dict[int, SourceRef]:
        ids = {p for ps in self.parents.values() for p in ps}
        return {u.id: SourceRef(u.id, u.din, u.product_code, u.division) for u in self.session.execute(
            select(Unit).where(Unit.id.in_(ids))).scalars()} if ids else {}

    def _tests(self) -> dict[int, list[TestLine]]:
        ids = {d for ds in self.donations_of.values() for d in ds}
        dins = dict(self.session.execute(select(Donation.id, Donation.din).where(Donation.id.in_(ids))).all())
        found: dict[int, list[TestLine]] = {}
        for r in self.session.execute(select(TestResult).where(
                TestResult.donation_id.in_(ids), TestResult.superseded_by_id.is_(None))
                .order_by(TestResult.test, TestResult.id)).scalars():
            found.setdefault(r.donation_id, []).append(
                TestLine(dins[r.donation_id], r.test, r.outcome, r.value, r.recorded_at))
        return found

    def _events(self, shown: set[int]) -> dict[int, list[UnitEvent]]:
        found: dict[int, list[UnitEvent]] = {}
        for e in self.session.execute(select(UnitEvent).where(UnitEvent.unit_id.in_(shown))
                                      .order_by(UnitEvent.at, UnitEvent.id)).scalars():
            found.setdefault(e.unit_id, []).append(e)
        return found

    def _events_shown(self, unit: Unit) -> tuple[EventLine, ...]:
        confidential = unit.discard_reason == CONFIDENTIAL_DISCARD
        return tuple(EventLine(e.at, e.event, e.actor, e.from_status, e.to_status, e.site_id,
                               {} if confidential and e.to_status == "discarded" else dict(e.detail or {}))
                     for e in self.events.get(unit.id, []))


# ---------------------------------------------------------------- lookback


def lookback(uow: UnitOfWork, donor_ref: str | int) -> Lookback:
    """Every patient who received blood from any donation of this person (merged records included)."""
    with uow:
        session = uow.session
        donor = find_person(session, donor_ref)
        ids = donor_ids_of_person(session, donor.id)
        numbers = dict(session.execute(select(Donor.id, Donor.donor_number).where(Donor.id.in_(ids))).all())
        donations = []
        for donation in session.execute(select(Donation).where(Donation.donor_id.in_(ids))
                                        .order_by(Donation.started_at, Donation.id)).scalars():
            units = unit_graph.units_containing(session, [donation.id])
            rows = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_(units))).scalars()} \
                if units else {}
            found = recipients_of(session, units)
            donations.append(LookbackDonation(
                donation_id=donation.id, din=donation.din,
                collected_on=local_date(donation.started_at, clock_of_site(session, donation.site_id)),
                donor_number=numbers[donation.donor_id],
                recipients=tuple(
                    LookbackRecipient(u.id, u.din, u.product_code, u.division, u.kind, u.din != donation.din, r)
                    for u in sorted(rows.values(), key=lambda u: u.id) for r in found[u.id]),
            ))
        result = Lookback(donor=_donor_ref(donor), donor_records=tuple(sorted(numbers.values())),
                          donations=tuple(donations))
        _audit_reads(uow, {donor.id}, set(result.patient_ids), view="lookback", key=donor.donor_number)
        uow.commit()
        return result


# ---------------------------------------------------------------- one search box


# A donor number is `D`, seven digits and a check character; a DIN is never that short.
_DONOR_NUMBER_SHAPE = re.compile(r"^D\d{7}[0-9X]$")


def search(uow: UnitOfWork, text: str) -> TraceSearch:
    """A DIN (scanned or typed) traces the blood; a donor number looks back from the donor."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidInput("Scan or type a DIN, or type a donor number (e.g. D00004213).")
    if _DONOR_NUMBER_SHAPE.match(re.sub(r"[\s\-]+", "", raw).upper()):
        return TraceSearch(query=raw, kind="donor", lookback=lookback(uow, raw))
    try:
        parse_din(raw)
    except InvalidInput as error:
        raise type(error)(f"{error.message} (A donor number looks like D00004213.)") from None
    return TraceSearch(query=raw, kind="din", trace=trace_din(uow, raw))


def recent_issues(uow: UnitOfWork, *, limit: int = 10) -> list[RecentIssue]:
    """The latest units issued to patients, newest first: DINs to start a trace from, no patient shown."""
    with uow:
        rows = uow.session.execute(
            select(Unit.din, Unit.product_code, Unit.division, Unit.kind, Unit.status, Issue.issued_at)
            .join(Issue, Issue.unit_id == Unit.id).where(scope.issues_visible(uow.scope, Issue.id))
            .order_by(Issue.issued_at.desc(), Issue.id.desc())
            .limit(max(1, min(int(limit), 100)))
        ).all()
        return [RecentIssue(*row) for row in rows]


# ---------------------------------------------------------------- as the reader's role may see it
#
# A trace is read to act on a recall: units, where they are and what became of them. What it also shows
# about people is shaped to the reader's role, in one place: test results (and a discard reason that is a
# result, "reactive marker") only with RESULTS_READ, donors' names only with DONORS_READ, recipients'
# identifiers only with PATIENTS_READ and of the reader's hospitals (`domain.hospital_scope`). An inventory
# manager still sees every unit, its fate and location.


def trace_din_as(uow: UnitOfWork, din_text: str, *, role: str) -> Trace:
    """`trace_din` as the reader's role may see it."""
    return _trace_as(trace_din(uow, din_text), role, uow.scope)


def lookback_as(uow: UnitOfWork, donor_ref: str | int, *, role: str) -> Lookback:
    """`lookback` as the reader's role may see it."""
    return _lookback_as(lookback(uow, donor_ref), role, uow.scope)


def search_as(uow: UnitOfWork, text: str, *, role: str) -> TraceSearch:
    """`search` as the reader's role may see it."""
    found = search(uow, text)
    return replace(found, trace=found.trace and _trace_as(found.trace, role, uow.scope),
                   lookback=found.lookback and _lookback_as(found.lookback, role, uow.scope))


def _trace_as(result: Trace, role: str, seen: HospitalScope) -> Trace:
    results, donors, patients = (access.may(role, p) for p in (
        access.Permission.RESULTS_READ, access.Permission.DONORS_READ, access.Permission.PATIENTS_READ))
    if results and donors and patients and seen.everything:
        return result

    def unit(u: TraceUnit) -> TraceUnit:
        shaped = replace(u, children=tuple(unit(c) for c in u.children))
        if not results:
            shaped = replace(shaped, tests=(), fate=_fate_without_result(u.fate),
                             events=tuple(replace(e, detail={}) for e in u.events))
        shaped = replace(shaped, recipients=tuple(_recipient_as(r, patients, seen) for r in u.recipients))
        return shaped

    return replace(result, other_units=tuple(unit(u) for u in result.other_units), donations=tuple(
        replace(d, units=tuple(unit(u) for u in d.units), donor=d.donor if donors else _donor_without_name(d.donor))
        for d in result.donations))


def _lookback_as(result: Lookback, role: str, seen: HospitalScope) -> Lookback:
    donors, patients = (access.may(role, p) for p in (access.Permission.DONORS_READ, access.Permission.PATIENTS_READ))
    shaped = result if donors else replace(result, donor=_donor_without_name(result.donor))
    if patients and seen.everything:
        return shaped
    return replace(shaped, donations=tuple(
        replace(d, recipients=tuple(replace(r, recipient=_recipient_as(r.recipient, patients, seen))
                                    for r in d.recipients))
        for d in shaped.donations))


def _recipient_as(recipient: Recipient, patients: bool, seen: HospitalScope) -> Recipient:
    """A recipient's identity to a reader who may read patients, and only of a hospital they see."""
    return recipient if patients and seen.includes(recipient.hospital_id) else _recipient_without_identity(recipient)


def _fate_without_result(fate_text: str) -> str:
    return "discarded" if fate_text.startswith("discarded") else fate_text


def _donor_without_name(donor: DonorRef) -> DonorRef:
    return replace(donor, name="")


def _recipient_without_identity(recipient: Recipient) -> Recipient:
    return replace(recipient, identifiers=(), reactions=())
