"""Records erased unasked once their purpose is over: the retention rules of `domain/rules/retention.toml`.

`due` lists what each rule reaches today and changes nothing; `apply` erases it,
one person per transaction, by the same mechanism as an erasure at the donor's
request (donors.erasure): rows cleared or deleted, the audit values that held
them erased, the erasure audited. A person the sweep cannot erase (a visit in
progress) is reported and the others go ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Appointment, AuditEntry, Donation, Donor, DonorErasure, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import erasure, retention
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person
from bloodbank.service_layer.donors.erasure import apply_erasure, clear_answers, erase_audit_values, reclaim
from bloodbank.service_layer.donors.erasure_scope import entries_about
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

NEVER_DONATED, APPOINTMENTS, OLD_ANSWERS = retention.RETENTION_RULES


@dataclass(frozen=True)
class Due:
    """One person a rule reaches, and what it would erase of theirs (counts, never names)."""

    rule: str
    donor_id: int
    donor_number: str
    detail: str


@dataclass(frozen=True)
class Periods:
    never_donated_years: int
    appointment_months: int
    answers_years: int

    @classmethod
    def of(cls, never_donated_years: int | None = None, appointment_months: int | None = None) -> Periods:
        rules = retention.rules().retention
        chosen = cls(never_donated_years or rules[NEVER_DONATED].years,
                     appointment_months or rules[APPOINTMENTS].months, rules[OLD_ANSWERS].years)
        if chosen.never_donated_years < 1 or chosen.appointment_months < 1:
            raise InvalidInput("Retention periods are whole numbers of years or months, at least 1.")
        return chosen

    def described(self) -> dict[str, str]:
        rules = retention.rules().retention
        return {NEVER_DONATED: rules[NEVER_DONATED].described(years=self.never_donated_years),
                APPOINTMENTS: rules[APPOINTMENTS].described(months=self.appointment_months),
                OLD_ANSWERS: rules[OLD_ANSWERS].described(years=self.answers_years)}


@dataclass(frozen=True)
class SweepPlan:
    today: date
    periods: Periods
    due: tuple[Due, ...]


@dataclass
class SweepReport:
    today: date
    done: list[Due] = field(default_factory=list)
    refused: list[tuple[Due, str]] = field(default_factory=list)
    # No longer due when its turn came (the person came back, or another rule already erased it).
    skipped: list[Due] = field(default_factory=list)
    reclaimed: bool = False

    @property
    def subject(self) -> str:
        return f"{len(self.done)} records by the retention sweep of {self.today.isoformat()}"


def due(uow: UnitOfWork, *, today: date | None = None, never_donated_years: int | None = None,
        appointment_months: int | None = None) -> SweepPlan:
    """What the rules reach today; nothing is changed."""
    periods = Periods.of(never_donated_years, appointment_months)
    today = today or utcnow().date()
    with uow:
        s = uow.session
        found = [*_never_donated(s, today, periods), *_appointments(s, today, periods), *_old_answers(s, today, periods)]
    return SweepPlan(today, periods, tuple(found))


def apply(uow: UnitOfWork, plan: SweepPlan, progress: Callable[[Due], None] = lambda _: None) -> SweepReport:
    """Erase what `plan` lists, each person in a transaction of their own (`uow` is entered once for each);
    reclaim the freed space at the end."""
    report = SweepReport(plan.today)
    for item in plan.due:
        try:
            (report.done if _apply_one(uow, item, plan) else report.skipped).append(item)
        except DomainError as refusal:
            report.refused.append((item, refusal.message))
        progress(item)
    report.reclaimed = reclaim(uow) if report.done else True
    return report


def _apply_one(uow: UnitOfWork, item: Due, plan: SweepPlan) -> bool:
    """Erase what the rule reaches of this person now (asked again: they may have come back since)."""
    reason = f"retention rule {item.rule}: {plan.periods.described()[item.rule]}"
    with uow:
        s = uow.session
        donor = s.get(Donor, item.donor_id)
        if item.rule == NEVER_DONATED:
            if not any(d.donor_id == item.donor_id for d in _never_donated(s, plan.today, plan.periods)):
                return False
            apply_erasure(uow, donor, today=plan.today, kind="retention", requested_on=plan.today, channel=None,
                          reason=reason)
        elif item.rule == APPOINTMENTS:
            if not _erase_appointments(uow, donor, plan, reason):
                return False
        elif not _erase_old_answers(uow, donor, plan, reason):
            return False
        uow.commit()
        return True


# ---------------------------------------------------------------- registered, never donated


def _never_donated(s: Session, today: date, periods: Periods) -> Iterator[Due]:
    cutoff = datetime.combine(retention.years_after(today, -periods.never_donated_years), datetime.min.time(),
                              tzinfo=utcnow().tzinfo)
    person = Donor.id  # merged records' rows were moved to the record that holds the person
    rows = s.execute(
        select(Donor).where(
            Donor.merged_into_id.is_(None), ~Donor.erasure.has(), Donor.created_at < cutoff,
            ~exists().where(Donation.donor_id == person),
            ~exists().where(Visit.donor_id == person, Visit.checked_in_at >= cutoff),
            ~exists().where(Appointment.donor_id == person,
                            or_(Appointment.starts_at >= cutoff, Appointment.status_changed_at >= cutoff)),
        ).order_by(Donor.id)
    ).scalars().all()
    for donor in rows:
        last = _last_change(s, donor) or donor.created_at
        if retention.never_donated_is_due(donated=False, last_contact=last.date(), today=today,
                                          years=periods.never_donated_years):
            yield Due(NEVER_DONATED, donor.id, donor.donor_number,
                      f"registered {donor.created_at:%Y-%m-%d}, never donated, last contact {last:%Y-%m-%d}")


def _last_change(s: Session, donor: Donor) -> datetime | None:
    """The last time anyone changed one of the person's records (reads are not contact)."""
    ids = [str(i) for i in donor_ids_of_person(s, donor.id)]
    return s.execute(select(func.max(AuditEntry.at)).where(
        AuditEntry.entity == "donor", AuditEntry.entity_id.in_(ids), AuditEntry.action != "read")).scalar()


