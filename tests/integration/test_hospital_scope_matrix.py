"""Every operation of the REST API, for every role, on its own hospital's records, another's, and none.

The table below classifies each operation of the OpenAPI spec: the permissions it needs, and whether it takes
a hospital's record (a patient, order, reservation, issue, transfusion…), lists hospital records, or touches
none. For each account the outcome must be of its class:

- a role without the permission: 403;
- a record of a hospital the account does not see (hospital staff of another hospital, or of none): 404, with
  the same body as an id that does not exist;
- otherwise the operation is allowed: a success, or a refusal of the request itself (409, 422), never 401, 403,
  404 or a server error.

And no answer given to hospital staff carries anything of a hospital they do not see. An operation added to
the API that this table does not classify fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from sqlalchemy import update

from bloodbank.adapters.db.models import Donor, DonorSignIn
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.passwords import token_digest
from bloodbank.domain.access import Permission as P
from bloodbank.entrypoints.web.app import create_app
from tests.integration.portal_fixtures import BORN, home_browser, make_home_donor
from tests.integration.scope_fixtures import VITALS, Ward, two_hospitals
from tests.integration.web_fixtures import PASSWORD, api, make_user

MISSING = 999_999  # an id no record has
LOGIN: frozenset = frozenset()  # any account that is logged in
PUBLIC = None  # no account needed


@dataclass(frozen=True)
class Op:
    needs: frozenset | None
    kind: str = "none"  # "record": takes a hospital's record; "list": lists them; "none": no hospital's record
    request: Callable[[Ward], dict] | None = None  # for "record" and "list": the request about a ward's records


# A donor's own operation: a donor session only; no staff session or token reaches it (401), whatever its role.
DONOR = Op(None, "donor")


def need(*permissions) -> frozenset:
    return frozenset(permissions)


def record(*permissions, **request) -> Op:
    return Op(need(*permissions), "record", _request(**request))


def listing(*permissions, **request) -> Op:
    return Op(need(*permissions), "list", _request(**request))


def _request(path: str = "", params=None, json=None) -> Callable[[Ward], dict]:
    """`path`, `params` and `json` may name a ward's records: "{w.patient}" or lambda w: {...}."""
    def build(w: Ward) -> dict:
        return {"path": path.format(w=w), "params": params(w) if callable(params) else params,
                "json": json(w) if callable(json) else json}
    return build


def needed_by() -> str:
    return (utcnow() + timedelta(hours=5)).isoformat()


def din_scan(din: str) -> str:
    return f"={din}00"


SIGNED = {"signature_password": PASSWORD}

