"""Patient records: registration (never two records under one identifier), look-up, search.

A merged record stays in the table pointing at its survivor (see
patient_merge): look-ups follow it, so whoever scans an old wristband lands on
the one record that holds the person's whole history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import EmergencyIdentity, Hospital, Patient, PatientIdentifier
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.text import clean_name
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound, PossibleDuplicate
from bloodbank.domain.hospital_scope import HospitalScope
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.patients import (
    IDENTIFIER_SYSTEMS, candidate_identifiers, emergency_number, emergency_serial, normalize_identifier,
    normalize_sex,
)
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.patient_records import (  # noqa: F401 (imported from here by other modules)
    current_patient, find_patient_by_identifier, records_of_person,
)
from bloodbank.service_layer.shared import audit
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.clocks import clock_of_hospital, today_on
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

MAX_SEARCH_RESULTS = 200
MAX_AGE = 120


@dataclass(frozen=True)
class PatientView:
    id: int
    given_name: str
    family_name: str
    date_of_birth: date | None
    date_of_birth_estimated: bool
    sex: str | None
    hospital_id: int | None
    merged_into_id: int | None
    identifiers: tuple[tuple[str, str], ...]  # (system, value) of every record of the person

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or "Unknown patient"

    def identifier(self, system: str) -> str | None:
        return next((value for s, value in self.identifiers if s == system), None)


def patient_view(session: Session, row: Patient) -> PatientView:
    ids = records_of_person(session, row.id) if row.merged_into_id is None else [row.id]
    identifiers = session.execute(
        select(PatientIdentifier.system, PatientIdentifier.value)
        .where(PatientIdentifier.patient_id.in_(ids)).order_by(PatientIdentifier.id)
    ).all()
    return PatientView(
        id=row.id, given_name=row.given_name, family_name=row.family_name, date_of_birth=row.date_of_birth,
        date_of_birth_estimated=row.date_of_birth_estimated, sex=row.sex, hospital_id=row.hospital_id,
        merged_into_id=row.merged_into_id, identifiers=tuple((s, v) for s, v in identifiers),
    )


def patient_today(session: Session, patient: Patient) -> date:
    """Today on the clock of the patient's hospital: the day requirements and dates are judged on."""
    return today_on(clock_of_hospital(session, patient.hospital_id))


# ---------------------------------------------------------------- registration


def register_patient(uow: UnitOfWork, *, hospital_id: int, identifiers: list[tuple[str, str]],
                     given_name: str = "", family_name: str = "", date_of_birth: date | None = None,
                     sex: str | None = None) -> PatientView:
    """A new patient record of one of the caller's hospitals, refused if any identifier is already on file (never
    a second record)."""
    wanted = _identifiers(identifiers)
    fields = dict(given_name=_name(given_name, "given name"), family_name=_name(family_name, "family name"),
                  date_of_birth=_date_of_birth(date_of_birth), sex=normalize_sex(sex))
    with uow:
        session = uow.session
        scope.hospital(uow, hospital_id)
        _check_hospital_numbers(session, wanted)
        _refuse_taken(uow, wanted)
        patient = Patient(hospital_id=hospital_id, date_of_birth_estimated=False, **fields)
        session.add(patient)
        session.flush()
        for system, value in wanted:
            session.add(PatientIdentifier(patient_id=patient.id, system=system, value=value, added_at=utcnow()))
        _flush_identifiers(session, wanted)
        uow.audit("register", "patient", patient.id, new={**snapshot(patient), "identifiers": wanted})
        view = patient_view(session, patient)
        uow.commit()
        return view


IDENTITY_FIELDS = ("given_name", "family_name", "date_of_birth", "date_of_birth_estimated", "sex")
MAX_REASON = 500


@dataclass(frozen=True)
class PatientChange:
    """One change to a patient's record as the audit log holds it: who, when, which details, and why."""

    at: datetime
    actor: str
    action: str
    fields: tuple[str, ...]
    reason: str | None


