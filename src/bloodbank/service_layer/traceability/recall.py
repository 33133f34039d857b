"""Recall: take out of use every unit holding blood from a donor, a DIN or some donations.

The affected units are found with the same walk as trace (`unit_graph`): the
donation's own components, their split children, and every pool or aliquot
made from them. What happens to each depends on where it is:
- in stock (or on the road) -> `recalled`, its reservation released;
- issued to a ward -> `recalled` too: the ward must send it back unused;
- issued and already running into a patient -> left `issued` (so the nurse can still end and record
  the transfusion) and flagged for an urgent call to the ward;
- transfused -> listed only: its recipient needs a lookback, not a recall;
- already discarded, recalled or processed into children -> listed, nothing to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bloodbank.adapters.db.models import Donation, Recall, RecallUnit, Transfusion, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.domain.messages import N_, Text
from bloodbank.service_layer.donors.deferral_lookup import donor_ids_of_person
from bloodbank.service_layer.donors.person import find_person
from bloodbank.service_layer.shared import unit_graph
from bloodbank.service_layer.shared.reservations import end_live_reservation
from bloodbank.service_layer.shared.unit_moves import load_unit, move
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

RECALL_IN_STOCK = frozenset({"collected", "quarantined", "available", "reserved", "returned", "in_transit"})
# What was done to each unit, as stored in recall_unit.action.
ACTIONS = {
    "recalled": N_("taken out of stock"),
    "recalled_from_ward": N_("issued: the ward must send it back"),
    "in_transfusion": N_("being transfused now: call the ward at once; the recipient needs a lookback"),
    "listed": N_("transfused: the recipient needs a lookback"),
    "already_out": N_("already discarded, recalled or processed: nothing to do"),
}


@dataclass(frozen=True)
class RecallUnitView:
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    status_before: str
    status_now: str
    action: str


@dataclass(frozen=True)
class RecallView:
    recall_id: int
    reason: str
    opened_at: datetime
    opened_by: str
    scope: dict
    units: tuple[RecallUnitView, ...]

    def count(self, action: str) -> int:
        return sum(1 for u in self.units if u.action == action)


def recall_subject(view: RecallView) -> Text:
    """What a recall's signature names: the same words whether it was signed on a page or through the API."""
    scope = view.scope
    if "din" in scope:
        try:
            what = Text(N_("DIN %(din)s"), din=parse_din(scope["din"]).eye_readable)
        except InvalidInput:
            what = Text(N_("DIN %(din)s"), din=scope["din"])
    elif "donor_id" in scope:
        what = Text(N_("every donation of donor %(donor)s"), donor=scope.get("donor_number", scope["donor_id"]))
    else:
        what = Text(N_("donations %(donations)s"), donations=", ".join(str(d) for d in scope.get("donation_ids", [])))
    return Text(N_("recall %(recall)s (%(what)s)"), recall=view.recall_id, what=what)


def recall(uow: UnitOfWork, *, reason: str, donor_id: int | None = None, donor_number: str | None = None,
           din: str | None = None, donation_ids: list[int] | None = None) -> RecallView:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give the reason for the recall (it goes to every site holding the units).")
    given = [x for x in (donor_id, donor_number, din, donation_ids) if x not in (None, "", [])]
    if len(given) != 1:
        raise InvalidInput("Recall by exactly one of: a donor, a DIN or a list of donations.")
    din = str(parse_din(din)) if din else None
    with uow:
        session = uow.session
        scope, affected = _affected(session, donor_id=donor_id, donor_number=donor_number, din=din,
                                    donation_ids=donation_ids)
        row = Recall(reason=reason, opened_at=utcnow(), opened_by=uow.actor, scope=json.dumps(scope, sort_keys=True))
        session.add(row)
        session.flush()
        uow.audit("create", "recall", row.id, new={"scope": scope, "units": len(affected)}, reason=reason)
        lines = [_recall_unit(uow, row.id, unit_id, reason) for unit_id in sorted(affected)]
        result = RecallView(row.id, row.reason, row.opened_at, row.opened_by, scope, tuple(lines))
        uow.commit()
        return result


