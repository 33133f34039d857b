"""The catalogue extractor for the rule files' texts a person reads (a product's name), so that they are
translated like any marked message. A rule's `source` is a reference, quoted as published: never extracted.

Named in babel.cfg; `keys` (space-separated) says which fields of a rule file are read.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator


def _strings(node, keys: frozenset[str]) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys and isinstance(value, str) and value.strip():
                yield value
            else:
                yield from _strings(value, keys)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, keys)


def extract(fileobj, keywords, comment_tags, options) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel's extractor interface: (line number, function name, message, comments) for each text."""
    raw = fileobj.read()
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    keys = frozenset(options.get("keys", "name").split())
    lines = text.splitlines()
    for message in dict.fromkeys(_strings(tomllib.loads(text), keys)):
        quoted = f'"{message}"'
        line = next((number for number, content in enumerate(lines, 1) if quoted in content), 0)
        yield line, None, message, []
