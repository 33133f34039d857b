from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.hospital.transfusion import app
from tests.integration.lab_fixtures import audit_entries
from tests.integration.trace_fixtures import (
    build_chain, counts, follow_ups, issue_unit, make_donation, make_donor, make_patient, make_unit, unit_status,
)
from tests.integration.web_fixtures import PASSWORD, join_hospitals, make_user

runner = CliRunner()
BASELINE = ("--temp", "36.8", "--pulse", "72", "--bp", "124/78", "--resp", "16")


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    make_user(database, "hospital_staff", "nurse.kim")
    yield lambda *args, user="nurse.kim", **env: runner.invoke(app, [str(a) for a in args],
                                                                env={"BLOODBANK_USER": user, **env})
    context.set_database_url(None)


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def records(database) -> dict[str, object]:
    """Everything at the bedside but the audit log, which a refusal writes to."""
    return {name: value for name, value in counts(database).items() if name != "audit_entry"}


@pytest.fixture
def bedside(database, cli):
    chain = build_chain(database)
    join_hospitals(database, "nurse.kim", chain.hospital_id)  # the ward's nurse
    make_user(database, "hospital_staff", "nurse.lou", hospitals=(chain.hospital_id,))  # her second checker
    chain.patients["P9"], chain.wristbands["P9"] = make_patient(database, chain.hospital_id)
    donor_id, _ = make_donor(database)
    donation_id, chain.dins["E"] = make_donation(database, chain.site_id, donor_id)
    for key in ("E1", "E2"):
        kind = "red_cells" if key == "E1" else "plasma"
        chain.units[key] = make_unit(database, din=chain.dins["E"], kind=kind, site_id=chain.site_id,
                                     donation_id=donation_id)
        chain.issues[key], _ = issue_unit(database, chain.units[key], chain.patients["P9"], chain.hospital_id,
                                          minutes_ago=10)
    return chain


def test_start_observe_end_and_report_from_the_command_line(database, cli, bedside):
    started = cli("start", bedside.issues["E1"], "--unit", bedside.dins["E"].barcode,
                  "--patient", bedside.wristbands["P9"], *BASELINE, "--checked-by", "nurse.lou",
                  BLOODBANK_SECOND_PASSWORD=PASSWORD)
    assert started.exit_code == 0, started.output
    transfusion_id = re.search(r"Transfusion (\d+)", started.output).group(1)

    during = cli("vitals", transfusion_id, "--temp", "38.6", "--pulse", "110")
    ended = cli("end", transfusion_id, "--volume", "120", "--outcome", "stopped_reaction", *BASELINE)
    reported = cli("reaction", transfusion_id, "--category", "fnhtr", "--severity", "severe",
                   "--imputability", "probable", "--description", "Rigors and fever at 40 minutes.")

    assert during.exit_code == 0 and "possible febrile" in during.output
    assert ended.exit_code == 0 and "stopped_reaction" in ended.output
    assert unit_status(database, bedside.units["E1"]) == "transfused"
    assert reported.exit_code == 0 and "serious" in reported.output and "follow-up opened" in reported.output
    assert len(follow_ups(database)) == 1
    assert cli("show", transfusion_id).exit_code == 0


def test_a_second_checker_s_wrong_password_stops_the_start_and_records_nothing(database, cli, bedside):
    before = records(database)
    result = cli("start", bedside.issues["E1"], "--unit", bedside.dins["E"].barcode,
                 "--patient", bedside.wristbands["P9"], *BASELINE, "--checked-by", "nurse.lou",
                 BLOODBANK_SECOND_PASSWORD="a guess")
    assert result.exit_code != 0 and "second checker's user name or password is wrong" in said(result)
    assert records(database) == before


def test_a_wrong_wristband_stops_with_a_red_message_and_records_nothing(database, cli, bedside):
    before = counts(database)

    result = cli("start", bedside.issues["E1"], "--unit", bedside.dins["E"].barcode,
                 "--patient", bedside.wristbands["P1"], *BASELINE)

    assert result.exit_code == 1 and "Stop: this unit was issued for another patient" in result.output
    assert counts(database) == before


def test_a_badly_typed_blood_pressure_is_refused(database, cli, bedside):
    result = cli("start", bedside.issues["E1"], "--unit", bedside.dins["E"].barcode,
                 "--patient", bedside.wristbands["P9"], "--bp", "120-80", "--temp", "37")
    assert result.exit_code == 1 and "SYSTOLIC/DIASTOLIC" in result.output


def test_return_restocks_or_discards(database, cli, bedside):
    kept = cli("return", bedside.issues["E1"], "--minutes", "20")
    warm = cli("return", bedside.issues["E2"], "--minutes", "50")

    assert kept.exit_code == 0 and "back in stock" in kept.output
    assert warm.exit_code == 0 and "discarded" in warm.output
    assert unit_status(database, bedside.units["E1"]) == "available"
    assert unit_status(database, bedside.units["E2"]) == "discarded"


def test_a_transfusion_started_as_a_name_with_no_account_is_refused_and_logged(database, cli, bedside):
    before, entries = records(database), len(audit_entries(database))
    result = cli("start", bedside.issues["E1"], "--unit", bedside.dins["E"].barcode,
                 "--patient", bedside.wristbands["P9"], *BASELINE, user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert records(database) == before
    [denied] = audit_entries(database)[entries:]
    assert denied.action == "access_denied" and denied.entity_id == "transfusion"


def test_an_inventory_manager_may_not_take_a_unit_back_from_the_ward_on_the_command_line(database, cli, bedside):
    make_user(database, "inventory_manager", "stock.sam")
    before = records(database)
    result = cli("return", bedside.issues["E1"], "--minutes", "20", user="stock.sam")
    assert result.exit_code == 1 and "may not do this" in said(result) and "'transfusion'" in said(result)
    assert records(database) == before and unit_status(database, bedside.units["E1"]) == "issued"
    assert audit_entries(database)[-1].action == "access_denied"
