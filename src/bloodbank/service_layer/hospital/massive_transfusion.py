"""Massive transfusion protocols: a hospital's ratio, activating one for a patient, ending it under signature.

The rounds (coolers) are `mtp_rounds`; what the screen and the report show is
`mtp_views`. A protocol belongs to the patient's hospital and is seen by whoever
sees that hospital.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import HospitalMtpRatio, MassiveTransfusion, Signature, User
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import access
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.massive_transfusion import Ratio, parse_ratio, rules
from bloodbank.domain.messages import N_
from bloodbank.domain.text import clean_text
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.hospital.mtp_views import MtpView, mtp_view
from bloodbank.service_layer.hospital.patient_records import records_of_person
from bloodbank.service_layer.shared.incident_tags import open_incident
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff.signatures import check_signer

END_ACTION = "end_massive_transfusion"
MAX_LISTED = 200


@dataclass(frozen=True)
class HospitalRatioView:
    hospital_id: int
    ratio: Ratio
    own: bool  # the hospital's own, or the default protocol's
    reason: str
    set_at: datetime | None
    set_by: str | None
    source: str


def hospital_ratio(uow: UnitOfWork, *, hospital_id: int | str) -> HospitalRatioView:
    with uow:
        hospital = scope.hospital(uow, hospital_id)
        return _ratio_view(uow.session.get(HospitalMtpRatio, hospital.id), hospital.id)


def _ratio_view(row: HospitalMtpRatio | None, hospital_id: int) -> HospitalRatioView:
    if row is None:
        default = rules().protocols[rules().default]
        return HospitalRatioView(hospital_id, default.ratio, False, "", None, None, default.source)
    return HospitalRatioView(hospital_id, Ratio(row.red_cells, row.plasma, row.platelets), True, row.reason,
                             row.set_at, row.set_by, "")


def set_hospital_ratio(uow: UnitOfWork, *, hospital_id: int | str, ratio: str, reason: str) -> HospitalRatioView:
    """The hospital's own red cells : plasma : platelet doses per round, with its reason; protocols already
    active keep the ratio they started with."""
    wanted = parse_ratio(ratio)
    reason = clean_text(reason, "reason", 500)
    if not reason:
        raise InvalidInput(N_("Say why this hospital uses its own ratio (e.g. 'transfusion committee, May 2026')."))
    with uow:
        session = uow.session
        hospital = scope.hospital(uow, hospital_id)
        row = session.get(HospitalMtpRatio, hospital.id, with_for_update=True)
        old = None if row is None else {"ratio": Ratio(row.red_cells, row.plasma, row.platelets).text,
                                        "reason": row.reason}
        if row is None:
            row = HospitalMtpRatio(hospital_id=hospital.id)
            session.add(row)
        row.red_cells, row.plasma, row.platelets = wanted.red_cells, wanted.plasma, wanted.platelets
        row.reason, row.set_at, row.set_by = reason, utcnow(), uow.actor
        session.flush()
        uow.audit("set_ratio", "hospital_mtp_ratio", hospital.id, old=old, new={"ratio": wanted.text},
                  reason=reason)
        view = _ratio_view(row, hospital.id)
        uow.commit()
        return view


def activate(uow: UnitOfWork, *, patient_id: int, reason: str, incident_id: int | None = None) -> MtpView:
    """Massive transfusion for this patient (an unidentified one included), on their hospital's ratio."""
    reason = clean_text(reason, "reason", 500)
    if not reason:
        raise InvalidInput(N_("Say why massive transfusion is activated (e.g. 'blast injury, trauma bay 1')."))
    with uow:
        session = uow.session
        person = scope.patient(uow, patient_id)
        if person.hospital_id is None or not uow.scope.includes(person.hospital_id):
            raise InvalidInput(N_("Massive transfusion is activated by the patient's own hospital: this patient is "
                                  "not registered at one of yours."))
        running = _active_for(session, records_of_person(session, person.id))
        if running is not None:
            raise Conflict(N_("Massive transfusion is already active for this patient (protocol %(id)s)."),
                           params={"id": running.id})
        ratio = _ratio_view(session.get(HospitalMtpRatio, person.hospital_id), person.hospital_id).ratio
        row = MassiveTransfusion(
            hospital_id=person.hospital_id, patient_id=person.id, incident_id=open_incident(session, incident_id),
            red_cells=ratio.red_cells, plasma=ratio.plasma, platelets=ratio.platelets, reason=reason,
            activated_at=utcnow(), activated_by=uow.actor, end_note="")
        session.add(row)
        session.flush()
        uow.audit("activate", "massive_transfusion", row.id, new={
            "patient_id": person.id, "hospital_id": person.hospital_id, "ratio": ratio.text,
            "incident_id": row.incident_id}, reason=reason)
        view = mtp_view(session, row)
        uow.commit()
        return view


