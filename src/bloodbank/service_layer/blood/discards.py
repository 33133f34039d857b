"""Discards: one unit with a reason, the expiry sweep, and the waste report.

A reserved unit loses its reservation in the same transaction as the discard
(the order it was held for then needs another unit: the allocation screens
show it as short); a unit held for review has its open holds decided
"discarded" in the same transaction. Blood already transfused cannot be
discarded: the transition table refuses it, whatever the route.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import Site, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import DomainError, InvalidInput, NotFound
from bloodbank.domain.unit_status import (
    DISCARD_REASONS, SYSTEM_DISCARD_REASONS, UnitStatus, discard_reason, public_discard_code, transition,
)
from bloodbank.service_layer.blood.hold_records import end_holds_of_discarded
from bloodbank.service_layer.blood.labels import read_din_scan, read_product_scan
from bloodbank.service_layer.blood.units import din_of, product_name
from bloodbank.service_layer.shared.reservations import end_live_reservation
from bloodbank.service_layer.shared.sites import check_site
from bloodbank.service_layer.shared.unit_moves import load_unit, move
from bloodbank.service_layer.shared.clocks import UTC, day_bounds, site_clock
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

S = UnitStatus
# Swept when expired. A recalled unit is left to its recall, which records
# what became of it; units on the road are swept once received.
SWEPT = (S.QUARANTINED.value, S.AVAILABLE.value, S.RESERVED.value, S.RETURNED.value)
MAX_NOTE = 2000


@dataclass(frozen=True)
class DiscardView:
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    discard_reason: str
    discard_note: str | None
    site_id: int | None


def discard_view(unit: Unit) -> DiscardView:
    return DiscardView(
        unit_id=unit.id, din=unit.din, product_code=unit.product_code, division=unit.division, kind=unit.kind,
        blood_group=unit.blood_group, status=unit.status, discard_reason=public_discard_code(unit.discard_reason) or "",
        discard_note=unit.discard_note, site_id=unit.site_id,
    )


def check_note(note: str, reason_code: str) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The note is too long ({len(note)} characters; at most {MAX_NOTE}).")
    if reason_code == "other" and not note:
        raise InvalidInput("A discard for an 'other' reason needs a note saying what happened.")
    return note or None


def discard_unit(uow: UnitOfWork, unit: Unit, reason_code: str, note: str | None, *,
                 detail: dict | None = None) -> None:
    """Discard inside the caller's transaction (no commit): reservation released, event, audit."""
    label = discard_reason(reason_code)
    # Ask the table first, so a refused discard never touches the reservation.
    transition(unit.status, S.DISCARDED)
    if unit.status == S.RESERVED.value:
        end_live_reservation(uow, unit.id, f"unit discarded: {label}")
    move(uow, unit, S.DISCARDED, event="discard", reason=f"{label}: {note}" if note else label,
         detail={"reason": reason_code, "note": note, **(detail or {})},
         discard_reason=reason_code, discard_note=note)
    end_holds_of_discarded(uow, unit.id, f"unit discarded: {label}" + (f": {note}" if note else ""))


def discard(uow: UnitOfWork, *, unit_id: int, reason_code: str, note: str = "") -> DiscardView:
    """Discard one unit for one of `DISCARD_REASONS`; 'other' needs a note."""
    discard_reason(reason_code)
    if reason_code in SYSTEM_DISCARD_REASONS:
        known = ", ".join(sorted(set(DISCARD_REASONS) - SYSTEM_DISCARD_REASONS))
        raise InvalidInput(f"Discard reason '{reason_code}' is set by the system only; use one of: {known}.")
    checked = check_note(note, reason_code)
    with uow:
        unit = load_unit(uow.session, unit_id, lock=True)
        discard_unit(uow, unit, reason_code, checked)
        uow.commit()
        return discard_view(unit)


