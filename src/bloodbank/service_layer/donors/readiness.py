"""May this donor give this kind of donation on that day? What the desk knows before the day's measurements.

Intervals since the last donation, yearly limits and age are decided from the
record, so booking and check-in refuse at once, with the date the donor may
come, instead of after the questionnaire and a finger prick. Deferrals are
`deferral_lookup`'s: the desk learns "deferred until", never why.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Donor, Site
from bloodbank.domain import eligibility, scheduling
from bloodbank.domain.eligibility import DeferralRecord, DonationKind, DonorFacts, PastDonation
from bloodbank.domain.errors import DonorIneligible
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person


def past_donations(s: Session, donor_id: int) -> tuple[PastDonation, ...]:
    """Every collection of the person, merged records included; an aborted one still counts.

    A donation's day is its date on the collecting site's clock: the interval counts local days.
    """
    rows = s.execute(
        select(Donation.started_at, Donation.kind, Site.time_zone).outerjoin(Site, Site.id == Donation.site_id)
        .where(Donation.donor_id.in_(donor_ids_of_person(s, donor_id)))
    ).all()
    return tuple(PastDonation(date=started.astimezone(scheduling.zone(zone)).date(), kind=DonationKind(kind))
                 for started, kind, zone in rows)


def donor_facts(s: Session, donor: Donor, *, on: date, kind: str, deferrals: tuple[DeferralRecord, ...] = (),
                measurements: dict | None = None) -> DonorFacts:
    donations = past_donations(s, donor.id)
    values = {k: None if v is None else float(v) for k, v in (measurements or {}).items()}
    return DonorFacts(
        on=on, date_of_birth=donor.date_of_birth, sex=donor.sex,  # type: ignore[arg-type]
        first_time=not donations, kind=DonationKind(kind), donations=donations, deferrals=deferrals,
        weight_kg=values.get("weight_kg"), hemoglobin_g_dl=values.get("hemoglobin_g_dl"),
        systolic=values.get("systolic"), diastolic=values.get("diastolic"), pulse=values.get("pulse"),
        temperature_c=values.get("temperature_c"),
    )


def ensure_may_give(s: Session, donor: Donor, *, on: date, kind: str, rule_set: str) -> None:
    """Refuse, with every reason and the first day that works, a donation the record already rules out."""
    facts = donor_facts(s, donor, on=on, kind=kind)
    decision = eligibility.evaluate_in_advance(facts, eligibility.load_rule_set(rule_set))
    if decision.eligible:
        return
    label = DonationKind(kind).label
    message = f"Not eligible for a {label} donation on {on.isoformat()}: {' '.join(decision.reasons)}"
    if decision.next_eligible_date is not None:
        message += f" The next {label} donation is possible from {decision.next_eligible_date.isoformat()}."
    raise DonorIneligible(message, list(decision.reasons))
