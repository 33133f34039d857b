"""Through the real use case and database: whatever the signer, password, reason and state of the emergency,
a unit not fully tested is issued only signed by a physician's own password while its emergency lasts, and
otherwise stays on the emergency shelf with nothing written."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bloodbank.adapters.db.models import Issue, Signature, Unit
from bloodbank.domain.errors import DomainError
from bloodbank.service_layer.field import activation, collection, issue
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from tests.integration.field_fixtures import close_incident, collection_form, field_site, join, open_incident, \
    volunteer
from tests.integration.issue_fixtures import get, make_patient
from tests.integration.web_fixtures import PASSWORD, make_user

ROLES = ("hospital_staff", "medical_director", "lab_technician", "phlebotomist", "clerk")
_accounts = iter(range(1, 10**6))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(role=st.sampled_from(ROLES), right_password=st.booleans(), emergency_open=st.booleans(),
       reason=st.sampled_from(["", "  ", "bleeding, no tested blood"]))
def test_no_unit_not_fully_tested_leaves_unsigned_or_after_its_emergency(database, role, right_password,
                                                                         emergency_open, reason):
    site, hospital = field_site(database)
    member = join(database, site, volunteer(database, site, group="O+"))
    incident = open_incident(database)
    call = activation.activate(UnitOfWork(database, actor="md"), site_id=site, waiting=[(None, 1)],
                               incident_id=incident)
    unit = collection.collect_in_emergency(UnitOfWork(database, actor="nurse"), activation_id=call.id,
                                           member_id=member, **collection_form())
    if not emergency_open:
        close_incident(database, incident)
    patient = make_patient(database, group=None, hospital_id=hospital)
    name = f"signer{next(_accounts)}"
    signer = make_user(database, role, name, hospitals=(hospital,) if role == "hospital_staff" else ())
    before = _written(database)
    try:
        issue.issue_not_fully_tested(UnitOfWork(database, actor=name), signer_id=signer.id,
                                     password=PASSWORD if right_password else "someone else's",
                                     unit_id=unit.unit_id, patient_id=patient.id, scanned_unit=f"={unit.din}00",
                                     scanned_patient=patient.scan, reason=reason)
        issued = True
    except DomainError:
        issued = False
    allowed = right_password and emergency_open and bool(reason.strip()) and role in ("hospital_staff",
                                                                                       "medical_director")
    assert issued is allowed
    status = get(database, Unit, unit.unit_id).status
    assert status == ("issued" if allowed else "quarantined")
    if not allowed:
        assert _written(database) == before


def _written(database) -> tuple[int, int]:
    with database.sessions() as session:
        return (session.execute(select(func.count(Issue.id))).scalar_one(),
                session.execute(select(func.count(Signature.id))).scalar_one())
