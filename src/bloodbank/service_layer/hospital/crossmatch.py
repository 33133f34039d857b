"""Serological crossmatch results, and the one that counts at issue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Crossmatch, PatientSample, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.issue import COMPATIBLE, INCOMPATIBLE, SAMPLE_VALIDITY
from bloodbank.domain.requirements import incompatibility
from bloodbank.service_layer.hospital.allocation import unit_facts
from bloodbank.service_layer.hospital.patient_profile import load_profile, records_of_person
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.shared import unit_moves
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

METHODS = ("serological", "immediate_spin", "iat")


@dataclass(frozen=True)
class CrossmatchView:
    id: int
    patient_id: int
    unit_id: int
    din: str
    sample_id: int | None
    result: str
    method: str
    recorded_at: datetime
    recorded_by: str


def record_crossmatch(uow: UnitOfWork, *, patient_id: int, unit_id: int, sample_id: int, result: str,
                      method: str = "serological") -> CrossmatchView:
    result = (result or "").strip().lower()
    if result not in (COMPATIBLE, INCOMPATIBLE):
        raise InvalidInput(f"A crossmatch result is 'compatible' or 'incompatible'; got '{result}'.")
    method = (method or "").strip().lower()
    if method not in METHODS:
        raise InvalidInput(f"Crossmatch method '{method}' is not known: use one of {', '.join(METHODS)}.")
    with uow:
        session = uow.session
        person = scope.patient(uow, patient_id)
        unit = unit_moves.load_unit(session, unit_id)
        sample = scope.sample(uow, sample_id)
        if sample.patient_id not in records_of_person(session, person.id):
            raise InvalidInput(f"Sample {sample.sample_number} was not taken from this patient: "
                               "crossmatch against the patient's own sample.")
        if result == COMPATIBLE:
            # A "compatible" crossmatch of a unit the patient's group rules out would clear a wrong-group
            # unit for issue (e.g. while the groupings disagree after a wrong blood in tube).
            wrong = incompatibility(unit_facts(unit), load_profile(session, person.id), now=utcnow())
            if wrong:
                raise InvalidInput(f"{wrong} A compatible crossmatch of this unit is not recorded: choose a "
                                   "unit compatible with the patient, or record the crossmatch as incompatible.")
        row = Crossmatch(patient_id=person.id, unit_id=unit.id, sample_id=sample.id, result=result, method=method,
                         recorded_at=utcnow(), recorded_by=uow.actor)
        session.add(row)
        session.flush()
        unit_moves.record_event(uow, unit, "crossmatch", detail={
            "crossmatch_id": row.id, "patient_id": person.id, "result": result, "sample": sample.sample_number})
        uow.audit("record_crossmatch", "crossmatch", row.id, new={
            "patient_id": person.id, "unit_id": unit.id, "din": unit.din, "sample_id": sample.id,
            "result": result, "method": method})
        view = _view(row, unit.din)
        uow.commit()
    return view


def current_crossmatch(session: Session, *, patient_ids: list[int], unit_id: int, now: datetime) -> Crossmatch | None:
    """The crossmatch that decides issue of this unit to this person.

    An incompatible result, whenever found, wins: the patient's plasma reacted
    with this unit and no later result makes that safe without investigation.
    Otherwise the latest compatible one on a sample still valid now.
    """
    incompatible = session.execute(
        select(Crossmatch).where(Crossmatch.unit_id == unit_id, Crossmatch.patient_id.in_(patient_ids),
                                 Crossmatch.result == INCOMPATIBLE)
        .order_by(Crossmatch.recorded_at.desc(), Crossmatch.id.desc()).limit(1)
    ).scalar_one_or_none()
    if incompatible is not None:
        return incompatible
    return session.execute(
        select(Crossmatch).join(PatientSample, PatientSample.id == Crossmatch.sample_id)
        .where(Crossmatch.unit_id == unit_id, Crossmatch.patient_id.in_(patient_ids),
               Crossmatch.result == COMPATIBLE, PatientSample.taken_at >= now - SAMPLE_VALIDITY)
        .order_by(Crossmatch.recorded_at.desc(), Crossmatch.id.desc()).limit(1)
    ).scalar_one_or_none()


def any_crossmatch(session: Session, *, patient_ids: list[int], unit_id: int) -> Crossmatch | None:
    return session.execute(
        select(Crossmatch).where(Crossmatch.unit_id == unit_id, Crossmatch.patient_id.in_(patient_ids))
        .order_by(Crossmatch.recorded_at.desc(), Crossmatch.id.desc()).limit(1)
    ).scalar_one_or_none()


def _view(row: Crossmatch, din: str) -> CrossmatchView:
    return CrossmatchView(id=row.id, patient_id=row.patient_id, unit_id=row.unit_id, din=din,
                          sample_id=row.sample_id, result=row.result, method=row.method,
                          recorded_at=row.recorded_at, recorded_by=row.recorded_by)


def crossmatch_view(row: Crossmatch, din: str) -> CrossmatchView:
    return _view(row, din)


def list_crossmatches(uow: UnitOfWork, *, patient_id: int) -> list[CrossmatchView]:
    """Every crossmatch of the person (all their records), newest first."""
    with uow:
        session = uow.session
        ids = records_of_person(session, scope.patient(uow, patient_id).id)
        rows = session.execute(
            select(Crossmatch, Unit.din).join(Unit, Unit.id == Crossmatch.unit_id)
            .where(Crossmatch.patient_id.in_(ids)).order_by(Crossmatch.recorded_at.desc(), Crossmatch.id.desc())
        ).all()
        return [_view(row, din) for row, din in rows]
