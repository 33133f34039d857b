"""Each hospital sees its own from the command line too: `--as` a ward's staff, another hospital's records are
not found, in the same words as records that do not exist, and lists hold the ward's own rows."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from bloodbank.entrypoints.cli.app import app
from tests.integration.scope_fixtures import two_hospitals
from tests.integration.web_fixtures import PASSWORD, make_user

runner = CliRunner()


@pytest.fixture
def wards(database):
    a, b = two_hospitals(database)
    make_user(database, "hospital_staff", "alpha.nurse", hospitals=(a.hospital,))
    make_user(database, "medical_director", "dr.mira")
    return a, b


def run(database, *args, user="alpha.nurse"):
    result = runner.invoke(app, ["--database", database.url, *[str(a) for a in args], "--as", user],
                           env={"BLOODBANK_PASSWORD": PASSWORD, "COLUMNS": "250"})
    return result.exit_code, " ".join(result.output.split())


def blank(text: str) -> str:
    return re.sub(r"\d+", "#", text)


COMMANDS = [
    ("orders", "show", "{open_order}"),
    ("orders", "cancel", "{open_order}", "--reason", "postponed"),
    ("issue", "show", "{open_order}"),
    ("issue", "allocate", "{open_order}"),
    ("issue", "release", "{reservation}", "--reason", "not needed"),
    ("issue", "electronic-check", "{patient}"),
    ("issue", "follow-up-done", "{emergency_issue}", "--note", "grouped"),
    ("transfusion", "show", "{transfusion}"),
    ("transfusion", "vitals", "{transfusion}", "--pulse", "80"),
    ("transfusion", "return", "{issue}", "--minutes", "5"),
    ("patients", "end-requirement", "{requirement}", "--reason", "done"),
    ("patients", "show", "id:{patient}"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_another_hospitals_records_are_not_found_from_the_command_line(database, wards, command):
    a, b = wards
    code, hidden = run(database, *(part.format(**vars(b)) for part in command))
    missing_code, missing = run(database, *(re.sub(r"\{\w+\}", "999999", part) for part in command))
    assert code == missing_code == 1
    assert blank(hidden) == blank(missing) and "Bravo" not in hidden
    _, own = run(database, *(part.format(**vars(a)) for part in command))
    assert blank(own) != blank(missing), own  # the ward's own record is found


def test_lists_and_searches_from_the_command_line_hold_only_the_wards_own_patients_and_orders(database, wards):
    a, b = wards
    _, found = run(database, "patients", "find", "Ada")
    assert "Alphafamily" in found and "Bravofamily" not in found
    _, scanned = run(database, "patients", "show", b.wristband)
    assert "No patient has the identifier" in scanned and "Bravofamily" not in scanned
    _, listed = run(database, "orders", "list")
    rows = re.findall(r"│ (\d+) │ (\d+) │", listed)  # order, hospital
    assert (str(a.open_order), str(a.hospital)) in rows and {h for _, h in rows} == {str(a.hospital)}
    _, hospitals = run(database, "hospitals", "list")
    assert a.code in hospitals and b.code not in hospitals
    _, everyone = run(database, "hospitals", "list", user="dr.mira")
    assert a.code in everyone and b.code in everyone


def test_an_order_or_a_patient_for_another_hospital_is_refused_from_the_command_line(database, wards):
    a, b = wards
    code, said = run(database, "orders", "place", "--hospital", b.code, "--for-stock", "--kind", "plasma",
                     "--quantity", 1, "--needed-by", "2099-01-01 10:00")
    assert code == 1 and f"There is no hospital {b.code}" in said
    code, said = run(database, "patients", "register", "--hospital", b.code, "--id", "passport:GBR:999888777")
    assert code == 1 and f"There is no hospital {b.code}" in said
    code, said = run(database, "orders", "place", "--hospital", a.code, "--patient", b.wristband, "--kind",
                     "plasma", "--quantity", 1, "--needed-by", "2099-01-01 10:00")
    assert code == 1 and "No patient has the identifier" in said
