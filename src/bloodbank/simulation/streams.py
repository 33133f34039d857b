"""Seeded random streams, one per source of chance and per day.

Demand and supply each draw from their own stream, keyed by the day, so two
policies run on the same seed face the same requests and the same ages on
arrival whatever they order: the n-th unit delivered on a day has the same
remaining life under either policy.
"""

from __future__ import annotations

import numpy as np

DEMAND, SUPPLY = 0, 1


def stream(seed: int, source: int, day: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(source, day))))
