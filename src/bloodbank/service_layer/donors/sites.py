"""Sites: fixed centres and mobile drives, where donors are seen and DINs assigned.

Changing a site's chairs, slot length or hours never touches existing
bookings: an appointment already made keeps its time even if the site now
has fewer chairs than bookings in that slot, or the slot no longer exists.
Staff see those bookings in the day list and move them by cancelling and
rebooking, so no donor is dropped silently. Likewise a deactivated site takes
no new bookings but keeps the ones it has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Site
from bloodbank.domain import lab_tests, scheduling, text
from bloodbank.domain.eligibility import RuleSetError, load_rule_set
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.service_layer.shared.audit_snapshots import changes, snapshot
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

KINDS = ("fixed", "mobile")
MAX_CHAIRS = 500
# ISBT 128 FIN: O and 0 are never first, so a DIN's facility cannot be misread.
_FIN = re.compile(r"^[A-NP-Z1-9][0-9]{4}$")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
UPDATABLE = ("code", "name", "kind", "facility_code", "rule_set", "time_zone", "address", "latitude",
             "longitude", "chairs", "slot_minutes", "opening_hours")


@dataclass(frozen=True)
class SiteView:
    id: int
    code: str
    name: str
    kind: str
    facility_code: str
    rule_set: str
    time_zone: str
    address: str
    latitude: float | None
    longitude: float | None
    chairs: int
    slot_minutes: int
    opening_hours: dict
    active: bool

    @property
    def hours_text(self) -> str:
        return scheduling.describe_hours(self.opening_hours)


def site_view(row: Site) -> SiteView:
    return SiteView(
        id=row.id, code=row.code, name=row.name, kind=row.kind, facility_code=row.facility_code,
        rule_set=row.rule_set, time_zone=row.time_zone, address=row.address, latitude=row.latitude, longitude=row.longitude,
        chairs=row.chairs, slot_minutes=row.slot_minutes, opening_hours=dict(row.opening_hours or {}),
        active=row.active,
    )


# ---------------------------------------------------------------- checks


def check_facility_code(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput("The facility code (ISBT 128 FIN) is text, e.g. A9999.")
    code = value.strip().upper()
    if _FIN.match(code):
        return code
    if len(code) != 5:
        raise InvalidInput(f"The facility code (ISBT 128 FIN) has 5 characters; got {len(code)} in {value!r}.")
    if code[0] in "O0":
        raise InvalidInput(
            f"The facility code {code} cannot start with '{code[0]}': an ISBT 128 FIN starts with a "
            "letter A-N or P-Z or a digit 1-9, never the letter O or the digit 0."
        )
    raise InvalidInput(
        f"The facility code (ISBT 128 FIN) is a letter or digit followed by four digits, e.g. A9999; got {value!r}."
    )


def _check_code(value: object) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not _CODE.match(code):
        raise InvalidInput(
            f"A site code is 1 to 20 letters, digits, '-' or '_', starting with a letter or digit; got {value!r}."
        )
    return code


def _check_name(value: object) -> str:
    name = text.clean_text(value, "site's name", 200)
    if not name:
        raise InvalidInput("Give the site a name (at most 200 characters).")
    return name


def _check_kind(value: object) -> str:
    if value not in KINDS:
        raise InvalidInput(f"A site is 'fixed' (a centre) or 'mobile' (a drive); got {value!r}.")
    return value


def _check_rule_set(value: object) -> str:
    try:
        return load_rule_set(value).name
    except (OSError, RuleSetError):
        # Listed as a regime but not shipped (or broken) in this installation.
        raise InvalidInput(f"The rule set {value!r} is not available in this installation.") from None


def _check_address(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > 300:
        raise InvalidInput("The address is text of at most 300 characters.")
    return value.strip()


def _check_position(latitude: object, longitude: object) -> tuple[float | None, float | None]:
    if latitude is None and longitude is None:
        return None, None
    if latitude is None or longitude is None:
        raise InvalidInput("Give both latitude and longitude, or neither.")
    for value, name in ((latitude, "latitude"), (longitude, "longitude")):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidInput(f"The {name} is a number in decimal degrees; got {value!r}.")
    if not -90 <= latitude <= 90:
        raise InvalidInput(f"The latitude must be between -90 and 90; got {latitude}.")
    if not -180 <= longitude <= 180:
        raise InvalidInput(f"The longitude must be between -180 and 180; got {longitude}.")
    return float(latitude), float(longitude)


def _check_chairs(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CHAIRS:
        raise InvalidInput(f"The number of chairs is a whole number from 1 to {MAX_CHAIRS}; got {value!r}.")
    return value


def _checked(fields: dict) -> dict:
    """Every given field validated and normalised; latitude and longitude checked as a pair."""
    checks = {
        "code": _check_code, "name": _check_name, "kind": _check_kind,
        "facility_code": check_facility_code, "rule_set": _check_rule_set, "address": _check_address,
        "time_zone": scheduling.check_time_zone,
        "chairs": _check_chairs, "slot_minutes": scheduling.check_slot_minutes,
        "opening_hours": scheduling.normalise_opening_hours,
    }
    result = {name: checks[name](value) for name, value in fields.items() if name in checks}
    if "latitude" in fields or "longitude" in fields:
        result["latitude"], result["longitude"] = _check_position(fields.get("latitude"), fields.get("longitude"))
    return result


# ---------------------------------------------------------------- use cases


def create_site(uow: UnitOfWork, *, code: str, name: str, kind: str, facility_code: str,
                opening_hours: dict, time_zone: str, rule_set: str = "who", address: str = "",
                latitude: float | None = None, longitude: float | None = None, chairs: int = 4,
                slot_minutes: int = 15) -> SiteView:
    fields = _checked(dict(
        code=code, name=name, kind=kind, facility_code=facility_code, rule_set=rule_set, time_zone=time_zone,
        address=address, latitude=latitude, longitude=longitude, chairs=chairs, slot_minutes=slot_minutes,
        opening_hours=opening_hours,
    ))
    with uow:
        _refuse_taken_code(uow.session, fields["code"])
        row = Site(**fields, active=True)
        uow.session.add(row)
        _flush_unique(uow.session, fields["code"])
        uow.audit("create", "site", row.id, new=snapshot(row))
        result = site_view(row)
        uow.commit()
        return result


def update_site(uow: UnitOfWork, site_id: int, *, reason: str, **fields) -> SiteView:
    """Change the given fields; existing bookings are kept as they are (see the module note)."""
    return _change(uow, site_id, reason=reason, fields=fields, panel=None, changeable=UPDATABLE, view=site_view)


def _change(uow: UnitOfWork, site_id: int, *, reason: str, fields: dict, panel: list[str] | None,
            changeable: tuple[str, ...], view):
    """Check and apply a change of a site's fields (and test panel): one audit entry, one transaction."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give the reason for changing the site.")
    unknown = sorted(set(fields) - set(UPDATABLE))
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(unknown)} of a site; changeable: {', '.join(changeable)}.")
    if not fields and panel is None:
        raise InvalidInput("Nothing to change: give at least one field.")
    if panel is not None:
        panel = list(lab_tests.validate_panel(panel))
    with uow:
        row = load_site(uow.session, site_id)
        if ("latitude" in fields) != ("longitude" in fields):
            # Moving one coordinate alone is checked against the other's current value.
            fields = {"latitude": row.latitude, "longitude": row.longitude, **fields}
        checked = _checked(fields)
        if "code" in checked and checked["code"] != row.code:
            _refuse_taken_code(uow.session, checked["code"])
        before = snapshot(row)
        for name, value in checked.items():
            setattr(row, name, value)
        if panel is not None:
            row.test_panel = panel
        old, new = changes(before, snapshot(row))
        if new:
            _flush_unique(uow.session, row.code)
            uow.audit("update", "site", row.id, old=old, new=new, reason=reason)
        result = view(row)
        uow.commit()
        return result


