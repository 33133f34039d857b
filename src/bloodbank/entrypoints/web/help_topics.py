"""Which help text a page links to: the longest path prefix that names a topic wins."""

from __future__ import annotations

from bloodbank.domain.messages import N_

# (path prefix, topic, title); a page under no prefix links to the index of topics.
TOPICS = (
    ("/desk", "desk", N_("Donor desk: find, register, check in")),
    ("/collection", "collection", N_("Collection: the chair, the bag, the DIN labels")),
    ("/processing", "processing", N_("Processing: components, labels, pools")),
    ("/lab", "lab", N_("Laboratory: results and release from quarantine")),
    ("/inventory", "inventory", N_("Inventory: stock, transfers, excursions, discards")),
    ("/hospital/issues", "bedside", N_("At the bedside: tag, bag, band, start and end")),
    ("/hospital/emergency", "emergency", N_("Emergency release before testing")),
    ("/hospital", "hospital", N_("Hospital: patients, orders, allocation, issue")),
    ("/trace", "trace", N_("Trace, lookback and recall")),
    ("/incidents", "incidents", N_("Mass-casualty incidents")),
    ("/reports", "reports", N_("The monthly report")),
    ("/admin", "admin", N_("Administration: accounts, sites, the audit log")),
    ("/account", "account", N_("Your account")),
)
TITLES = {topic: title for _, topic, title in TOPICS}


def help_topic(path: str) -> str | None:
    """The topic of the page at `path`, or None for pages with no help of their own (login, the kiosk)."""
    for prefix, topic, _ in TOPICS:  # ordered so that a longer prefix comes before its parent
        if path == prefix or path.startswith(prefix + "/"):
            return topic
    return None
