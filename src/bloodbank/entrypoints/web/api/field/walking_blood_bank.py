"""REST endpoints: the walking blood bank (titres, the panel, supply cut-offs, activation and the call list,
emergency collection, and the signed issue of blood not fully tested).

Keeping the panel and recording titres need PANEL; declaring a cut-off (signed) and activating need
PANEL_ACTIVATE (the medical director); collecting needs EMERGENCY_COLLECTION; the issue needs
ISSUE_NOT_FULLY_TESTED and the signer's own password.
"""

from __future__ import annotations

from typing import Literal

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from bloodbank.domain.access import Permission
from bloodbank.entrypoints.web.api.common import MAX_ID, Id, IdField
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.service_layer.blood import labels, retrospective
from bloodbank.service_layer.blood.retrospective import PendingDonation
from bloodbank.service_layer.field import (
    activation, collection, cut_offs, issue, panel, policy, recipient_follow_ups, titres,
)
from bloodbank.service_layer.field.recipient_follow_ups import RecipientFollowUpView
from bloodbank.service_layer.field.activation import ActivationView
from bloodbank.service_layer.field.collection import EmergencyUnitView
from bloodbank.service_layer.field.cut_offs import CutOffView
from bloodbank.service_layer.field.titres import TitreView
from bloodbank.service_layer.hospital.issue import IssueView

router = APIRouter(prefix="/field", tags=["walking blood bank"])

PANEL = Depends(require(Permission.PANEL))
ACTIVATE = Depends(require(Permission.PANEL_ACTIVATE))
COLLECT = Depends(require(Permission.EMERGENCY_COLLECTION))
SIGN_RISK = Depends(require(Permission.ISSUE_NOT_FULLY_TESTED))
SiteQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this site's.")]
PDF = {200: {"content": {"application/pdf": {}}, "description": "The label to print."}}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewTitre(Strict):
    donor_id: IdField | None = None
    donation_id: IdField | None = Field(None, description="The donation the sample came with, if any.")
    anti_a: int = Field(ge=0, le=16384, description="Reciprocal of the titre: 128 for 1:128.")
    anti_b: int = Field(ge=0, le=16384)
    tested_at: AwareDatetime | None = None


class Joining(Strict):
    donor_id: IdField
    consent_text_version: str = Field(min_length=1, max_length=20)
    confirmed_by_donor: bool = Field(description="The volunteer confirmed, themselves, their consent to be called "
                                                 "at any hour.")


class Availability(Strict):
    available: bool
    note: str = Field("", max_length=300)


class MemberOut(BaseModel):
    id: int
    donor_id: int
    donor_number: str
    name: str
    phone: str | None
    available: bool
    availability_note: str
    group: str | None
    group_confirmations: int
    titre_anti_a: int | None
    titre_anti_b: int | None
    titre_tested_at: str | None
    screened_at: str | None
    screen_clear: bool
    last_donation: str | None
    deferred: bool
    callable: bool
    low_titre: bool
    reasons: list[str]
    retest: list[str]


class BoardOut(BaseModel):
    site_id: int
    site_name: str
    titre_threshold: int
    titre_validity_days: int
    screen_validity_days: int
    members: list[MemberOut]
    needs_retest: list[int] = Field(description="Members whose screen, titre or group must be tested again.")


class PolicyIn(Strict):
    titre_threshold: int | None = Field(None, ge=1, le=16384, description="Low titre: both BELOW this; "
                                                                          "null for the default (256).")
    titre_validity_days: int | None = Field(None, ge=1, le=3650)
    screen_validity_days: int | None = Field(None, ge=1, le=3650)
    reason: str = Field(min_length=1, max_length=500)


class PolicyOut(BaseModel):
    titre_threshold: int
    titre_validity_days: int
    screen_validity_days: int


class CutOff(Strict):
    reason: str = Field(min_length=1, max_length=1000)
    signature_password: str = Field(min_length=1, max_length=200, description="Your own password, to sign.")


