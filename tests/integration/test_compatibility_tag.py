"""The compatibility tag: printed at issue with the patient, the unit and the basis of the match; its barcodes
read back as a scanner reads them; scanned at the bedside, a tag of another issue is a stop."""

from __future__ import annotations

import subprocess

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import AuditEntry
from bloodbank.domain.compatibility_tag import tag_code
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.entrypoints.cli.app import app as cli_app
from bloodbank.service_layer.hospital.compatibility_tag import print_tag
from bloodbank.service_layer.hospital.transfusion import start_transfusion
from tests.integration.test_labels_barcodes import label_readers, read_barcodes  # noqa: F401 (fixture)
from tests.integration.trace_fixtures import (
    VITALS, build_chain, clerk, counts, issue_unit, make_patient, make_unit,
)
from tests.integration.web_fixtures import api, browser, make_user
from sqlalchemy import select


@pytest.fixture
def ward(database):
    chain = build_chain(database)
    chain.patients["P9"], chain.wristbands["P9"] = make_patient(database, chain.hospital_id)
    unit_id = make_unit(database, din=chain.dins["B"], kind="plasma", site_id=chain.site_id,
                        donation_id=chain.donations["B"], parents=(chain.units["WB_B"],), volume_ml=280)
    chain.units["ISSUED"] = unit_id
    chain.issues["ISSUED"], _ = issue_unit(database, unit_id, chain.patients["P9"], chain.hospital_id, minutes_ago=5)
    return chain


def test_the_tag_s_barcodes_read_back_as_the_band_the_bag_and_the_issue(database, ward, tmp_path):
    pdf = print_tag(clerk(database, "bms.lee"), issue_id=ward.issues["ISSUED"])
    scanned = read_barcodes(pdf, tmp_path)
    assert scanned == sorted([ward.wristbands["P9"], ward.dins["B"].barcode, tag_code(ward.issues["ISSUED"])])
    (tmp_path / "tag.pdf").write_bytes(pdf)
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "tag.pdf"), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "COMPATIBILITY TAG" in text and "MARY EXAMPLE" in text and ward.dins["B"].eye_readable[:-1].strip() in text
    assert "ABO/RhD compatible: no crossmatch needed for this component" in text
    with database.sessions() as session:
        [entry] = session.execute(select(AuditEntry).where(AuditEntry.action == "print_compatibility_tag")).scalars()
        assert entry.entity_id == str(ward.issues["ISSUED"])


def test_a_tag_is_printed_only_for_an_issue_the_caller_sees(database, ward):
    with pytest.raises(NotFound):
        print_tag(clerk(database), issue_id=999999)
    outsider = api(database, "hospital_staff", "nurse.out")  # of no hospital
    assert outsider.get(f"/api/issues/{ward.issues['ISSUED']}/tag.pdf").status_code == 404
    insider = api(database, "hospital_staff", "nurse.in", hospitals=(ward.hospital_id,))
    answer = insider.get(f"/api/issues/{ward.issues['ISSUED']}/tag.pdf")
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert api(database, "lab_technician").get(f"/api/issues/{ward.issues['ISSUED']}/tag.pdf").status_code == 403


def _start(database, ward, tag):
    return start_transfusion(clerk(database, "nurse.kim"), issue_id=ward.issues["ISSUED"],
                             scanned_unit=ward.dins["B"].barcode, scanned_patient=ward.wristbands["P9"],
                             vitals_before=VITALS, scanned_tag=tag)


def test_a_tag_of_another_issue_scanned_at_the_bedside_is_a_stop_and_nothing_is_recorded(database, ward):
    before = counts(database)
    with pytest.raises(Conflict, match="tag scanned belongs to another issue"):
        _start(database, ward, tag_code(ward.issues["ISSUED"] + 1000))
    with pytest.raises(InvalidInput, match="not a compatibility tag's code"):
        _start(database, ward, "=G123426123456")
    assert counts(database) == before
    assert _start(database, ward, tag_code(ward.issues["ISSUED"]).lower()).unit_status == "issued"


def test_scanning_a_tag_on_the_ward_opens_its_bedside_record(database, ward):
    nurse = browser(database, "hospital_staff", "nurse.web", hospitals=(ward.hospital_id,))
    opened = nurse.get("/hospital/tag", params={"code": tag_code(ward.issues["ISSUED"])})
    assert opened.status_code == 303 and opened.headers["location"] == f"/hospital/issues/{ward.issues['ISSUED']}"
    refused = nurse.get("/hospital/tag", params={"code": "hello"})
    assert refused.status_code == 422 and "not a compatibility tag" in refused.text
    unseen = nurse.get("/hospital/tag", params={"code": tag_code(999999)})
    assert unseen.status_code == 404
    page = nurse.get(f"/hospital/issues/{ward.issues['ISSUED']}")
    assert 'id="tag-link"' in page.text
    assert nurse.get(f"/hospital/issues/{ward.issues['ISSUED']}/tag.pdf").content.startswith(b"%PDF")


def test_the_command_line_writes_the_tag(database, ward, tmp_path):
    make_user(database, "hospital_staff", "nurse.cli", hospitals=(ward.hospital_id,))
    out = tmp_path / "tag.pdf"
    result = CliRunner().invoke(cli_app, ["--database", database.url, "issue", "tag", str(ward.issues["ISSUED"]),
                                          "--out", str(out), "--as", "nurse.cli"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
