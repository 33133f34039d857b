"""Printed documents in the reader's language, read back as a person or a scanner would.

pdftotext gives a line's text in reading (logical) order, with Arabic letters in the joined forms they were
drawn with; `-bbox` gives each word where it stands on the page, which shows the right-to-left layout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from xml.etree import ElementTree

import pytest

from bloodbank.adapters.db.models import Donor
from bloodbank.adapters.labels.donor_card import CARD_WIDTH, MARGIN, donor_card_pdf
from bloodbank.adapters.labels.lettering import Lettering
from bloodbank.entrypoints import languages
from bloodbank.service_layer.donors.data_copy import data_copy, data_copy_document
from bloodbank.service_layer.hospital import identity_packs
from bloodbank.service_layer.hospital.compatibility_tag import print_tag
from tests.integration.appeal_fixtures import sms_gateway  # noqa: F401 - a fixture
from tests.integration.erasure_fixtures import as_, make_person
from tests.integration.issue_fixtures import clerk as issue_clerk, make_ward
from tests.integration.portal_fixtures import contact_of
from tests.integration.test_compatibility_tag import ward  # noqa: F401 - a fixture
from tests.integration.test_donor_portal_record import signed_in
from tests.integration.test_donors_card import DONOR
from tests.integration.test_identity_packs import read_labels
from tests.integration.test_labels_barcodes import read_barcodes
from tests.integration.trace_fixtures import clerk
from tests.integration.web_fixtures import api
from tests.tools import missing_tool

ARABIC_DONOR = replace(DONOR, given_name="محمد", family_name="عبد الله")
FRENCH_DONOR = replace(DONOR, given_name="Hélène", family_name="Lefèvre-Çelik")
# The marks pdftotext puts around a right-to-left line and the numbers in it.
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(autouse=True)
def pdf_readers():
    if not all(shutil.which(tool) for tool in ("pdftotext", "pdftoppm", "zbarimg")):
        missing_tool("pdftotext, pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed to read documents "
                     "back; `make test` installs them with apt when it may")


def in_(language: str) -> Lettering:
    return Lettering(language, languages.catalogue(language))


def pdf_lines(pdf: bytes, tmp_path) -> list[str]:
    """The document's lines as pdftotext reads them, joined letter forms folded back to plain letters."""
    (tmp_path / "doc.pdf").write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(tmp_path / "doc.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    return [" ".join(plain(line).split()) for line in out.splitlines() if line.strip()]


def plain(text: str) -> str:
    return unicodedata.normalize("NFKC", BIDI_MARKS.sub("", text))


def raw_text(pdf: bytes, tmp_path) -> str:
    (tmp_path / "raw.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", str(tmp_path / "raw.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout


def words_on_page(pdf: bytes, tmp_path) -> list[tuple[float, float, float, str]]:
    """(top, left, right, glyphs as drawn, left to right) for every word on the first page."""
    (tmp_path / "box.pdf").write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(tmp_path / "box.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    page = ElementTree.fromstring(html.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    return [(float(w.get("yMin")), float(w.get("xMin")), float(w.get("xMax")), w.text or "")
            for w in page.iter("word")]


def read_codes(pdf: bytes, tmp_path) -> list[str]:
    (tmp_path / "scan.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(tmp_path / "scan.pdf"), str(tmp_path / "page")],
                   check=True)
    [page] = sorted(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--quiet", "--raw", str(page)], capture_output=True, text=True, check=True)
    return sorted(line for line in found.stdout.splitlines() if line)


def test_an_arabic_card_reads_back_with_the_translated_words_the_arabic_name_and_the_number_intact(tmp_path):
    lines = pdf_lines(donor_card_pdf(ARABIC_DONOR, in_("ar"), qr=True), tmp_path)

    assert "متبرع بالدم" in lines  # BLOOD DONOR
    assert "محمد عبد الله" in lines
    assert "D00042172" in lines
    assert "O-" in lines and "-O" not in lines  # a group is never turned round by the right-to-left line
    assert "فصيلة الدم" in lines
    assert not any("BLOOD DONOR" in line for line in lines)


def test_arabic_letters_are_printed_joined_not_as_separate_letters(tmp_path):
    raw = raw_text(donor_card_pdf(ARABIC_DONOR, in_("ar")), tmp_path)
    heading = BIDI_MARKS.sub("", raw).split()[0]

    # متبرع: meem starts the word, taa and baa join on both sides, raa ends the joined run, ain stands alone.
    assert [unicodedata.name(c).rsplit(" ", 2)[-2] for c in heading] == [
        "INITIAL", "MEDIAL", "MEDIAL", "FINAL", "ISOLATED"]
    assert unicodedata.normalize("NFKC", heading) == "متبرع"


def test_an_arabic_card_runs_right_to_left_from_the_right_margin(tmp_path):
    words = words_on_page(donor_card_pdf(ARABIC_DONOR, in_("ar")), tmp_path)
    name_top = next(top for top, _, _, text in words if plain(text[::-1]) == "محمد")
    name = sorted((w for w in words if w[0] == name_top), key=lambda w: -w[1])

    # Read from the right: the given name first, then the family name, ending at the right margin.
    assert [plain(text[::-1]) for _, _, _, text in name] == ["محمد", "عبد", "الله"]
    assert name[0][2] == pytest.approx(CARD_WIDTH - MARGIN, abs=1)
    number = next(w for w in words if w[3] == "D00042172")
    assert number[2] == pytest.approx(CARD_WIDTH - MARGIN, abs=1)


def test_the_barcode_and_qr_code_of_an_arabic_card_read_back_as_the_donor_number(tmp_path):
    assert read_codes(donor_card_pdf(ARABIC_DONOR, in_("ar"), qr=True), tmp_path) == [DONOR.donor_number] * 2


def test_a_french_card_keeps_its_accents(tmp_path):
    pdf = donor_card_pdf(FRENCH_DONOR, in_("fr"), qr=True)
    lines = pdf_lines(pdf, tmp_path)

    assert lines[:2] == ["DONNEUR DE SANG", "Merci de donner votre sang bénévolement."]
    assert "groupe sanguin" in lines and "Hélène Lefèvre-Çelik" in lines and "D00042172" in lines
    assert read_codes(pdf, tmp_path) == [DONOR.donor_number] * 2


def test_an_arabic_name_on_an_english_card_is_joined_and_reads_right_to_left(tmp_path):
    lines = pdf_lines(donor_card_pdf(ARABIC_DONOR), tmp_path)
    assert lines[:2] == ["BLOOD DONOR", "Thank you for giving blood voluntarily."]
    assert "محمد عبد الله" in lines


def test_a_donor_reading_arabic_gets_their_card_in_arabic_from_their_page_and_from_the_desk(database, sms_gateway,
                                                                                           tmp_path):
    donor, client = signed_in(database, sms_gateway, language="ar")
    own = pdf_lines(client.get("/my/card.pdf").content, tmp_path)
    # The desk works in English, but the card is the donor's: it is printed in their language.
    desk = pdf_lines(api(database, "clerk").get(f"/api/donors/{donor}/card.pdf").content, tmp_path)

    assert "متبرع بالدم" in own and "متبرع بالدم" in desk
    assert read_codes(client.get("/api/my/card.pdf").content, tmp_path) == sorted([own_number(database, donor)] * 2)


def own_number(database, donor_id: int) -> str:
    return contact_of(database, donor_id, "sms")[0]


def test_a_compatibility_tag_printed_in_arabic_keeps_the_din_group_and_barcodes_as_in_english(database, ward,
                                                                                              tmp_path):
    arabic = print_tag(clerk(database, "bms.lee"), issue_id=ward.issues["ISSUED"], language="ar",
                       catalogue=languages.catalogue)
    english = print_tag(clerk(database, "bms.lee"), issue_id=ward.issues["ISSUED"])
    lines = pdf_lines(arabic, tmp_path)
    din = " ".join(ward.dins["B"].eye_readable[:-1].split())

    assert any("بطاقة التوافق" in line for line in lines)  # COMPATIBILITY TAG
    # pdftotext puts the Latin part of a mixed line in no fixed place: each part is looked for on its own.
    assert any("لا حاجة إلى اختبار التوافق" in line and "ABO/RhD" in line for line in lines)
    assert any("MARY EXAMPLE" in line for line in lines) and any(din in line for line in lines)
    assert not any("COMPATIBILITY TAG" in line for line in lines)
    assert read_barcodes(arabic, tmp_path) == read_barcodes(english, tmp_path)


def test_a_compatibility_tag_printed_in_french_keeps_its_accents(database, ward, tmp_path):
    pdf = print_tag(clerk(database, "bms.lee"), issue_id=ward.issues["ISSUED"], language="fr",
                    catalogue=languages.catalogue)
    text = " ".join(pdf_lines(pdf, tmp_path))
    assert "ÉTIQUETTE DE COMPATIBILITÉ" in text and "UNITÉ" in text and "Délivrée le" in text


def test_an_identity_pack_printed_in_arabic_still_scans_as_its_numbers(database, tmp_path):
    ward = make_ward(database)
    pack = identity_packs.print_pack(issue_clerk(database), hospital_id=ward.hospital, count=1, place="trauma bay 3")
    pdf = identity_packs.pack_pdf(issue_clerk(database), pack_id=pack.id, tubes=2, language="ar",
                                  catalogue=languages.catalogue)
    lines = pdf_lines(pdf, tmp_path)

    assert any("مريض مجهول الهوية" in line and "رقم طوارئ" in line for line in lines)
    assert any("أنبوب العينة 2" in line for line in lines)
    assert sum(line.count(pack.numbers[0]) for line in lines) == 3  # the band and two tubes, left to right
    assert read_labels(pdf, tmp_path, tubes=2) == [pack.numbers[0]] * 3


def test_the_donors_copy_of_their_data_is_printed_in_their_language(database, tmp_path):
    person = make_person(database, permanent_deferral=False)
    with database.sessions() as session, session.begin():
        session.get(Donor, person.donor_id).language = "ar"
    # The desk prints it in English pages, the donor reads it in Arabic.
    pdf = data_copy_document(data_copy(as_(database, "dr.kim"), donor_id=person.donor_id), language="en",
                             catalogue=languages.catalogue)
    lines = pdf_lines(pdf, tmp_path)

    assert any("البيانات المحفوظة عن المتبرع" in line and person.number in line for line in lines)
    assert "سجلك كمتبرع" in lines and any("Quarrington" in line for line in lines)
