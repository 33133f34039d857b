"""Printing a unit's label and checking it by scanning it back.

A printed label counts only once verified: its four barcodes (DIN, ABO/RhD
group, product code, expiry) are scanned and each compared with what this
unit's label must carry now. A label on the wrong bag is a unit given to the
wrong patient, and a label printed before a regroup or an irradiation tells
the ward a group or an expiry the unit no longer has, so any difference is
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
from bloodbank.adapters.labels.unit_label import UnitLabel, printed_date, unit_label_pdf
from bloodbank.domain import isbt128, walking_blood_bank
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.isbt128 import Din, GroupLabel, ProductCode
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
        volume_ml=unit.volume_ml, attributes=_attributes(unit), **_emergency_use(unit),
    )


def _emergency_use(unit: Unit) -> dict:
    """A unit not fully tested says so in words and in barcode data, and is for emergency use only."""
    if not unit.emergency_use:
        return {}
    rules = walking_blood_bank.rules()
    return {"collection_type": "G", "special_testing": rules.special_testing_code,
            "special_text": rules.special_testing_text}


def _attributes(unit: Unit) -> tuple[str, ...]:
    flags = (("IRRADIATED", unit.irradiated), ("LEUCOCYTE-REDUCED", unit.leucoreduced),
             ("LOW TITER", unit.low_titer), ("CMV NEGATIVE", unit.cmv_negative),
             ("FRESH WHOLE BLOOD" if unit.refrigerated_at is None else "REFRIGERATED", unit.emergency_use))
    return tuple(name for name, present in flags if present)


def verify_label(uow: UnitOfWork, *, unit_id: int, scanned_din: str, scanned_product: str, scanned_group: str,
                 scanned_expiry: str) -> UnitView:
    """Compare the four scanned barcodes with the label the unit must carry now; a match records who verified
    it and when."""
    scan = LabelScan(din=read_din_scan(scanned_din), group=read_group_scan(scanned_group),
                     product=read_product_scan(scanned_product), expiry=read_expiry_scan(scanned_expiry))
    with uow:
        s = uow.session
        unit = load_unit(s, unit_id, lock=True)
        _refuse_unless_labellable(unit, "verified")
        if unit.label_printed_at is None:
            raise Conflict(f"No label has been printed for unit {din_of(unit.din).eye_readable} "
                           f"{unit.product_code}{unit.division}: print it, then scan it.")
        # The label printing would make now, on the same clock: a label printed before a regroup or an
        # irradiation is measured against what the bag must say today, not against what it said then.
        _compare(_label(s, unit, clock_of_site(s, unit.site_id)), scan)
        update_unit(
            uow, unit, event="label_verified", reason="label scanned back and matched", detail=scan.detail,
            label_verified_at=utcnow(), label_verified_by=uow.actor,
        )
        result = unit_view(s, unit)
        uow.commit()
        return result


@dataclass(frozen=True)
class LabelScan:
    """A unit label's four barcodes as read, each from its own box."""

    din: Din
    group: GroupLabel
    product: ProductCode
    expiry: datetime  # naive, on the site's wall clock, as printed

    @property
    def expiry_barcode(self) -> str:
        return isbt128.encode_expiry(self.expiry)

    @property
    def detail(self) -> dict[str, str]:
        return {"scanned_din": self.din.barcode, "scanned_group": self.group.barcode,
                "scanned_product": self.product.barcode, "scanned_expiry": self.expiry_barcode}


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


def read_group_scan(text: str) -> GroupLabel:
    """The ABO/RhD barcode as scanned (`=%1700`), or its data typed from under the barcode."""
    cleaned = text.strip() if isinstance(text, str) else text
    if isinstance(cleaned, str) and cleaned[:1] in ("=", "&"):
        isbt128.identify_scan(cleaned, expect=isbt128.BLOOD_GROUP)
    return isbt128.parse_blood_group_code(cleaned)


def read_product_scan(text: str) -> ProductCode:
    cleaned = text.strip() if isinstance(text, str) else text
    if isinstance(cleaned, str) and cleaned[:1] in ("=", "&"):
        isbt128.identify_scan(cleaned, expect=isbt128.PRODUCT_CODE)
    return isbt128.parse_product_code(cleaned)


def read_expiry_scan(text: str) -> datetime:
    """The expiry date and time barcode as scanned (`&>0260732359`), or its ten digits typed."""
    cleaned = text.strip() if isinstance(text, str) else text
    if isinstance(cleaned, str) and cleaned[:1] in ("=", "&"):
        isbt128.identify_scan(cleaned, expect=isbt128.EXPIRY)
    elif isinstance(cleaned, str) and cleaned:
        # A unit label carries a date and a time: six digits alone (a date, read as 23:59) are not its expiry.
        cleaned = f"&>{cleaned}"
    return isbt128.parse_expiry(cleaned)


def _compare(label: UnitLabel, scan: LabelScan) -> None:
    """Each scanned barcode against the one this unit's label must carry, in the label's order; the first
    difference refuses the label."""
    mine = label.din_value.eye_readable
    again = "take it off, print this unit's label again and scan the new one."
    if str(scan.din) != label.din:
        raise Conflict(
            f"Label mismatch: the DIN scanned is {scan.din.eye_readable}, this unit is {mine}. The label belongs to "
            "another unit: take it off, print this unit's label and scan it again."
        )
    if scan.group.barcode != label.group_barcode:
        expected = isbt128.parse_blood_group_code(label.group_barcode)
        raise Conflict(
            f"Label mismatch on {mine}: the blood group scanned is {scan.group.in_words} ({scan.group.barcode}), "
            f"this unit is {expected.in_words} ({expected.barcode}). The label is for another group or was "
            f"printed before the unit's group changed: {again}"
        )
    code = scan.product
    if code.description_code != label.product_code:
        raise Conflict(
            f"Label mismatch on {mine}: the product scanned is {code.description_code} "
            f"({product_name(code.description_code)}), this unit is {label.product_code} "
            f"({product_name(label.product_code)}). Print this unit's label and scan it again."
        )
    if code.division != label.division:
        raise Conflict(
            f"Label mismatch on {mine}: the label is for division {code.division}, this unit is division "
            f"{label.division}. Each aliquot carries its own label: print this one's and scan it again."
        )
    if code.collection_type != label.collection_type:
        kinds = isbt128.COLLECTION_TYPES
        raise Conflict(
            f"Label mismatch on {mine}: the label's collection type is {code.collection_type} "
            f"({kinds[code.collection_type]}); this unit's is {label.collection_type} "
            f"({kinds[label.collection_type]}). Print this unit's label and scan it again."
        )
    if scan.expiry_barcode != label.expiry_barcode:
        raise Conflict(
            f"Label mismatch on {mine}: the expiry scanned is {_as_printed(scan.expiry)} ({scan.expiry_barcode}), "
            f"this unit expires {_as_printed(label.expires_at)} ({label.expiry_barcode}). The label is out of "
            f"date (irradiation, for one, shortens a unit's life): {again}"
        )


def _as_printed(when: datetime) -> str:
    return f"{printed_date(when)} {when:%H:%M}"


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
