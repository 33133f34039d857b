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


@dataclass(frozen=True)
class Finding:
    level: str
    code: str
    message: str


def review(facts: DeploymentFacts) -> list[Finding]:
    """Every problem found, the dangerous ones first."""
    found = [*_accounts(facts), *_storage(facts), *_network(facts), *_records(facts)]
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
