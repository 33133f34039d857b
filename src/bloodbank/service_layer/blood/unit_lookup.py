"""The unit in someone's hand, from what they scanned: its DIN, and its product code when the DIN alone does not
tell the components of one donation apart.

Every place a bag is scanned to act on it (reserve, pick for an emergency, receive from a transfer, take back
from a ward) finds it here, so a scan means the same everywhere and a DIN shared by several components is
never guessed.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Unit
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.blood.labels import read_din_scan, read_product_scan
from bloodbank.service_layer.blood.units import din_of

GONE = frozenset({"processed", "transfused", "discarded"})  # no longer a bag anyone can hold


def split_scan(scanned: str) -> tuple[str, str | None]:
    """A DIN scanned with its product code in one go (`=G1234…00=<E0398V00`) is the two scans."""
    din, marker, product = (scanned or "").strip().partition("=<")
    return din.strip(), (marker + product).strip() if marker else None


def unit_by_scan(session: Session, scanned_unit: str, scanned_product: str | None = None, *,
                 fits: Callable[[Unit], bool] | None = None, lock: bool = False) -> Unit:
    """The one unit the scans name. `fits` narrows a DIN's components to those the task can use, so a red cell
    scanned for a red cell order needs no product code even when its plasma shares the DIN."""
    din_text, inline_product = split_scan(scanned_unit)
    if not din_text:
        raise InvalidInput("Scan the unit's DIN from its label.")
    din = read_din_scan(din_text)
    product = scanned_product or inline_product
    statement = select(Unit).where(Unit.din == str(din))
    if product:
        code = read_product_scan(product)
        statement = statement.where(Unit.product_code == code.description_code, Unit.division == code.division)
    if lock:
        statement = statement.with_for_update()
    found = [u for u in session.execute(statement.order_by(Unit.id)).scalars() if u.status not in GONE]
    if not found:
        raise NotFound(f"No unit with DIN {din_of(str(din)).eye_readable}"
                       + (" and that product code" if product else "")
                       + " is in stock or issued: check the label, or scan the DIN and product code of one bag.")
    usable = [u for u in found if fits is None or fits(u)] or found
    if len(usable) > 1:
        listed = ", ".join(f"{u.product_code} {u.division}" for u in usable)
        raise InvalidInput(f"DIN {din_of(str(din)).eye_readable} has {len(usable)} components ({listed}): scan the "
                           "product code too, to say which bag is in your hand.")
    return usable[0]
