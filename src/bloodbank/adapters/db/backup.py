"""Copies of the whole database, taken while it runs, and put back into an empty one.

SQLite: the online backup API copies a consistent snapshot page by page while
the desks keep working. PostgreSQL: `pg_dump` in its custom format (one
consistent snapshot), put back with `pg_restore` in a single transaction.
Either file can be sealed with a passphrase (adapters.sealing). Every file is
created readable by its owner only: a backup holds everything donors confided.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from bloodbank.adapters import sealing
from bloodbank.adapters.db.engine import PRIVATE_FILE, make_engine

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


class BackupError(Exception):
    """A backup or a restore that cannot go ahead, said in words an administrator acts on."""


@dataclass(frozen=True)
class BackupFile:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    sealed: bool
    size: int
    sha256: str


def _private(path: Path) -> None:
    """Create (or empty) `path` with owner-only permissions before anything is written into it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, PRIVATE_FILE)
    os.close(fd)
    os.chmod(path, PRIVATE_FILE)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _backend(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups are made of SQLite and PostgreSQL databases, not {name}.")
    return name


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL pg_dump understands, and the environment carrying the password (never on the command line)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools "
                          "(Debian: apt install postgresql-client) whose version matches the server's.")
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[:2000]}")


def take(url: str, target: Path, passphrase: str | None = None) -> BackupFile:
    """Write a consistent copy of the database at `url` to `target`, sealed if a passphrase is given."""
    kind = _backend(url)
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="bloodbank-backup-", dir=target.parent if target.parent.exists()
                                     else None) as work:
        plain = Path(work) / "copy"
        _private(plain)
        if kind == "sqlite":
            _sqlite_copy(make_url(url).database, plain)
        else:
            address, env = _libpq(url)
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={plain}",
                  f"--dbname={address}"], env, "pg_dump")
        _private(target)
        if passphrase:
            sealing.seal(plain, target, passphrase, salt=os.urandom(sealing.SALT_BYTES))
        else:
            shutil.copyfile(plain, target)
    return BackupFile(target, kind, bool(passphrase), target.stat().st_size, _sha256(target))


def _sqlite_copy(source: str | None, target: Path) -> None:
    if not source or not Path(source).exists():
        raise BackupError(f"There is no SQLite database at {source!r} to back up.")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()


def read_kind(path: Path) -> tuple[str, bool]:
    """What a backup file holds ("sqlite" or "postgresql") and whether it is sealed, by its first bytes."""
    if sealing.is_sealed(path):
        return "sealed", True
    with open(path, "rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    if head.startswith(SQLITE_HEADER):
        return "sqlite", False
    if head.startswith(PG_DUMP_HEADER):
        return "postgresql", False
    raise BackupError(f"{path} is not a bloodbank backup (neither a SQLite database, a pg_dump file nor a "
                      "sealed backup).")


def restore(source: Path, url: str, passphrase: str | None = None) -> str:
    """Put the backup `source` into the empty database at `url`; returns the kind of backup restored."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    target_kind = _backend(url)
    kind, sealed = read_kind(source)
    with tempfile.TemporaryDirectory(prefix="bloodbank-restore-") as work:
        plain = source
        if sealed:
            if not passphrase:
                raise BackupError("This backup is sealed: give its passphrase.")
            plain = Path(work) / "copy"
            _private(plain)
            try:
                sealing.unseal(source, plain, passphrase)
            except sealing.SealError as error:
                raise BackupError(str(error)) from None
            kind, _ = read_kind(plain)
        if kind != target_kind:
            raise BackupError(f"This is a {kind} backup; it cannot be restored into a {target_kind} database.")
        _refuse_unless_empty(url)
        if kind == "sqlite":
            _sqlite_restore(plain, make_url(url).database)
        else:
            address, env = _libpq(url)
            _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  f"--dbname={address}", str(plain)], env, "pg_restore")
    return kind


def _refuse_unless_empty(url: str) -> None:
    """A restore never mixes two databases: the target holds no table at all."""
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError("The database to restore into is not empty (it has tables): restore into a new, "
                          "empty database, then point bloodbank at it.")


def _sqlite_restore(source: Path, target: str | None) -> None:
    if not target:
        raise BackupError("Name the SQLite file to restore into.")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    os.chmod(target, PRIVATE_FILE)
