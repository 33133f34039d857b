"""What a scanned or typed barcode is, checked at once: the UI asks this as the clerk scans."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from bloodbank.domain import isbt128
from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.security import Caller, logged_in

router = APIRouter(tags=["scan"])

_BARCODE_PREFIXES = ("=<", "=%", "&>", "=>")


def read_scan(text: str, expect: str) -> dict:
    """The value as bloodbank reads it, or an InvalidInput (a ValueError) saying what is wrong with it."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidInput("Nothing was scanned or typed.")
    typed = not raw.startswith(_BARCODE_PREFIXES)
    if expect == "din" or (expect == "any" and typed):
        din = isbt128.parse_din(raw)
        return {"kind": "din", "value": str(din), "display": din.eye_readable}
    if expect == "blood_group" and typed:
        return {"kind": "blood_group", "value": str(parse_group(raw)), "display": str(parse_group(raw))}
    if expect == "product_code" and typed:
        raw = "=<" + raw
    if expect == "expiry" and typed:
        raw = "&>" + raw  # the ten digits printed under a unit label's expiry barcode
    kind, _ = isbt128.identify_scan(raw, expect=None if expect == "any" else expect)
    if kind == isbt128.PRODUCT_CODE:
        code = isbt128.parse_product_code(raw)
        name = languages.text(isbt128.product(code.description_code).name)
        return {"kind": kind, "value": str(code), "display": name}
    if kind == isbt128.BLOOD_GROUP:
        label = isbt128.parse_blood_group_code(raw)
        shown = str(label.group) if label.group else (label.note or label.code)
        return {"kind": kind, "value": shown, "display": shown}
    expiry = isbt128.parse_expiry(raw)
    return {"kind": kind, "value": expiry.isoformat(), "display": f"{expiry:%Y-%m-%d %H:%M}"}


@router.get("/scan", summary="Read a scanned or typed DIN, product code, blood group or expiry")
def check_scan(text: str = Query(..., max_length=200),
               expect: str = Query("any", pattern="^(din|product_code|blood_group|expiry|any)$"),
               _caller: Caller = Depends(logged_in)) -> dict:
    try:
        return {"ok": True, **read_scan(text, expect)}
    except ValueError as error:  # InvalidInput and the blood group parser's ValueError alike
        # In the reader's language: the scanning person reads it at the bench, in the page's words.
        message = languages.error_message(error) if isinstance(error, DomainError) else str(error)
        return {"ok": False, "message": message}
