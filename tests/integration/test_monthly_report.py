"""The monthly report: each record counted in the month of its own clock, reasons kept private, every entry
point (service, page, CSV, API, command line) giving the same figures under the same permission."""

from __future__ import annotations

import csv
import io
import itertools
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import (
    AdverseReaction, Deferral, Donation, Donor, Hospital, Issue, Patient, Transfusion, Unit, UnitEvent, Visit,
)
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.domain.monthly_report import Month
from bloodbank.entrypoints.cli.app import app as cli_app
from bloodbank.service_layer.reporting.monthly import monthly_report
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.inventory_fixtures import FACILITY, PRODUCT, insert, make_site
from tests.integration.web_fixtures import api, browser, make_user
from bloodbank.domain.isbt128 import make_din

MARCH = Month(2026, 3)
UTC = timezone.utc
_n = itertools.count(1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def donor(database, group: str | None = "O-") -> int:
    n = next(_n)
    return insert(database, Donor(donor_number=f"R{n:07d}", given_name="Ann", family_name=f"Giver{n}",
                                  date_of_birth=date(1980, 1, 1), sex="F", blood_group=group))


def donation(database, site: int, started: datetime, *, group: str | None = "O-", status: str = "complete") -> int:
    person = donor(database, group)
    visit = insert(database, Visit(donor_id=person, site_id=site, checked_in_at=started, checked_in_by="clerk"))
    n = next(_n)
    return insert(database, Donation(
        din=str(make_din(FACILITY, 26, 50000 + n)), facility_code=FACILITY, din_year=26, serial=50000 + n,
        visit_id=visit, donor_id=person, site_id=site, kind="whole_blood", bag_type="triple", bag_lot="L1",
        phlebotomist="phleb", started_at=started, status=status))


def deferral(database, site: int, code: str, starts_on: date) -> None:
    person = donor(database)
    visit = insert(database, Visit(donor_id=person, site_id=site, checked_in_at=at("2026-03-02T09:00"),
                                   checked_in_by="clerk"))
    insert(database, Deferral(donor_id=person, visit_id=visit, code=code, kind="temporary", reason=code,
                              starts_on=starts_on, ends_on=starts_on + timedelta(days=90), decided_by="dr"))


def unit(database, site: int, *, status: str, kind: str = "red_cells", changed: datetime | None = None,
         reason: str | None = None) -> int:
    n = next(_n)
    return insert(database, Unit(
        din=str(make_din(FACILITY, 26, 60000 + n)), product_code=PRODUCT[kind], division="00", kind=kind,
        blood_group="O+", status=status, volume_ml=280, collected_at=at("2026-02-20T10:00"),
        expires_at=at("2026-04-01T00:00"), site_id=site, discard_reason=reason, status_changed_at=changed))


def event(database, unit_id: int, site: int, when: datetime, before: str | None, after: str) -> None:
    insert(database, UnitEvent(unit_id=unit_id, at=when, actor="lab", event="move", from_status=before,
                               to_status=after, site_id=site))


def hospital(database, site: int, code: str, zone: str | None = None) -> int:
    return insert(database, Hospital(code=code, name=f"{code} General", site_id=site, time_zone=zone))


def issue(database, unit_id: int, hospital_id: int, when: datetime, *, emergency: bool = False,
          transfused: bool = True) -> None:
    patient = insert(database, Patient(given_name="Pat", family_name="Ient", sex="M", hospital_id=hospital_id))
    issue_id = insert(database, Issue(unit_id=unit_id, patient_id=patient, issued_at=when, issued_by="bms",
                                      scanned_unit="=G", scanned_patient="mrn", emergency=emergency))
    if transfused:
        insert(database, Transfusion(issue_id=issue_id, unit_id=unit_id, patient_id=patient,
                                     started_at=when + timedelta(minutes=30), administered_by="nurse"))


@pytest.fixture
def region(database):
    """Two sites on different clocks, with March's records placed on both sides of each month's edges."""
    london = make_site(database, code="LDN", time_zone="Europe/London")
    auckland = make_site(database, code="AKL", time_zone="Pacific/Auckland")
    # Auckland is UTC+13 in March: 28 Feb 12:00 UTC is already 1 March there, 31 March 11:30 UTC is 1 April.
    donation(database, auckland, at("2026-02-28T12:00"), group="O-")
    donation(database, auckland, at("2026-03-31T11:30"), group="O-")
    # London: 28 Feb 23:30 UTC is still February; 31 March 22:30 UTC is 23:30 BST, still March.
    donation(database, london, at("2026-02-28T23:30"), group="A+")
    donation(database, london, at("2026-03-31T22:30"), group="A+")
    donation(database, london, at("2026-03-10T10:00"), group=None)
    donation(database, london, at("2026-03-11T10:00"), group="A+", status="aborted")
    deferral(database, london, "tattoo", date(2026, 3, 5))
    deferral(database, london, "tattoo", date(2026, 3, 31))
    deferral(database, auckland, "malaria_area_travel", date(2026, 3, 20))
    deferral(database, london, "tattoo", date(2026, 4, 1))
    # Discards: a self-exclusion is reported as "not suitable"; outdating is counted on its day.
    unit(database, london, status="discarded", reason="self_excluded", changed=at("2026-03-03T10:00"))
    unit(database, london, status="discarded", reason="not_suitable", changed=at("2026-03-04T10:00"))
    unit(database, london, status="discarded", reason="expired", changed=at("2026-03-07T23:30"), kind="plasma")
    unit(database, auckland, status="discarded", reason="broken", changed=at("2026-02-28T20:00"))
    unit(database, auckland, status="discarded", reason="broken", changed=at("2026-02-28T10:00"))  # February
    # Red-cell stock at London: two enter before March, one enters on the 2nd, one leaves on the 5th (issued).
    stock = [unit(database, london, status="available") for _ in range(3)]
    event(database, stock[0], london, at("2026-02-10T10:00"), "quarantined", "available")
    event(database, stock[1], london, at("2026-02-11T10:00"), "quarantined", "available")
    event(database, stock[2], london, at("2026-03-02T10:00"), "quarantined", "available")
    issued = unit(database, london, status="issued")
    event(database, issued, london, at("2026-02-12T10:00"), "quarantined", "available")
    event(database, issued, london, at("2026-03-05T10:00"), "available", "issued")
    general = hospital(database, london, "LGH")
    issue(database, issued, general, at("2026-03-05T10:00"), emergency=True)
    reaction_donation = donation(database, london, at("2026-03-15T09:00"), group="B+")
    insert(database, AdverseReaction(donation_id=reaction_donation, kind="vasovagal", severity="mild",
                                     outcome="recovered", recorded_by="phleb"))
    return {"london": london, "auckland": auckland, "hospital": general}


def report(database, **kwargs):
    return monthly_report(UnitOfWork(database, read_only=True), MARCH, now=at("2026-05-01T00:00"), **kwargs)


def test_each_site_s_donations_count_in_the_month_of_its_own_clock(database, region):
    r = report(database)
    assert {(c.site_code, c.group): c.donations for c in r.collections} == {
        ("AKL", "O-"): 1, ("LDN", "A+"): 1, ("LDN", "B+"): 1, ("LDN", "not yet known"): 1}
    assert r.donations_total == 4 and r.complete


def test_deferral_reasons_are_counted_only_for_a_reader_who_may_see_them(database, region):
    hidden = report(database)
    shown = report(database, deferral_reasons=True)
    assert hidden.deferrals_total == shown.deferrals_total == 3
    assert hidden.deferrals_by_reason is None
    assert shown.deferrals_by_reason == (("tattoo", 2), ("malaria_area_travel", 1))


def test_a_self_exclusion_is_reported_as_not_suitable_and_never_by_name(database, region):
    r = report(database)
    assert {(d.reason, d.kind): d.units for d in r.discards} == {
        ("expired", "plasma"): 1, ("not_suitable", "red_cells"): 2, ("broken", "red_cells"): 1}
    assert all("self" not in d.reason and "self" not in d.reason_text for d in r.discards)


def test_red_cell_stock_is_rebuilt_day_by_day_and_days_of_supply_use_the_month_s_issues(database, region):
    r = report(database, site_id=region["london"])
    levels = {d.day: d.red_cells_available for d in r.stock}
    assert len(r.stock) == 31
    assert (levels[date(2026, 3, 1)], levels[date(2026, 3, 2)], levels[date(2026, 3, 4)],
            levels[date(2026, 3, 5)], levels[date(2026, 3, 31)]) == (3, 4, 4, 3, 3)
    day = {d.day: d for d in r.stock}
    assert day[date(2026, 3, 5)].red_cells_issued == 1
    assert day[date(2026, 3, 5)].days_of_supply == pytest.approx(3 / (1 / 31))
    # 23:30 UTC on 7 March is 23:30 in London (GMT): the plasma outdated on the 7th.
    assert day[date(2026, 3, 7)].expired == 1 and sum(d.expired for d in r.stock) == 1


def test_issues_and_transfusions_are_counted_by_hospital_with_emergencies_apart(database, region):
    r = report(database)
    assert [(h.hospital_code, h.issued, h.transfused, h.emergency_issues) for h in r.hospitals] == [
        ("LGH", 1, 1, 1)]
    assert [(a.kind, a.severity, a.count) for a in r.adverse_events] == [("vasovagal", "mild", 1)]


def test_one_site_s_report_leaves_the_other_site_out(database, region):
    r = report(database, site_id=region["auckland"], deferral_reasons=True)
    assert [(c.site_code, c.donations) for c in r.collections] == [("AKL", 1)]
    assert r.deferrals_by_reason == (("malaria_area_travel", 1),)
    # 20:00 UTC on 28 February is 09:00 on 1 March in Auckland: the broken bag is March's.
    assert [(d.reason, d.units) for d in r.discards] == [("broken", 1)] and r.hospitals == ()


def test_a_month_still_running_is_reported_to_today_and_says_so(database, region):
    noon = at("2026-03-10T12:00")
    london = monthly_report(UnitOfWork(database, read_only=True), MARCH, site_id=region["london"], now=noon)
    assert not london.complete and london.stock[-1].day == date(2026, 3, 10)
    # Noon UTC is already 01:00 on the 11th in Auckland: that site's day has begun.
    everywhere = monthly_report(UnitOfWork(database, read_only=True), MARCH, now=noon)
    assert everywhere.stock[-1].day == date(2026, 3, 11)


def test_an_unknown_site_is_refused(database):
    with pytest.raises(NotFound, match="No site with id 999"):
        monthly_report(UnitOfWork(database, read_only=True), MARCH, site_id=999)


def test_the_page_shows_the_figures_with_charts_and_the_director_sees_reasons(database, region):
    director = browser(database, "medical_director", site_id=region["london"])
    page = director.get("/reports/monthly?month=2026-03")
    assert page.status_code == 200, page.text
    assert "Monthly report for 2026-03" in page.text
    assert len(re.findall(r'<img class="chart" src="data:image/svg\+xml;base64,', page.text)) == 5
    assert "tattoo" in page.text and "low-titre" not in page.text
    inventory = browser(database, "inventory_manager", site_id=region["london"])
    page = inventory.get("/reports/monthly?month=2026-03")
    assert page.status_code == 200 and 'id="reasons-withheld"' in page.text and "tattoo" not in page.text


def test_a_malformed_month_is_refused_on_the_page_in_words_and_through_the_api(database, region):
    director = browser(database, "medical_director", site_id=region["london"])
    page = director.get("/reports/monthly?month=2026-13")
    assert page.status_code == 422 and "There is no month 2026-13" in page.text
    client = api(database, "medical_director", "dr.api")
    answer = client.get("/api/reports/monthly", params={"month": "March"})
    assert answer.status_code == 422 and "is not a month" in answer.text


def test_the_csv_gives_the_same_figures_as_the_page(database, region):
    director = browser(database, "medical_director", site_id=region["london"])
    answer = director.get(f"/reports/monthly/collections.csv?month=2026-03&site_id={region['auckland']}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "bloodbank-2026-03-AKL-collections.csv" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows == [["month", "site", "blood_group", "donations"], ["2026-03", "AKL", "O-", "1"]]
    assert director.get("/reports/monthly/nothing.csv?month=2026-03").status_code == 404


def test_the_api_gives_the_report_and_withholds_reasons_from_the_inventory_manager(database, region):
    director = api(database, "medical_director", "dr.api")
    body = director.get("/api/reports/monthly", params={"month": "2026-03"}).json()
    assert body["donations_total"] == 4 and body["deferrals_by_reason"] == [["tattoo", 2],
                                                                           ["malaria_area_travel", 1]]
    manager = api(database, "inventory_manager")
    body = manager.get("/api/reports/monthly", params={"month": "2026-03"}).json()
    assert body["deferrals_total"] == 3 and body["deferrals_by_reason"] is None


@pytest.mark.parametrize("role", ["clerk", "phlebotomist", "lab_technician", "hospital_staff", "administrator"])
def test_roles_without_the_report_permission_are_refused_on_every_entry_point(database, region, role):
    page = browser(database, role, site_id=region["london"]).get("/reports/monthly?month=2026-03")
    assert page.status_code == 403
    assert api(database, role, f"{role}.api").get("/api/reports/monthly", params={"month": "2026-03"}).status_code == 403


def test_the_command_line_writes_every_table_as_csv(database, region, tmp_path):
    make_user(database, "medical_director", "dr.rep")
    result = CliRunner().invoke(cli_app, ["--database", database.url, "reports", "monthly", "--month", "2026-03",
                                          "--csv", str(tmp_path), "--as", "dr.rep"])
    assert result.exit_code == 0, result.output
    assert "4 donation(s)" in result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"bloodbank-2026-03-{s}.csv" for s in (
        "adverse_events", "collections", "deferrals", "discards", "hospitals", "stock"))
    refused = CliRunner().invoke(cli_app, ["--database", database.url, "reports", "monthly", "--month", "2026-13", "--as", "dr.rep"])
    assert refused.exit_code != 0 and "There is no month 2026-13" in refused.output


def test_the_first_month_there_can_be_is_shown_without_a_link_to_the_month_before(database, region):
    director = browser(database, "medical_director", site_id=region["london"])
    page = director.get("/reports/monthly?month=1900-01")
    assert page.status_code == 200 and 'id="previous-month"' not in page.text and 'id="next-month"' in page.text


def test_the_command_line_draws_the_charts_as_svg_files(database, region, tmp_path):
    make_user(database, "inventory_manager", "inv.rep")
    result = CliRunner().invoke(cli_app, ["--database", database.url, "reports", "monthly", "--month", "2026-03",
                                          "--site", "LDN", "--plots", str(tmp_path), "--as", "inv.rep"])
    assert result.exit_code == 0, result.output
    drawn = sorted(tmp_path.iterdir())
    assert [p.name for p in drawn] == sorted(f"bloodbank-2026-03-LDN-{n}.svg" for n in (
        "collections", "discards", "hospitals", "stock", "supply"))
    assert all(p.read_text().startswith("<svg") for p in drawn)
