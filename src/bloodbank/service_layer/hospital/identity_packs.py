"""Emergency identities printed ahead for a trauma bay, and the scan of one that registers the patient at once.

Each number is drawn from the same sequence as the emergency numbers given at
registration (`patients.new_emergency_patient`), which counts printed numbers
too: a number is printed once and never given to anyone else. Scanning a
wristband of a pack registers an unidentified patient under that number at the
pack's hospital; scanning it again opens the same patient. When the person is
identified, the emergency record is merged into theirs as for any emergency
number (`patient_merge`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bloodbank.adapters.db.models import EmergencyIdentity, Hospital, IdentityPack, PatientIdentifier
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.labels.identity_pack import identity_pack_pdf
from bloodbank.adapters.labels.lettering import Catalogue, lettering_in
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.domain.patients import emergency_number, normalize_identifier, split_identifier
from bloodbank.domain.text import clean_text
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.patients import (
    PatientView, _last_emergency_serial, current_patient, new_emergency_patient, patient_view,
)
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

MAX_PACK = 50
MAX_TUBES = 10
DEFAULT_TUBES = 4


@dataclass(frozen=True)
class PackView:
    id: int
    hospital_id: int
    hospital_name: str
    place: str
    numbers: tuple[str, ...]
    registered: tuple[str, ...]  # numbers already scanned onto a patient
    printed_at: datetime
    printed_by: str


@dataclass(frozen=True)
class ScanView:
    patient: PatientView
    registered_now: bool  # False when the wristband had been scanned before


def print_pack(uow: UnitOfWork, *, hospital_id: int | str, count: int, place: str) -> PackView:
    """Reserve `count` numbers for a trauma bay; the PDF is `pack_pdf`."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PACK:
        raise InvalidInput(N_("A pack holds 1 to %(most)s identities."), params={"most": MAX_PACK})
    place = clean_text(place, "place", 100)
    if not place:
        raise InvalidInput(N_("Name the place the pack is for (e.g. 'trauma bay 1')."))
    with uow:
        session = uow.session
        hospital = scope.hospital(uow, hospital_id)
        now = utcnow()
        pack = IdentityPack(hospital_id=hospital.id, place=place, printed_at=now, printed_by=uow.actor)
        session.add(pack)
        session.flush()
        first = _last_emergency_serial(session, now.year) + 1
        numbers = [emergency_number(now.year, serial) for serial in range(first, first + count)]
        session.add_all(EmergencyIdentity(pack_id=pack.id, number=n) for n in numbers)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(N_("Another pack was printed at the same moment: print again.")) from None
        uow.audit("print", "identity_pack", pack.id, new={"hospital_id": hospital.id, "place": place,
                                                          "numbers": [numbers[0], numbers[-1]], "count": count})
        view = _view(session, pack)
        uow.commit()
        return view


def _view(session, pack: IdentityPack) -> PackView:
    rows = session.execute(select(EmergencyIdentity).where(EmergencyIdentity.pack_id == pack.id)
                           .order_by(EmergencyIdentity.id)).scalars().all()
    hospital = session.get(Hospital, pack.hospital_id)
    return PackView(id=pack.id, hospital_id=pack.hospital_id, hospital_name=hospital.name if hospital else "",
                    place=pack.place, numbers=tuple(r.number for r in rows),
                    registered=tuple(r.number for r in rows if r.patient_id is not None),
                    printed_at=pack.printed_at, printed_by=pack.printed_by)


def _pack(uow: UnitOfWork, pack_id: int) -> IdentityPack:
    pack = uow.session.get(IdentityPack, pack_id)
    if pack is None or not uow.scope.includes(pack.hospital_id):
        raise NotFound(N_("There is no identity pack %(id)s."), params={"id": pack_id})
    return pack


def get_pack(uow: UnitOfWork, *, pack_id: int) -> PackView:
    with uow:
        return _view(uow.session, _pack(uow, pack_id))


def list_packs(uow: UnitOfWork, *, limit: int = 50) -> list[PackView]:
    with uow:
        session = uow.session
        rows = session.execute(select(IdentityPack).where(scope.hospitals_visible(uow.scope, IdentityPack.hospital_id))
                               .order_by(IdentityPack.printed_at.desc(), IdentityPack.id.desc()).limit(limit)
                               ).scalars().all()
        return [_view(session, r) for r in rows]


def pack_pdf(uow: UnitOfWork, *, pack_id: int, tubes: int = DEFAULT_TUBES, language: str | None = None,
             catalogue: Catalogue | None = None) -> bytes:
    """The pack as printed: reprinting gives the same numbers, never new ones; its words in `language`, the
    language of whoever prints it, looked up in `catalogue`."""
    if isinstance(tubes, bool) or not isinstance(tubes, int) or not 1 <= tubes <= MAX_TUBES:
        raise InvalidInput(N_("Print 1 to %(most)s sample tube labels per identity."), params={"most": MAX_TUBES})
    view = get_pack(uow, pack_id=pack_id)
    return identity_pack_pdf(list(view.numbers), place=view.place, hospital=view.hospital_name,
                             printed=view.printed_at, tubes=tubes, lettering=lettering_in(language, catalogue))


def _number(scanned: str) -> str:
    system, value = split_identifier(scanned if isinstance(scanned, str) else "")
    if system not in (None, "emergency") or not value:
        raise InvalidInput(N_("Scan the wristband or a tube label of an identity pack (e.g. EM-2026-0001)."))
    return normalize_identifier("emergency", value)[1]


def register_scanned(uow: UnitOfWork, *, scanned: str, sex: str | None = None,
                     approximate_age: int | None = None) -> ScanView:
    """The patient of this pre-printed number: registered now at the pack's hospital, or found if already."""
    number = _number(scanned)
    with uow:
        session = uow.session
        identity = session.execute(select(EmergencyIdentity).where(EmergencyIdentity.number == number)
                                   .with_for_update()).scalar_one_or_none()
        pack = session.get(IdentityPack, identity.pack_id) if identity is not None else None
        if pack is None or not uow.scope.includes(pack.hospital_id):
            raise NotFound(N_("%(number)s is not a number of an identity pack printed for your hospitals."),
                           params={"number": number})
        if identity.patient_id is not None:
            return ScanView(patient_view(session, current_patient(session, identity.patient_id)), False)
        taken = session.execute(select(PatientIdentifier.patient_id).where(
            PatientIdentifier.system == "emergency", PatientIdentifier.value == number)).scalar()
        if taken is not None:
            raise Conflict(N_("%(number)s was given to another patient record: search for it and use that record."),
                           params={"number": number})
        patient = new_emergency_patient(uow, hospital_id=pack.hospital_id, sex=sex, approximate_age=approximate_age,
                                        number=number, detail={"identity_pack_id": pack.id})
        identity.patient_id, identity.registered_at, identity.registered_by = patient.id, utcnow(), uow.actor
        session.flush()
        view = ScanView(patient_view(session, patient), True)
        uow.commit()
        return view
