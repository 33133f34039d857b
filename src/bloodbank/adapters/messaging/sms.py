"""SMS through an HTTP gateway: one JSON POST per message, with the outbox's idempotency key.

The key travels in the body (through the template) and as the Idempotency-Key
header, so a gateway that received a message whose answer was lost (a timeout,
a sender killed mid-send) sends it once however often it is posted.
"""

from __future__ import annotations

import base64
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from string import Template

from bloodbank.adapters.messaging.errors import SendFailed


@dataclass(frozen=True)
class SmsGateway:
    url: str
    user: str = ""
    password: str = ""
    template: str = '{"to": $to, "text": $text, "idempotency_key": $key}'
    timeout: float = 10.0

    def body(self, *, to: str, text: str, key: str) -> bytes:
        filled = Template(self.template).substitute(to=json.dumps(to), text=json.dumps(text), key=json.dumps(key))
        return filled.encode()

    def send(self, *, to: str, subject: str, body: str, key: str) -> None:
        request = urllib.request.Request(self.url, data=self.body(to=to, text=body, key=key), method="POST",
                                         headers={"Content-Type": "application/json", "Idempotency-Key": key})
        if self.user:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read(4096)
        except urllib.error.HTTPError as error:
            # 4xx other than a timeout or a throttle is the message's fault: sending again would not help.
            permanent = 400 <= error.code < 500 and error.code not in (408, 409, 425, 429)
            raise SendFailed(f"SMS gateway answered {error.code}", permanent=permanent) from None
        except (urllib.error.URLError, OSError, socket.timeout) as error:
            raise SendFailed(f"SMS gateway: {type(error).__name__}: {str(error)[:200]}") from None
