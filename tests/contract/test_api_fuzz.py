"""Schemathesis fuzzes every operation of the OpenAPI spec: whatever the input, no answer is a server error.

Runs on a demo region as the medical director (every clinical permission) and, for the
administration endpoints, as the administrator: on SQLite always, and on PostgreSQL too when
BLOODBANK_TEST_DATABASE_URL names a server (some bad input fails only there: a NUL byte, an id past
a 32-bit column). Bounded by BLOODBANK_FUZZ_EXAMPLES examples per operation (default 15) so that CI
stays within minutes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.entrypoints.demo import region as demo_data
from bloodbank.entrypoints.web.app import create_app
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication, users
from tests.conftest import PG_SKIP, PG_URL, _create_pg_database, _drop_pg_database, _pg_database_name
from tests.tools import missing_tool

EXAMPLES = int(os.environ.get("BLOODBANK_FUZZ_EXAMPLES", "15"))
ADMIN_TAGS = {"admin", "sites"}

# The apps are built at collection so the spec can name one test per operation; their database
# engines are made on first use, after the fixture below has migrated and filled the databases.
_FOLDER = Path(tempfile.mkdtemp(prefix="bloodbank-fuzz-"))
_SQLITE_URL = f"sqlite:///{_FOLDER / 'bloodbank.db'}"
APP = create_app(_SQLITE_URL)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Named now, created by its fixture: collecting the tests creates no database.
_PG = _pg_database_name() if PG_URL else None
PG_APP = create_app(_PG[0]) if _PG else None
pg_schema = schemathesis.openapi.from_asgi("/openapi.json", PG_APP) if PG_APP else None
TOKENS: dict[str, dict[str, str]] = {}


def _fill(url: str) -> dict[str, str]:
    upgrade(url)
    database = Database(url)
    demo_data.load_demo(lambda: UnitOfWork(database, actor="demo"), donors=40, seed=7, appointments_per_site_day=1)
    tokens = {}
    for role in ("medical_director", "administrator"):
        user = users.create_user(UnitOfWork(database, actor="setup"), username=role.replace("_", "-"),
                                 full_name=f"Fuzz {role}", role=role, password="fuzzing password")
        tokens[role] = authentication.issue_api_token(UnitOfWork(database, actor="setup"), user_id=user.id,
                                                      name="fuzz", issuer_id=user.id).token
    database.dispose()
    return tokens


@pytest.fixture(scope="module")
def sqlite_region():
    TOKENS["sqlite"] = _fill(_SQLITE_URL)
    yield
    APP.state.database.dispose()
    shutil.rmtree(_FOLDER, ignore_errors=True)


@pytest.fixture(scope="module")
def postgresql_region():
    if _PG is None:
        missing_tool(PG_SKIP)
    _create_pg_database(_PG[1])
    TOKENS["postgresql"] = _fill(_PG[0])
    yield
    PG_APP.state.database.dispose()
    _drop_pg_database(_PG[1])


def _call(case, backend: str) -> None:
    role = "administrator" if ADMIN_TAGS & set(case.operation.tags or ()) else "medical_director"
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS[backend][role]}"},
                           checks=[not_a_server_error])


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_operation_answers_with_a_server_error(sqlite_region, case):
    _call(case, "sqlite")


if pg_schema is not None:
    @pg_schema.parametrize()
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def test_no_operation_answers_with_a_server_error_on_postgresql(postgresql_region, case):
        _call(case, "postgresql")
else:
    def test_no_operation_answers_with_a_server_error_on_postgresql():
        missing_tool(PG_SKIP)
