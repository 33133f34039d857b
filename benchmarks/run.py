"""Measure the operations whose speed matters at a donor session or a national scale.

Each benchmark builds its own throw-away database, so it can run anywhere.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.adapters.db.models import Site
from bloodbank.domain.eligibility import DonationKind, DonorFacts, PastDonation, evaluate, load_rule_set
from bloodbank.service_layer import demo_data
from bloodbank.service_layer.audit import verify_chain
from bloodbank.service_layer.din_allocation import next_din
from bloodbank.service_layer.unit_of_work import UnitOfWork

ROWS: list[tuple[str, str, str]] = []


def report(name: str, value: str, note: str = "") -> None:
    ROWS.append((name, value, note))
    print(f"{name}: {value} {note}", file=sys.stderr)


def sqlite_database() -> Database:
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
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


def bench_din_allocation(database: Database, label: str, threads: int = 8, per_thread: int = 100) -> None:
    with database.sessions() as s, s.begin():
        s.add(Site(code="BENCH", name="Bench", facility_code="W9999", rule_set="eu"))
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


def main() -> None:
    bench_eligibility()
    lite = sqlite_database()
    bench_demo_and_audit(lite, "SQLite", 5000)
    bench_din_allocation(sqlite_database(), "SQLite")
    server = os.environ.get("BLOODBANK_BENCH_PG_URL")
    if server:
        pg, name = pg_database(server)
        bench_demo_and_audit(pg, "PostgreSQL", 5000)
        pg.dispose()
        pg2, name2 = pg_database(server)
        bench_din_allocation(pg2, "PostgreSQL")
        pg2.dispose()
        admin = make_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for n in (name, name2):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)'))
        admin.dispose()
    print(f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {os.cpu_count()} cores.\n")
    print("| benchmark | result | notes |\n|---|---|---|")
    for name, value, note in ROWS:
        print(f"| {name} | {value} | {note} |")


if __name__ == "__main__":
    main()
