"""The demo's walking-blood-bank panel: a dozen volunteers of the first site, their titres, one lapsed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from bloodbank.config import get_settings
from bloodbank.service_layer.field import panel, titres
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

PANEL_SIZE = 12
# (anti-A, anti-B, days ago): low and current, low but lapsed (re-titre), high.
TITRES = ((64, 32, 20), (128, 64, 45), (32, 32, 120), (512, 128, 30))


def load_panel(make_uow: Callable[[], UnitOfWork], site_id: int, donors) -> int:
    """Joined through the use cases, each by their own (demo) consent; returns how many joined."""
    if panel.panel_board(make_uow(), site_id=site_id).members:
        return 0
    typed = [d for d in donors if d.blood_group and d.site.id == site_id and len(d.donations) >= 2]
    chosen = sorted(typed, key=lambda d: (not d.blood_group.startswith("O"), d.donor_id))[:PANEL_SIZE]
    now = datetime.now(timezone.utc)
    for n, donor in enumerate(chosen):
        panel.join_panel(make_uow(), site_id=site_id, donor_id=donor.donor_id,
                         text_version=get_settings().consent_text_version, confirmed_by_donor=True)
        if donor.blood_group.startswith("O"):
            anti_a, anti_b, days = TITRES[n % len(TITRES)]
            titres.record_titre(make_uow(), donor_id=donor.donor_id, anti_a=anti_a, anti_b=anti_b,
                                tested_at=now - timedelta(days=days))
    return len(chosen)
