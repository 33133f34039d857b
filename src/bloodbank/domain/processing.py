"""Processing rules: which components a donation becomes, their product codes, divisions and volumes.

Pure: the service layer feeds plain values and stores what comes back.

Buffy coats. The buffy-coat method leaves, besides red cells and plasma, a
buffy coat that is never a unit in stock: it is pooled with 3-5 others into
one adult platelet dose under a new DIN. The pool's sources are its donations;
in the database it links to each donation's red cell unit (the nearest unit
of that donation), so trace and release reach every donor.

Platelet concentrates. The platelet-rich plasma method leaves one platelet
concentrate per donation, a unit of its own but a fraction of an adult dose
(`components.dose_refusal`): it is pooled with 3-5 others of its group in the
same way, the pool links to the concentrates, and they become `processed`.
A pool is made from buffy coats or from concentrates, never both.

Divisions (ISBT 128 product code, last two characters): `00` is an undivided
product; a first-level split gives `A0`, `B0`, `C0`... (a capital letter and
`0`); a second-level split of `A0` would give `Aa`, `Ab`..., which this
project does not make: only an undivided unit is split here, into 2-4
aliquots (paediatric packs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

from bloodbank.domain import components
from bloodbank.domain.blood_groups import ABO, parse_group
from bloodbank.domain.components import ComponentKind
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.isbt128 import ProductInfo, ProductTable, default_product_table

K = ComponentKind

# ---------------------------------------------------------------- regimes

_REGIME_OF_RULE_SET = MappingProxyType({"who": "who", "eu": "eu", "uk": "uk", "us-fda": "us"})


def regime_for_rule_set(rule_set: str) -> str:
    """The component regime (shelf lives) that goes with a site's eligibility rule set."""
    try:
        return _REGIME_OF_RULE_SET[rule_set]
    except (KeyError, TypeError):
        raise InvalidInput(
            f"The site's rule set {rule_set!r} has no component regime: expected one of "
            f"{', '.join(_REGIME_OF_RULE_SET)}."
        ) from None


# ---------------------------------------------------------------- methods

BUFFY_COAT, PRP, WHOLE_BLOOD = "buffy_coat", "prp", "whole_blood"
METHODS = (BUFFY_COAT, PRP, WHOLE_BLOOD)


def check_method(method: str) -> str:
    if method not in METHODS:
        raise InvalidInput(f"'{method}' is not a processing method: use one of {', '.join(METHODS)}.")
    return method


def components_for(method: str, *, low_titer: bool = False,
                   donor_group: str | None = None) -> tuple[ComponentKind, ...]:
    """The units a whole blood donation becomes by `method`.

    Low-titer whole blood is group O whole blood kept whole for massive
    bleeding; the titer itself is the laboratory's finding, the group is checked here.
    """
    check_method(method)
    if low_titer:
        if method != WHOLE_BLOOD:
            raise InvalidInput("Low-titer applies to whole blood kept whole: process with method whole_blood.")
        if donor_group is None:
            raise InvalidInput("The donor's group is not known yet: low-titer whole blood must be group O.")
        if parse_group(donor_group).abo is not ABO.O:
            raise InvalidInput(f"Low-titer whole blood must be group O; this donor is {donor_group}.")
        return (K.LTOWB,)
    if method == WHOLE_BLOOD:
        return (K.WHOLE_BLOOD,)
    return components.split_whole_blood(method)


def usual_leucoreduction(method: str) -> bool:
    """Separated components are filtered in most services; whole blood kept whole usually is not."""
    return check_method(method) != WHOLE_BLOOD


# ---------------------------------------------------------------- product codes

# Plasma and cryoprecipitate carry no leucoreduction attribute in the product
# table: leucoreduction is a property of the cellular components.
LEUCOREDUCIBLE = frozenset({K.WHOLE_BLOOD, K.LTOWB, K.RED_CELLS, K.PLATELETS_APHERESIS, K.PLATELETS_POOLED,
                            K.PLATELET_CONCENTRATE})
# Irradiation stops donor lymphocytes dividing; acellular plasma and cryo are never irradiated.
# A platelet concentrate is not irradiated on its own: the pool it goes into is.
IRRADIABLE = frozenset({K.WHOLE_BLOOD, K.LTOWB, K.RED_CELLS, K.PLATELETS_APHERESIS, K.PLATELETS_POOLED})

