"""The erasure page on a donor's record: what an erasure at the donor's request erases and keeps and why,
then the request's date and channel, a confirmation and the medical director's signature.

It cannot be undone, so the page asks twice: a box to tick and the donor number typed again, before the
signature. A refusal brings the page back with the message and what was typed (never the password).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from bloodbank.domain.access import Permission, signature_meaning
from bloodbank.domain.erasure import CHANNEL_LABELS, REQUEST_CHANNELS
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.entrypoints.web.templating import render
from bloodbank.entrypoints.web.ui.donors.desk import form_of, parse_date
from bloodbank.service_layer.donor_portal import my_data
from bloodbank.service_layer.donors import data_copy as data_copies, erasure

router = APIRouter()


@router.get("/desk/donors/{donor_id}/data-copy.pdf")
def data_copy_document(donor_id: int = Path(..., ge=1, le=MAX_ID),
                       caller: Caller = Depends(require(Permission.DATA_COPY))):
    """The donor's right of access, from the desk: the same copy the API gives, as a document to hand over."""
    copy = data_copies.data_copy(caller.uow(), donor_id=donor_id)
    return Response(data_copies.data_copy_document(copy, language=languages.current(),
                                                                   catalogue=languages.catalogue), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="donor-{copy.donor_number}-data.pdf"'})

def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


CHANNELS = [("", "Choose…")] + [(c, CHANNEL_LABELS[c].capitalize()) for c in REQUEST_CHANNELS]


def _page(request: Request, caller: Caller, donor_id: int, *, values: dict | None = None, error: str | None = None,
          notice: str | None = None, status_code: int = 200):
    statement = erasure.statement_or_preview(caller.uow(), donor_id)
    # A request the donor filed from their page fills in its day and channel.
    asked = my_data.requested_on(caller.uow(), donor_id=statement.donor_id)
    blank = {"requested_on": asked.isoformat() if asked else "", "channel": "portal" if asked else "",
             "typed_number": ""}
    return render(request, "desk/erasure.html", status_code=status_code, error=error, notice=notice,
                  statement=statement, channels=CHANNELS, channel_labels=CHANNEL_LABELS,
                  values=values or blank,
                  meaning=signature_meaning("erase", statement.donor_number))


@router.get("/desk/donors/{donor_id}/erasure")
def erasure_page(request: Request, donor_id: int = Path(..., ge=1, le=MAX_ID), notice: str | None = None,
                 caller: Caller = Depends(require(Permission.ERASURE))):
    return _page(request, caller, donor_id,
                 notice="Erased and signed. Give the donor this statement." if notice == "erased" else None)


@router.post("/desk/donors/{donor_id}/erasure")
def erase(request: Request, donor_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
          caller: Caller = Depends(require(Permission.ERASURE))):
    values = {name: _text(form, name) for name in ("requested_on", "channel", "typed_number")}
    try:
        statement = erasure.statement_or_preview(caller.uow(), donor_id)
        requested_on = parse_date(values["requested_on"], "The date the donor asked")
        if _text(form, "irreversible") != "yes":
            raise InvalidInput("Tick the box to confirm that the erasure cannot be undone.")
        if values["typed_number"].replace(" ", "").upper() != statement.donor_number:
            raise InvalidInput(f"Type the donor number {statement.donor_number} to confirm which person is erased.")
        signed(caller, password=str(form.get("signature_password") or ""), action="erase",
               act=lambda: erasure.erase_donor(caller.uow(), donor_ref=statement.donor_id, requested_on=requested_on,
                                               channel=values["channel"]),
               record=lambda done: (done.donor_number, "donor", done.donor_id))
    except DomainError as error:
        return _page(request, caller, donor_id, values=values, error=error, status_code=status_for(error))
    return RedirectResponse(f"/desk/donors/{statement.donor_id}/erasure?notice=erased", status_code=303)