OPERATIONS: dict[str, Op] = {
    # ---------------------------------------------------------------- accounts, audit, overview
    "GET /api/me": Op(LOGIN),
    "PUT /api/me/language": Op(LOGIN),
    "GET /api/users": Op(need(P.USERS)),
    "POST /api/users": Op(need(P.USERS)),
    "GET /api/users/{user_id}": Op(need(P.USERS)),
    "PUT /api/users/{user_id}/role": Op(need(P.USERS)),
    "PUT /api/users/{user_id}/hospitals": Op(need(P.USERS)),
    "PUT /api/users/{user_id}/active": Op(need(P.USERS)),
    "POST /api/users/{user_id}/tokens": Op(need(P.USERS)),
    "GET /api/users/{user_id}/tokens": Op(need(P.USERS)),
    "PUT /api/me/password": Op(LOGIN),
    "POST /api/me/tokens": Op(LOGIN),
    "PUT /api/users/{user_id}/password": Op(need(P.USERS)),
    "DELETE /api/tokens/{token_id}": Op(need(P.USERS)),
    "GET /api/audit/verify": Op(need(P.AUDIT_READ)),
    "POST /api/audit/verify": Op(need(P.AUDIT_READ)),
    "GET /api/audit": Op(need(P.AUDIT_READ)),
    "GET /api/overview": listing(path="/api/overview"),
    "GET /health": Op(PUBLIC),
    "GET /api/scan": Op(LOGIN),
    # ---------------------------------------------------------------- the donor side
    "GET /api/sites": Op(LOGIN),
    "POST /api/sites": Op(need(P.SITES_WRITE)),
    "GET /api/sites/{site_id}": Op(LOGIN),
    "PATCH /api/sites/{site_id}": Op(need(P.SITES_WRITE)),
    "PUT /api/sites/{site_id}/active": Op(need(P.SITES_WRITE)),
    "POST /api/donors": Op(need(P.DONORS_WRITE)),
    "GET /api/donors": Op(need(P.DONORS_READ)),
    "GET /api/donors/{donor_id}": Op(need(P.DONORS_READ)),
    "GET /api/donors/{donor_id}/card.pdf": Op(need(P.DONORS_READ)),
    "POST /api/donors/{donor_id}/merge": Op(need(P.DONORS_MERGE)),
    "PUT /api/donors/{donor_id}/appeal-preferences": Op(need(P.DONORS_WRITE)),
    "GET /api/donors/{donor_id}/results": Op(need(P.RESULTS_READ)),
    "GET /api/donors/{donor_id}/deferrals": Op(need(P.DONORS_READ)),
    "POST /api/donors/{donor_id}/deferrals": Op(need(P.DEFERRALS_WRITE)),
    "GET /api/donors/{donor_id}/deferrals/reasons": Op(need(P.DEFERRAL_REASONS)),
    "GET /api/donors/{donor_id}/deferral-status": Op(need(P.DONORS_READ)),
    "POST /api/deferrals/{deferral_id}/lift": Op(need(P.DEFERRALS_WRITE)),
    "GET /api/donors/{donor_id}/erasure": Op(need(P.ERASURE)),
    "POST /api/donors/{donor_id}/erasure": Op(need(P.ERASURE)),
    "GET /api/questionnaire": Op(need(P.VISITS)),
    "GET /api/consent-text": Op(need(P.VISITS)),
    "POST /api/visits": Op(need(P.VISITS)),
    "GET /api/visits": Op(need(P.VISITS)),
    "GET /api/visits/{visit_id}": Op(need(P.VISITS)),
    "GET /api/donors/{donor_id}/visits": Op(need(P.DONORS_READ)),
    "POST /api/visits/{visit_id}/screening": Op(need(P.VISITS)),
    "POST /api/visits/{visit_id}/rescreen-override": Op(need(P.DEFERRALS_WRITE)),
    "POST /api/visits/{visit_id}/consent": Op(need(P.VISITS)),
    "POST /api/visits/{visit_id}/withdrawal": Op(need(P.VISITS)),
    "POST /api/visits/{visit_id}/confidential": Op(need(P.VISITS)),
    "GET /api/appointments/slots": Op(need(P.APPOINTMENTS)),
    "GET /api/appointments": Op(need(P.APPOINTMENTS)),
    "POST /api/appointments": Op(need(P.APPOINTMENTS)),
    "POST /api/appointments/{appointment_id}/cancel": Op(need(P.APPOINTMENTS)),
    "POST /api/appointments/{appointment_id}/no-show": Op(need(P.APPOINTMENTS)),
    "GET /api/donors/{donor_id}/appointments": Op(need(P.APPOINTMENTS)),
    "GET /api/collection/ready-visits": Op(need(P.COLLECTION)),
    "GET /api/collection/visits/{visit_id}": Op(need(P.COLLECTION)),
    "POST /api/donations": Op(need(P.COLLECTION)),
    "GET /api/donations": Op(need(P.COLLECTION)),
    "GET /api/donations/by-din": Op(need(P.COLLECTION)),
    "GET /api/donations/{donation_id}": Op(need(P.COLLECTION)),
    "POST /api/donations/{donation_id}/finish": Op(need(P.COLLECTION)),
    "POST /api/donations/{donation_id}/abort": Op(need(P.COLLECTION)),
    "POST /api/donations/{donation_id}/reactions": Op(need(P.COLLECTION)),
    "GET /api/donations/{donation_id}/reactions": Op(need(P.COLLECTION)),
    "GET /api/donations/{donation_id}/din-labels.pdf": Op(need(P.COLLECTION)),
    # ---------------------------------------------------------------- the blood side: units are the service's stock
    "GET /api/units": Op(need(P.UNITS_READ)),
    "GET /api/units/awaiting-label": Op(need(P.PROCESSING)),
    "GET /api/units/{unit_id}": Op(need(P.UNITS_READ)),
    "GET /api/units/{unit_id}/work": Op(need(P.PROCESSING)),
    "GET /api/donations/{donation_id}/units": Op(need(P.UNITS_READ)),
    "GET /api/processing/donations": Op(need(P.PROCESSING)),
    "GET /api/processing/donations/by-din": Op(need(P.PROCESSING)),
    "POST /api/processing/donations/by-din/process": Op(need(P.PROCESSING)),
    "POST /api/donations/{donation_id}/process": Op(need(P.PROCESSING)),
    "GET /api/processing/pool-candidates": Op(need(P.PROCESSING)),
    "POST /api/units/pools": Op(need(P.PROCESSING)),
    "POST /api/units/{unit_id}/split": Op(need(P.PROCESSING)),
    "POST /api/units/{unit_id}/cryo": Op(need(P.PROCESSING)),
    "POST /api/units/{unit_id}/irradiate": Op(need(P.PROCESSING)),
    "POST /api/units/{unit_id}/label.pdf": Op(need(P.PROCESSING)),
    "POST /api/units/{unit_id}/label-verification": Op(need(P.PROCESSING)),
    "POST /api/lab/results": Op(need(P.RESULTS_WRITE)),
    "GET /api/lab/results": Op(need(P.RESULTS_READ)),
    "POST /api/lab/results/batch": Op(need(P.RESULTS_WRITE)),
    "POST /api/lab/results/csv": Op(need(P.RESULTS_WRITE)),
    "POST /api/lab/results/{result_id}/correction": Op(need(P.RESULTS_WRITE)),
    "GET /api/lab/second-entries": Op(need(P.RESULTS_WRITE)),
    "POST /api/lab/results/{result_id}/second-entry": Op(need(P.RESULTS_WRITE)),
    "GET /api/lab/results/{result_id}": Op(need(P.RESULTS_READ)),
    "GET /api/lab/donations/{donation_id}/results": Op(need(P.RESULTS_READ)),
    "GET /api/lab/tests-due": Op(need(P.RESULTS_WRITE)),
    "GET /api/lab/quarantine": Op(need(P.UNITS_READ)),
    "GET /api/lab/units/{unit_id}/release-check": Op(need(P.RELEASE)),
    "GET /api/lab/release-check": Op(need(P.RELEASE)),
    "POST /api/lab/units/{unit_id}/release": Op(need(P.RELEASE)),
    "GET /api/lab/follow-ups": Op(need(P.FOLLOW_UPS)),
    "POST /api/lab/follow-ups": Op(need(P.FOLLOW_UPS)),
    "POST /api/lab/follow-ups/{follow_up_id}/close": Op(need(P.FOLLOW_UPS)),
    "GET /api/inventory/stock": Op(need(P.UNITS_READ)),
    "GET /api/inventory/stock/grid": Op(need(P.UNITS_READ)),
    "GET /api/inventory/units": Op(need(P.UNITS_READ)),
    "GET /api/inventory/days-of-supply": Op(need(P.UNITS_READ)),
    "GET /api/inventory/expiring": Op(need(P.UNITS_READ)),
    "GET /api/inventory/where": Op(need(P.UNITS_READ)),
    "POST /api/inventory/transfers": Op(need(P.INVENTORY_WRITE)),
    "GET /api/inventory/transfers/in-transit": Op(need(P.UNITS_READ)),
    "GET /api/inventory/transfers/{transfer_id}": Op(need(P.UNITS_READ)),
    "POST /api/inventory/transfers/{transfer_id}/receive": Op(need(P.INVENTORY_WRITE)),
    "POST /api/inventory/excursions": Op(need(P.INVENTORY_WRITE)),
    "GET /api/inventory/excursions": Op(need(P.UNITS_READ)),
    "POST /api/inventory/excursions/{excursion_id}/units/{unit_id}/discard": Op(need(P.DISCARD)),
    "GET /api/inventory/holds": Op(need(P.UNITS_READ)),
    "GET /api/inventory/units/{unit_id}/holds": Op(need(P.UNITS_READ)),
    "POST /api/inventory/units/{unit_id}/review-release": Op(need(P.RELEASE)),
    "POST /api/inventory/units/{unit_id}/review-discard": Op(need(P.DISCARD)),
    "GET /api/inventory/discard-check": Op(need(P.DISCARD)),
    "POST /api/inventory/units/{unit_id}/discard": Op(need(P.DISCARD)),
    "POST /api/inventory/discards/expired": Op(need(P.DISCARD)),
    "GET /api/inventory/discards/report": Op(need(P.UNITS_READ)),
    # ---------------------------------------------------------------- hospitals and patients
    "GET /api/hospitals": listing(P.PATIENTS_READ, path="/api/hospitals"),
    "POST /api/hospitals": Op(need(P.SITES_WRITE)),
    "GET /api/hospitals/{hospital_id}": record(P.PATIENTS_READ, path="/api/hospitals/{w.hospital}"),
    "POST /api/patients": record(P.PATIENTS_WRITE, path="/api/patients", json=lambda w: {
        "hospital_id": w.hospital, "identifiers": [{"system": "mrn", "value": f"{w.code}:123456"}]}),
    "GET /api/patients": listing(P.PATIENTS_READ, path="/api/patients",
                                 params=lambda w: {"hospital_id": w.hospital}),
    "POST /api/patients/emergency": record(P.PATIENTS_WRITE, path="/api/patients/emergency",
                                           json=lambda w: {"hospital_id": w.hospital, "sex": "M"}),
    "GET /api/patients/lookup": record(P.PATIENTS_READ, path="/api/patients/lookup",
                                       params=lambda w: {"identifier": w.wristband}),
    "POST /api/patients/merge": record(P.PATIENTS_WRITE, path="/api/patients/merge", json=lambda w: {
        "survivor_id": w.patient, "duplicate_id": w.duplicate, "reason": "one person, wristband checked"}),
    "GET /api/patients/{patient_id}": record(P.PATIENTS_READ, path="/api/patients/{w.patient}"),
    "GET /api/patients/{patient_id}/record": record(P.PATIENTS_READ, path="/api/patients/{w.patient}/record"),
    "POST /api/patients/{patient_id}/identifiers": record(
        P.PATIENTS_WRITE, path="/api/patients/{w.patient}/identifiers",
        json={"system": "passport", "value": "GBR:555000111"}),
    "GET /api/patients/{patient_id}/samples": record(P.PATIENTS_READ, path="/api/patients/{w.patient}/samples"),
    "POST /api/patients/{patient_id}/samples": record(P.PATIENTS_WRITE, path="/api/patients/{w.patient}/samples",
                                                      json=lambda w: {"sample_number": f"N{w.code}",
                                                                      "taken_by": "nurse.kim"}),
    "POST /api/patients/{patient_id}/groupings": record(
        P.PATIENTS_WRITE, path="/api/patients/{w.patient}/groupings",
        json=lambda w: {"sample_id": w.sample, "blood_group": "A+"}),
    "GET /api/patients/groupings/second-entries": record(
        P.PATIENTS_WRITE, path="/api/patients/groupings/second-entries",
        params=lambda w: {"patient_id": w.typed_patient}),
    "POST /api/patients/{patient_id}/groupings/{grouping_id}/second-entry": record(
        P.PATIENTS_WRITE, path="/api/patients/{w.typed_patient}/groupings/{w.typed_grouping}/second-entry",
        json={"blood_group": "B+"}),
    "POST /api/patients/{patient_id}/groupings/{grouping_id}/in-error": record(
        P.PATIENTS_WRITE, path="/api/patients/{w.patient}/groupings/{w.grouping}/in-error",
        json={"reason": "wrong blood in tube", "confirmed_by": "checker", "confirmer_password": PASSWORD, **SIGNED}),
    "POST /api/patients/{patient_id}/antibody-screens": record(
        P.PATIENTS_WRITE, path="/api/patients/{w.patient}/antibody-screens",
        json=lambda w: {"sample_id": w.sample, "positive": False}),
    "POST /api/patients/{patient_id}/antibodies": record(
        P.PATIENTS_WRITE, path="/api/patients/{w.patient}/antibodies", json={"antibody": "anti-K"}),
    "POST /api/patients/{patient_id}/requirements": record(
        P.PATIENTS_WRITE, path="/api/patients/{w.patient}/requirements",
        json={"requirement": "cmv_negative", "reason": "pregnant"}),
    "POST /api/requirements/{requirement_id}/end": record(
        P.PATIENTS_WRITE, path="/api/requirements/{w.requirement}/end", json={"reason": "course finished"}),
    # ---------------------------------------------------------------- orders, allocation, crossmatch, issue
    "POST /api/orders": record(P.ORDERS, path="/api/orders", json=lambda w: {
        "hospital_id": w.hospital, "patient_id": w.patient, "kind": "red_cells", "quantity": 1,
        "needed_by": needed_by()}),
    "GET /api/orders": listing(P.ORDERS, path="/api/orders", params=lambda w: {"hospital_id": w.hospital}),
    "GET /api/orders/{order_id}": record(P.ORDERS, path="/api/orders/{w.open_order}"),
    "POST /api/orders/{order_id}/cancel": record(P.ORDERS, path="/api/orders/{w.open_order}/cancel",
                                                 json={"reason": "surgery postponed"}),
    "POST /api/orders/{order_id}/allocate": record(P.ORDERS, path="/api/orders/{w.open_order}/allocate"),
    "GET /api/orders/{order_id}/allocation": record(P.ORDERS, path="/api/orders/{w.open_order}/allocation"),
    "GET /api/orders/{order_id}/candidates": record(P.ORDERS, path="/api/orders/{w.open_order}/candidates"),
    "POST /api/orders/{order_id}/reservations": record(P.ORDERS, path="/api/orders/{w.open_order}/reservations",
                                                       json=lambda w: {"unit_id": w.units[0]}),
    "POST /api/reservations/{reservation_id}/release": record(
        P.ORDERS, path="/api/reservations/{w.reservation}/release", json={"reason": "no longer needed"}),
    "GET /api/orders/{order_id}/workup": record(P.ORDERS, path="/api/orders/{w.open_order}/workup"),
    "POST /api/crossmatches": record(P.ORDERS, path="/api/crossmatches", json=lambda w: {
        "patient_id": w.patient, "unit_id": w.reserved_unit, "sample_id": w.sample, "result": "compatible"}),
    "GET /api/patients/{patient_id}/crossmatches": record(P.ORDERS, path="/api/patients/{w.patient}/crossmatches"),
    "GET /api/patients/{patient_id}/electronic-issue": record(
        P.ISSUE, path="/api/patients/{w.patient}/electronic-issue"),
    "POST /api/issues": record(P.ISSUE, path="/api/issues", json=lambda w: {
        "reservation_id": w.reservation, "scanned_unit": din_scan(w.reserved_din), "scanned_patient": w.wristband}),
    "GET /api/patients/{patient_id}/emergency-units": record(
        P.EMERGENCY_RELEASE, path="/api/patients/{w.patient}/emergency-units"),
    "POST /api/issues/emergency": record(P.ISSUE, P.EMERGENCY_RELEASE, path="/api/issues/emergency",
                                         json=lambda w: {"patient_id": w.patient, "unit_id": w.emergency_unit,
                                                         "scanned_unit": "scan", "scanned_patient": w.wristband,
                                                         "reason": "major haemorrhage", **SIGNED}),
    "GET /api/issues/emergency-follow-ups": listing(P.ISSUE, path="/api/issues/emergency-follow-ups"),
    "POST /api/issues/{issue_id}/follow-up": record(P.ISSUE, path="/api/issues/{w.emergency_issue}/follow-up",
                                                    json={"note": "grouped O+, crossmatch compatible"}),
    "GET /api/issues/{issue_id}": record(P.ISSUE, path="/api/issues/{w.issue}"),
    "PATCH /api/patients/{patient_id}": record(P.PATIENTS_WRITE, path="/api/patients/{w.patient}",
                                               json={"family_name": "Corrected", "reason": "misspelt"}),
    "GET /api/patients/{patient_id}/history": record(P.PATIENTS_READ, path="/api/patients/{w.patient}/history"),
    "GET /api/issues/{issue_id}/tag.pdf": record(P.ISSUE, path="/api/issues/{w.issue}/tag.pdf"),
    "GET /api/orders/{order_id}/issues": record(P.ISSUE, path="/api/orders/{w.open_order}/issues"),
    # ---------------------------------------------------------------- at the bedside
    "GET /api/transfusion-vocabulary": Op(need(P.TRANSFUSION)),
    "POST /api/transfusions": record(P.TRANSFUSION, path="/api/transfusions", json=lambda w: {
        "issue_id": w.issue, "scanned_unit": din_scan(w.issued_din), "scanned_patient": w.wristband,
        "vitals_before": VITALS}),
    "GET /api/transfusions": record(P.TRANSFUSION, path="/api/transfusions",
                                    params=lambda w: {"patient_id": w.patient}),
    "GET /api/transfusions/{transfusion_id}": record(P.TRANSFUSION, path="/api/transfusions/{w.transfusion}"),
    "POST /api/transfusions/{transfusion_id}/vitals": record(
        P.TRANSFUSION, path="/api/transfusions/{w.transfusion}/vitals", json={"vitals": {"pulse": 80}}),
    "POST /api/transfusions/{transfusion_id}/end": record(
        P.TRANSFUSION, path="/api/transfusions/{w.transfusion}/end",
        json={"volume_given_ml": 200, "outcome": "completed", "vitals_after": VITALS}),
    "POST /api/transfusions/{transfusion_id}/reactions": record(
        P.TRANSFUSION, path="/api/transfusions/{w.transfusion}/reactions",
        json={"category": "fnhtr", "severity": "non_severe", "imputability": "possible", "description": "fever"}),
    "GET /api/issues/{issue_id}/bedside": record(P.TRANSFUSION, path="/api/issues/{w.issue}/bedside"),
    "POST /api/returns": record(P.TRANSFUSION, path="/api/returns", json=lambda w: {
        "issue_id": w.issue, "minutes_out_of_storage": 10, "kept_in_cold_chain": True}),
    # ---------------------------------------------------------------- trace and recall
    "GET /api/trace": listing(P.TRACE, path="/api/trace"),
    "GET /api/trace/search": Op(need(P.TRACE)),
    "GET /api/trace/{din}": Op(need(P.TRACE)),
    "GET /api/lookback/{donor_ref}": Op(need(P.TRACE)),
    "POST /api/recalls": Op(need(P.RECALL)),
    "GET /api/recalls": Op(need(P.TRACE)),
    "GET /api/recalls/open": listing(P.UNITS_READ, path="/api/recalls/open",
                                     params=lambda w: {"side": "ward", "hospital_id": w.hospital}),
    "POST /api/recalls/{recall_id}/units/{unit_id}/handled-in-stock": Op(need(P.INVENTORY_WRITE)),
    "POST /api/recalls/{recall_id}/units/{unit_id}/handled-on-ward": record(
        P.TRANSFUSION, path="/api/recalls/{w.recall}/units/{w.issued_unit}/handled-on-ward",
        json={"note": "bag returned to the blood bank"}),
    "GET /api/recalls/{recall_id}": Op(need(P.TRACE)),
    # ---------------------------------------------------------------- mass-casualty incidents (counts, not patients)
    "POST /api/incidents": Op(need(P.INCIDENTS)),
    "GET /api/incidents": Op(need(P.CASUALTY_COUNTS)),
    "GET /api/incidents/{incident_id}": Op(need(P.INCIDENTS)),
    "POST /api/incidents/{incident_id}/casualties": Op(need(P.CASUALTY_COUNTS)),
    "GET /api/incidents/{incident_id}/casualties/mine": Op(need(P.CASUALTY_COUNTS)),
    "POST /api/incidents/{incident_id}/close": Op(need(P.INCIDENTS)),
    "GET /api/incidents/{incident_id}/shortfall": Op(need(P.INCIDENTS)),
    # ---------------------------------------------------------------- reports (counts by hospital, no patient)
    "GET /api/reports/monthly": Op(need(P.REPORTS)),
    "GET /api/public/stock": Op(PUBLIC),
    "GET /api/donors/{donor_id}/data-copy": Op(need(P.DATA_COPY)),
    # ---------------------------------------------------------------- the donor's own (a donor session, never staff)
    "POST /api/my/sign-in": Op(PUBLIC),
    "POST /api/my/sign-in/code": Op(PUBLIC),
    "POST /api/my/sign-in/link": Op(PUBLIC),
    "POST /api/my/sign-out": DONOR,
    "GET /api/my": DONOR,
    "GET /api/my/card.pdf": DONOR,
    "GET /api/my/slots": DONOR,
    "POST /api/my/appointments": DONOR,
    "POST /api/my/appointments/{appointment_id}/move": DONOR,
    "POST /api/my/appointments/{appointment_id}/cancel": DONOR,
    "GET /api/my/quiz": DONOR,
    "POST /api/my/quiz": DONOR,
    "GET /api/my/preferences": DONOR,
    "PUT /api/my/preferences": DONOR,
    "POST /api/my/private-answer": DONOR,
    "GET /api/my/data": DONOR,
    "GET /api/my/data.pdf": DONOR,
    "GET /api/my/erasure": DONOR,
    "POST /api/my/erasure": DONOR,
    "POST /api/my/questionnaire": DONOR,
    "GET /api/visits/{visit_id}/home-answers": Op(need(P.VISITS)),
    "GET /api/erasure-requests": Op(need(P.ERASURE)),
    "POST /api/erasure-requests/{donor_id}/decline": Op(need(P.ERASURE)),
    "GET /api/available-donors": Op(need(P.DONORS_READ)),
    "GET /api/donors/{donor_id}/data-copy.pdf": Op(need(P.DATA_COPY)),
    # ---------------------------------------------------------------- the walking blood bank (donors, not patients)
    # ---------------------------------------------------------------- massive transfusion, identity packs
    "GET /api/mtp/protocols": Op(need(P.MASSIVE_TRANSFUSION)),
    "GET /api/hospitals/{hospital_id}/mtp-ratio": record(P.MASSIVE_TRANSFUSION,
                                                         path="/api/hospitals/{w.hospital}/mtp-ratio"),
    "PUT /api/hospitals/{hospital_id}/mtp-ratio": record(P.MTP_RATIO, path="/api/hospitals/{w.hospital}/mtp-ratio",
                                                         json={"ratio": "4:4:1", "reason": "matrix"}),
    "POST /api/mtp": record(P.MASSIVE_TRANSFUSION, path="/api/mtp",
                            json=lambda w: {"patient_id": w.patient, "reason": "matrix"}),
    "GET /api/mtp": listing(P.MASSIVE_TRANSFUSION, path="/api/mtp"),
    "GET /api/mtp/{mtp_id}": Op(need(P.MASSIVE_TRANSFUSION)),
    "POST /api/mtp/{mtp_id}/rounds": Op(need(P.MASSIVE_TRANSFUSION)),
    "POST /api/mtp/rounds/{round_id}/issue": Op(need(P.MASSIVE_TRANSFUSION)),
    "POST /api/mtp/rounds/{round_id}/return": Op(need(P.MASSIVE_TRANSFUSION)),
    "POST /api/mtp/{mtp_id}/end": Op(need(P.MASSIVE_TRANSFUSION)),
    "POST /api/identity-packs": record(P.PATIENTS_WRITE, path="/api/identity-packs",
                                      json=lambda w: {"hospital_id": w.hospital, "count": 1, "place": "bay"}),
    "GET /api/identity-packs": listing(P.PATIENTS_READ, path="/api/identity-packs"),
    "POST /api/identity-packs/{pack_id}/pack.pdf": Op(need(P.PATIENTS_WRITE)),
    "POST /api/identity-packs/scan": Op(need(P.PATIENTS_WRITE)),
    "POST /api/field/titres": Op(need(P.PANEL)),
    "GET /api/field/sites/{site_id}/panel": Op(need(P.PANEL)),
    "POST /api/field/sites/{site_id}/panel": Op(need(P.PANEL)),
    "PUT /api/field/sites/{site_id}/policy": Op(need(P.PANEL_ACTIVATE)),
    "POST /api/field/panel/{member_id}/withdraw": Op(need(P.PANEL)),
    "PUT /api/field/panel/{member_id}/availability": Op(need(P.PANEL)),
    "GET /api/field/cut-offs": Op(need(P.PANEL)),
    "POST /api/field/sites/{site_id}/cut-offs": Op(need(P.PANEL_ACTIVATE)),
    "POST /api/field/cut-offs/{cut_off_id}/end": Op(need(P.PANEL_ACTIVATE)),
    "POST /api/field/sites/{site_id}/activations": Op(need(P.PANEL_ACTIVATE)),
    "GET /api/field/activations/{activation_id}": Op(need(P.PANEL)),
    "GET /api/field/activations/{activation_id}/coming": Op(need(P.EMERGENCY_COLLECTION)),
    "POST /api/field/activations/{activation_id}/answers": Op(need(P.PANEL)),
    "POST /api/field/activations/{activation_id}/collections": Op(need(P.EMERGENCY_COLLECTION)),
    "GET /api/field/units": Op(need(P.EMERGENCY_COLLECTION)),
    "POST /api/field/units/{unit_id}/refrigerate": Op(need(P.EMERGENCY_COLLECTION)),
    "POST /api/field/units/{unit_id}/label.pdf": Op(need(P.EMERGENCY_COLLECTION)),
    "GET /api/field/pending-results": Op(need(P.RESULTS_READ)),
    "GET /api/field/recipient-follow-ups": listing(P.TRACE, path="/api/field/recipient-follow-ups"),
    "POST /api/field/recipient-follow-ups/{follow_up_id}/close": Op(need(P.TRACE)),
    # The patient is a hospital's record: another hospital's answers as a missing one.
    "POST /api/field/units/{unit_id}/issue": record(
        P.ISSUE_NOT_FULLY_TESTED, path="/api/field/units/{w.emergency_unit}/issue",
        json=lambda w: {"patient_id": w.patient, "scanned_unit": din_scan(w.emergency_din),
                        "scanned_patient": w.wristband, "reason": "no tested blood left", **SIGNED}),
    "GET /api/incidents/{incident_id}/appeal": Op(need(P.INCIDENTS)),
    "POST /api/incidents/{incident_id}/appeal": Op(need(P.INCIDENTS)),
    "POST /api/incidents/{incident_id}/appeal/pause": Op(need(P.INCIDENTS)),
    "POST /api/incidents/{incident_id}/appeal/resume": Op(need(P.INCIDENTS)),
    "POST /api/incidents/{incident_id}/appeal/top-up": Op(need(P.INCIDENTS)),
    "GET /api/incidents/{incident_id}/appeal/dashboard": Op(need(P.INCIDENTS)),
    "GET /api/incidents/{incident_id}/report": Op(need(P.INCIDENTS)),
    "GET /api/incidents/{incident_id}/report/{section}.csv": Op(need(P.INCIDENTS)),
    "GET /api/outbox": Op(need(P.INCIDENTS)),
    # The donor's side: the signed link is the key, and the gateway's shared secret (checked after the body).
    "GET /api/appeal-links/{token}": Op(PUBLIC),
    "POST /api/appeal-links/{token}/accept": Op(PUBLIC),
    "POST /api/appeal-links/{token}/decline": Op(PUBLIC),
    "POST /api/appeal-links/{token}/stop": Op(PUBLIC),
    "POST /api/sms/inbound": Op(PUBLIC),
}

