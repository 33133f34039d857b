import importlib

from bloodbank.adapters import passwords


def test_a_password_is_stored_as_an_argon2id_hash_that_checks_only_the_right_password():
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batterY")


def test_an_unknown_user_or_a_damaged_hash_never_verifies():
    assert not passwords.verify_password(None, "anything at all")
    assert not passwords.verify_password("not a hash", "anything at all")


def test_outside_the_test_suite_the_full_rfc_9106_cost_is_used(monkeypatch):
    monkeypatch.delenv("BLOODBANK_PASSWORD_HASHING", raising=False)
    try:
        real = importlib.reload(passwords)
        assert "$m=65536,t=3,p=4$" in real.hash_password("correct horse battery")
    finally:
        monkeypatch.setenv("BLOODBANK_PASSWORD_HASHING", "test")
        importlib.reload(passwords)


def test_tokens_are_long_random_and_stored_only_as_a_digest():
    first, second = passwords.new_token(), passwords.new_token()
    assert first != second and len(first) >= 40
    assert len(passwords.token_digest(first)) == 64 and first not in passwords.token_digest(first)
