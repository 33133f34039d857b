"""Password hashing with argon2id (RFC 9106), the winner of the Password Hashing Competition."""

from __future__ import annotations

import hashlib
import os
import secrets

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# The test suite hashes thousands of passwords; BLOODBANK_PASSWORD_HASHING=test picks argon2-cffi's cheapest
# parameters for it. The parameters travel inside each hash, so checking works the same either way.
_hasher = (PasswordHasher.from_parameters(profiles.CHEAPEST)
           if os.environ.get("BLOODBANK_PASSWORD_HASHING") == "test" else PasswordHasher())

# Verifying against this when a user name is unknown costs the same as a real check,
# so the time taken does not tell an attacker which names exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are long and random, so a plain SHA-256 is enough to keep the stored copy useless."""
    return hashlib.sha256(token.encode()).hexdigest()
