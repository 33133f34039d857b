"""A patient's samples, groupings, antibody screens, antibodies and special requirements.

Nothing here is ever deleted or overwritten: a grouping that disagrees with an
earlier one is stored and makes the patient "discrepant" (group O red cells
only until the lab resolves it), and a requirement that ends keeps its row.
Everything is recorded against the surviving record of the person.

A grouping typed by hand (`manually_edited`) counts towards the patient's
group only once a blind second entry agrees with it
(`give_grouping_second_entry`, `domain.second_entry`); until then the patient
is treated as ungrouped for issue. A second entry that disagrees is kept too
and makes the patient discrepant, naming both groups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    AntibodyScreen, PatientAntibody, PatientGrouping, PatientSample, SpecialRequirement,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.issue import SAMPLE_VALIDITY, electronic_issue_allowed
from bloodbank.domain.lab_tests import GROUPING
from bloodbank.domain.patient_profile import PatientProfile
from bloodbank.domain.patients import antibody_name, grouping_status, normalize_group, requirement_code
from bloodbank.domain.requirements import group_status, manual_checks
from bloodbank.domain.second_entry import (
    ANALYSER, AWAITING, MANUAL, NOT_NEEDED, UNRECORDED, Check, Entry, SecondEntryDisagrees, check,
)
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.patient_profile import active_requirements, load_profile
from bloodbank.service_layer.hospital.patients import (
    PatientView, current_patient, patient_today, patient_view, records_of_person,
)
from bloodbank.service_layer.shared.audit_snapshots import changes, snapshot
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

_SAMPLE_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9/-]{0,39}$")


@dataclass(frozen=True)
class SampleView:
    id: int
    patient_id: int
    sample_number: str
    taken_at: datetime
    taken_by: str


@dataclass(frozen=True)
class GroupingView:
    id: int
    patient_id: int
    sample_id: int | None
    blood_group: str
    manually_edited: bool
    # The patient's grouping status with this result: unverified / single / confirmed / discrepant.
    status: str
    # Whether this grouping counts yet (`domain.second_entry`): not_needed, awaiting_second_entry, verified,
    # disputed.
    check: str = NOT_NEEDED
    second_entry_by: str | None = None
    second_entry_at: datetime | None = None


@dataclass(frozen=True)
class AwaitingGrouping:
    """A grouping typed by hand waiting for its second entry: whose and which sample, never which group."""

    grouping_id: int
    patient_id: int  # the surviving record of the person
    patient_name: str
    identifiers: tuple[tuple[str, str], ...]
    sample_id: int | None
    sample_number: str | None
    tested_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class ScreenView:
    id: int
    patient_id: int
    sample_id: int | None
    positive: bool
    manually_edited: bool


@dataclass(frozen=True)
class AntibodyView:
    id: int
    patient_id: int
    antibody: str
    clinically_significant: bool
    note: str


@dataclass(frozen=True)
class RequirementView:
    id: int
    patient_id: int
    requirement: str
    reason: str
    since: date
    until: date | None
    recorded_by: str
    active: bool  # on the server's today


@dataclass(frozen=True)
class PatientRecord:
    """What the lab screen shows: the whole person's profile, and the requirement rows to end."""

    profile: PatientProfile
    grouping_status: str
    requirements: tuple[RequirementView, ...]


def record_sample(uow: UnitOfWork, *, patient_id: int, sample_number: str, taken_by: str) -> SampleView:
    number = sample_number.strip().upper() if isinstance(sample_number, str) else ""
    if not _SAMPLE_NUMBER.match(number):
        raise InvalidInput(f"A sample number is letters, digits, '/' or '-', at most 40; got {sample_number!r}.")
    taken_by = _required(taken_by, "who took the sample")
    with uow:
        session = uow.session
        patient = scope.patient(uow, patient_id)
        if session.execute(select(PatientSample.id).where(PatientSample.sample_number == number)).first():
            raise Conflict(f"Sample number {number} is already on file: a sample number is used once.")
        now = utcnow()
        row = PatientSample(patient_id=patient.id, sample_number=number, taken_at=now, taken_by=taken_by,
                            received_at=now)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"Sample number {number} was recorded a moment ago by someone else.") from None
        uow.audit("record_sample", "patient", patient.id, new=snapshot(row))
        view = SampleView(row.id, row.patient_id, row.sample_number, row.taken_at, row.taken_by)
        uow.commit()
        return view


