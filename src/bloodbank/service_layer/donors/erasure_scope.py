"""What an erasure reaches: every record of the person, what each keeps or loses, and the audit entries
whose values hold what is erased.

An audit entry is looked at only if it is about one of the person's records (the donor records, their
appointments, visits, consents, deferrals, donations, reactions and follow-ups). Its values are erased
if the record they are about is deleted (an appointment), or if they hold a field the erasure clears
or mention the person (name, date of birth, phone, email, address, postcode). Free text written about
the person in records of other kinds (a recall's reason, a patient's note) is not found: no one should
name a donor there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    AdverseReaction, Appointment, AuditEntry, Consent, Deferral, Donation, Donor, DonorFollowUp, TestResult, Visit,
)
from bloodbank.domain import audit_chain, erasure
from bloodbank.domain.erasure import Identity, PersonFacts
from bloodbank.service_layer.donors.deferral_lookup import active_deferrals, donor_ids_of_person


@dataclass
class Scope:
    holder: Donor  # the record that holds the person (the survivor of any merges)
    records: list[Donor]  # every record of the person, the holder first
    appointments: list[Appointment]
    visits_without_donation: list[Visit]
    visits_with_donation: list[Visit]
    donations: int
    last_donation_on: date | None
    test_results: int
    deferrals: int
    permanently_deferred: bool
    audit_entry_ids: list[int]
    # Free texts of kept rows that mention the person: (row, column), to be redacted.
    mentions: list[tuple[object, str]]

    def facts(self) -> PersonFacts:
        return PersonFacts(
            donor_number=self.holder.donor_number, record_numbers=tuple(r.donor_number for r in self.records),
            appointments=len(self.appointments), visits_without_donation=len(self.visits_without_donation),
            visits_with_donation=len(self.visits_with_donation), donations=self.donations,
            last_donation_on=self.last_donation_on, test_results=self.test_results, deferrals=self.deferrals,
            permanently_deferred=self.permanently_deferred, audit_values=len(self.audit_entry_ids),
            mentions=len(self.mentions))

    def identities(self) -> list[Identity]:
        return [Identity(r.given_name, r.family_name, r.date_of_birth, r.phone, r.email, r.address, r.postcode)
                for r in self.records]


def scope_of(session: Session, holder: Donor, today: date, *, lock: bool = False) -> Scope:
    ids = donor_ids_of_person(session, holder.id)
    query = select(Donor).where(Donor.id.in_(ids)).order_by(Donor.id)
    rows = session.execute(query.with_for_update() if lock else query).scalars().all()
    records = [holder] + [r for r in rows if r.id != holder.id]
    visits = session.execute(select(Visit).where(Visit.donor_id.in_(ids)).order_by(Visit.id)).scalars().all()
    donations = session.execute(select(Donation.id, Donation.visit_id, Donation.started_at)
                                .where(Donation.donor_id.in_(ids))).all()
    donated_visits = {d.visit_id for d in donations}
    appointments = session.execute(select(Appointment).where(Appointment.donor_id.in_(ids))
                                   .order_by(Appointment.id)).scalars().all()
    donation_ids = [d.id for d in donations]
    scope = Scope(
        holder=holder, records=records, appointments=list(appointments),
        visits_without_donation=[v for v in visits if v.id not in donated_visits],
        visits_with_donation=[v for v in visits if v.id in donated_visits],
        donations=len(donations),
        last_donation_on=max((d.started_at.date() for d in donations), default=None),
        test_results=_count(session, TestResult.id, TestResult.donation_id, donation_ids),
        deferrals=_count(session, Deferral.id, Deferral.donor_id, ids),
        permanently_deferred=any(d.kind == "permanent" for d in active_deferrals(session, holder.id, today)),
        audit_entry_ids=[], mentions=[],
    )
    terms = erasure.terms_of(scope.identities())
    scope.audit_entry_ids = _audit_entries(session, scope, ids, donation_ids, terms)
    scope.mentions = _mentions(session, ids, donation_ids, terms)
    return scope


# Free text kept with rows the erasure keeps, where staff may have written the person's name or number.
FREE_TEXT = (
    (Deferral, ("reason", "lift_reason"), Deferral.donor_id, "donors"),
    (DonorFollowUp, ("detail", "outcome"), DonorFollowUp.donor_id, "donors"),
    (Consent, ("withdrawal_note",), Consent.donor_id, "donors"),
    (Visit, ("rescreen_reason",), Visit.donor_id, "donors"),
    (Donation, ("volume_flag",), Donation.donor_id, "donors"),
    (AdverseReaction, ("outcome",), AdverseReaction.donation_id, "donations"),
)


def _mentions(session: Session, donor_ids: list[int], donation_ids: list[int], terms) -> list[tuple[object, str]]:
    found = []
    for model, columns, owner, whose in FREE_TEXT:
        ids = donor_ids if whose == "donors" else donation_ids
        if not ids:
            continue
        for row in session.execute(select(model).where(owner.in_(ids))).scalars():
            found += [(row, column) for column in columns
                      if erasure.holds_erased(getattr(row, column), frozenset(), terms)]
    return found


def _count(session: Session, counted, column, ids: list[int]) -> int:
    if not ids:
        return 0
    return session.execute(select(func.count(counted)).where(column.in_(ids))).scalar_one()


def _ids(session: Session, column, where, ids: list[int]) -> list[int]:
    return list(session.execute(select(column).where(where.in_(ids))).scalars()) if ids else []


def _audit_entries(session: Session, scope: Scope, donor_ids: list[int], donation_ids: list[int],
                   terms) -> list[int]:
    erased_visits = {v.id for v in scope.visits_without_donation}
    visit_ids = [v.id for v in scope.visits_without_donation + scope.visits_with_donation]
    about = {
        "donor": donor_ids,
        "visit": visit_ids,
        "visit_reasons": visit_ids,
        "consent": _ids(session, Consent.id, Consent.donor_id, donor_ids),
        # A read of deferral reasons is filed under the donor's id, a deferral's own entries under its id.
        "deferral": _ids(session, Deferral.id, Deferral.donor_id, donor_ids) + donor_ids,
        "donation": donation_ids,
        "adverse_reaction": _ids(session, AdverseReaction.id, AdverseReaction.donation_id, donation_ids),
        "donor_follow_up": _ids(session, DonorFollowUp.id, DonorFollowUp.donor_id, donor_ids),
    }
    deleted = {"appointment": {a.id for a in scope.appointments}}
    chosen = []
    for entity, ids in list(about.items()) + [(k, list(v)) for k, v in deleted.items()]:
        for entry in entries_about(session, entity, ids):
            if entry.payload is None or not audit_chain.erasable(entry):
                continue
            if entity in deleted:
                chosen.append(entry.id)
                continue
            keys = erasure.DONOR_KEYS | (erasure.VISIT_KEYS if entity.startswith("visit")
                                         and int(entry.entity_id) in erased_visits else frozenset())
            if erasure.holds_erased([entry.old, entry.new, entry.reason], keys, terms):
                chosen.append(entry.id)
    return sorted(set(chosen))


def entries_about(session: Session, entity: str, ids: Iterable[int]) -> list[AuditEntry]:
    keys = sorted({str(i) for i in ids})
    found: list[AuditEntry] = []
    for start in range(0, len(keys), 500):
        found += session.execute(
            select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id.in_(keys[start:start + 500]))
        ).unique().scalars().all()
    return found
