"""Schemathesis fuzzes every operation of the OpenAPI spec: whatever the input, no answer is a server error.

Runs on an SQLite demo region as the medical director (every clinical permission) and, for the
administration endpoints, as the administrator. Bounded by BLOODBANK_FUZZ_EXAMPLES examples per
operation (default 15) so that CI stays within minutes.
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

EXAMPLES = int(os.environ.get("BLOODBANK_FUZZ_EXAMPLES", "15"))
ADMIN_TAGS = {"admin", "sites"}

# The app is built at collection so the spec can name one test per operation; its database engine
# is made on first use, after the fixture below has migrated and filled the file.
_FOLDER = Path(tempfile.mkdtemp(prefix="bloodbank-fuzz-"))
_URL = f"sqlite:///{_FOLDER / 'bloodbank.db'}"
APP = create_app(_URL)
TOKENS: dict[str, str] = {}
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def demo_region():
    upgrade(_URL)
    database = Database(_URL)
    demo_data.load_demo(lambda: UnitOfWork(database, actor="demo"), donors=40, seed=7, appointments_per_site_day=1)
    for role in ("medical_director", "administrator"):
        user = users.create_user(UnitOfWork(database, actor="setup"), username=role.replace("_", "-"),
                                 full_name=f"Fuzz {role}", role=role, password="fuzzing password")
        TOKENS[role] = authentication.issue_api_token(UnitOfWork(database, actor="setup"), user_id=user.id,
                                                      name="fuzz").token
    database.dispose()
    yield
    APP.state.database.dispose()
    shutil.rmtree(_FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_no_operation_answers_with_a_server_error(case):
    role = "administrator" if ADMIN_TAGS & set(case.operation.tags or ()) else "medical_director"
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS[role]}"}, checks=[not_a_server_error])
