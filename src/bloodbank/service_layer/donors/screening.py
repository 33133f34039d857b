"""Screening: questionnaire and measurements, judged by the site's regime.

A missing measurement is not an error here: the engine turns it into a
reason, so the donor is deferred for the visit rather than the clerk being
stopped. An implausible one is an error: it is almost always a wrong unit,
and judging a donor on it would be judging a typo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Deferral, Donor, Site, Visit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import eligibility, questionnaire
from bloodbank.domain.consent import visit_closed
from bloodbank.domain.eligibility import (
    Decision, DeferralRecord, DonorFacts, FailedRule,
)
from bloodbank.domain.errors import DonorDeferred, InvalidInput, InvalidTransition, NotFound
from bloodbank.service_layer.donors.deferral_lookup import CANNOT_CONFIRM, active_deferrals
from bloodbank.service_layer.donors.deferrals import create_deferral
from bloodbank.service_layer.donors.readiness import donor_facts
from bloodbank.service_layer.shared.clocks import site_clock, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# field: (label, unit, lowest plausible, highest plausible)
PLAUSIBLE = {
    "weight_kg": ("Weight", "kg", 20, 300),
    "hemoglobin_g_dl": ("Haemoglobin", "g/dL", 3, 25),
    "systolic": ("Systolic pressure", "mmHg", 50, 300),
    "diastolic": ("Diastolic pressure", "mmHg", 20, 200),
    "pulse": ("Pulse", "/min", 20, 250),
    "temperature_c": ("Temperature", "°C", 30, 45),
}
PERMANENT_ON_RECORD = "A permanent deferral is on record for this donor."


@dataclass(frozen=True)
class ScreeningView:
    visit_id: int
    status: str
    eligible: bool
    # Empty unless the person screening may read deferral reasons; `reasons_withheld` then says there are some.
    reasons: tuple[str, ...]
    # The engine's rule ids behind the reasons ("haemoglobin.minimum", "deferral.tattoo"), in the same order.
    failed_rules: tuple[str, ...]
    next_eligible_date: date | None
    permanent: bool
    rule_set: str
    screened_at: datetime
    screened_by: str
    deferral_ids: tuple[int, ...]
    reasons_withheld: bool = False


def check_measurements(values: dict[str, float | None]) -> None:
    for field, (label, unit, low, high) in PLAUSIBLE.items():
        value = values.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise InvalidInput(f"{label} {value} {unit} is not plausible: check the unit ({unit}).")
    systolic, diastolic = values.get("systolic"), values.get("diastolic")
    if systolic is not None and diastolic is not None and diastolic >= systolic:
        raise InvalidInput(
            f"Blood pressure {systolic}/{diastolic} is not plausible: systolic must be above diastolic."
        )


def record_screening(uow: UnitOfWork, *, visit_id: int, answers: dict, weight_kg: float | None,
                     hemoglobin_g_dl: float | None, systolic: int | None, diastolic: int | None,
                     pulse: int | None, temperature_c: float | None, reasons: bool = False) -> ScreeningView:
    """Record the answers and measurements and decide; `reasons` gives why to those granted deferral reasons."""
    measurements = dict(weight_kg=weight_kg, hemoglobin_g_dl=hemoglobin_g_dl, systolic=systolic,
                        diastolic=diastolic, pulse=pulse, temperature_c=temperature_c)
    check_measurements(measurements)
    with uow:
        s = uow.session
        visit = _screenable_visit(s, visit_id)
        donor, site = s.get(Donor, visit.donor_id), s.get(Site, visit.site_id)
        rules = eligibility.load_rule_set(site.rule_set)
        now = utcnow()
        # Deferral end dates and intervals count in the donor's local days, as the site's calendar shows them.
        today = today_on(site_clock(site), now)
        read = questionnaire.read_answers(answers, today, sex=donor.sex)
        declared = questionnaire.deferrals_from_answers(answers, today, sex=donor.sex)
        on_record = _deferrals_on_record(s, donor.id, today)
        facts = _facts(s, visit, donor, today, measurements, declared, on_record)
        decision = _with_permanent_rows(eligibility.evaluate(facts, rules), on_record)
        next_date = eligibility.next_eligible_date(facts, rules) if decision.eligible else decision.next_eligible_date
        _store(uow, visit, site.rule_set, read, measurements, decision, next_date, declared, now)
        created = _defer_for_answers(uow, visit, decision, declared, on_record, today)
        result = ScreeningView(
            visit_id=visit.id, status=visit.status, eligible=decision.eligible,
            reasons=decision.reasons if reasons else (),
            failed_rules=tuple(f.rule for f in decision.failed) if reasons else (), next_eligible_date=next_date,
            permanent=decision.permanent, rule_set=site.rule_set, screened_at=now, screened_by=uow.actor,
            deferral_ids=tuple(row.id for row in created), reasons_withheld=bool(decision.reasons) and not reasons,
        )
        if reasons and decision.reasons:
            uow.audit("read", "visit_reasons", visit.id, reason="eligibility reasons displayed")
        uow.commit()
        return result


def _store(uow: UnitOfWork, visit: Visit, rule_set: str, read: dict, measurements: dict, decision: Decision,
           next_date: date | None, declared: tuple[DeferralRecord, ...], now: datetime) -> None:
    before = {"status": visit.status}
    visit.rule_set = rule_set
    visit.questionnaire = {"version": questionnaire.CURRENT_VERSION, "answers": questionnaire.stored_answers(read)}
    for field, value in measurements.items():
        setattr(visit, field, value)
    visit.eligible, visit.decision_reasons = decision.eligible, list(decision.reasons)
    visit.next_eligible_date, visit.screened_at, visit.screened_by = next_date, now, uow.actor
    visit.status = "screened" if decision.eligible else "deferred"
    uow.session.flush()
    # Health detail (answers, reasons) stays on the visit; the log keeps what was decided.
    uow.audit("screen", "visit", visit.id, old=before, new={
        "status": visit.status, "eligible": decision.eligible, "rule_set": rule_set,
        "next_eligible_date": next_date, "questionnaire_version": questionnaire.CURRENT_VERSION,
        "declared_deferral_codes": sorted({r.code for r in declared}), **measurements,
    }, reason="screening")


def _screenable_visit(s: Session, visit_id: int) -> Visit:
    visit = s.execute(select(Visit).where(Visit.id == visit_id).with_for_update()).scalar_one_or_none()
    if visit is None:
        raise NotFound(f"No visit with id {visit_id}.")
    if visit.status in ("deferred", "withdrawn", "collected"):
        raise visit_closed(visit.status)
    if visit.status != "checked_in":
        raise InvalidTransition(f"This visit was already screened (status: {visit.status}); it is screened once.")
    return visit


def _facts(s: Session, visit: Visit, donor: Donor, today: date, measurements: dict,
           declared: tuple[DeferralRecord, ...], on_record: list[Deferral]) -> DonorFacts:
    return donor_facts(s, donor, on=today, kind=visit.kind, measurements=measurements,
                       deferrals=(*(_record(row) for row in on_record), *declared))


def _deferrals_on_record(s: Session, donor_id: int, today: date) -> list[Deferral]:
    try:
        return active_deferrals(s, donor_id, today)
    except SQLAlchemyError as error:
        raise DonorDeferred(CANNOT_CONFIRM) from error


def _record(row: Deferral) -> DeferralRecord:
    return DeferralRecord(code=row.code, since=row.starts_on, until=row.ends_on)


def _with_permanent_rows(decision: Decision, on_record: list[Deferral]) -> Decision:
    """A permanent deferral decided by staff stands even where the regime's rule for its code is temporary."""
    if decision.permanent or not any(row.kind == "permanent" for row in on_record):
        return decision
    on_record = FailedRule("record.permanent_deferral", PERMANENT_ON_RECORD, permanent=True)
    return Decision(eligible=False, reasons=(*decision.reasons, PERMANENT_ON_RECORD), next_eligible_date=None,
                    permanent=True, failed=(*decision.failed, on_record))


