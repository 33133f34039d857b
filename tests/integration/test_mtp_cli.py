"""`bloodbank mtp` and `bloodbank identity-packs`: the same rules as the pages and the API, from a terminal."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.hospital import massive_transfusion
from tests.integration.issue_fixtures import clerk, din_scan
from tests.integration.mtp_fixtures import trauma_bay
from tests.integration.web_fixtures import PASSWORD, make_user


def run(database, *args, user, password=PASSWORD):
    return CliRunner().invoke(app, ["--database", database.url, *args],
                              env={"BLOODBANK_USER": user, "BLOODBANK_PASSWORD": password, "COLUMNS": "200"})


def test_a_pack_is_printed_scanned_and_a_cooler_issued_returned_and_the_protocol_ended(database, tmp_path):
    bay = trauma_bay(database)
    make_user(database, "hospital_staff", "dr.cli", hospitals=(bay.ward.hospital,))
    make_user(database, "clerk", "clerk.cli")
    pdf = tmp_path / "pack.pdf"
    printed = run(database, "identity-packs", "print", "--hospital", str(bay.ward.hospital), "--count", "2",
                  "--place", "bay 1", "--out", str(pdf), user="dr.cli")
    assert printed.exit_code == 0, printed.output
    assert pdf.read_bytes().startswith(b"%PDF")
    number = re.search(r"EM-\d{4}-\d{4}", printed.output).group(0)
    scanned = run(database, "identity-packs", "scan", number, "--sex", "F", user="dr.cli")
    assert scanned.exit_code == 0 and "registered" in scanned.output, scanned.output
    assert run(database, "mtp", "activate", "--patient", number, "--reason", "x", user="clerk.cli").exit_code != 0

    activated = run(database, "mtp", "activate", "--patient", number, "--reason", "crush injury", user="dr.cli")
    assert activated.exit_code == 0 and "ratio 2:2:1" in activated.output, activated.output
    mtp_id = re.search(r"Massive transfusion (\d+)", activated.output).group(1)
    packed = run(database, "mtp", "pack", mtp_id, user="dr.cli")
    assert packed.exit_code == 0 and "emergency units" in packed.output, packed.output
    assert "1 platelets short" in packed.output  # AB RhD-positive platelets are not for a woman of unknown group
    round_id = re.search(r"\(id (\d+)\)", packed.output).group(1)
    [cooler] = massive_transfusion.get(clerk(database), mtp_id=int(mtp_id)).rounds
    scans = [arg for u in cooler.units for arg in ("--unit-scan", din_scan(database, u.unit_id))]
    issued = run(database, "mtp", "issue", round_id, *scans, "--patient-scan", number, user="dr.cli")
    assert issued.exit_code == 0 and "issued" in issued.output, issued.output
    back = run(database, "mtp", "return", round_id, "--minutes", "400", "--not-cold", user="dr.cli")
    assert back.exit_code == 0 and "discarded on return" in back.output, back.output
    wrong = run(database, "mtp", "end", mtp_id, user="dr.cli", password="not the password")
    assert wrong.exit_code != 0 and "password does not match" in wrong.output
    ended = run(database, "mtp", "end", mtp_id, "--note", "stopped", user="dr.cli")
    assert ended.exit_code == 0 and "ended" in ended.output and "wasted on return: 4" in ended.output, ended.output
