from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bloodbank.adapters.db.models import Site
from bloodbank.domain.second_entry import ANALYSER
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.isbt128 import (
    encode_blood_group, encode_expiry, encode_product_code, parse_din, parse_expiry,
)
from bloodbank.service_layer.blood import aliquots, follow_up, irradiation, labels, processing, testing
from tests.integration.lab_fixtures import follow_ups
from tests.integration.processing_fixtures import (
    as_printed, clerk, counts, events, make_donation, make_donor, make_site, printed, processed, unit_of,
    unit_row,
)


@pytest.fixture
def units(database):
    """A red cell unit and a plasma unit of one donation, and a red cell unit of another."""
    site_id = make_site(database)
    _, views = processed(database, site_id=site_id, group="B-")
    _, others = processed(database, site_id=site_id)
    return unit_of(views, "red_cells"), unit_of(views, "plasma"), unit_of(others, "red_cells")


def scans(view) -> dict[str, str]:
    """The four barcodes the unit's label carries, worked out from the unit (the site clock is UTC)."""
    return {
        "scanned_din": parse_din(view.din).barcode,
        "scanned_group": encode_blood_group(view.blood_group) if view.blood_group else "=%Mq00",
        "scanned_product": encode_product_code(view.product_code, "V", view.division),
        "scanned_expiry": encode_expiry(view.expires_at.astimezone(timezone.utc).replace(tzinfo=None)),
    }


def later(expiry_scan: str, **delta) -> str:
    """The same expiry barcode moved by `delta`."""
    shown = parse_expiry(expiry_scan) + timedelta(**delta)
    return encode_expiry(shown)


def test_the_label_is_a_pdf_carrying_the_din_and_its_barcode_data(database, units):
    red, _, _ = units

    pdf = labels.print_label(clerk(database), unit_id=red.id)

    din = parse_din(red.din)
    assert pdf.startswith(b"%PDF")
    text = pdf.decode("latin-1")
    assert f"{din.facility} {din.year} {din.serial}" in text and f"({din.check})" in text
    for data in (din.barcode, "=%1700", "=<X0003V00"):
        assert f"({data})" in text
    assert re.search(r"\(&>0\d{9}\)", text)
    assert unit_row(database, red.id)["label_printed_at"] is not None
    assert events(database, red.id)[-1][0] == "label_printed"


def test_a_unit_not_yet_grouped_is_labelled_for_quarantine_not_with_a_group(database):
    _, views = processed(database, site_id=make_site(database), group=None)

    text = labels.print_label(clerk(database), unit_id=views[0].id).decode("latin-1")

    assert "(=%Mq00)" in text and "NOT GROUPED" in text


def test_a_label_scanned_back_and_matching_is_verified(database, units):
    red, _, _ = units
    pdf = labels.print_label(clerk(database), unit_id=red.id)
    scanned = scans(red)
    assert printed(pdf) == scanned

    view = labels.verify_label(clerk(database, "lab.eve"), unit_id=red.id, **scanned)

    assert view.label_verified
    assert unit_row(database, red.id)["label_verified_by"] == "lab.eve"
    assert events(database, red.id)[-1] == ("label_verified", scanned)


def test_each_barcode_may_be_typed_as_printed_under_it(database, units):
    red, _, _ = units
    labels.print_label(clerk(database), unit_id=red.id)
    scanned = scans(red)

    view = labels.verify_label(clerk(database), unit_id=red.id, scanned_din=red.din_eye_readable,
                               scanned_group="1700", scanned_product="X0003V00",
                               scanned_expiry=scanned["scanned_expiry"].removeprefix("&>"))

    assert view.label_verified
    assert events(database, red.id)[-1] == ("label_verified", scanned)


