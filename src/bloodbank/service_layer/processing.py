"""Processing: a completed whole blood donation becomes component units in quarantine.

Every unit made here starts `quarantined`: it waits for its tests and a
verified label before release (someone else's step). Its expiry follows the
site's regime on the site's clock. The buffy coat of the buffy-coat method is
not a unit: the donation's "created" events remember the method, and
`pooling.pool_platelets` takes buffy coats from donations processed that way.

The other steps live beside this module and are re-exported here: pooling,
cryoprecipitate and aliquots, irradiation.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import components
from bloodbank.domain import processing as rules
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.isbt128 import parse_din
from bloodbank.service_layer.aliquots import make_cryo, split_unit
from bloodbank.service_layer.irradiation import irradiate
from bloodbank.service_layer.pooling import pool_platelets
from bloodbank.service_layer.unit_moves import load_unit
from bloodbank.service_layer.unit_of_work import UnitOfWork
from bloodbank.service_layer.unit_records import (
    SITE_TIMEZONE, UnitView, Zone, create_unit, din_of, recorded_group, refuse_if_expired, regime_of, site_of,
    unit_view, zone,
)

__all__ = [
    "UnitView", "find_units_by_din", "get_unit", "irradiate", "make_cryo", "pool_platelets",
    "process_donation", "split_unit",
]

COMPLETE = "complete"


def process_donation(uow: UnitOfWork, *, donation_id: int, method: str, leucoreduced: bool | None = None,
                     low_titer: bool = False, tz: Zone = SITE_TIMEZONE) -> list[UnitView]:
    """Make the donation's components. `leucoreduced=None` means the method's usual (filtered unless kept whole)."""
    rules.check_method(method)
    clock = zone(tz)
    with uow:
        s = uow.session
        donation = _locked_donation(s, donation_id)
        _refuse_unless_processable(s, donation)
        group = recorded_group(s, donation.donor_id)
        kinds = rules.components_for(method, low_titer=low_titer, donor_group=group)
        filtered = rules.usual_leucoreduction(method) if leucoreduced is None else bool(leucoreduced)
        site = site_of(s, donation.site_id)
        regime, collected = regime_of(site), donation.started_at.astimezone(clock)
        din, now = din_of(donation.din), utcnow()
        units = []
        for kind in kinds:
            product = rules.choose_product(kind, leucoreduced=filtered)
            expires = components.expiry(kind, collected, regime=regime)
            what = kind.value.replace('_', ' ').capitalize()
            refuse_if_expired(expires, now, f"{what} from DIN {din.eye_readable}")
            units.append(create_unit(
                uow, reason=f"processed DIN {din} by the {method.replace('_', ' ')} method",
                detail={"method": method, "donation_id": donation.id, "regime": regime},
                din=donation.din, product_code=product.code, division=rules.UNDIVIDED, kind=kind.value,
                donation_id=donation.id, blood_group=group,
                volume_ml=rules.component_volume_ml(kind, donation.volume_ml),
                collected_at=donation.started_at, expires_at=expires, site_id=donation.site_id,
                leucoreduced=product.leucoreduced, low_titer=kind is components.ComponentKind.LTOWB,
            ))
        uow.audit("process", "donation", donation.id, new={"method": method, "unit_ids": [u.id for u in units]},
                  reason=f"components made from DIN {din}")
        result = [unit_view(s, unit) for unit in units]
        uow.commit()
        return result


def _locked_donation(session: Session, donation_id: int) -> Donation:
    # Locked so two processors cannot both make components from one bag.
    row = session.execute(select(Donation).where(Donation.id == donation_id).with_for_update()).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No donation with id {donation_id}.")
    return row


def _refuse_unless_processable(session: Session, donation: Donation) -> None:
    din = din_of(donation.din).eye_readable
    if donation.status != COMPLETE:
        state = "still in progress: finish the collection first" if donation.status == "in_progress" else (
            f"{donation.status}: an aborted collection is not made into components")
        raise Conflict(f"Donation {din} cannot be processed: it is {state}.")
    if donation.kind != rules.WHOLE_BLOOD:
        raise InvalidInput(
            f"Donation {din} is a {donation.kind.replace('_', ' ')} apheresis collection: "
            "only whole blood donations are processed here."
        )
    existing = session.execute(select(Unit.id).where(Unit.donation_id == donation.id)).first()
    if existing is not None:
        raise Conflict(
            f"Donation {din} has already been processed: see its units with 'processing show {donation.din}'."
        )


def get_unit(uow: UnitOfWork, unit_id: int) -> UnitView:
    with uow:
        return unit_view(uow.session, load_unit(uow.session, unit_id))


def find_units_by_din(uow: UnitOfWork, din_text: str) -> list[UnitView]:
    """Every unit carrying this DIN (scanned, or typed with or without spaces and check character)."""
    din = parse_din(din_text)
    with uow:
        rows = uow.session.execute(select(Unit).where(Unit.din == str(din)).order_by(Unit.id)).scalars().all()
        if not rows:
            raise NotFound(f"No unit with DIN {din.eye_readable}.")
        return [unit_view(uow.session, row) for row in rows]