def _defer_for_answers(uow: UnitOfWork, visit: Visit, decision: Decision, declared: tuple[DeferralRecord, ...],
                       on_record: list[Deferral], today: date) -> list[Deferral]:
    """Deferral rows for what the donor declared, so the deferral also stops the next check-in.

    Only failures the regime can time (or makes permanent) become rows; one that
    needs a physician's decision defers this visit and is asked again next time.
    """
    declared_codes = {record.code for record in declared}
    created = []
    for failure in decision.failed:
        code = failure.rule.removeprefix("deferral.")
        if not failure.rule.startswith("deferral.") or code not in declared_codes:
            continue
        if failure.permanent:
            kind, ends_on = "permanent", None
        elif failure.clears_on is not None:
            kind, ends_on = "temporary", failure.clears_on
        else:
            continue
        if _already_covered(on_record, code, ends_on):
            continue
        created.append(create_deferral(uow, donor_id=visit.donor_id, code=code, kind=kind, reason=failure.message,
                                       starts_on=today, ends_on=ends_on, visit_id=visit.id))
    return created


def _already_covered(on_record: list[Deferral], code: str, ends_on: date | None) -> bool:
    for row in on_record:
        if row.code != code:
            continue
        if row.kind == "permanent" or (ends_on is not None and row.ends_on >= ends_on):
            return True
    return False
