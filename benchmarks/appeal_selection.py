"""Choosing and ranking an appeal's donors over a register of a million (SQLite) to ten million (PostgreSQL).

`python benchmarks/appeal_selection.py --sizes 1000000 [--pg URL --pg-sizes 1000000,10000000]` builds each
register in bulk (executemany on SQLite, COPY on PostgreSQL), then times what an appeal's top-up does
between sizing and writing: the prefilter through the (appeals_opt_in, blood_group, grid_cell) index for
every needed group around every site, the batch reads of the short list (invitations of the last 30
days, donations, deferrals, erasures), and the limits, contact hours, rule engine and ranking on the
short list (`service_layer.crisis.appeal_selection`: `shortlist` then `choose`).

The generated register: donors over a region of 5 x 5 degrees, two thirds of them around ten towns and
the rest spread evenly; 30 % opted in to appeals; the group mix of the benchmarks' run.py; one in ten
with a donation on record (the rule engine's interval check has something to read). Five sites stand in
five of the towns. The appeal asks for about 600 invitations over eight groups and three days.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, insert, select, text

from bloodbank.adapters import data_keys as keyring
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.models import Donation, Donor, Site, Visit
from bloodbank.domain import appeal_sizing as sizing
from bloodbank.domain.appeal_rules import default_parameters
from bloodbank.domain.appeal_selection import SiteInReach, grid_cell
from bloodbank.domain.scheduling import zone
from bloodbank.service_layer.crisis import appeal_selection as selection
from run import GROUP_MIX, pg_database, sqlite_database  # the benchmarks' own throw-away databases
from scale import drop_pg

BATCH = 50_000
FACILITY = "W9996"
TOWNS = [(50.5 + (i % 5) * 0.9, -3.5 + (i // 5) * 2.2 + (i % 3) * 0.3) for i in range(10)]
NEEDED_DONORS = {"O-": 25, "O+": 40, "A+": 30, "A-": 6, "B+": 8, "B-": 2, "AB+": 2, "AB-": 1}


def _donor_rows(rng: random.Random, start: int, count: int, now: datetime, degrees: float):
    groups = [g for g, _ in GROUP_MIX]
    weights = [w for _, w in GROUP_MIX]
    for n in range(start, start + count):
        if rng.random() < 2 / 3:
            town = TOWNS[rng.randrange(len(TOWNS))]
            lat, lon = rng.gauss(town[0], 0.12), rng.gauss(town[1], 0.18)
        else:
            lat, lon = rng.uniform(50, 55), rng.uniform(-4, 1)
        yield dict(
            donor_number=f"A{n:011d}", given_name="Bench", family_name=f"Donor{n % 9973}",
            date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randint(0, 18000)), sex=rng.choice("FM"),
            phone=f"+44 7{n:09d}", email=None, address="", postcode="",
            latitude=lat, longitude=lon, grid_cell=grid_cell(lat, lon, degrees),
            blood_group=rng.choices(groups, weights)[0], blood_group_confirmed=True,
            appeals_opt_in=rng.random() < 0.3, merged_into_id=None, group_discrepancy=False, notes="",
            created_at=now)


def build(database: Database, donors: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    degrees = default_parameters().grid_degrees
    with database.sessions() as s, s.begin():
        s.add_all([Site(code=f"APB{i}", name=f"Town {i} centre", facility_code=FACILITY, rule_set="eu",
                        time_zone="UTC", latitude=TOWNS[i][0], longitude=TOWNS[i][1], chairs=8)
                   for i in range(5)])
    pg = database.engine.dialect.name == "postgresql"
    made = 0
    columns = list(next(_donor_rows(random.Random(0), 0, 1, now, degrees)).keys())
    while made < donors:
        batch = min(BATCH, donors - made)
        rows = list(_donor_rows(rng, made, batch, now, degrees))
        if pg:
            _copy(database, "donor", columns, rows)
        else:
            with database.engine.begin() as conn:
                conn.execute(insert(Donor.__table__), rows)
        made += batch
        print(f"  {made:,} donors", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    _donations(database, donors, rng, now)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def _copy(database: Database, table: str, columns: list[str], rows: list[dict]) -> None:
    raw = database.engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()


def _donations(database: Database, donors: int, rng: random.Random, now: datetime) -> None:
    """One donor in ten has given, 20 to 400 days ago: a visit and a donation each."""
    with database.sessions() as s:
        site_id = s.execute(select(Site.id).order_by(Site.id)).scalars().first()
    givers = sorted(rng.sample(range(1, donors + 1), donors // 10))
    for start in range(0, len(givers), BATCH):
        chunk = givers[start:start + BATCH]
        when = [now - timedelta(days=rng.randint(20, 400)) for _ in chunk]
        with database.sessions() as s, s.begin():
            visits = s.execute(insert(Visit).returning(Visit.id, sort_by_parameter_order=True), [dict(
                donor_id=d, site_id=site_id, status="collected", kind="whole_blood", checked_in_by="bench",
                checked_in_at=w, questionnaire={}, decision_reasons=[], eligible=True, created_at=now)
                for d, w in zip(chunk, when)]).scalars().all()
            s.execute(insert(Donation), [dict(
                din=f"{FACILITY}25{start + k:06d}", facility_code=FACILITY, din_year=25, serial=start + k + 1,
                visit_id=v, donor_id=d, site_id=site_id, kind="whole_blood", bag_type="triple", bag_lot="L1",
                phlebotomist="bench", volume_ml=470, started_at=w, ended_at=w, status="complete", created_at=now)
                for k, (v, d, w) in enumerate(zip(visits, chunk, when))])


def measure(database: Database, runs: int) -> tuple[float, float, float, int, int]:
    """p50 and slowest wall time, p50 of this process's CPU time (on SQLite the whole of the work: it tells a
    slow run from a crowded machine), the short list's size and the invitations chosen."""
    params = default_parameters()
    now = datetime.now(timezone.utc).replace(hour=12)  # inside everyone's default contact hours
    with database.sessions() as s:
        sites = [selection.SiteForAppeal(SiteInReach(site.id, site.code, site.latitude, site.longitude), site.rule_set,
                                         zone("UTC"), now.date() + timedelta(days=1))
                 for site in s.execute(select(Site).order_by(Site.id)).scalars()]
    rates = sizing.Rates(params.response_rate, params.show_up_rate)
    days = [sizing.DayCapacity(now.date() + timedelta(days=d), 5 * 8 * 32) for d in range(1, 4)]
    plan = sizing.size(NEEDED_DONORS, {}, rates, days)
    wanted = {g: plan.total(g) for g in sizing.GROUPS if plan.total(g)}
    timings, cpu, counts = [], [], (0, 0)
    for _ in range(runs):
        room = {(p.site.site_id, d.day): 60 for p in sites for d in days}
        t0, c0 = time.perf_counter(), time.process_time()
        with database.sessions() as s:
            people = selection.shortlist(s, groups=list(wanted), sites=sites, wanted=wanted, params=params, now=now)
        picks = selection.choose(people, quotas=plan.invitations, sites=sites, room=room, params=params, now=now,
                                 unplaced=plan.unplaced)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        counts = (len(people), len(picks))
    return statistics.median(timings), max(timings), statistics.median(cpu), counts[0], counts[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000", help="register sizes on SQLite")
    parser.add_argument("--pg", default=os.environ.get("BLOODBANK_BENCH_PG_URL"))
    parser.add_argument("--pg-sizes", default="1000000,10000000")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    keyring.use_ring(keyring.KeyRing.generate("appeals"))
    plans = [("SQLite", None, int(n)) for n in args.sizes.split(",") if n]
    if args.pg:
        plans += [("PostgreSQL", args.pg, int(n)) for n in args.pg_sizes.split(",") if n]
    rows = []
    for label, server, size in plans:
        database, name = (sqlite_database(), None) if server is None else pg_database(server)
        t0 = time.perf_counter()
        build(database, size)
        built = time.perf_counter() - t0
        with database.sessions() as s:
            assert s.scalar(select(func.count()).select_from(Donor)) == size
        p50, worst, cpu, listed, invited = measure(database, args.runs)
        load = os.getloadavg()[0]
        print(f"{label} {size:,}: built in {built:.0f} s; p50 {p50:.1f} ms, max {worst:.1f} ms, CPU {cpu:.1f} ms; "
              f"short list {listed}, invited {invited}; load {load:.1f}", file=sys.stderr)
        rows.append((label, size, p50, worst, cpu, listed, invited, built, load))
        database.dispose()
        if name:
            drop_pg(server, name)
    print(f"Measured {datetime.now(timezone.utc):%Y-%m-%d} on {os.cpu_count()} cores; {args.runs} runs each.\n")
    print("| database | donors | choose and rank, p50 | slowest | CPU of this process, p50 | short list | invited "
          "| built in | load average |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, size, p50, worst, cpu, listed, invited, built, load in rows:
        print(f"| {label} | {size:,} | {p50:.1f} ms | {worst:.1f} ms | {cpu:.1f} ms | {listed:,} | {invited} "
              f"| {built:.0f} s | {load:.1f} |")


if __name__ == "__main__":
    main()
