"""Measure the operations whose speed matters at a donor session or a national scale.

Each benchmark builds its own throw-away database, so it can run anywhere; the
PostgreSQL rows need BLOODBANK_BENCH_PG_URL (a server where databases may be
created) and are left out without it.

    python benchmarks/run.py                    # what docs/benchmarks.md records
    python benchmarks/run.py --donors 20000     # a quicker run: a smaller import
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from bloodbank.adapters import data_keys as keyring
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.adapters.db.models import Site, Unit
from bloodbank.domain.eligibility import DonationKind, DonorFacts, PastDonation, evaluate, load_rule_set
from bloodbank.domain.isbt128 import make_din
from bloodbank.entrypoints.demo import region as demo_data
from bloodbank.service_layer.blood import inventory
from bloodbank.service_layer.donors import history_import, sites
from bloodbank.service_layer.donors.din_allocation import next_din
from bloodbank.service_layer.hospital import allocation, hospitals, orders as orders_, patient_lab, patients
from bloodbank.service_layer.shared.audit import verify_chain
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import data_keys

ROWS: list[tuple[str, str, str]] = []
# A population-like ABO/RhD mix (see shared reference figures for the UK).
GROUP_MIX = [("O+", 35), ("O-", 13), ("A+", 30), ("A-", 8), ("B+", 8), ("B-", 2), ("AB+", 2), ("AB-", 1)]
BENCH_PRODUCT = {"red_cells": "X0002", "plasma": "X0006", "platelets_pooled": "X0008"}


def report(name: str, value: str, note: str = "") -> None:
    ROWS.append((name, value, note))
    print(f"{name}: {value} {note}", file=sys.stderr)


def sqlite_database() -> Database:
    folder = tempfile.mkdtemp(prefix="bloodbank-bench-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)  # a million donors' file is not left behind
    url = f"sqlite:///{folder}/bench.db"
    upgrade(url)
    return Database(url)


def pg_database(server: str) -> tuple[Database, str]:
    name = f"bloodbank_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    upgrade(url)
    return Database(url), name


def drop_pg_database(server: str, name: str) -> None:
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def bench_eligibility() -> None:
    rules = load_rule_set("eu")
    facts = DonorFacts(
        on=date(2026, 6, 1), date_of_birth=date(1980, 1, 1), sex="F", weight_kg=70, hemoglobin_g_dl=13.2,
        systolic=120, diastolic=80, pulse=70, temperature_c=36.6, first_time=False, kind=DonationKind.WHOLE_BLOOD,
        donations=tuple(PastDonation(date(2026, 6, 1) - timedelta(days=120 * i), DonationKind.WHOLE_BLOOD)
                        for i in range(1, 10)),
    )
    n = 20000
    start = time.perf_counter()
    for _ in range(n):
        evaluate(facts, rules)
    per = (time.perf_counter() - start) / n
    report("eligibility decision (EU rules, 9 past donations)", f"{per * 1e6:.0f} µs", f"{n} decisions")


def bench_demo_and_audit(database: Database, label: str, donors: int) -> None:
    start = time.perf_counter()
    summary = demo_data.load_demo(lambda: UnitOfWork(database, actor="bench"), donors=donors, seed=1)
    elapsed = time.perf_counter() - start
    report(f"demo load, {label}", f"{elapsed:.1f} s",
           f"{summary.donors} donors, {summary.donations} donations, {summary.appointments} bookings")
    start = time.perf_counter()
    chain = verify_chain(UnitOfWork(database))
    elapsed = time.perf_counter() - start
    report(f"audit verify, {label}", f"{chain.entries / elapsed:,.0f} entries/s", f"{chain.entries} entries")
    keyring.use_ring(keyring.active_ring().with_new_key())
    start = time.perf_counter()
    made = data_keys.reseal(UnitOfWork(database, actor="bench"))
    elapsed = time.perf_counter() - start
    report(f"key rotation (every sealed value resealed), {label}", f"{made.resealed / elapsed:,.0f} values/s",
           f"{made.resealed} values in {elapsed:.1f} s")


def bench_din_allocation(database: Database, label: str, threads: int = 8, per_thread: int = 100) -> None:
    with database.sessions() as s, s.begin():
        s.add(Site(code="BENCH", name="Bench", facility_code="W9999", rule_set="eu", time_zone="Europe/Paris"))
    barrier = threading.Barrier(threads)
    latencies: list[float] = []

    def worker():
        barrier.wait()
        for _ in range(per_thread):
            t0 = time.perf_counter()
            with database.sessions() as s, s.begin():
                next_din(s, "W9999", 2026)
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    total = threads * per_thread
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    report(f"DIN allocation, {label}, {threads} concurrent writers", f"{total / elapsed:,.0f} DINs/s",
           f"p95 {p95:.1f} ms, {total} DINs, none reused")


def bench_allocation(database: Database, label: str, stock: int, orders: int = 200) -> None:
    """Allocate from a large shelf: the candidate query and the choice must stay quick as stock grows.

    Units expire at whole days from one instant, as real ones do (23:59 of their last day): a day's
    units share an expiry, so the reads must not depend on expiries being distinct.
    """
    clerk = lambda: UnitOfWork(database, actor="bench")  # noqa: E731
    site = sites.create_site(clerk(), code="ALLOC", name="Allocation bench", kind="fixed", facility_code="W9998", time_zone="Europe/Paris",
                             opening_hours={}, rule_set="eu")
    hospital = hospitals.create_hospital(clerk(), code="HBENCH", name="Bench Hospital", site_id=site.id)
    rng = random.Random(7)
    groups = [g for g, _ in GROUP_MIX]
    weights = [w for _, w in GROUP_MIX]
    now = datetime.now(timezone.utc)
    rows = []
    for n in range(stock):
        kind = rng.choices(["red_cells", "plasma", "platelets_pooled"], [0.7, 0.2, 0.1])[0]
        rows.append(dict(
            din=str(make_din("W9998", 26, n + 1)), product_code=BENCH_PRODUCT[kind], division="00", kind=kind,
            blood_group=rng.choices(groups, weights)[0], status="available", volume_ml=280,
            collected_at=now - timedelta(days=rng.randint(0, 20)),
            expires_at=now + timedelta(days=rng.randint(2, 30)), site_id=site.id, storage_location="fridge",
        ))
    with database.sessions() as s, s.begin():
        s.execute(insert(Unit), rows)
    if database.engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a load this size: without statistics the planner
        # takes a group's stock for one row and sorts all of it.
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE unit"))
    patients_ = []
    for n in range(20):
        p = patients.register_patient(clerk(), hospital_id=hospital.id, identifiers=[("mrn", f"HBENCH:{n + 1}")],
                                      given_name="Bench", family_name=f"Patient{n}", sex="F",
                                      date_of_birth=date(1970, 1, 1))
        group = rng.choices(groups, weights)[0]
        for k in (1, 2):
            sample = patient_lab.record_sample(clerk(), patient_id=p.id, sample_number=f"S{n}-{k}", taken_by="ward")
            patient_lab.record_grouping(clerk(), patient_id=p.id, sample_id=sample.id, blood_group=group)
        patients_.append(p.id)
    latencies = []
    for n in range(orders):
        order = orders_.place_order(clerk(), hospital_id=hospital.id, patient_id=patients_[n % len(patients_)],
                                    kind="red_cells", quantity=2, needed_by=now + timedelta(hours=4))
        t0 = time.perf_counter()
        allocation.allocate(clerk(), order_id=order.id)
        latencies.append(time.perf_counter() - t0)
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        inventory.stock(clerk(), site_id=site.id)
        timings.append(time.perf_counter() - t0)
    report(f"stock report by group × component with days of supply, {label}",
           f"{statistics.median(timings) * 1000:.0f} ms", f"{stock:,} units at one site, the "
           f"{inventory.EXPIRING_LISTED} expiring first listed")
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        inventory.stock_grid(clerk(), site_id=site.id)
        timings.append(time.perf_counter() - t0)
    report(f"stock grid (the inventory page's counts), {label}", f"{statistics.median(timings) * 1000:.0f} ms",
           f"{stock:,} units at one site")
    p50 = statistics.median(latencies) * 1000
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    report(f"allocation of 2 red cell units, {label}", f"p50 {p50:.0f} ms", f"p95 {p95:.0f} ms; {stock:,} units on the "
           f"shelf, {orders} orders")


IMPORT_BATCH = 10_000  # donors per call: a migration goes in batches, each all-or-nothing


def imported_donors(rng: random.Random, count: int, site_id: int, now: datetime) -> list:
    """Donors as a previous system would give them; one in ten with a past donation, one in fifty deferred."""
    family = [f"Fam{n:05d}" for n in range(4000)]
    given = [f"Giv{n:04d}" for n in range(400)]
    groups, weights = [g for g, _ in GROUP_MIX], [w for _, w in GROUP_MIX]
    donors = []
    for _ in range(count):
        donations = ()
        if rng.random() < 0.1:
            donations = (history_import.PastDonation(
                site_id=site_id, needle_in=now - timedelta(days=rng.randint(60, 900), minutes=rng.randint(0, 600)),
                volume_ml=470, bag_type="triple", bag_lot="L2025A", measurements=history_import.Measurements(
                    weight_kg=rng.randint(55, 110), hemoglobin_g_dl=13.5)),)
        deferrals = ()
        if rng.random() < 0.02:
            start = (now - timedelta(days=rng.randint(10, 300))).date()
            deferrals = (history_import.PastDeferral(code="tattoo", kind="temporary", starts_on=start,
                                                     ends_on=start + timedelta(days=120)),)
        donors.append(history_import.ImportedDonor(
            given_name=rng.choice(given), family_name=rng.choice(family),
            date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randint(0, 18000)), sex=rng.choice("FM"),
            phone=f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}", postcode=f"NG{rng.randint(1, 99)}",
            latitude=52.9 + rng.random() / 10, longitude=-1.2 - rng.random() / 10,
            blood_group=rng.choices(groups, weights)[0] if rng.random() < 0.6 else None,
            preferred_site_id=site_id, appeals_opt_in=rng.random() < 0.4, donations=donations, deferrals=deferrals))
    return donors


def bench_import(database: Database, label: str, donors: int) -> None:
    """A register brought from a previous system through `history_import.import_donors`, in batches."""
    site = sites.create_site(UnitOfWork(database, actor="bench"), code="IMPORT", name="Import bench", kind="fixed",
                             facility_code="W9997", time_zone="Europe/London", opening_hours={}, rule_set="eu")
    rng, now = random.Random(11), datetime.now(timezone.utc)
    spent, made, past = 0.0, 0, 0
    while made < donors:
        batch = imported_donors(rng, min(IMPORT_BATCH, donors - made), site.id, now)
        t0 = time.perf_counter()
        history_import.import_donors(UnitOfWork(database, actor="bench"), batch, source="bench register")
        spent += time.perf_counter() - t0
        made += len(batch)
        past += sum(len(d.donations) for d in batch)
        print(f"  {made:,} donors imported, {label}", file=sys.stderr, end="\r")
    report(f"bulk import of donors (history_import), {label}", f"{made / spent:,.0f} donors/s",
           f"{made:,} donors ({past:,} past donations) in {spent:.0f} s, batches of {IMPORT_BATCH:,}")


def _percentiles(latencies: list[float]) -> str:
    return (f"p50 {statistics.median(latencies) * 1000:.1f} ms",
            f"p95 {statistics.quantiles(latencies, n=20)[-1] * 1000:.1f} ms")


def bench_web(database: Database, label: str) -> None:
    """Requests through the ASGI app in-process: what the server adds on top of the use case."""
    from fastapi.testclient import TestClient

    from bloodbank.entrypoints.web.app import create_app
    from bloodbank.entrypoints.demo import accounts as demo_users
    from bloodbank.service_layer.staff import authentication, users

    demo_data.load_demo(lambda: UnitOfWork(database, actor="bench"), donors=1000, seed=3)
    demo_users.ensure_demo_users(lambda: UnitOfWork(database, actor="bench"))
    lab = next(u for u in users.list_users(UnitOfWork(database)) if u.username == "lab")
    token = authentication.issue_api_token(UnitOfWork(database, actor="bench"), user_id=lab.id, name="bench",
                                           issuer_id=lab.id).token
    client = TestClient(create_app(database.url), follow_redirects=False)
    runs = {"login (argon2id verify, session row)": [], "API GET /api/me with a bearer token": [],
            "page GET /lab (quarantine board) with a session": []}
    for _ in range(40):
        # Each login as a new browser would; the form's token comes with the page (login CSRF), not timed.
        client.cookies.clear()
        form_token = re.search(r'name="login_token" value="([^"]+)"', client.get("/login").text).group(1)
        t0 = time.perf_counter()
        answer = client.post("/login", data={"username": "lab", "password": demo_users.DEMO_PASSWORD,
                                             "login_token": form_token})
        runs["login (argon2id verify, session row)"].append(time.perf_counter() - t0)
        assert answer.status_code == 303, answer.status_code
    for _ in range(200):
        t0 = time.perf_counter()
        assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        runs["API GET /api/me with a bearer token"].append(time.perf_counter() - t0)
    for _ in range(40):
        t0 = time.perf_counter()
        assert client.get("/lab").status_code == 200
        runs["page GET /lab (quarantine board) with a session"].append(time.perf_counter() - t0)
    for name, latencies in runs.items():
        p50, p95 = _percentiles(latencies)
        report(f"{name}, {label}", p50, f"{p95}; {len(latencies)} requests")


ALLOCATION_STOCKS = (20_000, 100_000)


BENCHES = ("eligibility", "demo", "din", "allocation", "import", "web")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donors", type=int, default=1_000_000, help="donors to import (default: a million)")
    parser.add_argument("--only", action="append", choices=BENCHES,
                        help="run only these benchmarks (repeat it for several; default: all)")
    args = parser.parse_args()
    chosen = set(args.only or BENCHES)
    # Throw-away databases sealed with a throw-away key: sealing is part of what is measured.
    keyring.use_ring(keyring.KeyRing.generate("bench"))
    if "eligibility" in chosen:
        bench_eligibility()
    runs = []  # each called with a database and its label
    if "demo" in chosen:
        runs.append(lambda db, label: bench_demo_and_audit(db, label, 5000))
    if "din" in chosen:
        runs.append(bench_din_allocation)
    if "allocation" in chosen:
        runs += [lambda db, label, stock=stock: bench_allocation(db, label, stock) for stock in ALLOCATION_STOCKS]
    if "import" in chosen:
        runs.append(lambda db, label: bench_import(db, label, args.donors))
    if "web" in chosen:
        runs.append(bench_web)
    for bench in runs:
        bench(sqlite_database(), "SQLite")
    server = os.environ.get("BLOODBANK_BENCH_PG_URL")
    if server:
        for bench in runs:
            pg, name = pg_database(server)
            try:
                bench(pg, "PostgreSQL")
            finally:
                pg.dispose()
                drop_pg_database(server, name)
    else:
        print("BLOODBANK_BENCH_PG_URL is not set: the PostgreSQL rows are left out.", file=sys.stderr)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {os.cpu_count()} cores, load average {load} "
          "(1, 5, 15 min) at the end.\n")
    print("| benchmark | result | notes |\n|---|---|---|")
    for name, value, note in ROWS:
        print(f"| {name} | {value} | {note} |")


if __name__ == "__main__":
    main()