def update_patient_details(uow: UnitOfWork, *, patient_id: int, reason: str, **changes) -> PatientView:
    """Correct a patient's name, date of birth or sex, with the reason; what it was stays in the audit log.

    The bedside check matches identifiers, not names, but the tag and every screen show these, so a change
    needs a reason. A merged-away record's id corrects the record that holds the person now.
    """
    unknown = set(changes) - set(IDENTITY_FIELDS)
    if unknown:
        raise InvalidInput(f"A patient's {', '.join(sorted(unknown))} cannot be changed here: only "
                           f"{', '.join(f.replace('_', ' ') for f in IDENTITY_FIELDS)}.")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput("Give the reason for the change (e.g. 'name misspelt at admission', 'date of birth "
                           "confirmed from the passport'): nothing was changed.")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"The reason is at most {MAX_REASON} characters.")
    cleaned: dict[str, object] = {}
    for name, value in changes.items():
        if name in ("given_name", "family_name"):
            cleaned[name] = _name(value, name.replace("_", " "))
        elif name == "date_of_birth":
            cleaned[name] = _date_of_birth(value)
        elif name == "date_of_birth_estimated":
            if not isinstance(value, bool):
                raise InvalidInput("Say whether the date of birth is estimated: true or false.")
            cleaned[name] = value
        else:
            cleaned[name] = normalize_sex(value)
    with uow:
        session = uow.session
        patient = scope.patient(uow, patient_id)
        old = {k: getattr(patient, k) for k in cleaned if getattr(patient, k) != cleaned[k]}
        if old:
            for name in old:
                setattr(patient, name, cleaned[name])
            session.flush()
            uow.audit("update", "patient", patient.id, old=snapshot_values(old),
                      new=snapshot_values({k: cleaned[k] for k in old}), reason=reason)
        view = patient_view(session, patient)
        uow.commit()
        return view


def patient_history(uow: UnitOfWork, *, patient_id: int, role: str, limit: int = 50) -> list[PatientChange]:
    """The changes to every record of this person, newest first, as the reader's role may see them."""
    with uow:
        ids = records_of_person(uow.session, scope.patient(uow, patient_id).id)
    entries, _total = audit.list_entries_for(uow.again(), role=role, entity="patient",
                                             entity_ids=tuple(ids), limit=limit)
    return [PatientChange(at=e.at, actor=e.actor, action=e.action, fields=tuple(sorted((e.new or {}).keys())),
                          reason=e.reason) for e in entries]


