"""Irradiation: the same unit gets the irradiated product code and, for red cells, a shorter life.

It is an attribute change, not a new unit. The product code changes, so the
label on the bag is wrong from that moment: the label is marked as not
printed and not verified, and the unit needs a new one before release.
"""

from __future__ import annotations

from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import components, processing as rules
from bloodbank.domain.errors import Conflict
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.blood.site_rules import regime_of
from bloodbank.service_layer.shared.clocks import clock_of_site, site_clock
from bloodbank.service_layer.blood.units import UnitView, din_of, plain_time, unit_view, update_unit
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_moves import load_unit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

IRRADIABLE_STATUSES = (UnitStatus.QUARANTINED.value, UnitStatus.AVAILABLE.value)


def irradiate(uow: UnitOfWork, *, unit_id: int) -> UnitView:
    """Record irradiation now; refused once too late for the site's regime, days counted on the site's clock."""
    with uow:
        s = uow.session
        unit = load_unit(s, unit_id, lock=True)
        din = din_of(unit.din).eye_readable
        kind = rules.check_irradiable(unit.kind)
        if unit.irradiated:
            raise Conflict(
                f"Unit {din} {unit.product_code} was already irradiated at "
                f"{unit.irradiated_at.astimezone(clock_of_site(s, unit.site_id)):%Y-%m-%d %H:%M %Z}."
            )
        if unit.status not in IRRADIABLE_STATUSES:
            raise Conflict(f"Unit {din} is {unit.status.replace('_', ' ')}: only a unit in quarantine or "
                           "available in stock is irradiated.")
        product = rules.choose_product(kind, irradiated=True, leucoreduced=unit.leucoreduced)
        now = utcnow()
        site = load_site(s, unit.site_id)
        clock = site_clock(site)
        recomputed = components.expiry(
            kind, unit.collected_at.astimezone(clock), regime=regime_of(site),
            irradiated_at=now.astimezone(clock), bacterial_screened=unit.bacterial_screened,
        )
        # Never later than it was: an aliquot or a cryo may already expire before the component rule says.
        expires = min(unit.expires_at, recomputed)
        update_unit(
            uow, unit, event="irradiated", reason=f"irradiated; product {unit.product_code} -> {product.code}",
            detail={"old_product_code": unit.product_code, "new_product_code": product.code,
                    "old_expires_at": plain_time(unit.expires_at), "new_expires_at": plain_time(expires),
                    "label_reprint_needed": True},
            irradiated=True, irradiated_at=now, product_code=product.code, expires_at=expires,
            label_printed_at=None, label_verified_at=None, label_verified_by=None,
        )
        result = unit_view(s, unit)
        uow.commit()
        return result