def deactivate_site(uow: UnitOfWork, site_id: int, *, reason: str) -> SiteView:
    """Stop new bookings at the site; its existing appointments are kept."""
    return _set_active(uow, site_id, False, reason)


def reactivate_site(uow: UnitOfWork, site_id: int, *, reason: str) -> SiteView:
    return _set_active(uow, site_id, True, reason)


def _set_active(uow: UnitOfWork, site_id: int, active: bool, reason: str, view=site_view):
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"Give the reason for {'reactivating' if active else 'deactivating'} the site.")
    with uow:
        row = load_site(uow.session, site_id)
        if row.active == active:
            raise Conflict(f"Site {row.code} is already {'active' if active else 'inactive'}.")
        row.active = active
        uow.audit("update", "site", row.id, old={"active": not active}, new={"active": active}, reason=reason)
        result = view(row)
        uow.commit()
        return result


def list_sites(uow: UnitOfWork, *, active_only: bool = True) -> list[SiteView]:
    with uow:
        stmt = select(Site).order_by(Site.code)
        if active_only:
            stmt = stmt.where(Site.active)
        return [site_view(row) for row in uow.session.execute(stmt).scalars()]


def get_site(uow: UnitOfWork, site_id: int) -> SiteView:
    with uow:
        return site_view(load_site(uow.session, site_id))


