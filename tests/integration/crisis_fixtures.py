"""Planning figures simple enough to work a shortfall out by hand: all need is red cells O-."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources

from bloodbank.domain import mass_casualty


def o_negative_only(*, per_severe: float = 1.0, shares=(0.5, 0.3, 0.2)) -> mass_casualty.Parameters:
    path = resources.files("bloodbank.domain") / "rules" / "mass_casualty.toml"
    document = copy.deepcopy(tomllib.loads(path.read_text(encoding="utf-8")))
    document["need"]["red_cells_per_casualty"]["severe"]["value"] = per_severe
    for kind in ("plasma", "platelets"):
        document["need"]["per_red_cell_unit"][kind]["value"] = 0
    for window, share in zip(("0-6h", "6-24h", "24-72h"), shares):
        document["windows"][window]["value"] = share
    population = document["groups"]["population"]
    for group in ("O+", "A+", "A-", "B+", "B-", "AB+", "AB-"):
        population[group] = 0.0
    population["O-"] = 1.0
    return mass_casualty.parameters_from(document)