def record_grouping(uow: UnitOfWork, *, patient_id: int, sample_id: int, blood_group: str,
                    manually_edited: bool = False) -> GroupingView:
    group = normalize_group(blood_group)
    with uow:
        session = uow.session
        patient = scope.patient(uow, patient_id)
        _sample_of(uow, patient.id, sample_id)
        row = PatientGrouping(patient_id=patient.id, sample_id=sample_id, blood_group=group, tested_at=utcnow(),
                              recorded_by=uow.actor, manually_edited=bool(manually_edited), historical=False,
                              source=MANUAL if manually_edited else ANALYSER)
        session.add(row)
        session.flush()
        status = grouping_status(load_profile(session, patient.id))
        uow.audit("record_grouping", "patient", patient.id, new={**snapshot(row), "grouping_status": status},
                  reason="DISCREPANT with an earlier grouping: group O red cells only until resolved"
                  if status == "discrepant" else None)
        view = _grouping_view(row, patient.id, status)
        uow.commit()
        return view


def _grouping_view(row: PatientGrouping, person_id: int, status: str) -> GroupingView:
    return GroupingView(row.id, person_id, row.sample_id, row.blood_group, row.manually_edited, status,
                        _entry_check(row).state, row.second_entry_by, row.second_entry_at)


def _entry_check(row: PatientGrouping) -> Check:
    second = Entry("typed", row.second_entry_group) if row.second_entry_at is not None else None
    return check(GROUPING, row.source, True, Entry("typed", row.blood_group), second)


def groupings_awaiting_second_entry(uow: UnitOfWork, *, patient_id: int | None = None) -> list[AwaitingGrouping]:
    """Groupings typed by hand still waiting for their second entry, oldest first, without their group."""
    with uow:
        session = uow.session
        query = select(PatientGrouping).where(
            PatientGrouping.in_error_at.is_(None), PatientGrouping.second_entry_at.is_(None),
            PatientGrouping.source.not_in((ANALYSER, UNRECORDED)),
            scope.patient_records_visible(uow.scope, PatientGrouping.patient_id),
        ).order_by(PatientGrouping.tested_at, PatientGrouping.id)
        if patient_id is not None:
            query = query.where(PatientGrouping.patient_id.in_(
                records_of_person(session, scope.patient(uow, patient_id).id)))
        return [_awaiting(session, row) for row in session.execute(query).scalars()
                if _entry_check(row).state == AWAITING]


def awaiting_grouping(uow: UnitOfWork, grouping_id: int, *, patient_id: int | None = None) -> AwaitingGrouping:
    """One grouping to enter again, without its group; refused, in words, if it needs no second entry."""
    with uow:
        session = uow.session
        row = _grouping_of(uow, grouping_id, patient_id)
        _refuse_second_entry(row)
        return _awaiting(session, row)


def give_grouping_second_entry(uow: UnitOfWork, *, grouping_id: int, blood_group: str,
                               patient_id: int | None = None) -> GroupingView:
    """The blind second entry of a grouping typed by hand: stored whatever it says.

    Agreeing, the grouping counts towards the patient's group; disagreeing, both entries are kept, the patient
    is discrepant (group O red cells, AB plasma) and `SecondEntryDisagrees` names both groups. Anyone allowed to
    record patient results may give it, whoever typed the first entry included (`domain.second_entry`).
    """
    group = normalize_group(blood_group)
    with uow:
        session = uow.session
        row = _grouping_of(uow, grouping_id, patient_id, lock=True)
        _refuse_second_entry(row)
        person = current_patient(session, row.patient_id)
        before = grouping_status(load_profile(session, person.id))
        row.second_entry_group, row.second_entry_at, row.second_entry_by = group, utcnow(), uow.actor
        session.flush()
        verdict = _entry_check(row)
        status = grouping_status(load_profile(session, person.id))
        uow.audit("grouping_second_entry", "patient", person.id,
                  old={"grouping_id": row.id, "blood_group": row.blood_group, "recorded_by": row.recorded_by,
                       "grouping_status": before},
                  new={"grouping_id": row.id, "second_entry_group": group, "check": verdict.state,
                       "second_person": (uow.actor or "").lower() != (row.recorded_by or "").lower(),
                       "grouping_status": status},
                  reason=verdict.disagreement.message if verdict.disagreement else None)
        view = _grouping_view(row, person.id, status)
        uow.commit()
    if verdict.disagreement is not None:
        raise SecondEntryDisagrees(verdict.disagreement, f"Grouping {view.id} of patient record {view.patient_id}")
    return view


