"""A copy of everything held about a donor, for the donor: their right of access (GDPR article 15) and to take
their data elsewhere (article 20), as data a machine reads and as a document a person reads.

It holds what is theirs: every record of the person (merged ones included), appointments, visits with their
answers and measurements, consents and the private answer they gave, deferrals with their reasons, donations,
test results of their donations, reactions, and when their record was changed and why. It never holds what
belongs to others: no patient who received their blood, and no staff member's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bloodbank.adapters.db.models import (
    AdverseReaction, Appointment, ConfidentialAnswer, Consent, Deferral, Donation, Donor, DonorErasureRequest,
    DonorPortalChoice, DonorSignIn, HomeQuestionnaire, Site, TestResult, Visit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.labels.data_copy import data_copy_pdf
from bloodbank.adapters.labels.lettering import Catalogue, lettering_in
from bloodbank.domain.errors import NotFound
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person
from bloodbank.service_layer.donors.registry import load_donor, survivor_of
from bloodbank.service_layer.shared import audit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

SECTIONS = ("records", "appointments", "visits", "consents", "deferrals", "donations", "test_results",
            "reactions", "donor_page", "changes")


@dataclass(frozen=True)
class DataCopy:
    made_at: datetime
    donor_number: str
    sections: dict[str, list[dict[str, Any]]]
    language: str | None = None  # the language the donor reads what is written to them in; None: not chosen


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def data_copy(uow: UnitOfWork, *, donor_id: int) -> DataCopy:
    with uow:
        s = uow.session
        try:
            holder = survivor_of(s, load_donor(s, donor_id))
        except NotFound:
            raise NotFound(f"No donor with id {donor_id}.") from None
        ids = donor_ids_of_person(s, holder.id)
        sites = dict(s.execute(select(Site.id, Site.code)).all())
        records = list(s.scalars(select(Donor).where(Donor.id.in_(ids)).order_by(Donor.id)))
        visits = list(s.scalars(select(Visit).where(Visit.donor_id.in_(ids)).order_by(Visit.checked_in_at)))
        visit_ids = [v.id for v in visits]
        donations = list(s.scalars(select(Donation).where(Donation.donor_id.in_(ids)).order_by(Donation.started_at)))
        donation_ids = [d.id for d in donations]
        sections: dict[str, list[dict[str, Any]]] = {
            "records": [dict(
                donor_number=r.donor_number, given_name=r.given_name, family_name=r.family_name,
                date_of_birth=r.date_of_birth, sex=r.sex, phone=r.phone, email=r.email, address=r.address,
                postcode=r.postcode, language=r.language, blood_group=r.blood_group, blood_group_confirmed=r.blood_group_confirmed,
                preferred_site=sites.get(r.preferred_site_id), appeals=r.appeals_opt_in, registered_at=r.created_at,
                merged_into=next((x.donor_number for x in records if x.id == r.merged_into_id), None),
            ) for r in records],
            "appointments": [dict(starts_at=a.starts_at, site=sites.get(a.site_id), kind=a.kind, status=a.status)
                             for a in s.scalars(select(Appointment).where(Appointment.donor_id.in_(ids))
                                                .order_by(Appointment.starts_at))],
            "visits": [dict(
                checked_in_at=v.checked_in_at, site=sites.get(v.site_id), kind=v.kind, status=v.status,
                answers=v.questionnaire, weight_kg=v.weight_kg, haemoglobin_g_dl=v.hemoglobin_g_dl,
                blood_pressure=f"{v.systolic}/{v.diastolic}" if v.systolic and v.diastolic else None,
                pulse=v.pulse, temperature_c=v.temperature_c, eligible=v.eligible, reasons=v.decision_reasons,
                next_eligible_date=v.next_eligible_date, withdrawn_at=v.withdrawn_at,
            ) for v in visits],
            "consents": [dict(given_at=c.given_at, text_version=c.text_version, withdrawn_at=c.withdrawn_at)
                         for c in s.scalars(select(Consent).where(Consent.donor_id.in_(ids))
                                            .order_by(Consent.given_at))]
                         + [dict(private_answer_at=a.recorded_at, private_answer=a.answer)
                            for a in s.scalars(select(ConfidentialAnswer)
                                               .where(ConfidentialAnswer.visit_id.in_(visit_ids)))],
            "deferrals": [dict(code=d.code, reason=d.reason, kind=d.kind, starts_on=d.starts_on, ends_on=d.ends_on,
                               lifted_at=d.lifted_at, lift_reason=d.lift_reason)
                          for d in s.scalars(select(Deferral).where(Deferral.donor_id.in_(ids))
                                             .order_by(Deferral.starts_on))],
            "donations": [dict(din=d.din, started_at=d.started_at, site=sites.get(d.site_id), kind=d.kind,
                               volume_ml=d.volume_ml, status=d.status) for d in donations],
            "test_results": [dict(din=next(d.din for d in donations if d.id == t.donation_id), test=t.test,
                                  outcome=t.outcome, value=t.value, final=t.final, recorded_at=t.recorded_at)
                             for t in s.scalars(select(TestResult).where(TestResult.donation_id.in_(donation_ids),
                                                                         TestResult.superseded_by_id.is_(None))
                                                .order_by(TestResult.recorded_at))],
            "reactions": [dict(din=next(d.din for d in donations if d.id == r.donation_id), kind=r.kind,
                               severity=r.severity, outcome=r.outcome)
                          for r in s.scalars(select(AdverseReaction)
                                             .where(AdverseReaction.donation_id.in_(donation_ids)))],
            "donor_page": _donor_page(s, ids),
        }
        number, holder_id, language = holder.donor_number, holder.id, holder.language
    entries, _ = audit.list_entries_for(uow.again(), role="medical_director", entity="donor", entity_ids=tuple(ids),
                                        limit=500)
    sections["changes"] = [dict(at=e.at, action=e.action, details=sorted((e.new or {}).keys()), reason=e.reason)
                           for e in entries]
    with uow.writer() as writer:
        writer.audit("data_copy", "donor", holder_id, new={"sections": list(SECTIONS)},
                     reason="a copy of the donor's data was made for them")
        writer.commit()
    return DataCopy(made_at=utcnow(), donor_number=number,
                    sections={k: [_plain(row) for row in rows] for k, rows in sections.items()}, language=language)


def _donor_page(s, ids: list[int]) -> list[dict[str, Any]]:
    """What the donor's own page keeps: their choices, sign-ins, answers given at home, an erasure asked for."""
    rows: list[dict[str, Any]] = [
        dict(blood_used_messages=c.blood_used_opt_in, can_come_now_until=c.available_until)
        for c in s.scalars(select(DonorPortalChoice).where(DonorPortalChoice.donor_id.in_(ids)))]
    rows += [dict(sign_in_asked_at=r.created_at, channel=r.channel, used_at=r.used_at)
             for r in s.scalars(select(DonorSignIn).where(DonorSignIn.donor_id.in_(ids))
                                .order_by(DonorSignIn.created_at))]
    rows += [dict(answered_at_home_at=r.filled_at, answers=r.answers, valid_until=r.expires_at)
             for r in s.scalars(select(HomeQuestionnaire).where(HomeQuestionnaire.donor_id.in_(ids))
                                .order_by(HomeQuestionnaire.filled_at))]
    rows += [dict(erasure_asked_at=r.requested_at, outcome=r.outcome, answered_at=r.closed_at,
                  reason_declined=r.decline_reason)
             for r in s.scalars(select(DonorErasureRequest).where(DonorErasureRequest.donor_id.in_(ids)))]
    return rows


def data_copy_document(copy: DataCopy, *, language: str | None = None, catalogue: Catalogue | None = None) -> bytes:
    """The copy as a document in the donor's recorded language, else in `language` (the reader's)."""
    return data_copy_pdf(copy.donor_number, copy.made_at, copy.sections,
                         lettering_in(copy.language or language, catalogue))
