"""The site a unit is made at and its rule regime (its clock is in shared.clocks)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Site
from bloodbank.domain.errors import NotFound
from bloodbank.domain.processing import regime_for_rule_set


def site_of(session: Session, site_id: int | None) -> Site:
    site = session.get(Site, site_id) if site_id is not None else None
    if site is None:
        raise NotFound(f"No site with id {site_id}.")
    return site


def regime_of(site: Site) -> str:
    return regime_for_rule_set(site.rule_set)
