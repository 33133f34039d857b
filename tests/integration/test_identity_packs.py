"""Emergency identities printed ahead: numbers never given twice, a scan registers the casualty, a merge keeps
every flag."""

import shutil
import subprocess

import pytest
from PIL import Image
from reportlab.lib.units import mm

from bloodbank.adapters.labels.identity_pack import BAND_HEIGHT, BAND_WIDTH, TUBE_HEIGHT, TUBE_WIDTH
from bloodbank.domain.errors import InvalidInput, NotFound
from bloodbank.service_layer.hospital import identity_packs, massive_transfusion, patients
from bloodbank.service_layer.hospital.patient_merge import merge_patients
from bloodbank.service_layer.hospital.patient_profile import load_profile
from tests.integration.issue_fixtures import clerk, make_ward
from tests.integration.patient_fixtures import make_antibody, make_patient, make_requirement
from tests.tools import missing_tool


def read_labels(pdf: bytes, tmp_path, tubes: int) -> list[str]:
    """The first identity's page, each label read on its own (zbar reports a number once per image)."""
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        missing_tool("pdftoppm (poppler-utils) and zbarimg (zbar-tools) are needed to read labels back")
    (tmp_path / "pack.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-f", "1", "-l", "1", str(tmp_path / "pack.pdf"),
                    str(tmp_path / "page")], check=True)
    [page] = sorted(tmp_path.glob("page*.png"))
    image = Image.open(page)
    dots = image.size[0] / (BAND_WIDTH + 10 * mm)
    band_top = 8 * mm * dots
    boxes = [(0, band_top, image.size[0], band_top + BAND_HEIGHT * dots)]
    tubes_top = band_top + (BAND_HEIGHT + 4 * mm) * dots
    boxes += [(5 * mm * dots + n * TUBE_WIDTH * dots, tubes_top, 5 * mm * dots + (n + 1) * TUBE_WIDTH * dots,
               tubes_top + TUBE_HEIGHT * dots) for n in range(tubes)]
    found = []
    for index, box in enumerate(boxes):
        label = tmp_path / f"label{index}.png"
        image.crop(tuple(int(v) for v in box)).save(label)
        read = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Scode128.enable", str(label)],
                              capture_output=True, text=True)
        found.extend(line for line in read.stdout.splitlines() if line)
    return found


def test_the_wristband_and_every_tube_label_scan_as_the_same_number_and_register_the_patient(database, tmp_path):
    ward = make_ward(database)
    pack = identity_packs.print_pack(clerk(database), hospital_id=ward.hospital, count=2, place="trauma bay 2")
    pdf = identity_packs.pack_pdf(clerk(database), pack_id=pack.id, tubes=4)

    scanned = read_labels(pdf, tmp_path, tubes=4)

    assert scanned == [pack.numbers[0]] * 5  # the wristband and four tube labels of the first identity
    registered = identity_packs.register_scanned(clerk(database), scanned=scanned[0], sex="F")
    assert registered.registered_now and registered.patient.hospital_id == ward.hospital
    assert registered.patient.identifier("emergency") == pack.numbers[0]
    again = identity_packs.register_scanned(clerk(database), scanned=scanned[1])
    assert not again.registered_now and again.patient.id == registered.patient.id
    assert identity_packs.get_pack(clerk(database), pack_id=pack.id).registered == (pack.numbers[0],)


def test_a_printed_number_is_never_given_to_a_patient_registered_without_a_pack(database):
    ward = make_ward(database)
    pack = identity_packs.print_pack(clerk(database), hospital_id=ward.hospital, count=3, place="resus")
    walked_in = patients.register_emergency_patient(clerk(database), hospital_id=ward.hospital)
    second = identity_packs.print_pack(clerk(database), hospital_id=ward.hospital, count=1, place="resus")

    given = walked_in.identifier("emergency")
    assert given not in pack.numbers and second.numbers[0] not in (*pack.numbers, given)
    assert sorted([*pack.numbers, given, *second.numbers]) == [*pack.numbers, given, *second.numbers]


def test_a_number_that_is_not_from_a_pack_is_refused_and_registers_nobody(database):
    ward = make_ward(database)
    with pytest.raises(NotFound):
        identity_packs.register_scanned(clerk(database), scanned="EM-2026-9876")
    with pytest.raises(InvalidInput):
        identity_packs.register_scanned(clerk(database), scanned="mrn:RXH:123")
    assert patients.list_patients(clerk(database), hospital_id=ward.hospital)[1] == 0


def test_once_identified_the_casualty_s_record_merges_and_every_flag_and_antibody_follows(database):
    ward = make_ward(database)
    known = make_patient(database, ("mrn", "RXH:777001"), hospital_id=ward.hospital)
    make_antibody(database, known, "anti-K")
    pack = identity_packs.print_pack(clerk(database), hospital_id=ward.hospital, count=1, place="trauma bay 1")
    casualty = identity_packs.register_scanned(clerk(database), scanned=pack.numbers[0], sex="M").patient
    make_antibody(database, casualty.id, "anti-E")  # found on the emergency sample
    make_requirement(database, casualty.id, "irradiated")
    mtp = massive_transfusion.activate(clerk(database), patient_id=casualty.id, reason="crush injury")

    merged = merge_patients(clerk(database), survivor_id=known, duplicate_id=casualty.id,
                            reason="identified by his family")

    with database.sessions() as session:
        profile = load_profile(session, known)
    assert {"anti-K", "anti-E"} <= set(profile.antibodies)
    assert "irradiated" in profile.requirements
    assert ("emergency", pack.numbers[0]) in merged.identifiers
    assert identity_packs.register_scanned(clerk(database), scanned=pack.numbers[0]).patient.id == known
    assert massive_transfusion.get(clerk(database), mtp_id=mtp.id).patient.id == known
