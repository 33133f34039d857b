"""The last guard on what reaches the database, whatever the entry point: one rule for text and numbers.

Checked on every statement's parameters, reads included, so a search for
"a\\0b" is refused like a write would be:
- text holding a character no field may hold (domain.text: controls, NUL,
  bidirectional overrides) — PostgreSQL cannot even store a NUL;
- whole numbers outside a 32-bit column, which PostgreSQL refuses and SQLite
  would accept, so both answer alike.
Values that fail while being converted (a time that overflows on its way to
UTC) come back wrapped by SQLAlchemy; `as_input_error` unwraps them.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError

from bloodbank.domain.errors import DomainError, InvalidInput
from bloodbank.domain.text import describe, refused_character

INT32 = (-(2**31), 2**31 - 1)
_JSON_NUL = "\\u0000"
_VALUES = type({}.values())


def install(engine: Engine) -> None:
    event.listen(engine, "before_cursor_execute", _check)


def _check(conn, cursor, statement, parameters, context, executemany) -> None:
    # Parameters come as a row, a list of rows (executemany, batched inserts), dicts or tuples: walk them all.
    _walk(parameters)


def check(value: object) -> None:
    """The same rule for a value about to be sealed (adapters.db.sealed_types), which this guard would
    otherwise see only as ciphertext."""
    _walk(value)


def _walk(value: object) -> None:
    if isinstance(value, dict):
        value = value.values()
    if isinstance(value, (list, tuple, _VALUES)):
        for item in value:
            _walk(item)
    else:
        _check_value(value)


def _check_value(value: object) -> None:
    if isinstance(value, str):
        bad = refused_character(value, multiline=True)
        if bad is not None:
            raise InvalidInput(f"The text contains an invisible control character ({describe(bad)}), "
                               "which cannot be stored or searched: type it again without it.")
        if _JSON_NUL in value:
            raise InvalidInput("The text contains a NUL character, which cannot be stored: remove it.")
    elif isinstance(value, int) and not isinstance(value, bool) and not INT32[0] <= value <= INT32[1]:
        raise InvalidInput(f"The number {value} is out of range: no record has it.")


def as_input_error(error: BaseException) -> DomainError | None:
    """The clerk-readable error behind a database statement's failure on bad input, if that is what it was."""
    if isinstance(error, StatementError):
        cause = error.orig
        if isinstance(cause, DomainError):
            return cause
        if isinstance(cause, OverflowError):
            return InvalidInput("A date, time or number in the request is out of range: check it.")
    if isinstance(error, OverflowError):
        return InvalidInput("A date, time or number in the request is out of range: check it.")
    return None
