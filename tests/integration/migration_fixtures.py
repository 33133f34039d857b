"""Rows written as plain SQL into a database at an older revision, whose tables the models no longer describe.

The models seal what donors confide (revision 0016): written through them, a
value would reach an old table sealed, or not fit it at all. These helpers
write what an installation of that time held.
"""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import count

from sqlalchemy import text

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models.base import utcnow
from bloodbank.domain.isbt128 import make_din
from tests.integration.lab_fixtures import FACILITY

_numbers = count(1)


def _insert(conn, table: str, values: dict) -> int:
    columns = ", ".join(values)
    names = ", ".join(f":{k}" for k in values)
    return conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({names}) RETURNING id"), values).scalar_one()


def old_donation(database: Database, *, questionnaire: dict | None = None,
                 reasons: list | None = None) -> dict[str, int]:
    """A site, a donor, a visit and its donation, as rows of revisions 0009 to 0014: their ids.

    Sites (the walking blood bank's figures came in 0021), donors (search keys came in 0018) and visits are
    written as plain rows.
    """
    n, now = next(_numbers), utcnow()
    with database.engine.begin() as conn:
        site = _insert(conn, "site", {"code": f"OLDS{n}", "name": "Old centre", "kind": "fixed",
                                      "facility_code": FACILITY, "rule_set": "who", "time_zone": "UTC",
                                      "address": "", "chairs": 4, "slot_minutes": 15, "opening_hours": "{}",
                                      "active": True, "created_at": now})
        donor = _insert(conn, "donor", {"donor_number": f"OLD{n:07d}", "given_name": "Ada", "family_name": "Old",
                                        "date_of_birth": "1980-01-01", "sex": "F", "address": "", "postcode": "",
                                        "appeals_opt_in": False, "group_discrepancy": False,
                                        "blood_group_confirmed": False, "notes": "", "created_at": now})
        visit = _insert(conn, "visit", {"donor_id": donor, "site_id": site, "status": "collected",
                                        "kind": "whole_blood", "checked_in_at": now - timedelta(hours=2),
                                        "checked_in_by": "clerk.bea", "eligible": True, "created_at": now,
                                        "questionnaire": json.dumps(questionnaire or {}),
                                        "decision_reasons": json.dumps(reasons or [])})
        donation = _insert(conn, "donation", {
            "din": str(make_din(FACILITY, 26, 90000 + n)), "facility_code": FACILITY, "din_year": 26,
            "serial": 90000 + n, "visit_id": visit, "donor_id": donor, "site_id": site, "kind": "whole_blood",
            "bag_type": "quad", "bag_lot": "LOT1", "phlebotomist": "nurse.cai", "volume_ml": 470,
            "started_at": now - timedelta(minutes=50), "status": "complete", "created_at": now})
    return {"site": site, "donor": donor, "visit": visit, "donation": donation}


def insert_row(database: Database, table: str, **values) -> int:
    with database.engine.begin() as conn:
        return _insert(conn, table, values)
