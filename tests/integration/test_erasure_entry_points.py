"""Erasure at the donor's request, and the retention sweep, from the pages, the API and the command line:
the same permission, the same signature, the same refusals."""

from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import Signature
from bloodbank.entrypoints.cli import app
from bloodbank.service_layer.donors import erasure, registry
from tests.integration.erasure_fixtures import as_, make_person, register_twice, traces_left
from tests.integration.test_donors_retention import old_registration
from tests.integration.web_fixtures import PASSWORD, api, browser, make_user

TODAY = date.today().isoformat()
runner = CliRunner()


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def signatures(database, donor_id: int) -> list[Signature]:
    with database.sessions() as session:
        return list(session.execute(select(Signature).where(Signature.entity == "donor",
                                                            Signature.entity_id == str(donor_id))).scalars())


def is_erased(database, donor_id: int) -> bool:
    return registry.get_donor(as_(database, "dr.kim"), donor_id).erased


# ---------------------------------------------------------------- API


def test_the_api_previews_then_erases_under_a_signature_and_gives_the_statement(database):
    person = make_person(database)
    client = api(database, "medical_director", "dr.kim")

    preview = client.get(f"/api/donors/{person.duplicate_id}/erasure")
    assert preview.status_code == 200 and preview.json()["erased"] is False
    assert preview.json()["donor_number"] == person.number and not is_erased(database, person.donor_id)

    wrong = client.post(f"/api/donors/{person.donor_id}/erasure",
                        json={"requested_on": TODAY, "channel": "email", "signature_password": "not mine"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "signature_refused"
    assert not is_erased(database, person.donor_id)

    done = client.post(f"/api/donors/{person.donor_id}/erasure",
                       json={"requested_on": TODAY, "channel": "email", "signature_password": PASSWORD})
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["erased"] is True and body["channel"] == "email"
    assert {i["category"]: i["disposition"] for i in body["items"]}["name"] == "erased"
    [signature] = signatures(database, person.donor_id)
    assert signature.action == "erase" and person.number in signature.meaning
    assert client.get(f"/api/donors/{person.donor_id}/erasure").json() == body
    assert client.get(f"/api/donors/{person.donor_id}").json()["erased"] is True
    again = client.post(f"/api/donors/{person.donor_id}/erasure",
                        json={"requested_on": TODAY, "channel": "email", "signature_password": PASSWORD})
    assert again.status_code == 409
    assert traces_left(database) == []


def test_the_api_refuses_the_erasure_to_anyone_but_the_medical_director(database):
    first, _ = register_twice(database)
    for role in ("clerk", "administrator", "lab_technician"):
        client = api(database, role)
        assert client.get(f"/api/donors/{first.id}/erasure").status_code == 403
        refused = client.post(f"/api/donors/{first.id}/erasure",
                              json={"requested_on": TODAY, "channel": "letter", "signature_password": PASSWORD})
        assert refused.status_code == 403
    assert not is_erased(database, first.id)


def test_the_api_answers_a_bad_request_in_words_and_erases_nothing(database):
    first, _ = register_twice(database)
    client = api(database, "medical_director", "dr.kim")
    for body in ({"requested_on": "2099-01-01", "channel": "letter", "signature_password": PASSWORD},
                 {"requested_on": TODAY, "channel": "pigeon", "signature_password": PASSWORD},
                 {"requested_on": TODAY, "channel": "letter"}):
        answer = client.post(f"/api/donors/{first.id}/erasure", json=body)
        assert answer.status_code == 422, answer.text
    assert client.post("/api/donors/999999/erasure", json={"requested_on": TODAY, "channel": "letter",
                                                           "signature_password": PASSWORD}).status_code == 404
    assert not is_erased(database, first.id)


# ---------------------------------------------------------------- pages


def post(client, url: str, **fields):
    return client.post(url, data={**fields, "csrf_token": client.csrf})


def test_the_donor_page_offers_the_erasure_to_the_medical_director_only(database):
    first, _ = register_twice(database)
    director = browser(database, "medical_director", "dr.kim")
    clerk = browser(database, "clerk", "clerk.ann")

    assert "Erase at the donor's request" in director.get(f"/desk/donors/{first.id}").text
    assert "Erase at the donor's request" not in clerk.get(f"/desk/donors/{first.id}").text
    assert clerk.get(f"/desk/donors/{first.id}/erasure").status_code == 403


def test_the_erasure_page_says_what_goes_and_stays_asks_twice_and_keeps_what_was_typed(database):
    person = make_person(database)
    director = browser(database, "medical_director", "dr.kim")
    url = f"/desk/donors/{person.donor_id}/erasure"

    page = text_of(director.get(url).text)
    assert "Would be erased" in page and "Given and family names" in page and "2005/61/EC" in page
    fields = dict(requested_on=TODAY, channel="phone", typed_number=person.number, signature_password=PASSWORD)

    unticked = post(director, url, **fields)
    assert unticked.status_code == 422 and "Tick the box" in text_of(unticked.text)
    assert f'value="{person.number}"' in unticked.text and PASSWORD not in unticked.text
    wrong_number = post(director, url, **{**fields, "typed_number": person.duplicate_number, "irreversible": "yes"})
    assert wrong_number.status_code == 422 and f"Type the donor number {person.number}" in text_of(wrong_number.text)
    wrong_password = post(director, url, **{**fields, "irreversible": "yes", "signature_password": "guess"})
    assert wrong_password.status_code == 403
    assert not is_erased(database, person.donor_id)

    done = post(director, url, **{**fields, "irreversible": "yes"})

    assert done.status_code == 303 and done.headers["location"] == f"{url}?notice=erased"
    statement = text_of(director.get(done.headers["location"]).text)
    assert "Erased and signed" in statement and "at the donor's request of" in statement and "by phone" in statement
    record = text_of(director.get(f"/desk/donors/{person.donor_id}").text)
    assert registry.ERASED_NAME in record and "Wilhelmina" not in record and "Check in" not in record
    assert "Year of birth 1984" in record
    deferrals = director.get(f"/desk/donors/{person.donor_id}/deferrals")
    assert deferrals.status_code == 200 and "Wilhelmina" not in deferrals.text  # kept, and may still be added to
    visit = text_of(director.get(f"/desk/visits/{person.visit_id}").text)
    assert registry.ERASED_NAME in visit and "Quarrington" not in visit
    assert [s.action for s in signatures(database, person.donor_id)] == ["erase"]


def test_the_desk_search_no_longer_lists_the_person(database):
    person = make_person(database)
    erasure.erase_donor(as_(database, "dr.kim"), donor_ref=person.donor_id, requested_on=date.today(),
                        channel="letter")
    clerk = browser(database, "clerk", "clerk.ann")

    for query in ("Quarrington", "Wilhelmina", "900461"):
        found = text_of(clerk.get("/desk", params={"q": query}).text)
        assert "0 donors found" in found and person.number not in found


# ---------------------------------------------------------------- command line


def cli(database, *args, password: str = PASSWORD, input: str | None = None):
    result = runner.invoke(app, ["--database", database.url, *args], env={"BLOODBANK_PASSWORD": password},
                           input=input)
    result.text = " ".join(result.output.split())  # as read, whatever the terminal's width wrapped
    return result


def test_the_command_line_previews_erases_with_a_signature_and_refuses_a_clerk(database):
    person = make_person(database)
    make_user(database, "medical_director", "dr.kim")
    make_user(database, "clerk", "clerk.ann")

    preview = cli(database, "donors", "erase", person.duplicate_number, "--preview", "--as", "dr.kim")
    assert preview.exit_code == 0, preview.output
    assert "would do this" in preview.text and "Given and family names" in preview.text
    refused = cli(database, "donors", "erase", person.number, "--requested-on", TODAY, "--channel", "letter",
                  "--yes", "--as", "clerk.ann")
    assert refused.exit_code == 1 and "may not do this" in refused.text
    unsaid = cli(database, "donors", "erase", person.number, "--yes", "--as", "dr.kim")
    assert unsaid.exit_code == 1 and "Say when and how the donor asked" in unsaid.text
    declined = cli(database, "donors", "erase", person.number, "--requested-on", TODAY, "--channel", "letter",
                   "--as", "dr.kim", input="n\n")
    assert declined.exit_code == 1 and "Nothing was erased" in declined.text
    assert not is_erased(database, person.donor_id)

    done = cli(database, "donors", "erase", person.number, "--requested-on", TODAY, "--channel", "letter",
               "--as", "dr.kim", input="y\n")

    assert done.exit_code == 0, done.output
    assert "Erased, signed and audited" in done.text and is_erased(database, person.donor_id)
    assert [s.action for s in signatures(database, person.donor_id)] == ["erase"]
    shown = cli(database, "donors", "show", person.number, "--as", "clerk.ann")
    assert registry.ERASED_NAME in shown.text and "Wilhelmina" not in shown.text


def test_the_retention_sweep_lists_on_a_dry_run_and_erases_under_a_signature(database):
    quiet = old_registration(database, "Quinn")
    make_user(database, "medical_director", "dr.kim")

    listed = cli(database, "retention", "sweep", "--dry-run", "--as", "dr.kim")
    assert listed.exit_code == 0, listed.output
    assert "registered_never_donated" in listed.text and "Due on" in listed.text
    assert not is_erased(database, quiet)
    wrong = cli(database, "retention", "sweep", "--yes", "--as", "dr.kim", password="guess")
    assert wrong.exit_code == 1 and not is_erased(database, quiet)

    done = cli(database, "retention", "sweep", "--yes", "--as", "dr.kim")

    assert done.exit_code == 0, done.output
    assert "Erased: 1" in done.text and is_erased(database, quiet)
    with database.sessions() as session:
        [signature] = session.execute(select(Signature).where(Signature.entity == "retention")).scalars().all()
    assert signature.action == "retention" and "1 records" in signature.meaning
    assert "Nothing is due" in cli(database, "retention", "sweep", "--dry-run", "--as", "dr.kim").text


def test_the_retention_period_is_set_on_the_command_line(database):
    old_registration(database, "Quinn")
    make_user(database, "medical_director", "dr.kim")

    listed = cli(database, "retention", "sweep", "--dry-run", "--never-donated-years", "6", "--as", "dr.kim")

    assert listed.exit_code == 0 and "Nothing is due" in listed.text and "6 years" in listed.text
