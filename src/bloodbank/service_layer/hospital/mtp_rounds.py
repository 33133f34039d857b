"""The coolers of a massive transfusion: packed from stock, issued as one, brought back with what was not used.

Packing holds each unit for the patient under an order of the protocol (an
order per kind, urgency `massive_transfusion`, tagged with the incident if
any), so the units are traced like any other. Issuing scans every unit into
the cooler and the patient's identifier, asks `domain.issue.issue_checks` of
each unit, and records each issue through the ordinary issue record. What
comes back goes through the ordinary return rule (`returns.take_back`): on the
shelf only within time and temperature, otherwise discarded as that rule says.
"""

from __future__ import annotations

from sqlalchemy import select

from bloodbank.adapters.db.models import (
    Hospital, Issue, MassiveTransfusion, MtpRound, MtpRoundUnit, Order, Reservation, Transfusion, Unit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import isbt128
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.issue import Refusal, issue_checks
from bloodbank.domain.massive_transfusion import KINDS_OF, Ratio, compose_round
from bloodbank.domain.messages import N_
from bloodbank.service_layer.hospital import massive_transfusion as protocols
from bloodbank.service_layer.hospital.allocation import hold_unit, unit_facts
from bloodbank.service_layer.hospital.crossmatch import current_crossmatch
from bloodbank.service_layer.hospital.issue import record_issue, refuse_if_any
from bloodbank.service_layer.hospital.mtp_views import RoundView, round_view
from bloodbank.service_layer.hospital.patient_profile import load_profile, records_of_person
from bloodbank.service_layer.hospital.patients import current_patient
from bloodbank.service_layer.hospital.returns import take_back
from bloodbank.service_layer.shared.unit_moves import load_unit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

STOCK_KINDS = tuple(kind for kinds in KINDS_OF.values() for kind in kinds)
CANDIDATES = 400
# Uncrossmatched release (`issue_checks(emergency=True)`) is for the emergency red cells and plasma; platelets
# are checked as held units, against the patient as the round judged them.
EMERGENCY_RELEASE_KINDS = frozenset({"red_cells", "plasma"})


def prepare_round(uow: UnitOfWork, *, mtp_id: int) -> RoundView:
    """Pack the next cooler by the protocol's ratio from the stock serving the patient's hospital."""
    with uow:
        session = uow.session
        mtp = protocols.load(uow, mtp_id, lock=True)
        _refuse_if_ended(mtp)
        rounds = session.execute(select(MtpRound).where(MtpRound.mtp_id == mtp.id).order_by(MtpRound.number)
                                 ).scalars().all()
        waiting = next((r for r in rounds if r.issued_at is None), None)
        if waiting is not None:
            raise Conflict(N_("Round %(number)s is packed and not yet issued: issue it before packing another."),
                           params={"number": waiting.number})
        person = current_patient(session, mtp.patient_id)
        hospital = session.get(Hospital, mtp.hospital_id)
        if hospital is None or hospital.site_id is None:
            raise InvalidInput(N_("The patient's hospital has no blood bank on record: no stock to pack from."))
        profile = load_profile(session, person.id)
        now = utcnow()
        stock = session.execute(
            select(Unit).where(Unit.site_id == hospital.site_id, Unit.status == "available",
                               Unit.kind.in_(STOCK_KINDS), Unit.expires_at > now)
            .order_by(Unit.expires_at, Unit.id).limit(CANDIDATES)
        ).scalars().all()
        number = len(rounds) + 1
        plan = compose_round(Ratio(mtp.red_cells, mtp.plasma, mtp.platelets), number, profile,
                             [unit_facts(u) for u in stock], now)
        if not plan.units:
            raise Conflict(N_("No unit in stock fits this patient for round %(number)s: call the blood service."),
                           params={"number": number})
        row = MtpRound(mtp_id=mtp.id, number=number, emergency=plan.emergency, prepared_at=now,
                       prepared_by=uow.actor)
        session.add(row)
        session.flush()
        orders: dict[str, Order] = {}
        for facts in plan.units:
            unit = load_unit(session, facts.id, lock=True)
            order = orders.get(unit.kind) or _order(uow, mtp, person.id, unit.kind, number,
                                                    sum(1 for u in plan.units if u.kind == unit.kind))
            orders[unit.kind] = order
            reservation = hold_unit(uow, order, unit, f"massive transfusion {mtp.id}, round {number}")
            session.add(MtpRoundUnit(round_id=row.id, unit_id=unit.id, reservation_id=reservation.id))
        session.flush()
        uow.audit("prepare", "mtp_round", row.id, new={
            "mtp_id": mtp.id, "number": number, "emergency": plan.emergency,
            "units": [u.id for u in plan.units], "short": dict(plan.short)})
        view = round_view(session, row, dict(plan.short))
        uow.commit()
        return view


def _order(uow: UnitOfWork, mtp: MassiveTransfusion, patient_id: int, kind: str, number: int, quantity: int) -> Order:
    note = f"massive transfusion {mtp.id}, round {number}"
    order = Order(hospital_id=mtp.hospital_id, patient_id=patient_id, kind=kind, quantity=quantity,
                  needed_by=utcnow(), urgency="massive_transfusion", status="open", ordered_by=uow.actor, note=note,
                  incident_id=mtp.incident_id)
    uow.session.add(order)
    uow.session.flush()
    uow.audit("place", "order", order.id, new={
        "hospital_id": order.hospital_id, "patient_id": patient_id, "kind": kind, "quantity": quantity,
        "needed_by": order.needed_by.isoformat(), "urgency": order.urgency, "status": "open", "note": note,
        "incident_id": mtp.incident_id}, reason="massive transfusion round")
    return order


def _refuse_if_ended(mtp: MassiveTransfusion) -> None:
    if mtp.ended_at is not None:
        raise Conflict(N_("Massive transfusion protocol %(id)s has ended: activate it again if bleeding resumes."),
                       params={"id": mtp.id})


def _round(uow: UnitOfWork, round_id: int, *, lock: bool = False) -> tuple[MtpRound, MassiveTransfusion]:
    statement = select(MtpRound).where(MtpRound.id == round_id)
    row = uow.session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if row is None:
        raise NotFound(N_("There is no massive transfusion round %(id)s."), params={"id": round_id})
    try:
        mtp = protocols.load(uow, row.mtp_id)
    except NotFound:
        raise NotFound(N_("There is no massive transfusion round %(id)s."), params={"id": round_id}) from None
    return row, mtp


def issue_round(uow: UnitOfWork, *, round_id: int, scanned_units: list[str], scanned_patient: str) -> RoundView:
    """Issue the cooler: every unit packed scanned into it, the patient's identifier scanned; all or nothing."""
    scans = [s.strip() for s in scanned_units or [] if isinstance(s, str) and s.strip()]
    if not scans or not (scanned_patient or "").strip():
        raise InvalidInput(N_("Scan every unit into the cooler and the patient's wristband or request form."))
    with uow:
        session = uow.session
        row, mtp = _round(uow, round_id, lock=True)
        _refuse_if_ended(mtp)
        if row.issued_at is not None:
            raise Conflict(N_("Round %(number)s was already issued."), params={"number": row.number})
        links = session.execute(select(MtpRoundUnit).where(MtpRoundUnit.round_id == row.id)
                                .order_by(MtpRoundUnit.id)).scalars().all()
        units = {link.id: load_unit(session, link.unit_id, lock=True) for link in links}
        profile = load_profile(session, mtp.patient_id)
        now = utcnow()
        scan_of, refusals = _pair_scans(scans, list(units.values()))
        for link in links:
            unit = units[link.id]
            crossmatch = current_crossmatch(session, patient_ids=records_of_person(session, profile.patient_id),
                                            unit_id=unit.id, now=now)
            refusals += issue_checks(
                unit_facts(unit), profile, now=now, scanned_unit_din=scan_of.get(unit.id, unit.din),
                scanned_patient_id=scanned_patient, crossmatch=crossmatch.result if crossmatch else None,
                emergency=row.emergency and unit.kind in EMERGENCY_RELEASE_KINDS,
                reserved_for=_held_for(session, link), scanned_product=None)
        refuse_if_any(session, _unique(refusals), scanned_patient, profile, uow)
        reason = f"massive transfusion {mtp.id}, round {row.number}"
        for link in links:
            unit = units[link.id]
            reservation = session.get(Reservation, link.reservation_id)
            order = session.get(Order, reservation.order_id)
            crossmatch = current_crossmatch(session, patient_ids=records_of_person(session, profile.patient_id),
                                            unit_id=unit.id, now=now)
            issue = record_issue(uow, unit=unit, reservation=reservation, order=order, profile=profile,
                                 crossmatch_id=crossmatch.id if crossmatch else None, electronic=False,
                                 emergency=row.emergency, scanned_unit=scan_of.get(unit.id, unit.din),
                                 scanned_patient=scanned_patient, reason=reason)
            link.issue_id = issue.id
        row.issued_at, row.issued_by = now, uow.actor
        session.flush()
        uow.audit("issue", "mtp_round", row.id, new={"issued_at": now, "units": [u.id for u in units.values()]},
                  reason=reason)
        view = round_view(session, row)
        uow.commit()
        return view


def _held_for(session, link: MtpRoundUnit) -> int | None:
    reservation = session.get(Reservation, link.reservation_id)
    if reservation is None or reservation.released_at is not None:
        return None
    order = session.get(Order, reservation.order_id)
    return current_patient(session, order.patient_id).id if order.patient_id else None


def _pair_scans(scans: list[str], units: list[Unit]) -> tuple[dict[int, str], list[Refusal]]:
    """Which scan is which packed unit; a scan of no packed unit, or a packed unit not scanned, stops the cooler."""
    by_din = {u.din: u for u in units}
    scan_of: dict[int, str] = {}
    refusals: list[Refusal] = []
    for scan in scans:
        try:
            din = str(isbt128.parse_din(scan))
        except InvalidInput as error:
            refusals.append(Refusal("unit_scan_unreadable", f"The unit scan could not be read: {error.message}",
                                    hard_stop=True))
            continue
        unit = by_din.get(din)
        if unit is None:
            refusals.append(Refusal("wrong_unit", f"Scanned unit {din} is not packed in this round.",
                                    hard_stop=True))
        else:
            scan_of[unit.id] = scan
    for unit in units:
        if unit.id not in scan_of:
            refusals.append(Refusal("unit_not_scanned", f"Unit {unit.din} {unit.product_code} of the round was "
                                                        "not scanned into the cooler.", hard_stop=True))
    return scan_of, refusals


def _unique(refusals: list[Refusal]) -> list[Refusal]:
    seen, kept = set(), []
    for refusal in refusals:
        if (refusal.code, refusal.message) not in seen:
            seen.add((refusal.code, refusal.message))
            kept.append(refusal)
    return kept


def return_round(uow: UnitOfWork, *, round_id: int, minutes_out_of_storage: int, kept_in_cold_chain: bool,
                 note: str = "", given: list[str] | None = None) -> RoundView:
    """The cooler back: every unit of it not given is taken back under the return rule.

    A unit is given when its transfusion was recorded, or when it is scanned in `given` (hung at the bedside,
    its record still to be written): neither comes back.
    """
    hung = set()
    for scan in given or []:
        if isinstance(scan, str) and scan.strip():
            hung.add(str(isbt128.parse_din(scan)))
    if isinstance(minutes_out_of_storage, bool) or not isinstance(minutes_out_of_storage, int) \
            or minutes_out_of_storage < 0:
        raise InvalidInput(N_("The time out of storage is a whole number of minutes, 0 or more."))
    with uow:
        session = uow.session
        row, mtp = _round(uow, round_id, lock=True)
        if row.issued_at is None:
            raise Conflict(N_("Round %(number)s has not been issued: there is nothing to take back."),
                           params={"number": row.number})
        if row.returned_at is not None:
            raise Conflict(N_("Round %(number)s was already returned."), params={"number": row.number})
        links = session.execute(select(MtpRoundUnit).where(MtpRoundUnit.round_id == row.id)
                                .order_by(MtpRoundUnit.id)).scalars().all()
        for link in links:
            issue = session.get(Issue, link.issue_id)
            started = session.execute(select(Transfusion.id).where(Transfusion.issue_id == issue.id)).first()
            unit = session.get(Unit, link.unit_id)
            if started or unit.din in hung or unit.status not in ("issued", "recalled"):
                continue  # given to the patient: not coming back
            back = take_back(uow, issue, minutes_out_of_storage=minutes_out_of_storage,
                             kept_in_cold_chain=kept_in_cold_chain,
                             note=(note or "").strip() or f"massive transfusion {mtp.id}, round {row.number}")
            link.return_id = back.return_id
        row.returned_at, row.returned_by = utcnow(), uow.actor
        session.flush()
        uow.audit("return", "mtp_round", row.id, new={
            "returned_at": row.returned_at, "minutes_out_of_storage": minutes_out_of_storage,
            "kept_in_cold_chain": bool(kept_in_cold_chain)}, reason=(note or "").strip() or None)
        view = round_view(session, row)
        uow.commit()
        return view
