from __future__ import annotations

import re
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Donation, Site, Unit
from bloodbank.domain.isbt128 import encode_expiry, parse_din, parse_expiry
from bloodbank.entrypoints.cli import context
from bloodbank.entrypoints.cli.blood.processing import app
from tests.integration.collection_fixtures import audit_entries
from tests.integration.lab_fixtures import audit_entries as audit_log
from tests.integration.processing_fixtures import counts, make_donation, make_site, printed
from tests.integration.web_fixtures import make_user

runner = CliRunner()


@pytest.fixture
def cli(database):
    context.set_database_url(database.url)
    make_user(database, "lab_technician", "proc.fay")
    yield lambda *args, user="proc.fay": runner.invoke(app, [str(a) for a in args], env={"BLOODBANK_USER": user})
    context.set_database_url(None)


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def unit_count(database) -> int:
    with database.sessions() as session:
        return session.query(Unit).count()


def unit_ids(output: str) -> list[str]:
    return re.findall(r"unit (\d+) ", output)


def test_process_label_verify_and_show_from_the_command_line(database, cli, tmp_path):
    donation_id = make_donation(database, site_id=make_site(database), group="A+")

    made = cli("process", donation_id, "--method", "buffy_coat")
    assert made.exit_code == 0, made.output
    assert "2 unit(s) made, in quarantine" in made.output and "X0003" in made.output
    red_id = unit_ids(made.output)[0]
    din = parse_din(re.search(r"(\w{5} \d\d \d{6} [0-9A-Z*])", made.output).group(1))

    out = tmp_path / "label.pdf"
    written = cli("label", red_id, "--out", out)
    assert written.exit_code == 0, written.output
    assert out.read_bytes().startswith(b"%PDF")
    scanned = printed(out.read_bytes())
    assert (scanned["scanned_din"], scanned["scanned_group"], scanned["scanned_product"]) == (
        din.barcode, "=%6200", "=<X0003V00")

    verified = cli("verify-label", red_id, *scan_options(scanned))
    assert verified.exit_code == 0, verified.output
    assert "Label verified" in verified.output
    assert audit_entries(database, "unit", red_id)[-1].actor == "proc.fay"

    shown = cli("show", din.eye_readable)
    assert shown.exit_code == 0 and "label verified" in shown.output and "X0006" in shown.output


def test_a_mismatching_label_is_a_clerk_message_and_exit_code_1(database, cli, tmp_path):
    donation_id = make_donation(database, site_id=make_site(database))
    red_id = unit_ids(cli("process", donation_id, "--method", "prp").output)[0]
    cli("label", red_id, "--out", tmp_path / "label.pdf")
    scanned = printed((tmp_path / "label.pdf").read_bytes())

    result = cli("verify-label", red_id, *scan_options({**scanned, "scanned_din": "=%5100"}))

    assert result.exit_code == 1
    assert "blood group, not a DIN" in result.output and "Traceback" not in result.output


def scan_options(scanned: dict) -> list[str]:
    return ["--din", scanned["scanned_din"], "--group", scanned["scanned_group"],
            "--product", scanned["scanned_product"], "--expiry", scanned["scanned_expiry"]]


@pytest.mark.parametrize("change, message", [
    (lambda s: {"scanned_group": "=%1700"},
     "the blood group scanned is B RhD negative (=%1700), this unit is O RhD positive (=%5100)"),
    (lambda s: {"scanned_expiry": encode_expiry(parse_expiry(s["scanned_expiry"]) + timedelta(hours=1))},
     "the expiry scanned is"),
    (lambda s: {"scanned_group": s["scanned_product"]}, "This barcode is a product code, not a blood group"),
])
def test_a_label_with_another_group_or_expiry_is_refused_with_exit_code_1_and_nothing_recorded(
        database, cli, tmp_path, change, message):
    donation_id = make_donation(database, site_id=make_site(database), group="O+")
    red_id = unit_ids(cli("process", donation_id, "--method", "prp").output)[0]
    cli("label", red_id, "--out", tmp_path / "label.pdf")
    scanned = printed((tmp_path / "label.pdf").read_bytes())
    before = counts(database)

    result = cli("verify-label", red_id, *scan_options({**scanned, **change(scanned)}))

    assert result.exit_code == 1, result.output
    assert message in said(result) and "Traceback" not in result.output
    assert counts(database) == before


