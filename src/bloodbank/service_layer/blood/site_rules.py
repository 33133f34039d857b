"""A site's rule regime for the units made there (the site itself is loaded by shared.sites, its clock is in
shared.clocks)."""

from __future__ import annotations

from bloodbank.adapters.db.models import Site
from bloodbank.domain.processing import regime_for_rule_set


def regime_of(site: Site) -> str:
    return regime_for_rule_set(site.rule_set)
