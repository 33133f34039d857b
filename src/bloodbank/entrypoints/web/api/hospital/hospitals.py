"""REST endpoints: hospitals, and their patients with everything the lab knows of them.

Patients are found by any identifier (hospital number, NHS number, emergency
number…); a record merged into another answers as the record it now lives in.

A grouping with `manually_edited` true was typed by hand: it counts towards the
patient's group once a blind second entry agrees (`GET
/patients/groupings/second-entries` lists those waiting without their group,
`POST /patients/{id}/groupings/{grouping_id}/second-entry` gives it).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from bloodbank.domain.access import Permission
from bloodbank.domain.patients import IDENTIFIER_SYSTEMS, SPECIAL_REQUIREMENTS
from bloodbank.domain.ids import MAX_ID
from bloodbank.entrypoints.web.api.common import Page, PageParams, page_params, paginate
from bloodbank.entrypoints.web.security import Caller, require
from bloodbank.entrypoints.web.signing import signed
from bloodbank.service_layer.hospital import grouping_errors, hospitals, patient_lab, patient_merge, patients

router = APIRouter(tags=["hospitals"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
System = Literal[tuple(IDENTIFIER_SYSTEMS)]  # type: ignore[valid-type]
Requirement = Literal[tuple(SPECIAL_REQUIREMENTS)]  # type: ignore[valid-type]
Sex = Literal["F", "M", "U"]

READ = Depends(require(Permission.PATIENTS_READ))
WRITE = Depends(require(Permission.PATIENTS_WRITE))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewHospital(Strict):
    code: str = Field(min_length=2, max_length=20, description="Letters and digits, e.g. RXH.")
    name: str = Field(min_length=1, max_length=200)
    site_id: int = Field(ge=1, le=MAX_ID, description="The blood bank site whose stock serves the hospital.")
    address: str = Field("", max_length=300)
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    time_zone: str | None = Field(None, min_length=1, max_length=64,
                                  description="IANA zone of the hospital's clock; left out, the serving site's.")


class Identifier(Strict):
    system: System = Field(description="mrn (written HOSPITALCODE:NUMBER), nhs, national, emergency, passport.")
    value: str = Field(min_length=1, max_length=60)


class NewPatient(Strict):
    hospital_id: int = Field(ge=1, le=MAX_ID)
    identifiers: list[Identifier] = Field(min_length=1, max_length=10)
    given_name: str = Field("", max_length=100)
    family_name: str = Field("", max_length=100)
    date_of_birth: date | None = None
    sex: Sex | None = None


class PatientDetails(Strict):
    """Only the fields given change; the reason is kept with the change in the record's history."""

    given_name: str | None = Field(None, max_length=100)
    family_name: str | None = Field(None, max_length=100)
    date_of_birth: date | None = None
    date_of_birth_estimated: bool | None = None
    sex: Sex | None = None
    reason: str = Field(min_length=1, max_length=patients.MAX_REASON,
                        description="Why, e.g. 'name misspelt at admission'.")


class NewEmergencyPatient(Strict):
    hospital_id: int = Field(ge=1, le=MAX_ID)
    sex: Sex | None = None
    approximate_age: int | None = Field(None, ge=0, le=120)


class NewIdentifier(Identifier):
    reason: str = Field("", max_length=500)


class Merge(Strict):
    survivor_id: int = Field(ge=1, le=MAX_ID, description="The record to keep.")
    duplicate_id: int = Field(ge=1, le=MAX_ID, description="The record merged into it; it stays, pointing at it.")
    reason: str = Field(min_length=1, max_length=500, description="How you know they are the same person.")


class NewSample(Strict):
    sample_number: str = Field(min_length=1, max_length=40)
    taken_by: str = Field(min_length=1, max_length=100)


class NewGrouping(Strict):
    sample_id: int = Field(ge=1, le=MAX_ID)
    blood_group: str = Field(min_length=1, max_length=20, description="e.g. A+, O neg, AB RhD positive.")
    manually_edited: bool = Field(False, description="Typed or edited by hand, not sent by the analyser: it counts "
                                                     "once a second entry agrees, and never allows electronic issue.")


class GroupingSecondEntry(Strict):
    blood_group: str = Field(min_length=1, max_length=20, description="The group read again from the card.")


class GroupingInError(Strict):
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. 'wrong blood in tube: sample S-2 "
                                                                  "was taken from another patient'.")
    confirmed_by: str = Field(min_length=1, max_length=100,
                              description="User name of the second person who confirmed it (not you).")
    confirmer_password: str = Field(min_length=1, max_length=1000,
                                    description="The second person's own password, typed by them: it proves they "
                                                "confirmed it.")
    signature_password: str = Field(min_length=1, max_length=200, description="Your password, to sign.")