def test_the_label_carries_its_expiry_on_the_sites_clock_and_a_label_from_another_clock_is_refused(
        database, cli, tmp_path):
    site_id = make_site(database)
    donation_id = make_donation(database, site_id=site_id)
    red_id = unit_ids(cli("process", donation_id, "--method", "prp").output)[0]
    cli("label", red_id, "--out", tmp_path / "utc.pdf")
    on_utc = printed((tmp_path / "utc.pdf").read_bytes())
    with database.sessions() as session, session.begin():
        session.get(Site, site_id).time_zone = "America/Chicago"
    cli("label", red_id, "--out", tmp_path / "chicago.pdf")
    on_chicago = printed((tmp_path / "chicago.pdf").read_bytes())
    assert on_utc["scanned_expiry"] != on_chicago["scanned_expiry"]

    stale = cli("verify-label", red_id, *scan_options(on_utc))
    fresh = cli("verify-label", red_id, *scan_options(on_chicago))

    assert stale.exit_code == 1 and "the expiry scanned is" in said(stale)
    assert fresh.exit_code == 0 and "Label verified" in fresh.output


def test_pool_split_irradiate_and_cryo_from_the_command_line(database, cli):
    site_id = make_site(database)
    donations = [make_donation(database, site_id=site_id, group="O+") for _ in range(4)]
    outputs = [cli("process", d, "--method", "buffy_coat").output for d in donations]
    red_id, plasma_id = unit_ids(outputs[0])
    with database.sessions() as session:
        site_code = session.get(Site, site_id).code

    pooled = cli("pool", *donations, "--site", site_code)
    assert pooled.exit_code == 0, pooled.output
    assert "Pool made" in pooled.output and "X0008" in pooled.output

    irradiated = cli("irradiate", red_id)
    assert irradiated.exit_code == 0 and "X0005" in irradiated.output and "new label" in irradiated.output

    split = cli("split", red_id, "--parts", 2)
    assert split.exit_code == 0 and "2 aliquots made" in split.output and "div A0" in split.output

    cryo = cli("cryo", plasma_id)
    assert cryo.exit_code == 0 and "X0009" in cryo.output


def test_the_user_must_say_who_they_are(database):
    context.set_database_url(database.url)
    try:
        result = runner.invoke(app, ["process", "1", "--method", "prp"], env={"BLOODBANK_USER": ""})
    finally:
        context.set_database_url(None)
    assert result.exit_code == 2 and "--as" in result.output


def test_every_command_explains_itself():
    result = runner.invoke(app, ["--help"])
    for command in ("process", "pool", "cryo", "split", "irradiate", "label", "verify-label", "show"):
        assert command in result.output


def test_a_donation_is_processed_from_the_scanned_din_on_its_bag(database, cli):
    donation_id = make_donation(database, site_id=make_site(database), group="O+")
    with database.sessions() as session:
        din = parse_din(session.get(Donation, donation_id).din)

    made = cli("process", din.barcode, "--method", "prp")
    assert made.exit_code == 0, made.output
    assert "unit(s) made, in quarantine" in made.output and din.eye_readable in made.output

    wrong = cli("process", din.eye_readable[:-1] + ("A" if din.eye_readable[-1] != "A" else "B"), "--method", "prp")
    assert wrong.exit_code == 1 and "Check character" in wrong.output and "Traceback" not in wrong.output


def test_processing_as_a_name_with_no_account_is_refused_and_logged(database, cli):
    donation_id = make_donation(database, site_id=make_site(database))
    entries = len(audit_log(database))

    result = cli("process", donation_id, "--method", "prp", user="nobody")

    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert unit_count(database) == 0
    [denied] = audit_log(database)[entries:]
    assert denied.action == "access_denied" and denied.entity_id == "processing"


def test_a_clerk_may_not_process_a_donation_from_the_command_line(database, cli):
    make_user(database, "clerk", "clerk.ann")
    donation_id = make_donation(database, site_id=make_site(database))
    entries = len(audit_log(database))

    result = cli("process", donation_id, "--method", "prp", user="clerk.ann")

    assert result.exit_code == 1 and "may not do this" in said(result) and "'processing'" in said(result)
    assert unit_count(database) == 0
    [denied] = audit_log(database)[entries:]
    assert denied.action == "access_denied" and denied.actor == "clerk.ann"


def test_a_phlebotomist_may_not_list_a_dins_units_from_the_command_line(database, cli):
    make_user(database, "phlebotomist", "phleb.pat")
    donation_id = make_donation(database, site_id=make_site(database))
    made = cli("process", donation_id, "--method", "prp")
    din = parse_din(re.search(r"(\w{5} \d\d \d{6} [0-9A-Z*])", made.output).group(1))

    result = cli("show", din.eye_readable, user="phleb.pat")

    assert result.exit_code == 1 and "may not do this" in said(result) and "'units.read'" in said(result)
    assert din.eye_readable not in said(result)
    assert audit_log(database)[-1].action == "access_denied"
