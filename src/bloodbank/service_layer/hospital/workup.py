"""The order page: every unit held for an order and how far it has gone, crossmatched, issued, transfused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    Hospital, Issue, PatientSample, Reservation, Transfusion, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.issue import (
    COMPATIBLE, SAMPLE_VALIDITY, electronic_issue_allowed,
)
from bloodbank.domain.patients import grouping_status
from bloodbank.domain.patient_profile import PatientProfile
from bloodbank.domain.requirements import (
    RED_CELL_KINDS, emergency_group, group_status, incompatibility, manual_checks,
)
from bloodbank.service_layer.hospital.allocation import (
    ReservationView, reservation_view, unit_facts,
)
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.crossmatch import CrossmatchView, crossmatch_view, current_crossmatch
from bloodbank.service_layer.hospital.orders import OrderView, order_view
from bloodbank.service_layer.hospital.patient_lab import SampleView
from bloodbank.service_layer.hospital.patient_profile import load_profile, records_of_person
from bloodbank.service_layer.hospital.patients import PatientView, current_patient, patient_view
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class HeldUnit:
    """A unit held for an order, and how far it has gone: crossmatched, issued, transfused."""

    reservation: ReservationView
    unit_status: str
    crossmatch: CrossmatchView | None  # the one that decides issue now (an incompatible one always wins)
    crossmatch_needed: bool  # red cells for a patient not cleared for electronic issue, no compatible crossmatch
    issue_id: int | None
    transfusion_id: int | None
    # Why the unit does not suit the patient's current profile (e.g. its group, while the groupings disagree):
    # flagged, never offered for a crossmatch. None when it suits.
    incompatible: str | None = None


@dataclass(frozen=True)
class OrderWorkup:
    """Everything the hospital's order page shows, read in one transaction."""

    order: OrderView
    hospital_code: str
    hospital_name: str
    patient: PatientView | None
    grouping_status: str  # none / unverified / single / confirmed / discrepant
    group_message: str
    confirmed_group: str | None
    emergency_group: str  # the group O red cells they would get before their group is known
    antibodies: tuple[str, ...]
    requirements: tuple[str, ...]
    manual_checks: tuple[str, ...]
    electronic_allowed: bool
    electronic_reasons: tuple[str, ...]
    held: tuple[HeldUnit, ...]
    shortfall: int
    samples: tuple[SampleView, ...]  # the patient's samples still valid for a crossmatch, newest first


def order_workup(uow: UnitOfWork, *, order_id: int) -> OrderWorkup:
    with uow:
        session = uow.session
        order = scope.order(uow, order_id)
        hospital = session.get(Hospital, order.hospital_id)
        now = utcnow()
        profile = load_profile(session, order.patient_id) if order.patient_id is not None else None
        person_ids = records_of_person(session, profile.patient_id) if profile else []
        status = group_status(profile)
        allowed, reasons = electronic_issue_allowed(profile, now=now) if profile else (False, ())
        rows = session.execute(
            select(Reservation, Unit).join(Unit, Unit.id == Reservation.unit_id)
            .where(Reservation.order_id == order.id, Reservation.released_at.is_(None)).order_by(Reservation.id)
        ).all()
        held = [_held(session, reservation, unit, person_ids, allowed, now, profile) for reservation, unit in rows]
        samples = session.execute(
            select(PatientSample).where(PatientSample.patient_id.in_(person_ids),
                                        PatientSample.taken_at >= now - SAMPLE_VALIDITY)
            .order_by(PatientSample.taken_at.desc(), PatientSample.id.desc())
        ).scalars().all() if person_ids else []
        return OrderWorkup(
            order=order_view(session, order), hospital_code=hospital.code, hospital_name=hospital.name,
            patient=patient_view(session, current_patient(session, order.patient_id)) if profile else None,
            grouping_status=grouping_status(profile) if profile else "none", group_message=status.message,
            confirmed_group=str(status.group) if status.confirmed else None,
            emergency_group=str(emergency_group(profile, now=now)),
            antibodies=profile.antibodies if profile else (), requirements=tuple(sorted(profile.requirements))
            if profile else (), manual_checks=manual_checks(profile), electronic_allowed=allowed,
            electronic_reasons=reasons, held=tuple(held), shortfall=max(order.quantity - len(held), 0),
            samples=tuple(SampleView(s.id, s.patient_id, s.sample_number, s.taken_at, s.taken_by) for s in samples),
        )


def _held(session: Session, reservation: Reservation, unit: Unit, person_ids: list[int], allowed: bool,
          now: datetime, profile: PatientProfile | None) -> HeldUnit:
    crossmatch = current_crossmatch(session, patient_ids=person_ids, unit_id=unit.id, now=now) \
        if person_ids else None
    issue = session.execute(select(Issue.id).where(Issue.reservation_id == reservation.id)).scalar()
    transfusion = session.execute(select(Transfusion.id).where(Transfusion.issue_id == issue)).scalar() \
        if issue is not None else None
    # A stock order (no patient) has no profile to check against; a patient's order does.
    wrong = incompatibility(unit_facts(unit), profile, now=now) if profile is not None and issue is None else None
    needed = (wrong is None and unit.kind in RED_CELL_KINDS and not allowed
              and (crossmatch is None or crossmatch.result != COMPATIBLE))
    return HeldUnit(reservation=reservation_view(reservation, unit), unit_status=unit.status,
                    crossmatch=crossmatch_view(crossmatch, unit.din) if crossmatch else None,
                    crossmatch_needed=needed, issue_id=issue, transfusion_id=transfusion, incompatible=wrong)
