"""Following the site's own links from a page, as a person clicking through it would (GET only: forms are
not sent), with a check for each page read."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from urllib.parse import urldefrag, urljoin, urlsplit

LINK = re.compile(r'href="([^"]+)"')
# Leaving (logging out, signing out), files, and the API's own explorer.
SKIP = ("/logout", "/my/sign-out", "/static/", "/docs", "/openapi.json", "/redoc")


def crawl(client, start: str, *, most: int, on_page: Callable[[str, str], None] = lambda path, html: None,
          same_shape: int | None = None) -> dict[str, int]:
    """Every page reached from `start`, up to `most`, with its status; `on_page(path, html)` for each page of
    HTML answered with 200. `same_shape`: how many pages of one route with other ids are enough."""
    statuses: dict[str, int] = {}
    shapes: dict[str, int] = {}
    queue = deque([start])
    while queue and len(statuses) < most:
        path = queue.popleft()
        shape = re.sub(r"/\d+", "/{id}", urlsplit(path).path)
        if path in statuses or (same_shape is not None and shapes.get(shape, 0) >= same_shape):
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        answer = client.get(path)
        statuses[path] = answer.status_code
        if answer.status_code != 200 or "text/html" not in answer.headers.get("content-type", ""):
            continue
        on_page(path, answer.text)
        for href in LINK.findall(answer.text):
            target = urldefrag(urljoin(path, href.replace("&amp;", "&")))[0]
            if urlsplit(target).netloc or not target.startswith("/") or target.startswith(SKIP) \
                    or "javascript:" in href:
                continue
            if target not in statuses:
                queue.append(target)
    return statuses
