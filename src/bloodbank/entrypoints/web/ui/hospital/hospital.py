"""Pages: the hospital transfusion staff's home, patients, orders, issue and the bedside record.

Each page shows what the use cases let the reader see: hospital staff their own hospitals' patients and
orders (`domain.hospital_scope`), another hospital's record is "not found" as if it did not exist.

Every form posts, and on success redirects (POST-redirect-GET) to the page it
came from with a short notice. A refusal renders the same page again with the
rule's message (every reason of a refused issue) and what the person typed.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response

from bloodbank.domain import compatibility_tag as tag_rules, haemovigilance as hv
from bloodbank.domain.access import CHOSEN_ABOVE, Permission, signature_meaning
from bloodbank.domain.components import kind_name
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.isbt128 import parse_din
from bloodbank.domain.patients import IDENTIFIER_SYSTEMS, ORDER_KINDS, SPECIAL_REQUIREMENTS, URGENCIES
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.domain.second_entry import SecondEntryDisagrees
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import CSRF_FIELD, Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.entrypoints.web.templating import local, render, viewer_clock
from bloodbank.service_layer.crisis import incidents as crisis_incidents
from bloodbank.service_layer.hospital import (
    allocation, compatibility_tag, crossmatch, grouping_errors, hospitals, issue, orders, patient_lab, patient_merge,
    patients, returns, transfusion,
)
from bloodbank.service_layer.hospital import emergency as emergencies, workup as order_workups
from bloodbank.service_layer.traceability import recall_follow_up

router = APIRouter(prefix="/hospital")

ORDERS = Depends(require(Permission.ORDERS))
PATIENTS_READ = Depends(require(Permission.PATIENTS_READ))
PATIENTS_WRITE = Depends(require(Permission.PATIENTS_WRITE))
ISSUE = Depends(require(Permission.ISSUE))
EMERGENCY = Depends(require(Permission.ISSUE, Permission.EMERGENCY_RELEASE))
TRANSFUSION = Depends(require(Permission.TRANSFUSION))

PAGE = 25
_DIGITS = re.compile(r"^[0-9]{1,10}$")
_NUMBER = re.compile(r"^[0-9]{1,4}(\.[0-9]{1,2})?$")
NOT_SAVED = ("csrf_token", CSRF_FIELD, "signature_password")
Id = Annotated[int, Path(ge=1, le=MAX_ID)]

NOTICES = {
    "patient": N_("Patient registered."),
    "details": N_("Details saved. The change is kept in the record's history with its reason."),
    "identifier": N_("Identifier added."),
    "sample": N_("Sample recorded."),
    "grouping": N_("Grouping recorded."),
    "grouping_typed": N_("Grouping recorded, typed by hand: it counts for the patient's group once a second entry "
                         "agrees with it."),
    "grouping_in_error": N_("Grouping marked entered in error, signed: it no longer counts for the patient's group."),
    "screen": N_("Antibody screen recorded."),
    "antibody": N_("Antibody recorded."),
    "requirement": N_("Special requirement recorded."),
    "requirement_ended": N_("Special requirement ended from today."),
    "merged": N_("Records merged: every grouping, antibody, requirement, sample and order is on this record now."),
    "order": N_("Order placed."),
    "allocated": N_("Allocation done: the units held are listed below."),
    "reserved": N_("Unit reserved."),
    "released": N_("Reservation released: the unit is back in stock."),
    "crossmatch": N_("Crossmatch recorded."),
    "cancelled": N_("Order cancelled; units still reserved for it went back to stock."),
    "issued": N_("Unit issued. Hand it over with the checks shown below."),
    "emergency": N_("Emergency release signed and issued. Group the patient and crossmatch the unit as soon as "
                    "a sample is tested."),
    "started": N_("Bedside check passed: transfusion started."),
    "vitals": N_("Observations recorded."),
    "ended": N_("Transfusion ended."),
    "reaction": N_("Reaction reported."),
    "returned": N_("Return recorded."),
}

VITALS = (
    ("temperature_c", N_("Temperature (°C)"), False),
    ("pulse", N_("Pulse (beats/min)"), True),
    ("systolic", N_("Systolic pressure (mmHg)"), True),
    ("diastolic", N_("Diastolic pressure (mmHg)"), True),
    ("respiratory_rate", N_("Respiratory rate (breaths/min)"), True),
    ("spo2", N_("Oxygen saturation (%)"), True),
)


# ---------------------------------------------------------------- parsing form text


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: str(value) for key, value in form.items() if key not in NOT_SAVED}


async def _password(request: Request) -> str:
    return str((await request.form()).get("signature_password", ""))


def _id(value: str | None, what: str) -> int:
    text = (value or "").strip()
    if not _DIGITS.match(text) or not 1 <= int(text) <= MAX_ID:
        raise InvalidInput(N_("Choose %(what)s."), params={"what": what})
    return int(text)


def _optional_id(value: str | None, what: str) -> int | None:
    return _id(value, what) if (value or "").strip() else None


def _whole(value: str | None, what: str, low: int, high: int) -> int:
    text = (value or "").strip()
    if not _DIGITS.match(text) or not low <= int(text) <= high:
        raise InvalidInput(N_("The %(what)s is a whole number from %(low)s to %(high)s."),
                           params={"what": what, "low": low, "high": high})
    return int(text)


def _checked(value: str | None) -> bool:
    return (value or "").strip().lower() in ("on", "yes", "true", "1")


def _needed_by(value: str | None) -> datetime:
    text = (value or "").strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(N_("Give the date and time the blood is needed (YYYY-MM-DD HH:MM, the hospital's "
                              "local time).")) from None
    # Without an offset the use case reads it on the hospital's clock.
    return moment


def _date(value: str | None, what: str):
    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(N_("The %(what)s is a date, YYYY-MM-DD; got '%(text)s'."),
                           params={"what": what, "text": text}) from None


def _vitals(form: dict[str, str], prefix: str) -> dict:
    """The observations typed, as numbers; which are required and what is plausible is the domain's to say."""
    values = {}
    for code, label, whole in VITALS:
        text = form.get(f"{prefix}_{code}", "").strip().replace(",", ".")
        if not text:
            continue
        if not _NUMBER.match(text) or (whole and "." in text):
            message = (N_("The %(what)s is a whole number; got '%(text)s'.") if whole
                       else N_("The %(what)s is a number; got '%(text)s'."))
            raise InvalidInput(message, params={"what": hv.VITAL_SIGNS[code].name, "text": text})
        values[code] = int(text) if whole else float(text)
    return values