# Who asks: each role of the blood service, and hospital staff of hospital A and of no hospital.
CALLERS = {
    "clerk": ("clerk", None), "phlebotomist": ("phlebotomist", None), "lab": ("lab_technician", None),
    "inventory": ("inventory_manager", None), "director": ("medical_director", None),
    "admin": ("administrator", None), "staff_a": ("hospital_staff", "A"), "staff_none": ("hospital_staff", "none"),
}


def test_the_matrix_classifies_every_operation_of_the_api():
    spec = create_app("sqlite://").openapi()
    operations = {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item}
    assert operations - OPERATIONS.keys() == set(), "classify the new operations in OPERATIONS"
    assert OPERATIONS.keys() - operations == set(), "these operations are gone from the API"


@dataclass
class Outcome:
    caller: str
    operation: str
    side: str
    status: int
    body: object
    text: str


def _send(client, method: str, request: dict):
    return client.request(method, request["path"], params=request.get("params"),
                          json=request.get("json") if method != "GET" else None)


def _generic(operation: str) -> dict:
    """A request to an operation that touches no hospital's record: ids that exist nowhere, a body to validate."""
    method, path = operation.split(" ", 1)
    return {"path": re.sub(r"\{[^}]+\}", str(MISSING), path), "params": None,
            "json": {} if method in ("POST", "PUT", "PATCH") else None}


