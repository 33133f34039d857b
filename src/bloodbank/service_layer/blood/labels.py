"""Printing a unit's label and checking it by scanning it back.

A printed label counts only once verified: its DIN and product code barcodes
are scanned and compared with the unit the label was printed for. A label on
the wrong bag is a unit given to the wrong patient, so any difference is
refused and nothing is recorded. Printing again (a damaged label, a new group,
irradiation) clears the verification: the new label is checked again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Site, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.labels.unit_label import UnitLabel, unit_label_pdf
from bloodbank.domain import isbt128
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.isbt128 import Din, ProductCode
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.shared.clocks import clock_of_site
from bloodbank.service_layer.blood.units import UnitView, din_of, plain_time, product_name, unit_view, update_unit
from bloodbank.service_layer.shared.unit_moves import load_unit
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

S = UnitStatus
# A label is printed and checked only for a unit in the bank's hands and still to be used.
LABEL_STATUSES = frozenset({S.COLLECTED.value, S.QUARANTINED.value, S.AVAILABLE.value, S.RESERVED.value,
                            S.RETURNED.value})


def print_label(uow: UnitOfWork, *, unit_id: int) -> bytes:
    """The label PDF, its expiry on the site's clock; records the printing and clears any earlier verification."""
    with uow:
        s = uow.session
        unit = load_unit(s, unit_id, lock=True)
        _refuse_unless_labellable(unit, "printed")
        label = _label(s, unit, clock_of_site(s, unit.site_id))
        pdf = unit_label_pdf(label)
        update_unit(
            uow, unit, event="label_printed",
            reason="label reprinted: it must be verified again" if unit.label_printed_at else "label printed",
            detail={"reprint": unit.label_printed_at is not None,
                    "verification_cleared": unit.label_verified_at is not None,
                    "product_barcode": label.product_barcode, "group_barcode": label.group_barcode,
                    "expiry_barcode": label.expiry_barcode, "expires_at": plain_time(unit.expires_at)},
            label_printed_at=utcnow(), label_verified_at=None, label_verified_by=None,
        )
        uow.commit()
        return pdf


def _label(session: Session, unit: Unit, clock: tzinfo) -> UnitLabel:
    site = session.get(Site, unit.site_id) if unit.site_id is not None else None
    facility = f"{site.name} ({unit.din[:5]})" if site else unit.din[:5]
    return UnitLabel(
        din=unit.din, product_code=unit.product_code, division=unit.division,
        product_name=product_name(unit.product_code), blood_group=unit.blood_group,
        expires_at=unit.expires_at.astimezone(clock).replace(tzinfo=None), facility=facility,
        volume_ml=unit.volume_ml, attributes=_attributes(unit),
    )


def _attributes(unit: Unit) -> tuple[str, ...]:
    flags = (("IRRADIATED", unit.irradiated), ("LEUCOCYTE-REDUCED", unit.leucoreduced),
             ("LOW TITER", unit.low_titer), ("CMV NEGATIVE", unit.cmv_negative))
    return tuple(name for name, present in flags if present)


def verify_label(uow: UnitOfWork, *, unit_id: int, scanned_din: str, scanned_product: str) -> UnitView:
    """Compare the scanned label with the unit; a match records who verified it and when."""
    din = read_din_scan(scanned_din)
    code = read_product_scan(scanned_product)
    with uow:
        s = uow.session
        unit = load_unit(s, unit_id, lock=True)
        _refuse_unless_labellable(unit, "verified")
        if unit.label_printed_at is None:
            raise Conflict(f"No label has been printed for unit {din_of(unit.din).eye_readable} "
                           f"{unit.product_code}{unit.division}: print it, then scan it.")
        _compare(unit, din, code)
        update_unit(
            uow, unit, event="label_verified", reason="label scanned back and matched",
            detail={"scanned_din": din.barcode, "scanned_product": code.barcode},
            label_verified_at=utcnow(), label_verified_by=uow.actor,
        )
        result = unit_view(s, unit)
        uow.commit()
        return result


def read_din_scan(text: str) -> Din:
    """A DIN barcode as scanned (only a unit label's flags `00`), or the eye-readable DIN typed."""
    cleaned = text.strip() if isinstance(text, str) else text
    if isinstance(cleaned, str) and cleaned[:1] in ("=", "&"):
        isbt128.identify_scan(cleaned, expect=isbt128.DIN)
        din = isbt128.parse_din(cleaned)
        if din.flags not in (None, "00"):
            raise InvalidInput(
                f"This DIN barcode carries flags {din.flags}: it is not from a unit label (flags 00), "
                "perhaps a sample tube or the donor record. Scan the DIN on the unit label."
            )
        return din
    return isbt128.parse_din(cleaned)


def read_product_scan(text: str) -> ProductCode:
    cleaned = text.strip() if isinstance(text, str) else text
    if isinstance(cleaned, str) and cleaned[:1] in ("=", "&"):
        isbt128.identify_scan(cleaned, expect=isbt128.PRODUCT_CODE)
    return isbt128.parse_product_code(cleaned)


def _compare(unit: Unit, din: Din, code: ProductCode) -> None:
    mine = din_of(unit.din).eye_readable
    if str(din) != unit.din:
        raise Conflict(
            f"Label mismatch: the DIN scanned is {din.eye_readable}, this unit is {mine}. The label belongs to "
            "another unit: take it off, print this unit's label and scan it again."
        )
    if code.description_code != unit.product_code:
        raise Conflict(
            f"Label mismatch on {mine}: the product scanned is {code.description_code} "
            f"({product_name(code.description_code)}), this unit is {unit.product_code} "
            f"({product_name(unit.product_code)}). Print this unit's label and scan it again."
        )
    if code.division != unit.division:
        raise Conflict(
            f"Label mismatch on {mine}: the label is for division {code.division}, this unit is division "
            f"{unit.division}. Each aliquot carries its own label: print this one's and scan it again."
        )
    if code.collection_type != "V":
        raise Conflict(
            f"Label mismatch on {mine}: the label's collection type is {code.collection_type}; "
            "this unit is from a volunteer donor (V)."
        )


def _refuse_unless_labellable(unit: Unit, verb: str) -> None:
    if unit.status not in LABEL_STATUSES:
        raise Conflict(
            f"Unit {din_of(unit.din).eye_readable} {unit.product_code} is {unit.status.replace('_', ' ')}: "
            f"its label is not {verb} any more."
        )


@dataclass(frozen=True)
class LabelWork:
    """A unit in quarantine whose label still has to be printed, or printed and scanned back."""

    unit: UnitView
    label_printed_at: datetime | None


def units_awaiting_label(uow: UnitOfWork, *, site_id: int | None = None, limit: int = 50,
                         offset: int = 0) -> tuple[list[LabelWork], int]:
    """Printed-but-unchecked labels first (a label on a bag nobody has scanned is the risk), then unprinted."""
    where = [Unit.status == S.QUARANTINED.value, Unit.label_verified_at.is_(None)]
    if site_id is not None:
        where.append(Unit.site_id == site_id)
    with uow:
        s = uow.session
        total = s.scalar(select(func.count()).select_from(Unit).where(*where))
        rows = s.execute(
            select(Unit).where(*where)
            .order_by(Unit.label_printed_at.is_(None), Unit.label_printed_at, Unit.id).limit(limit).offset(offset)
        ).scalars().all()
        items = [LabelWork(unit=unit_view(s, row), label_printed_at=row.label_printed_at) for row in rows]
        return items, int(total or 0)
