"""An installation is judged unsafe for real donors by what it holds and how it is exposed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bloodbank.domain.deployment import DANGER, WARNING, DeploymentFacts, review

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
SAFE = DeploymentFacts(
    now=NOW, database_kind="sqlite", database_file_mode=0o600, demo_accounts=(), other_accounts=12,
    default_password_accounts=(), password_hashing="standard", host="127.0.0.1", public_url="",
    last_backup=NOW - timedelta(hours=3), audit_chain_ok=True,
)


def codes(facts: DeploymentFacts) -> dict[str, str]:
    return {f.code: f.level for f in review(facts)}


def test_a_safe_installation_has_no_finding():
    assert review(SAFE) == []


@pytest.mark.parametrize(("change", "code", "level"), [
    ({"demo_accounts": ("admin", "clerk")}, "demo_and_real_accounts", DANGER),
    ({"demo_accounts": ("admin",), "other_accounts": 0}, "demo_accounts", WARNING),
    ({"default_password_accounts": ("ana",)}, "default_password", DANGER),
    ({"password_hashing": "test"}, "test_password_hashing", DANGER),
    ({"database_file_mode": 0o644}, "database_readable", DANGER),
    ({"host": "0.0.0.0"}, "no_tls", DANGER),
    ({"last_backup": None}, "no_backup", WARNING),
    ({"last_backup": NOW - timedelta(days=3)}, "old_backup", WARNING),
    ({"audit_chain_ok": False}, "audit_chain_broken", DANGER),
    ({"data_key_source": "none"}, "no_data_key", DANGER),
    ({"data_key_problem": "The data key file cannot be read."}, "data_key_unusable", DANGER),
    ({"data_key_file_mode": 0o640}, "data_key_readable", DANGER),
    ({"data_key_beside_database": True}, "data_key_beside_database", WARNING),
    ({"sealed_under_missing_keys": 3}, "data_key_missing", DANGER),
    ({"sealed_under_older_keys": 120}, "data_key_rotation_unfinished", WARNING),
])
def test_each_unsafe_fact_is_named_at_its_level(change, code, level):
    assert codes(replace(SAFE, **change)) == {code: level}


def test_a_server_open_to_the_network_behind_tls_is_not_flagged():
    assert review(replace(SAFE, host="0.0.0.0", public_url="https://blood.example.org")) == []


def test_a_postgresql_database_has_no_file_to_check():
    assert review(replace(SAFE, database_kind="postgresql", database_file_mode=None)) == []


def test_dangerous_findings_come_first():
    levels = [f.level for f in review(replace(SAFE, last_backup=None, host="0.0.0.0"))]
    assert levels == [DANGER, WARNING]


def test_a_key_file_others_can_read_is_named_once_not_also_as_unusable():
    facts = replace(SAFE, data_key_file_mode=0o644, data_key_problem="The data key file can be read by others.")
    assert codes(facts) == {"data_key_readable": DANGER}