def _missing_ward(ward: Ward) -> Ward:
    """The same records, every id one that does not exist: what a truly missing record answers."""
    ids = {name: MISSING + n for n, (name, value) in enumerate(vars(ward).items()) if isinstance(value, int)}
    return replace(ward, **ids, units=(MISSING,), wristband=f"mrn:{ward.code}:999999")


def _numbers_blanked(body) -> object:
    return re.sub(r"\d+", "#", str(body))


def _leaks(outcome: Outcome, hidden: list[Ward]) -> list[str]:
    """What of the hospitals hidden from the caller the answer holds: their names, or their records' ids."""
    found = [name for ward in hidden for name in ward.names if name in outcome.text]
    ids = {("hospital_id", w.hospital) for w in hidden} | {("patient_id", p) for w in hidden for p in w.patients} \
        | {("transfusion_id", w.transfusion) for w in hidden} | {("recall_id", w.recall) for w in hidden} \
        | {("issue_id", i) for w in hidden for i in (w.issue, w.emergency_issue)} \
        | {("order_id", w.open_order) for w in hidden}

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, int) and (key, item) in ids:
                    found.append(f"{key}={item}")
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(outcome.body)
    return found


@pytest.fixture
def world(database):
    a, b = two_hospitals(database)
    make_user(database, "hospital_staff", "checker", hospitals=(a.hospital, b.hospital))  # confirms an error
    clients = {}
    for name, (role, hospital) in CALLERS.items():
        hospitals = (a.hospital,) if hospital == "A" else ()
        clients[name] = api(database, role, f"matrix.{name}", hospitals=hospitals)
    return a, b, clients


