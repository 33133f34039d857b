"""A donor's personal data erased at their request: what the law allows goes, what traceability needs stays.

One use case for every entry point (the donor's page, the API, the command line,
and the retention sweep): every record of the person is reached, merged ones
included; the statement says what was erased, what was kept, why and until when
(rules in `domain/rules/retention.toml`). The audit values that held what is
erased are erased with it, the chain still verifying; the erasure is itself
audited, naming the categories and counts, never the data. It cannot be undone:
the entry points ask for confirmation and a signature.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, update

from bloodbank.adapters.db import audit_payloads, scrub
from bloodbank.adapters.db.models import (
    Donor, DonorErasure, DonorErasureRequest, DonorPortalChoice, DonorSession, DonorSignIn, ErasedIdentity, HomeQuestionnaire,
)
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain import erasure, retention
from bloodbank.domain.consent import OPEN_STATUSES
from bloodbank.domain.erasure import StatementItem
from bloodbank.domain.errors import Conflict, InvalidInput, NotFound
from bloodbank.service_layer.donors.appointments import give_chair_back
from bloodbank.service_layer.donors.deferrals import donor_today
from bloodbank.service_layer.donors.erasure_scope import Scope, scope_of
from bloodbank.service_layer.donors.person import find_person
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork

# The tables whose rows an erasure changes: their freed space is reclaimed afterwards.
TOUCHED = ("donor", "visit", "appointment", "slot_counter", "audit_payload", "deferral", "donor_follow_up", "consent",
           "donation", "adverse_reaction", "donor_session", "donor_sign_in", "donor_portal_choice",
           "home_questionnaire")


@dataclass(frozen=True)
class ErasureStatement:
    """What an erasure erases and keeps, and why; a preview until `erased` is true."""

    donor_id: int
    donor_number: str
    record_numbers: tuple[str, ...]
    items: tuple[StatementItem, ...]
    erased: bool
    request_basis: str
    answer_within: str
    kind: str | None = None
    requested_on: date | None = None
    channel: str | None = None
    erased_at: datetime | None = None
    erased_by: str | None = None
    audit_entry_id: int | None = None

    @property
    def erased_items(self) -> tuple[StatementItem, ...]:
        return tuple(item for item in self.items if not item.kept)

    @property
    def kept_items(self) -> tuple[StatementItem, ...]:
        return tuple(item for item in self.items if item.kept)


def _statement(**done) -> ErasureStatement:
    rules = retention.rules()
    return ErasureStatement(request_basis=rules.request_basis, answer_within=rules.answer_within, **done)


def preview_erasure(uow: UnitOfWork, donor_ref: int | str) -> ErasureStatement:
    """What an erasure of this person would erase and keep; nothing is changed."""
    with uow:
        holder = find_person(uow.session, donor_ref)
        _refuse_if_erased(holder)
        scope = scope_of(uow.session, holder, donor_today(uow.session, holder))
        return _statement(donor_id=holder.id, donor_number=holder.donor_number,
                          record_numbers=tuple(r.donor_number for r in scope.records),
                          items=erasure.statement_items(scope.facts()), erased=False)


def erasure_statement(uow: UnitOfWork, donor_ref: int | str) -> ErasureStatement:
    """The statement of an erasure done, as it was given then."""
    with uow:
        holder = find_person(uow.session, donor_ref)
        if holder.erasure is None:
            raise NotFound(f"Donor {holder.donor_number} has not been erased.")
        return stored_statement(holder.erasure, holder)


def stored_statement(row: DonorErasure, holder: Donor) -> ErasureStatement:
    return _statement(donor_id=holder.id, donor_number=holder.donor_number,
                      record_numbers=tuple(row.statement["records"]),
                      items=erasure.items_from_data(row.statement["items"]), erased=True, kind=row.kind,
                      requested_on=row.requested_on, channel=row.channel, erased_at=row.erased_at,
                      erased_by=row.erased_by, audit_entry_id=row.audit_entry_id)


def statement_or_preview(uow: UnitOfWork, donor_ref: int | str) -> ErasureStatement:
    with uow:
        holder = find_person(uow.session, donor_ref)
        erased = holder.erasure is not None
    return erasure_statement(uow, donor_ref) if erased else preview_erasure(uow, donor_ref)


def _refuse_if_erased(holder: Donor) -> None:
    if holder.erasure is not None:
        raise Conflict(f"Donor {holder.donor_number} was erased on {holder.erasure.erased_at:%Y-%m-%d}: "
                       "there is nothing more to erase. The statement of that erasure is on the record.")


def _check_request(requested_on: object, channel: object, today: date) -> tuple[date, str]:
    if isinstance(requested_on, datetime) or not isinstance(requested_on, date):
        raise InvalidInput("Give the date the donor asked for the erasure (YYYY-MM-DD).")
    if requested_on > today:
        raise InvalidInput(f"The request is dated {requested_on.isoformat()}, after today: check the date.")
    if channel not in erasure.REQUEST_CHANNELS:
        raise InvalidInput("Say how the donor asked: " + ", ".join(erasure.REQUEST_CHANNELS) + ".")
    return requested_on, str(channel)


def erase_donor(uow: UnitOfWork, *, donor_ref: int | str, requested_on: date, channel: str) -> ErasureStatement:
    """Erase the person's personal data at their request (every record of theirs); cannot be undone."""
    with uow:
        holder = find_person(uow.session, donor_ref)
        today = donor_today(uow.session, holder)
        requested_on, channel = _check_request(requested_on, channel, today)
        reason = f"at the donor's request of {requested_on.isoformat()}, {erasure.CHANNEL_LABELS[channel]}"
        row = apply_erasure(uow, holder, today=today, kind="request", requested_on=requested_on, channel=channel,
                            reason=reason)
        result = stored_statement(row, holder)
        uow.commit()
    reclaim(uow)
    return result


