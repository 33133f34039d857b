"""The installation's senders, one per channel, from its configuration; a channel not configured has none."""

from __future__ import annotations

from typing import Protocol

from bloodbank.adapters.messaging.email import SmtpSender
from bloodbank.adapters.messaging.sms import SmsGateway
from bloodbank.config import get_settings


class Sender(Protocol):
    def send(self, *, to: str, subject: str, body: str, key: str) -> None: ...


def configured_senders() -> dict[str, Sender]:
    s = get_settings()
    out: dict[str, Sender] = {}
    if s.smtp_host:
        out["email"] = SmtpSender(host=s.smtp_host, port=s.smtp_port, user=s.smtp_user,
                                  password=s.smtp_password.get_secret_value(), starttls=s.smtp_starttls,
                                  sender=s.smtp_from, timeout=s.smtp_timeout_seconds)
    if s.sms_gateway_url:
        out["sms"] = SmsGateway(url=s.sms_gateway_url, user=s.sms_gateway_user,
                                password=s.sms_gateway_password.get_secret_value(), template=s.sms_body_template,
                                timeout=s.sms_timeout_seconds)
    return out
