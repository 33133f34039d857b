"""Email over SMTP (stdlib smtplib).

The idempotency key becomes the Message-ID, so a message sent again after a
sender died between handing it over and marking it sent carries the same id,
which mail systems and mail readers treat as one message.
"""

from __future__ import annotations

import smtplib
import socket
from dataclasses import dataclass
from email.message import EmailMessage

from bloodbank.adapters.messaging.errors import SendFailed


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    starttls: bool = False
    sender: str = "appeals@bloodbank.invalid"
    timeout: float = 10.0

    def send(self, *, to: str, subject: str, body: str, key: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = f"<{key}@{self.sender.rpartition('@')[2] or 'bloodbank.invalid'}>"
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as refused:
            raise SendFailed(f"the mail server refused the address ({_codes(refused)})", permanent=True) from None
        except (smtplib.SMTPException, OSError, socket.timeout) as error:
            raise SendFailed(f"mail server: {type(error).__name__}: {str(error)[:200]}") from None


def _codes(refused: smtplib.SMTPRecipientsRefused) -> str:
    return ", ".join(str(code) for code, _ in refused.recipients.values())
