"""A copy of everything held about a donor, for the donor: every record of the person and what hangs on them,
nothing of any patient or staff member, the same through the API, the desk and the command line, made only by
those allowed to, and audited."""

from __future__ import annotations

import json
import subprocess

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bloodbank.adapters.db.models import AuditEntry
from bloodbank.domain.errors import NotFound
from bloodbank.entrypoints.cli.app import app as cli_app
from bloodbank.service_layer.donors.data_copy import SECTIONS, data_copy, data_copy_document
from tests.integration.erasure_fixtures import as_, make_person
from tests.integration.web_fixtures import api, browser, make_user


def test_the_copy_holds_every_record_of_the_person_and_nothing_of_anyone_else(database):
    person = make_person(database)
    copy = data_copy(as_(database, "dr.kim"), donor_id=person.duplicate_id)  # a merged record finds the person
    assert copy.donor_number == person.number and set(copy.sections) == set(SECTIONS)
    numbers = {r["donor_number"] for r in copy.sections["records"]}
    assert numbers == {person.number, person.duplicate_number}
    assert [d["din"] for d in copy.sections["donations"]] == [person.din]
    assert {t["test"] for t in copy.sections["test_results"]} == {"hiv"}
    reasons = [d["reason"] for d in copy.sections["deferrals"]]
    assert any(r.startswith("Confirmed positive") for r in reasons) and any(r.startswith("Tattoo") for r in reasons)
    assert any((v["answers"] or {}).get("answers", {}).get("tattoo") == "2026-11-01" for v in copy.sections["visits"])
    assert {"register", "update"} <= {c["action"] for c in copy.sections["changes"]}
    text = json.dumps(copy.sections)
    for someone_else in ("clerk.ann", "clerk.bob", "dr.kim", "sup.dee", "patient"):
        assert someone_else not in text
    with database.sessions() as session:
        made = session.execute(select(AuditEntry).where(AuditEntry.action == "data_copy")).scalars().all()
        assert [e.entity_id for e in made] == [str(person.donor_id)]


def test_the_document_reads_as_the_data(database, tmp_path):
    person = make_person(database, permanent_deferral=False)
    pdf = data_copy_document(data_copy(as_(database, "dr.kim"), donor_id=person.donor_id))
    (tmp_path / "copy.pdf").write_bytes(pdf)
    shown = subprocess.run(["pdftotext", str(tmp_path / "copy.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert f"Data held about donor {person.number}" in shown and "Quarrington" in shown and person.din in shown


def test_an_unknown_donor_is_not_found(database):
    with pytest.raises(NotFound, match="No donor with id 999999"):
        data_copy(as_(database, "dr.kim"), donor_id=999999)


def test_only_those_allowed_make_the_copy_through_the_api_the_desk_and_the_command_line(database, tmp_path):
    person = make_person(database)
    director = api(database, "medical_director", "dr.api")
    body = director.get(f"/api/donors/{person.donor_id}/data-copy").json()
    assert body["donor_number"] == person.number
    assert director.get(f"/api/donors/{person.donor_id}/data-copy.pdf").content.startswith(b"%PDF")
    for role in ("clerk", "lab_technician", "administrator", "hospital_staff"):
        assert api(database, role, f"{role}.copy").get(f"/api/donors/{person.donor_id}/data-copy").status_code == 403
    desk = browser(database, "medical_director", "dr.desk")
    assert 'id="data-copy"' in desk.get(f"/desk/donors/{person.donor_id}").text
    assert desk.get(f"/desk/donors/{person.donor_id}/data-copy.pdf").content.startswith(b"%PDF")
    clerk = browser(database, "clerk", "clerk.desk")
    assert 'id="data-copy"' not in clerk.get(f"/desk/donors/{person.donor_id}").text
    assert clerk.get(f"/desk/donors/{person.donor_id}/data-copy.pdf").status_code == 403
    make_user(database, "medical_director", "dr.cli")
    out = tmp_path / "copy.json"
    result = CliRunner().invoke(cli_app, ["--database", database.url, "donors", "data-copy", person.number,
                                          "--json", str(out), "--as", "dr.cli"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["donor_number"] == person.number
