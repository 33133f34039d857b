"""Column types that store a value sealed (adapters.data_keys) and give it back open.

`SealedText("deferral.reason")` and `SealedJSON("visit.questionnaire")` are
Text in the database on SQLite and PostgreSQL alike. The name given is the
table and column the value belongs to; it is bound into every sealed value,
so a value moved to another column does not open.

A sealed column cannot be compared in SQL: the same answer seals differently
every time, so `TestResult.outcome == "reactive"` would silently match
nothing. Such a comparison raises instead; read the rows (found by an indexed
column) and compare in Python. Only IS NULL and IS NOT NULL are left, since
whether a value is there at all is not a confidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import MetaData, Table, Text
from sqlalchemy.sql import operators
from sqlalchemy.types import TypeDecorator

from bloodbank.adapters.data_keys import SealedValueError, active_ring
from bloodbank.adapters.db import input_guard
from bloodbank.domain.errors import DataKeyUnavailable

_NULL_TESTS = frozenset({operators.is_, operators.is_not})


class SealedColumnCompared(TypeError):
    """A SQL comparison on a sealed column: a defect in the query, which could never match."""


class _SealedComparator(TypeDecorator.Comparator):
    def operate(self, op, *other, **kwargs):
        if op in _NULL_TESTS or (op in (operators.eq, operators.ne) and other == (None,)):
            return super().operate(op, *other, **kwargs)
        raise SealedColumnCompared(f"{self.type.context} is sealed: SQL cannot compare it ({op.__name__}); "
                                   "select the rows by another column and compare in Python")

    def reverse_operate(self, op, other, **kwargs):
        raise SealedColumnCompared(f"{self.type.context} is sealed: SQL cannot compare it ({op.__name__})")


class _Sealed(TypeDecorator):
    impl = Text
    cache_ok = True
    comparator_factory = _SealedComparator

    def __init__(self, context: str):
        super().__init__()
        self.context = context

    def _encode(self, value) -> bytes:
        raise NotImplementedError

    def _decode(self, data: bytes):
        raise NotImplementedError

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        input_guard.check(value)
        return active_ring().seal(self.context, self._encode(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return self._decode(open_sealed(self.context, value))


def open_sealed(context: str, token: str) -> bytes:
    """The plaintext of one stored value; a key added by a rotation elsewhere is looked for once."""
    try:
        try:
            return active_ring().open(context, token)
        except DataKeyUnavailable:
            return active_ring(recheck=True).open(context, token)
    except SealedValueError as error:
        raise DataKeyUnavailable(f"A stored value does not open ({error}): the key file holds another key under "
                                 "that id, or the database was changed outside bloodbank.") from None


class SealedText(_Sealed):
    """Text sealed at rest."""

    cache_ok = True  # SQLAlchemy asks each class; the context is the whole state

    def _encode(self, value) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"{self.context} holds text, not {type(value).__name__}")
        return value.encode("utf-8")

    def _decode(self, data: bytes) -> str:
        return data.decode("utf-8")


class SealedJSON(_Sealed):
    """A JSON document (dict, list, text, number) sealed at rest."""

    cache_ok = True

    def _encode(self, value) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def _decode(self, data: bytes):
        return json.loads(data.decode("utf-8"))


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    column: str
    context: str


def sealed_columns(metadata: MetaData) -> list[SealedColumn]:
    """Every sealed column of the schema, in a stable order."""
    return [SealedColumn(table, column.name, column.type.context)
            for table in metadata.sorted_tables for column in table.columns if isinstance(column.type, _Sealed)]
