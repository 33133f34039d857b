"""`bloodbank field`: the panel, a cut-off signed, activation refused outside an emergency, collection, the
signed issue, as the same accounts and rules as the pages and the API."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bloodbank.entrypoints.cli import app
from tests.integration.field_fixtures import ANSWERS, RAPID, field_site, join, open_incident, volunteer
from tests.integration.issue_fixtures import make_patient
from tests.integration.web_fixtures import PASSWORD, make_user


def run(database, *args, user, password=PASSWORD):
    return CliRunner().invoke(app, ["--database", database.url, *args],
                              env={"BLOODBANK_USER": user, "BLOODBANK_PASSWORD": password, "COLUMNS": "200"})


def site_code(database, site_id):
    from bloodbank.adapters.db.models import Site
    with database.sessions() as session:
        return session.get(Site, site_id).code


def test_a_volunteer_joins_and_the_board_shows_them(database):
    site, _ = field_site(database)
    donor = volunteer(database, site, group="O+")
    make_user(database, "clerk", "clerk.cli")
    refused = run(database, "field", "join", "--donor", str(donor), "--site", site_code(database, site),
                  "--consent-version", "2026-01", user="clerk.cli")
    assert refused.exit_code != 0 and "own consent" in refused.output
    joined = run(database, "field", "join", "--donor", str(donor), "--site", site_code(database, site),
                 "--consent-version", "2026-01", "--donor-confirms", user="clerk.cli")
    assert joined.exit_code == 0, joined.output
    board = run(database, "field", "panel", "--site", site_code(database, site), user="clerk.cli")
    assert "LOW TITRE O" in board.output


def test_activation_is_refused_outside_an_emergency_and_to_a_clerk(database):
    site, _ = field_site(database)
    join(database, site, volunteer(database, site))
    make_user(database, "medical_director", "md.cli")
    make_user(database, "clerk", "clerk.cli")
    code = site_code(database, site)
    refused = run(database, "field", "activate", "--site", code, "--waiting", "unknown:2", user="md.cli")
    assert refused.exit_code != 0 and "only in an emergency" in refused.output
    denied = run(database, "field", "activate", "--site", code, "--waiting", "unknown:2", "--incident",
                 str(open_incident(database)), user="clerk.cli")
    assert denied.exit_code != 0
    cut = run(database, "field", "cut-off", "--site", code, "--reason", "pass closed by snow", user="md.cli")
    assert cut.exit_code == 0, cut.output
    cut_id = cut.output.split("Supply cut-off ", 1)[1].split()[0]
    listed = run(database, "field", "activate", "--site", code, "--waiting", "unknown:1", "--cut-off", cut_id,
                 user="md.cli")
    assert listed.exit_code == 0 and "LOW TITRE" in listed.output, listed.output


def test_collection_and_the_signed_issue_from_the_command_line(database, tmp_path):
    site, hospital = field_site(database)
    member = join(database, site, volunteer(database, site, group="O+"))
    make_user(database, "medical_director", "md.cli")
    make_user(database, "phlebotomist", "nurse.cli")
    make_user(database, "hospital_staff", "dr.cli", hospitals=(hospital,))
    incident = open_incident(database)
    activated = run(database, "field", "activate", "--site", site_code(database, site), "--waiting", "unknown:1",
                    "--incident", str(incident), user="md.cli")
    assert activated.exit_code == 0 and "phone in this order" in activated.output, activated.output
    activation_id = activated.output.split("Activation ", 1)[1].split(":", 1)[0]
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"member_id": member, "answers": ANSWERS, "consent_text_version": "2026-01",
                                "confirmed_by_donor": True, "rapid_tests": RAPID, "bedside_group": "O+",
                                "bag_type": "single", "bag_lot": "CPDA-9", "volume_ml": 450}))
    collected = run(database, "field", "collect", activation_id, "--form", str(form), user="nurse.cli")
    assert collected.exit_code == 0 and "NOT FULLY TESTED" in collected.output, collected.output
    unit_id, din = collected.output.split()[1], collected.output.split()[3]
    patient = make_patient(database, group=None, hospital_id=hospital)
    args = ["field", "issue", unit_id, "--patient", str(patient.id), "--scanned-unit", f"={din}00",
            "--scanned-patient", patient.scan, "--because", "the road is cut"]
    wrong = run(database, *args, user="dr.cli", password="not the password")
    assert wrong.exit_code != 0 and "password does not match" in wrong.output
    issued = run(database, *args, user="dr.cli")
    assert issued.exit_code == 0 and "NOT FULLY TESTED, under your signature" in issued.output, issued.output


def test_a_malformed_collection_form_is_refused_in_words(database, tmp_path):
    site, _ = field_site(database)
    make_user(database, "phlebotomist", "nurse.form")
    form = tmp_path / "form.json"
    form.write_text(json.dumps({"member_id": "one", "answers": [], "rapid_tests": "all negative"}))
    result = run(database, "field", "collect", "1", "--form", str(form), user="nurse.form")
    assert result.exit_code != 0 and "lacks" in result.output and "bedside_group" in result.output
    form.write_text(json.dumps({"member_id": "one", "answers": [], "rapid_tests": "all negative",
                                "consent_text_version": "2026-01", "confirmed_by_donor": True,
                                "bedside_group": "O+", "bag_type": "single", "bag_lot": "L", "volume_ml": 450}))
    result = run(database, "field", "collect", "1", "--form", str(form), user="nurse.form")
    assert result.exit_code != 0 and result.exception is None or isinstance(result.exception, SystemExit)
    assert "given by its number" in result.output


def test_availability_and_a_titre_on_a_donation_from_the_command_line(database):
    site, _ = field_site(database)
    member = join(database, site, volunteer(database, site))
    make_user(database, "clerk", "clerk.av")
    away = run(database, "field", "availability", str(member), "--not-available", "--note", "away", user="clerk.av")
    assert away.exit_code == 0 and "not available" in away.output
    bad = run(database, "field", "titre", "--donor", "1", "--anti-a", "100", "--anti-b", "2", user="clerk.av")
    assert bad.exit_code != 0 and "doubling dilution" in bad.output
