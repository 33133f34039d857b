"""May this unit leave the blood bank for this patient, now?

The last check before blood goes to a ward. Every reason is collected, not
just the first, so the clerk sees the whole picture; a hard stop (wrong
unit, wrong patient, incompatible) means stop and investigate, the others
can be put right (e.g. by a serological crossmatch).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bloodbank.domain import isbt128
from bloodbank.domain.blood_groups import ABO
from bloodbank.domain.components import dose_refusal
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.domain.patient_profile import PatientProfile, counted_groupings
from bloodbank.domain.patients import candidate_identifiers
from bloodbank.domain.requirements import (
    RED_CELL_KINDS, UnitFacts, compatible_with_patient, emergency_group, group_status, unmet_requirements,
)

# BSH pre-transfusion compatibility guideline (Milkins et al., Transfus Med
# 2013;23:3-35, section 5): for a patient transfused or pregnant in the last 3
# months the sample must be taken no more than 3 days before the transfusion.
# Whether that applies is not recorded here, so every patient gets the 3 days.
SAMPLE_VALIDITY = timedelta(days=3)

COMPATIBLE, INCOMPATIBLE = "compatible", "incompatible"


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    hard_stop: bool = False


class IssueRefused(Conflict):
    """The unit may not be issued; `refusals` lists every reason."""

    code = "issue_refused"

    def __init__(self, refusals: list[Refusal]):
        hard = any(r.hard_stop for r in refusals)
        head = "STOP: do not issue this unit." if hard else "This unit cannot be issued yet."
        super().__init__("\n".join([head, *(f"- {r.message}" for r in refusals)]))
        self.refusals = list(refusals)


# ---------------------------------------------------------------- electronic issue

def electronic_issue_allowed(profile: PatientProfile, *, now: datetime) -> tuple[bool, tuple[str, ...]]:
    """Electronic (computer) issue criteria, BSH guideline on IT in transfusion (2014) and Milkins et al. 2013."""
    reasons: list[str] = []
    status = group_status(profile)
    if not status.confirmed:
        reasons.append(status.message)
    if any(g.manually_edited for g in counted_groupings(profile)):
        reasons.append("A grouping result was entered or edited by hand.")
    if profile.antibodies:
        reasons.append(f"The patient has a history of clinically significant antibodies "
                       f"({', '.join(profile.antibodies)}).")
    reasons.extend(_screen_reasons(profile, now))
    if reasons:
        reasons.append("A serological crossmatch is required.")
    return not reasons, tuple(reasons)


def _screen_reasons(profile: PatientProfile, now: datetime) -> list[str]:
    if not profile.antibody_screens:
        return ["There is no antibody screen."]
    reasons = []
    latest = max(profile.antibody_screens, key=lambda s: s.tested_at)
    if any(s.positive for s in profile.antibody_screens if s is not latest):
        reasons.append("An earlier antibody screen was positive.")
    if latest.positive:
        reasons.append("The latest antibody screen is positive.")
    if latest.manually_edited:
        reasons.append("The latest antibody screen was entered or edited by hand.")
    if latest.tested_at < now - SAMPLE_VALIDITY:
        reasons.append(f"The latest antibody screen ({latest.tested_at:%Y-%m-%d %H:%M} UTC) is more than "
                       f"{SAMPLE_VALIDITY.days} days old: a new sample is needed.")
    return reasons


# ---------------------------------------------------------------- the checks at issue

def issue_checks(unit: UnitFacts, profile: PatientProfile, *, now: datetime, scanned_unit_din: str,
                 scanned_patient_id: str, crossmatch: str | None, emergency: bool,
                 reserved_for: int | None = None, scanned_product: str | None = None) -> list[Refusal]:
    """Every reason this unit may not go to this patient now; empty when it may.

    `reserved_for` is the patient whose live reservation holds the unit (None
    if none). `crossmatch` is the latest crossmatch of this unit against a
    current sample of this patient. In an emergency, group O red cells or
    group AB plasma go uncrossmatched, but the scans must still match.
    """
    refusals = [*_unit_scan(unit, scanned_unit_din, scanned_product), *_patient_scan(profile, scanned_patient_id)]
    not_a_dose = dose_refusal(unit.kind)
    if not_a_dose:
        refusals.append(Refusal("not_a_dose", f"Unit {unit.label}: {not_a_dose}.", hard_stop=True))
    refusals.extend(_holding(unit, profile, reserved_for, emergency))
    if unit.expires_at <= now:
        refusals.append(Refusal("expired", f"Unit {unit.label} expired at {unit.expires_at:%Y-%m-%d %H:%M} UTC.",
                                hard_stop=True))
    if not compatible_with_patient(unit, profile, now=now):
        refusals.append(Refusal("incompatible", _incompatible(unit, profile, now), hard_stop=True))
    refusals.extend(Refusal("requirement_not_met", m, hard_stop=True) for m in unmet_requirements(unit, profile))
    if crossmatch == INCOMPATIBLE:
        refusals.append(Refusal("crossmatch_incompatible",
                                f"The crossmatch of unit {unit.label} with this patient is INCOMPATIBLE.",
                                hard_stop=True))
    elif crossmatch not in (None, COMPATIBLE):
        refusals.append(Refusal("crossmatch_unknown", f"Crossmatch result '{crossmatch}' is not understood.",
                                hard_stop=True))
    if emergency:
        refusals.extend(_emergency_unit(unit, profile, now))
    elif unit.kind in RED_CELL_KINDS and crossmatch != COMPATIBLE:
        allowed, reasons = electronic_issue_allowed(profile, now=now)
        if not allowed:
            refusals.append(Refusal("crossmatch_required", "Electronic issue is not allowed: " + " ".join(reasons)))
    return refusals


def bedside_checks(unit: UnitFacts, profile: PatientProfile, *, now: datetime, scanned_unit_din: str,
                   scanned_patient_id: str, scanned_product: str | None = None) -> list[Refusal]:
    """What every issue checks whatever its route, one not fully tested included: both scans, a dose, expiry,
    compatibility with the patient and their special requirements."""
    refusals = [*_unit_scan(unit, scanned_unit_din, scanned_product), *_patient_scan(profile, scanned_patient_id)]
    not_a_dose = dose_refusal(unit.kind)
    if not_a_dose:
        refusals.append(Refusal("not_a_dose", f"Unit {unit.label}: {not_a_dose}.", hard_stop=True))
    if unit.expires_at <= now:
        refusals.append(Refusal("expired", f"Unit {unit.label} expired at {unit.expires_at:%Y-%m-%d %H:%M} UTC.",
                                hard_stop=True))
    if not compatible_with_patient(unit, profile, now=now):
        refusals.append(Refusal("incompatible", _incompatible(unit, profile, now), hard_stop=True))
    refusals.extend(Refusal("requirement_not_met", m, hard_stop=True) for m in unmet_requirements(unit, profile))
    return refusals


def _unit_scan(unit: UnitFacts, scanned: str, scanned_product: str | None) -> list[Refusal]:
    try:
        din = isbt128.parse_din(scanned)
    except InvalidInput as error:
        return [Refusal("unit_scan_unreadable", f"The unit scan could not be read: {error.message}", hard_stop=True)]
    if str(din) != unit.din:
        return [Refusal("wrong_unit", f"Scanned unit {din.eye_readable} is not the unit allocated "
                                      f"({isbt128.parse_din(unit.din).eye_readable}).", hard_stop=True)]
    if scanned_product is None:
        return []
    try:
        # The product table is not consulted: whatever the code, it must be the one on this unit.
        text = scanned_product.strip() if isinstance(scanned_product, str) else scanned_product
        _, body = isbt128.identify_scan(text if str(text).startswith("=<") else f"=<{text}",
                                        expect=isbt128.PRODUCT_CODE)
    except InvalidInput as error:
        return [Refusal("unit_scan_unreadable", f"The product code scan could not be read: {error.message}",
                        hard_stop=True)]
    if len(body) != 8 or (body[:5], body[6:]) != (unit.product_code, unit.division):
        return [Refusal("wrong_unit", f"Scanned product {body} is not the product allocated "
                                      f"({unit.product_code}, division {unit.division}) of DIN {unit.din}.",
                        hard_stop=True)]
    return []


def _patient_scan(profile: PatientProfile, scanned: str) -> list[Refusal]:
    try:
        scanned_ids = set(candidate_identifiers(scanned))
    except InvalidInput as error:
        return [Refusal("wrong_patient", f"Wrong patient? The patient identifier could not be read: {error.message}",
                        hard_stop=True)]
    if scanned_ids & set(profile.identifiers):
        return []
    return [Refusal("wrong_patient", f"Wrong patient: '{scanned}' is not an identifier of the patient this unit "
                                     "is for.", hard_stop=True)]


def _holding(unit: UnitFacts, profile: PatientProfile, reserved_for: int | None, emergency: bool) -> list[Refusal]:
    if unit.status == "reserved" and reserved_for == profile.patient_id:
        return []
    if emergency and unit.status == "available":
        return []
    if unit.status == "reserved":
        return [Refusal("reserved_for_another", f"Unit {unit.label} is reserved for another patient.",
                        hard_stop=True)]
    return [Refusal("not_reserved", f"Unit {unit.label} is {unit.status.replace('_', ' ')}, not reserved "
                                    "for this patient.", hard_stop=True)]


def _incompatible(unit: UnitFacts, profile: PatientProfile, now: datetime) -> str:
    status = group_status(profile)
    what = unit.blood_group or "of unknown group"
    if status.confirmed:
        return f"Unit {unit.label} ({what}) is NOT compatible with the patient's group {status.group}."
    return (f"Unit {unit.label} ({what}) is not one that may be given before the patient's group is confirmed. "
            f"{status.message}")


def _emergency_unit(unit: UnitFacts, profile: PatientProfile, now: datetime) -> list[Refusal]:
    """Uncrossmatched release is only for the emergency groups; the rest wait for testing."""
    wanted = emergency_group(profile, now=now)
    group = unit.group
    # RhD is already checked with compatibility: O-positive only where the emergency group allows it.
    if unit.kind == "red_cells" and group is not None and group.abo is ABO.O:
        return []
    if unit.kind == "plasma" and group is not None and group.abo is ABO.AB:
        return []
    return [Refusal("emergency_group",
                    f"Emergency release without crossmatch is for group O red cells ({wanted} for this patient) "
                    f"or group AB plasma; unit {unit.label} is {unit.blood_group or 'of unknown group'} "
                    f"{unit.kind.replace('_', ' ')}.", hard_stop=True)]