def refused_scans(units):
    red, plasma, other = units
    mine = red.din_eye_readable
    expiry = scans(red)["scanned_expiry"]
    day_later = later(expiry, days=1)
    return {
        "another unit's DIN": ({"scanned_din": scans(other)["scanned_din"]}, Conflict,
                               "The label belongs to another unit"),
        "the plasma label": ({"scanned_product": scans(plasma)["scanned_product"]}, Conflict,
                             "the product scanned is X0006"),
        "another division": ({"scanned_product": "=<X0003VA0"}, Conflict, "division A0, this unit is division 00"),
        "a directed donation's product code": ({"scanned_product": "=<X0003D00"}, Conflict,
                                               re.escape("collection type is D (directed); this unit's is V "
                                                         "(volunteer allogeneic)")),
        "another group's label": (
            {"scanned_group": "=%6200"}, Conflict,
            re.escape(f"Label mismatch on {mine}: the blood group scanned is A RhD positive (=%6200), this unit is "
                      "B RhD negative (=%1700).") + ".*print this unit's label again and scan the new one"),
        "the same group for directed use": ({"scanned_group": "=%1300"}, Conflict,
                                            "the blood group scanned is B RhD negative, for directed use"),
        "a quarantine label on a grouped unit": ({"scanned_group": "=%Mq00"}, Conflict,
                                                 "the blood group scanned is not grouped, in quarantine"),
        "a label expiring a day later": (
            {"scanned_expiry": day_later}, Conflict,
            re.escape(f"Label mismatch on {mine}: the expiry scanned is {as_printed(parse_expiry(day_later))} "
                      f"({day_later}), this unit expires {as_printed(parse_expiry(expiry))} ({expiry}).")
            + ".*print this unit's label again and scan the new one"),
        "a label expiring a minute earlier": ({"scanned_expiry": later(expiry, minutes=-1)}, Conflict,
                                              "the expiry scanned is"),
        "a group barcode in the DIN box": ({"scanned_din": "=%1700"}, InvalidInput, "blood group, not a DIN"),
        "a DIN in the product box": ({"scanned_product": scans(red)["scanned_din"]}, InvalidInput,
                                     "a DIN, not a product code"),
        "a product code in the group box": ({"scanned_group": "=<X0003V00"}, InvalidInput,
                                            "This barcode is a product code, not a blood group"),
        "an expiry in the group box": ({"scanned_group": expiry}, InvalidInput,
                                       "an expiry date and time, not a blood group"),
        "a group barcode in the expiry box": ({"scanned_expiry": "=%1700"}, InvalidInput,
                                              "a blood group, not an expiry date and time"),
        "an expiry date without its time": ({"scanned_expiry": "=>" + expiry[2:8]}, InvalidInput,
                                            "an expiry date, not an expiry date and time"),
        "a damaged expiry": ({"scanned_expiry": expiry[:-1]}, InvalidInput, "This expiry has 10 digits"),
        "an unknown group code": ({"scanned_group": "=%9900"}, InvalidInput, "Unknown blood group code '99'"),
        "nothing in the group box": ({"scanned_group": " "}, InvalidInput, "No blood group code was given"),
        "a sample tube's DIN": ({"scanned_din": scans(red)["scanned_din"][:-2] + "07"}, InvalidInput,
                                "not from a unit label"),
        "a mistyped check character": ({"scanned_din": mine[:-1] + "*" if not mine.endswith("*") else mine[:-1] + "0"},
                                       InvalidInput, "does not match DIN"),
    }


REFUSED = [
    "another unit's DIN", "the plasma label", "another division", "a directed donation's product code",
    "another group's label", "the same group for directed use", "a quarantine label on a grouped unit",
    "a label expiring a day later", "a label expiring a minute earlier", "a group barcode in the DIN box",
    "a DIN in the product box", "a product code in the group box", "an expiry in the group box",
    "a group barcode in the expiry box", "an expiry date without its time", "a damaged expiry",
    "an unknown group code", "nothing in the group box", "a sample tube's DIN", "a mistyped check character",
]


@pytest.mark.parametrize("case", REFUSED)
def test_a_label_that_does_not_match_is_refused_and_nothing_is_recorded(database, units, case):
    red = units[0]
    labels.print_label(clerk(database), unit_id=red.id)
    before, row = counts(database), unit_row(database, red.id)
    wrong, error, message = refused_scans(units)[case]

    with pytest.raises(error, match=message):
        labels.verify_label(clerk(database), unit_id=red.id, **{**scans(red), **wrong})

    assert counts(database) == before and unit_row(database, red.id) == row
    assert row["label_verified_at"] is None


def test_a_label_printed_before_the_unit_was_grouped_is_refused_once_it_is(database):
    site = make_site(database)
    donation = make_donation(database, site_id=site, donor_id=make_donor(database, group=None))
    red = unit_of(processing.process_donation(clerk(database), donation_id=donation, method="buffy_coat"),
                  "red_cells")
    stale = printed(labels.print_label(clerk(database), unit_id=red.id))
    assert stale["scanned_group"] == "=%Mq00"
    testing.record_result(clerk(database, "lab.lee"), donation_id=donation, test="abo_rh", outcome="typed",
                          value="B-", source=ANALYSER)
    before, row = counts(database), unit_row(database, red.id)
    assert row["blood_group"] == "B-" and row["label_printed_at"] is not None

    with pytest.raises(Conflict, match=re.escape(
            "the blood group scanned is not grouped, in quarantine (=%Mq00), this unit is B RhD negative (=%1700)")):
        labels.verify_label(clerk(database), unit_id=red.id, **stale)

    assert counts(database) == before and unit_row(database, red.id)["label_verified_at"] is None
    fresh = printed(labels.print_label(clerk(database), unit_id=red.id))
    assert labels.verify_label(clerk(database), unit_id=red.id, **fresh).label_verified