def reclaim(uow: UnitOfWork) -> bool:
    return scrub.reclaim(uow.database.engine, TOUCHED)


def apply_erasure(uow: UnitOfWork, holder: Donor, *, today: date, kind: str, requested_on: date,
                  channel: str | None, reason: str) -> DonorErasure:
    """Inside the caller's unit of work: erase, record the statement and audit it; the caller commits."""
    session = uow.session
    scope = scope_of(session, holder, today, lock=True)
    _refuse_if_erased(holder)
    _refuse_open_visits(scope)
    items = erasure.statement_items(scope.facts())
    fingerprints = _fingerprints(scope) if scope.facts().fingerprinted else []
    _erase_rows(session, scope)
    entry = erase_audit_values(
        uow, holder, scope.audit_entry_ids,
        new={"kind": kind, "records": [r.donor_number for r in scope.records],
             "erased": [i.category for i in items if not i.kept], "kept": [i.category for i in items if i.kept],
             "counts": {i.category: i.count for i in items if i.count is not None}},
        reason=reason)
    row = DonorErasure(donor_id=holder.id, kind=kind, requested_on=requested_on, channel=channel,
                       erased_at=utcnow(), erased_by=uow.actor, audit_entry_id=entry.id,
                       statement={"records": [r.donor_number for r in scope.records],
                                  "items": erasure.items_as_data(items)})
    session.add(row)
    session.flush()
    session.add_all(ErasedIdentity(erasure_id=row.id, digest=digest, salt=salt) for digest, salt in fingerprints)
    _close_requests(session, [record.id for record in scope.records], row)
    session.flush()
    session.expire(holder, ["erasure"])
    return row


def erase_audit_values(uow: UnitOfWork, holder: Donor, entry_ids: list[int], *, new: dict, reason: str):
    """The erasure's own audit entry, and the values it erases; refused if one of them was tampered with."""
    try:
        entry, _ = audit_payloads.erase(uow.session, actor=uow.actor, entity="donor", entity_id=holder.id,
                                        entry_ids=entry_ids, new=new, reason=reason)
    except audit_payloads.PayloadDoesNotVerify as failure:
        raise Conflict(f"Audit entry {failure.entry_id} does not verify ({failure.problem}): erasing it would "
                       "hide that. Nothing was erased; run `bloodbank audit verify` and call the supervisor.") from None
    return entry


def clear_answers(visit) -> None:
    """What the donor answered and what was measured at the visit, and the reasons of its decision."""
    for name in erasure.VISIT_FIELDS:
        setattr(visit, name, {} if name == "questionnaire" else [] if name == "decision_reasons" else None)


def _refuse_open_visits(scope: Scope) -> None:
    open_visits = [v.id for v in scope.visits_without_donation if v.status in OPEN_STATUSES]
    in_progress = [v.id for v in scope.visits_with_donation if v.status in OPEN_STATUSES]
    if open_visits or in_progress:
        raise Conflict(f"Donor {scope.holder.donor_number} has a visit in progress "
                       f"({', '.join(map(str, open_visits + in_progress))}): finish it or record the donor's "
                       "withdrawal first, then erase.")


def _fingerprints(scope: Scope) -> list[tuple[str, str]]:
    """One per name and date of birth the person was on file under, each with its own salt."""
    made, seen = [], set()
    for record in scope.records:
        key = erasure.fingerprint(record.given_name, record.family_name, record.date_of_birth, "")
        if key in seen or not (record.given_name or record.family_name):
            continue
        seen.add(key)
        salt = secrets.token_hex(16)
        made.append((erasure.fingerprint(record.given_name, record.family_name, record.date_of_birth, salt), salt))
    return made


def _erase_rows(session, scope: Scope) -> None:
    now = utcnow()
    terms = erasure.terms_of(scope.identities())
    for row, column in scope.mentions:
        setattr(row, column, erasure.redacted(getattr(row, column), terms))
    for appointment in scope.appointments:
        if appointment.status == "booked" and appointment.starts_at > now:
            give_chair_back(session, appointment)
    for visit in scope.visits_without_donation + scope.visits_with_donation:
        if visit.appointment_id is not None:
            visit.appointment_id = None
    session.flush()
    for appointment in scope.appointments:
        session.delete(appointment)
    for visit in scope.visits_without_donation:
        clear_answers(visit)
    for record in scope.records:
        record.given_name = record.family_name = ""
        record.date_of_birth = erasure.reduced_date_of_birth(record.date_of_birth)
        record.phone = record.email = record.latitude = record.longitude = record.preferred_site_id = None
        record.language = None
        record.address = record.postcode = record.notes = ""
        record.appeals_opt_in = False
    _erase_portal_rows(session, [record.id for record in scope.records])
    session.flush()


def _close_requests(session, donor_ids: list[int], done: DonorErasure) -> None:
    """The erasure answers a request the person filed from their page, declined before or still open."""
    session.execute(update(DonorErasureRequest).where(DonorErasureRequest.donor_id.in_(donor_ids))
                    .values(outcome="erased", closed_at=done.erased_at, closed_by=done.erased_by,
                            decline_reason=None).execution_options(synchronize_session="fetch"))


def _erase_portal_rows(session, donor_ids: list[int]) -> None:
    """The donor's page goes with the person: sessions, sign-in requests (a digest of the contact), choices and
    answers given at home. A request to erase, if they filed one, stays: it is what the erasure answered."""
    for model in (DonorSession, DonorSignIn, DonorPortalChoice, HomeQuestionnaire):
        session.execute(delete(model).where(model.donor_id.in_(donor_ids)))
