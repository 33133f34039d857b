"""Pages: the administrator's home. Staff accounts and their API tokens, sites, and the audit log viewer.

The administrator runs the system, not the blood: nothing here shows a test
result or a patient, and the audit viewer withholds the values of entries
about records the reader's role may not read. The administrator says which
hospitals a hospital staff account belongs to, and so whose patients it sees.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from bloodbank.domain import lab_tests, scheduling
from bloodbank.domain.access import ROLE_LABELS, Permission, Role
from bloodbank.domain.eligibility import RULE_SETS
from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.hospital_scope import HOSPITAL_ROLES
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_
from bloodbank.entrypoints.web.errors import status_for
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.templating import render
from bloodbank.service_layer.donors import sites
from bloodbank.service_layer.hospital import hospitals
from bloodbank.service_layer.shared import audit
from bloodbank.service_layer.staff import authentication, users

router = APIRouter()

AUDIT_PAGE = 50
ROLE_OPTIONS = [(r.value, ROLE_LABELS[r]) for r in Role]
HOSPITAL_ROLE_NAMES = frozenset(r.value for r in HOSPITAL_ROLES)
RULE_SET_LABELS = {"who": N_("WHO (2012)"), "eu": N_("EU Directive 2004/33/EC"), "us-fda": N_("US FDA"),
                   "uk": N_("UK (JPAC)")}
RULE_SET_OPTIONS = [(name, RULE_SET_LABELS.get(name, name)) for name in RULE_SETS]
KIND_OPTIONS = [("fixed", N_("Fixed centre")), ("mobile", N_("Mobile drive"))]
# A site's kind as the tables name it, written out so the catalogues hold it.
SITE_KIND_WORDS = (N_("fixed"), N_("mobile"))
DAY_LABELS = dict(zip(scheduling.DAYS, (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"),
                                         N_("Friday"), N_("Saturday"), N_("Sunday"))))
# What a redirect after a change says; fixed texts, so a link cannot make the page say anything else.
DONE = {
    "created": N_("The account was created."),
    "role": N_("The role was changed."),
    "disabled": N_("The account was disabled: its sessions and API tokens no longer work."),
    "enabled": N_("The account was enabled."),
    "password": N_("The password was reset and the person's sessions were ended. Tell them the new password "
                   "in person."),
    "revoked": N_("The API token was revoked."),
    "hospitals": N_("The account's hospitals were changed: it sees their patients, orders and transfusions only."),
    "site_created": N_("The site was created."),
    "site_changed": N_("The site was changed. Existing bookings keep their times."),
    "site_deactivated": N_("The site was deactivated: it takes no new bookings, existing ones are kept."),
    "site_reactivated": N_("The site was reactivated."),
}

Users = Depends(require(Permission.USERS))
SitesWrite = Depends(require(Permission.SITES_WRITE))


def _id(value: int) -> int:
    return max(1, min(value, MAX_ID))


def _done(done: str) -> str | None:
    return DONE.get(done)


def _hospital_options(caller: Caller) -> list[tuple[str, str]]:
    return [(str(h.id), f"{h.code} · {h.name}") for h in hospitals.list_hospitals(caller.uow())]


def _hospital_ids(values: list[str]) -> list[int]:
    return [_optional_int(v, "hospital") for v in values if (v or "").strip()][:50]


def _site_options(caller: Caller) -> list[tuple[str, str]]:
    return [("", N_("No site"))] + [(str(s.id), f"{s.code} · {s.name}") for s in sites.list_sites(caller.uow())]


# ---------------------------------------------------------------- home and users


def _home(request: Request, caller: Caller, *, new_user: dict | None = None, status_code: int = 200,
          error: str | None = None, notice: str | None = None, role: str = ""):
    people, total = users.list_users_page(caller.uow(), role=role or None, limit=200)
    site_list, site_total = sites.list_site_details(caller.uow(), limit=200)
    return render(request, "admin/home.html", status_code=status_code, error=error, notice=notice,
                  rule_set_labels=RULE_SET_LABELS,
                  people=people, people_total=total, site_list=site_list, site_total=site_total,
                  new_user=new_user or {"username": "", "full_name": "", "role": "clerk", "site_id": ""},
                  role_options=ROLE_OPTIONS, role_filter=role, site_options=_site_options(caller),
                  hospital_options=_hospital_options(caller), hospital_roles=HOSPITAL_ROLE_NAMES,
                  may_audit=caller.principal.may(Permission.AUDIT_READ),
                  may_sites=caller.principal.may(Permission.SITES_WRITE))


@router.get("/admin")
def admin_home(request: Request, role: str = "", done: str = "", caller: Caller = Users):
    role = role if role in {r.value for r in Role} else ""
    return _home(request, caller, role=role, notice=_done(done))


@router.post("/admin/users")
def create_user(request: Request, username: str = Form(""), full_name: str = Form(""), role: str = Form(""),
                password: str = Form(""), site_id: str = Form(""), hospital_id: list[str] = Form([]),
                caller: Caller = Users):
    typed = {"username": username.strip()[:60], "full_name": full_name.strip()[:200], "role": role[:40],
             "site_id": site_id[:12], "hospital_ids": [v[:12] for v in hospital_id[:50]]}
    try:
        site = _optional_int(site_id, "site")
        created = users.create_user(caller.uow(), username=typed["username"], full_name=typed["full_name"],
                                    role=typed["role"], password=password[:200], site_id=site,
                                    hospitals=_hospital_ids(typed["hospital_ids"]))
    except DomainError as error:
        # The password is never sent back to the page: the administrator types it again.
        return _home(request, caller, new_user=typed, status_code=status_for(error), error=error)
    return RedirectResponse(f"/admin/users/{created.id}?done=created", status_code=303)


def _optional_int(text: str, what: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
        raise InvalidInput(f"Choose the {what} from the list.")
    return int(text)


def _user_page(request: Request, caller: Caller, user_id: int, *, status_code: int = 200, error: str | None = None,
               notice: str | None = None, issued: authentication.IssuedToken | None = None,
               form: dict | None = None):
    person = users.get_user(caller.uow(), user_id)
    tokens = authentication.list_api_tokens(caller.uow(), user_id=user_id)
    site_names = dict(_site_options(caller))
    return render(request, "admin/user.html", status_code=status_code, error=error, notice=notice, person=person,
                  tokens=tokens, issued=issued, role_options=ROLE_OPTIONS, form=form or {},
                  hospital_options=_hospital_options(caller), hospital_roles=HOSPITAL_ROLE_NAMES,
                  site_name=site_names.get(str(person.site_id), "") if person.site_id else "",
                  is_self=person.id == caller.user_id)


@router.get("/admin/users/{user_id}")
def user_page(request: Request, user_id: int, done: str = "", caller: Caller = Users):
    return _user_page(request, caller, _id(user_id), notice=_done(done))


def _user_action(request: Request, caller: Caller, user_id: int, act, done: str, form: dict | None = None):
    """Run one change; on a refusal show the same page with the message and what was typed."""
    try:
        act()
    except DomainError as error:
        return _user_page(request, caller, user_id, status_code=status_for(error), error=error, form=form)
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=303)


@router.post("/admin/users/{user_id}/role")
def change_role(request: Request, user_id: int, role: str = Form(""), caller: Caller = Users):
    user_id = _id(user_id)
    return _user_action(request, caller, user_id,
                        lambda: users.set_role(caller.uow(), user_id=user_id, role=role[:40]), "role")


@router.post("/admin/users/{user_id}/hospitals")
def change_hospitals(request: Request, user_id: int, hospital_id: list[str] = Form([]),
                     hospitals_reason: str = Form(""), caller: Caller = Users):
    user_id = _id(user_id)
    chosen = [v[:12] for v in hospital_id[:50]]
    return _user_action(request, caller, user_id,
                        lambda: users.set_hospitals(caller.uow(), user_id=user_id, hospitals=_hospital_ids(chosen),
                                                    reason=hospitals_reason[:500]),
                        "hospitals", form={"hospital_ids": chosen, "hospitals_reason": hospitals_reason[:500]})


@router.post("/admin/users/{user_id}/active")
def change_active(request: Request, user_id: int, active: str = Form(""), reason: str = Form(""),
                  caller: Caller = Users):
    user_id = _id(user_id)
    enable = active == "1"
    return _user_action(request, caller, user_id,
                        lambda: users.set_active(caller.uow(), user_id=user_id, active=enable, reason=reason[:500]),
                        "enabled" if enable else "disabled", form={"reason": reason[:500]})


@router.post("/admin/users/{user_id}/password")
def reset_password(request: Request, user_id: int, password: str = Form(""), password_reason: str = Form(""),
                   caller: Caller = Users):
    user_id = _id(user_id)
    reason = password_reason[:500]
    return _user_action(request, caller, user_id,
                        lambda: users.reset_password(caller.uow(), user_id=user_id, password=password[:200],
                                                     reason=reason),
                        "password", form={"password_reason": reason})


@router.post("/admin/users/{user_id}/tokens")
def issue_token(request: Request, user_id: int, name: str = Form(""), caller: Caller = Users):
    user_id = _id(user_id)
    try:
        issued = authentication.issue_api_token(caller.uow(), user_id=user_id, name=name[:100],
                                                issuer_id=caller.principal.user_id)
    except DomainError as error:
        return _user_page(request, caller, user_id, status_code=status_for(error), error=error,
                          form={"token_name": name[:100]})
    # Shown once, on this page, never in a link or a redirect: only its digest is kept.
    return _user_page(request, caller, user_id, status_code=201, issued=issued,
                      notice=f"API token \u201c{issued.name}\u201d issued. Copy it now: it is shown only once.")


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, caller: Caller = Users):
    token_id = _id(token_id)
    owner = authentication.api_token_owner(caller.uow(), token_id=token_id)
    return _user_action(request, caller, owner,
                        lambda: authentication.revoke_api_token(caller.uow(), token_id=token_id), "revoked")


# ---------------------------------------------------------------- sites


def _hours_text(opening_hours: dict) -> dict[str, str]:
    parsed = scheduling.parse_opening_hours(opening_hours or {})
    return {day: ", ".join(str(i) for i in parsed.get(day, ())) for day in scheduling.DAYS}


def _site_form(site: sites.SiteDetail | None = None) -> dict:
    if site is None:
        return {"code": "", "name": "", "kind": "fixed", "facility_code": "", "rule_set": "who", "time_zone": "",
                "address": "",
                "latitude": "", "longitude": "", "chairs": "4", "slot_minutes": "15", "reason": "",
                "hours": {day: ("08:00-16:00" if day in scheduling.DAYS[:5] else "") for day in scheduling.DAYS},
                "test_panel": list(lab_tests.DEFAULT_PANEL)}
    return {"code": site.code, "name": site.name, "kind": site.kind, "facility_code": site.facility_code,
            "rule_set": site.rule_set, "time_zone": site.time_zone, "address": site.address,
            "latitude": "" if site.latitude is None else str(site.latitude),
            "longitude": "" if site.longitude is None else str(site.longitude),
            "chairs": str(site.chairs), "slot_minutes": str(site.slot_minutes), "reason": "",
            "hours": _hours_text(site.opening_hours), "test_panel": list(site.test_panel)}


async def typed_site(request: Request) -> dict:
    """The site form as typed; read here so that the routes stay synchronous (the use cases block)."""
    form = await request.form()
    text = {name: str(form.get(name, "")).strip()[:300] for name in (
        "code", "name", "kind", "facility_code", "rule_set", "time_zone", "address", "latitude", "longitude", "chairs",
        "slot_minutes", "reason")}
    text["hours"] = {day: str(form.get(f"hours_{day}", "")).strip()[:200] for day in scheduling.DAYS}
    text["test_panel"] = [str(v)[:40] for v in form.getlist("test_panel")][:20]
    return text


def _whole(text: str, what: str) -> int:
    if not text.isascii() or not text.lstrip("-").isdigit() or len(text) > 6:
        raise InvalidInput(f"The {what} is a whole number; got {text!r}.")
    return int(text)


def _decimal(text: str, what: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise InvalidInput(f"The {what} is a number in decimal degrees, e.g. 51.5; got {text!r}.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(f"The {what} is a number in decimal degrees, e.g. 51.5; got {text!r}.")
    return value


def _site_fields(typed: dict) -> dict:
    """The form's text as the use case's values; a day left empty is closed."""
    specs = [f"{day}={hours}" for day, hours in typed["hours"].items() if hours]
    return {
        "code": typed["code"], "name": typed["name"], "kind": typed["kind"], "facility_code": typed["facility_code"],
        "rule_set": typed["rule_set"], "time_zone": typed["time_zone"], "address": typed["address"],
        "latitude": _decimal(typed["latitude"], "latitude"), "longitude": _decimal(typed["longitude"], "longitude"),
        "chairs": _whole(typed["chairs"], "number of chairs"),
        "slot_minutes": _whole(typed["slot_minutes"], "slot length in minutes"),
        "opening_hours": scheduling.hours_from_text(specs) if specs else {},
    }


def _site_edit(request: Request, *, site: sites.SiteDetail | None, form: dict, status_code: int = 200,
               error: str | None = None, notice: str | None = None):
    return render(request, "admin/site.html", status_code=status_code, error=error, notice=notice, site=site,
                  form=form, kind_options=KIND_OPTIONS, rule_set_options=RULE_SET_OPTIONS, day_labels=DAY_LABELS,
                  markers=sites.panel_choices(), time_zones=sorted(scheduling.TIME_ZONES))


@router.get("/admin/sites")
def site_list(request: Request, done: str = "", caller: Caller = SitesWrite):
    items, total = sites.list_site_details(caller.uow(), limit=200)
    return render(request, "admin/sites.html", site_list=items, total=total, notice=_done(done),
                  rule_set_labels=RULE_SET_LABELS)


@router.get("/admin/sites/new")
def new_site(request: Request, caller: Caller = SitesWrite):
    return _site_edit(request, site=None, form=_site_form())


@router.post("/admin/sites")
def create_site(request: Request, caller: Caller = SitesWrite, typed: dict = Depends(typed_site)):
    try:
        created = sites.create_site_with_panel(caller.uow(), **_site_fields(typed), test_panel=typed["test_panel"])
    except DomainError as error:
        return _site_edit(request, site=None, form=typed, status_code=status_for(error), error=error)
    return RedirectResponse(f"/admin/sites/{created.id}?done=site_created", status_code=303)


@router.get("/admin/sites/{site_id}")
def site_page(request: Request, site_id: int, done: str = "", caller: Caller = SitesWrite):
    site = sites.get_site_detail(caller.uow(), _id(site_id))
    return _site_edit(request, site=site, form=_site_form(site), notice=_done(done))


@router.post("/admin/sites/{site_id}")
def change_site(request: Request, site_id: int, caller: Caller = SitesWrite, typed: dict = Depends(typed_site)):
    site_id = _id(site_id)
    try:
        sites.change_site(caller.uow(), site_id, reason=typed["reason"], test_panel=typed["test_panel"],
                          **_site_fields(typed))
    except DomainError as error:
        site = sites.get_site_detail(caller.uow(), site_id)
        return _site_edit(request, site=site, form=typed, status_code=status_for(error), error=error)
    return RedirectResponse(f"/admin/sites/{site_id}?done=site_changed", status_code=303)


@router.post("/admin/sites/{site_id}/active")
def change_site_active(request: Request, site_id: int, active: str = Form(""), active_reason: str = Form(""),
                       caller: Caller = SitesWrite):
    site_id = _id(site_id)
    enable, reason = active == "1", active_reason
    try:
        sites.set_site_active(caller.uow(), site_id, active=enable, reason=reason[:500])
    except DomainError as error:
        site = sites.get_site_detail(caller.uow(), site_id)
        return _site_edit(request, site=site, form={**_site_form(site), "active_reason": reason[:500]},
                          status_code=status_for(error), error=error)
    return RedirectResponse(f"/admin/sites/{site_id}?done={'site_reactivated' if enable else 'site_deactivated'}",
                            status_code=303)


# ---------------------------------------------------------------- audit log


@router.get("/admin/audit")
def audit_page(request: Request, actor: str = "", action: str = "", entity: str = "", offset: int = 0,
               caller: Caller = Depends(require(Permission.AUDIT_READ))):
    actor, action, entity = actor.strip()[:100], action.strip()[:40], entity.strip()[:40]
    offset = max(0, min(offset, 10_000_000))
    role = caller.principal.role
    status = audit.chain_status(caller.uow())
    broken = audit.entry_for(caller.uow(), status.first_broken_id, role=role) if status.first_broken_id else None
    entries, total = audit.list_entries_for(caller.uow(), role=role, limit=AUDIT_PAGE, offset=offset,
                                            actor=actor or None, action=action or None, entity=entity or None)
    filters = {k: v for k, v in (("actor", actor), ("action", action), ("entity", entity)) if v}

    def page_link(to: int) -> str:
        return "/admin/audit?" + urlencode({**filters, "offset": to})

    return render(request, "admin/audit.html", status=status, broken=broken, entries=entries, total=total,
                  capped=total > audit.COUNT_CAP, count_cap=audit.COUNT_CAP, checked_on_view=audit.CHECKED_ON_VIEW,
                  offset=offset, page=AUDIT_PAGE, filters=filters, choices=audit.filter_choices(caller.uow()),
                  newer=page_link(max(0, offset - AUDIT_PAGE)) if offset > 0 else None,
                  older=page_link(offset + AUDIT_PAGE) if offset + AUDIT_PAGE < total else None)


@router.post("/admin/audit/verify")
def verify_audit_chain(caller: Caller = Depends(require(Permission.AUDIT_READ))):
    """The whole chain verified now and the result written to it; the log then shows it."""
    audit.record_verification(caller.uow())
    return RedirectResponse("/admin/audit", status_code=303)