def _back(url: str, saved: str) -> RedirectResponse:
    return RedirectResponse(f"{url}?saved={saved}", status_code=303)


def _notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("saved", ""))


def _refused(error: DomainError) -> dict:
    """The error for the page: an issue refused shows its head line, then each reason in a list."""
    refusals = list(getattr(error, "refusals", None) or [])
    message = error.message.split("\n", 1)[0] if refusals else error.message
    return {"error": message, "refusals": refusals}


def _hospital_options(caller: Caller) -> list[tuple[str, str]]:
    return [(str(h.id), f"{h.name} ({h.code})") for h in hospitals.list_hospitals(caller.uow())]


# Urgencies and an order's status as the pages name them, written out so the catalogues hold them.
URGENCY_WORDS = (N_("routine"), N_("urgent"), N_("emergency"), N_("massive transfusion"))
ORDER_STATUS_WORDS = (N_("open"), N_("allocated"), N_("issued"), N_("fulfilled"), N_("cancelled"))


def _din(text: str | None) -> str:
    """As printed under the barcode, so what is on the screen can be compared with the bag."""
    try:
        return parse_din(text or "").eye_readable
    except InvalidInput:
        return text or ""


def _page(request: Request, template: str, **context):
    return render(request, template, **context)


# ---------------------------------------------------------------- home


@router.get("")
def home(request: Request, hospital_id: str = "", urgency: str = "", offset: int = 0, caller: Caller = ORDERS):
    return _home(request, caller, hospital_id=hospital_id, urgency=urgency, offset=offset)


def _home(request: Request, caller: Caller, *, hospital_id: str = "", urgency: str = "", offset: int = 0,
          notice: str | None = None, error: str | None = None, status_code: int = 200):
    offset = max(0, min(offset, 10_000_000))
    try:
        chosen = _optional_id(hospital_id, N_("a hospital"))
        found = orders.find_orders(caller.uow(), hospital_id=chosen, statuses=orders.OPEN_STATUSES,
                                   urgency=urgency or None, limit=PAGE, offset=offset)
    except DomainError as failure:
        error, found, chosen = failure.message, orders.OrderList((), 0), None
    follow_ups = emergencies.pending_emergency_follow_ups(caller.uow()) if caller.principal.may(Permission.ISSUE) else []
    may_transfuse = caller.principal.may(Permission.TRANSFUSION)
    recall_tasks = recall_follow_up.open_recall_tasks(caller.uow(), side="ward", hospital_id=chosen) \
        if may_transfuse else []
    may_write_patients = caller.principal.may(Permission.PATIENTS_WRITE)
    awaiting = len(patient_lab.groupings_awaiting_second_entry(caller.uow())) if may_write_patients else 0
    options = _hospital_options(caller)
    return _page(request, "hospital/home.html", status_code=status_code, error=error, notice=notice, orders=found,
                  may_write_patients=may_write_patients, groupings_awaiting=awaiting,
                  no_hospital=caller.principal.hospital_scope.nothing,
                  own_hospitals=None if caller.principal.hospital_scope.everything else [n for _, n in options],
                  hospital_id=hospital_id, urgency=urgency, offset=offset, page=PAGE,
                  hospitals=options, urgencies=[(u, u.replace("_", " ")) for u in URGENCIES],
                  follow_ups=follow_ups, recall_tasks=recall_tasks, may_transfuse=may_transfuse)


@router.post("/recalls/handled")
async def recall_handled(request: Request, caller: Caller = Depends(require(Permission.TRANSFUSION))):
    form = await _form(request)
    try:
        task = recall_follow_up.record_handling(
            caller.uow(), recall_id=_id(form.get("recall_id"), N_("the recall")),
            unit_id=_id(form.get("unit_id"), N_("the unit")), side="ward", note=form.get("note", "")[:5000])
    except DomainError as failure:
        return _home(request, caller, error=failure, status_code=status_for(failure))
    return _home(request, caller, notice=languages.gettext(
        N_("Recall %(recall)s: what was done with unit %(din)s is recorded.")) % {"recall": task.recall_id,
                                                                                 "din": task.din})