def list_recalls(uow: UnitOfWork, *, limit: int = 50) -> list[RecallView]:
    """Newest first, each with its units as they were found and as they are now."""
    with uow:
        session = uow.session
        recalls = session.execute(select(Recall).order_by(Recall.opened_at.desc(), Recall.id.desc())
                                  .limit(limit)).scalars().all()
        views = []
        for r in recalls:
            rows = session.execute(select(RecallUnit, Unit).join(Unit, Unit.id == RecallUnit.unit_id)
                                   .where(RecallUnit.recall_id == r.id).order_by(Unit.id)).all()
            views.append(RecallView(r.id, r.reason, r.opened_at, r.opened_by, json.loads(r.scope),
                                    tuple(_line(ru, u) for ru, u in rows)))
        return views


def _affected(session, *, donor_id, donor_number, din, donation_ids) -> tuple[dict, set[int]]:
    if donor_id is not None or donor_number:
        donor = find_person(session, donor_id if donor_id is not None else donor_number)
        ids = donor_ids_of_person(session, donor.id)
        donations = session.execute(select(Donation.id).where(Donation.donor_id.in_(ids))).scalars().all()
        return {"donor_id": donor.id}, unit_graph.units_containing(session, donations)
    if din is not None:
        start = set(session.execute(select(Unit.id).where(Unit.din == din)).scalars())
        donation = session.execute(select(Donation.id).where(Donation.din == din)).scalar_one_or_none()
        if donation is not None:
            start |= unit_graph.units_of_donations(session, [donation])
        if donation is None and not start:
            raise NotFound(f"No donation and no unit has DIN {din}.")
        return {"din": din}, start | unit_graph.descendants(session, start)
    known = set(session.execute(select(Donation.id).where(Donation.id.in_(donation_ids))).scalars())
    missing = sorted(set(donation_ids) - known)
    if missing:
        raise NotFound(f"No donation with id {', '.join(map(str, missing))}.")
    return {"donation_ids": sorted(known)}, unit_graph.units_containing(session, known)


def _recall_unit(uow: UnitOfWork, recall_id: int, unit_id: int, reason: str) -> RecallUnitView:
    unit = load_unit(uow.session, unit_id, lock=True)
    before = unit.status
    if before == "issued" and _running(uow.session, unit.id):
        action = "in_transfusion"
    elif before in RECALL_IN_STOCK or before == "issued":
        if before == "reserved":
            end_live_reservation(uow, unit.id, f"unit recalled (recall {recall_id})")
        move(uow, unit, "recalled", event="recall", reason=f"recall {recall_id}: {reason}",
             detail={"recall_id": recall_id})
        action = "recalled" if before != "issued" else "recalled_from_ward"
    else:
        action = "listed" if before == "transfused" else "already_out"
    line = RecallUnit(recall_id=recall_id, unit_id=unit.id, status_before=before, action=action)
    uow.session.add(line)
    uow.session.flush()
    return _line(line, unit)


def _running(session, unit_id: int) -> bool:
    return session.execute(select(Transfusion.id).where(
        Transfusion.unit_id == unit_id, Transfusion.ended_at.is_(None))).first() is not None


def _line(line: RecallUnit, unit: Unit) -> RecallUnitView:
    return RecallUnitView(unit.id, unit.din, unit.product_code, unit.division, unit.kind, line.status_before,
                          unit.status, line.action)


def get_recall(uow: UnitOfWork, recall_id: int) -> RecallView:
    """One recall with every unit it reached, as found then and as it is now."""
    with uow:
        row = uow.session.get(Recall, recall_id)
        if row is None:
            raise NotFound(f"There is no recall {recall_id}.")
        return _recall_view(uow.session, row)


def recalls_page(uow: UnitOfWork, *, limit: int = 50, offset: int = 0) -> tuple[list[RecallView], int]:
    """Newest first, a page at a time, with how many recalls there are in all."""
    with uow:
        session = uow.session
        total = session.execute(select(func.count()).select_from(Recall)).scalar_one()
        rows = session.execute(select(Recall).order_by(Recall.opened_at.desc(), Recall.id.desc())
                               .limit(limit).offset(offset)).scalars().all()
        return [_recall_view(session, r) for r in rows], total


def _recall_view(session, row: Recall) -> RecallView:
    lines = session.execute(select(RecallUnit, Unit).join(Unit, Unit.id == RecallUnit.unit_id)
                            .where(RecallUnit.recall_id == row.id).order_by(Unit.id)).all()
    return RecallView(row.id, row.reason, row.opened_at, row.opened_by, json.loads(row.scope),
                      tuple(_line(ru, u) for ru, u in lines))
