"""The demo's one past incident: a bus crash two days ago, its casualties counted by two hospitals, closed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from bloodbank.service_layer.crisis import incidents
from bloodbank.service_layer.hospital import hospitals
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def load_past_incident(make_uow: Callable[[], UnitOfWork], site_id: int) -> int | None:
    """Declared, counted and closed through the use cases; none if the region already has an incident."""
    if incidents.list_incidents(make_uow(), limit=1)[1]:
        return None
    served = hospitals.list_hospitals(make_uow(), site_id=site_id) or hospitals.list_hospitals(make_uow())
    at = datetime.now(timezone.utc) - timedelta(days=2, hours=5)
    view = incidents.declare(make_uow(), place="Ring road, northern junction", kind="transport", occurred_at=at,
                             site_id=site_id, note="Bus and lorry collision.",
                             expected={"severe": 6, "moderate": 12, "minor": 20})
    for hospital, (severe, moderate, minor) in zip(served[:2], ((4, 7, 11), (2, 6, 9))):
        for severity, number in (("severe", severe), ("moderate", moderate), ("minor", minor)):
            incidents.add_casualties(make_uow(), incident_id=view.id, severity=severity, change=number,
                                     hospital_id=hospital.id)
    incidents.close(make_uow(), incident_id=view.id, note="Every casualty treated; stock restored.")
    return view.id
