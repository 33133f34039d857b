"""One use case, one transaction: nothing is written unless `commit()` is reached.

A unit of work opened to read (a GET, a page, a report) takes no write lock, so on
SQLite a long report never holds up the desk. It may still record that a
sensitive record was read: those audit entries are written in a short write
transaction of their own when it commits.

A unit of work also carries whose work it is: the actor the audit log names, and
the hospitals whose records they may see (`domain.hospital_scope`). Entry points
make it from the person asking (`Principal.hospital_scope`); the system's own
units of work (migrations, the demo's loader) see every hospital.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from bloodbank.adapters.db import audit_log, input_guard
from bloodbank.adapters.db.database import Database
from bloodbank.domain.hospital_scope import EVERY_HOSPITAL, HospitalScope


class UnitOfWork:
    session: Session

    def __init__(self, database: Database, actor: str = "system", scope: HospitalScope = EVERY_HOSPITAL, *,
                 read_only: bool = False):
        self.database = database
        self.actor = actor
        self.scope = scope
        self.read_only = read_only
        self._reads_to_audit: list[dict] = []

    def __enter__(self) -> "UnitOfWork":
        if self.read_only:
            self.session = self.database.read_sessions()
            event.listen(self.session, "before_flush", _refuse_writes)
        else:
            self.session = self.database.sessions()
        self._reads_to_audit = []
        return self

    def again(self) -> "UnitOfWork":
        """Another unit of work for the same person, opened the same way, for a use case that reads in two steps."""
        return UnitOfWork(self.database, actor=self.actor, scope=self.scope, read_only=self.read_only)

    def reader(self) -> "UnitOfWork":
        """A unit of work for the same person that only reads, for a use case whose long read must not hold the
        write lock (what it records is written when it commits, in a short write transaction of its own)."""
        return UnitOfWork(self.database, actor=self.actor, scope=self.scope, read_only=True)

    def writer(self) -> "UnitOfWork":
        """A unit of work for the same person that may write, for a read that finds it must change something."""
        return UnitOfWork(self.database, actor=self.actor, scope=self.scope)

    def __exit__(self, kind, error, trace) -> None:
        # Rolling back after a commit is a no-op; after an error it undoes everything.
        self.session.rollback()
        self.session.close()
        translated = input_guard.as_input_error(error) if error is not None else None
        if translated is not None and translated is not error:
            raise translated from None

    def commit(self) -> None:
        self.session.commit()
        if self._reads_to_audit:
            entries, self._reads_to_audit = self._reads_to_audit, []
            with self.writer() as uow:
                for entry in entries:
                    uow.audit(**entry)
                uow.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def audit(self, action: str, entity: str, entity_id: object = None, *, old: dict | None = None,
              new: dict | None = None, reason: str | None = None) -> None:
        if self.read_only:
            self._reads_to_audit.append(dict(action=action, entity=entity, entity_id=entity_id, old=old, new=new,
                                             reason=reason))
            return
        audit_log.append(self.session, actor=self.actor, action=action, entity=entity,
                         entity_id=entity_id, old=old, new=new, reason=reason)

    def audit_many(self, entries: list[dict]) -> None:
        """One entry per dict of `audit`'s keywords, in order: for a use case that writes records in bulk."""
        if self.read_only:
            self._reads_to_audit.extend(dict(entry) for entry in entries)
            return
        audit_log.append_many(self.session, actor=self.actor, entries=entries)


def _refuse_writes(session: Session, _context, _instances) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a unit of work opened to read tried to write; open it to write")
