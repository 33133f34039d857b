"""Which help text a page links to: the longest path prefix that names a topic wins."""

from __future__ import annotations

# (path prefix, topic, title); a page under no prefix links to the index of topics.
TOPICS = (
    ("/desk", "desk", "Donor desk: find, register, check in"),
    ("/collection", "collection", "Collection: the chair, the bag, the DIN labels"),
    ("/processing", "processing", "Processing: components, labels, pools"),
    ("/lab", "lab", "Laboratory: results and release from quarantine"),
    ("/inventory", "inventory", "Inventory: stock, transfers, excursions, discards"),
    ("/hospital/issues", "bedside", "At the bedside: tag, bag, band, start and end"),
    ("/hospital/emergency", "emergency", "Emergency release before testing"),
    ("/hospital", "hospital", "Hospital: patients, orders, allocation, issue"),
    ("/trace", "trace", "Trace, lookback and recall"),
    ("/incidents", "incidents", "Mass-casualty incidents"),
    ("/reports", "reports", "The monthly report"),
    ("/admin", "admin", "Administration: accounts, sites, the audit log"),
    ("/account", "account", "Your account"),
)
TITLES = {topic: title for _, topic, title in TOPICS}


def help_topic(path: str) -> str | None:
    """The topic of the page at `path`, or None for pages with no help of their own (login, the kiosk)."""
    for prefix, topic, _ in TOPICS:  # ordered so that a longer prefix comes before its parent
        if path == prefix or path.startswith(prefix + "/"):
            return topic
    return None