def _may(role_name: str, needs: frozenset | None) -> bool:
    from bloodbank.domain.access import may
    return needs is None or all(may(role_name, p) for p in needs)


def test_each_role_reaches_each_operation_only_as_its_permissions_and_hospitals_allow(world):
    a, b, clients = world
    wrong: list[str] = []

    def expect(outcome: Outcome, expected: str, hidden: list[Ward], missing: object = None) -> None:
        status = outcome.status
        if expected == "denied" and status != 403:
            wrong.append(f"{outcome.caller} {outcome.operation} [{outcome.side}]: {status}, not 403")
        elif expected == "hidden" and (status != 404 or _numbers_blanked(outcome.body) != _numbers_blanked(missing)):
            wrong.append(f"{outcome.caller} {outcome.operation} [{outcome.side}]: {status} {outcome.text[:200]}, "
                         f"not 404 as a missing record ({missing})")
        elif expected == "allowed" and (status in (401, 403, 404) or status >= 500):
            wrong.append(f"{outcome.caller} {outcome.operation} [{outcome.side}]: {status} {outcome.text[:200]}")
        elif expected == "permitted" and (status in (401, 403) or status >= 500):
            wrong.append(f"{outcome.caller} {outcome.operation} [{outcome.side}]: {status} {outcome.text[:200]}")
        leaked = _leaks(outcome, hidden)
        if leaked:
            wrong.append(f"{outcome.caller} {outcome.operation} [{outcome.side}]: shows {leaked}")

    def ask(caller: str, operation: str, side: str, request: dict) -> Outcome:
        method = operation.split(" ", 1)[0]
        answer = _send(clients[caller], method, request)
        try:
            body = answer.json()
        except ValueError:
            body = None
        return Outcome(caller, operation, side, answer.status_code, body, answer.text)

    for operation, op in OPERATIONS.items():
        for caller, (role, hospital) in CALLERS.items():
            hidden = [b] if hospital == "A" else [a, b] if hospital == "none" else []
            if op.kind == "donor":
                outcome = ask(caller, operation, "-", _generic(operation))
                if outcome.status != 401:
                    wrong.append(f"{caller} {operation}: {outcome.status}, not 401 (a donor's own operation)")
                continue
            permitted = _may(role, op.needs)
            if op.kind == "none":
                outcome = ask(caller, operation, "-", _generic(operation))
                expect(outcome, "permitted" if permitted else "denied", hidden)
                continue
            for side, ward in (("A", a), ("B", b)):
                outcome = ask(caller, operation, side, op.request(ward))
                if not permitted:
                    expect(outcome, "denied", hidden)
                elif op.kind == "record" and ward in hidden:
                    missing = ask(caller, operation, "missing", op.request(_missing_ward(ward)))
                    expect(outcome, "hidden", hidden, missing.body)
                else:
                    expect(outcome, "allowed", hidden)
    assert wrong == [], "\n".join(wrong)


