"""The site a unit is made at: its rule regime and its wall clock."""

from __future__ import annotations

from datetime import tzinfo

from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Site
from bloodbank.domain import scheduling
from bloodbank.domain.errors import NotFound
from bloodbank.domain.processing import regime_for_rule_set


# Sites keep one wall clock (as appointments do); a unit expires at 23:59 on that clock.
SITE_TIMEZONE = scheduling.DEFAULT_TIMEZONE


Zone = str | tzinfo


def site_of(session: Session, site_id: int | None) -> Site:
    site = session.get(Site, site_id) if site_id is not None else None
    if site is None:
        raise NotFound(f"No site with id {site_id}.")
    return site


def regime_of(site: Site) -> str:
    return regime_for_rule_set(site.rule_set)


def zone(tz: Zone) -> tzinfo:
    return scheduling.zone(tz)
