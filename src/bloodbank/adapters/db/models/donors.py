from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bloodbank.adapters.db.models.base import Base, Timestamped
from bloodbank.adapters.db.models.erasures import DonorErasure


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
    # Set once the person's personal data was erased (on the record that held them): what remains is
    # what traceability and safety need, and the record takes no booking, visit or change again.
    erasure: Mapped[DonorErasure | None] = relationship(viewonly=True)


class Deferral(Timestamped, Base):
    __tablename__ = "deferral"
    __table_args__ = (
        CheckConstraint("kind IN ('temporary', 'permanent')", name="kind_known"),
        CheckConstraint("kind = 'permanent' OR ends_on IS NOT NULL", name="temporary_has_end"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    code: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    decided_by: Mapped[str] = mapped_column(String(100))
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lift_reason: Mapped[str | None] = mapped_column(Text)