# ---------------------------------------------------------------- appointments past their purpose


def _past_appointments(s: Session, donor_ids: list[int] | None, today: date, periods: Periods) -> list[Appointment]:
    query = select(Appointment).order_by(Appointment.donor_id, Appointment.id)
    if donor_ids is not None:
        query = query.where(Appointment.donor_id.in_(donor_ids))
    return [a for a in s.execute(query).scalars()
            if retention.appointment_is_past_purpose(ended_on=max(a.starts_at, a.status_changed_at or a.starts_at)
                                                     .date(), today=today, months=periods.appointment_months)]


def _appointments(s: Session, today: date, periods: Periods) -> Iterator[Due]:
    by_donor: dict[int, int] = {}
    for appointment in _past_appointments(s, None, today, periods):
        by_donor[appointment.donor_id] = by_donor.get(appointment.donor_id, 0) + 1
    numbers = dict(s.execute(select(Donor.id, Donor.donor_number).where(Donor.id.in_(by_donor))).all()) \
        if by_donor else {}
    for donor_id, count in sorted(by_donor.items()):
        yield Due(APPOINTMENTS, donor_id, numbers[donor_id], f"{count} appointment(s) ended long ago")


def _erase_appointments(uow: UnitOfWork, donor: Donor, plan: SweepPlan, reason: str) -> bool:
    s = uow.session
    rows = _past_appointments(s, [donor.id], plan.today, plan.periods)
    if not rows:
        return False
    ids = [a.id for a in rows]
    for visit in s.execute(select(Visit).where(Visit.appointment_id.in_(ids))).scalars():
        visit.appointment_id = None
    s.flush()
    entries = [e.id for e in entries_about(s, "appointment", ids)]
    for row in rows:
        s.delete(row)
    s.flush()
    erase_audit_values(uow, donor, entries, new={"kind": "retention", "rule": APPOINTMENTS, "appointments": len(ids)},
                       reason=reason)
    return True


# ---------------------------------------------------------------- answers of erased people, past record keeping


def _old_donation_visits(s: Session, donor_ids: list[int] | None, today: date, periods: Periods) -> list[Visit]:
    query = (select(Visit, Donation.started_at).join(Donation, Donation.visit_id == Visit.id)
             .join(DonorErasure, DonorErasure.donor_id == Visit.donor_id).order_by(Visit.id))
    if donor_ids is not None:
        query = query.where(Visit.donor_id.in_(donor_ids))
    return [visit for visit, started_at in s.execute(query).all()
            if retention.answers_are_past_keeping(donated_on=started_at.date(), today=today,
                                                  years=periods.answers_years)
            and any(getattr(visit, f) not in (None, {}, []) for f in erasure.VISIT_FIELDS)]


def _old_answers(s: Session, today: date, periods: Periods) -> Iterator[Due]:
    by_donor: dict[int, int] = {}
    for visit in _old_donation_visits(s, None, today, periods):
        by_donor[visit.donor_id] = by_donor.get(visit.donor_id, 0) + 1
    for donor_id, count in sorted(by_donor.items()):
        yield Due(OLD_ANSWERS, donor_id, s.get(Donor, donor_id).donor_number,
                  f"answers of {count} donation(s) more than {periods.answers_years} years old")


def _erase_old_answers(uow: UnitOfWork, donor: Donor, plan: SweepPlan, reason: str) -> bool:
    s = uow.session
    visits = _old_donation_visits(s, [donor.id], plan.today, plan.periods)
    if not visits:
        return False
    ids = [v.id for v in visits]
    entries = [e.id for entity in ("visit", "visit_reasons") for e in entries_about(s, entity, ids)
               if e.payload is not None and erasure.holds_erased([e.old, e.new, e.reason], erasure.VISIT_KEYS,
                                                                 ((), ()))]
    for visit in visits:
        clear_answers(visit)
    s.flush()
    erase_audit_values(uow, donor, entries, new={"kind": "retention", "rule": OLD_ANSWERS, "visits": len(ids)},
                       reason=reason)
    return True
