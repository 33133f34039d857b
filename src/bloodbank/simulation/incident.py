"""A mass-casualty incident in a region: the platelet doses its casualties need, day by day and hospital by hospital.

The need is the domain's forecast (`mass_casualty.need` with its published
planning figures): the 0-6 h and 6-24 h windows fall on the incident's day,
the 24-72 h window on the next two days in equal parts. The casualties go to
the region's largest hospitals in equal shares. Our policy sends the
forecast to the receiving hospitals as it is declared (an emergency shipment
from the blood centre before the casualties' requests, and the later windows
added to the next days' orders); the baseline only reorders up to its level.
"""

from __future__ import annotations

import math

from bloodbank.domain import mass_casualty
from bloodbank.domain.incidents import Severity
from bloodbank.simulation.scenario import Scenario


def platelet_doses(scenario: Scenario) -> dict[int, int]:
    """Doses the incident's casualties need, by day (all groups together: the platelet pool has none)."""
    incident = scenario.incident
    casualties = {Severity(name): count for name, count in incident.casualties.items()}
    windows = mass_casualty.need(casualties, mass_casualty.default_parameters())
    by_window = {label: sum(units for (kind, _), units in lines.items() if kind == "platelets")
                 for label, lines in windows.items()}
    later = by_window["24-72h"]
    return {incident.day: by_window["0-6h"] + by_window["6-24h"],
            incident.day + 1: math.ceil(later / 2), incident.day + 2: later // 2}


def extra_requests(scenario: Scenario, day: int, hospital_index: int) -> int:
    """Doses the incident adds to one hospital's requests on one day (hospitals largest first, from 0)."""
    if scenario.incident is None or hospital_index >= scenario.incident.receiving_hospitals:
        return 0
    doses = platelet_doses(scenario).get(day, 0)
    share, rest = divmod(doses, scenario.incident.receiving_hospitals)
    return share + (1 if hospital_index < rest else 0)
