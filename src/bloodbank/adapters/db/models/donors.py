from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base, Timestamped
from bloodbank.adapters.db.sealed_types import SealedText


class Donor(Timestamped, Base):
    """A person who gives blood. There is deliberately no column for payment."""

    __tablename__ = "donor"
    __table_args__ = (
        CheckConstraint("sex IN ('F', 'M')", name="sex_known"),
        Index("ix_donor_name_dob", "family_name", "date_of_birth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_number: Mapped[str] = mapped_column(String(20), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    blood_group: Mapped[str | None] = mapped_column(String(3))
    preferred_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    # Appeals go only to donors who said yes; the default is no.
    appeals_opt_in: Mapped[bool] = mapped_column(default=False)
    # A merged record is kept, pointing at the survivor, so nothing it held is lost.
    # Indexed: "every record of this person" (deferrals, release, lookback) asks who was merged into a record.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("donor.id"), index=True)
    # Set when lab grouping disagrees with history: release of this donor's units is blocked.
    group_discrepancy: Mapped[bool] = mapped_column(default=False)
    # Only the laboratory's typing (or the resolution of a discrepancy) confirms a group; one the donor
    # declared is a hint for appeals and is never printed on a label.
    blood_group_confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
    notes: Mapped[str] = mapped_column(Text, default="")


class Deferral(Timestamped, Base):
    """A donor kept from giving until a date, or for good.

    The code is sealed with the reason: the rule set's codes name the reason ("hiv", "injecting_drug_use").
    Kind and dates stay in clear, since the desk's check for an active deferral is a query on them.
    """

    __tablename__ = "deferral"
    __table_args__ = (
        CheckConstraint("kind IN ('temporary', 'permanent')", name="kind_known"),
        CheckConstraint("kind = 'permanent' OR ends_on IS NOT NULL", name="temporary_has_end"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    code: Mapped[str] = mapped_column(SealedText("deferral.code"))
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(SealedText("deferral.reason"), default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    decided_by: Mapped[str] = mapped_column(String(100))
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lift_reason: Mapped[str | None] = mapped_column(SealedText("deferral.lift_reason"))