def _grouping_of(uow: UnitOfWork, grouping_id: int, patient_id: int | None, *,
                 lock: bool = False) -> PatientGrouping:
    session = uow.session
    row = scope.grouping(uow, grouping_id, lock=lock)
    # A URL about one patient must not reach another's grouping.
    if patient_id is not None \
            and row.patient_id not in records_of_person(session, scope.patient(uow, patient_id).id):
        raise NotFound(f"There is no grouping {grouping_id} for this patient.")
    return row


def _refuse_second_entry(row: PatientGrouping) -> None:
    """Why this grouping takes no second entry, in words; nothing when it is waiting for one."""
    if row.in_error_at is not None:
        raise Conflict(f"Grouping {row.id} was marked entered in error: it no longer counts and takes no second "
                       "entry. Record a new grouping.")
    if row.second_entry_at is not None:
        raise Conflict(f"Grouping {row.id} already has its second entry, given by {row.second_entry_by} at "
                       f"{row.second_entry_at:%Y-%m-%d %H:%M} UTC: a grouping takes one second entry. If it is "
                       "wrong, mark it entered in error.")
    if row.source == ANALYSER:
        raise InvalidInput(f"Grouping {row.id} came from the analyser: it needs no second entry.")
    if row.source == UNRECORDED:
        raise InvalidInput(f"Grouping {row.id} was recorded before groupings typed by hand needed a second entry: "
                           "it counts as it is.")


def _awaiting(session: Session, row: PatientGrouping) -> AwaitingGrouping:
    person = patient_view(session, current_patient(session, row.patient_id))
    sample = session.get(PatientSample, row.sample_id) if row.sample_id is not None else None
    return AwaitingGrouping(row.id, person.id, person.display_name, person.identifiers, row.sample_id,
                            sample.sample_number if sample else None, row.tested_at, row.recorded_by)


def record_antibody_screen(uow: UnitOfWork, *, patient_id: int, sample_id: int, positive: bool,
                           manually_edited: bool = False) -> ScreenView:
    if not isinstance(positive, bool):
        raise InvalidInput("An antibody screen is positive or negative.")
    with uow:
        session = uow.session
        patient = scope.patient(uow, patient_id)
        _sample_of(uow, patient.id, sample_id)
        row = AntibodyScreen(patient_id=patient.id, sample_id=sample_id, positive=positive, tested_at=utcnow(),
                             recorded_by=uow.actor, manually_edited=bool(manually_edited))
        session.add(row)
        session.flush()
        uow.audit("record_antibody_screen", "patient", patient.id, new=snapshot(row))
        view = ScreenView(row.id, patient.id, sample_id, positive, row.manually_edited)
        uow.commit()
        return view


def record_antibody(uow: UnitOfWork, *, patient_id: int, antibody: str, clinically_significant: bool = True,
                    note: str = "") -> AntibodyView:
    name = antibody_name(antibody)
    with uow:
        session = uow.session
        patient = scope.patient(uow, patient_id)
        row = PatientAntibody(patient_id=patient.id, antibody=name, clinically_significant=bool(clinically_significant),
                              identified_at=utcnow(), recorded_by=uow.actor, note=(note or "").strip())
        session.add(row)
        session.flush()
        uow.audit("record_antibody", "patient", patient.id, new=snapshot(row))
        view = AntibodyView(row.id, patient.id, name, row.clinically_significant, row.note)
        uow.commit()
        return view


def add_requirement(uow: UnitOfWork, *, patient_id: int, requirement: str, reason: str,
                    until: date | None = None) -> RequirementView:
    """From today; `until` (inclusive) for a time-limited one, e.g. irradiated for 7 days after a transplant."""
    code = requirement_code(requirement)
    reason = _required(reason, "the reason for the requirement (e.g. 'fludarabine since March')")
    if until is not None and not isinstance(until, date):
        raise InvalidInput("The requirement's end date must be today or later; leave it empty for no end.")
    with uow:
        session = uow.session
        patient = scope.patient(uow, patient_id)
        today = patient_today(session, patient)
        if until is not None and until < today:
            raise InvalidInput("The requirement's end date must be today or later; leave it empty for no end.")
        if code in _active_codes(session, patient.id, today):
            raise Conflict(f"This patient already has an active '{code}' requirement: end it first to change it.")
        row = SpecialRequirement(patient_id=patient.id, requirement=code, reason=reason, since=today, until=until,
                                 recorded_by=uow.actor, recorded_at=utcnow())
        session.add(row)
        session.flush()
        uow.audit("add_requirement", "patient", patient.id, new=snapshot(row), reason=reason)
        view = requirement_view(row, today)
        uow.commit()
        return view


