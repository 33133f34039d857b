"""Emergency collection from a panel member who answered the call.

One transaction: the abbreviated questionnaire, the donor's own consent (no
collection without it, as everywhere), the bedside tests with kit and lot, a
DIN as usual, and one unit of fresh whole blood (low-titre group O when the
member is) labelled for emergency use, not fully tested. It keeps 24 h at
room temperature (`refrigerate` makes it stored whole blood). A sample is
kept for the full tests: the donation is marked an emergency one so it is
found for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bloodbank.adapters.db.models import (
    Consent, Donation, Donor, PanelActivation, RapidTest, Site, Unit, Visit,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.config import get_settings
from bloodbank.domain import collection as bags
from bloodbank.domain import emergency_collection as emergency
from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import ConsentMissing, Conflict, DonorIneligible, InvalidInput, NotFound
from bloodbank.domain.ids import MAX_ID
from bloodbank.domain.messages import N_, sentences
from bloodbank.domain.processing import DEFAULT_CHOICES
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.donors.din_allocation import next_din
from bloodbank.service_layer.field.emergencies import named_emergency
from bloodbank.service_layer.field.member_facts import member_facts, site_policy
from bloodbank.service_layer.field.panel import load_member
from bloodbank.service_layer.shared import unit_moves
from bloodbank.service_layer.shared.audit_snapshots import snapshot
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# What still keeps a member from giving when they are at the chair: being unavailable no longer does.
_AT_THE_CHAIR = wbb.NOT_AVAILABLE


@dataclass(frozen=True)
class EmergencyUnitView:
    unit_id: int
    donation_id: int
    din: str
    product_code: str
    kind: str
    blood_group: str
    low_titre: bool
    volume_ml: int
    anticoagulant: str
    collected_at: datetime
    expires_at: datetime
    refrigerated_at: datetime | None
    status: str
    special_testing: str  # the label's words


def _view(unit: Unit, donation_id: int) -> EmergencyUnitView:
    return EmergencyUnitView(
        unit_id=unit.id, donation_id=donation_id, din=unit.din, product_code=unit.product_code, kind=unit.kind,
        blood_group=unit.blood_group, low_titre=unit.low_titer, volume_ml=unit.volume_ml,
        anticoagulant=unit.anticoagulant, collected_at=unit.collected_at, expires_at=unit.expires_at,
        refrigerated_at=unit.refrigerated_at, status=unit.status, special_testing=wbb.rules().special_testing_text)


def read_rapid_tests(rows: Iterable[Mapping[str, str] | emergency.RapidTest]) -> list[emergency.RapidTest]:
    if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Iterable):
        raise InvalidInput("Give the bedside tests as a list, one per marker, each with its result, kit and lot.")
    tests = []
    for row in rows:
        if isinstance(row, emergency.RapidTest):
            tests.append(row)
            continue
        if not isinstance(row, Mapping):
            raise InvalidInput("Each bedside test names its marker, result, kit and lot.")
        values = {k: str(row.get(k) or "").strip() for k in ("marker", "result", "kit", "lot")}
        tests.append(emergency.RapidTest(values["marker"].lower(), values["result"].lower(), values["kit"][:80],
                                   values["lot"][:40]))
    return tests


def collect_in_emergency(uow: UnitOfWork, *, activation_id: int, member_id: int, answers: Mapping[str, object],
                         consent_text_version: str, confirmed_by_donor: bool, rapid_tests: Iterable,
                         bedside_group: str, bag_type: str, bag_lot: str, volume_ml: int,
                         anticoagulant: str = "CPDA-1") -> EmergencyUnitView:
    if confirmed_by_donor is not True:
        raise ConsentMissing(N_("No collection without the donor's own consent: they must confirm it themselves."))
    for name, value in (("activation", activation_id), ("panel member", member_id)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
            raise InvalidInput(f"The {name} must be given by its number.")
    if not isinstance(answers, Mapping):
        raise InvalidInput("Give the answers to the abbreviated questionnaire, each yes or no.")
    if not isinstance(bedside_group, str) or not isinstance(bag_type, str) or not isinstance(anticoagulant, str):
        raise InvalidInput("Give the bedside group, the bag and the anticoagulant as text.")
    if consent_text_version != get_settings().consent_text_version:
        raise InvalidInput(N_("Consent text version '%(version)s' is not the current one (%(current)s): show the donor "
                              "the current text."),
                           params={"version": str(consent_text_version)[:40],
                                   "current": get_settings().consent_text_version})
    refusals = emergency.questionnaire_refusals(answers)
    if refusals:
        raise DonorIneligible(N_("The donor may not give now: %(reasons)s"), refusals,
                              params={"reasons": sentences(refusals)})
    tests = read_rapid_tests(rapid_tests)
    refusals = emergency.rapid_test_refusals(tests)
    if refusals:
        raise DonorIneligible(N_("The bedside tests do not allow this collection: %(reasons)s"), refusals,
                              params={"reasons": sentences(refusals)})
    bag = bags.bag_type(bag_type)
    bags.ensure_bag_fits(bag, bags.WHOLE_BLOOD)
    lot = bags.validate_lot(bag_lot)
    bags.check_volume_is_plausible(volume_ml, "volume")
    if anticoagulant not in wbb.rules().stored_days:
        raise InvalidInput(N_("Unknown anticoagulant '%(anticoagulant)s': use one of %(known)s."),
                           params={"anticoagulant": anticoagulant[:40], "known": ", ".join(wbb.rules().stored_days)})
    with uow:
        session = uow.session
        activation = session.get(PanelActivation, activation_id)
        if activation is None:
            raise NotFound(N_("No activation %(activation)s."), params={"activation": activation_id})
        named_emergency(session, activation.site_id, incident_id=activation.incident_id,
                        cut_off_id=activation.cut_off_id)
        member = load_member(session, member_id, lock=True)
        if member.site_id != activation.site_id or member.withdrawn_at is not None:
            raise Conflict(N_("Only a member of this site's panel, who has not withdrawn, gives in an emergency."))
        site = session.get(Site, member.site_id)
        now = utcnow()
        facts = member_facts(session, member, site, now)
        standing = wbb.standing(facts, site_policy(site), now)
        stops = [r for r in standing.reasons if r != _AT_THE_CHAIR]
        if stops:
            raise DonorIneligible(N_("This member may not give now: %(reasons)s"), stops,
                                  params={"reasons": sentences(stops)})
        mismatch = emergency.group_check_refusal(facts.group, bedside_group)
        if mismatch:
            raise DonorIneligible(mismatch.template, [mismatch], params=mismatch.params)
        donor = session.get(Donor, member.donor_id)
        visit = Visit(donor_id=donor.id, site_id=site.id, status="collected", kind=bags.WHOLE_BLOOD,
                      checked_in_at=now, checked_in_by=uow.actor, questionnaire=dict(answers), eligible=True,
                      decision_reasons=[], screened_at=now, screened_by=uow.actor)
        session.add(visit)
        session.flush()
        session.add(Consent(visit_id=visit.id, donor_id=donor.id, text_version=consent_text_version, given_at=now,
                            recorded_by=uow.actor))
        din = next_din(session, site.facility_code, now.year)
        donation = Donation(din=str(din), facility_code=din.facility, din_year=int(din.year), serial=int(din.serial),
                            visit_id=visit.id, donor_id=donor.id, site_id=site.id, kind=bags.WHOLE_BLOOD,
                            bag_type=bag.code, bag_lot=lot, phlebotomist=uow.actor, planned_volume_ml=volume_ml,
                            max_volume_ml=None, volume_ml=volume_ml, started_at=now, ended_at=now,
                            status="complete", emergency=True, activation_id=activation.id)
        session.add(donation)
        session.flush()
        for test in tests:
            session.add(RapidTest(donation_id=donation.id, marker=test.marker, result=test.result, kit=test.kit,
                                  lot=test.lot, tested_at=now, recorded_by=uow.actor))
        kind = ComponentKind.LTOWB if standing.low_titre else ComponentKind.WHOLE_BLOOD
        unit = Unit(din=str(din), product_code=DEFAULT_CHOICES[(kind, False, False)], division="00",
                    kind=kind.value, donation_id=donation.id, blood_group=facts.group,
                    status=UnitStatus.QUARANTINED.value, volume_ml=volume_ml, collected_at=now,
                    expires_at=emergency.fresh_expiry(now), site_id=site.id, low_titer=standing.low_titre,
                    emergency_use=True, anticoagulant=anticoagulant, status_changed_at=now)
        session.add(unit)
        session.flush()
        unit_moves.record_event(uow, unit, "collected_in_emergency", to_status=unit.status, detail={
            "activation_id": activation.id, "member_id": member.id, "low_titre": standing.low_titre})
        uow.audit("create", "visit", visit.id, new={"donor_id": donor.id, "kind": visit.kind, "status": visit.status},
                  reason="emergency collection: abbreviated questionnaire")
        uow.audit("create", "donation", donation.id, new=snapshot(donation), reason=f"emergency collection, DIN {din}")
        uow.audit("create", "unit", unit.id, new=snapshot(unit, exclude=("discard_reason", "discard_note")),
                  reason="fresh whole blood, emergency use, not fully tested")
        view = _view(unit, donation.id)
        uow.commit()
    return view


def refrigerate(uow: UnitOfWork, *, unit_id: int) -> EmergencyUnitView:
    """Into the refrigerator now, within the window: stored whole blood, its expiry counted from collection.
    The time is the server's: recorded when it happens, never typed afterwards."""
    with uow:
        session = uow.session
        unit = unit_moves.load_unit(session, unit_id, lock=True)
        if not unit.emergency_use:
            raise InvalidInput(N_("Unit %(din)s was not collected in an emergency."), params={"din": unit.din})
        if unit.refrigerated_at is not None:
            raise Conflict(N_("Unit %(din)s was already refrigerated."), params={"din": unit.din})
        if unit.status != UnitStatus.QUARANTINED.value:
            raise Conflict(N_("Unit %(din)s is %(status)s: only a unit on the shelf is refrigerated."),
                           params={"din": unit.din, "status": unit.status.replace("_", " ")})
        at = utcnow()
        expires = emergency.stored_expiry(unit.collected_at, at, unit.anticoagulant or "")
        old = {"expires_at": unit.expires_at, "refrigerated_at": None}
        unit.refrigerated_at, unit.expires_at = at, expires
        session.flush()
        unit_moves.record_event(uow, unit, "refrigerated", detail={"expires_at": expires.isoformat()})
        uow.audit("update", "unit", unit.id, old=old, new={"expires_at": expires, "refrigerated_at": at},
                  reason="fresh whole blood refrigerated: stored whole blood")
        view = _view(unit, unit.donation_id)
        uow.commit()
    return view


def emergency_units(uow: UnitOfWork, *, site_id: int | None = None) -> list[EmergencyUnitView]:
    with uow:
        statement = select(Unit).where(Unit.emergency_use.is_(True))
        if site_id is not None:
            statement = statement.where(Unit.site_id == site_id)
        return [_view(u, u.donation_id) for u in uow.session.execute(statement.order_by(Unit.id.desc())).scalars()]
