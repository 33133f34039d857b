"""One use case, one transaction: nothing is written unless `commit()` is reached.

A unit of work also carries whose work it is: the actor the audit log names, and
the hospitals whose records they may see (`domain.hospital_scope`). Entry points
make it from the person asking (`Principal.hospital_scope`); the system's own
units of work (migrations, the demo's loader) see every hospital.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bloodbank.adapters.db import audit_log, input_guard
from bloodbank.adapters.db.database import Database
from bloodbank.domain.hospital_scope import EVERY_HOSPITAL, HospitalScope


class UnitOfWork:
    session: Session

    def __init__(self, database: Database, actor: str = "system", scope: HospitalScope = EVERY_HOSPITAL):
        self.database = database
        self.actor = actor
        self.scope = scope

    def __enter__(self) -> "UnitOfWork":
        self.session = self.database.sessions()
        return self

    def __exit__(self, kind, error, trace) -> None:
        # Rolling back after a commit is a no-op; after an error it undoes everything.
        self.session.rollback()
        self.session.close()
        translated = input_guard.as_input_error(error) if error is not None else None
        if translated is not None and translated is not error:
            raise translated from None

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def audit(self, action: str, entity: str, entity_id: object = None, *, old: dict | None = None,
              new: dict | None = None, reason: str | None = None) -> None:
        audit_log.append(self.session, actor=self.actor, action=action, entity=entity,
                         entity_id=entity_id, old=old, new=new, reason=reason)