def snapshot_values(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def register_emergency_patient(uow: UnitOfWork, *, hospital_id: int, sex: str | None = None,
                               approximate_age: int | None = None) -> PatientView:
    """An unidentified patient, given the next emergency number (EM-YYYY-NNNN).

    The guessed age becomes a date of birth marked as estimated; merge the
    record into the real one once the patient is identified.
    """
    with uow:
        patient = new_emergency_patient(uow, hospital_id=hospital_id, sex=sex, approximate_age=approximate_age)
        view = patient_view(uow.session, patient)
        uow.commit()
        return view


def new_emergency_patient(uow: UnitOfWork, *, hospital_id: int, sex: str | None, approximate_age: int | None,
                          number: str | None = None, detail: dict | None = None) -> Patient:
    """The unidentified patient's record inside the caller's transaction: the next emergency number, or the
    pre-printed `number` of a wristband scanned."""
    sex = normalize_sex(sex)
    today = utcnow().date()
    born = None
    if approximate_age is not None:
        if isinstance(approximate_age, bool) or not isinstance(approximate_age, int) \
                or not 0 <= approximate_age <= MAX_AGE:
            raise InvalidInput(f"The approximate age is a whole number of years from 0 to {MAX_AGE}.")
        born = date(today.year - approximate_age, 1, 1)
    session = uow.session
    scope.hospital(uow, hospital_id)
    patient = Patient(hospital_id=hospital_id, sex=sex, date_of_birth=born,
                      date_of_birth_estimated=born is not None)
    session.add(patient)
    session.flush()
    if number is None:
        number = _add_emergency_number(session, patient.id, today.year)
    else:
        session.add(PatientIdentifier(patient_id=patient.id, system="emergency", value=number, added_at=utcnow()))
        _flush_identifiers(session, [("emergency", number)])
    uow.audit("register_emergency", "patient", patient.id,
              new={**snapshot(patient), "identifiers": [("emergency", number)],
                   "approximate_age": approximate_age, **(detail or {})})
    return patient


def _add_emergency_number(session: Session, patient_id: int, year: int) -> str:
    # Two trauma calls at once may pick the same next number: the unique index refuses the
    # second, which takes the one after, inside a savepoint so the transaction survives.
    for _ in range(10):
        number = emergency_number(year, _last_emergency_serial(session, year) + 1)
        try:
            with session.begin_nested():
                session.add(PatientIdentifier(patient_id=patient_id, system="emergency", value=number,
                                              added_at=utcnow()))
            return number
        except IntegrityError:
            continue
    raise Conflict("Could not give an emergency number: too many at once. Try again.")


def _last_emergency_serial(session: Session, year: int) -> int:
    """The highest number given or printed ahead (a wristband in a trauma bay's pack is never given again)."""
    prefix = f"EM-{year:04d}-"
    given = session.execute(
        select(PatientIdentifier.value)
        .where(PatientIdentifier.system == "emergency", PatientIdentifier.value.startswith(prefix))
        .order_by(func.length(PatientIdentifier.value).desc(), PatientIdentifier.value.desc()).limit(1)
    ).scalar()
    printed = session.execute(
        select(EmergencyIdentity.number).where(EmergencyIdentity.number.startswith(prefix))
        .order_by(func.length(EmergencyIdentity.number).desc(), EmergencyIdentity.number.desc()).limit(1)
    ).scalar()
    serials = [parsed[1] for parsed in (emergency_serial(v) for v in (given, printed) if v) if parsed]
    return max(serials, default=0)


def add_identifier(uow: UnitOfWork, *, patient_id: int, system: str, value: str,
                   reason: str = "") -> PatientView:
    """Another identifier for the person (e.g. the NHS number once known)."""
    wanted = [normalize_identifier(system, value)]
    with uow:
        session = uow.session
        patient = scope.patient(uow, patient_id)
        _check_hospital_numbers(session, wanted)
        _refuse_taken(uow, wanted, same_person=patient.id)
        session.add(PatientIdentifier(patient_id=patient.id, system=wanted[0][0], value=wanted[0][1],
                                      added_at=utcnow()))
        _flush_identifiers(session, wanted)
        uow.audit("add_identifier", "patient", patient.id, new={"identifier": list(wanted[0])},
                  reason=(reason or "").strip() or None)
        view = patient_view(session, patient)
        uow.commit()
        return view


# ---------------------------------------------------------------- look-up


def get_patient(uow: UnitOfWork, patient_id: int) -> PatientView:
    """The patient's record; a merged record gives the record it was merged into."""
    with uow:
        return patient_view(uow.session, scope.patient(uow, patient_id))


def lookup_patient(uow: UnitOfWork, text: str) -> PatientView:
    """The patient holding an identifier ("mrn:RXH:123456", "EM-2026-0001"), or "id:42" for a record id."""
    raw = (text or "").strip()
    with uow:
        session = uow.session
        if raw.lower().startswith("id:") and raw[3:].strip().isdigit():
            return patient_view(session, scope.patient(uow, record_id(raw[3:])))
        patient = scope.patient_by_identifier(uow, raw)
        if patient is None:
            raise NotFound(f"No patient has the identifier {raw}.")
        return patient_view(session, patient)


MAX_RECORD_ID = MAX_ID


def record_id(text: str) -> int:
    """A record number typed after "id:"; one no database could hold is simply not on file."""
    number = int(text.strip())
    if number > MAX_RECORD_ID:
        raise NotFound(f"There is no patient record {text.strip()}.")
    return number


def find_patients(uow: UnitOfWork, text: str) -> list[PatientView]:
    """By any identifier, or by names: every word must start a given or family name. Only patients the caller sees."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Type an identifier or a name to search for.")
    with uow:
        session = uow.session
        found: dict[int, Patient] = {}
        wanted = candidate_identifiers(text)
        if wanted:
            rows = session.execute(select(PatientIdentifier.patient_id).where(
                tuple_(PatientIdentifier.system, PatientIdentifier.value).in_(wanted),
                scope.patient_records_visible(uow.scope, PatientIdentifier.patient_id))).scalars().all()
            for row_id in rows:
                survivor = current_patient(session, row_id)
                found.setdefault(survivor.id, survivor)
        for row in _by_name(session, text, uow.scope):
            found.setdefault(row.id, row)
        return [patient_view(session, row) for row in list(found.values())[:MAX_SEARCH_RESULTS]]


def _by_name(session: Session, text: str, seen: HospitalScope) -> list[Patient]:
    words = [w for w in text.lower().split() if w]
    statement = select(Patient).where(Patient.merged_into_id.is_(None), scope.survivors_visible(seen))
    for word in words:
        pattern = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(func.lower(Patient.given_name).like(pattern, escape="\\"),
                                        func.lower(Patient.family_name).like(pattern, escape="\\")))
    return list(session.execute(statement.order_by(Patient.family_name, Patient.given_name, Patient.id)
                                .limit(MAX_SEARCH_RESULTS)).scalars())


# ---------------------------------------------------------------- checks


def _identifiers(identifiers) -> list[tuple[str, str]]:
    if not identifiers:
        raise InvalidInput("A patient needs at least one identifier (hospital number, NHS number, …).")
    wanted: list[tuple[str, str]] = []
    for pair in identifiers:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InvalidInput(f"An identifier is a type and a value, e.g. ('mrn', 'RXH:123456'); got {pair!r}.")
        normalized = normalize_identifier(*pair)
        if normalized not in wanted:
            wanted.append(normalized)
    return wanted


def _refuse_taken(uow: UnitOfWork, wanted: list[tuple[str, str]], *, same_person: int | None = None) -> None:
    session = uow.session
    rows = session.execute(select(PatientIdentifier).where(
        tuple_(PatientIdentifier.system, PatientIdentifier.value).in_(wanted))).scalars().all()
    for row in rows:
        owner = current_patient(session, row.patient_id)
        name = IDENTIFIER_SYSTEMS[row.system].name.lower()
        if owner.id == same_person:
            raise Conflict(f"This patient already has the {name} {row.value}.")
        if not scope.sees_person(uow.session, uow.scope, owner):
            # An identifier is on file once: say so, but not whose record of which hospital it is.
            raise Conflict(f"The {name} {row.value} is already on file for a patient of another hospital: nothing "
                           "was saved. An order the blood bank places for that patient at your hospital opens "
                           "their record to you.")
        raise PossibleDuplicate(
            f"The {name} {row.value} already belongs to patient {owner.id} "
            f"({patient_view(session, owner).display_name}). Nothing was saved: use that record, "
            "or merge the two if they are the same person.",
            candidates=[patient_view(session, owner)],
        )


def _flush_identifiers(session: Session, wanted: list[tuple[str, str]]) -> None:
    try:
        session.flush()
    except IntegrityError:
        values = ", ".join(f"{s}:{v}" for s, v in wanted)
        raise Conflict(f"The identifier {values} was given to another patient a moment ago; "
                       "search for it and use that record.") from None


def _check_hospital_numbers(session: Session, wanted: list[tuple[str, str]]) -> None:
    # A typo in the hospital code would make a number nobody can find again.
    for system, value in wanted:
        if system == "mrn":
            code = value.split(":", 1)[0]
            if session.execute(select(Hospital.id).where(Hospital.code == code)).first() is None:
                raise InvalidInput(f"The hospital number {value} names hospital {code}, which is not on file.")


def _name(value: object, what: str) -> str:
    """Empty for a patient not yet identified; otherwise the same rule as a donor's name."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    return clean_name(value, what)


def _date_of_birth(value: object) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date):
        raise InvalidInput(f"The date of birth must be a date (YYYY-MM-DD); got {value!r}.")
    today = utcnow().date()
    if value > today or value.year < today.year - MAX_AGE:
        raise InvalidInput(f"The date of birth {value.isoformat()} is not possible: check it.")
    return value


MAX_PAGE = 200


def list_patients(uow: UnitOfWork, *, hospital_id: int | None = None, limit: int = 50,
                  offset: int = 0) -> tuple[list[PatientView], int]:
    """A page of patient records (merged-away records left out) and how many there are in all."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"Show between 1 and {MAX_PAGE} patients at a time.")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInput("The offset is a whole number, 0 or more.")
    with uow:
        session = uow.session
        conditions = [Patient.merged_into_id.is_(None), scope.survivors_visible(uow.scope)]
        if hospital_id is not None:
            conditions.append(Patient.hospital_id == hospital_id)
        total = session.scalar(select(func.count()).select_from(Patient).where(*conditions))
        rows = session.execute(select(Patient).where(*conditions)
                               .order_by(Patient.family_name, Patient.given_name, Patient.id)
                               .limit(limit).offset(offset)).scalars().all()
        return [patient_view(session, row) for row in rows], total