# ---------------------------------------------------------------- patients


@router.get("/patients")
def patient_search(request: Request, q: str = "", caller: Caller = PATIENTS_READ):
    found, error = [], None
    if q.strip():
        try:
            found = patients.find_patients(caller.uow(), q[:200])
        except DomainError as failure:
            error = failure.message
    return _page(request, "hospital/patients.html", error=error, q=q, found=found, searched=bool(q.strip()),
                  hospitals=dict(_hospital_options(caller)))


def _register_page(request: Request, caller: Caller, *, values: dict, status_code: int = 200, **context):
    return _page(request, "hospital/register.html", status_code=status_code, values=values,
                  hospitals=_hospital_options(caller), systems=[(c, s.name) for c, s in IDENTIFIER_SYSTEMS.items()],
                  examples={c: s.example for c, s in IDENTIFIER_SYSTEMS.items()}, **context)


@router.get("/patients/new")
def register_form(request: Request, caller: Caller = PATIENTS_WRITE):
    return _register_page(request, caller, values={"system_1": "mrn", "system_2": "nhs", "system_3": ""})


@router.post("/patients")
async def register(request: Request, caller: Caller = PATIENTS_WRITE):
    form = await _form(request)
    try:
        identifiers = []
        for n in (1, 2, 3):
            value = form.get(f"value_{n}", "").strip()
            if value and not form.get(f"system_{n}"):
                raise InvalidInput(N_("Choose the type of identifier %(n)s (%(value)s)."),
                                   params={"n": n, "value": value})
            if value:
                identifiers.append((form[f"system_{n}"], value))
        view = patients.register_patient(
            caller.uow(), hospital_id=_id(form.get("hospital_id"), N_("the patient's hospital")),
            identifiers=identifiers, given_name=form.get("given_name", ""), family_name=form.get("family_name", ""),
            date_of_birth=_date(form.get("date_of_birth"), N_("date of birth")), sex=form.get("sex") or None)
    except DomainError as failure:
        return _register_page(request, caller, values=form, status_code=status_for(failure),
                              candidates=getattr(failure, "candidates", []), **_refused(failure))
    return _back(f"/hospital/patients/{view.id}", "patient")


@router.post("/patients/emergency")
async def register_emergency(request: Request, caller: Caller = PATIENTS_WRITE):
    form = await _form(request)
    try:
        age = form.get("approximate_age", "").strip()
        view = patients.register_emergency_patient(
            caller.uow(), hospital_id=_id(form.get("hospital_id"), N_("the hospital")), sex=form.get("sex") or None,
            approximate_age=_whole(age, N_("approximate age"), 0, 120) if age else None)
    except DomainError as failure:
        return _emergency_page(request, caller, values=form, status_code=status_for(failure), **_refused(failure))
    return RedirectResponse(f"/hospital/emergency?patient_id={view.id}", status_code=303)


def _patient_page(request: Request, caller: Caller, patient_id: int, *, failed: str = "", values: dict | None = None,
                  status_code: int = 200, **context):
    chart = patient_lab.get_patient_chart(caller.uow(), patient_id)
    clock = viewer_clock(request)
    may_order = caller.principal.may(Permission.ORDERS)
    placed = orders.find_orders(caller.uow(), patient_id=chart.patient.id, limit=50).items if may_order else ()
    return _page(request, "hospital/patient.html", status_code=status_code, chart=chart, p=chart.patient,
                  orders=placed, may_order=may_order, failed=failed, values=values or {},
                  hospitals=dict(_hospital_options(caller)),
                  systems=[(c, s.name) for c, s in IDENTIFIER_SYSTEMS.items()],
                  requirements=[(c, c.replace("_", " ")) for c in SPECIAL_REQUIREMENTS],
                  requirement_help=SPECIAL_REQUIREMENTS,
                  sample_choices=[(str(s.id), f"{s.sample_number}, taken {local(s.taken_at, clock=clock)}")
                                  for s in chart.samples],
                  active_requirements=[(str(r.id), f"{r.requirement.replace('_', ' ')} (since {r.since})")
                                       for r in chart.requirements if r.active],
                  in_error_choices=[(str(g.id), f"{g.blood_group}, sample {g.sample_number or 'none'}, tested "
                                     f"{local(g.tested_at, clock=clock)}")
                                    for g in chart.groupings if g.in_error_at is None]
                  if caller.principal.may(Permission.PATIENTS_WRITE) else [],
                  in_error_meaning=signature_meaning("grouping_in_error", CHOSEN_ABOVE), **context)