def end_requirement(uow: UnitOfWork, *, requirement_id: int, reason: str) -> RequirementView:
    """No longer active from today; the row stays, with its end date, for the record."""
    reason = _required(reason, "the reason for ending the requirement")
    with uow:
        row = scope.requirement(uow, requirement_id)
        today = patient_today(uow.session, current_patient(uow.session, row.patient_id))
        yesterday = today - timedelta(days=1)
        if row.until is not None and row.until <= yesterday:
            raise Conflict(f"The '{row.requirement}' requirement already ended on {row.until.isoformat()}.")
        before = snapshot(row)
        row.until = yesterday
        uow.session.flush()
        old, new = changes(before, snapshot(row))
        uow.audit("end_requirement", "patient", row.patient_id, old={"id": row.id, **old},
                  new={"id": row.id, **new}, reason=reason)
        view = requirement_view(row, today)
        uow.commit()
        return view


def get_patient_record(uow: UnitOfWork, patient_id: int) -> PatientRecord:
    with uow:
        session = uow.session
        profile = load_profile(session, scope.patient(uow, patient_id).id)
        today = patient_today(session, current_patient(session, profile.patient_id))
        rows = session.execute(
            select(SpecialRequirement)
            .where(SpecialRequirement.patient_id.in_(records_of_person(session, profile.patient_id)))
            .order_by(SpecialRequirement.since, SpecialRequirement.id)
        ).scalars()
        return PatientRecord(profile, grouping_status(profile), tuple(requirement_view(r, today) for r in rows))


def requirement_view(row: SpecialRequirement, today: date) -> RequirementView:
    """Active on `today`, the patient's hospital's day."""
    active = row.since <= today and (row.until is None or row.until >= today)
    return RequirementView(row.id, row.patient_id, row.requirement, row.reason, row.since, row.until,
                           row.recorded_by, active)


def _active_codes(session: Session, patient_id: int, day: date) -> set[str]:
    return set(active_requirements(session, records_of_person(session, patient_id), day))


def _sample_of(uow: UnitOfWork, patient_id: int, sample_id: int) -> PatientSample:
    sample = scope.sample(uow, sample_id)
    # A result on another patient's sample is the wrong-blood-in-tube error this check exists for.
    if sample.patient_id not in records_of_person(uow.session, patient_id):
        raise InvalidInput(f"Sample {sample.sample_number} was taken from another patient: "
                           "check the sample label against the request.")
    return sample


