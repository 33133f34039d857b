"""REST endpoints: massive transfusion (activate, coolers, end under signature, report) and emergency identity packs.

Running a protocol needs MASSIVE_TRANSFUSION; a hospital's own ratio needs MTP_RATIO; identity packs are
patient registration (PATIENTS_WRITE to print and scan, PATIENTS_READ to list).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.massive_transfusion import rules
from bloodbank.entrypoints import languages
from bloodbank.entrypoints.web.api.common import Id, IdField, Page, PageParams, page_params
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.service_layer.hospital import identity_packs, massive_transfusion, mtp_rounds
from bloodbank.service_layer.hospital.identity_packs import PackView
from bloodbank.service_layer.hospital.massive_transfusion import HospitalRatioView
from bloodbank.service_layer.hospital.mtp_views import MtpView, RoundView

router = APIRouter(tags=["massive transfusion"])

MTP = Depends(require(Permission.MASSIVE_TRANSFUSION))
RATIO = Depends(require(Permission.MTP_RATIO))
REGISTER = Depends(require(Permission.PATIENTS_WRITE))
PATIENTS = Depends(require(Permission.PATIENTS_READ))
PDF = {200: {"content": {"application/pdf": {}}, "description": "The pack to print."}}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RatioIn(Strict):
    ratio: str = Field(min_length=1, max_length=20, description="Red cells : plasma : platelet doses per round, "
                                                                "e.g. 4:4:1, or a protocol's name.")
    reason: str = Field(min_length=1, max_length=500)


class RatioOut(BaseModel):
    hospital_id: int
    ratio: str
    own: bool
    reason: str
    set_at: datetime | None
    set_by: str | None
    source: str


class Activation(Strict):
    patient_id: IdField
    reason: str = Field(min_length=1, max_length=500)
    incident_id: IdField | None = None


class CoolerIssue(Strict):
    scanned_units: list[str] = Field(min_length=1, max_length=60, description="Every unit packed, scanned.")
    scanned_patient: str = Field(min_length=1, max_length=80, description="The wristband or request form, scanned.")


class CoolerReturn(Strict):
    minutes_out_of_storage: int = Field(ge=0, le=100_000)
    kept_in_cold_chain: bool = Field(description="Kept as its storage requires the whole time (a validated cooler "
                                                 "for red cells and plasma; platelets never chilled).")
    given: list[str] = Field(default_factory=list, max_length=60,
                             description="Units hung on the patient whose transfusion is not yet recorded, scanned: "
                                         "they do not come back.")
    note: str = Field("", max_length=500)


class End(Strict):
    note: str = Field("", max_length=500)
    signature_password: str = Field(min_length=1, max_length=200, description="Your own password, to sign.")


class RoundUnitOut(BaseModel):
    unit_id: int
    din: str
    product_code: str
    kind: str
    blood_group: str | None
    expires_at: datetime
    status: str
    issue_id: int | None
    restocked: bool | None


class RoundOut(BaseModel):
    id: int
    mtp_id: int
    number: int
    emergency: bool
    state: str
    prepared_at: datetime
    prepared_by: str
    issued_at: datetime | None
    returned_at: datetime | None
    units: list[RoundUnitOut]
    short: dict[str, int]


class Counts(BaseModel):
    red_cells: int
    plasma: int
    platelets: int
    whole_blood: int


class KindGroup(BaseModel):
    kind: str
    group: str
    count: int


class MtpOut(BaseModel):
    id: int
    hospital_id: int
    patient_id: int
    patient_identifiers: list[str]
    patient_sex: str | None
    patient_group: str | None
    incident_id: int | None
    ratio: str
    reason: str
    activated_at: datetime
    activated_by: str
    ended_at: datetime | None
    ended_by: str | None
    end_note: str
    active: bool
    rounds: list[RoundOut]
    given: Counts
    ratio_achieved: list[float] | None = Field(description="Red cells : plasma : platelet doses given, per red cell.")
    ratio_target: list[float]
    o_negative_for_male: int = Field(description="O-negative red-cell units given to a male patient.")
    units_by_kind_and_group: list[KindGroup]
    returned_to_stock: int
    wasted: int


def round_out(view: RoundView) -> RoundOut:
    return RoundOut(id=view.id, mtp_id=view.mtp_id, number=view.number, emergency=view.emergency, state=view.state,
                    prepared_at=view.prepared_at, prepared_by=view.prepared_by, issued_at=view.issued_at,
                    returned_at=view.returned_at, units=[RoundUnitOut(**u.__dict__) for u in view.units],
                    short=dict(view.short))


def mtp_out(view: MtpView) -> MtpOut:
    counts, achieved = view.counts, view.achieved
    return MtpOut(
        id=view.id, hospital_id=view.hospital_id, patient_id=view.patient.id,
        patient_identifiers=[f"{s}:{v}" for s, v in view.patient.identifiers], patient_sex=view.patient.sex,
        patient_group=view.patient_group, incident_id=view.incident_id, ratio=view.ratio.text, reason=view.reason,
        activated_at=view.activated_at, activated_by=view.activated_by, ended_at=view.ended_at,
        ended_by=view.ended_by, end_note=view.end_note, active=view.active,
        rounds=[round_out(r) for r in view.rounds],
        given=Counts(red_cells=counts.red_cells, plasma=counts.plasma, platelets=counts.platelets,
                     whole_blood=counts.whole_blood),
        ratio_achieved=[round(float(x), 2) for x in achieved] if achieved else None,
        ratio_target=[round(float(x), 2) for x in view.target], o_negative_for_male=view.o_negative_for_male,
        units_by_kind_and_group=[KindGroup(kind=k, group=g, count=n) for k, g, n in view.by_kind_and_group],
        returned_to_stock=view.returned_to_stock, wasted=view.wasted)


def ratio_out(view: HospitalRatioView) -> RatioOut:
    return RatioOut(hospital_id=view.hospital_id, ratio=view.ratio.text, own=view.own, reason=view.reason,
                    set_at=view.set_at, set_by=view.set_by, source=view.source)


@router.get("/mtp/protocols", summary="The massive transfusion ratios a hospital may choose, with their sources")
def protocols(caller: Caller = MTP) -> list[dict]:
    return [{"name": p.code, "title": p.name, "ratio": p.ratio.text, "source": p.source,
             "default": p.code == rules().default} for p in rules().protocols.values()]


@router.get("/hospitals/{hospital_id}/mtp-ratio", summary="The hospital's massive transfusion ratio")
def get_ratio(hospital_id: Id, caller: Caller = MTP) -> RatioOut:
    return ratio_out(massive_transfusion.hospital_ratio(caller.uow(), hospital_id=hospital_id))


@router.put("/hospitals/{hospital_id}/mtp-ratio", summary="Set the hospital's own massive transfusion ratio")
def set_ratio(hospital_id: Id, body: RatioIn, caller: Caller = RATIO) -> RatioOut:
    return ratio_out(massive_transfusion.set_hospital_ratio(caller.uow(), hospital_id=hospital_id, ratio=body.ratio,
                                                            reason=body.reason))


@router.post("/mtp", status_code=201, summary="Activate massive transfusion for a patient")
def activate(body: Activation, caller: Caller = MTP) -> MtpOut:
    return mtp_out(massive_transfusion.activate(caller.uow(), patient_id=body.patient_id, reason=body.reason,
                                                incident_id=body.incident_id))


@router.get("/mtp", summary="Massive transfusion protocols of your hospitals, active first")
def list_protocols(active: bool = Query(False, description="Only those still active."),
                   page: PageParams = Depends(page_params), caller: Caller = MTP) -> Page[MtpOut]:
    views, total = massive_transfusion.list_protocols(caller.uow(), active_only=active, limit=page.limit,
                                                      offset=page.offset)
    return Page(items=[mtp_out(v) for v in views], total=total, limit=page.limit, offset=page.offset)


@router.get("/mtp/{mtp_id}", summary="A protocol: its rounds, what was given, the ratio and the flags (its report)")
def get_protocol(mtp_id: Id, caller: Caller = MTP) -> MtpOut:
    return mtp_out(massive_transfusion.get(caller.uow(), mtp_id=mtp_id))


@router.post("/mtp/{mtp_id}/rounds", status_code=201, summary="Pack the next cooler by the protocol's ratio")
def prepare(mtp_id: Id, caller: Caller = MTP) -> RoundOut:
    return round_out(mtp_rounds.prepare_round(caller.uow(), mtp_id=mtp_id))


@router.post("/mtp/rounds/{round_id}/issue", summary="Issue a cooler: every unit and the patient scanned")
def issue(round_id: Id, body: CoolerIssue, caller: Caller = MTP) -> RoundOut:
    return round_out(mtp_rounds.issue_round(caller.uow(), round_id=round_id, scanned_units=body.scanned_units,
                                            scanned_patient=body.scanned_patient))


@router.post("/mtp/rounds/{round_id}/return", summary="Take a cooler back: unused units under the return rule")
def take_back(round_id: Id, body: CoolerReturn, caller: Caller = MTP) -> RoundOut:
    return round_out(mtp_rounds.return_round(caller.uow(), round_id=round_id,
                                             minutes_out_of_storage=body.minutes_out_of_storage,
                                             kept_in_cold_chain=body.kept_in_cold_chain, note=body.note,
                                             given=body.given))


@router.post("/mtp/{mtp_id}/end", summary="End massive transfusion, under your signature")
def end(mtp_id: Id, body: End, caller: Caller = MTP) -> MtpOut:
    return mtp_out(massive_transfusion.deactivate(caller.uow(), mtp_id=mtp_id, signer_id=caller.user_id,
                                                  password=body.signature_password, note=body.note))


# ---------------------------------------------------------------- emergency identity packs


class PackIn(Strict):
    hospital_id: IdField
    count: int = Field(ge=1, le=identity_packs.MAX_PACK)
    place: str = Field(min_length=1, max_length=100, description="The trauma bay it is for.")


class Scan(Strict):
    scanned: str = Field(min_length=1, max_length=80, description="The wristband or a tube label, scanned.")
    sex: str | None = Field(None, max_length=10)
    approximate_age: int | None = Field(None, ge=0, le=120)


class ScanOut(BaseModel):
    patient_id: int
    hospital_id: int | None
    identifiers: list[str]
    registered_now: bool


@router.post("/identity-packs", status_code=201, summary="Reserve a pack of emergency identities for a trauma bay")
def print_pack(body: PackIn, caller: Caller = REGISTER) -> PackView:
    return identity_packs.print_pack(caller.uow(), hospital_id=body.hospital_id, count=body.count, place=body.place)


@router.get("/identity-packs", summary="Identity packs printed for your hospitals")
def list_packs(caller: Caller = PATIENTS) -> list[PackView]:
    return identity_packs.list_packs(caller.uow())


@router.post("/identity-packs/{pack_id}/pack.pdf", response_class=Response, responses=PDF,
             summary="The pack to print: a wristband and tube labels per number (the same numbers every time)")
def pack_pdf(pack_id: Id, tubes: int = Query(identity_packs.DEFAULT_TUBES, ge=1, le=identity_packs.MAX_TUBES),
             caller: Caller = REGISTER) -> Response:
    pdf = identity_packs.pack_pdf(caller.uow(), pack_id=pack_id, tubes=tubes, language=languages.current(),
                                  catalogue=languages.catalogue)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="identity-pack-{pack_id}.pdf"'})


@router.post("/identity-packs/scan", summary="Scan a pre-printed wristband: the casualty is registered at once")
def scan(body: Scan, caller: Caller = REGISTER) -> ScanOut:
    view = identity_packs.register_scanned(caller.uow(), scanned=body.scanned, sex=body.sex,
                                           approximate_age=body.approximate_age)
    return ScanOut(patient_id=view.patient.id, hospital_id=view.patient.hospital_id,
                   identifiers=[f"{s}:{v}" for s, v in view.patient.identifiers], registered_now=view.registered_now)
