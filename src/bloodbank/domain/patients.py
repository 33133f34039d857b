"""Pure rules about patients (recipients) and their orders.

Identifier systems, special requirements, antibody names and urgencies are data
here, so a screen, a CLI and a validator all read the same list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.components import ComponentKind, dose_refusal
from bloodbank.domain.errors import InvalidInput, InvalidTransition
from bloodbank.domain.messages import N_
from bloodbank.domain.patient_profile import REQUIREMENTS as PROFILE_REQUIREMENTS, counted_groupings
from bloodbank.domain.second_entry import AWAITING

# ---------------------------------------------------------------- identifiers


@dataclass(frozen=True)
class IdentifierSystem:
    code: str
    name: str
    example: str
    description: str


IDENTIFIER_SYSTEMS: dict[str, IdentifierSystem] = {
    system.code: system for system in (
        IdentifierSystem(
            "mrn", N_("Hospital number"), "RXH:123456",
            "Medical record number, unique only inside its hospital, so it is written with the "
            "hospital code in front: CODE:NUMBER."),
        IdentifierSystem(
            "nhs", N_("NHS number"), "943 476 5919",
            "England, Wales and the Isle of Man: 10 digits, the last a Modulus 11 check digit."),
        IdentifierSystem(
            "national", N_("National number"), "FRA:1840275123456",
            "Another country's national health or identity number, with the ISO 3166 country "
            "code in front (COUNTRY:NUMBER); no check digit is verified."),
        IdentifierSystem(
            "emergency", N_("Emergency number"), "EM-2026-0001",
            "Given to a patient whose identity is not yet known (trauma, unconscious); "
            "merged into the real record once the patient is identified."),
        IdentifierSystem(
            "passport", N_("Passport number"), "GBR:123456789",
            "Passport number with the issuing country's ISO 3166 code in front (COUNTRY:NUMBER)."),
    )
}


def identifier_system_name(code: str) -> str:
    """The words for an identifier type ("Hospital number"); a code this version does not know, as it is."""
    system = IDENTIFIER_SYSTEMS.get(code)
    return system.name if system else str(code)


SYSTEM_ALIASES = {"hospital": "mrn", "national_number": "national", "em": "emergency"}

_HOSPITAL_CODE = re.compile(r"^[A-Z0-9]{2,20}$")
_COUNTRY = re.compile(r"^[A-Z]{3}$")
_LOCAL_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9/-]{0,38}$")
_EMERGENCY = re.compile(r"^EM-(\d{4})-(\d{4,})$")


def system_code(text: str) -> str:
    code = (text or "").strip().lower()
    code = SYSTEM_ALIASES.get(code, code)
    if code not in IDENTIFIER_SYSTEMS:
        known = ", ".join(IDENTIFIER_SYSTEMS)
        raise InvalidInput(f"'{text}' is not an identifier type: use one of {known}.")
    return code


def is_system(text: str) -> bool:
    code = (text or "").strip().lower()
    return SYSTEM_ALIASES.get(code, code) in IDENTIFIER_SYSTEMS


def normalize_identifier(system: str, value: str) -> tuple[str, str]:
    """(system, value) in the one form stored, or InvalidInput saying what to fix."""
    code = system_code(system)
    raw = value.strip() if isinstance(value, str) else ""
    if not raw:
        raise InvalidInput(f"The {IDENTIFIER_SYSTEMS[code].name.lower()} is empty.")
    return code, _NORMALIZERS[code](raw)


def _qualified(raw: str, *, what: str, prefix: re.Pattern, prefix_name: str, example: str) -> str:
    head, sep, tail = raw.partition(":")
    head = head.strip().upper()
    number = re.sub(r"\s+", "", tail).upper()
    if not sep or not prefix.match(head):
        raise InvalidInput(f"A {what} is written {prefix_name}:NUMBER, e.g. {example}; got '{raw}'.")
    if not _LOCAL_NUMBER.match(number):
        raise InvalidInput(f"'{tail.strip()}' is not a {what}: letters, digits, '/' or '-' only, "
                           "at most 39 characters.")
    return f"{head}:{number}"


def _mrn(raw: str) -> str:
    return _qualified(raw, what="hospital number", prefix=_HOSPITAL_CODE, prefix_name="HOSPITALCODE",
                      example="RXH:123456")


def _national(raw: str) -> str:
    return _qualified(raw, what="national number", prefix=_COUNTRY, prefix_name="COUNTRY",
                      example="FRA:1840275123456")


def _passport(raw: str) -> str:
    return _qualified(raw, what="passport number", prefix=_COUNTRY, prefix_name="COUNTRY",
                      example="GBR:123456789")


def _nhs(raw: str) -> str:
    digits = re.sub(r"[\s-]+", "", raw)
    if not re.fullmatch(r"\d{10}", digits):
        raise InvalidInput(f"An NHS number has 10 digits (e.g. 943 476 5919); got '{raw}'.")
    if not nhs_number_valid(digits):
        raise InvalidInput(f"{raw} is not a valid NHS number: its check digit is wrong. "
                           "Read it again from the wristband or the notes.")
    return digits


def _emergency(raw: str) -> str:
    value = re.sub(r"\s+", "", raw).upper()
    if not _EMERGENCY.match(value):
        raise InvalidInput(f"An emergency number looks like EM-2026-0001; got '{raw}'.")
    return value


_NORMALIZERS = {"mrn": _mrn, "nhs": _nhs, "national": _national, "emergency": _emergency,
                "passport": _passport}


def nhs_number_valid(digits: str) -> bool:
    """Modulus 11 check, as set out for the data element NHS NUMBER in the NHS Data Dictionary.

    Weights 10 down to 2 on the first nine digits; 11 minus the remainder of
    the sum by 11 is the check digit (11 counts as 0; 10 means no valid number).
    """
    if not re.fullmatch(r"\d{10}", digits or ""):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def split_identifier(text: str) -> tuple[str | None, str]:
    """"SYSTEM:VALUE" → (system, value); anything else is a bare value (system None).

    A hospital number itself holds a colon ("RXH:123456"), so only a known
    system name before the first colon counts as one.
    """
    raw = (text or "").strip()
    head, sep, tail = raw.partition(":")
    if sep and is_system(head):
        return system_code(head), tail.strip()
    return None, raw


def candidate_identifiers(text: str) -> list[tuple[str, str]]:
    """Every stored (system, value) that `text` could stand for."""
    system, value = split_identifier(text)
    if not value:
        raise InvalidInput("Type or scan a patient identifier, e.g. mrn:RXH:123456 or EM-2026-0001.")
    if system is not None:
        return [normalize_identifier(system, value)]
    found = []
    for code in IDENTIFIER_SYSTEMS:
        try:
            found.append(normalize_identifier(code, value))
        except InvalidInput:
            continue
    return found


def emergency_number(year: int, serial: int) -> str:
    return f"EM-{year:04d}-{serial:04d}"


def emergency_serial(value: str) -> tuple[int, int] | None:
    match = _EMERGENCY.match(value or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


# ---------------------------------------------------------------- people

SEXES = {"F": "female", "M": "male"}


def normalize_sex(text: str | None) -> str | None:
    """F, M, or None when not known (an unconscious patient: treated as possibly female)."""
    if text is None or str(text).strip() == "" or str(text).strip().upper() in {"U", "UNKNOWN"}:
        return None
    value = str(text).strip().upper()[:1]
    if value not in SEXES or str(text).strip().lower() not in {"f", "m", "female", "male"}:
        raise InvalidInput(f"Sex '{text}' not understood: F, M, or leave empty when not known.")
    return value


def normalize_group(text: str) -> str:
    try:
        return str(parse_group(text))
    except ValueError as error:
        raise InvalidInput(str(error)) from None


# ---------------------------------------------------------------- special requirements

# Enforced at allocation and issue: the codes the patient profile's REQUIREMENTS maps to a unit check.
ENFORCED_REQUIREMENTS = frozenset(PROFILE_REQUIREMENTS)
SPECIAL_REQUIREMENTS: dict[str, str] = {
    "irradiated": "Irradiated cellular components (risk of transfusion-associated graft-versus-host "
                  "disease: e.g. Hodgkin lymphoma, purine analogues, stem-cell transplant).",
    "cmv_negative": "CMV-seronegative components (e.g. intrauterine transfusion, pregnancy).",
    "rhd_negative_only": "RhD-negative red cells and platelets only, never an RhD-positive override "
                         "(e.g. anti-D present, or a female who may become pregnant).",
    "hla_matched": "HLA-matched platelets (refractoriness). Recorded and shown, NOT yet enforced at "
                   "allocation or issue: the lab must check each unit by hand.",
    "washed": "Washed red cells or platelets (e.g. IgA deficiency with anti-IgA, repeated severe "
              "allergic reactions). Recorded and shown, NOT yet enforced at allocation or issue.",
}


# What a person reads for each code, on a screen or inside a sentence ("needs %(requirement)s components").
REQUIREMENT_NAMES: dict[str, str] = {
    "irradiated": N_("irradiated"),
    "cmv_negative": N_("CMV-negative"),
    "rhd_negative_only": N_("RhD-negative only"),
    "hla_matched": N_("HLA-matched"),
    "washed": N_("washed"),
}


def requirement_name(code: str) -> str:
    """The words for a requirement code; one this version does not know is shown as it is."""
    return REQUIREMENT_NAMES.get(code, str(code).replace("_", " "))


def requirement_code(text: str) -> str:
    code = re.sub(r"[\s-]+", "_", (text or "").strip().lower())
    if code not in SPECIAL_REQUIREMENTS:
        raise InvalidInput(f"'{text}' is not a special requirement: use one of {', '.join(SPECIAL_REQUIREMENTS)}.")
    return code


# ---------------------------------------------------------------- antibodies

# Red-cell alloantibodies by blood group system. The antigen's case matters: anti-c is not anti-C.
ANTIBODIES: dict[str, str] = {
    **{f"anti-{a}": "Rh" for a in ("D", "C", "c", "E", "e", "Cw", "G", "f", "V")},
    **{f"anti-{a}": "Kell" for a in ("K", "k", "Kpa", "Kpb", "Jsa", "Jsb")},
    **{f"anti-{a}": "Duffy" for a in ("Fya", "Fyb")},
    **{f"anti-{a}": "Kidd" for a in ("Jka", "Jkb")},
    **{f"anti-{a}": "MNS" for a in ("M", "N", "S", "s", "U")},
    **{f"anti-{a}": "Lewis" for a in ("Lea", "Leb")},
    **{f"anti-{a}": "Lutheran" for a in ("Lua", "Lub")},
    **{f"anti-{a}": "Diego" for a in ("Dia", "Dib", "Wra")},
    "anti-P1": "P1PK", "anti-Vel": "Vel", "anti-Ge": "Gerbich", "anti-H": "H (Bombay phenotype)",
}
OTHER_PREFIX = "other:"
MAX_ANTIBODY_LENGTH = 30


def antibody_name(text: str) -> str:
    """The listed name ("anti-Fy(a)", "Anti Fya" → "anti-Fya"), or "other:…" kept as typed."""
    raw = re.sub(r"\s+", " ", (text or "").strip())
    if raw.lower().startswith(OTHER_PREFIX):
        detail = raw[len(OTHER_PREFIX):].strip()
        if not detail or len(OTHER_PREFIX) + len(detail) > MAX_ANTIBODY_LENGTH:
            raise InvalidInput(f"After 'other:' name the antibody in at most "
                               f"{MAX_ANTIBODY_LENGTH - len(OTHER_PREFIX)} characters, e.g. other:anti-Yta.")
        return OTHER_PREFIX + detail
    match = re.fullmatch(r"(?i:anti)[\s-]*([A-Za-z]+)\s*(?:\(([A-Za-z])\))?", raw)
    if match:
        name = f"anti-{match.group(1)}{match.group(2) or ''}"
        same_letters = [known for known in ANTIBODIES if known.lower() == name.lower()]
        # All capitals ("ANTI-K") hides the case that tells anti-K from anti-k.
        shouted = raw == raw.upper() and len(same_letters) > 1
        if name in ANTIBODIES and not shouted:
            return name
        if len(same_letters) == 1:
            return same_letters[0]
        if len(same_letters) > 1:
            raise InvalidInput(f"'{text}' could be {' or '.join(same_letters)}: the case of the antigen "
                               "matters, write it exactly.")
    raise InvalidInput(f"'{text}' is not a listed antibody (e.g. anti-D, anti-K, anti-Fya); "
                       "write 'other:' in front to record one that is not listed.")


# ---------------------------------------------------------------- groupings


def grouping_status(groupings) -> str:
    """"none", "unverified", "single", "confirmed" or "discrepant" for a profile or its groupings.

    Confirmed needs two concordant groupings on separately taken samples: one
    sample can be from the wrong patient (wrong blood in tube). A historical
    result counts as a separate sample; a grouping typed in with no sample does
    not confirm anything, though it can still disagree. Nor does a grouping
    typed by hand until a blind second entry agrees with it
    (`domain.second_entry`); it too can disagree, and so can a second entry
    that differs from the first. With no grouping that counts the patient is
    "unverified": treated as ungrouped.
    """
    groupings = counted_groupings(groupings)  # one entered in error no longer counts
    if not groupings:
        return "none"
    try:
        groups = {parse_group(typed) for g in groupings for typed in g.typed_groups}
    except ValueError:
        return "discrepant"  # an unreadable result is never taken as agreement
    if len(groups) > 1:
        return "discrepant"
    confirming = [g for g in groupings if g.entry_check.counts]
    if not confirming:
        return "unverified"
    samples = {("sample", g.sample_id) if g.sample_id is not None else ("historical", i)
               for i, g in enumerate(confirming) if g.sample_id is not None or g.historical}
    return "confirmed" if len(samples) >= 2 else "single"


def awaiting_second_entry(groupings) -> bool:
    """True when a grouping typed by hand still waits for its second entry."""
    return any(g.entry_check.state == AWAITING for g in counted_groupings(groupings))


# ---------------------------------------------------------------- orders

URGENCIES: dict[str, str] = {
    "routine": N_("Planned (e.g. surgery tomorrow): full pre-transfusion testing, crossmatched units by the "
                  "time needed."),
    "urgent": N_("Needed within hours: testing done first but prioritised."),
    "emergency": N_("Needed now: group-specific, or group O before the group is known, may be issued "
                    "before testing is complete."),
    "massive_transfusion": N_("Massive haemorrhage protocol: packs of red cells and plasma (platelets, "
                              "cryoprecipitate) issued in fixed ratios without waiting for tests."),
}
MAX_ORDER_QUANTITY = 50


def order_kinds() -> tuple[str, ...]:
    """Every component kind a ward may order: a kind that is never a dose (a platelet concentrate) is not one."""
    return tuple(kind.value for kind in ComponentKind if dose_refusal(kind) is None)


def __getattr__(name: str):
    # ORDER_KINDS is read from the component data on first use, not at import.
    if name == "ORDER_KINDS":
        return order_kinds()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"allocated", "issued", "cancelled"}),
    "allocated": frozenset({"open", "issued", "cancelled"}),  # back to open when reservations lapse
    "issued": frozenset({"fulfilled", "cancelled"}),  # cancelled: the rest is no longer needed
    "fulfilled": frozenset(),
    "cancelled": frozenset(),
}


def order_transition(current: str, target: str) -> str:
    if target not in ORDER_TRANSITIONS:
        raise InvalidInput(f"'{target}' is not an order status: use one of {', '.join(ORDER_TRANSITIONS)}.")
    if target != current and target not in ORDER_TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(f"An order that is {current} cannot become {target}.")
    return target


def urgency_code(text: str) -> str:
    code = re.sub(r"[\s-]+", "_", (text or "").strip().lower())
    if code not in URGENCIES:
        raise InvalidInput(f"'{text}' is not an urgency: use one of {', '.join(URGENCIES)}.")
    return code


def order_kind(text: str) -> str:
    code = re.sub(r"[\s-]+", "_", (text or "").strip().lower())
    not_a_dose = dose_refusal(code)
    if not_a_dose:
        raise InvalidInput(f"'{text}' cannot be ordered: {not_a_dose}. Order platelets_pooled or platelets_apheresis.")
    kinds = order_kinds()
    if code not in kinds:
        raise InvalidInput(f"'{text}' is not a component that can be ordered: use one of {', '.join(kinds)}.")
    return code


def order_quantity(quantity) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_ORDER_QUANTITY:
        raise InvalidInput(f"Order between 1 and {MAX_ORDER_QUANTITY} units; got {quantity!r}.")
    return quantity
