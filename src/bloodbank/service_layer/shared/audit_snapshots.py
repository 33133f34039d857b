"""Snapshots of rows for the audit log, and diffs between them."""

from __future__ import annotations

from sqlalchemy import inspect


def snapshot(row, exclude: tuple[str, ...] = ()) -> dict:
    return {
        attr.key: getattr(row, attr.key)
        for attr in inspect(row).mapper.column_attrs
        if attr.key not in exclude
    }


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """The old and new values of the fields that changed, nothing else."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
