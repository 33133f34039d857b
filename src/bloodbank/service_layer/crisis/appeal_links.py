"""The installation's secret for personal appeal links, and the address they point at."""

from __future__ import annotations

from pathlib import Path

from bloodbank.config import get_settings
from bloodbank.domain.errors import MessagingNotConfigured

MIN_SECRET_BYTES = 16


def link_secret() -> bytes:
    s = get_settings()
    secret = s.appeal_link_secret.get_secret_value()
    if not secret and s.appeal_link_secret_file:
        try:
            secret = Path(s.appeal_link_secret_file).read_text(encoding="utf-8").strip()
        except OSError:
            secret = ""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise MessagingNotConfigured(
            "Appeals need a link secret of at least 16 characters: set BLOODBANK_APPEAL_LINK_SECRET "
            "(or BLOODBANK_APPEAL_LINK_SECRET_FILE) and restart.")
    return secret.encode()


def link_base() -> str:
    s = get_settings()
    base = (s.appeal_link_base_url or s.public_url or f"http://{s.host}:{s.port}").rstrip("/")
    return f"{base}/appeal/"
