"""The donor's record on the web: details corrected with their history kept, deferrals listed, added and lifted."""

from datetime import date, timedelta

from sqlalchemy import select

from bloodbank.adapters.db.models import AuditEntry
from bloodbank.service_layer.donors.search import search_donors
from tests.integration.donor_fixtures import clerk, make_deferral, register
from tests.integration.web_fixtures import browser


def form(client, **fields):
    return {"csrf_token": client.csrf, **fields}


def identity(donor):
    return dict(given_name=donor.given_name, family_name=donor.family_name,
                date_of_birth=donor.date_of_birth.isoformat(), sex=donor.sex)


def test_a_clerk_corrects_a_phone_and_the_change_is_kept_with_its_reason(database):
    donor = register(database, given_name="Salma", family_name="Aziz", phone="0700 000 001")
    client = browser(database, "clerk")
    saved = client.post(f"/desk/donors/{donor.id}/details", data=form(
        client, phone="0700 111 222", email="", address="4 Mill Lane", postcode="", preferred_site_id="",
        reason="new phone given by the donor", **identity(donor)))
    assert saved.status_code == 303
    page = client.get(f"/desk/donors/{donor.id}/details")
    assert "0700111222" in page.text and "new phone given by the donor" in page.text
    assert "address, phone" in page.text  # the details changed, named in the history
    assert [d.id for d in search_donors(clerk(database), phone="0700 111 222")] == [donor.id]


def test_a_name_changed_without_a_reason_is_refused_and_nothing_is_saved(database):
    donor = register(database, given_name="Salma", family_name="Aziz")
    client = browser(database, "clerk")
    refused = client.post(f"/desk/donors/{donor.id}/details", data=form(
        client, phone="", email="", address="", postcode="", preferred_site_id="", reason="",
        **{**identity(donor), "family_name": "Azeez"}))
    assert refused.status_code == 422 and "needs a reason" in refused.text
    assert "Azeez" in refused.text  # what was typed is kept on the form
    assert search_donors(clerk(database), text="azeez") == []


def test_the_desk_sees_deferral_dates_only_and_the_director_reads_the_reasons_in_an_audited_read(database):
    donor = register(database, given_name="Omar", family_name="Farouk")
    make_deferral(database, donor.id)
    desk = browser(database, "clerk").get(f"/desk/donors/{donor.id}/deferrals")
    assert desk.status_code == 200 and "haemoglobin below threshold" not in desk.text and "low_hb" not in desk.text
    director = browser(database, "medical_director").get(f"/desk/donors/{donor.id}/deferrals")
    assert "haemoglobin below threshold" in director.text and "low_hb" in director.text
    with database.sessions() as session:
        reads = session.execute(select(AuditEntry.actor).where(AuditEntry.entity == "deferral",
                                                               AuditEntry.action == "read")).scalars().all()
    assert reads == ["medical-director"]


def test_only_the_director_defers_and_lifts_and_a_lift_through_another_donors_page_is_not_found(database):
    donor = register(database, given_name="Omar", family_name="Farouk")
    other = register(database, given_name="Lina", family_name="Saad")
    theirs = make_deferral(database, other.id)
    clerk_page = browser(database, "clerk")
    until = (date.today() + timedelta(days=120)).isoformat()
    add = dict(code="tattoo", kind="temporary", ends_on=until, reason="tattoo last week")
    assert clerk_page.post(f"/desk/donors/{donor.id}/deferrals", data=form(clerk_page, **add)).status_code == 403
    director = browser(database, "medical_director")
    assert director.post(f"/desk/donors/{donor.id}/deferrals", data=form(director, **add)).status_code == 303
    page = director.get(f"/desk/donors/{donor.id}/deferrals")
    assert "tattoo last week" in page.text and f"Deferred until {until}" in page.text
    wrong = director.post(f"/desk/donors/{donor.id}/deferrals/{theirs}/lift", data=form(director, reason="error"))
    assert wrong.status_code == 404
    mine = page.text.split(f"/desk/donors/{donor.id}/deferrals/")[1].split("/lift")[0]
    lifted = director.post(f"/desk/donors/{donor.id}/deferrals/{mine}/lift", data=form(director, reason="recorded in error"))
    assert lifted.status_code == 303
    assert "Not deferred." in director.get(f"/desk/donors/{donor.id}/deferrals").text
