"""Pages of the donor desk: find and register donors, the day's appointments, and the visit up to consent.

Every form keeps what was typed when something is refused: the page comes back
with the clear message and the same values, so nothing has to be typed twice.
Phlebotomists read the same visit page; the collection itself is on theirs.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from bloodbank.config import get_settings
from bloodbank.domain import questionnaire, scheduling
from bloodbank.domain.access import Permission, signature_meaning
from bloodbank.domain.consent import OPEN_STATUSES
from bloodbank.domain.eligibility import DonationKind
from bloodbank.domain.errors import DomainError, InvalidInput, PossibleDuplicate
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_, Text
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.entrypoints.web.templating import local, render, viewer_clock
from bloodbank.service_layer.donor_portal import home_answers
from bloodbank.service_layer.donors import (
    appointments, consent, deferrals, merge as donor_merge, registry as donors, screening, sites, visits,
)
from bloodbank.service_layer.donors import same_day, search as donor_search

router = APIRouter()

PAGE_SIZE = 25
FIRST_YEAR, LAST_YEAR = 1900, 2200
KINDS = [(k.value, k.value.replace("_", " ").capitalize()) for k in DonationKind]
# KINDS' labels, written out so the catalogues hold them.
KIND_LABELS = (N_("Whole blood"), N_("Double red cells"), N_("Plasma"), N_("Platelets"))
SEX_OPTIONS = [("", N_("Choose…")), ("F", N_("Female")), ("M", N_("Male"))]
STATUS_LABELS = {
    "checked_in": N_("Checked in: questionnaire and measurements next"),
    "screened": N_("Screened: eligible, consent next"),
    "deferred": N_("Not eligible today"),
    "consented": N_("Consent given: ready for collection"),
    "collected": N_("Collected"),
    "withdrawn": N_("The donor withdrew"),
}
# Which step a withdrawal from each open state is recorded at.
WITHDRAWAL_STEP = {"checked_in": "check_in", "screened": "screening", "consented": "consent"}
# The steps a withdrawal is recorded at, as the visit page names them, written out so the catalogues hold them.
STEP_LABELS = (N_("check in"), N_("screening"), N_("consent"), N_("questionnaire"))
# An appointment's status as the day's list shows it.
APPOINTMENT_STATUS_LABELS = (N_("booked"), N_("cancelled"), N_("checked in"), N_("no show"))
# A visit's status as the screening page names it.
VISIT_STATUS_WORDS = (N_("screened"), N_("consented"), N_("deferred"), N_("collected"), N_("withdrawn"))
NOTICES = {
    "registered": N_("Donor registered."),
    "checked_in": N_("Checked in. Go through the questionnaire and measurements with the donor."),
    "screened": N_("Screening recorded."),
    "consented": N_("Consent recorded. The donor can go to collection."),
    "withdrawn": N_("The donor has withdrawn. The visit is closed; no reason is asked."),
    "rescreen": N_("Override signed: the donor may be checked in and screened once more today."),
    "booked": N_("Appointment booked."),
    "cancelled": N_("Appointment cancelled; the chair is free again."),
    "no_show": N_("Marked as a no-show."),
    "merged": N_("Records merged: this record now holds the whole history."),
}
MEASUREMENTS = (  # (field, label, whole numbers only)
    ("weight_kg", N_("Weight (kg)"), False),
    ("hemoglobin_g_dl", N_("Haemoglobin (g/dL)"), False),
    ("systolic", N_("Blood pressure, systolic (mmHg)"), True),
    ("diastolic", N_("Blood pressure, diastolic (mmHg)"), True),
    ("pulse", N_("Pulse (beats per minute)"), True),
    ("temperature_c", N_("Temperature (°C)"), False),
)
REGISTRATION_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "phone", "email", "address", "postcode",
                       "blood_group", "preferred_site_id", "appeals_opt_in", "language")


async def form_of(request: Request) -> FormData:
    """The posted form (already read and kept by the CSRF check)."""
    return await request.form()


def visit_id_path():
    return Path(..., ge=1, le=MAX_ID)


def _see_other(url: str, **params) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return RedirectResponse(f"{url}?{query}" if query else url, status_code=303)


def _notice(code: str | None) -> str | None:
    return NOTICES.get(code or "")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_date(text: str, label: str, *, required: bool = True) -> date | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise InvalidInput(N_("%(label)s is missing: write it as YYYY-MM-DD, for example 1988-04-09."),
                               params={"label": label})
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("%(label)s: '%(text)s' is not a date written YYYY-MM-DD (for example 1988-04-09)."),
                           params={"label": label, "text": text}) from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InvalidInput(N_("%(label)s: the year %(year)s cannot be right; check it."),
                           params={"label": label, "year": value.year})
    return value


def _number(text: str, label: str, whole: bool) -> float | int | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(N_("%(label)s: '%(text)s' is not a number."), params={"label": label, "text": text}) from None
    if whole:
        if not value.is_integer():
            raise InvalidInput(N_("%(label)s: give a whole number, not '%(text)s'."), params={"label": label, "text": text})
        return int(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(N_("%(label)s: '%(text)s' is not a number."), params={"label": label, "text": text})
    return value


def _int_or_none(text: str, label: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput(N_("%(label)s: choose one from the list."), params={"label": label})
    return int(text)


def _site_options(caller: Caller, blank: str | None = None) -> list[tuple[str, str]]:
    options = [(str(s.id), f"{s.code} — {s.name}") for s in sites.list_sites(caller.uow())]
    return ([("", blank)] if blank is not None else []) + options


# ---------------------------------------------------------------- find a donor


def _looks_like_card(text: str) -> bool:
    """The whole search is one donor number (letter D, digits, a check character): a scan of the card."""
    compact = "".join(text.split()).upper()
    return len(compact) == 9 and compact[0] == "D" and compact[1:8].isdigit()


@router.get("/desk")
def desk(request: Request, q: str = Query("", max_length=200), date_of_birth: str = Query("", max_length=40),
         offset: int = Query(0, ge=0, le=100_000), caller: Caller = Depends(require(Permission.DONORS_READ))):
    context = dict(q=q, date_of_birth=date_of_birth, offset=offset, results=None, sites=sites.list_sites(caller.uow()),
                   page_size=PAGE_SIZE)
    if not (q.strip() or date_of_birth.strip()):
        return render(request, "desk/home.html", **context)
    if _looks_like_card(q) and not date_of_birth.strip():
        # A donor card scanned (characters, then Enter): straight to the donor, no list to pick from. The live
        # search asks through htmx, which follows HX-Redirect; a plain form follows the 303.
        htmx = "hx-request" in request.headers
        try:
            found = donor_search.find_donor_by_number(caller.uow(), q)
        except DomainError as error:
            if not htmx:
                return render(request, "desk/home.html", status_code=status_for(error), error=error.message,
                              **context)
        else:
            where = f"/desk/donors/{found.id}"
            return Response(status_code=200, headers={"HX-Redirect": where}) if htmx \
                else RedirectResponse(where, status_code=303)
    try:
        born = parse_date(date_of_birth, N_("Date of birth"), required=False)
        context["results"] = donor_search.find_donors(caller.uow(), text=q, date_of_birth=born, limit=PAGE_SIZE,
                                                offset=offset)
    except DomainError as error:
        return render(request, "desk/home.html", status_code=status_for(error), error=error, **context)
    return render(request, "desk/home.html", **context)


# ---------------------------------------------------------------- register


def _registration_page(request: Request, caller: Caller, values: dict, *, status_code: int = 200,
                       error: str | None = None, candidates=()):
    return render(request, "desk/register.html", status_code=status_code, error=error, values=values,
                  candidates=list(candidates), sex_options=SEX_OPTIONS,
                  site_options=_site_options(caller, blank=N_("No preference")),
                  language_options=[("", N_("As their browser asks")), *languages.LANGUAGES.items()])


@router.get("/desk/donors/new")
def registration_form(request: Request, caller: Caller = Depends(require(Permission.DONORS_WRITE))):
    return _registration_page(request, caller, {})


@router.post("/desk/donors/new")
def register(request: Request, form: FormData = Depends(form_of),
             caller: Caller = Depends(require(Permission.DONORS_WRITE))):
    values = {name: _text(form, name) for name in REGISTRATION_FIELDS}
    try:
        confirmed = tuple(_int_or_none(v, "Confirmed record") for v in form.getlist("not_duplicate_of")
                          if isinstance(v, str) and v.strip())
        donor = donors.register_donor(
            caller.uow(), given_name=values["given_name"], family_name=values["family_name"],
            date_of_birth=parse_date(values["date_of_birth"], "Date of birth"), sex=values["sex"],
            phone=values["phone"] or None, email=values["email"] or None, address=values["address"],
            postcode=values["postcode"], blood_group=values["blood_group"] or None,
            preferred_site_id=_int_or_none(values["preferred_site_id"], "Preferred site"),
            appeals_opt_in=values["appeals_opt_in"] == "yes", language=values["language"] or None,
            confirm_new_person_despite=confirmed,
        )
    except PossibleDuplicate as error:
        return _registration_page(request, caller, values, status_code=status_for(error), error=error,
                                  candidates=error.candidates)
    except DomainError as error:
        return _registration_page(request, caller, values, status_code=status_for(error), error=error)
    return _see_other(f"/desk/donors/{donor.id}", notice="registered")


# ---------------------------------------------------------------- the donor's page


def _donor_page(request: Request, caller: Caller, donor_id: int, *, status_code: int = 200,
                error: str | None = None, notice: str | None = None, check_in: dict | None = None,
                merge: dict | None = None):
    donor = donors.get_donor(caller.uow(), donor_id)
    principal = caller.principal
    upcoming = (appointments.upcoming_for_donor(caller.uow(), donor.id)
                if principal.may(Permission.APPOINTMENTS) else [])
    history = visits.donor_history(caller.uow(), donor.id)
    clock = viewer_clock(request)
    today = datetime.now(clock).date()
    open_visit = next((v for v in history if v.status in OPEN_STATUSES
                       and v.checked_in_at.astimezone(clock).date() == today), None)
    site_names = {s.id: f"{s.code} — {s.name}" for s in sites.list_sites(caller.uow(), active_only=False)}
    chosen = check_in or {"site_id": str(donor.preferred_site_id or ""), "kind": "whole_blood",
                          "appointment_id": next((str(a.id) for a in upcoming if _today_there(a.starts_at)), "")}
    return render(
        request, "desk/donor.html", status_code=status_code, error=error, notice=notice, donor=donor,
        status=deferrals.deferral_status(caller.uow(), donor.id), upcoming=upcoming, history=history,
        open_visit=open_visit, preferred_site=site_names.get(donor.preferred_site_id),
        site_options=_site_options(caller, blank=N_("Choose the site…")), kinds=KINDS,
        appointment_options=[("", N_("No appointment (walk-in)"))] + [
            (str(a.id), Text(N_("%(when)s at %(site)s"), when=local(a.starts_at, '%a %d %b %H:%M', own_clock=True),
                             site=a.site_code))
            for a in upcoming if _today_there(a.starts_at)],
        check_in=chosen, merge=merge or {},
    )


def to_survivor(caller: Caller, donor_id: int, page: str = "") -> RedirectResponse | None:
    """A merged record's page sends the browser to the same page of the record it was merged into, where the
    person's history is; None for a record that is the person's own."""
    survivor = donors.get_donor(caller.uow(), donor_id)
    return _see_other(f"/desk/donors/{survivor.id}{page}") if survivor.id != donor_id else None


@router.get("/desk/donors/{donor_id}")
def donor_page(request: Request, donor_id: int = Path(..., ge=1, le=MAX_ID), notice: str | None = None,
               caller: Caller = Depends(require(Permission.DONORS_READ))):
    moved = to_survivor(caller, donor_id)
    if moved is not None:
        return moved
    return _donor_page(request, caller, donor_id, notice=_notice(notice))


@router.post("/desk/donors/{donor_id}/check-in")
def check_in(request: Request, donor_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
             caller: Caller = Depends(require(Permission.VISITS))):
    values = {name: _text(form, name) for name in ("site_id", "kind", "appointment_id")}
    try:
        site_id = _int_or_none(values["site_id"], "Site")
        if site_id is None:
            raise InvalidInput("Choose the site where the donor is being checked in.")
        visit = visits.check_in(caller.uow(), donor_id=donor_id, site_id=site_id,
                                appointment_id=_int_or_none(values["appointment_id"], "Appointment"),
                                kind=values["kind"] or "whole_blood")
    except DomainError as error:
        return _donor_page(request, caller, donor_id, status_code=status_for(error), error=error,
                           check_in=values)
    return _see_other(f"/desk/visits/{visit.id}", notice="checked_in")


@router.post("/desk/donors/{donor_id}/merge")
def merge(request: Request, donor_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
          caller: Caller = Depends(require(Permission.DONORS_MERGE))):
    values = {name: _text(form, name) for name in ("duplicate_number", "reason")}
    try:
        donor_merge.merge_by_number(caller.uow(), survivor_id=donor_id, duplicate_number=values["duplicate_number"],
                                    reason=values["reason"])
    except DomainError as error:
        return _donor_page(request, caller, donor_id, status_code=status_for(error), error=error,
                           merge=values)
    return _see_other(f"/desk/donors/{donor_id}", notice="merged")


# ---------------------------------------------------------------- the visit


def _visit_page(request: Request, caller: Caller, visit_id: int, *, status_code: int = 200,
                error: str | None = None, notice: str | None = None):
    detail = visits.visit_detail(caller.uow(), visit_id,
                                 reasons=caller.principal.may(Permission.DEFERRAL_REASONS))
    return render(request, "desk/visit.html", status_code=status_code, error=error, notice=notice, d=detail,
                  v=detail.visit, status_label=STATUS_LABELS.get(detail.visit.status, detail.visit.status),
                  withdrawal_step=WITHDRAWAL_STEP.get(detail.visit.status),
                  override_meaning=signature_meaning("override", same_day.override_subject(detail.visit)))


@router.get("/desk/visits/{visit_id}")
def visit_page(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID), notice: str | None = None,
               caller: Caller = Depends(require(Permission.VISITS))):
    return _visit_page(request, caller, visit_id, notice=_notice(notice))


@router.post("/desk/visits/{visit_id}/withdraw")
def withdraw(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
             caller: Caller = Depends(require(Permission.VISITS))):
    try:
        consent.withdraw(caller.uow(), visit_id=visit_id, step=_text(form, "step"))
    except DomainError as error:
        return _visit_page(request, caller, visit_id, status_code=status_for(error), error=error)
    return _see_other(f"/desk/visits/{visit_id}", notice="withdrawn")


@router.post("/desk/visits/{visit_id}/rescreen-override")
def rescreen_override(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
                      caller: Caller = Depends(require(Permission.DEFERRALS_WRITE))):
    try:
        signed(caller, password=str(form.get("signature_password") or ""), action="override",
               act=lambda: same_day.allow_rescreen(caller.uow(), visit_id=visit_id, reason=_text(form, "reason")),
               record=lambda view: (same_day.override_subject(view), "visit", view.id))
    except DomainError as error:
        return _visit_page(request, caller, visit_id, status_code=status_for(error), error=error)
    return _see_other(f"/desk/visits/{visit_id}", notice="rescreen")


def _questions(sex: str) -> list[questionnaire.Question]:
    return [q for q in questionnaire.questions() if questionnaire.applies_to(q, sex)]


def _screening_page(request: Request, caller: Caller, visit_id: int, values: dict, *, status_code: int = 200,
                    error: str | None = None, from_home: bool = False):
    detail = visits.visit_detail(caller.uow(), visit_id)
    return render(request, "desk/screening.html", status_code=status_code, error=error, d=detail, v=detail.visit,
                  from_home=from_home,
                  questions=_questions(detail.donor_sex), measurements=MEASUREMENTS, values=values,
                  questionnaire_version=questionnaire.CURRENT_VERSION)


@router.get("/desk/visits/{visit_id}/screening")
def screening_form(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID),
                   home: str = Query("", max_length=100, description="The code of the donor's answers from home"),
                   caller: Caller = Depends(require(Permission.VISITS))):
    if not home.strip():
        return _screening_page(request, caller, visit_id, {})
    try:
        values = home_answers.answers_for_visit(caller.uow(), visit_id=visit_id, scanned=home)
    except DomainError as error:
        return _screening_page(request, caller, visit_id, {}, status_code=status_for(error), error=error)
    return _screening_page(request, caller, visit_id, values, from_home=True)


def _answers(form: FormData, asked: list[questionnaire.Question]) -> dict:
    """Question id → "yes"/"no", or the date of a dated "yes"; every question must have been answered."""
    answers, unanswered = {}, []
    for q in asked:
        choice = _text(form, f"q_{q.id}")
        if choice not in ("yes", "no"):
            unanswered.append(q.donor_text)
            continue
        if choice == "yes" and q.asks_date:
            answers[q.id] = parse_date(_text(form, f"d_{q.id}"), f"“{q.donor_text}” Yes: the {q.since}")
        else:
            answers[q.id] = choice
    if unanswered:
        listed = "\n".join(f"• {text}" for text in unanswered)
        raise InvalidInput(f"Answer every question with the donor. Not answered yet:\n{listed}")
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in answers.items()}


@router.post("/desk/visits/{visit_id}/screening")
def screen(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
           caller: Caller = Depends(require(Permission.VISITS))):
    values = {key: value.strip() for key, value in form.multi_items() if isinstance(value, str)}
    try:
        detail = visits.visit_detail(caller.uow(), visit_id)
        answers = _answers(form, _questions(detail.donor_sex))
        measured = {field: _number(_text(form, field), label, whole) for field, label, whole in MEASUREMENTS}
        screening.record_screening(caller.uow(), visit_id=visit_id, answers=answers, **measured)
    except DomainError as error:
        return _screening_page(request, caller, visit_id, values, status_code=status_for(error),
                               error=error)
    return _see_other(f"/desk/visits/{visit_id}", notice="screened")


@router.get("/desk/visits/{visit_id}/consent")
def consent_form(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID),
                 caller: Caller = Depends(require(Permission.VISITS))):
    detail = visits.visit_detail(caller.uow(), visit_id)
    return render(request, "desk/consent.html", d=detail, v=detail.visit,
                  consent_version=get_settings().consent_text_version)


@router.post("/desk/visits/{visit_id}/consent")
def give_consent(request: Request, visit_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
                 caller: Caller = Depends(require(Permission.VISITS))):
    # The version is the one the page showed the donor: if it changed meanwhile, the use case refuses.
    shown = _text(form, "text_version")
    try:
        consent.give_consent(caller.uow(), visit_id=visit_id, text_version=shown,
                             confirmed_by_donor=_text(form, "confirmed_by_donor") == "yes")
    except DomainError as error:
        detail = visits.visit_detail(caller.uow(), visit_id)
        return render(request, "desk/consent.html", status_code=status_for(error), error=error, d=detail,
                      v=detail.visit, consent_version=get_settings().consent_text_version)
    return _see_other(f"/desk/visits/{visit_id}", notice="consented")


@router.get("/desk/visits")
def open_visits(request: Request, site_id: int | None = Query(None, ge=1, le=MAX_ID),
                caller: Caller = Depends(require(Permission.VISITS))):
    options = _site_options(caller)
    chosen = site_id or (int(options[0][0]) if options else None)
    found = visits.open_visit_details(caller.uow(), chosen) if chosen else []
    return render(request, "desk/visits.html", site_options=options, site_id=str(chosen or ""), visits=found,
                  site_label=dict(options).get(str(chosen), ""))


# ---------------------------------------------------------------- appointments of the day


def _today_there(starts_at: datetime) -> bool:
    """Is this appointment today on its own site's clock (the view gives it on that clock)?"""
    return starts_at.date() == datetime.now(starts_at.tzinfo).date()


