"""The phlebotomist's pages: who is waiting, and one visit at the chair from the first label to the last mL."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

from sqlalchemy import select, update

from bloodbank.adapters.db.models import AdverseReaction, Donation
from tests.integration.collection_fixtures import counts, make_site, make_visit
from tests.integration.visit_fixtures import consented_visit
from tests.integration.web_fixtures import browser


POST_FORM = re.compile(r'<form[^>]*method="post"[^>]*>(.*?)</form>', re.S)


def assert_forms_carry_the_session_token(client, answer) -> None:
    """A browser posts the page's own token, not the test's: every form on the page must hold it."""
    forms = POST_FORM.findall(answer.text)
    assert len(forms) > 1  # the logout form and at least one of the page's own
    for form in forms:
        assert f'name="csrf_token" value="{client.csrf}"' in form, form[:200]


def page_text(answer) -> str:
    return html.unescape(answer.text)


def donation_of(database, visit_id: int) -> Donation | None:
    with database.sessions() as session:
        return session.execute(select(Donation).where(Donation.visit_id == visit_id)).scalar_one_or_none()


def test_the_phlebotomists_home_lists_the_visits_ready_for_collection(database):
    site, _, visit_id = consented_visit(database)
    client = browser(database, "phlebotomist")

    answer = client.get("/collection", params={"site_id": site})

    assert answer.status_code == 200
    assert "Ready for collection" in answer.text
    assert f'href="/collection/visits/{visit_id}"' in answer.text
    assert client.get("/collection").status_code == 200  # no site chosen: the one with someone waiting


def test_a_phlebotomist_starts_and_finishes_a_collection_through_the_pages(database):
    _, _, visit_id = consented_visit(database)
    client = browser(database, "phlebotomist")
    page = client.get(f"/collection/visits/{visit_id}")
    assert page.status_code == 200 and "Start collection" in page.text and 'name="bag_lot"' in page.text
    assert_forms_carry_the_session_token(client, page)

    started = client.post(f"/collection/visits/{visit_id}/start",
                          data={"bag_type": "quadruple", "bag_lot": "LOT-0426", "planned_volume_ml": "450",
                                "csrf_token": client.csrf})

    assert started.status_code == 303
    assert started.headers["location"] == f"/collection/visits/{visit_id}?done=started"
    donation = donation_of(database, visit_id)
    assert donation.status == "in_progress" and donation.bag_lot == "LOT-0426"
    shown = client.get(started.headers["location"])
    assert "Collection started" in shown.text
    din_view = client.get(f"/api/donations/{donation.id}").json()
    assert f'aria-label="DIN {din_view["din_eye_readable"]}"' in shown.text
    assert f'href="/collection/donations/{donation.id}/din-labels.pdf"' in shown.text
    assert_forms_carry_the_session_token(client, shown)
    labels = client.get(f"/collection/donations/{donation.id}/din-labels.pdf")
    assert labels.status_code == 200 and labels.content.startswith(b"%PDF")

    finished = client.post(f"/collection/visits/{visit_id}/finish",
                           data={"donation_id": str(donation.id), "volume_ml": "452", "csrf_token": client.csrf})

    assert finished.status_code == 303
    done = client.get(finished.headers["location"])
    assert "Collection finished" in done.text and "452 mL" in done.text and "Finish collection" not in done.text
    assert donation_of(database, visit_id).status == "complete"


def test_a_planned_volume_above_the_donors_maximum_is_refused_and_what_was_typed_stays(database):
    site = make_site(database)
    visit_id = make_visit(database, site_id=site, weight_kg=55)
    client = browser(database, "phlebotomist")
    before = counts(database)

    answer = client.post(f"/collection/visits/{visit_id}/start",
                         data={"bag_type": "triple", "bag_lot": "LOT-XYZ-9", "planned_volume_ml": "480",
                               "csrf_token": client.csrf})

    assert answer.status_code == 422
    text = page_text(answer)
    assert "Planned volume 480 mL is above this donor's maximum of 464 mL" in text
    assert 'value="LOT-XYZ-9"' in answer.text and 'value="480"' in answer.text
    assert '<option value="triple" selected>' in answer.text
    assert counts(database) == before


def test_a_volume_that_is_not_a_number_is_refused_in_words_and_kept(database):
    _, _, visit_id = consented_visit(database)
    client = browser(database, "phlebotomist")

    answer = client.post(f"/collection/visits/{visit_id}/start",
                         data={"bag_type": "quadruple", "bag_lot": "L-1", "planned_volume_ml": "45O",
                               "csrf_token": client.csrf})

    assert answer.status_code == 422
    assert "must be a whole number of millilitres; got '45O'" in page_text(answer)
    assert 'value="45O"' in answer.text
    assert donation_of(database, visit_id) is None


def test_a_visit_without_consent_says_why_and_a_start_is_refused_with_nothing_created(database):
    site = make_site(database)
    visit_id = make_visit(database, site_id=site, status="screened", consent=False)
    client = browser(database, "phlebotomist")

    page = client.get(f"/collection/visits/{visit_id}")
    forced = client.post(f"/collection/visits/{visit_id}/start",
                         data={"bag_type": "quadruple", "bag_lot": "L-1", "csrf_token": client.csrf})

    assert "Not ready for collection" in page.text and "No consent is recorded for this visit" in page.text
    assert "Start collection" not in page.text
    assert forced.status_code == 422 and "No consent is recorded for this visit" in forced.text
    assert donation_of(database, visit_id) is None


def test_stopping_without_a_reason_is_refused_and_the_volume_typed_stays(database):
    _, _, visit_id = consented_visit(database)
    client = browser(database, "phlebotomist")
    client.post(f"/collection/visits/{visit_id}/start",
                data={"bag_type": "quadruple", "bag_lot": "L-1", "planned_volume_ml": "", "csrf_token": client.csrf})
    donation = donation_of(database, visit_id)

    refused = client.post(f"/collection/visits/{visit_id}/abort",
                          data={"donation_id": str(donation.id), "reason": " ", "volume_in_bag_ml": "120",
                                "csrf_token": client.csrf})
    stopped = client.post(f"/collection/visits/{visit_id}/abort",
                          data={"donation_id": str(donation.id), "reason": "vein lost", "volume_in_bag_ml": "120",
                                "csrf_token": client.csrf})

    assert refused.status_code == 422 and "Say why the collection stopped" in refused.text
    assert 'value="120"' in refused.text
    assert stopped.status_code == 303
    assert donation_of(database, visit_id).status == "aborted"
    assert "Stopped" in client.get(stopped.headers["location"]).text


def test_an_adverse_reaction_is_recorded_from_the_visit_page(database):
    _, _, visit_id = consented_visit(database)
    client = browser(database, "phlebotomist")
    client.post(f"/collection/visits/{visit_id}/start",
                data={"bag_type": "quadruple", "bag_lot": "L-1", "csrf_token": client.csrf})
    donation = donation_of(database, visit_id)
    form = {"donation_id": str(donation.id), "kind": "haematoma", "csrf_token": client.csrf}

    missing = client.post(f"/collection/visits/{visit_id}/reaction",
                          data={**form, "severity": "", "outcome": "cold pack, went home"})
    recorded = client.post(f"/collection/visits/{visit_id}/reaction",
                           data={**form, "severity": "mild", "outcome": "cold pack, went home"})

    assert missing.status_code == 422 and "Unknown severity" in page_text(missing)
    assert 'value="cold pack, went home"' in missing.text
    assert '<option value="haematoma" selected>' in missing.text
    assert recorded.status_code == 303
    page = client.get(recorded.headers["location"])
    assert "Adverse reaction recorded" in page.text and "cold pack, went home" in page.text
    with database.sessions() as session:
        assert session.execute(select(AdverseReaction.kind)).scalars().all() == ["haematoma"]


def test_a_clerk_is_refused_the_collection_pages(database):
    _, _, visit_id = consented_visit(database)
    client = browser(database, "clerk")

    assert client.get("/collection").status_code == 403
    assert client.get(f"/collection/visits/{visit_id}").status_code == 403
    refused = client.post(f"/collection/visits/{visit_id}/start",
                          data={"bag_type": "quadruple", "bag_lot": "L-1", "csrf_token": client.csrf})
    assert refused.status_code == 403 and "does not allow this" in page_text(refused)
    assert donation_of(database, visit_id) is None


def test_a_start_posted_without_the_forms_token_is_refused(database):
    _, _, visit_id = consented_visit(database)
    client = browser(database, "phlebotomist")

    answer = client.post(f"/collection/visits/{visit_id}/start", data={"bag_type": "quadruple", "bag_lot": "L-1"})

    assert answer.status_code == 403
    assert donation_of(database, visit_id) is None


def test_a_user_of_a_damascus_site_sees_a_collection_started_at_11_utc_as_14_00_with_the_zone_named(database):
    site = make_site(database, time_zone="Asia/Damascus")
    visit_id = make_visit(database, site_id=site)
    client = browser(database, "phlebotomist", site_id=site)
    started = client.post(f"/collection/visits/{visit_id}/start",
                          data={"bag_type": "quadruple", "bag_lot": "LOT-0426", "csrf_token": client.csrf})
    assert started.status_code == 303
    with database.sessions() as session, session.begin():
        session.execute(update(Donation).where(Donation.visit_id == visit_id)
                        .values(started_at=datetime(2026, 12, 4, 11, 0, tzinfo=timezone.utc)))

    shown = page_text(client.get(f"/collection/visits/{visit_id}"))

    assert "<dt>Started</dt><dd>2026-12-04 14:00 +03</dd>" in shown
    assert 'Times in <bdi dir="ltr">Asia/Damascus</bdi>' in shown
