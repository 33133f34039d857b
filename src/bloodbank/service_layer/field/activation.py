"""Calling the panel: only inside an open incident or a supply cut-off in force, for patients waiting.

The call list is worked out afresh each time it is read (`domain.walking_blood_bank.call_list`): a member
whose screen lapsed since, who withdrew, or who already answered drops out; a refusal is recorded and has
no other consequence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import PanelActivation, PanelCall, PanelMember, Site
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.db.models.walking_blood_bank import CALL_OUTCOMES
from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.service_layer.field.emergencies import named_emergency, still_in_force
from bloodbank.service_layer.field.panel import MemberView, load_member, member_view
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

ANSWERED = ("accepted", "declined")  # no answer: they stay on the list to be tried again


@dataclass(frozen=True)
class CallView:
    rank: int
    member: MemberView
    low_titre: bool
    why: str  # a domain `Text`: English as text, in the reader's language on a page


@dataclass(frozen=True)
class ActivationView:
    id: int
    site_id: int
    incident_id: int | None
    cut_off_id: int | None
    waiting: tuple[wbb.Waiting, ...]
    activated_at: datetime
    activated_by: str
    calls: tuple[CallView, ...]
    answers: tuple[tuple[int, str, datetime], ...]  # member id, outcome, when


def read_waiting(entries: Iterable[tuple[str | None, int]]) -> tuple[wbb.Waiting, ...]:
    """("unknown" or None for a patient not yet grouped, or a group; how many patients)."""
    waiting = []
    for group, count in entries:
        if isinstance(count, bool) or not isinstance(count, int) or not 0 < count <= 500:
            raise InvalidInput(N_("Give the number of patients waiting as a whole number from 1 to 500."))
        if group is None or str(group).strip().lower() in ("", "unknown", "?"):
            waiting.append(wbb.Waiting(None, count))
            continue
        try:
            waiting.append(wbb.Waiting(str(parse_group(group)), count))
        except ValueError:
            raise InvalidInput(N_("'%(group)s' is not a blood group: write e.g. 'O+', 'A-', or 'unknown'."),
                               params={"group": str(group)[:20]}) from None
    if not waiting:
        raise InvalidInput(N_("Say which patients are waiting: nobody is called without a patient to give to."))
    return tuple(waiting)


def activate(uow: UnitOfWork, *, site_id: int, waiting: Iterable[tuple[str | None, int]],
             incident_id: int | None = None, cut_off_id: int | None = None) -> ActivationView:
    needs = read_waiting(waiting)
    with uow:
        session = uow.session
        load_site(session, site_id)
        emergency = named_emergency(session, site_id, incident_id=incident_id, cut_off_id=cut_off_id)
        row = PanelActivation(site_id=site_id, incident_id=emergency.incident_id, cut_off_id=emergency.cut_off_id,
                              waiting=[{"group": w.group, "count": w.count} for w in needs],
                              activated_at=utcnow(), activated_by=uow.actor)
        session.add(row)
        session.flush()
        uow.audit("activate", "panel_activation", row.id, new={
            "site_id": site_id, "incident_id": row.incident_id, "cut_off_id": row.cut_off_id, "waiting": row.waiting})
        view = _view(uow, row)
        uow.commit()
    return view


def get_activation(uow: UnitOfWork, *, activation_id: int) -> ActivationView:
    with uow:
        return _view(uow, _activation(uow, activation_id))


def calls_in_force(uow: UnitOfWork) -> list[tuple[int, str, datetime]]:
    """(activation, site name, when) of every call whose incident or cut-off still lasts, newest first: where the
    collection room finds who is coming."""
    with uow:
        session = uow.session
        rows = session.execute(select(PanelActivation, Site.name).join(Site, Site.id == PanelActivation.site_id)
                               .order_by(PanelActivation.id.desc()).limit(50)).all()
        return [(row.id, name, row.activated_at) for row, name in rows if still_in_force(session, row.id)]


def list_activations(uow: UnitOfWork, *, site_id: int) -> list[ActivationView]:
    with uow:
        rows = uow.session.execute(select(PanelActivation).where(PanelActivation.site_id == site_id)
                                   .order_by(PanelActivation.id.desc()).limit(20)).scalars()
        return [_view(uow, row) for row in rows]


def coming(uow: UnitOfWork, *, activation_id: int) -> list[MemberView]:
    """Who said yes to this call and has not withdrawn since: all the collection room needs to see."""
    with uow:
        session = uow.session
        row = _activation(uow, activation_id)
        accepted = [m for m, outcome, _ in _answers(uow, row.id) if outcome == "accepted"]
        site, now = session.get(Site, row.site_id), utcnow()
        members = [load_member(session, m) for m in dict.fromkeys(accepted)]
        return [member_view(session, m, site, now) for m in members if m.withdrawn_at is None]


def record_answer(uow: UnitOfWork, *, activation_id: int, member_id: int, outcome: str) -> ActivationView:
    """What the member said on the phone. A refusal is a right: it is recorded and nothing follows from it."""
    if outcome not in CALL_OUTCOMES:
        raise InvalidInput(N_("Record the answer as one of: %(outcomes)s."), params={"outcomes": ", ".join(CALL_OUTCOMES)})
    with uow:
        session = uow.session
        activation = _activation(uow, activation_id, lock=True)
        member = load_member(session, member_id)
        if member.site_id != activation.site_id:
            raise InvalidInput(N_("Panel member %(member)s is not on this site's panel."), params={"member": member_id})
        answered = _answers(uow, activation.id)
        if any(m == member_id and o in ANSWERED for m, o, _ in answered):
            raise Conflict(N_("This member has already answered this call."))
        row = PanelCall(activation_id=activation.id, member_id=member_id, outcome=outcome, recorded_at=utcnow(),
                        recorded_by=uow.actor)
        session.add(row)
        session.flush()
        uow.audit("call", "panel_call", row.id, new={"activation_id": activation.id, "member_id": member_id,
                                                     "outcome": outcome})
        view = _view(uow, activation)
        uow.commit()
    return view


def _activation(uow: UnitOfWork, activation_id: int, *, lock: bool = False) -> PanelActivation:
    statement = select(PanelActivation).where(PanelActivation.id == activation_id)
    row = uow.session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if row is None:
        raise NotFound(N_("No activation %(activation)s."), params={"activation": activation_id})
    return row


def _answers(uow: UnitOfWork, activation_id: int) -> list[tuple[int, str, datetime]]:
    return [tuple(r) for r in uow.session.execute(
        select(PanelCall.member_id, PanelCall.outcome, PanelCall.recorded_at)
        .where(PanelCall.activation_id == activation_id).order_by(PanelCall.id))]


def _view(uow: UnitOfWork, row: PanelActivation) -> ActivationView:
    session = uow.session
    site = session.get(Site, row.site_id)
    now = utcnow()
    members = {m.id: member_view(session, m, site, now) for m in session.execute(
        select(PanelMember).where(PanelMember.site_id == row.site_id, PanelMember.withdrawn_at.is_(None))).scalars()}
    waiting = tuple(wbb.Waiting(w.get("group"), int(w.get("count", 1))) for w in row.waiting)
    answers = _answers(uow, row.id)
    skip = {m for m, o, _ in answers if o in ANSWERED}
    entries = wbb.call_list([wbb.Candidate(m.id, m.facts) for m in members.values()], waiting,
                            wbb.policy(titre_threshold=site.titre_threshold,
                                       titre_validity_days=site.titre_validity_days,
                                       screen_validity_days=site.panel_screen_validity_days), now, skip=skip)
    calls = tuple(CallView(rank=e.rank, member=members[e.member_id], low_titre=e.low_titre, why=e.why)
                  for e in entries)
    return ActivationView(id=row.id, site_id=row.site_id, incident_id=row.incident_id, cut_off_id=row.cut_off_id,
                          waiting=waiting, activated_at=row.activated_at, activated_by=row.activated_by,
                          calls=calls, answers=tuple(answers))
