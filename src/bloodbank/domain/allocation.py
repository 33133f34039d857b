"""Which units in stock to hold for an order.

Rules, in order: only units compatible with the patient's confirmed group
(or with any group while it is unconfirmed), meeting every special
requirement and not expiring before they are needed; ABO-identical before
merely compatible; first-expiring-first-out within each tier. O-negative red
cells are kept for O-negative patients and emergencies: anyone else gets
them only after every other suitable unit, and the allocation says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bloodbank.domain.blood_groups import ABO, ALL_GROUPS, BloodGroup
from bloodbank.domain.components import dose_refusal, kind_name
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_, Text
from bloodbank.domain.patient_profile import PatientProfile
from bloodbank.domain.requirements import (
    PLATELET_KINDS, Recipient, UnitFacts, group_status, manual_checks, recipient,
)

O_NEGATIVE = BloodGroup(ABO.O, False)


@dataclass(frozen=True)
class Allocation:
    units: tuple[UnitFacts, ...]
    notes: tuple[str, ...]
    shortfall: int


def kinds_for_order(kind: str) -> frozenset[str]:
    """Stock kinds that fill an order: "platelets" is filled by apheresis or pooled units.

    Never a kind that is not a dose (a single platelet concentrate), whatever the order says.
    """
    wanted = PLATELET_KINDS - {"platelets"} if kind == "platelets" else frozenset({kind})
    return frozenset(k for k in wanted if dose_refusal(k) is None)


def unit_refusals(unit: UnitFacts, *, kind: str, profile: PatientProfile | None, needed_by: datetime,
                  now: datetime) -> tuple[str, ...]:
    """Why this unit may not be held for this order; empty when it may."""
    return _refusals(unit, fills=kinds_for_order(kind), kind=kind, who=recipient(profile, now=now),
                     needed_by=needed_by, now=now)


def _refusals(unit: UnitFacts, *, fills: frozenset[str], kind: str, who: Recipient, needed_by: datetime,
              now: datetime) -> tuple[str, ...]:
    # `fills` and `who` depend on the order and the patient only: `choose_units` works them out once.
    reasons: list[str] = []
    not_a_dose = dose_refusal(unit.kind)
    if not_a_dose:
        reasons.append(Text(N_("Unit %(unit)s: %(why)s."), unit=unit.label, why=not_a_dose))
    elif unit.kind not in fills:
        reasons.append(Text(N_("Unit %(unit)s is %(kind)s, but the order is for %(ordered)s."), unit=unit.label,
                            kind=Text(kind_name(unit.kind)), ordered=Text(kind_name(kind))))
    if unit.status != "available":
        reasons.append(Text(N_("Unit %(unit)s is %(status)s, not available."), unit=unit.label,
                            status=Text(unit.status.replace("_", " "))))
    if unit.expires_at <= now:
        reasons.append(Text(N_("Unit %(unit)s expired at %(time)s UTC."), unit=unit.label,
                            time=f"{unit.expires_at:%Y-%m-%d %H:%M}"))
    elif unit.expires_at <= needed_by:
        reasons.append(Text(N_("Unit %(unit)s expires at %(time)s UTC, before it is needed (%(needed)s UTC)."),
                            unit=unit.label, time=f"{unit.expires_at:%Y-%m-%d %H:%M}",
                            needed=f"{needed_by:%Y-%m-%d %H:%M}"))
    if not who.compatible(unit):
        reasons.append(_incompatible(unit, who))
    reasons.extend(who.unmet_requirements(unit))
    return tuple(reasons)


def _incompatible(unit: UnitFacts, who: Recipient) -> str:
    status = who.status
    what = unit.blood_group or Text(N_("of unknown group"))
    if status.confirmed:
        return Text(N_("Unit %(unit)s (%(group)s) is not compatible with the patient's group %(patient)s."),
                    unit=unit.label, group=what, patient=str(status.group))
    return Text(N_("Unit %(unit)s (%(group)s) cannot be given before the patient's group is confirmed (red cells "
                   "%(wanted)s only, plasma AB only). %(status)s"), unit=unit.label, group=what,
                wanted=str(who.emergency), status=status.message)


def possible_groups(kind: str, profile: PatientProfile | None, *, now: datetime) -> frozenset[str]:
    """Every unit group that could suit this patient for this order: a pre-filter for the stock query.

    A superset on purpose (low-titer or not, any kind filling the order): each
    unit is still judged by `unit_refusals`, so the filter can only save time,
    never let a unit through.
    """
    who = recipient(profile, now=now)
    return frozenset(
        str(group) for group in ALL_GROUPS
        for stock_kind in kinds_for_order(kind) for low_titer in (False, True)
        if who.compatible(UnitFacts(id=0, din="", kind=stock_kind, blood_group=str(group), expires_at=now,
                                    low_titer=low_titer))
    )


def needs_o_negative(profile: PatientProfile | None, *, now: datetime) -> bool:
    """O-negative red cells are this patient's own group, or their emergency group while unconfirmed."""
    return _needs_o_negative(recipient(profile, now=now))


