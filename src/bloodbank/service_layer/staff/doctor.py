"""Gather the facts about this installation that `domain.deployment.review` judges."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bloodbank.adapters.db.audit_log import verify
from bloodbank.adapters.db.models import User
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.adapters.passwords import verify_password
from bloodbank.config import Settings
from bloodbank.domain.deployment import DeploymentFacts, Finding, review
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import data_keys
from bloodbank.service_layer.staff.backups import last_backup


def check(uow: UnitOfWork, settings: Settings, *, demo_usernames: frozenset[str], demo_password: str) -> list[Finding]:
    return review(facts(uow, settings, demo_usernames=demo_usernames, demo_password=demo_password))


def facts(uow: UnitOfWork, settings: Settings, *, demo_usernames: frozenset[str],
          demo_password: str) -> DeploymentFacts:
    url = make_url(uow.database.url)
    with uow:
        accounts = uow.session.execute(select(User.username, User.password_hash).where(User.active)).all()
        chain = verify(uow.session)
    keys = data_keys.key_status(uow)
    key_mode = _file_mode_of(Path(keys.path)) if keys.path else None
    demo = tuple(sorted(name for name, _ in accounts if name in demo_usernames))
    weak = tuple(sorted(name for name, digest in accounts if verify_password(digest, demo_password)))
    return DeploymentFacts(
        now=utcnow(), database_kind=url.get_backend_name(), database_file_mode=_file_mode(url),
        demo_accounts=demo, other_accounts=len(accounts) - len(demo), default_password_accounts=weak,
        password_hashing=settings.password_hashing, host=settings.host, public_url=settings.public_url,
        last_backup=last_backup(uow), audit_chain_ok=chain.ok,
        data_key_source=keys.source, data_key_problem=keys.problem, data_key_file_mode=key_mode,
        data_key_beside_database=_beside(url, keys.path), sealed_under_older_keys=keys.under_older_keys,
        sealed_under_missing_keys=keys.unknown_key_values,
    )


def _sqlite_file(url) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _file_mode(url) -> int | None:
    path = _sqlite_file(url)
    return _file_mode_of(path) if path is not None else None


def _file_mode_of(path: Path) -> int | None:
    return stat.S_IMODE(path.stat().st_mode) if path.exists() else None


def _beside(url, key_path: str | None) -> bool:
    """Whether the key file is in the SQLite file's folder or below it, where a copy of the folder takes both."""
    database = _sqlite_file(url)
    if database is None or not key_path:
        return False
    folder, key = database.resolve().parent, Path(key_path).resolve()
    return folder == key.parent or folder in key.parents
