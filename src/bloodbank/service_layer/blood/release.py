"""Release out of quarantine, and taking a donation's blood out of use.

`release_locked` (behind `release_unit`, and behind the release after a
hold's review in `holds`) is the ONLY code path that moves a unit from
quarantined to available, and the code holds it to that: `move` refuses the
move without the `ReleaseClearance` made here from an empty list of blockers,
and no other module may import `shared.release_clearance` (lint-imports). It
gathers the facts from the database (every source donation of a pool
included, and the unit's open holds), asks `domain.release.release_blockers`,
and moves the unit only when the list is empty; otherwise nothing is changed
and the refusal lists every reason. There is no override.

A donor's confidential self-exclusion is acted on without being named (see
`withdrawal`): the unit is discarded as "not suitable for transfusion".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bloodbank.adapters.db.models import Donation, Unit
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import release as rules
from bloodbank.domain.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from bloodbank.domain.unit_status import UnitStatus
from bloodbank.service_layer.blood.discards import unit_subject
from bloodbank.service_layer.blood.labels import read_din_scan, read_product_scan
from bloodbank.service_layer.blood.release_facts import release_facts
from bloodbank.service_layer.blood.unit_sources import source_donation_ids
from bloodbank.service_layer.blood.units import din_of, product_name
from bloodbank.service_layer.blood.withdrawal import withdraw_not_suitable
from bloodbank.service_layer.donors.consent import is_self_excluded
from bloodbank.service_layer.shared.release_clearance import clearance_for
from bloodbank.service_layer.shared.unit_moves import load_unit, move
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

S = UnitStatus


@dataclass(frozen=True)
class ReleasedUnitView:
    unit_id: int
    din: str
    product_code: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    expires_at: datetime
    released_at: datetime
    released_by: str


def release_unit(uow: UnitOfWork, *, unit_id: int) -> ReleasedUnitView:
    with uow:
        view = release_locked(uow, lock_for_release(uow.session, unit_id))
        uow.commit()
        return view


def release_locked(uow: UnitOfWork, unit: Unit, *, reason: str = "every release check passed",
                   detail: dict | None = None) -> ReleasedUnitView:
    """Inside the caller's transaction (no commit), with `unit` locked by `lock_for_release`: release it, or refuse
    with every blocker and change nothing.

    A self-excluded donor's blood is the one exception: the system acts at once. The caller's transaction is
    rolled back (whatever it did is undone), the blood is withdrawn and committed, and the refusal says only
    that the unit is not suitable.
    """
    s = uow.session
    now = utcnow()
    facts, donations = release_facts(s, unit, now)
    if facts.self_excluded:
        excluded = [d.id for d in donations if is_self_excluded(s, d.visit_id)]
        s.rollback()
        withdraw_not_suitable(uow, excluded)
        uow.commit()
        raise InvalidTransition(rules.NOT_SUITABLE)
    blockers = rules.release_blockers(facts)
    if blockers:
        raise InvalidTransition(refusal_message(unit, blockers))
    move(uow, unit, S.AVAILABLE, event="released", reason=reason, detail=detail,
         clearance=clearance_for(unit.id, blockers), released_at=now, released_by=uow.actor)
    return ReleasedUnitView(
        unit_id=unit.id, din=unit.din, product_code=unit.product_code, division=unit.division, kind=unit.kind,
        blood_group=unit.blood_group, status=unit.status, expires_at=unit.expires_at, released_at=now,
        released_by=uow.actor,
    )


def lock_for_release(session: Session, unit_id: int) -> Unit:
    """Lock the source donations, then the unit: the order recording a result takes them in.

    A result being recorded for a source donation is then either committed
    before the release reads the results, or waits until the release is done.
    """
    donation_ids = source_donation_ids(session, unit_id)
    session.execute(select(Donation.id).where(Donation.id.in_(donation_ids)).order_by(Donation.id)
                    .with_for_update()).all()
    return session.execute(select(Unit).where(Unit.id == unit_id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()


def release_blockers_for(uow: UnitOfWork, unit_id: int) -> tuple[rules.Blocker, ...]:
    """Why a unit is held (empty when it may be released); reads only."""
    with uow:
        unit = load_unit(uow.session, unit_id)
        facts, _ = release_facts(uow.session, unit, utcnow())
        return rules.release_blockers(facts)


def refusal_message(unit: Unit, blockers: tuple[rules.Blocker, ...]) -> str:
    lines = "\n".join(f"- {b.message}" for b in blockers)
    return f"Unit {unit.din} {unit.product_code} cannot be released:\n{lines}"


@dataclass(frozen=True)
class BlockerView:
    code: str
    message: str


@dataclass(frozen=True)
class ReleaseCheck:
    """A unit at the release bench: what it is, and every reason it may not go to stock yet."""

    unit_id: int
    din: str
    din_eye_readable: str
    product_code: str
    product_name: str
    division: str
    kind: str
    blood_group: str | None
    status: str
    expires_at: datetime
    site_id: int | None
    label_verified: bool
    blockers: tuple[BlockerView, ...]
    may_release: bool  # no blocker at all
    # The words of the release signature for this unit (domain.access.signature_meaning's subject).
    signature_subject: str


def release_check(uow: UnitOfWork, *, unit_id: int) -> ReleaseCheck:
    """The unit and every release blocker; reads only (a self-exclusion is named only as 'not suitable')."""
    with uow:
        return _check(uow.session, load_unit(uow.session, unit_id))


def release_check_by_scan(uow: UnitOfWork, *, scanned_din: str, scanned_product: str) -> ReleaseCheck:
    """The unit whose label was scanned (DIN and product code of the bag in hand), and its blockers."""
    din, code = read_din_scan(scanned_din), read_product_scan(scanned_product)
    with uow:
        return _check(uow.session, _unit_for_label(uow.session, str(din), code.description_code, code.division))


class ReleaseRefused(InvalidTransition):
    """A refused release, with each blocker apart (`reasons`) as well as in the message."""

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons


def release_at_bench(uow: UnitOfWork, *, unit_id: int, scanned_din: str | None = None,
                     scanned_product: str | None = None) -> ReleasedUnitView:
    """Release a unit, refused with every blocker listed; with a scan-back, only if the bag scanned is that unit."""
    if (scanned_din is None) != (scanned_product is None):
        raise InvalidInput("Scan both the DIN and the product code of the bag, or neither.")
    if scanned_din is not None:
        din, code = read_din_scan(scanned_din), read_product_scan(scanned_product)
        with uow:
            unit = load_unit(uow.session, unit_id)
            mine = (unit.din, unit.product_code, unit.division)
        scanned = (str(din), code.description_code, code.division)
        if scanned != mine:
            raise Conflict(f"The bag scanned ({unit_subject(*scanned)}) is not unit {unit_subject(*mine)}: "
                           "nothing was released. Scan the bag you are releasing.")
    try:
        return release_unit(uow, unit_id=unit_id)
    except InvalidTransition as error:
        # refusal_message writes one "- " line per blocker; a self-exclusion's refusal is one sentence.
        reasons = [line[2:] for line in error.message.splitlines() if line.startswith("- ")] or [error.message]
        raise ReleaseRefused(error.message, reasons) from None


def _unit_for_label(session: Session, din: str, product_code: str, division: str) -> Unit:
    unit = session.execute(select(Unit).where(
        Unit.din == din, Unit.product_code == product_code, Unit.division == division,
    ).order_by(Unit.id.desc())).scalars().first()
    if unit is None:
        raise NotFound(f"No unit {unit_subject(din, product_code, division)} is on record: "
                       "check that the DIN and the product code come from the same bag.")
    return unit


def _check(session: Session, unit: Unit) -> ReleaseCheck:
    facts, _ = release_facts(session, unit, utcnow())
    blockers = rules.release_blockers(facts)
    return ReleaseCheck(
        unit_id=unit.id, din=unit.din, din_eye_readable=din_of(unit.din).eye_readable,
        product_code=unit.product_code, product_name=product_name(unit.product_code), division=unit.division,
        kind=unit.kind, blood_group=unit.blood_group, status=unit.status, expires_at=unit.expires_at,
        site_id=unit.site_id, label_verified=unit.label_verified_at is not None,
        blockers=tuple(BlockerView(b.code, b.message) for b in blockers), may_release=not blockers,
        signature_subject=unit_subject(unit.din, unit.product_code, unit.division),
    )
