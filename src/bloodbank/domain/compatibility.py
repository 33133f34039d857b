"""ABO/RhD compatibility of donor and patient, for each component.

Who may receive what is data (`rules/compatibility.toml`, each table with its
source). This module reads the data once, on first use, and checks every table
against the antigen/antibody rule it names: a typo in the data must stop the
service from starting, never quietly allow an incompatible transfusion.
Answers then come from the tables.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from bloodbank.domain.blood_groups import ABO, ALL_GROUPS, BloodGroup, parse_group
from bloodbank.domain.errors import InvalidInput

Group = str | BloodGroup
Table = Mapping[BloodGroup, frozenset[BloodGroup]]

COMPONENTS = ("red_cells", "plasma", "platelets", "cryo", "whole_blood", "ltowb")
# Stock is held by component kind; both platelet kinds follow the platelet table.
_ALIASES = {"platelets_apheresis": "platelets", "platelets_pooled": "platelets"}
_ORDER = {group: index for index, group in enumerate(ALL_GROUPS)}


class CompatibilityTableError(ValueError):
    """The compatibility data are malformed or disagree with their rule: refuse to start."""


# --- the rules the tables must agree with -----------------------------------

def _rhd_ok(donor: BloodGroup, recipient: BloodGroup) -> bool:
    return recipient.rhd_positive or not donor.rhd_positive


def _no_foreign_antigen(donor: BloodGroup, recipient: BloodGroup) -> bool:
    return donor.abo.antigens <= recipient.abo.antigens


def _no_attacking_antibody(donor: BloodGroup, recipient: BloodGroup) -> bool:
    return not donor.abo.antibodies & recipient.abo.antigens


RULES: Mapping[str, Callable[[BloodGroup, BloodGroup], bool]] = {
    "abo_antigens_subset_and_rhd": lambda d, r: _no_foreign_antigen(d, r) and _rhd_ok(d, r),
    "abo_plasma": _no_attacking_antibody,
    "abo_any": lambda d, r: True,
    "abo_identical_and_rhd": lambda d, r: d.abo is r.abo and _rhd_ok(d, r),
    "group_o_and_rhd": lambda d, r: d.abo is ABO.O and _rhd_ok(d, r),
    "platelets_strict": lambda d, r: _no_attacking_antibody(d, r) and _rhd_ok(d, r),
}


# --- loading and checking the data ------------------------------------------

@dataclass(frozen=True)
class RhDPolicy:
    """When RhD-positive units may go to a patient who is, or may be, RhD-negative.

    Defaults come from the data (`default_policy()`); a site changes them with
    `dataclasses.replace`.
    """

    child_bearing_age_limit: int
    rhd_positive_allowed: bool
    source: str = ""


@dataclass(frozen=True)
class CompatibilityRules:
    tables: Mapping[str, Table]
    platelets_identical: Table
    sources: Mapping[str, str]
    policy: RhDPolicy
    emergency_plasma: ABO
    emergency_plasma_alternative: ABO


def _fail(message: str) -> CompatibilityTableError:
    return CompatibilityTableError(f"compatibility.toml: {message}")


def _section(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise _fail(f"{where} is missing '{key}'.")
    return data[key]


def _groups(text: Any, abo_only: bool, where: str) -> tuple[BloodGroup, ...]:
    """A listed group; in ABO-only tables one letter stands for both RhD types."""
    try:
        if abo_only:
            abo = ABO(text)
            return (BloodGroup(abo, False), BloodGroup(abo, True))
        return (parse_group(text),)
    except ValueError as exc:
        raise _fail(f"{where}: '{text}' is not a {'ABO group' if abo_only else 'blood group'}.") from exc


def _read_table(raw: Mapping[str, Any], abo_only: bool, where: str) -> dict[BloodGroup, frozenset[BloodGroup]]:
    table: dict[BloodGroup, frozenset[BloodGroup]] = {}
    for key, donors in raw.items():
        if not isinstance(donors, list):
            raise _fail(f"{where}[{key}] must be a list of groups.")
        listed = [g for text in donors for g in _groups(text, abo_only, f"{where}[{key}]")]
        if len(set(listed)) != len(listed):
            raise _fail(f"{where}[{key}] lists a group twice.")
        for recipient in _groups(key, abo_only, where):
            if recipient in table:
                raise _fail(f"{where} lists patient group {recipient} twice.")
            table[recipient] = frozenset(listed)
    return table


def _check(table: Table, rule: Callable[[BloodGroup, BloodGroup], bool], where: str) -> None:
    for recipient in ALL_GROUPS:
        if recipient not in table:
            raise _fail(f"{where} has no row for patient group {recipient}.")
        expected = {d for d in ALL_GROUPS if rule(d, recipient)}
        if extra := table[recipient] - expected:
            raise _fail(f"{where}[{recipient}] allows {_names(extra)}, which the ABO/RhD rule forbids.")
        if missing := expected - table[recipient]:
            raise _fail(f"{where}[{recipient}] omits {_names(missing)}, which the ABO/RhD rule allows.")


def _names(groups: frozenset[BloodGroup] | set[BloodGroup]) -> str:
    return ", ".join(str(g) for g in sorted(groups, key=_ORDER.__getitem__))


def _ruled_table(section: Mapping[str, Any], where: str, abo_only: bool = False) -> Table:
    rule_name = _section(section, "rule", where)
    if rule_name not in RULES:
        raise _fail(f"{where} names an unknown rule '{rule_name}'.")
    table = _read_table(_section(section, "donors_for", where), abo_only, f"{where}.donors_for")
    _check(table, RULES[rule_name], f"{where}.donors_for")
    return table


def _platelet_part(rows: Mapping[str, Any], part: str) -> dict[str, Any]:
    return {key: _section(row, part, f"platelets.donors_for[{key}]") for key, row in rows.items()}


def _platelet_tables(section: Mapping[str, Any]) -> tuple[Table, Table]:
    rows = _section(section, "donors_for", "platelets")
    for key, row in rows.items():
        if not isinstance(row, Mapping):
            raise _fail(f"platelets.donors_for[{key}] must have 'identical' and 'plasma_compatible' lists.")
    identical = _read_table(_platelet_part(rows, "identical"), False, "platelets.identical")
    others = _read_table(_platelet_part(rows, "plasma_compatible"), False, "platelets.plasma_compatible")
    _check(identical, RULES["abo_identical_and_rhd"], "platelets.identical")
    _check(others, lambda d, r: d.abo is not r.abo and RULES["platelets_strict"](d, r), "platelets.plasma_compatible")
    return identical, {r: identical[r] | others[r] for r in ALL_GROUPS}


def _policy(section: Mapping[str, Any]) -> RhDPolicy:
    limit = _section(section, "child_bearing_age_limit", "emergency")
    allowed = _section(section, "rhd_positive_allowed", "emergency")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit < 120:
        raise _fail("emergency.child_bearing_age_limit must be a whole number of years.")
    if not isinstance(allowed, bool):
        raise _fail("emergency.rhd_positive_allowed must be true or false.")
    return RhDPolicy(limit, allowed, _section(section, "source", "emergency"))


def _abo(text: Any, where: str) -> ABO:
    try:
        return ABO(text)
    except ValueError as exc:
        raise _fail(f"{where}: '{text}' is not an ABO group.") from exc


def build_rules(data: Mapping[str, Any]) -> CompatibilityRules:
    """Check parsed compatibility data and turn it into lookup tables."""
    cryo = _section(data, "cryo", "the file")
    identical, platelets = _platelet_tables(_section(data, "platelets", "the file"))
    tables = {
        "red_cells": _ruled_table(_section(data, "red_cells", "the file"), "red_cells"),
        "plasma": _ruled_table(_section(data, "plasma", "the file"), "plasma", abo_only=True),
        "platelets": platelets,
        "cryo_adult": _ruled_table(_section(cryo, "adult", "cryo"), "cryo.adult", abo_only=True),
        "cryo_child": _ruled_table(_section(cryo, "child", "cryo"), "cryo.child", abo_only=True),
        "whole_blood": _ruled_table(_section(data, "whole_blood", "the file"), "whole_blood"),
        "ltowb": _ruled_table(_section(data, "ltowb", "the file"), "ltowb"),
    }
    emergency = _section(data, "emergency", "the file")
    plasma = _section(emergency, "plasma", "emergency")
    return CompatibilityRules(
        tables=MappingProxyType({name: MappingProxyType(table) for name, table in tables.items()}),
        platelets_identical=MappingProxyType(identical),
        sources=MappingProxyType({name: _section(data[name], "source", name) for name in COMPONENTS}),
        policy=_policy(emergency),
        emergency_plasma=_abo(_section(plasma, "group", "emergency.plasma"), "emergency.plasma.group"),
        emergency_plasma_alternative=_abo(_section(plasma, "alternative", "emergency.plasma"), "emergency.plasma.alternative"),
    )


def read_packaged_data() -> dict[str, Any]:
    path = resources.files("bloodbank.domain") / "rules" / "compatibility.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@cache
def rules() -> CompatibilityRules:
    return build_rules(read_packaged_data())


def default_policy() -> RhDPolicy:
    return rules().policy


def __getattr__(name: str) -> Any:
    # DEFAULT_POLICY is read from the data on first use, not at import.
    if name == "DEFAULT_POLICY":
        return default_policy()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- questions answered from the tables -------------------------------------

def _allowed(table: str, donor: Group, recipient: Group) -> bool:
    return parse_group(donor) in rules().tables[table][parse_group(recipient)]


def red_cells_compatible(donor: Group, recipient: Group) -> bool:
    """RhD-positive to RhD-negative is always False here; see `rhd_override_permitted`."""
    return _allowed("red_cells", donor, recipient)


def plasma_compatible(donor: Group, recipient: Group) -> bool:
    return _allowed("plasma", donor, recipient)


def platelets_compatible(donor: Group, recipient: Group) -> bool:
    return _allowed("platelets", donor, recipient)


def platelet_preference(donor: Group, recipient: Group) -> int | None:
    """0 for ABO-identical, 1 for plasma-compatible, None when not acceptable.

    Lower is better, so allocation can sort on it.
    """
    d, r = parse_group(donor), parse_group(recipient)
    if d in rules().platelets_identical[r]:
        return 0
    return 1 if d in rules().tables["platelets"][r] else None


def cryo_compatible(donor: Group, recipient: Group, *, recipient_is_child: bool = False) -> bool:
    return _allowed("cryo_child" if recipient_is_child else "cryo_adult", donor, recipient)


def whole_blood_compatible(donor: Group, recipient: Group, *, low_titer: bool = False) -> bool:
    """`low_titer` widens only group O whole blood (LTOWB); other groups stay ABO-identical."""
    is_ltowb = low_titer and parse_group(donor).abo is ABO.O
    return _allowed("ltowb" if is_ltowb else "whole_blood", donor, recipient)


def _table_name(component: str, recipient_is_child: bool) -> str:
    name = _ALIASES.get(component, component)
    if name not in COMPONENTS:
        raise InvalidInput(f"Unknown component '{component}': expected one of {', '.join(COMPONENTS)}.")
    if name == "cryo":
        return "cryo_child" if recipient_is_child else "cryo_adult"
    return name


def compatible_donors(component: str, recipient: Group, *, recipient_is_child: bool = False) -> tuple[BloodGroup, ...]:
    """Donor groups the patient may receive; platelets come ABO-identical first."""
    name = _table_name(component, recipient_is_child)
    r = parse_group(recipient)
    donors = sorted(rules().tables[name][r], key=_ORDER.__getitem__)
    if name == "platelets":
        donors.sort(key=lambda d: platelet_preference(d, r))
    return tuple(donors)


def compatible_recipients(component: str, donor: Group, *, recipient_is_child: bool = False) -> tuple[BloodGroup, ...]:
    table = rules().tables[_table_name(component, recipient_is_child)]
    d = parse_group(donor)
    return tuple(r for r in ALL_GROUPS if d in table[r])


def rule_source(component: str) -> str:
    name = _ALIASES.get(component, component)
    if name not in COMPONENTS:
        raise InvalidInput(f"Unknown component '{component}': expected one of {', '.join(COMPONENTS)}.")
    return rules().sources[name]


# --- RhD-positive units for patients who are, or may be, RhD-negative --------

_FEMALE = {"f", "female", "woman", "w"}
_MALE = {"m", "male", "man"}
# Unknown, or not a statement about child-bearing potential: treat as possible.
_UNKNOWN = {"", "u", "unknown", "not known", "not stated", "x", "other", "indeterminate"}


def _sex(text: str | None) -> str | None:
    if text is not None and not isinstance(text, str):
        raise InvalidInput(f"'{text}' is not a recorded sex: use female, male or unknown.")
    key = (text or "").strip().lower()
    if key in _FEMALE:
        return "female"
    if key in _MALE:
        return "male"
    if key in _UNKNOWN:
        return None
    raise InvalidInput(f"'{text}' is not a recorded sex: use female, male or unknown.")


def _age(age: int | None) -> int | None:
    if age is not None and (isinstance(age, bool) or not isinstance(age, int) or age < 0):
        raise InvalidInput(f"'{age}' is not an age in whole years.")
    return age


def rhd_override_permitted(
    recipient_sex: str | None, recipient_age: int | None, *, policy: RhDPolicy | None = None
) -> bool:
    """May a physician consider RhD-positive units for this RhD-negative patient in a shortage?

    True for males and for females at or past the child-bearing age limit;
    False when sex, or a female's age, is unknown. This only says the
    question may be asked: the compatibility functions still answer False,
    and giving the unit is an override that must be recorded with the
    physician, the reason and the time (and, for platelets, anti-D considered).
    """
    policy = policy or default_policy()
    sex, age = _sex(recipient_sex), _age(recipient_age)
    if not policy.rhd_positive_allowed:
        return False
    if sex == "male":
        return True
    return sex == "female" and age is not None and age >= policy.child_bearing_age_limit


def emergency_red_cell_group(
    recipient_sex: str | None, recipient_age: int | None, *, policy: RhDPolicy | None = None
) -> BloodGroup:
    """Uncrossmatched red cells while the patient's group is unknown.

    O RhD-negative protects a female who may yet become pregnant from anti-D;
    O RhD-positive for everyone else spares the scarce O-negative stock.
    """
    rhd_positive = rhd_override_permitted(recipient_sex, recipient_age, policy=policy)
    return BloodGroup(ABO.O, rhd_positive)


def emergency_plasma_group() -> ABO:
    return rules().emergency_plasma


def emergency_plasma_alternative() -> ABO:
    """Group A plasma (low-titer anti-B) when AB is short."""
    return rules().emergency_plasma_alternative
