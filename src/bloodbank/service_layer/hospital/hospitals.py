"""Hospitals the blood bank serves: each is supplied from one site's stock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import tzinfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Hospital
from bloodbank.domain import scheduling, text
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.service_layer.hospital import scope
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.clocks import hospital_clock
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# The code also qualifies hospital numbers ("RXH:123456"), so it has no colon or space.
_CODE = re.compile(r"^[A-Z0-9]{2,20}$")


@dataclass(frozen=True)
class HospitalView:
    id: int
    code: str
    name: str
    site_id: int | None
    time_zone: str | None  # None: the serving site's clock
    address: str
    latitude: float | None
    longitude: float | None


def hospital_view(row: Hospital) -> HospitalView:
    return HospitalView(id=row.id, code=row.code, name=row.name, site_id=row.site_id, time_zone=row.time_zone,
                        address=row.address,
                        latitude=row.latitude, longitude=row.longitude)


def create_hospital(uow: UnitOfWork, *, code: str, name: str, site_id: int, address: str = "",
                    latitude: float | None = None, longitude: float | None = None,
                    time_zone: str | None = None) -> HospitalView:
    """A hospital served by a site; without a time zone it keeps the site's clock."""
    fields = dict(code=_code(code), name=_name(name), address=_address(address),
                  time_zone=None if time_zone in (None, "") else scheduling.check_time_zone(time_zone),
                  **_position(latitude, longitude))
    with uow:
        session = uow.session
        load_site(session, site_id)
        if find_hospital(session, fields["code"]) is not None:
            raise Conflict(f"A hospital with code {fields['code']} already exists.")
        row = Hospital(site_id=site_id, **fields)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"A hospital with code {fields['code']} was created a moment ago.") from None
        uow.audit("create", "hospital", row.id, new=snapshot(row))
        view = hospital_view(row)
        uow.commit()
        return view


def list_hospitals(uow: UnitOfWork, *, site_id: int | None = None) -> list[HospitalView]:
    """The caller's hospitals (every one, for the blood service), by code."""
    with uow:
        statement = select(Hospital).where(scope.hospitals_visible(uow.scope, Hospital.id)).order_by(Hospital.code)
        if site_id is not None:
            statement = statement.where(Hospital.site_id == site_id)
        return [hospital_view(row) for row in uow.session.execute(statement).scalars()]


def get_hospital(uow: UnitOfWork, hospital: int | str) -> HospitalView:
    """By id, or by code (e.g. RXH); one of the caller's."""
    with uow:
        return hospital_view(scope.hospital(uow, hospital))


def local_clock(uow: UnitOfWork, hospital_id: int) -> tzinfo:
    """The clock the ward reads: the hospital's own zone, or its serving site's."""
    with uow:
        return hospital_clock(uow.session, scope.hospital(uow, hospital_id))


def load_hospital(session: Session, hospital: int | str) -> Hospital:
    row = session.get(Hospital, hospital) if isinstance(hospital, int) else find_hospital(session, hospital)
    if row is None:
        raise NotFound(f"There is no hospital {hospital}.")
    return row


def find_hospital(session: Session, code: str) -> Hospital | None:
    return session.execute(
        select(Hospital).where(Hospital.code == (code or "").strip().upper())
    ).scalar_one_or_none()


def _code(value: object) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not _CODE.match(code):
        raise InvalidInput(f"A hospital code is 2 to 20 letters or digits (e.g. RXH); got {value!r}.")
    return code


def _name(value: object) -> str:
    name = text.clean_text(value, "hospital's name", 200)
    if not name:
        raise InvalidInput("Give the hospital a name (at most 200 characters).")
    return name


def _address(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value.strip()) > 300:
        raise InvalidInput("The address is text of at most 300 characters.")
    return value.strip()


def _position(latitude: object, longitude: object) -> dict:
    if latitude is None and longitude is None:
        return {"latitude": None, "longitude": None}
    if latitude is None or longitude is None:
        raise InvalidInput("Give both latitude and longitude, or neither.")
    for value, name, limit in ((latitude, "latitude", 90), (longitude, "longitude", 180)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not -limit <= value <= limit:
            raise InvalidInput(f"The {name} is a number between -{limit} and {limit}; got {value!r}.")
    return {"latitude": float(latitude), "longitude": float(longitude)}
