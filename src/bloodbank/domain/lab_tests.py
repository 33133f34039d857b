"""The lab's test vocabulary, as data: which tests exist and what each may return.

A result is checked against this table before it is stored, so a typo
("negitive", "hiv1") is refused at the bench instead of becoming a result
that nothing recognises. Anything other than "negative" on an infection
marker makes the donation unusable: the release rules and the consequences
of recording a result both read `is_unsafe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable

from bloodbank.domain.blood_groups import parse_group
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.messages import N_


class TestKind(str, Enum):
    GROUPING = "grouping"
    ANTIBODY = "antibody"
    MARKER = "marker"
    CMV = "cmv"


@dataclass(frozen=True)
class LabTest:
    code: str
    name: str
    kind: TestKind
    outcomes: frozenset[str]
    # Bacterial screening concerns platelets only (stored at room temperature).
    platelets_only: bool = False


_MARKER = frozenset({"negative", "reactive", "indeterminate", "positive"})
_NEG_POS = frozenset({"negative", "positive"})

TESTS: dict[str, LabTest] = {t.code: t for t in (
    LabTest("abo_rh", N_("ABO/RhD grouping"), TestKind.GROUPING, frozenset({"typed"})),
    LabTest("antibody_screen", N_("Antibody screen"), TestKind.ANTIBODY, _NEG_POS),
    LabTest("hiv", "HIV", TestKind.MARKER, _MARKER),
    LabTest("hbv", "HBV", TestKind.MARKER, _MARKER),
    LabTest("hcv", "HCV", TestKind.MARKER, _MARKER),
    LabTest("syphilis", N_("Syphilis"), TestKind.MARKER, _MARKER),
    LabTest("htlv", "HTLV", TestKind.MARKER, _MARKER),
    LabTest("nat_hiv", "HIV NAT", TestKind.MARKER, _MARKER),
    LabTest("nat_hbv", "HBV NAT", TestKind.MARKER, _MARKER),
    LabTest("nat_hcv", "HCV NAT", TestKind.MARKER, _MARKER),
    LabTest("bacterial", N_("Bacterial screen"), TestKind.MARKER, _MARKER, platelets_only=True),
    LabTest("cmv", "CMV", TestKind.CMV, _NEG_POS),
)}
MARKERS: tuple[str, ...] = tuple(code for code, t in TESTS.items() if t.kind is TestKind.MARKER)
GROUPING = "abo_rh"
# WHO's minimum for every donation: a site may add markers, never drop these.
DEFAULT_PANEL: tuple[str, ...] = ("hiv", "hbv", "hcv", "syphilis")
MINIMUM_PANEL = DEFAULT_PANEL
PLATELET_KINDS = frozenset({ComponentKind.PLATELETS_APHERESIS.value, ComponentKind.PLATELETS_POOLED.value,
                            ComponentKind.PLATELET_CONCENTRATE.value})
MAX_VALUE = 20


@dataclass(frozen=True)
class CheckedResult:
    test: str
    outcome: str
    value: str | None


def lab_test(code: str) -> LabTest:
    test = TESTS.get((code or "").strip().lower())
    if test is None:
        raise InvalidInput(f"Unknown test '{code}'; use one of: {', '.join(TESTS)}.")
    return test


def name_of(code: str) -> str:
    test = TESTS.get(code)
    return test.name if test else code


def check_result(test_code: str, outcome: str, value: str | None = None) -> CheckedResult:
    """The result as it will be stored, or InvalidInput saying what is wrong.

    For grouping the outcome is "typed" and the value the group; a group typed
    straight into the outcome ("A+") is read as that.
    """
    test = lab_test(test_code)
    outcome = (outcome or "").strip().lower()
    value = (value or "").strip() or None
    if test.kind is TestKind.GROUPING:
        return CheckedResult(test.code, "typed", _group_value(outcome, value))
    if outcome not in test.outcomes:
        raise InvalidInput(
            f"'{outcome}' is not a {test.name} outcome; use one of: {', '.join(sorted(test.outcomes))}."
        )
    if value is not None and len(value) > MAX_VALUE:
        raise InvalidInput(f"The value '{value}' is too long (at most {MAX_VALUE} characters).")
    return CheckedResult(test.code, outcome, value)


def _group_value(outcome: str, value: str | None) -> str:
    text = value if outcome == "typed" else (value or outcome)
    if outcome not in ("typed", "") and value is not None:
        raise InvalidInput("For ABO/RhD grouping, give the outcome 'typed' and the group as the value (e.g. A+).")
    if not text:
        raise InvalidInput("An ABO/RhD grouping needs the group typed, e.g. 'O-' or 'AB+'.")
    try:
        return str(parse_group(text))
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def is_unsafe(test_code: str, outcome: str) -> bool:
    """True for an infection marker that is anything but negative."""
    test = TESTS.get(test_code)
    return test is not None and test.kind is TestKind.MARKER and outcome != "negative"


def validate_panel(panel: Iterable[str]) -> tuple[str, ...]:
    """A site's mandatory markers, cleaned; unknown names and a panel short of the minimum are refused."""
    if isinstance(panel, str) or not isinstance(panel, Iterable):
        raise InvalidInput("The test panel must be a list of infection markers.")
    cleaned: list[str] = []
    for entry in panel:
        code = str(entry).strip().lower()
        if code not in MARKERS:
            raise InvalidInput(f"'{entry}' is not an infection marker; use any of: {', '.join(MARKERS)}.")
        if code not in cleaned:
            cleaned.append(code)
    missing = [code for code in MINIMUM_PANEL if code not in cleaned]
    if missing:
        raise InvalidInput(f"The test panel must include {', '.join(MINIMUM_PANEL)}; missing: {', '.join(missing)}.")
    return tuple(cleaned)


def required_tests(panel: Iterable[str], kind: str) -> tuple[str, ...]:
    """Grouping, then the panel's markers that apply to this kind of component.

    The minimum panel is required even if the site's list lost an entry:
    fail closed, never open.
    """
    codes = [GROUPING]
    for code in (*MINIMUM_PANEL, *panel):
        test = TESTS.get(code)
        if code in codes or (test is not None and test.platelets_only and kind not in PLATELET_KINDS):
            continue
        codes.append(code)
    return tuple(codes)
