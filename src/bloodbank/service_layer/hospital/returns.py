"""A unit sent back from the ward unused: back on the shelf, or discarded.

The unit first becomes `returned` (it is physically back in the blood bank),
then either `available` again, when the domain's return rule says its cold
chain held, or `discarded` as returned too warm. Both moves happen in one
transaction, so no one can allocate a unit whose return is half-recorded. A
unit called back by a recall comes home and stays `recalled`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import Issue, Transfusion, Unit, UnitReturn
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.field_issue import shelf_after_return
from bloodbank.domain.haemovigilance import DEFAULT_RETURN_RULE, ReturnRule, return_decision
from bloodbank.service_layer.blood.unit_lookup import unit_by_scan
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.reservations import end_live_reservation
from bloodbank.service_layer.shared.unit_moves import load_unit, move, record_event
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ReturnView:
    return_id: int
    issue_id: int
    unit_id: int
    din: str
    product_code: str
    minutes_out_of_storage: int
    kept_in_cold_chain: bool
    restocked: bool
    unit_status: str
    explanation: str
    returned_at: datetime
    received_by: str


def return_unit(uow: UnitOfWork, *, issue_id: int, minutes_out_of_storage: int, kept_in_cold_chain: bool,
                note: str = "", rule: ReturnRule = DEFAULT_RETURN_RULE) -> ReturnView:
    if isinstance(minutes_out_of_storage, bool) or not isinstance(minutes_out_of_storage, int) \
            or minutes_out_of_storage < 0:
        raise InvalidInput("The time out of storage is a whole number of minutes, 0 or more.")
    with uow:
        issue = scope.issue(uow, issue_id, missing=f"No issue {issue_id}: only a unit that was issued can be returned.")
        result = take_back(uow, issue, minutes_out_of_storage=minutes_out_of_storage,
                           kept_in_cold_chain=kept_in_cold_chain, note=note, rule=rule)
        uow.commit()
        return result


def take_back(uow: UnitOfWork, issue: Issue, *, minutes_out_of_storage: int, kept_in_cold_chain: bool,
              note: str = "", rule: ReturnRule = DEFAULT_RETURN_RULE) -> ReturnView:
    """The return of one issued unit inside the caller's transaction (a cooler brings back several at once)."""
    session = uow.session
    unit = load_unit(session, issue.unit_id, lock=True)
    _ensure_returnable(session, issue, unit.status)
    detail = {"issue_id": issue.id, "minutes_out_of_storage": minutes_out_of_storage,
              "kept_in_cold_chain": bool(kept_in_cold_chain)}
    if unit.status == "recalled":
        # Called back by a recall: it stays recalled, the bag kept for the investigation (e.g. culture).
        restock, explanation = False, "it is under recall: keep it apart for the investigation"
        record_event(uow, unit, "returned", detail=detail)
    else:
        restock, explanation = _receive(uow, unit, detail, minutes_out_of_storage, bool(kept_in_cold_chain), rule)
    end_live_reservation(uow, unit.id, "unit returned from the ward")
    row = UnitReturn(issue_id=issue.id, unit_id=unit.id, returned_at=utcnow(), received_by=uow.actor,
                     minutes_out_of_storage=minutes_out_of_storage, kept_in_cold_chain=bool(kept_in_cold_chain),
                     restocked=restock, note=(note or "").strip())
    session.add(row)
    session.flush()
    uow.audit("create", "unit_return", row.id, new=snapshot(row), reason=f"unit returned: {explanation}")
    return ReturnView(
        return_id=row.id, issue_id=issue.id, unit_id=unit.id, din=unit.din, product_code=unit.product_code,
        minutes_out_of_storage=minutes_out_of_storage, kept_in_cold_chain=bool(kept_in_cold_chain),
        restocked=restock, unit_status=unit.status, explanation=explanation, returned_at=row.returned_at,
        received_by=row.received_by,
    )


def issue_of_scanned_unit(uow: UnitOfWork, *, scanned_unit: str, scanned_product: str | None = None) -> int:
    """The issue under which the unit in hand left the blood bank: a bag brought back is found by its label."""
    with uow:
        session = uow.session
        unit = unit_by_scan(session, scanned_unit, scanned_product,
                            fits=lambda u: u.status in ("issued", "recalled"))
        issue = session.execute(select(Issue).where(Issue.unit_id == unit.id)
                                .order_by(Issue.issued_at.desc(), Issue.id.desc()).limit(1)).scalar_one_or_none()
        if issue is None or unit.status not in ("issued", "recalled"):
            raise InvalidInput(f"Unit {unit.din} {unit.product_code} is {unit.status.replace('_', ' ')}, not out on "
                               "a ward: only an issued unit is taken back as a return.")
        return scope.issue(uow, issue.id, missing=f"No unit {unit.din} {unit.product_code} was issued to a "
                                                  "hospital you work for.").id


def _receive(uow: UnitOfWork, unit: Unit, detail: dict, minutes: int, cold: bool, rule: ReturnRule) -> tuple[bool, str]:
    decision = return_decision(unit.kind, minutes, cold, rule=rule)
    restock, explanation, discard_code = decision.restockable, decision.reason, "returned_too_warm"
    if restock and unit.expires_at <= utcnow():
        restock, explanation, discard_code = False, "it has expired", "expired"
    # The transition table refuses a transfused unit here, with its own message.
    move(uow, unit, "returned", event="returned", reason="returned from the ward unused", detail=detail)
    if restock:
        shelf = shelf_after_return(bool(unit.emergency_use))
        move(uow, unit, shelf, event="restocked", reason=f"returned {explanation}" if shelf == "available"
             else f"returned {explanation}: back on the emergency shelf, not fully tested")
    else:
        move(uow, unit, "discarded", event="discard", reason=f"not restockable: {explanation}",
             discard_reason=discard_code, discard_note=f"returned: {explanation}")
    return restock, explanation


def _ensure_returnable(session, issue: Issue, status: str) -> None:
    if session.execute(select(UnitReturn.id).where(UnitReturn.issue_id == issue.id)).first():
        raise Conflict("This unit was already returned for this issue.")
    running = session.execute(select(Transfusion.id).where(Transfusion.issue_id == issue.id)).first()
    if status == "issued" and running:
        raise Conflict("The transfusion of this unit was started: it cannot go back into stock. "
                       "End the transfusion instead.")
    latest = session.execute(select(Issue.id).where(Issue.unit_id == issue.unit_id)
                             .order_by(Issue.issued_at.desc(), Issue.id.desc()).limit(1)).scalar_one()
    if latest != issue.id:
        raise Conflict("This unit was issued again since: return it against its latest issue.")
