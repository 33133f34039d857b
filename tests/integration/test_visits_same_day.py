"""A donor found not eligible at screening is not screened again the same day without a signed override."""

import pytest
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Signature
from bloodbank.domain.errors import Conflict, DonorIneligible
from bloodbank.entrypoints.cli.context import set_database_url
from bloodbank.entrypoints.cli.donors import visits as visits_cli
from bloodbank.service_layer.donors.same_day import allow_rescreen
from bloodbank.service_layer.donors.visits import check_in
from tests.integration.visit_fixtures import audit_entries, clerk, make_donor, make_site, screen
from tests.integration.web_fixtures import PASSWORD, api, make_user


def found_anaemic(database) -> tuple[int, int, int]:
    site, donor = make_site(database), make_donor(database)
    visit = check_in(clerk(database), donor_id=donor, site_id=site).id
    assert not screen(database, visit, hemoglobin_g_dl=11.0).eligible
    return site, donor, visit


def test_a_second_check_in_the_same_day_is_refused_and_names_the_visit(database):
    site, donor, visit = found_anaemic(database)
    with pytest.raises(DonorIneligible, match=f"found not eligible at screening today \\(visit {visit}\\)"):
        check_in(clerk(database), donor_id=donor, site_id=site)


def test_after_a_directors_override_the_donor_may_be_checked_in_and_screened_once_more(database):
    site, donor, visit = found_anaemic(database)
    allow_rescreen(clerk(database, "dr.mora"), visit_id=visit, reason="haemoglobin analyser failed its control")
    again = check_in(clerk(database), donor_id=donor, site_id=site)
    assert screen(database, again.id, hemoglobin_g_dl=13.4).eligible
    [entry] = audit_entries(database, action="allow_rescreen")
    assert entry.actor == "dr.mora" and entry.reason == "haemoglobin analyser failed its control"


def test_an_override_needs_a_reason_and_a_visit_found_not_eligible(database):
    site, donor = make_site(database), make_donor(database)
    healthy = check_in(clerk(database), donor_id=donor, site_id=site).id
    screen(database, healthy)
    with pytest.raises(Conflict, match="nothing to override"):
        allow_rescreen(clerk(database, "dr.mora"), visit_id=healthy, reason="because")
    _, _, visit = found_anaemic(database)
    with pytest.raises(Exception, match="Say why"):
        allow_rescreen(clerk(database, "dr.mora"), visit_id=visit, reason="  ")


def test_the_override_through_the_api_is_signed_and_refused_to_a_clerk(database):
    _, _, visit = found_anaemic(database)
    body = {"reason": "cuvette was dirty", "signature_password": PASSWORD}
    refused = api(database, "clerk").post(f"/api/visits/{visit}/rescreen-override", json=body)
    assert refused.status_code == 403
    wrong = api(database, "medical_director").post(f"/api/visits/{visit}/rescreen-override",
                                                   json={**body, "signature_password": "not mine at all"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "signature_refused"
    assert not audit_entries(database, action="allow_rescreen")
    done = api(database, "medical_director", "dr.api").post(f"/api/visits/{visit}/rescreen-override", json=body)
    assert done.status_code == 200, done.text
    with database.sessions() as s:
        [signature] = s.query(Signature).all()
    assert signature.action == "override" and "second screening today" in signature.meaning


def test_the_override_from_the_command_line_is_signed(database):
    _, _, visit = found_anaemic(database)
    make_user(database, "medical_director", "dr.cli")
    set_database_url(database.url)
    try:
        result = CliRunner().invoke(visits_cli.app, ["allow-rescreen", str(visit), "--reason", "recalibrated"],
                                    env={"BLOODBANK_USER": "dr.cli", "BLOODBANK_PASSWORD": PASSWORD})
    finally:
        set_database_url(None)
    assert result.exit_code == 0, result.output
    with database.sessions() as s:
        assert [x.action for x in s.query(Signature).all()] == ["override"]


def test_the_override_on_the_desks_visit_page_is_signed_and_offered_only_to_a_director(database):
    from bloodbank.adapters.db.models import Visit
    from tests.integration.web_fixtures import browser

    _, _, visit = found_anaemic(database)
    clerk_page = browser(database, "clerk").get(f"/desk/visits/{visit}")
    assert clerk_page.status_code == 200 and "rescreen-override" not in clerk_page.text
    director = browser(database, "medical_director")
    assert 'id="rescreen-override"' in director.get(f"/desk/visits/{visit}").text
    path = f"/desk/visits/{visit}/rescreen-override"
    wrong = director.post(path, data={"csrf_token": director.csrf, "reason": "analyser fault",
                                      "signature_password": "not mine at all"})
    assert wrong.status_code == 403
    done = director.post(path, data={"csrf_token": director.csrf, "reason": "analyser fault",
                                     "signature_password": PASSWORD}, follow_redirects=True)
    assert done.status_code == 200 and "Override signed" in done.text
    with database.sessions() as s:
        assert s.get(Visit, visit).rescreen_allowed_by == "medical-director"
