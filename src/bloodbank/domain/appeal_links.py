"""Personal links of an appeal: an invitation's number and an expiry, signed with HMAC-SHA256.

Nothing else is in the link (no name, no group), so a forwarded or leaked link
says nothing about the donor; a changed number or expiry breaks the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timezone

from bloodbank.domain.errors import LinkInvalid


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def make_token(secret: bytes, invitation_id: int, expires_at: datetime) -> str:
    body = f"{invitation_id}.{int(expires_at.timestamp())}"
    signature = hmac.new(secret, body.encode(), hashlib.sha256).digest()[:18]
    return f"{body}.{_b64(signature)}"


def read_token(secret: bytes, token: str, now: datetime) -> int:
    """The invitation's number, if the link is genuine and not expired."""
    parts = (token or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or len(token) > 100:
        raise LinkInvalid("This link is not a valid appeal link.")
    expected = _b64(hmac.new(secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()[:18])
    if not hmac.compare_digest(expected, parts[2]):
        raise LinkInvalid("This link is not a valid appeal link.")
    if datetime.fromtimestamp(int(parts[1]), tz=timezone.utc) <= now:
        raise LinkInvalid("This link has expired. Thank you: no action is needed.")
    return int(parts[0])
