"""Adverse transfusion reactions, bedside vital signs and returned units, as data.

Reaction categories, severity grades and imputability follow the ISBT Working
Party on Haemovigilance with the International Haemovigilance Network,
"Proposed standard definitions for surveillance of non infectious adverse
transfusion reactions" (2011, TACO correction 2013), with the revised TACO
surveillance criteria (ISBT/IHN/AABB 2018) and the 2019 TRALI redefinition.
Infections and bacterial contamination follow the serious adverse reaction
list of Commission Directive 2005/61/EC, Annex II. The summaries below are
short reminders for whoever reports, written for this project; the
haemovigilance officer applies the full published criteria.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput

ISBT_2011 = ("ISBT Working Party on Haemovigilance / IHN, Proposed standard definitions for surveillance "
             "of non infectious adverse transfusion reactions (2011, TACO correction 2013)")
TACO_2018 = ("Wiersum-Osselton JC et al., Revised international surveillance case definition of TACO "
             "(ISBT/IHN/AABB 2018), Lancet Haematol 2019;6:e350-e358")
TRALI_2019 = "Vlaar APJ et al., A consensus redefinition of TRALI, Transfusion 2019;59:2465-2476"
EU_2005_61 = "Commission Directive 2005/61/EC, Annex II (serious adverse reactions, imputability levels)"


@dataclass(frozen=True)
class ReactionCategory:
    code: str
    name: str
    onset: str
    summary: str
    # The donor side must investigate (donor antibodies, infection markers, contamination) whatever the grade.
    donor_investigation: bool
    source: str


REACTION_CATEGORIES: dict[str, ReactionCategory] = {c.code: c for c in (
    ReactionCategory("fnhtr", "Febrile non-haemolytic transfusion reaction", "during or within 4 h",
                     "Fever of 38 °C or more with a rise of at least 1 °C, and/or chills or rigors, "
                     "without another cause.", False, ISBT_2011),
    ReactionCategory("allergic", "Allergic reaction", "during or within 4 h",
                     "Mucocutaneous signs (rash, urticaria, itching, angioedema) without airway or "
                     "circulatory compromise.", False, ISBT_2011),
    ReactionCategory("anaphylactic", "Anaphylactic reaction", "during or within 4 h",
                     "Allergic reaction with airway compromise or severe hypotension needing treatment.",
                     False, ISBT_2011),
    ReactionCategory("ahtr", "Acute haemolytic transfusion reaction", "within 24 h",
                     "Clinical and laboratory signs of red cell destruction (e.g. ABO incompatibility).",
                     False, ISBT_2011),
    ReactionCategory("dhtr", "Delayed haemolytic transfusion reaction", "24 h to 28 days",
                     "Signs of haemolysis with a newly identified red cell alloantibody.", False, ISBT_2011),
    ReactionCategory("dstr", "Delayed serologic transfusion reaction", "24 h to 28 days",
                     "A new clinically significant red cell antibody without clinical haemolysis.",
                     False, ISBT_2011),
    ReactionCategory("taco", "Transfusion-associated circulatory overload", "within 12 h",
                     "Acute or worsening respiratory compromise and/or pulmonary oedema, with "
                     "cardiovascular changes or fluid overload (2018 criteria).", False, TACO_2018),
    ReactionCategory("trali", "Transfusion-related acute lung injury", "within 6 h",
                     "Acute hypoxaemia with bilateral infiltrates, no left atrial hypertension as the main "
                     "cause; donor leucocyte antibodies are investigated.", True, TRALI_2019),
    ReactionCategory("tad", "Transfusion-associated dyspnoea", "within 24 h",
                     "Respiratory distress not explained by TRALI, TACO or an allergic reaction.",
                     False, ISBT_2011),
    ReactionCategory("hypotensive", "Hypotensive transfusion reaction", "during or within 1 h",
                     "Systolic pressure falls by 30 mmHg or more to 80 mmHg or less, other causes excluded.",
                     False, ISBT_2011),
    ReactionCategory("ta_gvhd", "Transfusion-associated graft-versus-host disease", "2 days to 6 weeks",
                     "Fever, rash, liver dysfunction, diarrhoea and pancytopenia, with donor chimerism.",
                     False, ISBT_2011),
    ReactionCategory("ptp", "Post-transfusion purpura", "5 to 12 days",
                     "Thrombocytopenia with antibodies against human platelet antigens (HPA).",
                     False, ISBT_2011),
    ReactionCategory("tti", "Transfusion-transmitted infection (viral, parasitic, other)", "days to months",
                     "Infection in the recipient, absent before, with the donor or the component as source.",
                     True, EU_2005_61),
    ReactionCategory("bacterial", "Transfusion-transmitted bacterial infection / contamination",
                     "during or within 24 h",
                     "The same bacterium in the recipient's blood and in the component.", True, EU_2005_61),
    ReactionCategory("other", "Other reaction", "any time",
                     "A reaction that fits no category above; describe it.", False, ISBT_2011),
)}


@dataclass(frozen=True)
class Grade:
    code: str
    level: int
    name: str
    meaning: str
    source: str


SEVERITIES: dict[str, Grade] = {g.code: g for g in (
    Grade("non_severe", 1, "Non-severe", "Treatment may be needed; no risk of permanent damage.", ISBT_2011),
    Grade("severe", 2, "Severe", "Hospital stay started or prolonged, lasting disability, or treatment to "
                                 "prevent permanent damage.", ISBT_2011),
    Grade("life_threatening", 3, "Life-threatening", "Major intervention (vasopressors, intubation, intensive "
                                                     "care) needed to prevent death.", ISBT_2011),
    Grade("death", 4, "Death", "The patient died after the reaction.", ISBT_2011),
)}

IMPUTABILITY: dict[str, Grade] = {g.code: g for g in (
    Grade("definite", 3, "Definite (certain)", "Conclusive evidence that the transfusion caused it.", ISBT_2011),
    Grade("probable", 2, "Probable (likely)", "Evidence clearly in favour of the transfusion.", ISBT_2011),
    Grade("possible", 1, "Possible", "Evidence indeterminate between the transfusion and another cause.",
          ISBT_2011),
    Grade("unlikely", 0, "Unlikely (doubtful)", "Evidence clearly in favour of another cause.", ISBT_2011),
    Grade("excluded", 0, "Excluded", "Conclusive evidence of another cause.", ISBT_2011),
    Grade("not_assessable", -1, "Not assessable", "Not enough data to assess yet.", EU_2005_61),
)}


def _lookup(table: Mapping[str, object], code: str, what: str):
    key = (code or "").strip().lower().replace("-", "_").replace(" ", "_") if isinstance(code, str) else ""
    if key not in table:
        raise InvalidInput(f"'{code}' is not {what}: use one of {', '.join(table)}.")
    return table[key]


def category(code: str) -> ReactionCategory:
    return _lookup(REACTION_CATEGORIES, code, "a reaction category")


def severity(code: str) -> Grade:
    return _lookup(SEVERITIES, code, "a severity grade")


def imputability(code: str) -> Grade:
    return _lookup(IMPUTABILITY, code, "an imputability level")


def is_serious(severity_code: str) -> bool:
    """Serious in the EU Directive's sense: grade 2 (severe) or worse."""
    return severity(severity_code).level >= 2


