"""What a massive transfusion screen and its report show: the rounds, what was given, the ratio, the flags."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import (
    Hospital, Issue, MassiveTransfusion, MtpRound, MtpRoundUnit, Unit, UnitReturn,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.massive_transfusion import (
    Given, Ratio, o_negative_flag, ratio_achieved, tally, target_per_red_cell,
)
from bloodbank.domain.requirements import group_status
from bloodbank.service_layer.hospital.patient_profile import load_profile, records_of_person
from bloodbank.service_layer.hospital.patients import PatientView, current_patient, patient_view


@dataclass(frozen=True)
class RoundUnitView:
    unit_id: int
    din: str
    product_code: str
    kind: str
    blood_group: str | None
    expires_at: datetime
    status: str
    issue_id: int | None
    restocked: bool | None  # None while not returned


@dataclass(frozen=True)
class RoundView:
    id: int
    mtp_id: int
    number: int
    emergency: bool
    prepared_at: datetime
    prepared_by: str
    issued_at: datetime | None
    issued_by: str | None
    returned_at: datetime | None
    returned_by: str | None
    units: tuple[RoundUnitView, ...]
    short: tuple[tuple[str, int], ...] = ()  # what the stock could not fill, when it was prepared

    @property
    def state(self) -> str:
        return "returned" if self.returned_at else "issued" if self.issued_at else "prepared"


@dataclass(frozen=True)
class GivenUnit:
    issue_id: int
    din: str
    kind: str
    blood_group: str | None
    issued_at: datetime


@dataclass(frozen=True)
class MtpView:
    id: int
    hospital_id: int
    hospital_name: str
    patient: PatientView
    patient_group: str | None  # confirmed group, None while unknown
    incident_id: int | None
    ratio: Ratio
    reason: str
    activated_at: datetime
    activated_by: str
    ended_at: datetime | None
    ended_by: str | None
    end_note: str
    rounds: tuple[RoundView, ...]
    given: tuple[GivenUnit, ...]
    returned_to_stock: int
    wasted: int

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def counts(self) -> Given:
        return tally(u.kind for u in self.given)

    @property
    def achieved(self) -> tuple[Fraction, Fraction, Fraction] | None:
        return ratio_achieved(self.counts)

    @property
    def target(self) -> tuple[Fraction, Fraction, Fraction]:
        return target_per_red_cell(self.ratio)

    @property
    def o_negative_for_male(self) -> int:
        return o_negative_flag(self.patient.sex, ((u.kind, u.blood_group) for u in self.given))

    @property
    def by_kind_and_group(self) -> tuple[tuple[str, str, int], ...]:
        counted = Counter((u.kind, u.blood_group or "?") for u in self.given)
        return tuple((kind, group, n) for (kind, group), n in sorted(counted.items()))

    @property
    def next_round(self) -> int:
        return len(self.rounds) + 1


def round_view(session: Session, row: MtpRound, short: dict[str, int] | None = None) -> RoundView:
    rows = session.execute(
        select(MtpRoundUnit, Unit, UnitReturn.restocked).join(Unit, Unit.id == MtpRoundUnit.unit_id)
        .outerjoin(UnitReturn, UnitReturn.id == MtpRoundUnit.return_id)
        .where(MtpRoundUnit.round_id == row.id).order_by(MtpRoundUnit.id)
    ).all()
    units = tuple(RoundUnitView(unit_id=u.id, din=u.din, product_code=u.product_code, kind=u.kind,
                                blood_group=u.blood_group, expires_at=u.expires_at, status=u.status,
                                issue_id=link.issue_id, restocked=restocked)
                  for link, u, restocked in rows)
    return RoundView(id=row.id, mtp_id=row.mtp_id, number=row.number, emergency=row.emergency,
                     prepared_at=row.prepared_at, prepared_by=row.prepared_by, issued_at=row.issued_at,
                     issued_by=row.issued_by, returned_at=row.returned_at, returned_by=row.returned_by, units=units,
                     short=tuple(sorted((short or {}).items())))


def mtp_view(session: Session, row: MassiveTransfusion) -> MtpView:
    person = current_patient(session, row.patient_id)
    profile = load_profile(session, person.id)
    status = group_status(profile)
    hospital = session.get(Hospital, row.hospital_id)
    rounds = session.execute(select(MtpRound).where(MtpRound.mtp_id == row.id).order_by(MtpRound.number)
                             ).scalars().all()
    # Everything issued to the person while the protocol was in force counts, whatever route it took
    # (a cooler, an emergency release, a walking-blood-bank unit signed for); a unit brought back does not.
    until = row.ended_at or utcnow()
    issued = session.execute(
        select(Issue, Unit, UnitReturn.restocked).join(Unit, Unit.id == Issue.unit_id)
        .outerjoin(UnitReturn, UnitReturn.issue_id == Issue.id)
        .where(Issue.patient_id.in_(records_of_person(session, person.id)),
               Issue.issued_at >= row.activated_at, Issue.issued_at <= until)
        .order_by(Issue.issued_at, Issue.id)
    ).all()
    given = tuple(GivenUnit(issue.id, unit.din, unit.kind, unit.blood_group, issue.issued_at)
                  for issue, unit, restocked in issued if restocked is None)
    back = [restocked for _, _, restocked in issued if restocked is not None]
    return MtpView(
        id=row.id, hospital_id=row.hospital_id, hospital_name=hospital.name if hospital else "",
        patient=patient_view(session, person), patient_group=str(status.group) if status.confirmed else None,
        incident_id=row.incident_id, ratio=Ratio(row.red_cells, row.plasma, row.platelets), reason=row.reason,
        activated_at=row.activated_at, activated_by=row.activated_by, ended_at=row.ended_at, ended_by=row.ended_by,
        end_note=row.end_note, rounds=tuple(round_view(session, r) for r in rounds), given=given,
        returned_to_stock=sum(1 for r in back if r), wasted=sum(1 for r in back if not r),
    )
