from datetime import timedelta

import pytest

from bloodbank.adapters.db.models import AuditEntry, Hospital, Signature
from bloodbank.adapters.db.models.base import utcnow
from tests.integration.inventory_fixtures import insert, make_site, make_unit
from tests.integration.web_fixtures import PASSWORD, api


def _hospital(database, site_id):
    return insert(database, Hospital(code=f"H{site_id}", name="General", site_id=site_id))


def _declare(client, **extra):
    answer = client.post("/api/incidents", json={"place": "Central station", "kind": "explosion",
                                                 "expected": {"severe": 4, "moderate": 10}, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_an_inventory_manager_declares_an_incident_and_reads_its_shortfall(database):
    site = make_site(database)
    for _ in range(3):
        make_unit(database, site_id=site, group="O-")
    manager = api(database, "inventory_manager")
    incident = _declare(manager)
    assert incident["status"] == "declared"
    assert {(l["basis"], l["severity"]): l["total"] for l in incident["totals"]}[("expected", "severe")] == 4
    gap = manager.get(f"/api/incidents/{incident['id']}/shortfall")
    assert gap.status_code == 200, gap.text
    body = gap.json()
    first = next(l for l in body["lines"] if (l["window"], l["kind"], l["group"]) == ("0-6h", "red_cells", "O-"))
    assert first["stock"] == 3
    assert [w["window"]["label"] for w in body["windows"]] == ["0-6h", "6-24h", "24-72h"]
    assert body["statements"][0].startswith("An appeal cannot cover")
    assert all(source for _, _, source in body["sources"])


@pytest.mark.parametrize("role", ["clerk", "hospital_staff", "lab_technician", "administrator", "phlebotomist"])
def test_only_the_blood_service_declares_reads_counts_and_shortfall(database, role):
    incident = _declare(api(database, "medical_director"))
    client = api(database, role)
    assert client.post("/api/incidents", json={"place": "X", "kind": "fire"}).status_code == 403
    for path in ("", "/shortfall"):
        assert client.get(f"/api/incidents/{incident['id']}{path}").status_code == 403
    closing = client.post(f"/api/incidents/{incident['id']}/close", json={"signature_password": PASSWORD})
    assert closing.status_code == 403


def test_hospital_staff_add_admissions_for_their_hospital_and_see_only_their_own_entries(database):
    site, elsewhere = make_site(database), make_site(database)
    ours, theirs = _hospital(database, site), _hospital(database, elsewhere)
    incident = _declare(api(database, "inventory_manager"))
    ward = api(database, "hospital_staff", "ward.sam", site_id=site, hospitals=(ours,))
    other = api(database, "hospital_staff", "ward.kit", site_id=elsewhere, hospitals=(theirs,))
    assert ward.get("/api/incidents").json()["total"] == 1
    added = ward.post(f"/api/incidents/{incident['id']}/casualties",
                      json={"severity": "severe", "change": 3, "hospital_id": ours})
    assert added.status_code == 201, added.text
    other.post(f"/api/incidents/{incident['id']}/casualties",
               json={"severity": "minor", "change": 7, "hospital_id": theirs})
    refused = ward.post(f"/api/incidents/{incident['id']}/casualties",
                        json={"severity": "severe", "change": 1, "hospital_id": theirs})
    assert refused.status_code == 422 and "not one of yours" in refused.json()["message"]
    expected = ward.post(f"/api/incidents/{incident['id']}/casualties",
                         json={"severity": "severe", "change": 1, "basis": "expected"})
    assert expected.status_code == 422
    mine = ward.get(f"/api/incidents/{incident['id']}/casualties/mine").json()
    assert [(e["severity"], e["change"]) for e in mine["entries"]] == [("severe", 3)]
    assert "totals" not in ward.get("/api/incidents").json()["items"][0]


def test_closing_needs_the_signers_password_and_is_signed(database):
    manager = api(database, "inventory_manager")
    incident = _declare(manager)
    wrong = manager.post(f"/api/incidents/{incident['id']}/close", json={"signature_password": "not mine at all"})
    assert wrong.status_code == 403
    assert manager.get(f"/api/incidents/{incident['id']}").json()["status"] == "declared"
    closed = manager.post(f"/api/incidents/{incident['id']}/close",
                          json={"signature_password": PASSWORD, "note": "all casualties treated"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    with database.sessions() as session:
        signature = session.query(Signature).filter_by(entity="incident").one()
        assert signature.action == "close_incident" and "Central station" in signature.meaning


def test_an_order_placed_for_an_incident_is_tagged_and_counted(database):
    site = make_site(database)
    hospital = _hospital(database, site)
    incident = _declare(api(database, "inventory_manager"))
    ward = api(database, "hospital_staff", site_id=site, hospitals=(hospital,))
    order = ward.post("/api/orders", json={
        "hospital_id": hospital, "for_stock": True, "kind": "red_cells", "quantity": 4,
        "needed_by": (utcnow() + timedelta(hours=1)).isoformat(), "urgency": "emergency",
        "incident_id": incident["id"]})
    assert order.status_code == 201, order.text
    assert order.json()["incident_id"] == incident["id"]
    director = api(database, "medical_director")
    assert director.get(f"/api/incidents/{incident['id']}").json()["orders"] == 1
    with database.sessions() as session:
        placed = session.query(AuditEntry).filter_by(entity="order", action="place").one()
        assert placed.new["incident_id"] == incident["id"]


def test_bad_input_is_a_clear_refusal_never_a_server_error(database):
    manager = api(database, "inventory_manager")
    assert manager.post("/api/incidents", json={"place": "X", "kind": "meteor"}).status_code == 422
    assert manager.get("/api/incidents/999/shortfall").status_code == 404
    future = (utcnow() + timedelta(days=2)).isoformat()
    answer = manager.post("/api/incidents", json={"place": "X", "kind": "fire", "occurred_at": future})
    assert answer.status_code == 422 and "future" in answer.json()["message"]