def _needs_o_negative(who: Recipient) -> bool:
    return (who.status.group if who.status.confirmed else who.emergency) == O_NEGATIVE


def choose_units(candidates: Sequence[UnitFacts], *, kind: str, quantity: int, profile: PatientProfile | None,
                 needed_by: datetime, now: datetime, emergency: bool) -> Allocation:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise InvalidInput(f"The quantity must be a whole number of units, at least 1; got {quantity!r}.")
    fills, who = kinds_for_order(kind), recipient(profile, now=now)
    eligible = [u for u in candidates
                if not _refusals(u, fills=fills, kind=kind, who=who, needed_by=needed_by, now=now)]
    spare_o_negative = kind == "red_cells" and not _needs_o_negative(who)
    eligible.sort(key=lambda u: _rank(u, who, spare_o_negative))
    chosen = tuple(eligible[:quantity])
    shortfall = quantity - len(chosen)
    return Allocation(chosen, _notes(chosen, who, kind, quantity, shortfall, spare_o_negative, emergency),
                      shortfall)


def _rank(unit: UnitFacts, who: Recipient, spare_o_negative: bool) -> tuple:
    o_negative_last = spare_o_negative and unit.group == O_NEGATIVE
    tier = 0 if who.abo_identical(unit) else 1
    return (o_negative_last, tier, unit.expires_at, unit.id)


def o_negative_note(profile: PatientProfile | None, *, emergency: bool) -> str:
    status = group_status(profile)
    if profile is None:
        who = "a stock order"
    elif status.confirmed:
        article = "a" if status.group.abo is ABO.B else "an"  # "an A+", "an AB+", "an O+", "a B+"
        who = f"{article} {status.group} patient"
    else:
        who = "a patient whose group is not confirmed"
    situation = "emergency; " if emergency else ""
    return f"O-negative unit used for {who}: {situation}no other compatible unit in stock."


def _notes(chosen: tuple[UnitFacts, ...], who: Recipient, kind: str, quantity: int, shortfall: int,
           spare_o_negative: bool, emergency: bool) -> tuple[str, ...]:
    notes = []
    profile, status = who.profile, who.status
    if profile is not None and not status.confirmed:
        notes.append(status.message)
    if spare_o_negative and any(u.group == O_NEGATIVE for u in chosen):
        notes.append(o_negative_note(profile, emergency=emergency))
    if chosen:
        notes.extend(manual_checks(profile))
    if shortfall:
        notes.append(Text(N_("Only %(found)s of %(quantity)s %(kind)s units could be found: %(short)s short."),
                          found=len(chosen), quantity=quantity, kind=Text(kind_name(kind)), short=shortfall))
    return tuple(notes)
