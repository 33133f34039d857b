"""The public stock figures, kept for a minute: a crowd of readers in a crisis costs the database one read a
minute, not one per reader. The page and the JSON feed read the same figures."""

from __future__ import annotations

import time

from fastapi import Request

from bloodbank.entrypoints.web.security import database_of
from bloodbank.service_layer.reporting.public_stock import PublicStock, public_stock
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

KEPT_SECONDS = 60
_kept: dict[str, tuple[float, PublicStock]] = {}


def current(request: Request) -> PublicStock:
    database = database_of(request)
    now = time.monotonic()
    kept = _kept.get(database.url)
    if kept is None or now - kept[0] > KEPT_SECONDS:
        kept = (now, public_stock(UnitOfWork(database, actor="public", read_only=True)))
        _kept[database.url] = kept
    return kept[1]


def forget() -> None:
    """Drop the kept figures, so the next reader sees stock as it is now."""
    _kept.clear()