# Where a table holds several products for one combination (the shipped table
# has the public E0398 next to the generic placeholder X0005), the generic one
# is used: E0398 states an anticoagulant and volume this unit may not have. A
# site with a licensed table sets its own choices.
DEFAULT_CHOICES: Mapping[tuple[ComponentKind, bool, bool], str] = MappingProxyType({
    (K.WHOLE_BLOOD, False, False): "X0001",
    (K.RED_CELLS, False, False): "X0002",
    (K.RED_CELLS, False, True): "X0003",
    (K.RED_CELLS, True, False): "X0004",
    (K.RED_CELLS, True, True): "X0005",
    (K.PLASMA, False, False): "X0006",
    (K.PLATELETS_APHERESIS, False, True): "X0007",
    (K.PLATELETS_POOLED, False, True): "X0008",
    (K.CRYO, False, False): "X0009",
    (K.LTOWB, False, False): "X0010",
    (K.PLATELET_CONCENTRATE, False, True): "X0011",
})
# A pool of platelet concentrates is labelled as such, not as a buffy-coat pool.
CONCENTRATE_POOL_CHOICES: Mapping[tuple[ComponentKind, bool, bool], str] = MappingProxyType({
    **DEFAULT_CHOICES, (K.PLATELETS_POOLED, False, True): "X0012",
})


def _describe(kind: ComponentKind, irradiated: bool, leucoreduced: bool) -> str:
    words = [kind.value.replace("_", " ")]
    words.append("irradiated" if irradiated else "not irradiated")
    if kind in LEUCOREDUCIBLE:
        words.append("leucocyte-reduced" if leucoreduced else "not leucocyte-reduced")
    return ", ".join(words)


def choose_product(
    kind: ComponentKind | str, *, irradiated: bool = False, leucoreduced: bool = False,
    table: ProductTable | None = None,
    choices: Mapping[tuple[ComponentKind, bool, bool], str] = DEFAULT_CHOICES,
) -> ProductInfo:
    """The product table's entry for this kind and these attributes, or a refusal saying what is missing."""
    kind = _kind(kind)
    table = table or default_product_table()
    leucoreduced = leucoreduced and kind in LEUCOREDUCIBLE
    matches = [p for p in table.of_kind(kind.value)
               if p.irradiated == irradiated and p.leucoreduced == leucoreduced]
    what = _describe(kind, irradiated, leucoreduced)
    if not matches:
        raise InvalidInput(
            f"The product table has no product for {what}: load the site's licensed ISBT 128 table "
            "or add the product before making this component."
        )
    chosen = choices.get((kind, irradiated, leucoreduced))
    for info in matches:
        if info.code == chosen:
            return info
    if len(matches) > 1:
        codes = ", ".join(p.code for p in matches)
        raise InvalidInput(f"The product table has several products for {what} ({codes}): set the site's choice.")
    return matches[0]


def _kind(kind: ComponentKind | str) -> ComponentKind:
    try:
        return ComponentKind(kind)
    except ValueError:
        raise InvalidInput(f"'{kind}' is not a component kind.") from None


def check_irradiable(kind: ComponentKind | str) -> ComponentKind:
    kind = _kind(kind)
    not_a_dose = components.dose_refusal(kind)
    if not_a_dose:
        raise InvalidInput(f"Irradiate the pool, not the unit on its own: {not_a_dose}.")
    if kind not in IRRADIABLE:
        raise InvalidInput(
            f"{kind.value.replace('_', ' ').capitalize()} is not irradiated: it holds no living white cells. "
            "Only whole blood, red cells and platelets are."
        )
    return kind


# ---------------------------------------------------------------- divisions

UNDIVIDED = "00"
MIN_PARTS, MAX_PARTS = 2, 4


def division_codes(parts: int) -> tuple[str, ...]:
    """First-level division codes for a split into `parts` aliquots: A0, B0, C0, D0."""
    if isinstance(parts, bool) or not isinstance(parts, int) or not MIN_PARTS <= parts <= MAX_PARTS:
        raise InvalidInput(f"A unit is split into {MIN_PARTS} to {MAX_PARTS} aliquots; got {parts!r}.")
    return tuple(f"{chr(ord('A') + i)}0" for i in range(parts))


def check_splittable(division: str, kind: ComponentKind | str | None = None) -> None:
    not_a_dose = components.dose_refusal(kind) if kind is not None else None
    if not_a_dose:
        raise InvalidInput(f"This unit is not split into aliquots: {not_a_dose}.")
    if division != UNDIVIDED:
        raise InvalidInput(
            f"This unit is already an aliquot (division {division}): only an undivided unit (division 00) is split."
        )


# ---------------------------------------------------------------- volumes

