"""Backups of the whole database and their restore into an empty one.

Taking a backup is audited (file name, size and SHA-256), so `doctor` and an
auditor can tell when the last one was made and match a file to its entry.
A restore writes nothing of its own: the restored database is exactly the
one backed up, and its audit chain is verified before it is reported restored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from bloodbank.adapters.db import backup
from bloodbank.adapters.db.audit_log import verify
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import AuditEntry
from bloodbank.domain.errors import Conflict, InvalidInput
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class BackupReport:
    path: str
    kind: str
    sealed: bool
    size: int
    sha256: str


@dataclass(frozen=True)
class RestoreReport:
    kind: str
    audit_entries: int
    chain_intact: bool
    problem: str | None


def take_backup(uow: UnitOfWork, *, target: str | Path, passphrase: str | None = None) -> BackupReport:
    """Copy the whole database to `target` (sealed when a passphrase is given) and audit it."""
    target = _target(target)
    try:
        made = backup.take(uow.database.url, target, passphrase)
    except backup.BackupError as error:
        raise Conflict(str(error)) from None
    with uow:
        uow.audit("backup", "database", None, new={"file": made.path.name, "kind": made.kind,
                                                  "sealed": made.sealed, "size": made.size, "sha256": made.sha256})
        uow.commit()
    return BackupReport(str(made.path), made.kind, made.sealed, made.size, made.sha256)


def _target(value: str | Path) -> Path:
    text = str(value or "").strip()
    if not text or "\x00" in text:
        raise InvalidInput("Name the file to write the backup to.")
    path = Path(text)
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder: name the backup file inside it.")
    return path


def restore_backup(*, source: str | Path, database_url: str, passphrase: str | None = None) -> RestoreReport:
    """Put a backup into the empty database at `database_url`, then verify its audit chain."""
    try:
        kind = backup.restore(Path(source), database_url, passphrase)
    except backup.BackupError as error:
        raise Conflict(str(error)) from None
    database = Database(database_url)
    try:
        with database.sessions() as session:
            report = verify(session)
    finally:
        database.dispose()
    return RestoreReport(kind, report.entries, report.ok, report.problem)


def backup_kind(path: Path) -> tuple[str, bool]:
    """What a backup file holds and whether it is sealed (so the command line knows to ask for a passphrase)."""
    try:
        return backup.read_kind(Path(path))
    except backup.BackupError as error:
        raise InvalidInput(str(error)) from None


def last_backup(uow: UnitOfWork) -> datetime | None:
    """When the latest backup was taken, if ever."""
    with uow:
        return uow.session.execute(select(func.max(AuditEntry.at)).where(AuditEntry.action == "backup")).scalar()
