from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base, Timestamped


DEFAULT_TEST_PANEL = ("hiv", "hbv", "hcv", "syphilis")
DEFAULT_PANEL_JSON = '["hiv", "hbv", "hcv", "syphilis"]'


class Site(Timestamped, Base):
    """A fixed centre or a mobile drive: where donors are seen and DINs are assigned."""

    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint("chairs > 0", name="chairs_positive"),
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="fixed")  # fixed | mobile
    # ISBT 128 Facility Identification Number: the first five characters of every DIN it assigns.
    facility_code: Mapped[str] = mapped_column(String(5))
    rule_set: Mapped[str] = mapped_column(String(20), default="who")
    # IANA zone name: days, shelf-life "end of day", opening hours and "today" are cut on this clock.
    time_zone: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    chairs: Mapped[int] = mapped_column(default=4)
    slot_minutes: Mapped[int] = mapped_column(default=15)
    # {"mon": ["08:00", "16:00"], ...}; a mobile drive lists only the days it stands.
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(default=True)
    # The walking blood bank's own figures; None: those of rules/walking_blood_bank.toml.
    titre_threshold: Mapped[int | None]
    titre_validity_days: Mapped[int | None]
    panel_screen_validity_days: Mapped[int | None]
    # Mandatory infection markers for units collected here; every one must be negative before release.
    test_panel: Mapped[list] = mapped_column(
        JSON, default=lambda: list(DEFAULT_TEST_PANEL), server_default=text("'" + DEFAULT_PANEL_JSON + "'"),
    )
