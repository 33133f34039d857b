"""Tests that need a tool this machine may lack: skipped with the reason, or failed when CI requires every tool.

`.ci/run` sets BLOODBANK_REQUIRE_TOOLS=1, so a CI machine that could not install
PostgreSQL, poppler, zbar or chromium goes red instead of passing on fewer tests.
"""

from __future__ import annotations

import os

import pytest

REQUIRED = os.environ.get("BLOODBANK_REQUIRE_TOOLS", "") not in ("", "0")


def missing_tool(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"BLOODBANK_REQUIRE_TOOLS is set and a tool is missing: {reason}", pytrace=False)
    pytest.skip(reason)
