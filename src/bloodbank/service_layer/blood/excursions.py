"""Temperature excursions: a fridge, freezer or incubator left its range.

Every unit in stock at that site and storage location whose kind's storage
range was breached (`domain.inventory.excursion_affects`, any duration) is
quarantined, linked to the excursion (ExcursionUnit) and held for review (a
`unit_hold` of kind temperature excursion), whatever its state:

- available → quarantined (one move);
- reserved → the reservation is released ("temperature excursion"), then
  reserved → quarantined, straight: the unit is never available on the way;
- returned → quarantined, likewise;
- already quarantined: held, status unchanged (complete results no longer
  make it ready for release);
- recalled: linked and noted in the unit's history, status unchanged (a
  recalled unit only ever leaves to be discarded).

The excursion's times come from the monitoring device: they describe the
past, so they are accepted (not server time), but never in the future. A
time given without a zone is the monitor's display, read on its site's clock.
Release after review belongs to `holds.release_after_review` (signed, and
through the release check); a unit judged unfit is discarded here or through
`holds.discard_after_review`. Units are matched by where they are now: a unit
moved out of the location before the excursion was recorded is not found,
one moved in afterwards is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import func, select

from bloodbank.adapters.db.models import ExcursionUnit, Site, TemperatureExcursion, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import inventory as rules, scheduling
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.holds import HoldKind
from bloodbank.domain.unit_status import IN_STOCK, UnitStatus
from bloodbank.service_layer.blood.discards import (
    DiscardView, check_note, discard_unit, discard_view,
)
from bloodbank.service_layer.blood.hold_records import open_hold
from bloodbank.service_layer.shared.clocks import site_clock
from bloodbank.service_layer.shared.reservations import end_live_reservation
from bloodbank.service_layer.shared.sites import check_site, load_site
from bloodbank.service_layer.shared.unit_moves import load_unit, move, record_event
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

S = UnitStatus
MAX_LOCATION = 60
MAX_NOTE = 2000
REASON = "temperature excursion"


@dataclass(frozen=True)
class ExcursionUnitView:
    unit_id: int
    din: str
    product_code: str
    kind: str
    status_before: str
    status_after: str


@dataclass(frozen=True)
class ExcursionView:
    id: int
    site_id: int
    storage_location: str
    started_at: datetime
    ended_at: datetime
    lowest_c: float
    highest_c: float
    note: str
    affected: tuple[ExcursionUnitView, ...]  # quarantined (or already held) and linked
    unaffected_unit_ids: tuple[int, ...]  # at the location, but their range was not breached


def _checked_location(storage_location: str) -> str:
    location = (storage_location or "").strip()
    if not location:
        raise InvalidInput("Name the storage location (fridge, freezer, incubator) the alarm came from.")
    if len(location) > MAX_LOCATION:
        raise InvalidInput(f"The storage location has at most {MAX_LOCATION} characters.")
    return location


def _on_clock(value: datetime, clock: tzinfo, what: str) -> datetime:
    """A reading with its zone as given; one without is the wall clock of the site the monitor stands in."""
    if not isinstance(value, datetime) or value.tzinfo is not None:
        return value
    instant = scheduling.local_to_utc(value, clock)
    if instant is None:
        raise InvalidInput(f"The {what} time {value:%Y-%m-%d %H:%M} does not exist on the site's clock (the clocks "
                           "went forward then): check the time on the monitor.")
    return instant


def record_excursion(uow: UnitOfWork, *, site_id: int, storage_location: str, started_at: datetime,
                     ended_at: datetime, lowest_c: float, highest_c: float, note: str = "") -> ExcursionView:
    """Record an excursion and quarantine every unit at the location whose storage range it breached."""
    location, note = _checked_location(storage_location), (note or "").strip()
    rules.check_readings(lowest_c, highest_c)
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The note is too long ({len(note)} characters; at most {MAX_NOTE}).")
    with uow:
        session = uow.session
        site = load_site(session, site_id)
        clock = site_clock(site)
        started_at, ended_at = _on_clock(started_at, clock, "start"), _on_clock(ended_at, clock, "end")
        minutes = rules.check_excursion_times(started_at, ended_at, utcnow()).total_seconds() / 60
        regime = rules.regime_for(site.rule_set)
        excursion = TemperatureExcursion(
            site_id=site.id, storage_location=location, started_at=started_at, ended_at=ended_at,
            lowest_c=float(lowest_c), highest_c=float(highest_c), recorded_by=uow.actor, note=note)
        session.add(excursion)
        session.flush()
        units = session.execute(
            select(Unit).where(Unit.site_id == site.id, Unit.storage_location == location,
                               Unit.status.in_([s.value for s in IN_STOCK]))
            .order_by(Unit.id).with_for_update()
        ).scalars().all()
        affected, unaffected = [], []
        for unit in units:
            if rules.excursion_affects(unit.kind, lowest_c, highest_c, minutes, regime=regime):
                affected.append(_hold(uow, unit, excursion))
            else:
                unaffected.append(unit.id)
        uow.audit("record_excursion", "temperature_excursion", excursion.id, new={
            "site_id": site.id, "storage_location": location, "started_at": started_at, "ended_at": ended_at,
            "lowest_c": float(lowest_c), "highest_c": float(highest_c), "note": note,
            "quarantined_unit_ids": [a.unit_id for a in affected]}, reason=note or REASON)
        uow.commit()
        return ExcursionView(
            id=excursion.id, site_id=site.id, storage_location=location, started_at=started_at,
            ended_at=ended_at, lowest_c=float(lowest_c), highest_c=float(highest_c), note=note,
            affected=tuple(affected), unaffected_unit_ids=tuple(unaffected))


def _hold(uow: UnitOfWork, unit: Unit, excursion: TemperatureExcursion) -> ExcursionUnitView:
    before = unit.status
    detail = {"excursion_id": excursion.id, "lowest_c": excursion.lowest_c, "highest_c": excursion.highest_c}
    uow.session.add(ExcursionUnit(excursion_id=excursion.id, unit_id=unit.id))
    if before == S.RESERVED.value:
        end_live_reservation(uow, unit.id, REASON)
    if before in (S.AVAILABLE.value, S.RESERVED.value, S.RETURNED.value):
        move(uow, unit, S.QUARANTINED, event="excursion_hold", reason=REASON, detail=detail)
    else:
        record_event(uow, unit, "excursion_hold", detail=detail)
    if unit.status == S.QUARANTINED.value:
        open_hold(uow, unit, HoldKind.TEMPERATURE_EXCURSION, _hold_reason(excursion), detail=detail)
    return ExcursionUnitView(unit_id=unit.id, din=unit.din, product_code=unit.product_code, kind=unit.kind,
                             status_before=before, status_after=unit.status)


def _hold_reason(excursion: TemperatureExcursion) -> str:
    return (f"Temperature excursion {excursion.id} at {excursion.storage_location}: {excursion.lowest_c:g} to "
            f"{excursion.highest_c:g} °C from {excursion.started_at:%Y-%m-%d %H:%M} to "
            f"{excursion.ended_at:%Y-%m-%d %H:%M} UTC" + (f" ({excursion.note})" if excursion.note else ""))


def discard_after_review(uow: UnitOfWork, *, excursion_id: int, unit_id: int, note: str = "") -> DiscardView:
    """Discard a unit the lab judged unfit after an excursion (reason 'temperature'); its holds end with it."""
    checked = check_note(note, "temperature")
    with uow:
        session = uow.session
        excursion = session.get(TemperatureExcursion, excursion_id)
        if excursion is None:
            raise NotFound(f"No temperature excursion with id {excursion_id}.")
        if session.get(ExcursionUnit, (excursion_id, unit_id)) is None:
            raise InvalidInput(f"Unit {unit_id} was not held by excursion {excursion_id}: "
                               "discard it with its own reason instead.")
        unit = load_unit(session, unit_id, lock=True)
        discard_unit(uow, unit, "temperature", checked, detail={"excursion_id": excursion_id})
        uow.commit()
        return discard_view(unit)


@dataclass(frozen=True)
class ExcursionSummary:
    id: int
    site_id: int
    site_code: str
    storage_location: str
    started_at: datetime
    ended_at: datetime
    lowest_c: float
    highest_c: float
    recorded_by: str
    note: str
    unit_ids: tuple[int, ...]  # the units it held
    still_quarantined: tuple[int, ...]  # of those, the ones awaiting the lab's review


def list_excursions(uow: UnitOfWork, *, site_id: int | None = None, limit: int = 50,
                    offset: int = 0) -> tuple[list[ExcursionSummary], int]:
    """Recorded excursions, newest first, with the units each held and which still wait in quarantine."""
    with uow:
        session = uow.session
        check_site(session, site_id)
        query = select(TemperatureExcursion, Site.code).join(Site, Site.id == TemperatureExcursion.site_id)
        counted = select(func.count()).select_from(TemperatureExcursion)
        if site_id is not None:
            query = query.where(TemperatureExcursion.site_id == site_id)
            counted = counted.where(TemperatureExcursion.site_id == site_id)
        total = session.execute(counted).scalar_one()
        rows = session.execute(query.order_by(TemperatureExcursion.started_at.desc(), TemperatureExcursion.id.desc())
                               .limit(limit).offset(offset)).all()
        held = session.execute(
            select(ExcursionUnit.excursion_id, Unit.id, Unit.status).join(Unit, Unit.id == ExcursionUnit.unit_id)
            .where(ExcursionUnit.excursion_id.in_([e.id for e, _ in rows])).order_by(Unit.id)
        ).all()
        return [
            ExcursionSummary(
                id=e.id, site_id=e.site_id, site_code=code, storage_location=e.storage_location,
                started_at=e.started_at, ended_at=e.ended_at, lowest_c=e.lowest_c, highest_c=e.highest_c,
                recorded_by=e.recorded_by, note=e.note,
                unit_ids=tuple(u for x, u, _ in held if x == e.id),
                still_quarantined=tuple(u for x, u, st in held if x == e.id and st == S.QUARANTINED.value),
            )
            for e, code in rows
        ], total