# Typical volumes from a standard 450 mL whole blood donation (not a
# specification; a site replaces them with what its scales measure). Red cells
# include ~100 mL of additive solution, so the parts add up to more than 450.
# Typical figures after EDQM Guide component monographs and the Red Book ch. 7
# (red cells in additive solution ~220-340 mL, plasma ~250-300 mL); a PRP
# platelet concentrate ~50-70 mL (AABB Technical Manual); a single-donor
# cryoprecipitate ~40 mL (UK; US units are smaller).
REFERENCE_DONATION_ML = 450
TYPICAL_VOLUME_ML: Mapping[ComponentKind, int] = MappingProxyType({
    K.RED_CELLS: 280,
    K.PLASMA: 250,
    K.PLATELET_CONCENTRATE: 60,  # one donation's platelets by the PRP method
    K.CRYO: 40,
})
# A buffy-coat pool is suspended in platelet additive solution and plasma:
# typically ~300 mL for a pool of four.
POOL_ML_PER_BUFFY_COAT = 75


def _round5(value: float) -> int:
    return max(5, int(round(value / 5.0)) * 5)


def component_volume_ml(kind: ComponentKind | str, donation_volume_ml: int | None) -> int | None:
    """Typical volume of `kind`, scaled to the donation's volume; whole blood is the donation itself."""
    kind = _kind(kind)
    if donation_volume_ml is None:
        return None
    if kind in (K.WHOLE_BLOOD, K.LTOWB):
        return donation_volume_ml
    typical = TYPICAL_VOLUME_ML.get(kind)
    if typical is None:
        return None
    return _round5(typical * donation_volume_ml / REFERENCE_DONATION_ML)


def pool_volume_ml(buffy_coats: int) -> int:
    return buffy_coats * POOL_ML_PER_BUFFY_COAT


def concentrate_pool_volume_ml(volumes: Sequence[int | None]) -> int | None:
    """A pool of platelet concentrates holds what they held; unknown if any volume is."""
    if not volumes or any(v is None for v in volumes):
        return None
    return sum(volumes)


def aliquot_volume_ml(parent_ml: int | None, parts: int, each_ml: int | None = None) -> int | None:
    """Each aliquot's volume: an equal share, or `each_ml` if the parent holds that much."""
    division_codes(parts)
    if each_ml is None:
        return None if parent_ml is None else parent_ml // parts
    if isinstance(each_ml, bool) or not isinstance(each_ml, int) or each_ml <= 0:
        raise InvalidInput(f"An aliquot's volume is a positive number of mL; got {each_ml!r}.")
    if parent_ml is not None and each_ml * parts > parent_ml:
        raise InvalidInput(
            f"{parts} aliquots of {each_ml} mL need {each_ml * parts} mL; the unit holds {parent_ml} mL."
        )
    return each_ml


# ---------------------------------------------------------------- pooling


# What a pool is made from, by the method that processed its donations.
SOURCE_NAMES: Mapping[str, str] = MappingProxyType({BUFFY_COAT: "buffy coats", PRP: "platelet concentrates"})


def check_pool_size(count: int, method: str = BUFFY_COAT) -> None:
    sizes = components.rules().pool_sizes
    if not components.pool_size_ok(count):
        raise InvalidInput(
            f"A platelet pool is made from {sizes.start} to {sizes.stop - 1} {SOURCE_NAMES[method]}; {count} given."
        )


def check_distinct(ids: Iterable[int]) -> list[int]:
    ids = list(ids)
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InvalidInput(f"Donation {', '.join(map(str, repeated))} is listed twice: each goes in a pool once.")
    return ids


def pool_method(sources: Sequence[tuple[str, str]]) -> str:
    """The one method (buffy coat or PRP) behind every (DIN, method) source: a pool never mixes the two."""
    if not sources:
        sizes = components.rules().pool_sizes
        raise InvalidInput(f"A platelet pool is made from {sizes.start} to {sizes.stop - 1} buffy coats or "
                           "platelet concentrates; none given.")
    methods = sorted({method for _, method in sources})
    if len(methods) > 1:
        detail = "; ".join(f"{din} {SOURCE_NAMES[method][:-1]}" for din, method in sources)
        raise InvalidInput(
            f"A pool is made from buffy coats or from platelet concentrates, never both; these are mixed: {detail}."
        )
    return methods[0]


def pool_group(groups: Sequence[tuple[str, str | None]], method: str = BUFFY_COAT) -> str:
    """The one ABO/RhD group shared by every (DIN, group) source, or a refusal naming the odd ones."""
    what = SOURCE_NAMES[method]
    unknown = [din for din, group in groups if group is None]
    if unknown:
        raise InvalidInput(
            f"The group of {', '.join(unknown)} is not known or not confirmed: pool only {what} "
            "whose group the laboratory has confirmed."
        )
    parsed = {din: str(parse_group(group)) for din, group in groups}
    distinct = sorted(set(parsed.values()))
    if len(distinct) > 1:
        detail = "; ".join(f"{din} {group}" for din, group in parsed.items())
        raise InvalidInput(f"A pool is made from {what} of one ABO/RhD group; these are mixed: {detail}.")
    return distinct[0]
