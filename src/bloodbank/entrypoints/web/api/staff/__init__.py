"""REST endpoints of administration: accounts, API tokens, the audit chain; `/api/me`."""
