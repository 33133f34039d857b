from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from bloodbank.adapters.db.models.base import Base, Timestamped
from bloodbank.adapters.db.sealed_types import SealedJSON, SealedText
from bloodbank.domain.unit_status import UnitStatus

UNIT_STATUSES = tuple(s.value for s in UnitStatus)


class Unit(Timestamped, Base):
    """One labelled component: a DIN, a product code and a division.

    `status` changes only through `service_layer.unit_moves.move`, which asks
    the domain's transition table and writes the event and the audit entry.
    """

    __tablename__ = "unit"
    __table_args__ = (
        UniqueConstraint("din", "product_code", "division"),
        CheckConstraint("status IN " + str(UNIT_STATUSES), name="status_known"),
        CheckConstraint("volume_ml IS NULL OR volume_ml > 0", name="volume_positive"),
        # The id last: units of one collection day expire at the same minute, and allocation reads them in
        # (expiry, id) order a page at a time, which the index then serves without a sort.
        Index("ix_unit_stock", "site_id", "status", "kind", "blood_group", "expires_at", "id"),
        # Everything the stock report counts by (age bands come from the collection time): the counts are read
        # from this index alone, never from the units' rows.
        Index("ix_unit_stock_age", "site_id", "status", "kind", "blood_group", "collected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    din: Mapped[str] = mapped_column(String(13), index=True)
    product_code: Mapped[str] = mapped_column(String(5))
    division: Mapped[str] = mapped_column(String(2), default="00")
    kind: Mapped[str] = mapped_column(String(24))
    # Null for a pool: its donations are reached through unit_parent.
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"), index=True)
    blood_group: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(12), default=UnitStatus.QUARANTINED.value)
    volume_ml: Mapped[int | None]
    collected_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # Null while in transit: a unit on the road is in no site's stock.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    storage_location: Mapped[str] = mapped_column(String(60), default="")
    irradiated: Mapped[bool] = mapped_column(default=False)
    irradiated_at: Mapped[datetime | None]
    leucoreduced: Mapped[bool] = mapped_column(default=False)
    cmv_negative: Mapped[bool] = mapped_column(default=False)
    low_titer: Mapped[bool] = mapped_column(default=False)
    bacterial_screened: Mapped[bool] = mapped_column(default=False)
    label_printed_at: Mapped[datetime | None]
    label_verified_at: Mapped[datetime | None]
    label_verified_by: Mapped[str | None] = mapped_column(String(100))
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(100))
    # Sealed: "reactive" names a donor's result, and "self_excluded" their private answer.
    discard_reason: Mapped[str | None] = mapped_column(SealedText("unit.discard_reason"))
    discard_note: Mapped[str | None] = mapped_column(SealedText("unit.discard_note"))
    status_changed_at: Mapped[datetime | None]
    # Collected in an emergency and labelled "not fully tested": issued only under a physician's signature,
    # never released to ordinary stock (domain.field_issue).
    emergency_use: Mapped[bool] = mapped_column(default=False, server_default=false())
    anticoagulant: Mapped[str | None] = mapped_column(String(10))
    refrigerated_at: Mapped[datetime | None]


class UnitParent(Base):
    """Where a unit came from: split, pooled or aliquoted units keep every source."""

    __tablename__ = "unit_parent"

    child_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True, index=True)


class UnitEvent(Base):
    """The unit's own history: every status change and movement, for trace.

    The detail is sealed: a discard's or a recall's names the reason, a reactive marker among them.
    """

    __tablename__ = "unit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str | None] = mapped_column(String(12))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    detail: Mapped[dict] = mapped_column(SealedJSON("unit_event.detail"), default=dict)


class UnitHold(Base):
    """A unit held in quarantine for a decision (domain.holds): open until a signed review decides it.

    `kind` is text without a CHECK, so a kind added later needs no migration; the
    decision's four columns are all set together, or none is.
    """

    __tablename__ = "unit_hold"
    __table_args__ = (
        CheckConstraint("decision IS NULL OR decision IN ('released', 'discarded')", name="decision_known"),
        CheckConstraint(
            "(decision IS NULL AND decided_at IS NULL AND decided_by IS NULL AND decision_reason IS NULL)"
            " OR (decision IS NOT NULL AND decided_at IS NOT NULL AND decided_by IS NOT NULL"
            " AND decision_reason IS NOT NULL)",
            name="decided_in_full",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(Text)
    # Where the hold came from: {"excursion_id": 3}, {"transfer_id": 7}, {"from_hold_id": 2} (a parent's).
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    opened_at: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(100))
    # How the review decided it: released (after review) or discarded; by whom, why and when.
    decision: Mapped[str | None] = mapped_column(String(12))
    decided_by: Mapped[str | None] = mapped_column(String(100))
    # Sealed: a hold ended by a discard takes the discard's reason, "reactive infection marker" among them.
    decision_reason: Mapped[str | None] = mapped_column(SealedText("unit_hold.decision_reason"))
    decided_at: Mapped[datetime | None]
