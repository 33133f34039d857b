from dataclasses import replace
from datetime import date

import pytest

from bloodbank.adapters.labels import donor_card, lettering
from bloodbank.adapters.labels.donor_card import donor_card_pdf
from bloodbank.service_layer.donors.registry import DonorView

DONOR = DonorView(
    id=42, donor_number="D00042172", given_name="Zofia", family_name="Nowak", date_of_birth=date(1988, 6, 21),
    sex="F", phone=None, email=None, address="", postcode="", latitude=None, longitude=None, blood_group="O-",
    preferred_site_id=None, appeals_opt_in=False, group_discrepancy=False, notes="",
)


def test_the_card_is_a_pdf_the_size_of_a_credit_card_carrying_number_name_and_group():
    pdf = donor_card_pdf(DONOR)
    assert pdf.startswith(b"%PDF")
    assert b"/MediaBox [ 0 0 242.6457 153.0709 ]" in pdf  # 85.6 x 54 mm in points
    assert b"(D00042172) Tj" in pdf
    assert b"(O-) Tj" in pdf


def test_the_barcode_encodes_exactly_the_donor_number(monkeypatch):
    encoded = []

    class Spy(donor_card.Code128):
        def __init__(self, value, **options):
            encoded.append(value)
            super().__init__(value, **options)

    monkeypatch.setattr(donor_card, "Code128", Spy)
    pdf = donor_card_pdf(DONOR)
    assert encoded == ["D00042172"]
    assert pdf.count(b" re") > 20  # the bars, drawn as filled rectangles


def test_an_unknown_or_disputed_group_is_not_printed():
    assert b"blood group" not in donor_card_pdf(replace(DONOR, blood_group=None))
    assert b"(O-) Tj" not in donor_card_pdf(replace(DONOR, group_discrepancy=True))


def test_the_same_card_gives_the_same_file():
    assert donor_card_pdf(DONOR) == donor_card_pdf(DONOR)


@pytest.mark.parametrize("unicode_font", [True, False])
def test_a_long_name_or_letters_outside_the_font_never_break_the_card(unicode_font, monkeypatch):
    if not unicode_font:
        monkeypatch.setattr(lettering, "WIDE_FONT_FILES", {False: (), True: ()})
    lettering._wide_font.cache_clear()
    try:
        long = replace(DONOR, given_name="Łucja Małgorzata Anastazja", family_name="Wiśniewska-Grzegorzewska 张")
        assert donor_card_pdf(long).startswith(b"%PDF")
    finally:
        lettering._wide_font.cache_clear()


def test_without_a_unicode_font_a_missing_letter_loses_its_accent_not_its_place(monkeypatch):
    monkeypatch.setattr(lettering, "WIDE_FONT_FILES", {False: (), True: ()})
    lettering._wide_font.cache_clear()
    try:
        assert "".join(text for _, text in lettering.runs("Łukasz Wiśniewski 张", rtl=False)) == "Lukasz Wisniewski ?"
    finally:
        lettering._wide_font.cache_clear()
