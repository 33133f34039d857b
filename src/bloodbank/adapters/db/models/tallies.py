"""Counts of the whole register, kept by the database as rows are written."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base


class RegisterTally(Base):
    """One running count: "donors" (records not merged away), "donors:O-" (of them, those of a group),
    "donations".

    Triggers on `donor` and `donation` (migration 0031) add and subtract as rows are inserted, updated and
    deleted, in the writer's own transaction, so the home page reads a few rows instead of counting a
    national register on each view. A migration that rebuilds either table (SQLite's batch mode) drops its
    triggers and must create them again; tests/integration/test_register_tally.py compares the counts.
    """

    __tablename__ = "register_tally"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int]
