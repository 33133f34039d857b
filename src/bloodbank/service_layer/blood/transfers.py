"""Transfers between sites: dispatch, receipt, and what is still on the road.

While on the road a unit has no site (`in_transit`, site_id NULL), so it is
in neither site's stock; the transfer item says where it went. At receipt a
unit whose cold chain was broken goes to quarantine at the destination,
never straight onto the shelf, held for review (a `unit_hold` of kind cold
chain broken): only a signed review decision lets it out. A unit listed but
not in the box stays in transit, reported as missing, until it is found or
discarded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from bloodbank.adapters.db.models import Site, Transfer, TransferItem, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.holds import HoldKind
from bloodbank.domain.messages import N_
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.blood.hold_records import open_hold
from bloodbank.service_layer.blood.unit_lookup import unit_by_scan
from bloodbank.service_layer.blood.units import din_of
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_moves import move
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

S = UnitStatus
MAX_NOTE = 2000
MAX_LOCATION = 60


@dataclass(frozen=True)
class TransferUnitView:
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    received_ok: bool | None  # None: not received (yet); False: arrived with the cold chain broken


@dataclass(frozen=True)
class TransferView:
    id: int
    from_site_id: int
    from_site_code: str
    to_site_id: int
    to_site_code: str
    status: str
    dispatched_at: datetime
    dispatched_by: str
    received_at: datetime | None
    received_by: str | None
    note: str
    units: tuple[TransferUnitView, ...]

    @property
    def in_transit(self) -> tuple[int, ...]:
        """Units of this transfer still on the road.

        `units` show each unit's status now: one received here and since sent
        on elsewhere is in transit again, but on another transfer.
        """
        return tuple(u.unit_id for u in self.units if u.received_ok is None and u.status == S.IN_TRANSIT.value)

    @property
    def missing(self) -> tuple[int, ...]:
        """Units not in the box at receipt and still on the road."""
        return self.in_transit if self.status == "received" else ()

    @property
    def quarantined(self) -> tuple[int, ...]:
        return tuple(u.unit_id for u in self.units if u.received_ok is False)


def _unique_ids(unit_ids, what: str) -> list[int]:
    ids = list(dict.fromkeys(unit_ids))
    if any(not isinstance(i, int) or isinstance(i, bool) for i in ids):
        raise InvalidInput(f"The {what} are unit numbers (ids).")
    return ids


def _problem(unit: Unit | None, unit_id: int, from_site: Site, now: datetime) -> str | None:
    if unit is None:
        return f"no unit {unit_id}"
    name = f"unit {unit.id} ({unit.din} {unit.product_code})"
    if unit.status != S.AVAILABLE.value:
        return f"{name} is {unit.status.replace('_', ' ')}, not available"
    if unit.site_id != from_site.id:
        return f"{name} is not in the stock of {from_site.code}"
    if unit.expires_at <= now:
        return f"{name} expired on {unit.expires_at:%Y-%m-%d %H:%M} UTC"
    return None


def dispatch(uow: UnitOfWork, *, from_site_id: int, to_site_id: int, unit_ids: list[int],
             note: str = "") -> TransferView:
    """Send available units from one site to another; all of them, or none if one cannot go."""
    ids = _unique_ids(unit_ids, "units to send")
    note = (note or "").strip()
    if not ids:
        raise InvalidInput("List at least one unit to send.")
    if from_site_id == to_site_id:
        raise InvalidInput("A transfer goes from one site to another: the two sites are the same.")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"The note is too long ({len(note)} characters; at most {MAX_NOTE}).")
    with uow:
        session, now = uow.session, utcnow()
        source = load_site(session, from_site_id, unknown=N_("No sending site with id %(site_id)s."))
        destination = load_site(session, to_site_id, unknown=N_("No receiving site with id %(site_id)s."))
        found = {u.id: u for u in session.execute(
            select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id).with_for_update()).scalars()}
        problems = [p for i in ids if (p := _problem(found.get(i), i, source, now))]
        if problems:
            raise Conflict(f"Nothing was sent; these units cannot go from {source.code}: " + "; ".join(problems) + ".")
        transfer = Transfer(from_site_id=source.id, to_site_id=destination.id, dispatched_at=now,
                            dispatched_by=uow.actor, note=note)
        session.add(transfer)
        session.flush()
        for unit_id in ids:
            session.add(TransferItem(transfer_id=transfer.id, unit_id=unit_id))
            move(uow, found[unit_id], S.IN_TRANSIT, event="dispatch", reason=f"sent to {destination.code}",
                 detail={"transfer_id": transfer.id, "from_site_id": source.id, "to_site_id": destination.id},
                 site_id=None, storage_location="")
        uow.audit("dispatch", "transfer", transfer.id, new={
            "from_site_id": source.id, "to_site_id": destination.id, "unit_ids": ids, "note": note})
        uow.commit()
        return _view(session, transfer)


def receive(uow: UnitOfWork, *, transfer_id: int, received_unit_ids: list[int], cold_chain_ok: bool = True,
            storage_location: str = "") -> TransferView:
    """Book in the units that arrived; once per transfer.

    With the cold chain intact they go on the shelf (available); broken, they
    go to quarantine for the lab to assess. Units listed but not received stay
    in transit and are reported missing.
    """
    ids = _unique_ids(received_unit_ids, "units received")
    location = (storage_location or "").strip()
    if len(location) > MAX_LOCATION:
        raise InvalidInput(f"The storage location has at most {MAX_LOCATION} characters.")
    with uow:
        session, now = uow.session, utcnow()
        transfer = session.get(Transfer, transfer_id)
        if transfer is None:
            raise NotFound(f"No transfer with id {transfer_id}.")
        # Compare-and-set: of two clerks booking in the same box, only one succeeds.
        claimed = session.execute(
            update(Transfer).where(Transfer.id == transfer.id, Transfer.status == "dispatched")
            .values(status="received", received_at=now, received_by=uow.actor)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            session.rollback()
            done = session.get(Transfer, transfer_id)
            raise Conflict(f"Transfer {transfer_id} was already received"
                           f" on {done.received_at:%Y-%m-%d %H:%M} UTC by {done.received_by}.")
        items = {item.unit_id: item for item in session.execute(
            select(TransferItem).where(TransferItem.transfer_id == transfer.id)).scalars()}
        strangers = [i for i in ids if i not in items]
        if strangers:
            raise InvalidInput(f"Nothing was booked in: unit(s) {', '.join(map(str, strangers))} "
                               f"are not part of transfer {transfer.id}.")
        destination = session.get(Site, transfer.to_site_id)
        units = {u.id: u for u in session.execute(
            select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id).with_for_update()).scalars()}
        for unit_id in ids:
            _book_in(uow, units[unit_id], items[unit_id], transfer, destination, cold_chain_ok, location)
        missing = [i for i in items if i not in ids]
        session.refresh(transfer)
        uow.audit("receive", "transfer", transfer.id, old={"status": "dispatched"}, new={
            "status": "received", "received_unit_ids": ids, "cold_chain_ok": cold_chain_ok, "missing": missing})
        uow.commit()
        return _view(session, transfer)


def units_of_scans(uow: UnitOfWork, *, transfer_id: int, scans: list[str]) -> list[int]:
    """The units of this transfer whose labels were scanned as the box was unpacked, one scan per bag."""
    lines = [line.strip() for line in scans if line and line.strip()]
    if not lines:
        raise InvalidInput("Scan each unit's label as you take it out of the box.")
    with uow:
        session = uow.session
        transfer = session.get(Transfer, transfer_id)
        if transfer is None:
            raise NotFound(f"No transfer with id {transfer_id}.")
        members = set(session.execute(select(TransferItem.unit_id)
                                      .where(TransferItem.transfer_id == transfer.id)).scalars())
        ids: list[int] = []
        for line in lines:
            unit = unit_by_scan(session, line, fits=lambda u: u.id in members)
            if unit.id not in members:
                raise InvalidInput(f"Nothing was booked in: unit {din_of(unit.din).eye_readable} "
                                   f"{unit.product_code} is not part of transfer {transfer.id}; put it aside and "
                                   "call the sending site.")
            if unit.id in ids:
                raise InvalidInput(f"Nothing was booked in: unit {din_of(unit.din).eye_readable} {unit.product_code} "
                                   "was scanned twice.")
            ids.append(unit.id)
        return ids


def _book_in(uow: UnitOfWork, unit: Unit, item: TransferItem, transfer: Transfer, destination: Site,
             cold_chain_ok: bool, location: str) -> None:
    detail = {"transfer_id": transfer.id, "from_site_id": transfer.from_site_id, "cold_chain_ok": cold_chain_ok}
    if unit.status != S.IN_TRANSIT.value:
        # Moved by someone else since dispatch (discarded as lost, recalled): not put back on a shelf.
        raise Conflict(f"Unit {unit.id} ({unit.din} {unit.product_code}) is {unit.status.replace('_', ' ')}, "
                       "no longer in transit: book the others in without it and tell the supervisor.")
    if cold_chain_ok:
        move(uow, unit, S.AVAILABLE, event="receive", reason=f"received at {destination.code}",
             detail=detail, site_id=destination.id, storage_location=location)
    else:
        move(uow, unit, S.QUARANTINED, event="receive", reason="cold chain broken in transit",
             detail=detail, site_id=destination.id, storage_location=location)
        source = uow.session.get(Site, transfer.from_site_id)
        open_hold(uow, unit, HoldKind.COLD_CHAIN_BROKEN,
                  f"Received at {destination.code} with the cold chain broken (transfer {transfer.id} from "
                  f"{source.code})", detail={"transfer_id": transfer.id})
    item.received_ok = cold_chain_ok


def list_in_transit(uow: UnitOfWork) -> list[TransferView]:
    """Transfers with at least one unit still on the road, oldest first."""
    return in_transit_page(uow)[0]


def in_transit_page(uow: UnitOfWork, *, limit: int | None = None, offset: int = 0) -> tuple[list[TransferView], int]:
    """A page of the transfers still on the road, oldest first, and how many there are: cut by the database,
    read in a fixed number of queries."""
    on_the_road = (select(TransferItem.transfer_id).join(Unit, Unit.id == TransferItem.unit_id)
                   .where(Unit.status == S.IN_TRANSIT.value, TransferItem.received_ok.is_(None)))
    with uow:
        session = uow.session
        query = select(Transfer).where(Transfer.id.in_(on_the_road))
        total = session.scalar(select(func.count()).select_from(query.subquery()))
        page = query.order_by(Transfer.dispatched_at, Transfer.id).offset(offset)
        return _views(session, list(session.execute(page if limit is None else page.limit(limit)).scalars())), total


def get_transfer(uow: UnitOfWork, transfer_id: int) -> TransferView:
    with uow:
        transfer = uow.session.get(Transfer, transfer_id)
        if transfer is None:
            raise NotFound(f"No transfer with id {transfer_id}.")
        return _view(uow.session, transfer)


def _view(session, transfer: Transfer) -> TransferView:
    return _views(session, [transfer])[0]


def _views(session, transfers: list[Transfer]) -> list[TransferView]:
    """Views of many transfers in two queries, however many there are."""
    if not transfers:
        return []
    units: dict[int, list] = {t.id: [] for t in transfers}
    for transfer_id, u, ok in session.execute(
            select(TransferItem.transfer_id, Unit, TransferItem.received_ok)
            .join(TransferItem, TransferItem.unit_id == Unit.id)
            .where(TransferItem.transfer_id.in_(units)).order_by(Unit.id)).all():
        units[transfer_id].append(TransferUnitView(
            unit_id=u.id, din=u.din, product_code=u.product_code, division=u.division, kind=u.kind,
            blood_group=u.blood_group, status=u.status, received_ok=ok))
    codes = dict(session.execute(select(Site.id, Site.code).where(
        Site.id.in_({t.from_site_id for t in transfers} | {t.to_site_id for t in transfers}))).all())
    return [TransferView(
        id=transfer.id, from_site_id=transfer.from_site_id, from_site_code=codes[transfer.from_site_id],
        to_site_id=transfer.to_site_id, to_site_code=codes[transfer.to_site_id], status=transfer.status,
        dispatched_at=transfer.dispatched_at, dispatched_by=transfer.dispatched_by,
        received_at=transfer.received_at, received_by=transfer.received_by, note=transfer.note,
        units=tuple(units[transfer.id]),
    ) for transfer in transfers]
