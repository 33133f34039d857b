"""Commands for staff accounts, tokens and the audit log."""
