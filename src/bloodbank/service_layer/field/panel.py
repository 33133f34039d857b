"""A site's walking-blood-bank panel: volunteers join by their own consent, withdraw at any time, and the
board shows each member's standing, flags lapsed screens and titres, and lists who needs re-testing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donor, PanelMember, Site
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.config import get_settings
from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.domain.errors import ConsentMissing, Conflict, InvalidInput, NotFound
from bloodbank.domain.messages import N_
from bloodbank.domain.text import clean_text
from bloodbank.service_layer.donors.deferral_lookup import ensure_not_erased, survivor
from bloodbank.service_layer.field.member_facts import member_facts, site_policy
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class MemberView:
    id: int
    site_id: int
    donor_id: int
    donor_number: str
    name: str
    phone: str | None
    joined_at: datetime
    withdrawn_at: datetime | None
    available: bool
    availability_note: str
    facts: wbb.MemberFacts
    standing: wbb.Standing

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


@dataclass(frozen=True)
class PanelBoard:
    site_id: int
    site_name: str
    policy: wbb.Policy
    members: tuple[MemberView, ...]

    @property
    def needs_retest(self) -> tuple[MemberView, ...]:
        return tuple(m for m in self.members if m.standing.retest)


def member_view(session: Session, member: PanelMember, site: Site, now: datetime) -> MemberView:
    donor = session.get(Donor, member.donor_id)
    facts = member_facts(session, member, site, now)
    return MemberView(
        id=member.id, site_id=member.site_id, donor_id=donor.id, donor_number=donor.donor_number,
        name=f"{donor.given_name} {donor.family_name}", phone=donor.phone, joined_at=member.joined_at,
        withdrawn_at=member.withdrawn_at, available=member.available, availability_note=member.availability_note,
        facts=facts, standing=wbb.standing(facts, site_policy(site), now),
    )


def load_member(session: Session, member_id: int, *, lock: bool = False) -> PanelMember:
    statement = select(PanelMember).where(PanelMember.id == member_id)
    member = session.execute(statement.with_for_update() if lock else statement).scalar_one_or_none()
    if member is None:
        raise NotFound(N_("No panel member %(member)s."), params={"member": member_id})
    return member


def join_panel(uow: UnitOfWork, *, site_id: int, donor_id: int, text_version: str,
               confirmed_by_donor: bool) -> MemberView:
    """The volunteer's own consent to be called at any hour; nobody joins on another's word."""
    if confirmed_by_donor is not True:
        raise ConsentMissing(N_("Only the volunteer can join the panel: they must confirm their own consent to be "
                                "called at any hour."))
    current = get_settings().consent_text_version
    if text_version != current:
        raise InvalidInput(N_("Consent text version '%(version)s' is not the current one (%(current)s): show the "
                              "volunteer the current text."),
                           params={"version": str(text_version)[:40], "current": current})
    with uow:
        session = uow.session
        site = load_site(session, site_id)
        ensure_not_erased(session, donor_id)
        donor = survivor(session, session.get(Donor, donor_id))
        if donor is None:
            raise NotFound(N_("No donor with id %(donor_id)s."), params={"donor_id": donor_id})
        now = utcnow()
        member = session.execute(select(PanelMember).where(PanelMember.site_id == site_id,
                                                           PanelMember.donor_id == donor.id).with_for_update()
                                 ).scalar_one_or_none()
        if member is not None and member.withdrawn_at is None:
            raise Conflict(N_("Donor %(number)s is already on the panel of %(site)s."),
                           params={"number": donor.donor_number, "site": site.name})
        if member is None:
            member = PanelMember(site_id=site_id, donor_id=donor.id, consent_text_version=text_version,
                                 joined_at=now, recorded_by=uow.actor, available=True, availability_note="")
            session.add(member)
        else:
            member.consent_text_version, member.joined_at, member.withdrawn_at = text_version, now, None
            member.recorded_by, member.available = uow.actor, True
        session.flush()
        uow.audit("join", "panel_member", member.id, new={"site_id": site_id, "donor_id": donor.id,
                                                          "consent_text_version": text_version},
                  reason="consent to be called given by the volunteer")
        view = member_view(session, member, site, now)
        uow.commit()
    return view


def withdraw_from_panel(uow: UnitOfWork, *, member_id: int) -> MemberView:
    """At the volunteer's word, at any time, without a reason: they are never called again unless they rejoin."""
    with uow:
        session = uow.session
        member = load_member(session, member_id, lock=True)
        if member.withdrawn_at is not None:
            raise Conflict(N_("This volunteer already withdrew from the panel."))
        member.withdrawn_at = utcnow()
        session.flush()
        uow.audit("withdraw", "panel_member", member.id, old={"withdrawn_at": None},
                  new={"withdrawn_at": member.withdrawn_at}, reason="consent to be called withdrawn")
        view = member_view(session, member, load_site(session, member.site_id), utcnow())
        uow.commit()
    return view


def set_availability(uow: UnitOfWork, *, member_id: int, available: bool, note: str = "") -> MemberView:
    note = clean_text(note, "note", 300)
    with uow:
        session = uow.session
        member = load_member(session, member_id, lock=True)
        if member.withdrawn_at is not None:
            raise Conflict(N_("This volunteer withdrew from the panel."))
        old = {"available": member.available, "availability_note": member.availability_note}
        member.available, member.availability_note = bool(available), note
        session.flush()
        uow.audit("update", "panel_member", member.id, old=old,
                  new={"available": member.available, "availability_note": note})
        view = member_view(session, member, load_site(session, member.site_id), utcnow())
        uow.commit()
    return view


def panel_board(uow: UnitOfWork, *, site_id: int, include_withdrawn: bool = False) -> PanelBoard:
    with uow:
        session = uow.session
        site = load_site(session, site_id)
        statement = select(PanelMember).where(PanelMember.site_id == site_id)
        if not include_withdrawn:
            statement = statement.where(PanelMember.withdrawn_at.is_(None))
        now = utcnow()
        members = tuple(member_view(session, m, site, now)
                        for m in session.execute(statement.order_by(PanelMember.id)).scalars())
        return PanelBoard(site_id=site.id, site_name=site.name, policy=site_policy(site), members=members)


def get_member(uow: UnitOfWork, *, member_id: int) -> MemberView:
    with uow:
        session = uow.session
        member = load_member(session, member_id)
        return member_view(session, member, load_site(session, member.site_id), utcnow())
