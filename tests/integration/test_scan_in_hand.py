"""A unit in hand is acted on by scanning it: reserved for an order, picked for an emergency release (a unit that
may not go is refused with why, and nobody chooses again from a list), received from a transfer, taken back from
a ward; the same on the pages, the API and the command line."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.issue import IssueRefused
from bloodbank.domain.isbt128 import parse_din
from bloodbank.entrypoints.cli.app import app as cli_app
from bloodbank.service_layer.blood.transfers import dispatch, get_transfer, receive, units_of_scans
from bloodbank.service_layer.hospital.allocation import allocate, reserve_scanned_unit
from bloodbank.service_layer.hospital.emergency import emergency_issue
from bloodbank.service_layer.hospital.issue import issue_unit
from bloodbank.service_layer.hospital.returns import issue_of_scanned_unit
from tests.integration.issue_fixtures import (
    PRODUCT, clerk, din_scan, get, insert, make_order, make_patient, make_site, make_unit, make_ward, unit_status,
)
from tests.integration.web_fixtures import api, browser, make_user


def sibling(database, unit_id: int, kind: str) -> int:
    """Another component of the same donation: the same DIN, another product code."""
    first = get(database, Unit, unit_id)
    return insert(database, Unit(din=first.din, product_code=PRODUCT[kind], division="00", kind=kind,
                                 blood_group=first.blood_group, status="available", volume_ml=250,
                                 collected_at=first.collected_at, expires_at=utcnow() + timedelta(days=300),
                                 site_id=first.site_id))


# ---------------------------------------------------------------- reserve


def test_scanning_a_compatible_unit_reserves_it_and_an_incompatible_one_is_refused_with_why(database):
    ward = make_ward(database)
    patient = make_patient(database, group="A+", hospital_id=ward.hospital)
    order = make_order(database, ward.hospital, patient.id, quantity=2)
    good, bad = make_unit(database, ward.site, "A+"), make_unit(database, ward.site, "B+")
    sibling(database, good, "plasma")  # the plasma of the same donation shares the DIN: the order's kind decides

    with pytest.raises(InvalidInput, match="not compatible with the patient's group A+"):
        reserve_scanned_unit(clerk(database), order_id=order, scanned_unit=din_scan(database, bad))
    view = reserve_scanned_unit(clerk(database), order_id=order, scanned_unit=din_scan(database, good))
    assert [r.unit_id for r in view.reserved] == [good] and unit_status(database, bad) == "available"
    with pytest.raises(InvalidInput, match="check character|not a valid|DIN"):
        reserve_scanned_unit(clerk(database), order_id=order, scanned_unit="=G123426999999")
    with pytest.raises(NotFound, match="is in stock or issued"):
        reserve_scanned_unit(clerk(database), order_id=order, scanned_unit=str(parse_din("G123426999999").barcode))


def test_a_din_of_several_usable_components_asks_for_the_product_code(database):
    ward = make_ward(database)
    patient = make_patient(database, group="O+", hospital_id=ward.hospital)
    order = make_order(database, ward.hospital, patient.id, kind="platelets")
    first = make_unit(database, ward.site, "O+", kind="platelets_apheresis")
    second = insert(database, Unit(din=get(database, Unit, first).din, product_code=PRODUCT["platelets_apheresis"],
                                   division="A0", kind="platelets_apheresis", blood_group="O+", status="available",
                                   volume_ml=200, collected_at=utcnow(), expires_at=utcnow() + timedelta(days=4),
                                   site_id=ward.site))
    with pytest.raises(InvalidInput, match="has 2 components .*scan the product code too"):
        reserve_scanned_unit(clerk(database), order_id=order, scanned_unit=din_scan(database, first))
    view = reserve_scanned_unit(clerk(database), order_id=order, scanned_unit=din_scan(database, first),
                                scanned_product=f"={'<'}{PRODUCT['platelets_apheresis']}VA0")
    assert [r.unit_id for r in view.reserved] == [second]


def test_the_order_page_and_the_api_reserve_the_scanned_unit(database):
    ward = make_ward(database)
    patient = make_patient(database, group="O+", hospital_id=ward.hospital)
    order = make_order(database, ward.hospital, patient.id, quantity=2)
    one, two = make_unit(database, ward.site, "O+"), make_unit(database, ward.site, "O+")
    staff = browser(database, "hospital_staff", "ward.page", hospitals=(ward.hospital,))
    page = staff.get(f"/hospital/orders/{order}")
    assert 'id="reserve-scan"' in page.text
    done = staff.post(f"/hospital/orders/{order}/reserve",
                      data={"csrf_token": staff.csrf, "reserve_scan": din_scan(database, one)})
    assert done.status_code == 303 and unit_status(database, one) == "reserved"
    client = api(database, "hospital_staff", "ward.api", hospitals=(ward.hospital,))
    both = client.post(f"/api/orders/{order}/reservations", json={"unit_id": two,
                                                                 "scanned_unit": din_scan(database, two)})
    assert both.status_code == 422
    answer = client.post(f"/api/orders/{order}/reservations", json={"scanned_unit": din_scan(database, two)})
    assert answer.status_code == 201, answer.text
    assert unit_status(database, two) == "reserved"


def test_the_command_line_reserves_the_scanned_unit(database):
    ward = make_ward(database)
    patient = make_patient(database, group="O+", hospital_id=ward.hospital)
    order = make_order(database, ward.hospital, patient.id)
    unit = make_unit(database, ward.site, "O+")
    make_user(database, "hospital_staff", "ward.rcli", hospitals=(ward.hospital,))
    result = CliRunner().invoke(cli_app, ["--database", database.url, "issue", "reserve", str(order), "--scan",
                                          din_scan(database, unit), "--as", "ward.rcli"])
    assert result.exit_code == 0, result.output
    assert unit_status(database, unit) == "reserved"


# ---------------------------------------------------------------- emergency release


def test_an_emergency_release_picks_the_scanned_unit_and_refuses_one_that_may_not_go(database):
    ward = make_ward(database)
    patient = make_patient(database, group=None, screen=None, sex="M", hospital_id=ward.hospital)
    o_pos, a_pos = make_unit(database, ward.site, "O+"), make_unit(database, ward.site, "A+")
    call = dict(patient_id=patient.id, scanned_patient=patient.scan, reason="major haemorrhage, bay 2")
    with pytest.raises(IssueRefused, match="O"):
        emergency_issue(clerk(database, "bms.ray"), scanned_unit=din_scan(database, a_pos), **call)
    assert unit_status(database, a_pos) == "available"
    view = emergency_issue(clerk(database, "bms.ray"), scanned_unit=din_scan(database, o_pos), **call)
    assert view.unit_id == o_pos and view.emergency and unit_status(database, o_pos) == "issued"


# ---------------------------------------------------------------- transfers


def test_a_transfer_is_received_by_scanning_each_bag_out_of_the_box(database):
    north, south = make_site(database), make_site(database)
    a, b, c = (make_unit(database, north, "O+") for _ in range(3))
    transfer = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a, b, c]).id
    stranger = make_unit(database, north, "O+")
    with pytest.raises(InvalidInput, match="is not part of transfer"):
        units_of_scans(clerk(database), transfer_id=transfer, scans=[din_scan(database, a), din_scan(database, stranger)])
    with pytest.raises(InvalidInput, match="scanned twice"):
        units_of_scans(clerk(database), transfer_id=transfer, scans=[din_scan(database, a), din_scan(database, a)])
    manager = browser(database, "inventory_manager", "inv.scan")
    answer = manager.post(f"/inventory/transfers/{transfer}/receive", data={
        "csrf_token": manager.csrf, "cold_chain": "yes", "received_scans": f"{din_scan(database, a)}\n\n"
                                                                         f"{din_scan(database, c)}\n"})
    assert answer.status_code == 303, html.unescape(answer.text)
    view = get_transfer(clerk(database), transfer)
    assert {u.unit_id: u.status for u in view.units} == {a: "available", b: "in_transit", c: "available"}


def test_the_api_receives_a_transfer_by_scans(database):
    north, south = make_site(database), make_site(database)
    a, b = make_unit(database, north, "O+"), make_unit(database, north, "O+")
    transfer = dispatch(clerk(database), from_site_id=north, to_site_id=south, unit_ids=[a, b]).id
    client = api(database, "inventory_manager", "inv.api")
    assert client.post(f"/api/inventory/transfers/{transfer}/receive",
                       json={"cold_chain_ok": True}).status_code == 422
    answer = client.post(f"/api/inventory/transfers/{transfer}/receive",
                         json={"received_scans": [din_scan(database, b)], "cold_chain_ok": True})
    assert answer.status_code == 200, answer.text
    assert unit_status(database, b) == "available" and unit_status(database, a) == "in_transit"


# ---------------------------------------------------------------- returns


def _issued(database, ward):
    patient = make_patient(database, group="A+", hospital_id=ward.hospital)
    unit = make_unit(database, ward.site, "A+")
    order = make_order(database, ward.hospital, patient.id)
    reservation = allocate(clerk(database), order_id=order).reserved[0].id
    issued = issue_unit(clerk(database), reservation_id=reservation, scanned_unit=din_scan(database, unit),
                        scanned_patient=patient.scan)
    return unit, issued.id


def test_a_bag_brought_back_is_found_by_its_scan_on_the_page_the_api_and_the_command_line(database):
    ward = make_ward(database)
    (first, first_issue), (second, second_issue), (third, third_issue) = (_issued(database, ward) for _ in range(3))
    assert issue_of_scanned_unit(clerk(database), scanned_unit=din_scan(database, first)) == first_issue
    staff = browser(database, "hospital_staff", "ward.ret", hospitals=(ward.hospital,))
    back = staff.post("/hospital/returns", data={"csrf_token": staff.csrf, "return_scan": din_scan(database, first),
                                                 "minutes_out": "10", "cold_chain": "on"})
    assert back.status_code == 303 and back.headers["location"].startswith(f"/hospital/issues/{first_issue}")
    assert unit_status(database, first) == "available"
    again = staff.post("/hospital/returns", data={"csrf_token": staff.csrf, "return_scan": din_scan(database, first),
                                                  "minutes_out": "10"})
    assert again.status_code == 422 and "not out on a ward" in html.unescape(again.text)
    client = api(database, "hospital_staff", "ward.ret.api", hospitals=(ward.hospital,))
    answer = client.post("/api/returns", json={"scanned_unit": din_scan(database, second),
                                               "minutes_out_of_storage": 5, "kept_in_cold_chain": True})
    assert answer.status_code == 201, answer.text
    assert answer.json()["issue_id"] == second_issue
    outsider = api(database, "hospital_staff", "ward.far")
    assert outsider.post("/api/returns", json={"scanned_unit": din_scan(database, third),
                                               "minutes_out_of_storage": 5,
                                               "kept_in_cold_chain": True}).status_code == 404
    make_user(database, "hospital_staff", "ward.cli", hospitals=(ward.hospital,))
    result = CliRunner().invoke(cli_app, ["--database", database.url, "transfusion", "return", "--scan",
                                          din_scan(database, third), "--minutes", "5", "--cold-chain",
                                          "--as", "ward.cli"])
    assert result.exit_code == 0, result.output
    assert unit_status(database, third) == "available"


# ---------------------------------------------------------------- issue


def test_at_issue_the_bag_scanned_is_the_unit_issued_of_those_held_for_the_order(database):
    ward = make_ward(database)
    patient = make_patient(database, group="O+", hospital_id=ward.hospital)
    order = make_order(database, ward.hospital, patient.id, quantity=2)
    one, two = make_unit(database, ward.site, "O+"), make_unit(database, ward.site, "O+")
    held = sorted(r.unit_id for r in allocate(clerk(database), order_id=order).reserved)
    assert held == sorted([one, two])
    staff = browser(database, "hospital_staff", "ward.iss", hospitals=(ward.hospital,))
    issued = staff.post(f"/hospital/orders/{order}/issue", data={
        "csrf_token": staff.csrf, "scanned_unit": din_scan(database, two), "scanned_patient": patient.scan})
    assert issued.status_code == 303, html.unescape(issued.text)[-500:]
    assert unit_status(database, two) == "issued" and unit_status(database, one) == "reserved"
    stranger = make_unit(database, ward.site, "O+")
    refused = staff.post(f"/hospital/orders/{order}/issue", data={
        "csrf_token": staff.csrf, "scanned_unit": din_scan(database, stranger), "scanned_patient": patient.scan})
    # One unit is still held: the scans are checked against it and every difference is listed.
    assert refused.status_code == 409 and "is not the unit allocated" in html.unescape(refused.text)
