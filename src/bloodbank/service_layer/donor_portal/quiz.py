""""Can I give?" before coming: the desk's questionnaire and the rule engine, nothing stored.

The answers are read and judged exactly as at the desk (the questionnaire's
deferrals, then the regime's rules on the record), and then forgotten: the
donor answers again, for the record, on the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import eligibility, questionnaire
from bloodbank.domain.eligibility import DeferralRecord, DonationKind
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_
from bloodbank.service_layer.donor_portal.my_record import home_site, own_donor
from bloodbank.service_layer.donors.deferral_lookup import active_deferrals
from bloodbank.service_layer.donors.readiness import donor_facts
from bloodbank.service_layer.shared.clocks import site_clock, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class QuizAnswer:
    kind: str
    eligible: bool
    # When not today: the first day the rules allow; None when no date can be promised (talk to the desk).
    from_date: date | None


def quiz_questions(uow: UnitOfWork, *, donor_id: int) -> list[questionnaire.Question]:
    with uow:
        donor = own_donor(uow.session, donor_id)
        return [q for q in questionnaire.questions() if questionnaire.applies_to(q, donor.sex)]


def take_quiz(uow: UnitOfWork, *, donor_id: int, answers: dict[str, Any], kind: str = "whole_blood") -> QuizAnswer:
    if kind not in {k.value for k in DonationKind}:
        raise InvalidInput(N_("Unknown donation kind."))
    with uow:
        s = uow.session
        donor = own_donor(s, donor_id)
        site = home_site(s, donor)
        today = today_on(site_clock(site), utcnow()) if site else utcnow().date()
        declared = questionnaire.deferrals_from_answers(answers, today, sex=donor.sex)
        on_record = tuple(DeferralRecord(code=row.code, since=row.starts_on, until=row.ends_on)
                          for row in active_deferrals(s, donor.id, today))
        facts = donor_facts(s, donor, on=today, kind=kind, deferrals=(*on_record, *declared))
        decision = eligibility.evaluate_in_advance(facts, eligibility.load_rule_set(site.rule_set if site else "who"))
        return QuizAnswer(kind=kind, eligible=decision.eligible,
                          from_date=today if decision.eligible else decision.next_eligible_date)