class NewScreen(Strict):
    sample_id: int = Field(ge=1, le=MAX_ID)
    positive: bool
    manually_edited: bool = False


class NewAntibody(Strict):
    antibody: str = Field(min_length=1, max_length=40, description="e.g. anti-K, anti-Fya, other:anti-Yta.")
    clinically_significant: bool = True
    note: str = Field("", max_length=500)


class NewRequirement(Strict):
    requirement: Requirement
    reason: str = Field(min_length=1, max_length=500)
    until: date | None = Field(None, description="Last day it applies (inclusive); empty for no end.")


class EndRequirement(Strict):
    reason: str = Field(min_length=1, max_length=500)


# ---------------------------------------------------------------- hospitals


@router.get("/hospitals", summary="Hospitals served, by code")
def list_hospitals(site_id: OptionalId = None, page: PageParams = Depends(page_params),
                   caller: Caller = READ) -> Page[hospitals.HospitalView]:
    return paginate(hospitals.list_hospitals(caller.uow(), site_id=site_id), page)


@router.post("/hospitals", status_code=201, summary="A hospital supplied from one site's stock")
def create_hospital(body: NewHospital,
                    caller: Caller = Depends(require(Permission.SITES_WRITE))) -> hospitals.HospitalView:
    return hospitals.create_hospital(caller.uow(), **body.model_dump())


@router.get("/hospitals/{hospital_id}")
def get_hospital(hospital_id: Id, caller: Caller = READ) -> hospitals.HospitalView:
    return hospitals.get_hospital(caller.uow(), hospital_id)


# ---------------------------------------------------------------- patients


@router.post("/patients", status_code=201,
             summary="Register a patient under one or more identifiers (refused if any is already on file)")
def register_patient(body: NewPatient, caller: Caller = WRITE) -> patients.PatientView:
    return patients.register_patient(
        caller.uow(), hospital_id=body.hospital_id,
        identifiers=[(i.system, i.value) for i in body.identifiers], given_name=body.given_name,
        family_name=body.family_name, date_of_birth=body.date_of_birth, sex=body.sex)


@router.post("/patients/emergency", status_code=201,
             summary="Register an unidentified patient under the next emergency number")
def register_emergency_patient(body: NewEmergencyPatient, caller: Caller = WRITE) -> patients.PatientView:
    return patients.register_emergency_patient(caller.uow(), **body.model_dump())