def test_a_donor_session_reaches_no_staff_operation(database):
    """Every operation that is neither public nor the donor's own answers a signed-in donor 401."""
    donor = make_home_donor(database)
    client = home_browser(database)
    with database.sessions() as s:
        number, phone = s.get(Donor, donor).donor_number, s.get(Donor, donor).phone
    challenge = client.post("/api/my/sign-in", json={"donor_number": number, "date_of_birth": BORN.isoformat(),
                                                     "channel": "sms", "contact": phone}).json()["challenge"]
    with database.sessions() as s, s.begin():  # the code the gateway would have carried
        s.execute(update(DonorSignIn).values(secret_hash=token_digest("424242")))
    signed = client.post("/api/my/sign-in/code", json={"challenge": challenge, "code": "424242"})
    client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
    assert client.get("/api/my").status_code == 200
    wrong = []
    for operation, op in OPERATIONS.items():
        if op.needs is PUBLIC and op.kind != "donor" or operation == "POST /api/my/sign-out":
            continue
        answer = _send(client, operation.split(" ", 1)[0], _generic(operation))
        if (answer.status_code != 401) != (op.kind == "donor"):
            wrong.append(f"{operation}: {answer.status_code}")
    assert wrong == [], "\n".join(wrong)
    assert client.post("/api/my/sign-out").status_code == 204
