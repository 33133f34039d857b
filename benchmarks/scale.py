"""Everyday operations at 10 thousand to a million donors: their cost must not grow with the register.

`python benchmarks/scale.py --sizes 10000,100000,1000000 [--pg URL]` builds each register with bulk
inserts (a national register takes minutes, not hours), then times the requests a desk and a lab make
all day through the web application in-process, the sizes taking turns request by request, and prints an
operation × size table with the growth from the smallest to the largest size.

The generated register: donors with names drawn from some tens of thousands of family names and
thousands of given names (a national register's diversity, so a typed prefix matches what it would in
life), one in ten with a past donation (visit, consent, donation), and 500 units waiting in quarantine
at the lab, the same at every size.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import string
import sys
import threading
import time
import uuid
from pathlib import Path
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.adapters.db.models import Consent, Donation, Donor, DonorNameToken, Site, Unit, Visit
from bloodbank.domain.donor_numbers import new_donor_number
from bloodbank.domain.isbt128 import make_din
from bloodbank.domain.search_keys import donor_name_tokens, phone_digits_last_first
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.adapters import data_keys as keyring
from run import pg_database, sqlite_database  # the benchmarks' own throw-away databases

BATCH = 20_000
QUARANTINE = 500
FACILITY = "W9997"
SYLLABLES = [a + b for a in "bdfghklmnprstvz" for b in "aeiou"] + ["al", "an", "el", "en", "in", "on", "ar", "or"]


def names(rng: random.Random, count: int, parts: tuple[int, int]) -> list[str]:
    made: set[str] = set()
    while len(made) < count:
        made.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(*parts))).capitalize())
    return sorted(made)


def zipf_choice(rng: random.Random, values: list[str]) -> str:
    # Common names are common: a few thousand carry much of the register, as in real populations.
    return values[min(int(rng.paretovariate(1.1)) - 1, len(values) - 1) if rng.random() < 0.5
                  else rng.randrange(len(values))]


def population(seed: int = 13) -> tuple[random.Random, list[str], list[str]]:
    rng = random.Random(seed)
    return rng, names(rng, 40_000, (2, 4)), names(rng, 4_000, (2, 3))


def built_before(database: Database, donors: int) -> dict | None:
    """A register a run with --keep left behind, complete, so it can be timed again without building it."""
    with database.sessions() as s:
        site_id = s.scalar(select(Site.id).where(Site.code == "SCALE"))
        if site_id is None or s.scalar(select(func.count()).select_from(Donor)) < donors:
            return None
        sample = s.execute(select(Donor.id, Donor.given_name, Donor.family_name, Donor.phone)
                           .order_by(Donor.id).limit(2000)).all()
    rng, family, given = population()
    return {"site_id": site_id, "sample": sample, "rng": rng, "family": family, "given": given}


def build(database: Database, donors: int) -> dict:
    rng, family, given = population()
    now = datetime.now(timezone.utc)
    with database.sessions() as s, s.begin():
        site = Site(code="SCALE", name="Scale centre", facility_code=FACILITY, rule_set="eu", time_zone="UTC")
        s.add(site)
        s.flush()
        site_id = site.id
    made = 0
    serial = 0
    while made < donors:
        batch = min(BATCH, donors - made)
        rows = []
        for n in range(batch):
            sex = rng.choice("FM")
            phone = f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
            rows.append(dict(
                donor_number=f"new-{uuid.uuid4().hex[:16]}", given_name=zipf_choice(rng, given),
                family_name=zipf_choice(rng, family), date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randint(0, 18000)),
                sex=sex, phone=phone, phone_key=phone_digits_last_first(phone), email=None, address="", postcode="",
                blood_group=None, appeals_opt_in=rng.random() < 0.4, notes="", created_at=now,
            ))
        with database.sessions() as s, s.begin():
            ids = s.execute(insert(Donor).returning(Donor.id, sort_by_parameter_order=True), rows).scalars().all()
            s.execute(text("UPDATE donor SET donor_number = :n WHERE id = :i"),
                      [{"n": new_donor_number(i), "i": i} for i in ids])
            s.execute(insert(DonorNameToken), [
                {"donor_id": i, "token": t} for i, r in zip(ids, rows)
                for t in sorted(donor_name_tokens(r["given_name"], r["family_name"]))])
            history = [i for i in ids if rng.random() < 0.1]
            visits = s.execute(insert(Visit).returning(Visit.id, sort_by_parameter_order=True), [dict(
                donor_id=i, site_id=site_id, status="collected", kind="whole_blood", checked_in_by="bench",
                checked_in_at=now - timedelta(days=rng.randint(60, 900)), questionnaire={}, decision_reasons=[],
                eligible=True, created_at=now) for i in history]).scalars().all()
            s.execute(insert(Consent), [dict(visit_id=v, donor_id=i, text_version="2026-01", given_at=now,
                                             recorded_by="bench", created_at=now) for v, i in zip(visits, history)])
            donation_rows = []
            for v, i in zip(visits, history):
                serial += 1
                donation_rows.append(dict(
                    din=str(make_din(FACILITY, 25, serial)), facility_code=FACILITY,
                    din_year=2025, serial=serial, visit_id=v, donor_id=i, site_id=site_id, kind="whole_blood",
                    bag_type="triple", bag_lot="L1", phlebotomist="bench", volume_ml=470,
                    started_at=now - timedelta(days=70), ended_at=now - timedelta(days=70), status="complete",
                    created_at=now))
            donation_ids = s.execute(insert(Donation).returning(Donation.id, sort_by_parameter_order=True),
                                     donation_rows).scalars().all()
        made += batch
        print(f"  {made:,} donors", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    with database.sessions() as s, s.begin():
        recent = s.execute(select(Donation.id, Donation.din).order_by(Donation.id.desc()).limit(QUARANTINE)).all()
        s.execute(insert(Unit), [dict(
            din=din, product_code="E0382", division="00", kind="red_cells", donation_id=did, blood_group=None,
            status="quarantined", volume_ml=280, collected_at=now - timedelta(hours=6),
            expires_at=now + timedelta(days=35), site_id=site_id, storage_location="quarantine fridge",
        ) for did, din in recent])
        sample = s.execute(select(Donor.id, Donor.given_name, Donor.family_name, Donor.phone)
                           .order_by(Donor.id).limit(2000)).all()
    if database.engine.dialect.name == "postgresql":
        # What autovacuum does within minutes of a load: statistics for the planner, and the visibility map
        # that lets an index answer without reading the table.
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return {"site_id": site_id, "sample": sample, "rng": rng, "family": family, "given": given}


class Desk:
    """One register's application, its users' tokens and the donors the requests pick from."""

    def __init__(self, database: Database, built: dict):
        from fastapi.testclient import TestClient

        from bloodbank.entrypoints.web.app import create_app
        from bloodbank.service_layer.staff import authentication, users

        self.tokens = {}
        on_file = {u.username: u for u in users.list_users(UnitOfWork(database))}
        for role in ("clerk", "lab_technician"):
            username = f"bench-{role}".replace("_", "-")
            user = on_file.get(username) or users.create_user(
                UnitOfWork(database, actor="bench"), username=username, full_name="Bench", role=role,
                password="bench-password-1")
            self.tokens[role] = authentication.issue_api_token(UnitOfWork(database, actor=user.username),
                                                               user_id=user.id, name="bench", issuer_id=user.id).token
        self.app = TestClient(create_app(database.url), follow_redirects=False)
        self.other = TestClient(create_app(database.url), follow_redirects=False)
        self.rng, self.sample, self.built = random.Random(5), built["sample"], built

    def as_(self, role: str) -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def pick(self):
        return self.rng.choice(self.sample)

    def search(self, q: str):
        return self.app.get("/desk", params={"q": q}, headers=self.as_("clerk"))

    def register(self):
        rng = self.rng
        return self.app.post("/api/donors", headers=self.as_("clerk"), json=dict(
            given_name=rng.choice(self.built["given"]),
            family_name=rng.choice(self.built["family"]) + rng.choice(string.ascii_lowercase),
            date_of_birth=str(date(1950, 1, 1) + timedelta(days=rng.randint(0, 18000))), sex="F",
            phone=f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"))

    def one_person(self):
        # What a clerk types to find the person in front of them: their given name and the start of their
        # family name (the row before pairs two donors' names, a search that often finds no one).
        donor = self.pick()
        return self.search(f"{donor.given_name} {donor.family_name[:4]}")

    def long_reads(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.other.get("/api/lab/quarantine", params={"limit": 200}, headers=self.as_("lab_technician"))
            self.other.get("/api/inventory/stock", headers=self.as_("lab_technician"))


OPERATIONS = [
    ("desk live search, 3 letters of a family name (page)", lambda d: d.search(d.pick().family_name[:3])),
    ("desk live search, given name and family name (page)",
     lambda d: d.search(f"{d.pick().given_name} {d.pick().family_name[:4]}")),
    ("desk live search, one donor's given name and 4 letters of their family name (page)", Desk.one_person),
    # A full page of results at every size: the two-name rows above find a handful at 10,000 donors and a full
    # page at a million, and a page of 40 donors costs more to show than a page of 3 on any register.
    ("desk live search, one letter (a full page of 40 shown)", lambda d: d.search(d.rng.choice("abcdefghklmnrst"))),
    ("donor search by phone ending (API)",
     lambda d: d.app.get("/api/donors", params={"phone": d.pick().phone[-7:]}, headers=d.as_("clerk"))),
    ("register a donor (duplicate check, API)", Desk.register),
    ("home page figures: donors, donors by group, donations (page)", lambda d: d.app.get("/", headers=d.as_("clerk"))),
    ("donor page (desk)", lambda d: d.app.get(f"/desk/donors/{d.pick().id}", headers=d.as_("clerk"))),
    ("lab quarantine list, 500 units (API)",
     lambda d: d.app.get("/api/lab/quarantine", params={"limit": 50}, headers=d.as_("lab_technician"))),
    ("lab quarantine board (page)", lambda d: d.app.get("/lab", headers=d.as_("lab_technician"))),
]
BESIDE_LONG_READS = "donor page while the quarantine list and stock report run"
# The long reads run in turns too, a block of requests at each size, so no size has the machine to itself.
BLOCKS = 4


def measure(desks: dict[int, Desk], runs: int = 40) -> dict[str, dict[int, float]]:
    """p50 of each operation at each size, the sizes taking turns request by request.

    A machine's speed drifts over minutes (other work, the processor's clock): timing one size after the
    other read that drift as growth with the register, in either direction. In turns, it falls on every size."""
    timings: dict[str, dict[int, list[float]]] = {}

    def time_one(name: str, size: int, call) -> None:
        t0 = time.perf_counter()
        response = call()
        timings.setdefault(name, {}).setdefault(size, []).append(time.perf_counter() - t0)
        assert response.status_code < 400 or response.status_code == 409, (name, response.status_code,
                                                                            response.text[:300])

    order = list(desks)
    for name, call in OPERATIONS:
        for desk in desks.values():
            call(desk)  # warm
        for n in range(runs):
            for size in order[n % len(order):] + order[:n % len(order)]:
                time_one(name, size, lambda: call(desks[size]))
    for block in range(BLOCKS):
        for size, desk in desks.items():
            stop = threading.Event()
            worker = threading.Thread(target=desk.long_reads, args=(stop,), daemon=True)
            worker.start()
            try:
                for _ in range(max(runs // BLOCKS, 1)):
                    time_one(BESIDE_LONG_READS, size,
                             lambda: desk.app.get(f"/desk/donors/{desk.pick().id}", headers=desk.as_("clerk")))
            finally:
                stop.set()
                worker.join()
    return {name: {size: statistics.median(values) * 1000 for size, values in by_size.items()}
            for name, by_size in timings.items()}


def kept_ring(folder: str) -> keyring.KeyRing:
    """The key a kept register was sealed with, kept beside it so a later run can read what it sealed."""
    path = Path(folder) / "data-keys"
    if not path.exists():
        os.makedirs(folder, exist_ok=True)
        keyring.write_file(path, keyring.KeyRing.generate("scale"))
    return keyring.read_file(path)


def register_database(server: str | None, size: int, keep: str | None) -> tuple[Database, str | None]:
    """A throw-away database, or with --keep one named for its size, made and migrated if it is not there."""
    if not keep:
        return (sqlite_database(), None) if server is None else pg_database(server)
    if server is None:
        os.makedirs(keep, exist_ok=True)
        url = f"sqlite:///{os.path.abspath(keep)}/scale-{size}.db"
        upgrade(url)
        return Database(url), None
    name = f"bloodbank_scale_{size}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    upgrade(url)
    return Database(url), name


def drop_pg(server: str, name: str) -> None:
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--pg", default=os.environ.get("BLOODBANK_BENCH_PG_URL"))
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--keep", metavar="DIR", help="keep each register (SQLite files in DIR, PostgreSQL databases "
                        "bloodbank_scale_<size>) and time one left by an earlier run instead of building it again")
    args = parser.parse_args()
    # Throw-away registers sealed with a throw-away key, as a real one is sealed: sealing is part of the cost.
    keyring.use_ring(kept_ring(args.keep) if args.keep else keyring.KeyRing.generate("scale"))
    sizes = [int(n) for n in args.sizes.split(",")]
    engines = [("SQLite", None)] + ([("PostgreSQL", args.pg)] if args.pg else [])
    results: dict[tuple[str, str], dict[int, float]] = {}
    for label, server in engines:
        desks, opened = {}, []
        for size in sizes:
            database, name = register_database(server, size, args.keep)
            built = built_before(database, size) if args.keep else None
            if built is None:
                t0 = time.perf_counter()
                built = build(database, size)
                print(f"{label}: {size:,} donors built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            desks[size] = Desk(database, built)
            opened.append((database, name))
        print(f"{label}: load average before timing {os.getloadavg()[0]:.1f}", file=sys.stderr)
        for operation, by_size in measure(desks, args.runs).items():
            results[(label, operation)] = by_size
        for database, name in opened:
            database.dispose()
            if name and not args.keep:
                drop_pg(server, name)
    print(f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {os.cpu_count()} cores; p50 of {args.runs} requests.\n")
    head = " | ".join(f"{n:,} donors" for n in sizes)
    print(f"| database | operation | {head} | growth |\n|---|---|{'---|' * len(sizes)}---|")
    for (label, operation), by_size in results.items():
        cells = " | ".join(f"{by_size[n]:.1f} ms" for n in sizes)
        print(f"| {label} | {operation} | {cells} | {by_size[sizes[-1]] / by_size[sizes[0]]:.2f}× |")


if __name__ == "__main__":
    main()