def _appointments_page(request: Request, caller: Caller, site_id: int | None, day_text: str, *,
                       status_code: int = 200, error: str | None = None, notice: str | None = None,
                       booking: dict | None = None):
    options = _site_options(caller)
    chosen = site_id or (int(options[0][0]) if options else None)
    # The site's day: a desk in Damascus opens on its own today, not UTC's.
    site_zone = sites.get_site(caller.uow(), chosen).time_zone if chosen else None
    today = datetime.now(scheduling.zone(site_zone) if site_zone else viewer_clock(request)).date()
    context = dict(site_options=options, site_id=str(chosen or ""), day_text=day_text, day=None, today=today,
                   listed=[], slots=[], next_day=None, kinds=KINDS, booking=booking or {}, now=datetime.now(timezone.utc),
                   site_label=dict(options).get(str(chosen), ""))
    try:
        day = parse_date(day_text, N_("Day"), required=False) or today
        context.update(day=day, day_text=day.isoformat())
        if chosen:
            context["listed"] = appointments.list_for_site_day(caller.uow(), site_id=chosen, on=day)
            if not context["listed"]:
                context["next_day"] = appointments.next_booked_day(caller.uow(), site_id=chosen, after=day)
            context["slots"] = [(s.starts_at.isoformat(),
                                 languages.gettext(N_("%(time)s (%(free)s free)"))
                                 % {"time": local(s.starts_at, '%H:%M', own_clock=True), "free": s.free})
                                for s in appointments.available_slots(caller.uow(), site_id=chosen, on=day)
                                if s.free > 0]
    except DomainError as found:
        if error is None:
            error, status_code = found.message, status_for(found)
    return render(request, "desk/appointments.html", status_code=status_code, error=error, notice=notice, **context)


