"""One engine and session factory per database URL, built lazily."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bloodbank.adapters.db.engine import READ_ONLY, make_engine


class Database:
    def __init__(self, url: str):
        self.url = url

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        # expire_on_commit=False: use cases return plain values read after commit.
        return sessionmaker(self.engine, expire_on_commit=False)

    @cached_property
    def read_sessions(self) -> sessionmaker[Session]:
        """Sessions whose transactions only read: on SQLite they never wait for, or hold, the write lock."""
        return sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