@router.get("/patients", summary="Patients: by any identifier or name (q), or all of a hospital")
def find_patients(q: str | None = Query(None, max_length=200, description="An identifier or names."),
                  hospital_id: OptionalId = None, page: PageParams = Depends(page_params),
                  caller: Caller = READ) -> Page[patients.PatientView]:
    if q and q.strip():
        found = patients.find_patients(caller.uow(), q)
        if hospital_id is not None:
            found = [p for p in found if p.hospital_id == hospital_id]
        return paginate(found, page)
    items, total = patients.list_patients(caller.uow(), hospital_id=hospital_id, limit=page.limit,
                                          offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/patients/lookup", summary="The one patient holding an identifier (mrn:RXH:123456, EM-2026-0001)")
def lookup_patient(identifier: str = Query(..., min_length=1, max_length=200),
                   caller: Caller = READ) -> patients.PatientView:
    return patients.lookup_patient(caller.uow(), identifier)


@router.post("/patients/merge", summary="Merge a duplicate record into the one kept: all its history moves")
def merge_patients(body: Merge, caller: Caller = WRITE) -> patients.PatientView:
    return patient_merge.merge_patients(caller.uow(), **body.model_dump())


@router.get("/patients/{patient_id}", summary="A patient; a merged record answers as the one it was merged into")
def get_patient(patient_id: Id, caller: Caller = READ) -> patients.PatientView:
    return patients.get_patient(caller.uow(), patient_id)


@router.patch("/patients/{patient_id}", summary="Correct a patient's name, date of birth or sex, with the reason")
def update_patient(body: PatientDetails, patient_id: Id, caller: Caller = WRITE) -> patients.PatientView:
    given = body.model_dump(exclude_unset=True, exclude={"reason"})
    return patients.update_patient_details(caller.uow(), patient_id=patient_id, reason=body.reason, **given)


@router.get("/patients/{patient_id}/history", summary="The changes to every record of the person, newest first")
def patient_history(patient_id: Id, caller: Caller = READ) -> list[patients.PatientChange]:
    return patients.patient_history(caller.uow(), patient_id=patient_id, role=caller.principal.role)


@router.get("/patients/{patient_id}/record",
            summary="Everything that decides what the patient may receive: groupings, screens, antibodies, "
                    "requirements, samples, electronic issue")
def patient_chart(patient_id: Id, caller: Caller = READ) -> patient_lab.PatientChart:
    return patient_lab.get_patient_chart(caller.uow(), patient_id)


@router.post("/patients/{patient_id}/identifiers", status_code=201, summary="Another identifier for the person")
def add_identifier(body: NewIdentifier, patient_id: Id, caller: Caller = WRITE) -> patients.PatientView:
    return patients.add_identifier(caller.uow(), patient_id=patient_id, system=body.system, value=body.value,
                                   reason=body.reason)


@router.get("/patients/{patient_id}/samples")
def list_samples(patient_id: Id, page: PageParams = Depends(page_params),
                 caller: Caller = READ) -> Page[patient_lab.SampleView]:
    return paginate(patient_lab.list_samples(caller.uow(), patient_id=patient_id), page)


@router.post("/patients/{patient_id}/samples", status_code=201, summary="A sample taken from the patient")
def record_sample(body: NewSample, patient_id: Id, caller: Caller = WRITE) -> patient_lab.SampleView:
    return patient_lab.record_sample(caller.uow(), patient_id=patient_id, **body.model_dump())


@router.post("/patients/{patient_id}/groupings", status_code=201,
             summary="An ABO/RhD grouping on one of the patient's samples")
def record_grouping(body: NewGrouping, patient_id: Id, caller: Caller = WRITE) -> patient_lab.GroupingView:
    return patient_lab.record_grouping(caller.uow(), patient_id=patient_id, **body.model_dump())


@router.get("/patients/groupings/second-entries",
            summary="Groupings typed by hand waiting for their second entry, oldest first, without their group")
def grouping_second_entries(patient_id: OptionalId = None, page: PageParams = Depends(page_params),
                            caller: Caller = WRITE) -> Page[patient_lab.AwaitingGrouping]:
    return paginate(patient_lab.groupings_awaiting_second_entry(caller.uow(), patient_id=patient_id), page)


@router.post("/patients/{patient_id}/groupings/{grouping_id}/second-entry", status_code=201,
             summary="The blind second entry of a grouping typed by hand: agreeing, it counts for the patient; "
                     "disagreeing (409, naming both groups), both entries are kept and the patient is discrepant")
def give_grouping_second_entry(body: GroupingSecondEntry, patient_id: Id, grouping_id: Id,
                               caller: Caller = WRITE) -> patient_lab.GroupingView:
    return patient_lab.give_grouping_second_entry(caller.uow(), grouping_id=grouping_id,
                                                  blood_group=body.blood_group, patient_id=patient_id)


@router.post("/patients/{patient_id}/groupings/{grouping_id}/in-error",
             summary="Mark a grouping entered in error (e.g. wrong blood in tube), confirmed by a second person, "
                     "under your signature: it stays on file and no longer counts")
def mark_grouping_in_error(body: GroupingInError, patient_id: Id, grouping_id: Id,
                           caller: Caller = WRITE) -> grouping_errors.GroupingInError:
    return signed(
        caller, password=body.signature_password, action="grouping_in_error",
        act=lambda: grouping_errors.mark_grouping_in_error(
            caller.uow(), grouping_id=grouping_id, reason=body.reason, confirmed_by=body.confirmed_by,
            confirmer_password=body.confirmer_password, patient_id=patient_id),
        record=lambda view: (grouping_errors.grouping_subject(view), "patient", view.person_id),
    )


@router.post("/patients/{patient_id}/antibody-screens", status_code=201)
def record_antibody_screen(body: NewScreen, patient_id: Id,
                           caller: Caller = WRITE) -> patient_lab.ScreenView:
    return patient_lab.record_antibody_screen(caller.uow(), patient_id=patient_id, **body.model_dump())


@router.post("/patients/{patient_id}/antibodies", status_code=201, summary="An identified red cell antibody")
def record_antibody(body: NewAntibody, patient_id: Id, caller: Caller = WRITE) -> patient_lab.AntibodyView:
    return patient_lab.record_antibody(caller.uow(), patient_id=patient_id, **body.model_dump())


@router.post("/patients/{patient_id}/requirements", status_code=201,
             summary="A special requirement: irradiated, cmv_negative, rhd_negative_only, hla_matched, washed")
def add_requirement(body: NewRequirement, patient_id: Id,
                    caller: Caller = WRITE) -> patient_lab.RequirementView:
    return patient_lab.add_requirement(caller.uow(), patient_id=patient_id, **body.model_dump())


@router.post("/requirements/{requirement_id}/end", summary="End a special requirement from today (the row stays)")
def end_requirement(body: EndRequirement, requirement_id: Id,
                    caller: Caller = WRITE) -> patient_lab.RequirementView:
    return patient_lab.end_requirement(caller.uow(), requirement_id=requirement_id, reason=body.reason)