class WaitingEntry(Strict):
    group: str | None = Field(None, max_length=10, description="The patients' group, or null / 'unknown'.")
    count: int = Field(1, ge=1, le=500)


class Activation(Strict):
    incident_id: IdField | None = None
    cut_off_id: IdField | None = None
    waiting: list[WaitingEntry] = Field(min_length=1, max_length=20)


class Answer(Strict):
    member_id: IdField
    outcome: Literal["accepted", "declined", "no_answer"]


class RapidTestIn(Strict):
    marker: str = Field(max_length=20)
    result: str = Field(max_length=12)
    kit: str = Field(max_length=80)
    lot: str = Field(max_length=40)


class Collection(Strict):
    member_id: IdField
    answers: dict[str, bool]
    consent_text_version: str = Field(min_length=1, max_length=20)
    confirmed_by_donor: bool
    rapid_tests: list[RapidTestIn] = Field(max_length=10)
    bedside_group: str = Field(min_length=1, max_length=10)
    bag_type: str = Field(min_length=1, max_length=30)
    bag_lot: str = Field(max_length=40)
    volume_ml: int = Field(ge=1, le=2000)
    anticoagulant: str = Field("CPDA-1", max_length=10)

    @model_validator(mode="after")
    def _few_answers(self):
        if len(self.answers) > 20:
            raise ValueError("at most 20 answers")
        return self


class SignedIssue(Strict):
    patient_id: IdField
    scanned_unit: str = Field(min_length=1, max_length=60)
    scanned_patient: str = Field(min_length=1, max_length=80)
    scanned_product: str | None = Field(None, max_length=20)
    reason: str = Field(min_length=1, max_length=500, description="Why the risk is accepted: \"because …\".")
    signature_password: str = Field(min_length=1, max_length=200, description="Your own password, to sign.")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def member_out(m: panel.MemberView) -> MemberOut:
    f, s = m.facts, m.standing
    return MemberOut(
        id=m.id, donor_id=m.donor_id, donor_number=m.donor_number, name=m.name, phone=m.phone,
        available=m.available, availability_note=m.availability_note, group=f.group,
        group_confirmations=f.group_confirmations, titre_anti_a=f.titre.anti_a if f.titre else None,
        titre_anti_b=f.titre.anti_b if f.titre else None, titre_tested_at=_iso(f.titre.tested_at if f.titre else None),
        screened_at=_iso(f.screened_at), screen_clear=f.screen_clear, last_donation=_iso(f.last_donation),
        deferred=f.deferred, callable=s.callable, low_titre=s.low_titre, reasons=list(s.reasons),
        retest=list(s.retest))


class CallOut(BaseModel):
    rank: int
    member: MemberOut
    low_titre: bool
    why: str


class ActivationOut(BaseModel):
    id: int
    site_id: int
    incident_id: int | None
    cut_off_id: int | None
    waiting: list[WaitingEntry]
    activated_at: str
    activated_by: str
    calls: list[CallOut]
    answers: list[Answer]


def activation_out(view: ActivationView) -> ActivationOut:
    return ActivationOut(
        id=view.id, site_id=view.site_id, incident_id=view.incident_id, cut_off_id=view.cut_off_id,
        waiting=[WaitingEntry(group=w.group, count=w.count) for w in view.waiting],
        activated_at=view.activated_at.isoformat(), activated_by=view.activated_by,
        calls=[CallOut(rank=c.rank, member=member_out(c.member), low_titre=c.low_titre, why=c.why) for c in view.calls],
        answers=[Answer(member_id=m, outcome=o) for m, o, _ in view.answers])


@router.post("/titres", status_code=201, summary="Record a donor's anti-A and anti-B titres")
def record_titre(body: NewTitre, caller: Caller = PANEL) -> TitreView:
    return titres.record_titre(caller.uow(), donor_id=body.donor_id, donation_id=body.donation_id,
                               anti_a=body.anti_a, anti_b=body.anti_b, tested_at=body.tested_at)


