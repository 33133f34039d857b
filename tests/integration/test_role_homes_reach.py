"""Every screen people expect is reachable from their role's home by what a person does there: following the
links each page shows, or typing into a search form the page shows. No address is typed by hand.

Each journey starts at the page the role lands on after logging in and names its steps; a step that finds no
way on fails with the links the page did offer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

import pytest

from bloodbank.domain.access import Role
from bloodbank.domain.compatibility_tag import tag_code
from bloodbank.entrypoints.web.ui.staff.login import ROLE_HOME

from tests.integration.trace_fixtures import build_chain, issue_unit
from tests.integration.web_fixtures import browser

LINK = re.compile(r'href="([^"#]+)"')
FORM = re.compile(r'<form[^>]*method="get"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)


@dataclass(frozen=True)
class Link:
    """Follow the first link whose address matches."""
    pattern: str


@dataclass(frozen=True)
class Search:
    """Type `what` (a key of the journey's facts) into the page's GET form that has the field `field`."""
    field: str
    what: str


@dataclass(frozen=True)
class Shows:
    """The page reached offers this (a field, a button, a link), by a fragment of its HTML."""
    fragment: str


def walk(client, start: str, steps, facts: dict) -> str:
    path, page = start, client.get(start)
    for step in steps:
        assert page.status_code == 200, f"{path} answered {page.status_code}"
        if isinstance(step, Shows):
            assert step.fragment in page.text, f"{path} does not offer {step.fragment!r}"
            continue
        if isinstance(step, Link):
            found = [href.replace("&amp;", "&") for href in LINK.findall(page.text)
                     if re.search(step.pattern, href.replace("&amp;", "&"))]
            assert found, f"no link matching {step.pattern!r} on {path}: {sorted(set(LINK.findall(page.text)))}"
            path = urljoin(path, found[0])
        else:
            forms = [action for action, body in FORM.findall(page.text) if f'name="{step.field}"' in body]
            assert forms, f"no search form with a {step.field!r} field on {path}"
            path = f"{urljoin(path, forms[0])}?{urlencode({step.field: facts[step.what]})}"
        page = client.get(path, follow_redirects=True)  # a scanned tag opens its record by a redirect
        path = page.url.path
    assert page.status_code == 200, f"{path} answered {page.status_code}"
    return path


DONOR_PAGE = r"^/desk/donors/\d+$"
JOURNEYS = (
    ("clerk", "edit a donor's details", "clerk",
     (Search("q", "donor_name"), Link(DONOR_PAGE), Link(r"/desk/donors/\d+/details$"), Shows('name="phone"'))),
    ("clerk", "a donor's deferrals", "clerk",
     (Search("q", "donor_name"), Link(DONOR_PAGE), Link(r"/desk/donors/\d+/deferrals$"))),
    ("clerk", "change one's own password", "clerk", (Link(r"^/account/password$"), Shows('type="password"'))),
    ("director", "a donor's deferrals with their reasons: add one", "medical_director",
     (Link(r"^/desk$"), Search("q", "donor_name"), Link(DONOR_PAGE), Link(r"/desk/donors/\d+/deferrals$"),
      Shows('name="code"'), Shows('name="reason"'))),
    ("director", "the monthly reports", "medical_director", (Link(r"^/reports/monthly$"), Shows("<img"))),
    ("director", "donors' erasure requests", "medical_director", (Link(r"^/desk/erasure-requests$"),)),
    ("inventory", "the monthly reports", "inventory_manager", (Link(r"^/reports/monthly$"), Link(r"\.csv(\?|$)"))),
    ("admin", "force a password reset", "administrator",
     (Link(r"^/admin/users/\d+$"), Shows("reset"))),
    ("hospital", "edit a patient's details", "hospital_staff",
     (Search("q", "patient_name"), Link(r"^/hospital/patients/\d+$"), Link(r"/hospital/patients/\d+/details$"))),
    ("hospital", "print the compatibility tag of an issue", "hospital_staff",
     (Search("q", "patient_name"), Link(r"^/hospital/patients/\d+$"), Link(r"^/hospital/orders/\d+$"),
      Link(r"^/hospital/issues/\d+$"), Link(r"/hospital/issues/\d+/tag\.pdf$"))),
    ("hospital", "the bedside check of a unit issued, found by scanning its tag, with a second checker who signs",
     "hospital_staff", (Search("code", "tag"), Shows('name="checked_by"'), Shows('name="checker_password"'))),
)


@pytest.mark.parametrize("who, screen, role, steps", JOURNEYS, ids=[f"{j[0]}: {j[1]}" for j in JOURNEYS])
def test_a_screen_people_expect_is_reachable_from_their_home(database, who, screen, role, steps):
    chain = build_chain(database)
    # A unit issued and not yet transfused: the ward has a bedside check to do.
    issued, _ = issue_unit(database, chain.units["RC_B"], chain.patients["P1"], chain.hospital_id)
    client = browser(database, role, hospitals=(chain.hospital_id,) if role == "hospital_staff" else ())
    start = ROLE_HOME[Role(role)]  # where logging in lands (test_web_auth checks the landing itself)
    facts = {"donor_name": "DonorA", "patient_name": _patient_name(database, chain), "tag": tag_code(issued)}
    walk(client, start, steps, facts)


@pytest.mark.parametrize("role", ["clerk", "phlebotomist", "lab_technician", "inventory_manager", "hospital_staff",
                                  "medical_director", "administrator"])
def test_every_home_links_to_the_help_for_its_task_and_to_ones_own_password(database, role):
    client = browser(database, role)
    home = client.get(ROLE_HOME[Role(role)])
    assert re.search(r'href="/help(/[a-z-]+)?" id="help-link"', home.text)
    assert 'href="/account/password"' in home.text


def _patient_name(database, chain) -> str:
    from bloodbank.adapters.db.models import Patient  # noqa: PLC0415
    with database.sessions() as session:
        patient = session.get(Patient, next(iter(chain.patients.values())))
        return patient.family_name
