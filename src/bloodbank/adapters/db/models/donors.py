from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, delete, event, false, insert
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bloodbank.adapters.db.models.base import Base, Timestamped
from bloodbank.adapters.db.models.erasures import DonorErasure
from bloodbank.adapters.db.sealed_types import SealedText
from bloodbank.domain import appeal_rules
from bloodbank.domain.appeal_selection import grid_cell
from bloodbank.domain.search_keys import MAX_TOKEN, donor_name_tokens, phone_digits_last_first

# Compared byte by byte on PostgreSQL whatever the database's locale, as SQLite always does:
# a prefix search is a range on the index, and a linguistic collation would bend the range.
SearchKey = String(MAX_TOKEN).with_variant(String(MAX_TOKEN, collation="C"), "postgresql")


class Donor(Timestamped, Base):
    """A person who gives blood. There is deliberately no column for payment."""

    __tablename__ = "donor"
    __table_args__ = (
        CheckConstraint("sex IN ('F', 'M')", name="sex_known"),
        Index("ix_donor_name_dob", "family_name", "date_of_birth"),
        # The duplicate check's first block: everyone born on the day (or with day and month swapped).
        Index("ix_donor_date_of_birth", "date_of_birth"),
        # An appeal's prefilter: opted in, of a needed group, in the grid cells around a site.
        Index("ix_donor_appeal_prefilter", "appeals_opt_in", "blood_group", "grid_cell"),
        CheckConstraint("appeal_contact_from_hour BETWEEN 0 AND 23", name="contact_from_hour_valid"),
        CheckConstraint("appeal_contact_until_hour BETWEEN 1 AND 24", name="contact_until_hour_valid"),
        CheckConstraint("appeal_monthly_limit BETWEEN 1 AND 31", name="monthly_limit_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_number: Mapped[str] = mapped_column(String(20), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date]
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    # The phone's digits, last first, kept with the phone: "ends in 4960777" is a range on its index.
    phone_key: Mapped[str | None] = mapped_column(SearchKey, index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    blood_group: Mapped[str | None] = mapped_column(String(3))
    preferred_site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"))
    # Appeals go only to donors who said yes; the default is no.
    appeals_opt_in: Mapped[bool] = mapped_column(default=False)
    # The grid cell of latitude and longitude (domain.appeal_selection.grid_cell), kept with them.
    grid_cell: Mapped[int | None]
    # The donor's own contact hours (on the site's clock) and appeals a month; unset, the rule data's apply.
    appeal_contact_from_hour: Mapped[int | None]
    appeal_contact_until_hour: Mapped[int | None]
    appeal_monthly_limit: Mapped[int | None]
    # "sms", "email" or both in the donor's order of preference; unset, whichever contact is on file.
    appeal_channels: Mapped[str | None] = mapped_column(String(20))
    last_appealed_at: Mapped[datetime | None]
    # The language the donor reads what is written to them in (the kiosk's question); none follows the browser.
    language: Mapped[str | None] = mapped_column(String(8))
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
    # Loaded with its donors in one query however many there are: every view of a donor asks for it.
    erasure: Mapped[DonorErasure | None] = relationship(viewonly=True, lazy="selectin")


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


class DonorNameToken(Base):
    """One normalised word of a donor's names: a search for the start of a name is a range on this index."""

    __tablename__ = "donor_name_token"
    # Keys of this record, not history of the person: a merge leaves them with the record merged away.
    __table_args__ = (Index("ix_donor_name_token_token", "token", "donor_id"), {"info": {"history": False}})

    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), primary_key=True)
    token: Mapped[str] = mapped_column(SearchKey, primary_key=True)


# The search keys follow the names and the phone wherever a donor is written through the ORM, so no
# use case (registration, correction, merge, erasure) can leave a donor findable by a name they no longer bear.
@event.listens_for(Donor, "before_insert")
@event.listens_for(Donor, "before_update")
def _phone_key(_mapper, _connection, donor: Donor) -> None:
    donor.phone_key = phone_digits_last_first(donor.phone)
    donor.grid_cell = grid_cell(donor.latitude, donor.longitude, appeal_rules.default_parameters().grid_degrees)


@event.listens_for(Donor, "after_insert")
@event.listens_for(Donor, "after_update")
def _name_tokens(_mapper, connection, donor: Donor) -> None:
    write_name_tokens(connection, [(donor.id, donor.given_name, donor.family_name)])


def write_name_tokens(connection, donors: list[tuple[int, str, str]]) -> None:
    """Replace the name tokens of each (id, given name, family name); for bulk loads too."""
    ids = [donor_id for donor_id, _given, _family in donors]
    connection.execute(delete(DonorNameToken).where(DonorNameToken.donor_id.in_(ids)))
    rows = [{"donor_id": donor_id, "token": token}
            for donor_id, given, family in donors for token in sorted(donor_name_tokens(given, family))]
    if rows:
        connection.execute(insert(DonorNameToken), rows)