@router.get("/sites/{site_id}/panel", summary="The site's panel: each member's standing, and who needs re-testing")
def get_panel(site_id: Id, caller: Caller = PANEL) -> BoardOut:
    board = panel.panel_board(caller.uow(), site_id=site_id)
    return BoardOut(site_id=board.site_id, site_name=board.site_name, titre_threshold=board.policy.titre_threshold,
                    titre_validity_days=board.policy.titre_validity.days,
                    screen_validity_days=board.policy.screen_validity.days,
                    members=[member_out(m) for m in board.members], needs_retest=[m.id for m in board.needs_retest])


@router.put("/sites/{site_id}/policy", summary="The site's titre threshold and validity windows (null: the default)")
def set_policy(site_id: Id, body: PolicyIn, caller: Caller = ACTIVATE) -> PolicyOut:
    chosen = policy.set_policy(caller.uow(), site_id=site_id, reason=body.reason,
                               titre_threshold=body.titre_threshold, titre_validity_days=body.titre_validity_days,
                               screen_validity_days=body.screen_validity_days)
    return PolicyOut(titre_threshold=chosen.titre_threshold, titre_validity_days=chosen.titre_validity.days,
                     screen_validity_days=chosen.screen_validity.days)


@router.post("/sites/{site_id}/panel", status_code=201,
             summary="A volunteer joins the panel by their own consent to be called at any hour")
def join_panel(site_id: Id, body: Joining, caller: Caller = PANEL) -> MemberOut:
    return member_out(panel.join_panel(caller.uow(), site_id=site_id, donor_id=body.donor_id,
                                       text_version=body.consent_text_version,
                                       confirmed_by_donor=body.confirmed_by_donor))


@router.post("/panel/{member_id}/withdraw", summary="The volunteer withdraws: never called again unless they rejoin")
def withdraw(member_id: Id, caller: Caller = PANEL) -> MemberOut:
    return member_out(panel.withdraw_from_panel(caller.uow(), member_id=member_id))


@router.put("/panel/{member_id}/availability", summary="Whether the member can be called now")
def availability(member_id: Id, body: Availability, caller: Caller = PANEL) -> MemberOut:
    return member_out(panel.set_availability(caller.uow(), member_id=member_id, available=body.available,
                                             note=body.note))


@router.get("/cut-offs", summary="Supply cut-offs, newest first")
def list_cut_offs(site_id: SiteQuery = None, caller: Caller = PANEL) -> list[CutOffView]:
    return cut_offs.list_cut_offs(caller.uow(), site_id=site_id)


@router.post("/sites/{site_id}/cut-offs", status_code=201,
             summary="Declare that tested blood cannot reach the site, under your signature")
def declare_cut_off(site_id: Id, body: CutOff, caller: Caller = ACTIVATE) -> CutOffView:
    return signed(caller, password=body.signature_password, action="supply_cut_off",
                  act=lambda: cut_offs.declare_cut_off(caller.uow(), site_id=site_id, reason=body.reason),
                  record=lambda v: (v.site_name, "supply_cut_off", v.id))


@router.post("/cut-offs/{cut_off_id}/end", summary="End a supply cut-off: nothing more is collected or issued "
                                                  "untested under it")
def end_cut_off(cut_off_id: Id, caller: Caller = ACTIVATE) -> CutOffView:
    return cut_offs.end_cut_off(caller.uow(), cut_off_id=cut_off_id)


@router.post("/sites/{site_id}/activations", status_code=201,
             summary="Activate the panel inside an open incident or a cut-off: the call list, in order")
def activate(site_id: Id, body: Activation, caller: Caller = ACTIVATE) -> ActivationOut:
    return activation_out(activation.activate(
        caller.uow(), site_id=site_id, incident_id=body.incident_id, cut_off_id=body.cut_off_id,
        waiting=[(w.group, w.count) for w in body.waiting]))


@router.get("/activations/{activation_id}", summary="The call list as it stands now")
def get_activation(activation_id: Id, caller: Caller = PANEL) -> ActivationOut:
    return activation_out(activation.get_activation(caller.uow(), activation_id=activation_id))


