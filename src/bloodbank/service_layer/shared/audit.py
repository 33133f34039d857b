"""Reading the audit log: verification and listing.

Verifying the chain reads every entry, so a national log of tens of millions takes minutes: it is done when
someone asks (the page's button, `bloodbank audit verify --record`, the API), and each full verification is
itself an entry of the chain. A view of the log checks the entries written since the last full verification,
as long as they are few enough to check while the page loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text

from bloodbank.adapters.db import audit_log
from bloodbank.adapters.db.models import AuditEntry
from bloodbank.domain import access
from bloodbank.domain.audit_chain import GENESIS
from bloodbank.domain.messages import N_, Text
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


def verify_chain(uow: UnitOfWork) -> audit_log.ChainReport:
    with uow:
        return audit_log.verify(uow.session)


# A full verification is recorded as this action on this entity.
VERIFIED, CHAIN = "verify", "audit_chain"
# Entries checked on a view of the log past the last full verification: about a second's work.
CHECKED_ON_VIEW = 20_000


@dataclass(frozen=True)
class Verification:
    """A full verification of the chain, as its entry records it."""

    entry_id: int
    at: datetime
    actor: str
    ok: bool
    entries: int
    last_id: int  # the last entry found good, where a later check starts
    last_hash: str
    first_broken_id: int | None
    problem: str | None
    erased_payloads: int
    erasures: int


@dataclass(frozen=True)
class ChainStatus:
    """The chain as a view of the log can tell it: the last full verification and the entries since."""

    last_full: Verification | None
    since: audit_log.ChainReport | None  # the entries after it, checked now; None when too many to check now
    unchecked: int  # entries written since the last full verification and not checked on this view

    @property
    def _break(self) -> Verification | audit_log.ChainReport | None:
        """What found the chain broken: the last full verification, else the check of the entries since."""
        if self.last_full is not None and not self.last_full.ok:
            return self.last_full
        return self.since if self.since is not None and not self.since.ok else None

    @property
    def broken(self) -> bool:
        return self._break is not None

    @property
    def first_broken_id(self) -> int | None:
        return self._break.first_broken_id if self._break is not None else None

    @property
    def problem(self) -> str | None:
        return self._break.problem if self._break is not None else None

    @property
    def entries_good(self) -> int:
        """Entries found good before any break, by the last full verification and the check since."""
        full = self.last_full.entries if self.last_full is not None else 0
        if self.last_full is not None and not self.last_full.ok:
            return full
        return full + (self.since.entries if self.since is not None else 0)

    @property
    def erased_payloads(self) -> int:
        full = self.last_full.erased_payloads if self.last_full is not None else 0
        return full + (self.since.erased_payloads if self.since is not None else 0)

    @property
    def erasures(self) -> int:
        full = self.last_full.erasures if self.last_full is not None else 0
        return full + (len(self.since.erased_by) if self.since is not None else 0)


def record_verification(uow: UnitOfWork) -> Verification:
    """The whole chain verified, and the result written to it as an entry of its own.

    The walk reads: on SQLite it takes no write lock, so minutes of verifying a long log never hold up the
    desk; the entry is written afterwards in a short transaction of its own."""
    with uow.reader() as reading:
        report, last_id, last_hash = audit_log.verify_walk(reading.session)
        reading.audit(VERIFIED, CHAIN, None, new=dict(
            ok=report.ok, entries=report.entries, last_id=last_id, last_hash=last_hash,
            first_broken_id=report.first_broken_id, problem=report.problem,
            erased_payloads=report.erased_payloads, erasures=len(report.erased_by)))
        reading.commit()
    with uow.reader() as reading:
        return _last_full(reading.session)


def chain_status(uow: UnitOfWork) -> ChainStatus:
    """The last full verification and, when they are few enough, the entries written since, checked now."""
    with uow:
        session = uow.session
        last = _last_full(session)
        if last is not None and not last.ok:
            return ChainStatus(last, None, 0)  # broken is broken until a full verification finds it whole
        after = (last.last_id, last.last_hash) if last is not None else (0, GENESIS)
        waiting = audit_log.entries_after(session, after[0])
        if waiting > CHECKED_ON_VIEW:
            return ChainStatus(last, None, waiting)
        return ChainStatus(last, audit_log.verify_walk(session, after=after)[0], 0)


def _last_full(session) -> Verification | None:
    row = session.execute(select(AuditEntry).where(AuditEntry.entity == CHAIN, AuditEntry.action == VERIFIED)
                          .order_by(AuditEntry.id.desc()).limit(1)).unique().scalar_one_or_none()
    if row is None or not row.new:
        return None
    found = row.new
    return Verification(entry_id=row.id, at=row.at, actor=row.actor, ok=bool(found["ok"]), entries=found["entries"],
                        last_id=found["last_id"], last_hash=found["last_hash"],
                        first_broken_id=found.get("first_broken_id"), problem=found.get("problem"),
                        erased_payloads=found.get("erased_payloads", 0), erasures=found.get("erasures", 0))


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
    "audit_chain": P.AUDIT_READ,  # a full verification: counts, ids and hashes of the log itself
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


# Entries counted no further for a list: "more than 10,000" says to filter, and a count that stops costs the same
# on any size of log.
COUNT_CAP = 10_000


def list_entries_for(uow: UnitOfWork, *, role: str, limit: int = 50, offset: int = 0, actor: str | None = None,
                     action: str | None = None, entity: str | None = None,
                     entity_ids: tuple[object, ...] | None = None) -> tuple[list[ShownEntryView], int]:
    """Newest first, with the number that match up to `COUNT_CAP` (past it, COUNT_CAP + 1), as the reader's role
    may see them (reading is not logged).

    `entity_ids` narrows to the entries about those records of `entity`: one record's own history."""
    with uow:
        conditions = _filters(actor=actor, action=action, entity=entity)
        if entity_ids is not None:
            conditions.append(AuditEntry.entity_id.in_([str(i) for i in entity_ids]))
        counted = select(AuditEntry.id).where(*conditions).limit(max(COUNT_CAP, offset + limit) + 1)
        total = uow.session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
        rows = uow.session.execute(select(AuditEntry).where(*conditions).order_by(AuditEntry.id.desc())
                                   .limit(limit).offset(offset)).unique().scalars()
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
    """The actors, actions and entities the log holds, for the viewer's filters.

    Each read as a skip along its index (the next value after the last one found), so the cost follows the
    number of distinct values, not the length of the log."""
    with uow:
        def distinct(column: str) -> tuple[str, ...]:
            skip = text(f"WITH RECURSIVE found(value) AS ("  # noqa: S608 - the column is one of three names below
                        f"SELECT min({column}) FROM audit_entry UNION ALL "
                        f"SELECT (SELECT min({column}) FROM audit_entry WHERE {column} > found.value) FROM found "
                        f"WHERE found.value IS NOT NULL) SELECT value FROM found WHERE value IS NOT NULL LIMIT :most")
            return tuple(uow.session.execute(skip, {"most": most}).scalars())
        return AuditChoices(distinct("actor"), distinct("action"), distinct("entity"))


def _filters(*, actor: str | None, action: str | None, entity: str | None) -> list:
    return [column == value for column, value in ((AuditEntry.actor, actor), (AuditEntry.action, action),
                                                  (AuditEntry.entity, entity)) if value]
