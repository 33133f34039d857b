import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Donation, Signature, Unit
from bloodbank.entrypoints.cli.blood import lab as cli
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.service_layer.blood.testing import results_for_donation
from tests.integration.web_fixtures import PASSWORD, make_user
from tests.integration.lab_fixtures import (
    audit_entries, counts, get, lab, make_donation, make_site, make_unit, pass_all_tests, self_exclude, status_of,
)

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_database(database):
    set_database_url(database.url)
    make_user(database, "lab_technician", "lab.lee")
    yield
    set_database_url(None)


def run(*args, user="lab.lee", password=PASSWORD):
    env = {"BLOODBANK_USER": user} if user else {}
    env["BLOODBANK_PASSWORD"] = password
    return runner.invoke(cli.app, [str(a) for a in args], env=env)


def said(result) -> str:
    """The output with the console's line wrapping undone."""
    return " ".join(result.output.split())


def donation_and_unit(database, **unit_kw):
    site = make_site(database)
    donation = make_donation(database, site_id=site)
    return donation, make_unit(database, donation_id=donation, site_id=site, **unit_kw), site


def din_of(database, donation):
    return get(database, Donation, donation).din


def test_results_are_recorded_and_the_unit_released_from_the_command_line(database):
    donation, unit, _ = donation_and_unit(database)
    set_up = len(audit_entries(database))
    din = din_of(database, donation)
    for test, outcome in (("abo_rh", "A+"), ("hiv", "negative"), ("hbv", "negative"), ("hcv", "negative")):
        result = run("result", din, test, outcome)
        assert result.exit_code == 0, result.output
    result = run("why", unit)
    assert "Syphilis test has no final result" in said(result)
    assert run("result", din, "syphilis", "negative").exit_code == 0
    # Typed by hand: nothing counts for release until each is entered a second time.
    refused = run("release", unit)
    assert refused.exit_code == 1 and "HIV result typed by hand, awaiting a second entry" in said(refused)
    assert status_of(database, unit) == "quarantined"
    for view in results_for_donation(lab(database), donation):
        entered = run("second-entry", view.id, view.value or view.outcome)
        assert entered.exit_code == 0 and "Verified" in said(entered), entered.output
    result = run("release", unit)
    assert result.exit_code == 0 and "Released" in said(result), result.output
    assert status_of(database, unit) == "available"
    assert {e.actor for e in audit_entries(database)[set_up:]} == {"lab.lee"}


def test_writes_need_a_user_name(database):
    donation, _, _ = donation_and_unit(database)
    before = counts(database)
    result = run("result", din_of(database, donation), "hiv", "negative", user=None)
    assert result.exit_code != 0 and "--as" in said(result)
    assert counts(database) == before


def test_a_refused_release_shows_every_reason_and_exits_with_an_error(database):
    _, unit, _ = donation_and_unit(database, label_verified=False)
    before = counts(database)
    result = run("release", unit)
    assert result.exit_code == 1
    assert "HIV test has no final result" in said(result) and "label has not been verified" in said(result)
    assert counts(database) == before


def test_a_reactive_unit_cannot_be_released_from_the_command_line(database):
    donation, unit, _ = donation_and_unit(database)
    pass_all_tests(database, donation, skip=("hiv",))
    result = run("result", din_of(database, donation), "hiv", "reactive")
    assert result.exit_code == 0 and "1 unit(s) discarded" in said(result), result.output
    result = run("release", unit)
    assert result.exit_code == 1 and "can never be released" in said(result)
    assert status_of(database, unit) == "discarded"


def test_a_self_excluded_unit_is_reported_only_as_not_suitable(database):
    donation, unit, _ = donation_and_unit(database)
    pass_all_tests(database, donation)
    self_exclude(database, donation)
    result = run("release", unit)
    assert result.exit_code == 1 and "not suitable for transfusion" in said(result)
    assert "exclu" not in said(result).lower()
    assert get(database, Unit, unit).status == "discarded"


def test_a_correction_needs_a_reason(database):
    donation, _, _ = donation_and_unit(database)
    run("result", din_of(database, donation), "hcv", "negative")
    [first] = results_for_donation(lab(database), donation)
    assert run("correct", first.id, "reactive").exit_code != 0
    result = run("correct", first.id, "reactive", "--reason", "transcription error")
    assert result.exit_code == 0 and "discarded" in said(result), result.output


def test_a_batch_file_keeps_good_lines_and_names_the_bad_ones(database, tmp_path):
    donation, _, _ = donation_and_unit(database)
    din = din_of(database, donation)
    path = tmp_path / "results.csv"
    path.write_text(
        "din,test,outcome,value\n"
        f"{din},hiv,negative,\n"
        f"{din},hbv\n"
        f"{din},hcv,maybe,\n"
        f"{din},abo_rh,typed,A+\n"
        "\n"
        f"{din},syphilis,negative,0.1,extra\n",
        encoding="utf-8",
    )
    result = run("batch", path)
    assert result.exit_code == 1
    assert "2 recorded, 3 refused" in said(result)
    for line in (3, 4, 7):
        assert f"line {line}: refused" in said(result)
    assert sorted(v.test for v in results_for_donation(lab(database), donation)) == ["abo_rh", "hiv"]


def test_the_quarantine_board_and_follow_ups_from_the_command_line(database):
    donation, unit, site = donation_and_unit(database)
    pass_all_tests(database, donation, skip=("hbv",))
    result = run("quarantine", "--site", site)
    assert result.exit_code == 0 and "awaiting results" in said(result) and "HBV" in said(result)
    run("result", din_of(database, donation), "hbv", "reactive")
    result = run("follow-ups")
    assert result.exit_code == 0 and "reactive_marker" in said(result), result.output
    assert audit_entries(database)[-1].action == "read"
    assert run("quarantine").output.strip() == "No units in quarantine."


def test_a_release_is_signed_with_the_releasers_own_password(database):
    donation, unit, _ = donation_and_unit(database)
    pass_all_tests(database, donation)
    result = run("release", unit)
    assert result.exit_code == 0, result.output
    with database.sessions() as s:
        [signature] = s.query(Signature).all()
    assert signature.action == "release" and signature.entity_id == str(unit)
    assert signature.signer_name == "Test lab_technician"


def test_a_release_with_a_wrong_password_releases_nothing_and_is_logged(database):
    donation, unit, _ = donation_and_unit(database)
    pass_all_tests(database, donation)
    result = run("release", unit, password="not my password at all")
    assert result.exit_code == 1 and "password does not match" in said(result)
    assert status_of(database, unit) == "quarantined"
    assert audit_entries(database)[-1].action == "signature_refused"


def test_a_release_in_the_name_of_someone_without_an_account_is_refused_and_logged(database):
    donation, unit, _ = donation_and_unit(database)
    pass_all_tests(database, donation)
    result = run("release", unit, user="nobody")
    assert result.exit_code == 1 and "no active account named 'nobody'" in said(result)
    assert status_of(database, unit) == "quarantined"
    denied = audit_entries(database)[-1]
    assert denied.action == "access_denied" and denied.entity_id == "release"


def test_a_clerk_reads_no_test_result_from_the_command_line(database):
    make_user(database, "clerk", "clerk.ann")
    donation, _, _ = donation_and_unit(database)
    pass_all_tests(database, donation)
    result = run("results", din_of(database, donation), user="clerk.ann")
    assert result.exit_code == 1 and "may not do this" in said(result)
    assert "negative" not in said(result)
    assert audit_entries(database)[-1].action == "access_denied"
