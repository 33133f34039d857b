"""Seeded random streams, one per source of chance and per day.

Demand and supply each draw from their own stream, keyed by the day, so two
policies run on the same seed face the same requests and the same ages on
arrival whatever they order: the n-th unit delivered on a day has the same
remaining life under either policy.
"""

from __future__ import annotations

import numpy as np

DEMAND, SUPPLY = 0, 1


def stream(seed: int, source: int, day: int, place: int = 0) -> np.random.Generator:
    """`place` tells apart the hospitals of a region (and the blood centre); 0 is a lone hospital."""
    key = (source, day) if place == 0 else (source, day, place)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
