"""The lab over the REST API: results, corrections, the quarantine board, signed release, follow-ups."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bloodbank.adapters.db.models import AuditEntry, Donation, Signature, TestResult as ResultRow, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.access import signature_meaning
from bloodbank.domain.isbt128 import encode_product_code
from bloodbank.service_layer.blood.testing import record_result
from bloodbank.service_layer.blood.units import din_of
from tests.integration.lab_fixtures import (
    counts, follow_ups, get, lab, make_donation, make_donor, make_site, make_unit, pass_all_tests,
    status_of,
)
from tests.integration.web_fixtures import PASSWORD, api


def unit_with_results(database, *, skip=(), group="A+", **unit_kw):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group=group, **unit_kw)
    pass_all_tests(database, donation, group=group, skip=skip)
    return donation, unit


def din(database, donation_id: int) -> str:
    return get(database, Donation, donation_id).din


def scans(database, unit_id: int) -> dict:
    row = get(database, Unit, unit_id)
    return {"scanned_din": din_of(row.din).barcode,
            "scanned_product_code": encode_product_code(row.product_code, "V", row.division)}


def signatures_of(database, unit_id: int) -> list[Signature]:
    with database.sessions() as s:
        return list(s.execute(select(Signature).where(Signature.entity == "unit",
                                                      Signature.entity_id == str(unit_id))).scalars())


def audit_actions(database) -> list[str]:
    with database.sessions() as s:
        return list(s.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


# ---------------------------------------------------------------- release


def test_release_before_every_test_is_final_and_negative_is_refused_with_every_blocker_and_nothing_changed(database):
    donation, unit = unit_with_results(database, skip=("hiv", "hcv"))
    record_result(lab(database), donation_id=donation, test="hcv", outcome="negative", final=False)
    client = api(database, "lab_technician")
    before = counts(database)
    answer = client.post(f"/api/lab/units/{unit}/release", json={"signature_password": PASSWORD})
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "invalid_transition"
    assert "cannot be released" in body["message"]
    assert any("HIV test has no final result" in r for r in body["reasons"])
    assert any("HCV result is only preliminary" in r for r in body["reasons"])
    assert len(body["reasons"]) == 2
    assert counts(database) == before
    assert status_of(database, unit) == "quarantined"
    assert signatures_of(database, unit) == []


def test_every_blocker_is_listed_at_once_label_expiry_and_a_disagreeing_grouping_included(database):
    site = make_site(database)
    donor = make_donor(database, blood_group="O-")
    donation = make_donation(database, site_id=site, donor_id=donor)
    unit = make_unit(database, donation_id=donation, site_id=site, blood_group="A+", label_verified=False,
                     expires_in=timedelta(hours=-1))
    pass_all_tests(database, donation, group="A+")
    client = api(database, "lab_technician")
    check = client.get(f"/api/lab/units/{unit}/release-check").json()
    codes = {b["code"] for b in check["blockers"]}
    assert {"expired", "label_not_verified", "grouping_discrepancy", "donor_group_discrepancy"} <= codes
    assert check["may_release"] is False
    answer = client.post(f"/api/lab/units/{unit}/release", json={"signature_password": PASSWORD})
    assert answer.status_code == 409
    reasons = " | ".join(answer.json()["reasons"])
    for words in ("expired at", "label has not been verified", "donor's history says O-", "flagged for a blood group"):
        assert words in reasons
    assert status_of(database, unit) == "quarantined"


def test_a_wrong_signature_password_refuses_release_and_the_unit_stays_in_quarantine(database):
    _, unit = unit_with_results(database)
    client = api(database, "lab_technician")
    answer = client.post(f"/api/lab/units/{unit}/release", json={"signature_password": "not my password"})
    assert answer.status_code == 403
    assert answer.json()["code"] == "signature_refused"
    assert status_of(database, unit) == "quarantined"
    assert signatures_of(database, unit) == []
    assert "signature_refused" in audit_actions(database)


def test_release_with_the_right_password_releases_the_unit_and_records_name_time_and_meaning(database):
    _, unit = unit_with_results(database)
    client = api(database, "lab_technician", "lab.lee")
    started = utcnow()
    answer = client.post(f"/api/lab/units/{unit}/release", json={"signature_password": PASSWORD, **scans(database, unit)})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["unit"]["status"] == "available" and body["unit"]["released_by"] == "lab.lee"
    assert status_of(database, unit) == "available"
    row = get(database, Unit, unit)
    subject = f"{din_of(row.din).eye_readable} {row.product_code}"
    [signature] = signatures_of(database, unit)
    assert signature.signer_name == "Test lab_technician"
    assert signature.action == "release"
    assert signature.meaning == signature_meaning("release", subject)
    assert started - timedelta(seconds=1) <= signature.signed_at <= utcnow()
    assert body["signature"]["meaning"] == signature.meaning
    assert body["signature"]["signer_name"] == "Test lab_technician"


def test_a_scan_back_of_another_bag_refuses_release_and_changes_nothing(database):
    _, unit = unit_with_results(database)
    _, other = unit_with_results(database)
    client = api(database, "lab_technician")
    before = counts(database)
    answer = client.post(f"/api/lab/units/{unit}/release", json={"signature_password": PASSWORD,
                                                                  **scans(database, other)})
    assert answer.status_code == 409
    assert "is not unit" in answer.json()["message"]
    assert counts(database) == before


def test_the_bag_scanned_finds_its_unit_and_its_blockers(database):
    _, unit = unit_with_results(database, skip=("syphilis",))
    s = scans(database, unit)
    client = api(database, "lab_technician")
    answer = client.get("/api/lab/release-check", params={"din": s["scanned_din"],
                                                          "product_code": s["scanned_product_code"]})
    assert answer.status_code == 200
    assert answer.json()["unit_id"] == unit
    assert [b["code"] for b in answer.json()["blockers"]] == ["missing_result"]
    unknown = client.get("/api/lab/release-check", params={"din": "G123426999999", "product_code": "E0398V00"})
    assert unknown.status_code in (404, 422)


# ---------------------------------------------------------------- results


def test_a_result_is_recorded_by_donation_id_or_by_din_but_not_both(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    client = api(database, "lab_technician")
    by_id = client.post("/api/lab/results", json={"donation_id": donation, "test": "hiv", "outcome": "negative"})
    assert by_id.status_code == 201 and by_id.json()["test_name"] == "HIV"
    scanned = "=" + din(database, donation) + "00"
    by_din = client.post("/api/lab/results", json={"din": scanned, "test": "abo_rh", "outcome": "typed",
                                                    "value": "O neg"})
    assert by_din.status_code == 201 and by_din.json()["value"] == "O-"
    both = client.post("/api/lab/results", json={"donation_id": donation, "din": scanned, "test": "hcv",
                                                  "outcome": "negative"})
    assert both.status_code == 422 and both.json()["code"] == "invalid_input"
    again = client.post("/api/lab/results", json={"donation_id": donation, "test": "hiv", "outcome": "negative"})
    assert again.status_code == 409 and "correct that result" in again.json()["message"]


def test_a_reactive_marker_discards_the_units_and_the_answer_says_so(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    red, plasma = (make_unit(database, donation_id=donation, site_id=site, kind=k) for k in ("red_cells", "plasma"))
    client = api(database, "lab_technician")
    answer = client.post("/api/lab/results", json={"din": din(database, donation), "test": "hbv",
                                                    "outcome": "reactive"})
    assert answer.status_code == 201
    assert "2 unit(s) discarded" in answer.json()["consequences"]
    assert "donor follow-up opened" in answer.json()["consequences"]
    assert status_of(database, red) == status_of(database, plasma) == "discarded"
    assert [f.reason for f in follow_ups(database)] == ["reactive_marker"]
    refused = client.post(f"/api/lab/units/{red}/release", json={"signature_password": PASSWORD})
    assert refused.status_code == 409
    assert any("infection marker is not negative" in r for r in refused.json()["reasons"])


def test_a_batch_keeps_every_good_row_and_reports_each_refused_one(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    d = din(database, donation)
    client = api(database, "lab_technician")
    answer = client.post("/api/lab/results/batch", json={"rows": [
        {"din": d, "test": "hiv", "outcome": "negative"},
        {"din": d, "test": "hiv2", "outcome": "negative"},
        {"din": d, "test": "hcv", "outcome": "negitive"},
        {"din": d, "test": "abo_rh", "outcome": "A+"},
    ]})
    assert answer.status_code == 200
    body = answer.json()
    assert [a["line"] for a in body["accepted"]] == [1, 4]
    assert [(r["line"], r["test"]) for r in body["refused"]] == [(2, "hiv2"), (3, "hcv")]
    assert "Unknown test" in body["refused"][0]["message"]
    assert "not a HCV outcome" in body["refused"][1]["message"]
    with database.sessions() as s:
        assert sorted(s.execute(select(ResultRow.test)).scalars()) == ["abo_rh", "hiv"]


def test_a_csv_file_with_a_bad_row_keeps_the_good_rows_and_names_the_bad_line(database):
    site = make_site(database)
    first, second = make_donation(database, site_id=site), make_donation(database, site_id=site)
    text = "\n".join([
        "din,test,outcome,value,final",
        f"{din(database, first)},hiv,negative",
        f"{din(database, first)},hbv",  # malformed: no outcome
        f"{din(database, second)},abo_rh,typed,B+",
        "G123426999999,hiv,negative",  # no such donation
        f"{din(database, second)},hcv,negative,,no",
    ])
    client = api(database, "lab_technician")
    answer = client.post("/api/lab/results/csv", files={"file": ("results.csv", text.encode(), "text/csv")})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [a["line"] for a in body["accepted"]] == [2, 4, 6]
    assert body["accepted"][2]["result"]["final"] is False
    assert [r["line"] for r in body["refused"]] == [3, 5]
    assert "expected din,test,outcome" in body["refused"][0]["message"]
    with database.sessions() as s:
        assert s.execute(select(ResultRow.id)).all().__len__() == 3


def test_a_file_that_is_not_text_is_refused_with_a_clear_message(database):
    client = api(database, "lab_technician")
    answer = client.post("/api/lab/results/csv", files={"file": ("x.csv", b"\xff\xfe\x00bad", "text/csv")})
    assert answer.status_code == 422 and "not UTF-8" in answer.json()["message"]


def test_a_correction_keeps_the_old_value_and_needs_a_reason(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    client = api(database, "lab_technician")
    first = client.post("/api/lab/results", json={"donation_id": donation, "test": "abo_rh", "outcome": "typed",
                                                   "value": "A+"}).json()
    no_reason = client.post(f"/api/lab/results/{first['id']}/correction", json={"outcome": "typed", "value": "B+",
                                                                                 "reason": ""})
    assert no_reason.status_code == 422
    fixed = client.post(f"/api/lab/results/{first['id']}/correction",
                        json={"outcome": "typed", "value": "A-", "reason": "RhD control failed, retyped"})
    assert fixed.status_code == 201 and fixed.json()["value"] == "A-"
    history = client.get(f"/api/lab/donations/{donation}/results").json()
    assert [(r["value"], r["current"]) for r in history] == [("A+", False), ("A-", True)]
    assert history[0]["superseded_by_id"] == fixed.json()["id"]
    assert history[1]["correction_reason"] == "RhD control failed, retyped"


def test_reading_results_is_a_logged_sensitive_read(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    pass_all_tests(database, donation)
    client = api(database, "lab_technician", "lab.kim")
    answer = client.get("/api/lab/results", params={"din": din(database, donation)})
    assert answer.status_code == 200 and len(answer.json()) == 5
    with database.sessions() as s:
        read = s.execute(select(AuditEntry).where(AuditEntry.action == "read",
                                                  AuditEntry.entity == "test_result")).scalars().all()
    assert [e.actor for e in read] == ["lab.kim"]
    assert api(database, "inventory_manager").get(f"/api/lab/donations/{donation}/results").status_code == 403


def test_the_tests_due_name_grouping_antibody_screen_and_the_sites_panel(database):
    site = make_site(database, panel=["hiv", "hbv", "hcv", "syphilis", "htlv"])
    donation = make_donation(database, site_id=site)
    make_unit(database, donation_id=donation, site_id=site)
    record_result(lab(database), donation_id=donation, test="hiv", outcome="negative")
    answer = api(database, "lab_technician").get("/api/lab/tests-due", params={"din": din(database, donation)})
    body = answer.json()
    assert [t["test"] for t in body["tests"]] == ["abo_rh", "antibody_screen", "hiv", "hbv", "hcv", "syphilis", "htlv"]
    assert body["missing"] == ["abo_rh", "hbv", "hcv", "syphilis", "htlv"]
    assert [t["required_for_release"] for t in body["tests"]][:2] == [True, False]


def test_the_quarantine_board_says_what_each_unit_still_lacks(database):
    _, waiting = unit_with_results(database, skip=("hiv", "abo_rh"))
    _, ready = unit_with_results(database)
    client = api(database, "lab_technician")
    board = client.get("/api/lab/quarantine").json()
    by_unit = {item["unit_id"]: item for item in board["items"]}
    assert by_unit[waiting]["state"] == "awaiting results"
    assert by_unit[waiting]["missing_tests"] == ["ABO/RhD grouping", "HIV"]
    assert by_unit[ready]["state"] == "ready for release"
    only_ready = client.get("/api/lab/quarantine", params={"state": "ready for release"}).json()
    assert [i["unit_id"] for i in only_ready["items"]] == [ready] and only_ready["total"] == 1


def test_a_follow_up_opened_by_a_finding_is_listed_and_closed_with_its_outcome(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    record_result(lab(database), donation_id=donation, test="syphilis", outcome="reactive")
    client = api(database, "lab_technician")
    listed = client.get("/api/lab/follow-ups").json()
    assert listed["total"] == 1 and listed["items"][0]["reason"] == "reactive_marker"
    follow_up_id = listed["items"][0]["id"]
    assert client.post(f"/api/lab/follow-ups/{follow_up_id}/close", json={"outcome": ""}).status_code == 422
    closed = client.post(f"/api/lab/follow-ups/{follow_up_id}/close",
                         json={"outcome": "Donor seen, referred to GP"})
    assert closed.status_code == 200 and closed.json()["closed_by"]
    assert client.get("/api/lab/follow-ups").json()["total"] == 0
    assert api(database, "inventory_manager").get("/api/lab/follow-ups").status_code == 403


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("method, path", [
    ("post", "/api/lab/results"),
    ("post", "/api/lab/results/batch"),
    ("get", "/api/lab/results?din=G123426000001"),
    ("get", "/api/lab/donations/1/results"),
    ("get", "/api/lab/quarantine"),
    ("get", "/api/lab/units/1/release-check"),
    ("post", "/api/lab/units/1/release"),
    ("get", "/api/lab/follow-ups"),
])
def test_a_clerks_token_cannot_reach_a_lab_or_release_endpoint(database, method, path):
    client = api(database, "clerk")
    body = {"json": {"signature_password": PASSWORD}} if method == "post" else {}
    answer = getattr(client, method)(path, **body)
    assert answer.status_code == 403
    assert answer.json()["code"] == "forbidden"
    assert "access_denied" in audit_actions(database)


def test_a_clerks_token_cannot_release_a_unit_ready_for_release(database):
    _, unit = unit_with_results(database)
    answer = api(database, "clerk").post(f"/api/lab/units/{unit}/release", json={"signature_password": PASSWORD})
    assert answer.status_code == 403
    assert status_of(database, unit) == "quarantined"


def test_nonsense_is_refused_by_validation_not_a_crash(database):
    client = api(database, "lab_technician")
    assert client.post("/api/lab/results", json={"donation_id": 2**63, "test": "hiv",
                                                  "outcome": "negative"}).status_code == 422
    assert client.post("/api/lab/results", json={"din": "x", "test": "hiv", "outcome": "negative",
                                                  "surprise": 1}).status_code == 422
    assert client.post("/api/lab/results", json={"din": "not a din", "test": "hiv",
                                                  "outcome": "negative"}).status_code == 422
    assert client.get("/api/lab/units/99999999999/release-check").status_code == 422
    assert client.post("/api/lab/results/batch", json={"rows": []}).status_code == 422
