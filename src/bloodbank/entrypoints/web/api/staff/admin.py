"""REST endpoints for administrators: users, API tokens, the audit chain. And `/api/me` for everyone."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission, Role
from bloodbank.entrypoints.web.api.common import Id, IdField, Page, PageParams, page_params
from bloodbank.entrypoints.web.security import Caller, logged_in, require
from bloodbank.service_layer.reporting import overview
from bloodbank.service_layer.shared import audit
from bloodbank.service_layer.staff import authentication, users

router = APIRouter(tags=["admin"])

RoleName = Literal[tuple(r.value for r in Role)]  # type: ignore[valid-type]


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=60)
    full_name: str = Field(min_length=1, max_length=200)
    role: RoleName
    password: str = Field(min_length=10, max_length=200)
    site_id: IdField | None = None
    service_account: bool = Field(False, description="A machine client's account: API tokens only; it never "
                                                     "logs in with a browser and never signs.")
    hospital_ids: list[IdField] = Field([], max_length=50,
                                        description="Hospital staff only: the hospitals whose patients, orders "
                                                    "and transfusions the account sees (none: it sees nothing).")


class RoleChange(BaseModel):
    role: RoleName


class HospitalsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hospital_ids: list[IdField] = Field(max_length=50, description="Exactly these hospitals; [] for none.")
    reason: str = Field("", max_length=500)


class ActiveChange(BaseModel):
    active: bool
    reason: str = Field(min_length=1, max_length=500)


class NewToken(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(min_length=1, max_length=200,
                          description="At least 10 characters, not the user name; tell the person in person.")
    reason: str = Field("", max_length=500)


@router.get("/me", summary="The person behind this request and what they may do")
def me(caller: Caller = Depends(logged_in)) -> dict:
    p = caller.principal
    scope = p.hospital_scope.hospital_ids
    return {"username": p.username, "full_name": p.full_name, "role": p.role,
            "permissions": sorted(perm.value for perm in Permission if p.may(perm)),
            # The hospitals whose records this person sees; null: every hospital (the blood service).
            "hospital_ids": None if scope is None else sorted(scope), "language": p.language}


@router.get("/users")
def list_users(caller: Caller = Depends(require(Permission.USERS))) -> list[users.UserView]:
    return users.list_users(caller.uow())


@router.get("/users/{user_id}")
def get_user(user_id: Id, caller: Caller = Depends(require(Permission.USERS))) -> users.UserView:
    return users.get_user(caller.uow(), user_id)


@router.post("/users", status_code=201)
def create_user(body: NewUser, caller: Caller = Depends(require(Permission.USERS))) -> users.UserView:
    fields = body.model_dump(exclude={"hospital_ids"})
    return users.create_user(caller.uow(), **fields, hospitals=body.hospital_ids)


@router.put("/users/{user_id}/role")
def set_role(user_id: Id, body: RoleChange, caller: Caller = Depends(require(Permission.USERS))) -> users.UserView:
    return users.set_role(caller.uow(), user_id=user_id, role=body.role)


@router.put("/users/{user_id}/hospitals",
            summary="The hospitals a hospital staff account belongs to: it sees only their patients and orders")
def set_hospitals(user_id: Id, body: HospitalsChange,
                  caller: Caller = Depends(require(Permission.USERS))) -> users.UserView:
    return users.set_hospitals(caller.uow(), user_id=user_id, hospitals=body.hospital_ids, reason=body.reason)


@router.put("/users/{user_id}/active")
def set_active(user_id: Id, body: ActiveChange,
               caller: Caller = Depends(require(Permission.USERS))) -> users.UserView:
    return users.set_active(caller.uow(), user_id=user_id, active=body.active, reason=body.reason)


@router.post("/users/{user_id}/tokens", status_code=201,
             summary="Issue an API token for your own account or a service account; shown only in this answer")
def issue_token(user_id: Id, body: NewToken, caller: Caller = Depends(require(Permission.USERS))) -> dict:
    issued = authentication.issue_api_token(caller.uow(), user_id=user_id, name=body.name,
                                            issuer_id=caller.principal.user_id)
    return {"id": issued.id, "name": issued.name, "token": issued.token}


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200, description="At least 10 characters, not your user name.")


@router.put("/me/password", summary="Choose your own password (required after a reset)")
def change_my_password(body: PasswordChange, caller: Caller = Depends(logged_in)) -> users.UserView:
    return users.change_own_password(caller.uow(), user_id=caller.principal.user_id, current=body.current_password,
                                     new=body.new_password)


class LanguageChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str | None = Field(None, max_length=8, description="en, fr or ar; null follows Accept-Language.")


@router.put("/me/language", summary="The language of your pages and of the API's messages to you")
def set_my_language(body: LanguageChange, caller: Caller = Depends(logged_in)) -> users.UserView:
    return users.set_own_language(caller.uow(), user_id=caller.principal.user_id, language=body.language)


@router.post("/me/tokens", status_code=201, summary="An API token for your own account; shown only in this answer")
def issue_my_token(body: NewToken, caller: Caller = Depends(logged_in)) -> dict:
    issued = authentication.issue_api_token(caller.uow(), user_id=caller.principal.user_id, name=body.name,
                                            issuer_id=caller.principal.user_id)
    return {"id": issued.id, "name": issued.name, "token": issued.token}


@router.get("/users/{user_id}/tokens", summary="A user's API tokens: names and use, never the secret")
def list_tokens(user_id: Id, caller: Caller = Depends(require(Permission.USERS))) -> list[authentication.ApiTokenView]:
    return authentication.list_api_tokens(caller.uow(), user_id=user_id)


@router.put("/users/{user_id}/password", summary="Reset a user's password; their browser sessions end")
def reset_password(user_id: Id, body: PasswordReset,
                   caller: Caller = Depends(require(Permission.USERS))) -> users.UserView:
    return users.reset_password(caller.uow(), user_id=user_id, password=body.password, reason=body.reason)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: Id, caller: Caller = Depends(require(Permission.USERS))) -> None:
    authentication.revoke_api_token(caller.uow(), token_id=token_id)


@router.post("/audit/verify", summary="Recompute the whole audit hash chain and write the result to it",
             description="What the audit page's button does: a later view of the log checks only the entries "
                         "written after the last verification so recorded.")
def record_audit_verification(caller: Caller = Depends(require(Permission.AUDIT_READ))) -> dict:
    found = audit.record_verification(caller.uow())
    return {"entry_id": found.entry_id, "ok": found.ok, "entries": found.entries,
            "first_broken_id": found.first_broken_id, "problem": found.problem,
            "erased_payloads": found.erased_payloads, "erasures": found.erasures}


@router.get("/audit/verify", summary="Recompute the audit hash chain")
def verify_audit(caller: Caller = Depends(require(Permission.AUDIT_READ))) -> dict:
    report = audit.verify_chain(caller.uow())
    return {"ok": report.ok, "entries": report.entries, "first_broken_id": report.first_broken_id,
            "problem": report.problem, "erased_payloads": report.erased_payloads,
            "erased_by": {str(entry): count for entry, count in report.erased_by.items()}}


@router.get("/audit", summary="Audit entries, newest first; values of records your role may not read are withheld")
def audit_entries(actor: str | None = Query(None, max_length=100), action: str | None = Query(None, max_length=40),
                  entity: str | None = Query(None, max_length=40), page: PageParams = Depends(page_params),
                  caller: Caller = Depends(require(Permission.AUDIT_READ))) -> Page[audit.ShownEntryView]:
    items, total = audit.list_entries_for(caller.uow(), role=caller.principal.role, limit=page.limit,
                                          offset=page.offset, actor=actor, action=action, entity=entity)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset, total_capped=total > audit.COUNT_CAP)


@router.get("/overview", summary="Live figures: sites, donors, donations, stock, quarantine, open orders")
def live_overview(caller: Caller = Depends(logged_in)) -> overview.Overview:
    return overview.overview(caller.uow())
