"""Arabic-Indic and Eastern Arabic digits read as ASCII digits in everything a browser or API client sends.

One place for every page and endpoint: the query string, urlencoded forms and JSON bodies pass through
`domain.digits.ascii_digits` before any route reads them, so a DIN, donor number, phone number, date or
figure typed on an Arabic keyboard finds and records exactly what its ASCII spelling would. Passwords are
left as typed: they are compared, never read as numbers. Uploaded files (multipart) are the analyser's own.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bloodbank.domain.digits import ARABIC_INDIC, EASTERN_ARABIC, ascii_digits

# Percent-encoded UTF-8 of the two digit ranges: their lead bytes, to leave untouched what holds none.
_MARKERS = (b"%D9%A", b"%d9%a", b"%DB%B", b"%db%b")
_RAW = tuple(c.encode() for c in ARABIC_INDIC + EASTERN_ARABIC)


def _kept_as_typed(name: str) -> bool:
    return "password" in name or "passphrase" in name


def _form(encoded: bytes) -> bytes:
    pairs = parse_qsl(encoded.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
    return urlencode([(k, v if _kept_as_typed(k) else ascii_digits(v)) for k, v in pairs]).encode()


def _json(value, key: str = ""):
    if isinstance(value, str):
        return value if _kept_as_typed(key) else ascii_digits(value)
    if isinstance(value, list):
        return [_json(item, key) for item in value]
    if isinstance(value, dict):
        return {k: _json(v, k) for k, v in value.items()}
    return value


def _has_digits(body: bytes, *, encoded: bool) -> bool:
    return any(m in body for m in (_MARKERS if encoded else _RAW)) or (not encoded and b"\\u06" in body.lower())


class AsciiDigits:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if _has_digits(query, encoded=True):
            scope = {**scope, "query_string": _form(query)}
        kind = dict(scope.get("headers", [])).get(b"content-type", b"").split(b";")[0].strip().lower()
        if kind not in (b"application/x-www-form-urlencoded", b"application/json"):
            await self.app(scope, receive, send)
            return
        body, more, first = b"", True, None
        while more:
            message = await receive()
            if message["type"] != "http.request":
                first = message
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if first is None and _has_digits(body, encoded=kind != b"application/json"):
            body = self._rewritten(body, kind)
            scope = {**scope, "headers": [(k, str(len(body)).encode() if k == b"content-length" else v)
                                          for k, v in scope["headers"]]}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if first is not None:
                return first
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    def _rewritten(body: bytes, kind: bytes) -> bytes:
        if kind == b"application/json":
            try:
                return json.dumps(_json(json.loads(body)), ensure_ascii=False).encode()
            except ValueError:
                return body  # not JSON after all: the route refuses it as it would have
        return _form(body)