def _required(value: object, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput(f"Give {what}.")
    return text


# ---------------------------------------------------------------- the patient's page

@dataclass(frozen=True)
class SampleRow:
    id: int
    sample_number: str
    taken_at: datetime
    taken_by: str
    valid_for_crossmatch: bool  # taken recently enough to crossmatch against


@dataclass(frozen=True)
class GroupingRow:
    id: int
    sample_id: int | None
    sample_number: str | None
    blood_group: str
    tested_at: datetime
    recorded_by: str
    manually_edited: bool
    historical: bool
    in_error_at: datetime | None = None  # entered in error: shown, never counted
    in_error_by: str | None = None
    in_error_reason: str | None = None
    in_error_confirmed_by: str | None = None
    # Typed by hand: whether it counts yet, and its second entry (`domain.second_entry`).
    source: str = UNRECORDED
    check: str = NOT_NEEDED
    second_entry_group: str | None = None
    second_entry_by: str | None = None
    second_entry_at: datetime | None = None
    disagreement: str | None = None


@dataclass(frozen=True)
class ScreenRow:
    id: int
    sample_id: int | None
    sample_number: str | None
    positive: bool
    tested_at: datetime
    recorded_by: str
    manually_edited: bool


@dataclass(frozen=True)
class AntibodyRow:
    id: int
    antibody: str
    clinically_significant: bool
    identified_at: datetime
    recorded_by: str
    note: str


@dataclass(frozen=True)
class PatientChart:
    """A person's whole transfusion record, from every record merged into theirs."""

    patient: PatientView
    merged_records: tuple[int, ...]  # ids of records merged into this one
    grouping_status: str  # none / unverified / single / confirmed / discrepant
    group_message: str
    confirmed_group: str | None
    electronic_issue_allowed: bool
    electronic_issue_reasons: tuple[str, ...]
    manual_checks: tuple[str, ...]
    samples: tuple[SampleRow, ...]
    groupings: tuple[GroupingRow, ...]
    screens: tuple[ScreenRow, ...]
    antibodies: tuple[AntibodyRow, ...]
    requirements: tuple[RequirementView, ...]


def get_patient_chart(uow: UnitOfWork, patient_id: int) -> PatientChart:
    with uow:
        session = uow.session
        survivor = scope.patient(uow, patient_id)
        ids = records_of_person(session, survivor.id)
        profile = load_profile(session, survivor.id)
        now = utcnow()
        status = group_status(profile)
        allowed, reasons = electronic_issue_allowed(profile, now=now)
        samples = session.execute(select(PatientSample).where(PatientSample.patient_id.in_(ids))
                                  .order_by(PatientSample.taken_at.desc(), PatientSample.id.desc())).scalars().all()
        numbers = {s.id: s.sample_number for s in samples}
        groupings = session.execute(select(PatientGrouping).where(PatientGrouping.patient_id.in_(ids))
                                    .order_by(PatientGrouping.tested_at, PatientGrouping.id)).scalars().all()
        screens = session.execute(select(AntibodyScreen).where(AntibodyScreen.patient_id.in_(ids))
                                  .order_by(AntibodyScreen.tested_at, AntibodyScreen.id)).scalars().all()
        antibodies = session.execute(select(PatientAntibody).where(PatientAntibody.patient_id.in_(ids))
                                     .order_by(PatientAntibody.identified_at, PatientAntibody.id)).scalars().all()
        requirements = session.execute(select(SpecialRequirement).where(SpecialRequirement.patient_id.in_(ids))
                                       .order_by(SpecialRequirement.since, SpecialRequirement.id)).scalars().all()
        return PatientChart(
            patient=patient_view(session, survivor), merged_records=tuple(i for i in ids if i != survivor.id),
            grouping_status=grouping_status(profile), group_message=status.message,
            confirmed_group=str(status.group) if status.confirmed else None,
            electronic_issue_allowed=allowed, electronic_issue_reasons=reasons,
            manual_checks=manual_checks(profile),
            samples=tuple(SampleRow(s.id, s.sample_number, s.taken_at, s.taken_by,
                                    s.taken_at >= now - SAMPLE_VALIDITY) for s in samples),
            groupings=tuple(_grouping_row(g, numbers) for g in groupings),
            screens=tuple(ScreenRow(s.id, s.sample_id, numbers.get(s.sample_id), s.positive, s.tested_at,
                                    s.recorded_by, s.manually_edited) for s in screens),
            antibodies=tuple(AntibodyRow(a.id, a.antibody, a.clinically_significant, a.identified_at,
                                         a.recorded_by, a.note) for a in antibodies),
            requirements=tuple(requirement_view(r, patient_today(session, survivor)) for r in requirements),
        )


def _grouping_row(g: PatientGrouping, numbers: dict[int, str]) -> GroupingRow:
    verdict = _entry_check(g)
    return GroupingRow(g.id, g.sample_id, numbers.get(g.sample_id), g.blood_group, g.tested_at, g.recorded_by,
                       g.manually_edited, g.historical, g.in_error_at, g.in_error_by, g.in_error_reason,
                       g.in_error_confirmed_by, g.source, verdict.state, g.second_entry_group, g.second_entry_by,
                       g.second_entry_at, verdict.disagreement.message if verdict.disagreement else None)


def list_samples(uow: UnitOfWork, *, patient_id: int) -> list[SampleView]:
    """The person's samples (every record), newest first."""
    with uow:
        session = uow.session
        ids = records_of_person(session, scope.patient(uow, patient_id).id)
        rows = session.execute(select(PatientSample).where(PatientSample.patient_id.in_(ids))
                               .order_by(PatientSample.taken_at.desc(), PatientSample.id.desc())).scalars().all()
        return [SampleView(r.id, r.patient_id, r.sample_number, r.taken_at, r.taken_by) for r in rows]
