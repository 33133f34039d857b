"""A site named by its id: every use case refuses an unknown one with the same sentence, in the reader's language."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Site
from bloodbank.domain.errors import NotFound
from bloodbank.domain.messages import N_

UNKNOWN = N_("No site with id %(site_id)s.")


def load_site(session: Session, site_id: int | None, *, unknown: str = UNKNOWN) -> Site:
    """The site, or a refusal; `unknown` words it where the clerk gave two sites and must learn which is wrong."""
    # A unit on the road or issued has no site: there is nothing to look up, and asking the session
    # for a row by a null key only earns a warning.
    site = session.get(Site, site_id) if site_id is not None else None
    if site is None:
        raise NotFound(unknown, params={"site_id": site_id})
    return site


def check_site(session: Session, site_id: int | None) -> Site | None:
    """The site named, refused if unknown; no site named means every site, which needs no check."""
    return load_site(session, site_id) if site_id is not None else None