def needs_donor_follow_up(category_code: str, severity_code: str, imputability_code: str) -> bool:
    """A serious reaction, or one the donor may be the source of, is investigated on the donor side.

    Only "excluded" stops it: an unlikely or unassessed TRALI may still mean a donor with antibodies.
    """
    if imputability(imputability_code).code == "excluded":
        return False
    return is_serious(severity_code) or category(category_code).donor_investigation


# ---------------------------------------------------------------- vital signs


@dataclass(frozen=True)
class VitalSign:
    code: str
    name: str
    unit: str
    low: float
    high: float
    integer: bool


# Plausible bounds, not normal ranges: a value outside is a typing error, not a patient.
VITAL_SIGNS: dict[str, VitalSign] = {v.code: v for v in (
    VitalSign("temperature_c", "temperature", "°C", 30, 45, False),
    VitalSign("pulse", "pulse", "beats/min", 20, 250, True),
    VitalSign("systolic", "systolic blood pressure", "mmHg", 40, 300, True),
    VitalSign("diastolic", "diastolic blood pressure", "mmHg", 20, 200, True),
    VitalSign("respiratory_rate", "respiratory rate", "breaths/min", 4, 80, True),
    VitalSign("spo2", "oxygen saturation", "%", 50, 100, True),
)}
# BSH, Guidelines on the administration of blood components (Robinson et al., Transfus Med 2018;28:3-21):
# pulse, blood pressure, temperature and respiratory rate before the start and after the end.
BASELINE_REQUIRED = ("temperature_c", "pulse", "systolic", "diastolic", "respiratory_rate")
AFTER_REQUIRED = BASELINE_REQUIRED


def validate_vitals(values: Mapping[str, object] | None, *, required: tuple[str, ...] = ()) -> dict:
    """The vital signs as plain numbers, or InvalidInput naming the one to correct."""
    if not isinstance(values, Mapping) or not values:
        raise InvalidInput("Record the vital signs: " + ", ".join(v.name for v in VITAL_SIGNS.values()) + ".")
    unknown = sorted(set(values) - set(VITAL_SIGNS))
    if unknown:
        raise InvalidInput(f"Unknown vital sign {', '.join(unknown)}: use {', '.join(VITAL_SIGNS)}.")
    missing = [VITAL_SIGNS[code].name for code in required if values.get(code) is None]
    if missing:
        raise InvalidInput("Also record: " + ", ".join(missing) + ".")
    clean = {code: _vital(VITAL_SIGNS[code], value) for code, value in values.items() if value is not None}
    if "systolic" in clean and "diastolic" in clean and clean["diastolic"] >= clean["systolic"]:
        raise InvalidInput(f"Blood pressure {clean['systolic']}/{clean['diastolic']}: the diastolic must be "
                           "lower than the systolic; check the figures.")
    return clean


