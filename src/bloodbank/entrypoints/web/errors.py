"""Domain errors as HTTP answers: one table, so every endpoint answers the same error the same way."""

from __future__ import annotations

from fastapi.encoders import jsonable_encoder

from bloodbank.domain.errors import DomainError
from bloodbank.entrypoints import languages

STATUS_BY_CODE = {
    "not_found": 404,
    "login_refused": 401,
    "login_throttled": 429,
    "signature_refused": 403,
    "second_check_refused": 403,
    "conflict": 409,
    "issue_refused": 409,
    "capacity_full": 409,
    "possible_duplicate": 409,
    "invalid_transition": 409,
    "visit_closed": 409,
    "link_invalid": 410,
    "appeal_refused": 409,
    # Refused by the installation's state, like a conflict: not a fault of the server, and nothing was done.
    "messaging_not_configured": 409,
    # The installation cannot read or seal confidences until its key ring is restored: not the request's fault.
    "data_key_unavailable": 503,
}


def status_for(error: DomainError) -> int:
    """Whatever is not named is 422: the request was understood and refused by a rule."""
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 422


def error_body(error: DomainError) -> dict:
    """The stable code and the clerk's message in the caller's language, plus what the error carries."""
    body: dict = {"code": error.code, "message": languages.error_message(error)}
    for extra in ("reasons", "candidates", "refusals"):
        value = getattr(error, extra, None)
        if value:
            body[extra] = jsonable_encoder(list(value))
    return body