def discard_expired(uow: UnitOfWork) -> list[int]:
    """Discard every unit in stock whose expiry has passed (server time); the units' ids.

    One transaction: if anything stops the sweep, nothing is discarded and it
    can simply be run again.
    """
    with uow:
        now = utcnow()
        units = uow.session.execute(
            select(Unit).where(Unit.status.in_(SWEPT), Unit.expires_at < now)
            .order_by(Unit.id).with_for_update()
        ).scalars().all()
        for unit in units:
            discard_unit(uow, unit, "expired", None, detail={"expires_at": unit.expires_at.isoformat()})
        ids = [unit.id for unit in units]
        uow.audit("expiry_sweep", "inventory", None, new={"at": now, "discarded": ids},
                  reason="expired units discarded")
        uow.commit()
        return ids


def expiry_sweep_subject(ids: list[int]) -> tuple[str, str, str]:
    """What the expiry sweep's signature names, whichever entry point signs it: how many units, and which."""
    which = f" (unit ids {', '.join(map(str, ids))})" if ids else ""
    return f"{len(ids)} expired unit(s) in stock at every site{which}", "inventory", "expiry_sweep"


def discards_report(uow: UnitOfWork, *, since: date, site_id: int | None = None) -> dict[str, dict[str, int]]:
    """Units discarded since the start of `since` (on the site's clock; UTC's for every site): reason → kind → count."""
    if not isinstance(since, date) or isinstance(since, datetime):
        raise InvalidInput("Give the first day of the waste report as a date.")
    with uow:
        site = check_site(uow.session, site_id)
        start = day_bounds(since, site_clock(site) if site is not None else UTC)[0]
        statement = select(Unit.discard_reason, Unit.kind).where(
            Unit.status == S.DISCARDED.value, Unit.status_changed_at >= start)
        if site_id is not None:
            statement = statement.where(Unit.site_id == site_id)
        report: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for reason, kind in uow.session.execute(statement):
            report[public_discard_code(reason) or "unknown"][kind] += 1
    order = list(DISCARD_REASONS) + sorted(set(report) - set(DISCARD_REASONS))
    return {reason: dict(sorted(report[reason].items())) for reason in order if reason in report}


@dataclass(frozen=True)
class DiscardCandidate:
    """A unit found by the label of the bag in hand, before it is discarded."""

    unit_id: int
    din: str
    din_eye_readable: str
    product_code: str
    product_name: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    expires_at: datetime
    site_id: int | None
    site_code: str | None
    storage_location: str
    may_discard: bool
    problem: str | None  # why it cannot be discarded, when it cannot
    signature_subject: str


def unit_subject(din: str, product_code: str, division: str) -> str:
    """How a unit is named in a signature: eye-readable DIN, product code, and the division when split."""
    return f"{din_of(din).eye_readable} {product_code}" + (f" division {division}" if division != "00" else "")


def discard_reasons() -> tuple[tuple[str, str], ...]:
    """The reasons a person may pick: (code, words); the system's own are left out."""
    return tuple((code, label) for code, label in DISCARD_REASONS.items() if code not in SYSTEM_DISCARD_REASONS)


def unit_for_discard(uow: UnitOfWork, *, scanned_din: str, scanned_product: str) -> DiscardCandidate:
    """The unit whose label was scanned, and whether it can still be discarded."""
    din, code = read_din_scan(scanned_din), read_product_scan(scanned_product)
    with uow:
        session = uow.session
        unit = session.execute(select(Unit).where(
            Unit.din == str(din), Unit.product_code == code.description_code, Unit.division == code.division,
        ).order_by(Unit.id.desc())).scalars().first()
        if unit is None:
            raise NotFound(f"No unit {unit_subject(str(din), code.description_code, code.division)} is on record: "
                           "check that the DIN and the product code come from the same bag.")
        site = session.get(Site, unit.site_id) if unit.site_id is not None else None
        problem = None
        try:
            transition(unit.status, S.DISCARDED)
        except DomainError as error:
            problem = error.message
        return DiscardCandidate(
            unit_id=unit.id, din=unit.din, din_eye_readable=din_of(unit.din).eye_readable,
            product_code=unit.product_code, product_name=product_name(unit.product_code), division=unit.division,
            kind=unit.kind, blood_group=unit.blood_group, status=unit.status, expires_at=unit.expires_at,
            site_id=unit.site_id, site_code=site.code if site else None, storage_location=unit.storage_location,
            may_discard=problem is None, problem=problem,
            signature_subject=unit_subject(unit.din, unit.product_code, unit.division),
        )
