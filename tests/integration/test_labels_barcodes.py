"""The printed label, read back as a scanner would: render the PDF, decode every barcode."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from bloodbank.adapters.labels.donor_card import donor_card_pdf
from bloodbank.domain.second_entry import ANALYSER
from bloodbank.domain.errors import Conflict
from bloodbank.domain.isbt128 import parse_din
from bloodbank.service_layer.blood import labels, processing, testing
from tests.integration.processing_fixtures import (
    clerk, counts, events, make_donation, make_donor, make_site, processed, unit_of,
)
from tests.integration.test_donors_card import DONOR
from tests.tools import missing_tool



@pytest.fixture(autouse=True)
def label_readers():
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        missing_tool("pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed to read labels back; "
                     "`make test` installs them with apt when it may")


def read_barcodes(pdf: bytes, tmp_path) -> list[str]:
    (tmp_path / "label.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(tmp_path / "label.pdf"), str(tmp_path / "page")],
                   check=True)
    [page] = sorted(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", str(page)],
                           capture_output=True, text=True, check=True)
    return sorted(line for line in found.stdout.splitlines() if line)


def test_every_barcode_on_the_label_reads_back_as_the_units_data(database, tmp_path):
    _, views = processed(database, site_id=make_site(database), group="B-")
    red = unit_of(views, "red_cells")

    pdf = labels.print_label(clerk(database), unit_id=red.id)
    scanned = read_barcodes(pdf, tmp_path)

    din = parse_din(red.din)
    [printed_expiry] = re.findall(r"\((&>0\d{9})\)", pdf.decode("latin-1"))
    assert din.barcode in scanned
    assert "=%1700" in scanned  # B RhD-negative, ISBT 128 data structure 002
    assert f"=<{red.product_code}V{red.division}" in scanned
    assert printed_expiry in scanned
    assert len(scanned) == 4


def by_box(scanned: list[str]) -> dict[str, str]:
    """Each decoded barcode put in the box its data identifier says it belongs to."""
    boxes = {"scanned_din": [s for s in scanned if s.startswith("=") and s[1:2].isalpha() and len(s) == 16],
             "scanned_group": [s for s in scanned if s.startswith("=%")],
             "scanned_product": [s for s in scanned if s.startswith("=<")],
             "scanned_expiry": [s for s in scanned if s.startswith("&>")]}
    assert all(len(found) == 1 for found in boxes.values()), scanned
    return {box: found for box, [found] in boxes.items()}


def test_a_label_read_back_by_the_scanner_verifies_the_unit(database, tmp_path):
    _, views = processed(database, site_id=make_site(database), group="A+")
    red = unit_of(views, "red_cells")
    scanned = by_box(read_barcodes(labels.print_label(clerk(database), unit_id=red.id), tmp_path))

    view = labels.verify_label(clerk(database, "lab.eve"), unit_id=red.id, **scanned)

    assert view.label_verified
    assert events(database, red.id)[-1] == ("label_verified", scanned)


def test_a_label_read_back_by_the_scanner_after_the_unit_was_grouped_is_refused(database, tmp_path):
    donation = make_donation(database, site_id=make_site(database), donor_id=make_donor(database, group=None))
    red = unit_of(processing.process_donation(clerk(database), donation_id=donation, method="buffy_coat"),
                  "red_cells")
    scanned = by_box(read_barcodes(labels.print_label(clerk(database), unit_id=red.id), tmp_path))
    testing.record_result(clerk(database, "lab.lee"), donation_id=donation, test="abo_rh", outcome="typed",
                          value="A+", source=ANALYSER)
    before = counts(database)

    with pytest.raises(Conflict, match=re.escape("not grouped, in quarantine (=%Mq00), this unit is A RhD positive")):
        labels.verify_label(clerk(database, "lab.eve"), unit_id=red.id, **scanned)

    assert counts(database) == before


def test_the_donor_card_barcode_reads_back_as_the_donor_number(tmp_path):
    assert read_barcodes(donor_card_pdf(DONOR), tmp_path) == [DONOR.donor_number]
