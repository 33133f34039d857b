"""Trace, lookback and recall through the REST API, on the pooled and split chain of trace_fixtures."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select

from bloodbank.adapters.db.models import AuditEntry, Signature
from tests.integration.trace_fixtures import build_chain, counts, unit_status
from tests.integration.web_fixtures import PASSWORD, api


def _walk(units):
    for unit in units:
        yield unit
        yield from _walk(unit["children"])


def _units(trace: dict) -> list[dict]:
    return [u for d in trace["donations"] for u in _walk(d["units"])] + list(_walk(trace["other_units"]))


def test_the_trace_of_a_donation_shows_every_component_the_aliquots_the_pool_and_each_recipient(database):
    chain = build_chain(database)
    client = api(database, "lab_technician", "lab")

    answer = client.get(f"/api/trace/{quote(chain.dins['A'].eye_readable)}")

    assert answer.status_code == 200, answer.text
    trace = answer.json()
    [donation] = trace["donations"]
    assert donation["donor"]["donor_number"] == chain.donor_numbers["A"]
    [whole_blood] = donation["units"]
    assert whole_blood["unit_id"] == chain.units["WB_A"] and whole_blood["fate"] == "processed"
    children = {c["unit_id"]: c for c in whole_blood["children"]}
    assert set(children) == {chain.units["RC_A"], chain.units["PL_A"], chain.units["POOL"]}
    aliquots = children[chain.units["RC_A"]]["children"]
    assert [(a["division"], a["status"]) for a in aliquots] == [("Aa", "transfused"), ("Ab", "transfused")]
    # The lab reads no patient: each recipient is their record, without the identifiers on the wristband.
    assert [(a["recipients"][0]["patient_id"], a["recipients"][0]["identifiers"]) for a in aliquots] == [
        (chain.patients["P1"], []), (chain.patients["P2"], [])]
    pool = children[chain.units["POOL"]]
    assert {s["din"] for s in pool["sources"]} == {str(chain.dins[k]) for k in "ABCD"}
    assert pool["recipients"][0]["patient_id"] == chain.patients["P3"]
    assert pool["recipients"][0]["outcome"] == "completed"
    plasma = children[chain.units["PL_A"]]
    assert sorted((t["test"], t["outcome"]) for t in plasma["tests"]) == [("hbv", "negative"), ("hiv", "negative")]
    assert [e["event"] for e in plasma["events"]] == ["created"] and plasma["fate"] == "available"


def test_the_trace_of_a_pool_scanned_from_its_label_goes_up_to_every_donor(database):
    chain = build_chain(database)
    client = api(database, "inventory_manager", "stock")

    answer = client.get(f"/api/trace/{quote(chain.dins['POOL'].barcode)}")

    assert answer.status_code == 200, answer.text
    trace = answer.json()
    assert {d["donor"]["donor_number"] for d in trace["donations"]} == {chain.donor_numbers[k] for k in "ABCD"}
    pools = [u for u in _units(trace) if u["unit_id"] == chain.units["POOL"]]
    [full] = [p for p in pools if not p["shown_above"]]
    assert (full["recipients"][0]["patient_id"], full["recipients"][0]["identifiers"]) == (chain.patients["P3"], [])
    assert chain.units["RC_B"] not in {u["unit_id"] for u in _units(trace)}
    # An inventory manager traces to recall, and reads no test result.
    assert all(u["tests"] == [] for u in _units(trace))
    lab = api(database, "lab_technician", "lab").get(f"/api/trace/{quote(chain.dins['POOL'].barcode)}").json()
    assert any(u["tests"] for u in _units(lab))


def test_a_trace_is_logged_as_a_read_of_each_donor_and_recipient_in_the_callers_name(database):
    chain = build_chain(database)
    client = api(database, "lab_technician", "lab")

    client.get(f"/api/trace/{chain.dins['A']}")

    with database.sessions() as session:
        reads = session.execute(select(AuditEntry.actor, AuditEntry.entity, AuditEntry.entity_id)
                                .where(AuditEntry.action == "read")).all()
    assert ("lab", "donor", str(chain.donors["A"])) in reads
    assert {("lab", "patient", str(chain.patients[p])) for p in ("P1", "P2", "P3")} <= set(reads)


def test_an_unknown_or_misread_din_is_a_clear_json_error(database):
    build_chain(database)
    client = api(database, "lab_technician", "lab")

    unknown = client.get("/api/trace/G1234%2099%20999999")
    misread = client.get("/api/trace/G12349865432")

    assert unknown.status_code == 404 and unknown.json()["message"].startswith("No donation and no unit has DIN")
    assert misread.status_code == 422 and misread.json()["code"] == "invalid_din"


def test_a_lookback_names_every_recipient_of_the_donor_through_aliquots_and_the_pool(database):
    chain = build_chain(database)
    client = api(database, "lab_technician", "lab")

    answer = client.get(f"/api/lookback/{chain.donor_numbers['A']}")

    assert answer.status_code == 200, answer.text
    lookback = answer.json()
    [donation] = lookback["donations"]
    got = {(r["unit_id"], r["pooled"], r["recipient"]["patient_id"]) for r in donation["recipients"]}
    assert got == {(chain.units["RC_A1"], False, chain.patients["P1"]),
                   (chain.units["RC_A2"], False, chain.patients["P2"]),
                   (chain.units["POOL"], True, chain.patients["P3"])}
    by_id = client.get(f"/api/lookback/{chain.donors['A']}").json()
    assert by_id["donations"] == lookback["donations"]
    other = client.get(f"/api/lookback/{chain.donor_numbers['B']}").json()
    assert [(r["unit_id"], r["pooled"]) for r in other["donations"][0]["recipients"]] == [(chain.units["POOL"], True)]


def test_the_search_box_traces_a_din_and_looks_back_from_a_donor_number(database):
    chain = build_chain(database)
    client = api(database, "lab_technician", "lab")

    by_din = client.get("/api/trace/search", params={"q": chain.dins["A"].barcode}).json()
    by_donor = client.get("/api/trace/search", params={"q": chain.donor_numbers["B"].lower()}).json()
    nonsense = client.get("/api/trace/search", params={"q": "hello"})

    assert by_din["kind"] == "din" and by_din["trace"]["din"] == str(chain.dins["A"]) and by_din["lookback"] is None
    assert by_donor["kind"] == "donor" and by_donor["lookback"]["donor"]["donor_number"] == chain.donor_numbers["B"]
    assert nonsense.status_code == 422 and "donor number looks like" in nonsense.json()["message"]


def test_recently_issued_units_are_listed_without_their_patients(database):
    chain = build_chain(database)

    answer = api(database, "lab_technician", "lab").get("/api/trace", params={"limit": 2})

    assert answer.status_code == 200
    assert len(answer.json()) == 2
    assert {r["din"] for r in answer.json()} <= {str(chain.dins["A"]), str(chain.dins["POOL"])}
    assert all("patient_id" not in r for r in answer.json())


def test_a_signed_recall_takes_the_stock_out_and_lists_what_was_transfused(database):
    chain = build_chain(database)
    client = api(database, "medical_director", "director")

    answer = client.post("/api/recalls", json={"reason": "donor reported an infection", "din": str(chain.dins["A"]),
                                               "signature_password": PASSWORD})

    assert answer.status_code == 201, answer.text
    recall = answer.json()
    actions = {u["unit_id"]: u["action"] for u in recall["units"]}
    assert actions[chain.units["PL_A"]] == "recalled"
    assert actions[chain.units["RC_A1"]] == actions[chain.units["POOL"]] == "listed"
    assert unit_status(database, chain.units["PL_A"]) == "recalled"
    with database.sessions() as session:
        signature = session.execute(select(Signature)).scalar_one()
    assert signature.action == "recall" and signature.entity_id == str(recall["recall_id"])
    assert signature.meaning.startswith(f"I recall every unit named in recall {recall['recall_id']}")
    listed = client.get("/api/recalls").json()
    assert listed["total"] == 1 and listed["items"][0]["recall_id"] == recall["recall_id"]
    one = client.get(f"/api/recalls/{recall['recall_id']}").json()
    assert {u["unit_id"]: u["status_now"] for u in one["units"]}[chain.units["PL_A"]] == "recalled"
    assert client.get("/api/recalls/999").status_code == 404


def test_a_recall_with_a_wrong_signature_password_is_refused_and_nothing_is_recalled(database):
    chain = build_chain(database)
    client = api(database, "medical_director", "director")
    before = counts(database)

    answer = client.post("/api/recalls", json={"reason": "donor reported an infection", "din": str(chain.dins["A"]),
                                               "signature_password": "not my password"})

    assert answer.status_code == 403
    assert answer.json() == {"code": "signature_refused",
                             "message": "The password does not match: the action was not signed and nothing was done."}
    after = counts(database)
    assert {k: v for k, v in after.items() if k != "audit_entry"} == {k: v for k, v in before.items()
                                                                        if k != "audit_entry"}
    assert after["recall"] == 0 and unit_status(database, chain.units["PL_A"]) == "available"


def test_a_recall_needs_exactly_one_scope_and_a_reason(database):
    chain = build_chain(database)
    client = api(database, "medical_director", "director")

    both = client.post("/api/recalls", json={"reason": "x", "din": str(chain.dins["A"]),
                                             "donor_number": chain.donor_numbers["A"], "signature_password": PASSWORD})
    blank = client.post("/api/recalls", json={"reason": "   ", "din": str(chain.dins["A"]),
                                              "signature_password": PASSWORD})

    assert both.status_code == 422 and "exactly one" in both.json()["message"]
    assert blank.status_code == 422 and "reason" in blank.json()["message"]
    assert counts(database)["recall"] == 0


def test_a_clerk_gets_403_on_trace_lookback_and_recalls(database):
    chain = build_chain(database)
    client = api(database, "clerk")

    for answer in (client.get(f"/api/trace/{chain.dins['A']}"), client.get(f"/api/lookback/{chain.donors['A']}"),
                   client.get("/api/trace/search", params={"q": str(chain.dins["A"])}), client.get("/api/recalls"),
                   client.post("/api/recalls", json={"reason": "x", "din": str(chain.dins["A"]),
                                                     "signature_password": PASSWORD})):
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden"


def test_an_administrator_cannot_trace_and_a_lab_technician_cannot_recall(database):
    chain = build_chain(database)

    assert api(database, "administrator", "admin").get(f"/api/trace/{chain.dins['A']}").status_code == 403
    refused = api(database, "lab_technician", "lab").post(
        "/api/recalls", json={"reason": "x", "din": str(chain.dins["A"]), "signature_password": PASSWORD})
    assert refused.status_code == 403
    assert unit_status(database, chain.units["PL_A"]) == "available"