@router.get("/desk/appointments")
def appointments_page(request: Request, site_id: int | None = Query(None, ge=1, le=MAX_ID),
                      on: str = Query("", max_length=40), donor: str = Query("", max_length=40),
                      notice: str | None = None, caller: Caller = Depends(require(Permission.APPOINTMENTS))):
    return _appointments_page(request, caller, site_id, on, notice=_notice(notice), booking={"donor_ref": donor})


@router.post("/desk/appointments/book")
def book(request: Request, form: FormData = Depends(form_of),
         caller: Caller = Depends(require(Permission.APPOINTMENTS))):
    values = {name: _text(form, name) for name in ("site_id", "on", "donor_ref", "starts_at", "kind")}
    site_id = None
    try:
        site_id = _int_or_none(values["site_id"], "Site")
        if not values["starts_at"]:
            raise InvalidInput("Choose the time of the appointment.")
        try:
            starts_at = datetime.fromisoformat(values["starts_at"])
        except ValueError:
            starts_at = None
        if starts_at is None or not FIRST_YEAR <= starts_at.year <= LAST_YEAR:
            raise InvalidInput("Choose the time of the appointment from the list.")
        appointments.book_for(caller.uow(), donor_ref=values["donor_ref"], site_id=site_id or 0,
                              starts_at=starts_at, kind=values["kind"] or "whole_blood")
    except DomainError as error:
        return _appointments_page(request, caller, site_id, values["on"], status_code=status_for(error),
                                  error=error, booking=values)
    return _see_other("/desk/appointments", site_id=site_id, on=values["on"], notice="booked")


