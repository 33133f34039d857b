"""What makes an installation unsafe to run with real donors, judged from facts about it.

Pure: the facts are gathered elsewhere (service_layer.staff.doctor) so the
judgement can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# A service that has not backed up for a day can lose a day of donations, results and issues.
BACKUP_AGE_LIMIT = timedelta(hours=26)
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
DANGER, WARNING = "danger", "warning"


@dataclass(frozen=True)
class DeploymentFacts:
    now: datetime
    database_kind: str  # "sqlite" or "postgresql"
    database_file_mode: int | None  # permission bits of a SQLite file
    demo_accounts: tuple[str, ...]  # active accounts the demo creates
    other_accounts: int  # active accounts the demo did not create
    default_password_accounts: tuple[str, ...]  # active accounts whose password is the demo's
    password_hashing: str
    host: str
    public_url: str
    last_backup: datetime | None
    audit_chain_ok: bool
    # The keys sealing donors' confidences (adapters.data_keys): where they come from, and what is wrong.
    data_key_source: str = "file"  # "file", "environment" or "none"
    data_key_problem: str | None = None  # why the key ring cannot be used
    data_key_file_mode: int | None = None
    data_key_beside_database: bool = False  # the key file sits in (or under) the SQLite file's folder
    sealed_under_older_keys: int = 0  # values a rotation has not reached yet
    sealed_under_missing_keys: int = 0  # values sealed with a key no longer in the ring


@dataclass(frozen=True)
class Finding:
    level: str
    code: str
    message: str


def review(facts: DeploymentFacts) -> list[Finding]:
    """Every problem found, the dangerous ones first."""
    found = [*_accounts(facts), *_storage(facts), *_data_keys(facts), *_network(facts), *_records(facts)]
    return sorted(found, key=lambda f: f.level != DANGER)


def _accounts(facts: DeploymentFacts) -> list[Finding]:
    found = []
    if facts.demo_accounts and facts.other_accounts:
        found.append(Finding(DANGER, "demo_and_real_accounts",
                             f"Demo accounts ({', '.join(facts.demo_accounts)}) share this database with "
                             f"{facts.other_accounts} real account(s): deactivate the demo accounts, or keep "
                             "the demo in its own database."))
    elif facts.demo_accounts:
        found.append(Finding(WARNING, "demo_accounts",
                             f"This database holds demo accounts ({', '.join(facts.demo_accounts)}): "
                             "it is a demo, not for real donors."))
    if facts.default_password_accounts:
        found.append(Finding(DANGER, "default_password",
                             f"{len(facts.default_password_accounts)} active account(s) still use the demo "
                             f"password ({', '.join(facts.default_password_accounts[:10])}): anyone who has "
                             "seen the demo can sign in as them."))
    if facts.password_hashing != "standard":
        found.append(Finding(DANGER, "test_password_hashing",
                             "BLOODBANK_PASSWORD_HASHING is not 'standard': new passwords are hashed cheaply, "
                             "for the test suite only."))
    return found


def _storage(facts: DeploymentFacts) -> list[Finding]:
    mode = facts.database_file_mode
    if facts.database_kind == "sqlite" and mode is not None and mode & 0o077:
        return [Finding(DANGER, "database_readable",
                        f"The database file can be read by other users of this computer (mode {mode:o}): "
                        "chmod 600 it and its -wal and -shm files.")]
    return []


def _data_keys(facts: DeploymentFacts) -> list[Finding]:
    found = []
    mode = facts.data_key_file_mode
    if mode is not None and mode & 0o077:
        found.append(Finding(DANGER, "data_key_readable",
                             f"The data key file can be read by other users of this computer (mode {mode:o}): "
                             "chmod 600 it. Until then nothing sealed can be read or written."))
    elif facts.data_key_source == "none":
        found.append(Finding(DANGER, "no_data_key",
                             "No data key is configured: donors' confidences can be neither sealed nor read, and "
                             "the server refuses to start. Create a key file with `bloodbank keys init --file "
                             "PATH` and set BLOODBANK_DATA_KEY_FILE."))
    elif facts.data_key_problem:
        found.append(Finding(DANGER, "data_key_unusable", facts.data_key_problem))
    if facts.data_key_beside_database:
        found.append(Finding(WARNING, "data_key_beside_database",
                             "The data key file sits in the database's folder: a copy of that folder carries the "
                             "key with the data it seals. Keep it in a folder of its own, backed up apart."))
    if facts.sealed_under_missing_keys:
        found.append(Finding(DANGER, "data_key_missing",
                             f"{facts.sealed_under_missing_keys} stored value(s) are sealed with a key the ring no "
                             "longer holds (retired too early, or left out): restore that key, or they stay "
                             "unreadable."))
    if facts.sealed_under_older_keys:
        found.append(Finding(WARNING, "data_key_rotation_unfinished",
                             f"{facts.sealed_under_older_keys} stored value(s) are still sealed with an older key: "
                             "run `bloodbank keys reseal`, then retire the old key."))
    return found


def _network(facts: DeploymentFacts) -> list[Finding]:
    if facts.host in LOOPBACK or facts.public_url.startswith("https://"):
        return []
    return [Finding(DANGER, "no_tls",
                    f"The server listens on {facts.host}, reachable from other machines, and "
                    "BLOODBANK_PUBLIC_URL does not start with https://: passwords and donors' answers would "
                    "cross the network in clear. Put a TLS proxy in front and set BLOODBANK_PUBLIC_URL.")]


def _records(facts: DeploymentFacts) -> list[Finding]:
    found = []
    if facts.last_backup is None:
        found.append(Finding(WARNING, "no_backup", "No backup has ever been taken: run `bloodbank db backup`."))
    elif facts.now - facts.last_backup > BACKUP_AGE_LIMIT:
        hours = int((facts.now - facts.last_backup).total_seconds() // 3600)
        found.append(Finding(WARNING, "old_backup", f"The last backup is {hours} hours old: run "
                                                    "`bloodbank db backup` (and schedule it daily)."))
    if not facts.audit_chain_ok:
        found.append(Finding(DANGER, "audit_chain_broken",
                             "The audit chain does not verify: run `bloodbank audit verify` and investigate."))
    return found