def _active_for(session, patient_ids: list[int]) -> MassiveTransfusion | None:
    return session.execute(select(MassiveTransfusion).where(
        MassiveTransfusion.patient_id.in_(patient_ids), MassiveTransfusion.ended_at.is_(None))
        .order_by(MassiveTransfusion.id).limit(1)).scalar_one_or_none()


def load(uow: UnitOfWork, mtp_id: int, *, lock: bool = False) -> MassiveTransfusion:
    """A protocol of one of the caller's hospitals; any other is not found, like one that does not exist."""
    statement = select(MassiveTransfusion).where(MassiveTransfusion.id == mtp_id)
    row = uow.session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if row is None or not uow.scope.includes(row.hospital_id):
        raise NotFound(N_("There is no massive transfusion protocol %(id)s."), params={"id": mtp_id})
    return row


def get(uow: UnitOfWork, *, mtp_id: int) -> MtpView:
    with uow:
        return mtp_view(uow.session, load(uow, mtp_id))


def list_protocols(uow: UnitOfWork, *, active_only: bool = False, limit: int = 50, offset: int = 0
                   ) -> tuple[list[MtpView], int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LISTED:
        raise InvalidInput(N_("Show between 1 and %(most)s protocols."), params={"most": MAX_LISTED})
    with uow:
        session = uow.session
        statement = select(MassiveTransfusion).where(
            scope.hospitals_visible(uow.scope, MassiveTransfusion.hospital_id))
        if active_only:
            statement = statement.where(MassiveTransfusion.ended_at.is_(None))
        rows = session.execute(statement.order_by(MassiveTransfusion.ended_at.is_not(None),
                                                  MassiveTransfusion.activated_at.desc(), MassiveTransfusion.id.desc())
                               ).scalars().all()
        return [mtp_view(session, r) for r in rows[offset:offset + limit]], len(rows)


def deactivate(uow: UnitOfWork, *, mtp_id: int, signer_id: int, password: str, note: str = "") -> MtpView:
    """End the protocol under the clinician's signature; coolers still out are returned as usual afterwards."""
    note = clean_text(note, "note", 500)
    check_signer(uow.again(), user_id=signer_id, password=password, action=END_ACTION)
    with uow:
        session = uow.session
        row = load(uow, mtp_id, lock=True)
        if row.ended_at is not None:
            raise Conflict(N_("Massive transfusion protocol %(id)s has already ended."), params={"id": row.id})
        signer = session.get(User, signer_id)
        if signer is None or not access.may(signer.role, access.Permission.MASSIVE_TRANSFUSION):
            raise InvalidInput(N_("Only a clinician who may run massive transfusion signs its end."))
        now = utcnow()
        view = mtp_view(session, row)
        subject = view.patient.identifier("emergency") or view.patient.display_name
        meaning = access.signature_meaning(END_ACTION, subject)
        signature = Signature(user_id=signer.id, signer_name=signer.full_name, signed_at=now, action=END_ACTION,
                              meaning=meaning, entity="massive_transfusion", entity_id=str(row.id))
        session.add(signature)
        session.flush()
        row.ended_at, row.ended_by, row.end_signature_id, row.end_note = now, uow.actor, signature.id, note
        session.flush()
        uow.audit("sign", "massive_transfusion", row.id,
                  new={"action": END_ACTION, "meaning": meaning, "signer": signer.username})
        uow.audit("deactivate", "massive_transfusion", row.id, old={"ended_at": None},
                  new={"ended_at": now, "signature_id": signature.id}, reason=note or None)
        view = mtp_view(session, row)
        uow.commit()
        return view
