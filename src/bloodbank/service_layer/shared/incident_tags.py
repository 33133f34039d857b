"""Tagging an order with a mass-casualty incident: the incident must exist and still be open.

Here, below every area, because the hospital's orders and emergency releases tag
themselves with an incident that the crisis area, above them, declares.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Incident
from bloodbank.domain.errors import NotFound
from bloodbank.domain.incidents import ensure_open


def open_incident(session: Session, incident_id: int | None) -> int | None:
    if incident_id is None:
        return None
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"There is no incident {incident_id}.")
    ensure_open(incident.status, incident.id)
    return incident.id
