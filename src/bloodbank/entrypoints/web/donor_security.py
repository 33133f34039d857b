"""Who is asking, for the donor's own pages and API: a donor session, never a staff one.

A donor session lives in its own cookie and its own table. The staff side
never reads that cookie, and this side never reads the staff cookie or a bearer
token, so neither kind of session can be used as the other. Every unsafe
request made with the cookie carries the session's CSRF token, as on the staff side.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request

from bloodbank.adapters.db.database import Database
from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web.security import (
    CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, Forbidden, NotAuthenticated, database_of,
)
from bloodbank.service_layer.donor_portal import sessions
from bloodbank.service_layer.donor_portal.sessions import DonorPrincipal
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

DONOR_COOKIE = "bloodbank_donor"


class DonorNotSignedIn(NotAuthenticated):
    """No valid donor session: the API answers 401, the pages send the browser to the donor's sign-in."""


@dataclass(frozen=True)
class DonorCaller:
    donor: DonorPrincipal
    database: Database
    read_only: bool = False

    def uow(self) -> UnitOfWork:
        return self.donor.unit_of_work(self.database, read_only=self.read_only)

    @property
    def donor_id(self) -> int:
        return self.donor.donor_id


def donor_of(request: Request) -> DonorPrincipal | None:
    if "donor" in request.state._state:
        return request.state.donor
    found = sessions.resolve_donor_session(UnitOfWork(database_of(request), actor="portal", read_only=True),
                                           request.cookies.get(DONOR_COOKIE))
    request.state.donor = found
    return found


async def _csrf_ok(request: Request, donor: DonorPrincipal) -> bool:
    if request.method in SAFE_METHODS:
        return True
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get(CSRF_FIELD)
    return bool(sent) and secrets.compare_digest(str(sent), donor.csrf_token)


async def signed_in_donor(request: Request) -> DonorCaller:
    """The dependency of every donor route: the signed-in donor, and nobody else."""
    donor = donor_of(request)
    if donor is None:
        raise DonorNotSignedIn()
    if not await _csrf_ok(request, donor):
        raise Forbidden(N_("This form has expired or did not come from bloodbank: reload the page and try again."))
    return DonorCaller(donor=donor, database=database_of(request), read_only=request.method in ("GET", "HEAD"))


def set_donor_cookie(response, request: Request, token: str) -> None:
    response.set_cookie(DONOR_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https")