def _vital(sign: VitalSign, value: object) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"The {sign.name} must be a number.")
    if sign.integer and value != int(value):
        raise InvalidInput(f"The {sign.name} is a whole number of {sign.unit}.")
    if not sign.low <= value <= sign.high:
        raise InvalidInput(f"A {sign.name} of {value} {sign.unit} is not possible "
                           f"(allowed {sign.low:g}-{sign.high:g}): check the figure.")
    return int(value) if sign.integer else round(float(value), 1)


def warning_signs(before: Mapping[str, float], now: Mapping[str, float]) -> tuple[str, ...]:
    """Changes from the baseline that the ISBT criteria name: the nurse must assess, maybe stop."""
    warnings = []
    t0, t1 = before.get("temperature_c"), now.get("temperature_c")
    if t0 is not None and t1 is not None and t1 >= 38 and t1 - t0 >= 1:
        warnings.append(f"Temperature {t1:g} °C, up {t1 - t0:.1f} °C: possible febrile or haemolytic reaction.")
    s0, s1 = before.get("systolic"), now.get("systolic")
    if s0 is not None and s1 is not None and s0 - s1 >= 30 and s1 <= 80:
        warnings.append(f"Systolic pressure fell from {s0} to {s1} mmHg: possible hypotensive reaction.")
    if now.get("spo2") is not None and now["spo2"] < 90:
        warnings.append(f"Oxygen saturation {now['spo2']} %: possible TRALI, TACO or anaphylaxis.")
    return tuple(warnings)


# ---------------------------------------------------------------- returned units


@dataclass(frozen=True)
class ReturnRule:
    name: str
    # Longest time out of controlled storage for a refrigerated component to go back on the shelf.
    refrigerated_minutes: int
    # Platelets and thawed cryoprecipitate stay at 20-24 °C: time off agitation, never refrigeration.
    room_temperature_minutes: int
    source: str


_PLATELET_NOTE = ("platelets may be without agitation for up to 24 h (AABB Standards; FDA platelet guidance) "
                  "and must never be refrigerated")
RETURN_RULES: dict[str, ReturnRule] = {r.name: r for r in (
    ReturnRule("30-minute", 30, 24 * 60,
               "The long-standing '30-minute rule' of UK (Red Book) and international practice; its origin is "
               "reviewed in Perry HE et al., Transfusion 2010;50:174-7; "
               + _PLATELET_NOTE),
    ReturnRule("60-minute", 60, 24 * 60,
               "Validated 60-minute limit: Thomas S et al., Transfusion 2013;53:1169-77; CSA Z902 (Canada) "
               "10.10.5 since 2016; " + _PLATELET_NOTE),
)}
DEFAULT_RETURN_RULE = RETURN_RULES["30-minute"]

_ROOM_TEMPERATURE = frozenset({ComponentKind.PLATELETS_APHERESIS, ComponentKind.PLATELETS_POOLED,
                               ComponentKind.CRYO})


@dataclass(frozen=True)
class ReturnDecision:
    restockable: bool
    reason: str


def return_decision(kind: str, minutes_out: int, kept_in_cold_chain: bool, *,
                    rule: ReturnRule = DEFAULT_RETURN_RULE) -> ReturnDecision:
    """Can a unit that came back unused go back into stock? (Its expiry is checked apart.)"""
    try:
        component = ComponentKind(kind)
    except ValueError:
        raise InvalidInput(f"'{kind}' is not a component kind.") from None
    if isinstance(minutes_out, bool) or not isinstance(minutes_out, int) or minutes_out < 0:
        raise InvalidInput("The time out of storage is a whole number of minutes, 0 or more.")
    if component in _ROOM_TEMPERATURE:
        if kept_in_cold_chain:
            return ReturnDecision(False, "it was refrigerated, which damages it (kept at 20-24 °C only)")
        if minutes_out > rule.room_temperature_minutes:
            return ReturnDecision(False, f"it was out for {minutes_out} min, more than "
                                         f"{rule.room_temperature_minutes} min")
        return ReturnDecision(True, "kept at room temperature within its limit")
    if kept_in_cold_chain:
        return ReturnDecision(True, "kept in a validated cold box")
    if minutes_out <= rule.refrigerated_minutes:
        return ReturnDecision(True, f"back within {rule.refrigerated_minutes} minutes")
    return ReturnDecision(False, f"it was out of controlled storage for {minutes_out} min, more than "
                                 f"{rule.refrigerated_minutes} min ({rule.name} rule)")


def return_restockable(kind: str, minutes_out: int, kept_in_cold_chain: bool, *,
                       rule: ReturnRule = DEFAULT_RETURN_RULE) -> bool:
    return return_decision(kind, minutes_out, kept_in_cold_chain, rule=rule).restockable
