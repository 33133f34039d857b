"""Requests for blood: how many units a day, in how many requests, for patients of which group.

The day's units follow the scenario's weekday distribution (negative binomial
or Poisson); red-cell units come in requests of 1-4 units, so their number of
requests is Poisson with mean units / mean request size. The forecast the
policies use is the same distribution, written out as probabilities.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bloodbank.simulation.scenario import Scenario
from bloodbank.simulation.streams import DEMAND, stream


@dataclass(frozen=True)
class Request:
    patient_group: str
    quantity: int


def day_requests(scenario: Scenario, seed: int, day: int, place: int = 0) -> tuple[Request, ...]:
    rng = stream(seed, DEMAND, day, place)
    weekday = day % 7
    mean = scenario.weekday_means[weekday]
    groups = list(scenario.patient_groups)
    shares = [scenario.patient_groups[g] for g in groups]
    sizes = list(scenario.request_sizes)
    size_p = [scenario.request_sizes[s] for s in sizes]
    if scenario.demand_model == "negative_binomial":
        k = scenario.weekday_sizes[weekday]
        units = int(rng.negative_binomial(k, k / (k + mean)))
        quantities = [1] * units if sizes == [1] else _split(rng, units, sizes, size_p)
    else:
        count = int(rng.poisson(mean / scenario.mean_request_size))
        quantities = [int(q) for q in rng.choice(sizes, size=count, p=size_p)] if count else []
    patients = rng.choice(len(groups), size=len(quantities), p=shares) if quantities else []
    return tuple(Request(groups[int(g)], q) for g, q in zip(patients, quantities))


def _split(rng, units: int, sizes: list[int], size_p: list[float]) -> list[int]:
    quantities = []
    while units > 0:
        q = min(units, int(rng.choice(sizes, p=size_p)))
        quantities.append(q)
        units -= q
    return quantities


# ---------------------------------------------------------------- the forecast

def _poisson_pmf(mean: float, n: int) -> list[float]:
    return [math.exp(k * math.log(mean) - mean - math.lgamma(k + 1)) if mean > 0 else float(k == 0)
            for k in range(n)]


def _negative_binomial_pmf(mean: float, size: float, n: int) -> list[float]:
    p = size / (size + mean)
    return [math.exp(math.lgamma(k + size) - math.lgamma(size) - math.lgamma(k + 1)
                     + size * math.log(p) + k * math.log1p(-p)) for k in range(n)]


def _compound_poisson_pmf(rate: float, severity: dict[int, float], n: int) -> list[float]:
    """Units in a Poisson number of requests of random size (Panjer's recursion)."""
    g = [math.exp(-rate)] + [0.0] * (n - 1)
    for total in range(1, n):
        g[total] = rate / total * sum(j * p * g[total - j] for j, p in severity.items() if j <= total)
    return g


def units_pmf(scenario: Scenario, weekday: int, share: float = 1.0) -> list[float]:
    """Probability of each number of units asked for on a weekday, for patients making up `share` of demand."""
    mean = scenario.weekday_means[weekday] * share
    n = int(mean + 12 * math.sqrt(mean + 1) * max(scenario.request_sizes) + 20)
    if scenario.demand_model == "negative_binomial":
        # Thinning a negative binomial keeps its size: each group's share is NB(size, share x mean).
        return _negative_binomial_pmf(mean, scenario.weekday_sizes[weekday], n)
    if list(scenario.request_sizes) == [1]:
        return _poisson_pmf(mean, n)
    return _compound_poisson_pmf(mean / scenario.mean_request_size, scenario.request_sizes, n)


def quantile(pmf: list[float], level: float) -> int:
    """The smallest number of units that covers the demand with probability `level`."""
    total = 0.0
    for units, p in enumerate(pmf):
        total += p
        if total >= level:
            return units
    return len(pmf) - 1
