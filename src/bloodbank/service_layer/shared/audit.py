"""Reading the audit log: verification and listing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bloodbank.adapters.db import audit_log
from bloodbank.adapters.db.models import AuditEntry
from bloodbank.domain import access
from bloodbank.domain.messages import N_, Text
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def verify_chain(uow: UnitOfWork) -> audit_log.ChainReport:
    with uow:
        return audit_log.verify(uow.session)


@dataclass(frozen=True)
class AuditEntryView:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    old: dict | None
    new: dict | None
    reason: str | None
    hash: str


# ---------------------------------------------------------------- reading the log as a role

# An entry's values repeat the record it is about, so they are shown only to a role that may read such
# records: an allow-list, entity by entity. An entity missing from it shows no values to anyone (a new kind
# of record is private until someone decides who reads it); the entry itself, who wrote it and when, and
# its hash are shown to every reader of the log.
P = access.Permission
VALUES_READ_WITH: dict[str, access.Permission] = {
    # what a donor confided or what their blood showed
    "test_result": P.RESULTS_READ,
    "donor_follow_up": P.RESULTS_READ,
    "deferral": P.DEFERRAL_REASONS,
    "visit_reasons": P.DEFERRAL_REASONS,
    "visit": P.DEFERRAL_REASONS,  # screening answers, measurements and the decision
    "adverse_reaction": P.DEFERRAL_REASONS,
    "consent": P.VISITS,
    "donation": P.COLLECTION,
    "donor": P.DONORS_READ,
    "donor_import": P.DONORS_WRITE,
    "appointment": P.APPOINTMENTS,
    # patients and what they received
    "patient": P.PATIENTS_READ,
    "order": P.PATIENTS_READ,
    "reservation": P.PATIENTS_READ,
    "crossmatch": P.PATIENTS_READ,
    "issue": P.PATIENTS_READ,
    "transfusion": P.PATIENTS_READ,
    "transfusion_reaction": P.PATIENTS_READ,
    "unit_return": P.PATIENTS_READ,
    "hospital": P.PATIENTS_READ,
    # blood in the bank
    "unit": P.UNITS_READ,
    "unit_hold": P.UNITS_READ,
    "recall": P.UNITS_READ,
    "transfer": P.UNITS_READ,
    "temperature_excursion": P.UNITS_READ,
    "inventory": P.UNITS_READ,
    # mass-casualty incidents: their casualty counts are the blood service's, and so are their appeals
    "incident": P.INCIDENTS,
    "appeal": P.INCIDENTS,
    "appeal_invitation": P.INCIDENTS,  # which donor was asked and why: those who run the appeal
    # the walking blood bank: a titre is a result of the donor's blood; the panel is its keepers'
    "titre": P.RESULTS_READ,
    "panel_member": P.PANEL,
    "panel_activation": P.PANEL,
    "panel_call": P.PANEL,
    "supply_cut_off": P.PANEL,
    "recipient_follow_up": P.TRACE,
    # massive transfusion: a patient's protocol and coolers; a hospital's ratio; emergency identities printed
    "massive_transfusion": P.PATIENTS_READ,
    "mtp_round": P.PATIENTS_READ,
    "hospital_mtp_ratio": P.PATIENTS_READ,
    "identity_pack": P.PATIENTS_READ,
    # running the system
    "site": P.AUDIT_READ,
    "user": P.USERS,
    "api_token": P.USERS,
    "permission": P.AUDIT_READ,
    "database": P.AUDIT_READ,
    "data_key": P.AUDIT_READ,  # ids of the keys and counts of values resealed, never a key itself
    "donor_sign_in": P.AUDIT_READ,  # a donor's sign-in request: its channel and address, never whose it was
    "home_questionnaire": P.VISITS,  # that a donor answered at home and the desk read it; never the answers
}
# Never shown with values, to anyone: the entry only says that something happened.
NEVER_SHOWN = frozenset({"confidential"})


@dataclass(frozen=True)
class ShownEntryView(AuditEntryView):
    """An entry as one reader may see it; `withheld` says why its values are not shown."""

    withheld: str | None = None


def _shown(row: AuditEntry, role: str) -> ShownEntryView:
    needed = VALUES_READ_WITH.get(row.entity)
    hidden = row.entity in NEVER_SHOWN or needed is None or not access.may(role, needed)
    # The record's kind is in the entry's own column: the sentence need not name it.
    withheld = Text(N_("not shown: your role does not read these records")) if hidden else None
    if row.payload is None:
        # Erased with the personal data it held; the entry and its place in the chain remain.
        withheld = Text(N_("erased by entry %(entry)s"), entry=row.erased_by) if row.erased_by is not None \
            else Text(N_("erased"))
    return ShownEntryView(
        id=row.id, at=row.at, actor=row.actor, action=row.action, entity=row.entity, entity_id=row.entity_id,
        old=None if hidden else row.old, new=None if hidden else row.new, reason=None if hidden else row.reason,
        hash=row.hash, withheld=withheld,
    )


def list_entries_for(uow: UnitOfWork, *, role: str, limit: int = 50, offset: int = 0, actor: str | None = None,
                     action: str | None = None, entity: str | None = None,
                     entity_ids: tuple[object, ...] | None = None) -> tuple[list[ShownEntryView], int]:
    """Newest first, with the number that match, as the reader's role may see them (reading is not logged).

    `entity_ids` narrows to the entries about those records of `entity`: one record's own history."""
    with uow:
        query = _filtered(actor=actor, action=action, entity=entity)
        if entity_ids is not None:
            query = query.where(AuditEntry.entity_id.in_([str(i) for i in entity_ids]))
        total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = uow.session.execute(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset)).unique().scalars()
        return [_shown(r, role) for r in rows], total


def entry_for(uow: UnitOfWork, entry_id: int, *, role: str) -> ShownEntryView | None:
    """One entry as stored (even if it was tampered with), or None if it is not there."""
    with uow:
        row = uow.session.get(AuditEntry, entry_id)
        return None if row is None else _shown(row, role)


@dataclass(frozen=True)
class AuditChoices:
    actors: tuple[str, ...]
    actions: tuple[str, ...]
    entities: tuple[str, ...]


def filter_choices(uow: UnitOfWork, *, most: int = 500) -> AuditChoices:
    """The actors, actions and entities the log holds, for the viewer's filters."""
    with uow:
        def distinct(column) -> tuple[str, ...]:
            return tuple(uow.session.execute(select(column).distinct().order_by(column).limit(most)).scalars())
        return AuditChoices(distinct(AuditEntry.actor), distinct(AuditEntry.action), distinct(AuditEntry.entity))


def _filtered(*, actor: str | None, action: str | None, entity: str | None):
    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    return query
