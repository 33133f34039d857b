"""Units made from one unit: cryoprecipitate from plasma, aliquots (paediatric packs) from any undivided unit.

The parent becomes `processed` (it lives on in its children) through
`unit_moves.move`; each child links back to it, keeps its DIN, and starts in
quarantine with no label: a child's label is printed and verified, and the
child released, like any new unit.
"""

from __future__ import annotations

from bloodbank.adapters.db.models import Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import components, processing as rules
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput
from bloodbank.service_layer.blood.site_rules import regime_of
from bloodbank.service_layer.shared.clocks import site_clock
from bloodbank.service_layer.blood.units import UnitView, create_unit, din_of, refuse_if_expired, unit_view
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_moves import load_unit, move
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

CRYO = ComponentKind.CRYO
# Carried from a unit to its aliquots unchanged: they are the same blood.
INHERITED = ("din", "product_code", "kind", "donation_id", "blood_group", "collected_at", "expires_at",
             "site_id", "storage_location", "irradiated", "irradiated_at", "leucoreduced", "cmv_negative",
             "low_titer", "bacterial_screened")


def make_cryo(uow: UnitOfWork, *, plasma_unit_id: int) -> UnitView:
    """Cryoprecipitate from a plasma unit; the rest of the plasma (cryo-poor plasma) is not kept as a unit."""
    with uow:
        s = uow.session
        plasma = load_unit(s, plasma_unit_id, lock=True)
        if not components.can_derive(plasma.kind, CRYO):
            raise InvalidInput(
                f"Cryoprecipitate is made from plasma; unit {din_of(plasma.din).eye_readable} "
                f"{plasma.product_code} is {plasma.kind.replace('_', ' ')}."
            )
        site = load_site(s, plasma.site_id)
        product = rules.choose_product(CRYO)
        # Never outlives the plasma it came from.
        expires = min(plasma.expires_at,
                      components.expiry(CRYO, plasma.collected_at.astimezone(site_clock(site)),
                                        regime=regime_of(site)))
        refuse_if_expired(expires, utcnow(), f"Cryoprecipitate from {din_of(plasma.din).eye_readable}")
        move(uow, plasma, "processed", event="made_into_cryo", reason="plasma made into cryoprecipitate",
             detail={"into": CRYO.value, "product_code": product.code})
        cryo = create_unit(
            uow, parents=(plasma.id,), reason=f"cryoprecipitate made from plasma unit {plasma.id}",
            detail={"from_unit_id": plasma.id, "method": "cryo"},
            din=plasma.din, product_code=product.code, division=plasma.division, kind=CRYO.value,
            donation_id=plasma.donation_id, blood_group=plasma.blood_group,
            volume_ml=rules.TYPICAL_VOLUME_ML[CRYO],
            collected_at=plasma.collected_at, expires_at=expires, site_id=plasma.site_id,
            storage_location=plasma.storage_location, cmv_negative=plasma.cmv_negative,
        )
        result = unit_view(s, cryo)
        uow.commit()
        return result


def split_unit(uow: UnitOfWork, *, unit_id: int, parts: int, volume_each_ml: int | None = None) -> list[UnitView]:
    """Divide an undivided unit into 2-4 aliquots (divisions A0, B0...) of the same product and expiry."""
    divisions = rules.division_codes(parts)
    with uow:
        s = uow.session
        parent = load_unit(s, unit_id, lock=True)
        rules.check_splittable(parent.division, parent.kind)
        each = rules.aliquot_volume_ml(parent.volume_ml, parts, volume_each_ml)
        refuse_if_expired(parent.expires_at, utcnow(), f"An aliquot of {din_of(parent.din).eye_readable}")
        move(uow, parent, "processed", event="split", reason=f"split into {parts} aliquots",
             detail={"parts": parts, "divisions": list(divisions), "volume_each_ml": each})
        children = [_aliquot(uow, parent, division, each) for division in divisions]
        result = [unit_view(s, child) for child in children]
        uow.commit()
        return result


def _aliquot(uow: UnitOfWork, parent: Unit, division: str, volume_ml: int | None) -> Unit:
    return create_unit(
        uow, parents=(parent.id,), reason=f"aliquot {division} of unit {parent.id}",
        detail={"from_unit_id": parent.id, "division": division, "method": "split"},
        division=division, volume_ml=volume_ml, **{name: getattr(parent, name) for name in INHERITED},
    )