def _details_page(request: Request, caller: Caller, patient_id: int, *, values: dict | None = None,
                  status_code: int = 200, error: str | None = None, notice: str | None = None):
    person = patients.get_patient(caller.uow(), patient_id)
    shown = values or {"given_name": person.given_name, "family_name": person.family_name,
                       "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else "",
                       "date_of_birth_estimated": "on" if person.date_of_birth_estimated else "",
                       "sex": person.sex or ""}
    return _page(request, "hospital/patient_details.html", status_code=status_code, error=error, notice=notice,
                 p=person, values=shown, sex_options=[("", N_("Not known")), ("F", N_("Female")), ("M", N_("Male"))],
                 history=patients.patient_history(caller.uow(), patient_id=person.id, role=caller.principal.role))


@router.get("/patients/{patient_id}/details")
def patient_details(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    person = patients.get_patient(caller.uow(), patient_id)
    if person.id != patient_id:
        return RedirectResponse(f"/hospital/patients/{person.id}/details", status_code=303)
    return _details_page(request, caller, patient_id, notice=_notice(request))


@router.post("/patients/{patient_id}/details")
async def save_patient_details(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    form = await _form(request)
    try:
        patients.update_patient_details(
            caller.uow(), patient_id=patient_id, reason=form.get("reason", ""),
            given_name=form.get("given_name", ""), family_name=form.get("family_name", ""),
            date_of_birth=_date(form.get("date_of_birth"), N_("date of birth")),
            date_of_birth_estimated=_checked(form.get("date_of_birth_estimated")), sex=form.get("sex") or None)
    except DomainError as failure:
        return _details_page(request, caller, patient_id, values=form, status_code=status_for(failure),
                             error=failure.message)
    return _back(f"/hospital/patients/{patient_id}/details", "details")


@router.get("/patients/{patient_id}")
def patient_page(request: Request, patient_id: Id, caller: Caller = PATIENTS_READ):
    chart = patient_lab.get_patient_chart(caller.uow(), patient_id)
    if chart.patient.id != patient_id:
        # A merged record's page is its survivor's: one page holds the person's whole history.
        return RedirectResponse(f"/hospital/patients/{chart.patient.id}", status_code=303)
    return _patient_page(request, caller, patient_id, notice=_notice(request))


async def _patient_act(request: Request, caller: Caller, patient_id: int, failed: str, act) -> object:
    form = await _form(request)
    try:
        act(form)
    except DomainError as failure:
        return _patient_page(request, caller, patient_id, failed=failed, values=form,
                             status_code=status_for(failure), **_refused(failure))
    return _back(f"/hospital/patients/{patient_id}", failed)


@router.post("/patients/{patient_id}/identifiers")
async def add_identifier(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    return await _patient_act(request, caller, patient_id, "identifier", lambda f: patients.add_identifier(
        caller.uow(), patient_id=patient_id, system=f.get("id_system", ""), value=f.get("id_value", ""),
        reason=f.get("id_reason", "")))


@router.post("/patients/{patient_id}/samples")
async def record_sample(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    return await _patient_act(request, caller, patient_id, "sample", lambda f: patient_lab.record_sample(
        caller.uow(), patient_id=patient_id, sample_number=f.get("sample_number", ""),
        taken_by=f.get("taken_by", "")))


@router.post("/patients/{patient_id}/groupings")
async def record_grouping(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    form = await _form(request)
    typed = _checked(form.get("grouping_edited"))
    try:
        patient_lab.record_grouping(
            caller.uow(), patient_id=patient_id, sample_id=_id(form.get("grouping_sample"), N_("the sample grouped")),
            blood_group=form.get("blood_group", ""), manually_edited=typed)
    except DomainError as failure:
        return _patient_page(request, caller, patient_id, failed="grouping", values=form,
                             status_code=status_for(failure), **_refused(failure))
    return _back(f"/hospital/patients/{patient_id}", "grouping_typed" if typed else "grouping")


def _second_entry_page(request: Request, caller: Caller, *, patient_id: int | None = None, item=None,
                       status_code: int = 200, **context):
    items = patient_lab.groupings_awaiting_second_entry(caller.uow(), patient_id=patient_id) if item is None else []
    return _page(request, "hospital/second_entry.html", status_code=status_code, items=items, item=item,
                  patient_id=patient_id, **context)


@router.get("/groupings/second-entry")
def grouping_second_entries(request: Request, patient_id: str = "", caller: Caller = PATIENTS_WRITE):
    try:
        chosen = _optional_id(patient_id, N_("a patient"))
        return _second_entry_page(request, caller, patient_id=chosen)
    except DomainError as failure:
        return _second_entry_page(request, caller, error=failure, status_code=status_for(failure))


@router.get("/groupings/{grouping_id}/second-entry")
def grouping_second_entry_form(request: Request, grouping_id: Id, caller: Caller = PATIENTS_WRITE):
    try:
        item = patient_lab.awaiting_grouping(caller.uow(), grouping_id)
    except DomainError as failure:
        return _second_entry_page(request, caller, error=failure, status_code=status_for(failure))
    return _second_entry_page(request, caller, item=item)


@router.post("/groupings/{grouping_id}/second-entry")
async def give_grouping_second_entry(request: Request, grouping_id: Id, caller: Caller = PATIENTS_WRITE):
    form = await _form(request)
    try:
        item = patient_lab.awaiting_grouping(caller.uow(), grouping_id)
    except DomainError as failure:
        return _second_entry_page(request, caller, error=failure, status_code=status_for(failure))
    try:
        view = patient_lab.give_grouping_second_entry(caller.uow(), grouping_id=grouping_id,
                                                      blood_group=form.get("blood_group", ""))
    except SecondEntryDisagrees as failure:
        return _second_entry_page(request, caller, error=failure, status_code=status_for(failure))
    except DomainError as failure:
        # Refused before anything was stored (a group that cannot be read): the blind form again.
        return _second_entry_page(request, caller, item=item, error=failure,
                                  status_code=status_for(failure))
    return _second_entry_page(request, caller, notice=languages.gettext(
        N_("Grouping %(grouping)s verified: both entries agree. The patient's group is now %(status)s."))
        % {"grouping": view.id, "status": languages.gettext(view.status)})


@router.post("/patients/{patient_id}/groupings/in-error")
async def mark_grouping_in_error(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    form = await _form(request)
    password = await _password(request)
    try:
        grouping_id = _id(form.get("grouping_id"), N_("the grouping entered in error"))
        signed(caller, password=password, action="grouping_in_error",
               act=lambda: grouping_errors.mark_grouping_in_error(
                   caller.uow(), grouping_id=grouping_id, reason=form.get("in_error_reason", ""),
                   confirmed_by=form.get("in_error_confirmed_by", ""),
                   confirmer_password=form.get("in_error_confirmer_password", ""), patient_id=patient_id),
               record=lambda view: (grouping_errors.grouping_subject(view), "patient", view.person_id))
    except DomainError as failure:
        return _patient_page(request, caller, patient_id, failed="grouping_in_error", values=form,
                             status_code=status_for(failure), **_refused(failure))
    return _back(f"/hospital/patients/{patient_id}", "grouping_in_error")


@router.post("/patients/{patient_id}/screens")
async def record_screen(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    def act(f):
        result = f.get("screen_result", "")
        if result not in ("negative", "positive"):
            raise InvalidInput(N_("Choose the screen's result: negative or positive."))
        patient_lab.record_antibody_screen(
            caller.uow(), patient_id=patient_id, sample_id=_id(f.get("screen_sample"), N_("the sample screened")),
            positive=result == "positive", manually_edited=_checked(f.get("screen_edited")))
    return await _patient_act(request, caller, patient_id, "screen", act)


@router.post("/patients/{patient_id}/antibodies")
async def record_antibody(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    return await _patient_act(request, caller, patient_id, "antibody", lambda f: patient_lab.record_antibody(
        caller.uow(), patient_id=patient_id, antibody=f.get("antibody", ""),
        clinically_significant=_checked(f.get("antibody_significant")), note=f.get("antibody_note", "")))


@router.post("/patients/{patient_id}/requirements")
async def add_requirement(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    return await _patient_act(request, caller, patient_id, "requirement", lambda f: patient_lab.add_requirement(
        caller.uow(), patient_id=patient_id, requirement=f.get("requirement", ""),
        reason=f.get("requirement_reason", ""), until=_date(f.get("requirement_until"), N_("end date"))))


@router.post("/patients/{patient_id}/requirements/end")
async def end_requirement(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    return await _patient_act(request, caller, patient_id, "requirement_ended", lambda f: patient_lab.end_requirement(
        caller.uow(), requirement_id=_id(f.get("requirement_id"), N_("the requirement to end")),
        reason=f.get("end_reason", "")))


@router.post("/patients/{patient_id}/merge")
async def merge(request: Request, patient_id: Id, caller: Caller = PATIENTS_WRITE):
    return await _patient_act(request, caller, patient_id, "merged", lambda f: patient_merge.merge_identified_patients(
        caller.uow(), survivor_id=patient_id, duplicate=f.get("duplicate", ""), reason=f.get("merge_reason", "")))


# ---------------------------------------------------------------- orders


def _order_form(request: Request, caller: Caller, *, values: dict, status_code: int = 200, **context):
    patient = None
    if values.get("patient_id"):
        try:
            patient = patients.get_patient(caller.uow(), _id(values["patient_id"], N_("the patient")))
        except DomainError:
            values = {**values, "patient_id": ""}
    return _page(request, "hospital/order_new.html", status_code=status_code, values=values, patient=patient,
                  hospitals=_hospital_options(caller), kinds=[(k, kind_name(k)) for k in ORDER_KINDS],
                  urgencies=[(u, u.replace("_", " ")) for u in URGENCIES], urgency_help=URGENCIES,
                  incidents=_open_incidents(caller), **context)


def _open_incidents(caller: Caller) -> list[tuple[str, str]]:
    declared, _ = crisis_incidents.list_incidents(caller.uow(), status="declared")
    return [(str(i.id), f"{i.id}: {i.place} ({i.kind.replace('_', ' ')})") for i in declared]


@router.get("/orders/new")
def order_form(request: Request, patient_id: str = "", caller: Caller = ORDERS):
    values = {"patient_id": patient_id, "kind": "red_cells", "quantity": "1", "urgency": "routine"}
    clock = viewer_clock(request)
    if patient_id:
        try:
            hospital_id = patients.get_patient(caller.uow(), _id(patient_id, N_("the patient"))).hospital_id
            values["hospital_id"] = str(hospital_id or "")
            if hospital_id:
                clock = hospitals.local_clock(caller.uow(), hospital_id)
        except DomainError:
            pass
    # The field is the ward's wall clock, as the order is read: the patient's hospital's, else the reader's.
    soon = (datetime.now(timezone.utc) + timedelta(hours=4)).astimezone(clock)
    values["needed_by"] = soon.strftime("%Y-%m-%dT%H:%M")
    return _order_form(request, caller, values=values)


@router.post("/orders")
async def place_order(request: Request, caller: Caller = ORDERS):
    form = await _form(request)
    try:
        view = orders.place_requested_order(
            caller.uow(), hospital_id=_id(form.get("hospital_id"), N_("the hospital ordering")),
            patient_id=_optional_id(form.get("patient_id"), N_("the patient")),
            patient_identifier=form.get("patient", "") or None, for_stock=_checked(form.get("for_stock")),
            kind=form.get("kind", ""), blood_group=form.get("blood_group", "") or None,
            quantity=_whole(form.get("quantity"), N_("quantity"), 1, 50), needed_by=_needed_by(form.get("needed_by")),
            urgency=form.get("urgency", ""), note=form.get("note", ""),
            incident_id=_optional_id(form.get("incident_id"), N_("the incident")))
    except DomainError as failure:
        return _order_form(request, caller, values=form, status_code=status_for(failure), **_refused(failure))
    return _back(f"/hospital/orders/{view.id}", "order")


def _order_page(request: Request, caller: Caller, order_id: int, *, failed: str = "", values: dict | None = None,
                status_code: int = 200, **context):
    workup = order_workups.order_workup(caller.uow(), order_id=order_id)
    candidates, stock_problem = [], None
    if workup.order.status == "open":
        try:
            candidates = allocation.reservation_candidates(caller.uow(), order_id=order_id)
        except DomainError as failure:  # e.g. the hospital has no blood bank assigned: the order still shows
            stock_problem = languages.error_message(failure)
    to_issue = [h for h in workup.held if h.unit_status == "reserved" and h.issue_id is None]
    to_crossmatch = [h for h in to_issue if h.crossmatch_needed]
    clock = viewer_clock(request)

    def label(held) -> str:
        r = held.reservation
        return f"{_din(r.din)} {r.product_code} ({r.blood_group or 'group unknown'})"

    return _page(request, "hospital/order.html", status_code=status_code, w=workup, o=workup.order,
                  candidates=candidates, to_issue=to_issue, to_crossmatch=to_crossmatch, failed=failed,
                  values=values or {}, may_issue=caller.principal.may(Permission.ISSUE),
                  crossmatch_choices=[(str(h.reservation.unit_id), label(h)) for h in to_crossmatch],
                  sample_choices=[(str(s.id), f"{s.sample_number}, taken {local(s.taken_at, clock=clock)}")
                                  for s in workup.samples],
                  method_choices=[(m, m.replace("_", " ")) for m in crossmatch.METHODS],
                  issue_choices=[(str(h.reservation.id), label(h)) for h in to_issue if not h.incompatible],
                  releasable=[(str(h.reservation.id), label(h)) for h in to_issue], stock_problem=stock_problem,
                  **context)


@router.get("/orders/{order_id}")
def order_page(request: Request, order_id: Id, caller: Caller = ORDERS):
    return _order_page(request, caller, order_id, notice=_notice(request))


async def _order_act(request: Request, caller: Caller, order_id: int, failed: str, act, then: str | None = None):
    form = await _form(request)
    try:
        result = act(form)
    except DomainError as failure:
        return _order_page(request, caller, order_id, failed=failed, values=form, status_code=status_for(failure),
                           **_refused(failure))
    if then is not None:
        return RedirectResponse(then.format(result=result), status_code=303)
    return _back(f"/hospital/orders/{order_id}", failed)


@router.post("/orders/{order_id}/allocate")
async def allocate(request: Request, order_id: Id, caller: Caller = ORDERS):
    return await _order_act(request, caller, order_id, "allocated",
                            lambda f: allocation.allocate(caller.uow(), order_id=order_id))


@router.post("/orders/{order_id}/reserve")
async def reserve(request: Request, order_id: Id, caller: Caller = ORDERS):
    return await _order_act(request, caller, order_id, "reserved", lambda f: allocation.reserve_scanned_unit(
        caller.uow(), order_id=order_id, scanned_unit=f["reserve_scan"], scanned_product=f.get("reserve_product") or None)
        if (f.get("reserve_scan") or "").strip() else allocation.reserve_unit(
        caller.uow(), order_id=order_id, unit_id=_id(f.get("unit_id"), N_("the unit to reserve"))))


@router.post("/orders/{order_id}/release")
async def release(request: Request, order_id: Id, caller: Caller = ORDERS):
    return await _order_act(request, caller, order_id, "released", lambda f: allocation.release_reservation(
        caller.uow(), reservation_id=_id(f.get("release_reservation"), N_("the reservation to release")),
        reason=f.get("release_reason", "")))


@router.post("/orders/{order_id}/crossmatch")
async def record_crossmatch(request: Request, order_id: Id, caller: Caller = ORDERS):
    def act(f):
        return crossmatch.record_crossmatch(
            caller.uow(), patient_id=_id(f.get("crossmatch_patient"), N_("the patient")),
            unit_id=_id(f.get("crossmatch_unit"), N_("the unit crossmatched")),
            sample_id=_id(f.get("crossmatch_sample"), N_("the patient's sample tested")),
            result=f.get("crossmatch_result", ""), method=f.get("crossmatch_method", "serological"))
    return await _order_act(request, caller, order_id, "crossmatch", act)


@router.post("/orders/{order_id}/issue")
async def issue_unit(request: Request, order_id: Id, caller: Caller = ISSUE):
    # The bag scanned is the unit issued: which of the order's units it is comes from its label, not a list.
    return await _order_act(request, caller, order_id, "issued", lambda f: issue.issue_unit(
        caller.uow(), reservation_id=issue.reservation_of_scan(caller.uow(), order_id=order_id,
                                                               scanned_unit=f.get("scanned_unit", "")),
        scanned_unit=f.get("scanned_unit", ""), scanned_patient=f.get("scanned_patient", "")),
        then="/hospital/issues/{result.id}?saved=issued")


@router.post("/orders/{order_id}/cancel")
async def cancel(request: Request, order_id: Id, caller: Caller = ORDERS):
    return await _order_act(request, caller, order_id, "cancelled", lambda f: orders.cancel_order(
        caller.uow(), order_id=order_id, reason=f.get("cancel_reason", "")))


# ---------------------------------------------------------------- emergency release


def _emergency_page(request: Request, caller: Caller, *, values: dict, status_code: int = 200, **context):
    patient, units, unusable, problem = None, [], [], None
    kind = values.get("kind") if values.get("kind") in emergencies.EMERGENCY_KINDS else "red_cells"
    if values.get("patient_id"):
        try:
            patient = patients.get_patient(caller.uow(), _id(values["patient_id"], N_("the patient")))
            found = emergencies.emergency_units(caller.uow(), patient_id=patient.id, kind=kind)
            units = [u for u in found if u.suitable]
            unusable = [u for u in found if not u.suitable]
        except DomainError as failure:
            problem = languages.error_message(failure)
    return _page(request, "hospital/emergency.html", status_code=status_code, values={**values, "kind": kind},
                  patient=patient, units=units, unusable=unusable, problem=problem,
                  hospitals=_hospital_options(caller),
                  unit_choices=[(str(u.unit_id), f"{_din(u.din)} {u.product_code} {u.blood_group}, expires "
                                                 f"{local(u.expires_at, clock=viewer_clock(request))}")
                                for u in units],
                  meaning=signature_meaning("emergency_release", CHOSEN_ABOVE), incidents=_open_incidents(caller),
                  **context)


@router.get("/emergency")
def emergency_form(request: Request, patient_id: str = "", patient: str = "", kind: str = "red_cells",
                   caller: Caller = EMERGENCY):
    values = {"patient_id": patient_id, "patient": patient, "kind": kind}
    error = None
    if patient.strip() and not patient_id:
        try:
            values["patient_id"] = str(patients.lookup_patient(caller.uow(), patient[:200]).id)
        except DomainError as failure:
            error = failure.message
    return _emergency_page(request, caller, values=values, error=error)


@router.post("/emergency")
async def emergency_release(request: Request, caller: Caller = EMERGENCY):
    form = await _form(request)
    password = await _password(request)
    try:
        patient_id = _id(form.get("patient_id"), N_("the patient"))
        # The bag in hand is the choice: its scan picks the unit; a unit chosen on an older page is checked too.
        unit_id = _optional_id(form.get("unit_id"), N_("the unit to release"))
        order_id = _optional_id(form.get("order_id"), N_("the order"))
        incident_id = _optional_id(form.get("incident_id"), N_("the incident"))
        view = signed(
            caller, password=password, action="emergency_release",
            act=lambda: emergencies.emergency_issue(
                caller.uow(), patient_id=patient_id, unit_id=unit_id, scanned_unit=form.get("scanned_unit", ""),
                scanned_patient=form.get("scanned_patient", ""), reason=form.get("reason", ""),
                order_id=order_id, incident_id=incident_id),
            record=lambda done: (f"{done.din} {done.product_code}", "issue", done.id))
    except DomainError as failure:
        return _emergency_page(request, caller, values=form, status_code=status_for(failure), **_refused(failure))
    return _back(f"/hospital/issues/{view.id}", "emergency")


# ---------------------------------------------------------------- at the bedside


def _bedside_page(request: Request, caller: Caller, issue_id: int, *, failed: str = "", values: dict | None = None,
                  status_code: int = 200, **context):
    record = transfusion.bedside_record(caller.uow(), issue_id=issue_id)
    observed = record.transfusion.vitals if record.transfusion else {}
    rows = [(N_("Before"), observed.get("before")), *((N_("During"), o) for o in observed.get("during") or []),
            (N_("After"), observed.get("after"))]
    return _page(request, "hospital/bedside.html", status_code=status_code, r=record, i=record.issue,
                  t=record.transfusion, failed=failed, values=values or {}, vitals=VITALS,
                  vitals_rows=[(label, obs) for label, obs in rows if obs],
                  categories=[(c.code, c.name) for c in hv.REACTION_CATEGORIES.values()],
                  severities=[(g.code, g.name) for g in hv.SEVERITIES.values()],
                  imputability=[(g.code, g.name) for g in hv.IMPUTABILITY.values()],
                  outcomes=[(o, o.replace("_", " ")) for o in transfusion.OUTCOMES], **context)


@router.get("/tag")
def open_tag(request: Request, code: str = "", caller: Caller = TRANSFUSION):
    """A compatibility tag scanned anywhere on the ward opens its unit's bedside page."""
    try:
        issue_id = tag_rules.read_tag_code(code)
        transfusion.bedside_record(caller.uow(), issue_id=issue_id)  # another hospital's issue is not found
    except DomainError as failure:
        return _home(request, caller, error=failure.message, status_code=status_for(failure))
    return RedirectResponse(f"/hospital/issues/{issue_id}", status_code=303)


@router.post("/returns")
async def return_scanned(request: Request, caller: Caller = TRANSFUSION):
    """A bag brought back unused, found by its scan: the same return as from its bedside page."""
    form = await _form(request)
    try:
        issue_id = returns.issue_of_scanned_unit(caller.uow(), scanned_unit=form.get("return_scan", ""))
        returns.return_unit(
            caller.uow(), issue_id=issue_id,
            minutes_out_of_storage=_whole(form.get("minutes_out"), N_("time out of storage (minutes)"), 0, 100_000),
            kept_in_cold_chain=_checked(form.get("cold_chain")), note=form.get("return_note", ""))
    except DomainError as failure:
        return _home(request, caller, error=failure.message, status_code=status_for(failure))
    return _back(f"/hospital/issues/{issue_id}", "returned")


@router.get("/issues/{issue_id}/tag.pdf")
def tag_pdf(issue_id: Id, caller: Caller = ISSUE):
    pdf = compatibility_tag.print_tag(caller.uow(), issue_id=issue_id, language=languages.current(),
                                     catalogue=languages.catalogue)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="issue-{issue_id}-tag.pdf"'})


@router.get("/issues/{issue_id}")
def bedside(request: Request, issue_id: Id, caller: Caller = TRANSFUSION):
    return _bedside_page(request, caller, issue_id, notice=_notice(request))


async def _bedside_act(request: Request, caller: Caller, issue_id: int, failed: str, act):
    form = await _form(request)
    try:
        act(form)
    except DomainError as failure:
        return _bedside_page(request, caller, issue_id, failed=failed, values=form, status_code=status_for(failure),
                             **_refused(failure))
    return _back(f"/hospital/issues/{issue_id}", failed)


@router.post("/issues/{issue_id}/start")
async def start(request: Request, issue_id: Id, caller: Caller = TRANSFUSION):
    return await _bedside_act(request, caller, issue_id, "started", lambda f: transfusion.start_transfusion(
        caller.uow(), issue_id=issue_id, scanned_unit=f.get("bedside_unit", ""),
        scanned_patient=f.get("bedside_patient", ""), vitals_before=_vitals(f, "before"),
        checked_by=f.get("checked_by", "") or None, checker_password=f.get("checker_password", "") or None,
        scanned_tag=f.get("bedside_tag", "") or None))


@router.post("/issues/{issue_id}/vitals")
async def vitals(request: Request, issue_id: Id, caller: Caller = TRANSFUSION):
    return await _bedside_act(request, caller, issue_id, "vitals", lambda f: transfusion.record_vitals(
        caller.uow(), transfusion_id=_id(f.get("transfusion_id"), N_("the transfusion")),
        vitals=_vitals(f, "during")))


@router.post("/issues/{issue_id}/end")
async def end(request: Request, issue_id: Id, caller: Caller = TRANSFUSION):
    return await _bedside_act(request, caller, issue_id, "ended", lambda f: transfusion.end_transfusion(
        caller.uow(), transfusion_id=_id(f.get("transfusion_id"), N_("the transfusion")),
        volume_given_ml=_whole(f.get("volume_given_ml"), N_("volume given (mL)"), 0, 10_000),
        outcome=f.get("outcome", ""), vitals_after=_vitals(f, "after")))


@router.post("/issues/{issue_id}/reaction")
async def reaction(request: Request, issue_id: Id, caller: Caller = TRANSFUSION):
    return await _bedside_act(request, caller, issue_id, "reaction", lambda f: transfusion.report_reaction(
        caller.uow(), transfusion_id=_id(f.get("transfusion_id"), N_("the transfusion")),
        category=f.get("category", ""), severity=f.get("severity", ""), imputability=f.get("imputability", ""),
        description=f.get("description", "")))


@router.post("/issues/{issue_id}/return")
async def return_unit(request: Request, issue_id: Id, caller: Caller = TRANSFUSION):
    return await _bedside_act(request, caller, issue_id, "returned", lambda f: returns.return_unit(
        caller.uow(), issue_id=issue_id,
        minutes_out_of_storage=_whole(f.get("minutes_out"), N_("time out of storage (minutes)"), 0, 100_000),
        kept_in_cold_chain=_checked(f.get("cold_chain")), note=f.get("return_note", "")))
