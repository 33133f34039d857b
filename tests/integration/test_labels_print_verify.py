from __future__ import annotations

import re

import pytest

from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.isbt128 import encode_product_code, parse_din
from bloodbank.service_layer.blood import aliquots, labels, processing
from tests.integration.processing_fixtures import (
    clerk, counts, events, make_site, processed, unit_of, unit_row,
)


@pytest.fixture
def units(database):
    """A red cell unit and a plasma unit of one donation, and a red cell unit of another."""
    site_id = make_site(database)
    _, views = processed(database, site_id=site_id, group="B-")
    _, others = processed(database, site_id=site_id)
    return unit_of(views, "red_cells"), unit_of(views, "plasma"), unit_of(others, "red_cells")


def scans(view):
    return parse_din(view.din).barcode, encode_product_code(view.product_code, "V", view.division)


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
    labels.print_label(clerk(database), unit_id=red.id)
    din_scan, product_scan = scans(red)

    view = labels.verify_label(clerk(database, "lab.eve"), unit_id=red.id, scanned_din=din_scan,
                               scanned_product=product_scan)

    assert view.label_verified
    assert unit_row(database, red.id)["label_verified_by"] == "lab.eve"
    assert events(database, red.id)[-1] == ("label_verified", {"scanned_din": din_scan,
                                                               "scanned_product": product_scan})


def test_the_din_may_be_typed_as_printed_under_the_barcode(database, units):
    red, _, _ = units
    labels.print_label(clerk(database), unit_id=red.id)

    view = labels.verify_label(clerk(database), unit_id=red.id, scanned_din=red.din_eye_readable,
                               scanned_product="X0003V00")

    assert view.label_verified


def refused_scans(units):
    red, plasma, other = units
    din, product = scans(red)
    return {
        "another unit's DIN": (scans(other)[0], product, Conflict, "The label belongs to another unit"),
        "the plasma label": (din, scans(plasma)[1], Conflict, "the product scanned is X0006"),
        "another division": (din, "=<X0003VA0", Conflict, "division A0, this unit is division 00"),
        "a group barcode in the DIN box": ("=%1700", product, InvalidInput, "blood group, not a DIN"),
        "a DIN in the product box": (din, din, InvalidInput, "a DIN, not a product code"),
        "a sample tube's DIN": (din[:-2] + "07", product, InvalidInput, "not from a unit label"),
        "a mistyped check character": (red.din_eye_readable[:-1] + "*" if not red.din_eye_readable.endswith("*")
                                       else red.din_eye_readable[:-1] + "0", product, InvalidInput,
                                       "does not match DIN"),
    }


@pytest.mark.parametrize("case", ["another unit's DIN", "the plasma label", "another division",
                                  "a group barcode in the DIN box", "a DIN in the product box",
                                  "a sample tube's DIN", "a mistyped check character"])
def test_a_label_that_does_not_match_is_refused_and_nothing_is_recorded(database, units, case):
    red = units[0]
    labels.print_label(clerk(database), unit_id=red.id)
    before, row = counts(database), unit_row(database, red.id)
    din_scan, product_scan, error, message = refused_scans(units)[case]

    with pytest.raises(error, match=message):
        labels.verify_label(clerk(database), unit_id=red.id, scanned_din=din_scan, scanned_product=product_scan)

    assert counts(database) == before and unit_row(database, red.id) == row
    assert row["label_verified_at"] is None


def test_a_label_is_verified_only_after_it_is_printed(database, units):
    red = units[0]
    before = counts(database)

    with pytest.raises(Conflict, match="No label has been printed"):
        labels.verify_label(clerk(database), unit_id=red.id, scanned_din=scans(red)[0], scanned_product=scans(red)[1])

    assert counts(database) == before


def test_reprinting_a_label_clears_its_verification(database, units):
    red = units[0]
    labels.print_label(clerk(database), unit_id=red.id)
    labels.verify_label(clerk(database), unit_id=red.id, scanned_din=scans(red)[0], scanned_product=scans(red)[1])

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
    view = labels.verify_label(clerk(database), unit_id=first.id, scanned_din=scans(first)[0],
                               scanned_product="=<X0003VA0")

    assert "(=<X0003VA0)" in text and view.label_verified