def test_the_old_group_barcode_is_refused_after_a_regroup_and_a_new_label(database):
    site, donor = make_site(database), make_donor(database, group="A+")
    donation = make_donation(database, site_id=site, donor_id=donor)
    red = unit_of(processing.process_donation(clerk(database), donation_id=donation, method="buffy_coat"),
                  "red_cells")
    old = printed(labels.print_label(clerk(database), unit_id=red.id))
    testing.record_result(clerk(database, "lab.lee"), donation_id=donation, test="abo_rh", outcome="typed",
                          value="B+", source=ANALYSER)
    [case] = follow_ups(database)
    follow_up.close_follow_up(clerk(database, "lab.lee"), follow_up_id=case.id, outcome="repeat typing B+",
                              confirmed_group="B+")
    new = printed(labels.print_label(clerk(database), unit_id=red.id))
    assert (old["scanned_group"], new["scanned_group"]) == ("=%6200", "=%7300")
    before = counts(database)

    with pytest.raises(Conflict, match=re.escape(
            "the blood group scanned is A RhD positive (=%6200), this unit is B RhD positive (=%7300)")):
        labels.verify_label(clerk(database), unit_id=red.id, **{**new, "scanned_group": old["scanned_group"]})

    assert counts(database) == before and unit_row(database, red.id)["label_verified_at"] is None
    assert labels.verify_label(clerk(database), unit_id=red.id, **new).label_verified


def test_the_expiry_of_a_label_printed_before_irradiation_is_refused(database, units):
    red = units[0]
    old = printed(labels.print_label(clerk(database), unit_id=red.id))
    irradiation.irradiate(clerk(database), unit_id=red.id)
    new = printed(labels.print_label(clerk(database), unit_id=red.id))
    assert parse_expiry(new["scanned_expiry"]) < parse_expiry(old["scanned_expiry"])  # irradiation shortened it
    before = counts(database)

    was, now = old["scanned_expiry"], new["scanned_expiry"]
    with pytest.raises(Conflict, match=re.escape(
            f"the expiry scanned is {as_printed(parse_expiry(was))} ({was}), "
            f"this unit expires {as_printed(parse_expiry(now))} ({now}). The label is out of date")):
        labels.verify_label(clerk(database), unit_id=red.id, **{**new, "scanned_expiry": was})

    assert counts(database) == before and unit_row(database, red.id)["label_verified_at"] is None
    assert labels.verify_label(clerk(database), unit_id=red.id, **new).label_verified


def test_the_expiry_is_printed_and_compared_on_the_sites_clock(database, units):
    red = units[0]
    utc = printed(labels.print_label(clerk(database), unit_id=red.id))
    with database.sessions() as session, session.begin():
        session.get(Site, unit_row(database, red.id)["site_id"]).time_zone = "Asia/Tokyo"
    tokyo = printed(labels.print_label(clerk(database), unit_id=red.id))
    assert utc["scanned_expiry"] != tokyo["scanned_expiry"]
    expires = unit_row(database, red.id)["expires_at"]
    assert parse_expiry(tokyo["scanned_expiry"]) == \
        datetime.fromisoformat(str(expires)).astimezone(ZoneInfo("Asia/Tokyo")).replace(tzinfo=None, second=0)

    with pytest.raises(Conflict, match="the expiry scanned is"):
        labels.verify_label(clerk(database), unit_id=red.id, **utc)
    assert labels.verify_label(clerk(database), unit_id=red.id, **tokyo).label_verified


def test_a_label_is_verified_only_after_it_is_printed(database, units):
    red = units[0]
    before = counts(database)

    with pytest.raises(Conflict, match="No label has been printed"):
        labels.verify_label(clerk(database), unit_id=red.id, **scans(red))

    assert counts(database) == before


def test_reprinting_a_label_clears_its_verification(database, units):
    red = units[0]
    labels.print_label(clerk(database), unit_id=red.id)
    labels.verify_label(clerk(database), unit_id=red.id, **scans(red))

    labels.print_label(clerk(database), unit_id=red.id)

    assert not processing.get_unit(clerk(database), red.id).label_verified
    event, detail = events(database, red.id)[-1]
    assert event == "label_printed" and detail["reprint"] and detail["verification_cleared"]


def test_no_label_is_printed_for_a_unit_that_was_split(database, units):
    red = units[0]
    aliquots.split_unit(clerk(database), unit_id=red.id, parts=2)
    before = counts(database)

    with pytest.raises(Conflict, match="is processed: its label is not printed any more"):
        labels.print_label(clerk(database), unit_id=red.id)

    assert counts(database) == before


def test_an_aliquot_label_carries_its_division(database, units):
    first, _ = aliquots.split_unit(clerk(database), unit_id=units[0].id, parts=2)

    text = labels.print_label(clerk(database), unit_id=first.id).decode("latin-1")
    view = labels.verify_label(clerk(database), unit_id=first.id,
                               **{**scans(first), "scanned_product": "=<X0003VA0"})

    assert "(=<X0003VA0)" in text and view.label_verified
