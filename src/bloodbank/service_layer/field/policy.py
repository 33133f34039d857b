"""A site's own walking-blood-bank figures: the titre threshold, how long a titre and a screen count.

A clinical decision (the medical director's), audited with its reason; a figure left out goes back to the
rule data's default.
"""

from __future__ import annotations

from bloodbank.domain import walking_blood_bank as wbb
from bloodbank.domain.errors import InvalidInput
from bloodbank.domain.text import clean_text
from bloodbank.service_layer.shared.sites import load_site
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

FIELDS = ("titre_threshold", "titre_validity_days", "panel_screen_validity_days")


def set_policy(uow: UnitOfWork, *, site_id: int, reason: str, titre_threshold: int | None = None,
               titre_validity_days: int | None = None, screen_validity_days: int | None = None) -> wbb.Policy:
    reason = clean_text(reason, "reason", 500)
    if not reason:
        raise InvalidInput("Give the reason for the site's figures (e.g. the guideline adopted).")
    policy = wbb.policy(titre_threshold=titre_threshold, titre_validity_days=titre_validity_days,
                        screen_validity_days=screen_validity_days)
    with uow:
        site = load_site(uow.session, site_id)
        old = {name: getattr(site, name) for name in FIELDS}
        site.titre_threshold, site.titre_validity_days = titre_threshold, titre_validity_days
        site.panel_screen_validity_days = screen_validity_days
        uow.session.flush()
        uow.audit("update", "site", site.id, old=old, new={name: getattr(site, name) for name in FIELDS},
                  reason=reason)
        uow.commit()
    return policy
