"""Is an emergency in force for a site: an open incident, or a supply cut-off declared and not ended?

The one place the walking blood bank's use cases ask it, so activation, collection and the signed issue
all stop at the same moment the incident is closed or the cut-off ended.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Incident, PanelActivation, SupplyCutOff
from bloodbank.domain.errors import Conflict, NotFound
from bloodbank.domain.messages import N_


@dataclass(frozen=True)
class InForce:
    incident_id: int | None
    cut_off_id: int | None


def active_cut_off(session: Session, site_id: int) -> SupplyCutOff | None:
    return session.execute(
        select(SupplyCutOff).where(SupplyCutOff.site_id == site_id, SupplyCutOff.ended_at.is_(None))
        .order_by(SupplyCutOff.id.desc())
    ).scalars().first()


def named_emergency(session: Session, site_id: int, *, incident_id: int | None,
                    cut_off_id: int | None) -> InForce:
    """The incident or cut-off the caller names, refused unless it is in force now."""
    if (incident_id is None) == (cut_off_id is None):
        raise Conflict(N_("Name the open incident or the supply cut-off in force (one of them): the walking blood "
                          "bank is called only in an emergency."))
    if incident_id is not None:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(N_("There is no incident %(incident)s."), params={"incident": incident_id})
        if incident.status != "declared":
            raise Conflict(N_("Incident %(incident)s is closed: the walking blood bank is no longer called for it."),
                           params={"incident": incident_id})
        return InForce(incident.id, None)
    cut_off = session.get(SupplyCutOff, cut_off_id)
    if cut_off is None or cut_off.site_id != site_id:
        raise NotFound(N_("There is no supply cut-off %(cut_off)s at this site."), params={"cut_off": cut_off_id})
    if cut_off.ended_at is not None:
        raise Conflict(N_("Supply cut-off %(cut_off)s has ended: the walking blood bank is no longer called."),
                       params={"cut_off": cut_off_id})
    return InForce(None, cut_off.id)


def still_in_force(session: Session, activation_id: int | None) -> InForce | None:
    """The emergency a call was made in, while it lasts: None once its incident is closed or its cut-off ended."""
    activation = session.get(PanelActivation, activation_id) if activation_id is not None else None
    if activation is None:
        return None
    if activation.incident_id is not None:
        incident = session.get(Incident, activation.incident_id)
        return InForce(incident.id, None) if incident.status == "declared" else None
    cut_off = session.get(SupplyCutOff, activation.cut_off_id)
    return InForce(None, cut_off.id) if cut_off.ended_at is None else None