def site_by_code(uow: UnitOfWork, code: str) -> SiteView:
    wanted = (code or "").strip().upper()
    with uow:
        row = uow.session.execute(select(Site).where(Site.code == wanted)).scalar_one_or_none()
        if row is None:
            raise NotFound(N_("No site with code %(code)s."), params={"code": repr(code)})
        return site_view(row)


def _refuse_taken_code(session: Session, code: str) -> None:
    taken = session.execute(select(Site.name).where(Site.code == code)).scalar_one_or_none()
    if taken is not None:
        raise Conflict(f"The site code {code} is already used by {taken}: choose another code.")


def _flush_unique(session: Session, code: str) -> None:
    # Two clerks creating the same code at once: the unique index decides, the loser gets a clear message.
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"The site code {code} is already in use: choose another code.") from None


# ---------------------------------------------------------------- sites with their test panel


@dataclass(frozen=True)
class SiteDetail(SiteView):
    """A site with the infection markers every unit collected there must test negative for."""

    test_panel: tuple[str, ...] = lab_tests.DEFAULT_PANEL


def site_detail(row: Site) -> SiteDetail:
    base = site_view(row)
    return SiteDetail(**{f.name: getattr(base, f.name) for f in dataclass_fields(SiteView)},
                      test_panel=tuple(row.test_panel or lab_tests.DEFAULT_PANEL))


def panel_choices() -> tuple[tuple[str, str, bool], ...]:
    """Every infection marker a site may require: (code, name, always required)."""
    return tuple((code, lab_tests.name_of(code), code in lab_tests.MINIMUM_PANEL) for code in lab_tests.MARKERS)


def list_site_details(uow: UnitOfWork, *, active_only: bool = False, kind: str | None = None,
                      limit: int = 50, offset: int = 0) -> tuple[list[SiteDetail], int]:
    """Sites by code, a page at a time, with how many match in all."""
    if kind is not None:
        _check_kind(kind)
    with uow:
        stmt = select(Site)
        if active_only:
            stmt = stmt.where(Site.active)
        if kind is not None:
            stmt = stmt.where(Site.kind == kind)
        total = uow.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = uow.session.execute(stmt.order_by(Site.code).limit(limit).offset(offset)).scalars()
        return [site_detail(row) for row in rows], total


def get_site_detail(uow: UnitOfWork, site_id: int) -> SiteDetail:
    with uow:
        return site_detail(load_site(uow.session, site_id))


def create_site_with_panel(uow: UnitOfWork, *, code: str, name: str, kind: str, facility_code: str,
                           opening_hours: dict, time_zone: str, rule_set: str = "who", address: str = "",
                           latitude: float | None = None, longitude: float | None = None, chairs: int = 4,
                           slot_minutes: int = 15, test_panel: list[str] | None = None) -> SiteDetail:
    """`create_site` with the site's mandatory test panel set in the same transaction."""
    checked = _checked(dict(
        code=code, name=name, kind=kind, facility_code=facility_code, rule_set=rule_set, time_zone=time_zone,
        address=address, latitude=latitude, longitude=longitude, chairs=chairs, slot_minutes=slot_minutes,
        opening_hours=opening_hours,
    ))
    panel = list(lab_tests.validate_panel(lab_tests.DEFAULT_PANEL if test_panel is None else test_panel))
    with uow:
        _refuse_taken_code(uow.session, checked["code"])
        row = Site(**checked, test_panel=panel, active=True)
        uow.session.add(row)
        _flush_unique(uow.session, checked["code"])
        uow.audit("create", "site", row.id, new=snapshot(row))
        result = site_detail(row)
        uow.commit()
        return result


def change_site(uow: UnitOfWork, site_id: int, *, reason: str, test_panel: list[str] | None = None,
                **changed) -> SiteDetail:
    """`update_site` that may also change the test panel: one audit entry, one transaction."""
    return _change(uow, site_id, reason=reason, fields=changed, panel=test_panel,
                   changeable=(*UPDATABLE, "test_panel"), view=site_detail)


def set_site_active(uow: UnitOfWork, site_id: int, *, active: bool, reason: str) -> SiteDetail:
    """Deactivate (no new bookings, existing ones kept) or reactivate a site."""
    return _set_active(uow, site_id, bool(active), reason, view=site_detail)