def _back(form: FormData, fallback: str) -> str:
    """Where to go after acting from a list: a desk page only, never another site."""
    target = _text(form, "next")
    return target if target.startswith("/desk") and "//" not in target and "\\" not in target else fallback


def _appointment_act(request: Request, caller: Caller, form: FormData, act, notice: str):
    back = _back(form, "/desk/appointments")
    try:
        act()
    except DomainError as error:
        site_id = _text(form, "site_id")
        return _appointments_page(request, caller, int(site_id) if site_id.isdigit() and int(site_id) <= MAX_ID
                                  else None, _text(form, "on"), status_code=status_for(error), error=error)
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}notice={notice}", status_code=303)


@router.post("/desk/appointments/{appointment_id}/cancel")
def cancel(request: Request, appointment_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
           caller: Caller = Depends(require(Permission.APPOINTMENTS))):
    return _appointment_act(request, caller, form, lambda: appointments.cancel(
        caller.uow(), appointment_id=appointment_id, reason="cancelled at the desk"), "cancelled")


@router.post("/desk/appointments/{appointment_id}/no-show")
def no_show(request: Request, appointment_id: int = Path(..., ge=1, le=MAX_ID), form: FormData = Depends(form_of),
            caller: Caller = Depends(require(Permission.APPOINTMENTS))):
    return _appointment_act(request, caller, form, lambda: appointments.mark_no_show(
        caller.uow(), appointment_id=appointment_id), "no_show")