@router.get("/activations/{activation_id}/coming", summary="The members who said they are coming to give")
def coming(activation_id: Id, caller: Caller = COLLECT) -> list[MemberOut]:
    return [member_out(m) for m in activation.coming(caller.uow(), activation_id=activation_id)]


@router.post("/activations/{activation_id}/answers", summary="What a member answered; a refusal has no consequence")
def answer(activation_id: Id, body: Answer, caller: Caller = PANEL) -> ActivationOut:
    return activation_out(activation.record_answer(caller.uow(), activation_id=activation_id,
                                                   member_id=body.member_id, outcome=body.outcome))


@router.post("/activations/{activation_id}/collections", status_code=201,
             summary="Emergency collection: abbreviated questionnaire, the donor's consent, bedside tests, one unit "
                     "not fully tested")
def collect(activation_id: Id, body: Collection, caller: Caller = COLLECT) -> EmergencyUnitView:
    return collection.collect_in_emergency(
        caller.uow(), activation_id=activation_id, member_id=body.member_id, answers=body.answers,
        consent_text_version=body.consent_text_version, confirmed_by_donor=body.confirmed_by_donor,
        rapid_tests=[t.model_dump() for t in body.rapid_tests], bedside_group=body.bedside_group,
        bag_type=body.bag_type, bag_lot=body.bag_lot, volume_ml=body.volume_ml, anticoagulant=body.anticoagulant)


@router.get("/units", summary="Units collected in an emergency, newest first")
def list_units(site_id: SiteQuery = None, caller: Caller = COLLECT) -> list[EmergencyUnitView]:
    return collection.emergency_units(caller.uow(), site_id=site_id)


@router.post("/units/{unit_id}/refrigerate", summary="Refrigerated now, within 8 h: stored whole blood")
def refrigerate(unit_id: Id, caller: Caller = COLLECT) -> EmergencyUnitView:
    return collection.refrigerate(caller.uow(), unit_id=unit_id)


@router.post("/units/{unit_id}/label.pdf", response_class=Response, responses=PDF,
             summary="The unit's label: emergency use only, not fully tested")
def label(unit_id: Id, caller: Caller = COLLECT) -> Response:
    pdf = labels.print_label(caller.uow(), unit_id=unit_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="unit-{unit_id}-label.pdf"'})


@router.post("/units/{unit_id}/issue", summary="Issue blood not fully tested under your signature, after the scans")
def issue_unit(unit_id: Id, body: SignedIssue, caller: Caller = SIGN_RISK) -> IssueView:
    return issue.issue_not_fully_tested(
        caller.uow(), signer_id=caller.user_id, password=body.signature_password, unit_id=unit_id,
        patient_id=body.patient_id, scanned_unit=body.scanned_unit, scanned_patient=body.scanned_patient,
        scanned_product=body.scanned_product, reason=body.reason)


class Outcome(Strict):
    outcome: str = Field(min_length=1, max_length=2000, description="What was done for the patient.")


@router.get("/pending-results", summary="Emergency donations whose full tests are not all in")
def pending_results(site_id: SiteQuery = None,
                    caller: Caller = Depends(require(Permission.RESULTS_READ))) -> list[PendingDonation]:
    return retrospective.pending_results(caller.uow(), site_id=site_id)


@router.get("/recipient-follow-ups", summary="Recipients of emergency blood later found reactive, to follow up")
def list_follow_ups(open_only: bool = True,
                    caller: Caller = Depends(require(Permission.TRACE))) -> list[RecipientFollowUpView]:
    return recipient_follow_ups.recipient_follow_ups(caller.uow(), open_only=open_only)


@router.post("/recipient-follow-ups/{follow_up_id}/close", summary="Record what was done for the recipient")
def close_follow_up(follow_up_id: Id, body: Outcome,
                    caller: Caller = Depends(require(Permission.TRACE))) -> RecipientFollowUpView:
    return recipient_follow_ups.close_recipient_follow_up(caller.uow(), follow_up_id=follow_up_id,
                                                          outcome=body.outcome)
