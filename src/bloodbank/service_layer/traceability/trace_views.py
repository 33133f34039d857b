"""What trace and lookback return: plain, tree-shaped, frozen, with `to_dict()` for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Plain:
    def to_dict(self) -> dict:
        return _plain(asdict(self))


@dataclass(frozen=True)
class DonorRef(_Plain):
    donor_id: int
    donor_number: str
    name: str


@dataclass(frozen=True)
class TestLine(_Plain):
    din: str
    test: str
    outcome: str
    value: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class EventLine(_Plain):
    at: datetime
    event: str
    actor: str
    from_status: str | None
    to_status: str | None
    site_id: int | None
    detail: dict


@dataclass(frozen=True)
class Recipient(_Plain):
    issue_id: int
    patient_id: int
    identifiers: tuple[str, ...]
    issued_at: datetime
    issued_by: str
    returned_at: datetime | None
    transfusion_id: int | None
    transfusion_started_at: datetime | None
    transfusion_ended_at: datetime | None
    outcome: str | None
    reactions: tuple[str, ...]
    hospital_id: int | None = None  # whose issue it was: its order's hospital, or its patient's


@dataclass(frozen=True)
class SourceRef(_Plain):
    unit_id: int
    din: str
    product_code: str
    division: str


@dataclass(frozen=True)
class TraceUnit(_Plain):
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    blood_group: str | None
    volume_ml: int | None
    status: str
    fate: str
    sources: tuple[SourceRef, ...]
    tests: tuple[TestLine, ...]
    events: tuple[EventLine, ...]
    recipients: tuple[Recipient, ...]
    children: tuple["TraceUnit", ...]
    # A pool reached from several of its sources is shown in full once, then only named.
    shown_above: bool = False


@dataclass(frozen=True)
class TraceDonation(_Plain):
    donation_id: int
    din: str
    collected_on: date
    site_code: str
    site_name: str
    volume_ml: int | None
    status: str
    donor: DonorRef
    units: tuple[TraceUnit, ...]


@dataclass(frozen=True)
class Trace(_Plain):
    din: str
    donations: tuple[TraceDonation, ...]
    # Units whose source is not recorded (a pool without parents): shown, never hidden.
    other_units: tuple[TraceUnit, ...]


@dataclass(frozen=True)
class LookbackRecipient(_Plain):
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    # True when the blood reached the patient inside a pool (the unit's DIN is the pool's).
    pooled: bool
    recipient: Recipient


@dataclass(frozen=True)
class LookbackDonation(_Plain):
    donation_id: int
    din: str
    collected_on: date
    donor_number: str
    recipients: tuple[LookbackRecipient, ...]


@dataclass(frozen=True)
class Lookback(_Plain):
    donor: DonorRef
    donor_records: tuple[str, ...]
    donations: tuple[LookbackDonation, ...]

    @property
    def patient_ids(self) -> tuple[int, ...]:
        return tuple(sorted({r.recipient.patient_id for d in self.donations for r in d.recipients}))


@dataclass(frozen=True)
class TraceSearch(_Plain):
    """What one search box found: a trace for a DIN, or the lookback for a donor number."""

    query: str
    kind: str  # "din" or "donor"
    trace: Trace | None = None
    lookback: Lookback | None = None


@dataclass(frozen=True)
class RecentIssue(_Plain):
    din: str
    product_code: str
    division: str
    kind: str
    status: str
    issued_at: datetime
