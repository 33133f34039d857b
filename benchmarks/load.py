"""Many clients at once against a real server: throughput and tail latency, bounded and on loopback only.

`python benchmarks/load.py [--workers N] [--clients 50] [--seconds 15] [--pg URL]` creates a demo region
in a throw-away database, starts `bloodbank serve --workers N` on a free loopback port, and runs phases
with `--clients` concurrent clients each: reads (a unit by id, a donor search by name, a donor's record),
registering donors, then the day's state changes one kind at a time (start a collection, record a result,
release under signature, reserve, issue; see `load_writes.py`), with reserve and issue raced on purpose.
Each phase stops by itself after `--seconds` or when its prepared work runs out, and prints requests per
second, p50, p99 and the errors; a race's loser refused with 409 is counted apart, not as an error, and
the units issued twice are counted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta

import httpx
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bloodbank.adapters import data_keys as keyring
from bloodbank.adapters.db.database import Database
from bloodbank.adapters.db.engine import make_engine
from bloodbank.adapters.db.migrate import upgrade
from bloodbank.adapters.db.models import Donor, Unit
from bloodbank.entrypoints.demo import accounts as demo_accounts, region as demo_region
from bloodbank.service_layer.shared.unit_of_work import UnitOfWork
from bloodbank.service_layer.staff import authentication, users

import load_writes


# A throw-away region is sealed with a throw-away key, as a real one is with its own.
RING = keyring.KeyRing.generate("load")


def prepare(url: str, donors: int, work: int) -> dict:
    upgrade(url)
    database = Database(url)
    demo_region.load_demo(lambda: UnitOfWork(database, actor="load"), donors=donors, seed=11)
    demo_accounts.ensure_demo_users(lambda: UnitOfWork(database, actor="load"))
    tokens = {}
    for name in ("clerk", "lab", "phlebotomist", "hospital"):
        user = next(u for u in users.list_users(UnitOfWork(database)) if u.username == name)
        tokens[name] = authentication.issue_api_token(UnitOfWork(database, actor=name), user_id=user.id,
                                                      name="load", issuer_id=user.id).token
    with database.sessions() as s:
        donor_rows = s.execute(select(Donor.id, Donor.family_name).limit(2000)).all()
        unit_ids = list(s.execute(select(Unit.id).limit(2000)).scalars())
    started = time.monotonic()
    writes = load_writes.Work(database, hospital_code=demo_accounts.DEMO_MEMBERSHIPS["hospital"][0],
                              collections=work, donations=work // 6, releases=max(work // 10, 20),
                              reservations=work // 2)
    print(f"the writes' work prepared in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return {"tokens": tokens, "donors": donor_rows, "units": unit_ids, "work": writes, "database": database}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    # The server's workers read the same throw-away key the region was sealed with.
    env = {**os.environ, "BLOODBANK_DATABASE_URL": url, "BLOODBANK_DATA_KEYS": keyring.environment_text(RING)}
    env.pop("BLOODBANK_PASSWORD_HASHING", None)
    env.pop("BLOODBANK_DATA_KEY_FILE", None)
    server = subprocess.Popen(
        [sys.executable, "-c", "from bloodbank.entrypoints.cli import app; app()", "serve", "--port", str(port),
         "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                time.sleep(1)
                return server
        except httpx.HTTPError:
            time.sleep(0.3)
    os.killpg(server.pid, signal.SIGTERM)
    raise SystemExit("the server did not start")


async def phase(base: str, clients: int, seconds: float, request) -> tuple[list[float], int, int, int]:
    """Clients send `request` until the time is up or it has nothing left to send (it returns None)."""
    latencies: list[float] = []
    errors = refused = 0
    statuses: dict[object, int] = {}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(n: int) -> None:
        nonlocal errors, refused
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    answer = await request(http, rng)
                    if answer is None:
                        return
                    ok = answer.status_code < 400
                    kind = answer.status_code
                except httpx.HTTPError as error:
                    ok, kind = False, type(error).__name__
                latencies.append(time.perf_counter() - t0)
                if kind == load_writes.LOST_RACE and getattr(request, "races", False):
                    if not refused:
                        print(f"first race lost: {answer.text[:300]}", file=sys.stderr)
                    refused += 1
                    continue
                if not ok:
                    statuses[kind] = statuses.get(kind, 0) + 1
                    if len(statuses) == 1 and statuses[kind] == 1 and not isinstance(kind, str):
                        print(f"first refusal: {answer.text[:300]}", file=sys.stderr)
                errors += not ok

    started = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    if statuses:
        print(f"errors by status: {statuses}", file=sys.stderr)
    return latencies, errors, refused, time.monotonic() - started


def summary(name: str, result: tuple[list[float], int, int, float]) -> str:
    latencies, errors, refused, elapsed = result
    if len(latencies) < 2:
        return f"| {name} | no requests | | | |"
    cut = statistics.quantiles(latencies, n=100)
    lost = f", {refused:,} lost races refused" if refused else ""
    return (f"| {name} | {len(latencies) / elapsed:,.0f} requests/s | p50 {statistics.median(latencies) * 1000:.1f} ms"
            f" | p99 {cut[98] * 1000:.1f} ms | {errors} errors of {len(latencies):,}{lost} |")


def run(label: str, url: str, args) -> list[str]:
    prepared = prepare(url, args.donors, args.work)
    port = free_port()
    server = start_server(url, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    clerk = {"Authorization": f"Bearer {prepared['tokens']['clerk']}"}
    lab = {"Authorization": f"Bearer {prepared['tokens']['lab']}"}

    async def read(http, rng):
        pick = rng.random()
        if pick < 1 / 3:
            return await http.get(f"/api/units/{rng.choice(prepared['units'])}", headers=lab)
        donor_id, family = rng.choice(prepared["donors"])
        if pick < 2 / 3:
            return await http.get("/api/donors", params={"q": family[:4], "limit": 20}, headers=clerk)
        return await http.get(f"/api/donors/{donor_id}", headers=clerk)

    births = itertools.count()

    def new_person(rng) -> dict:
        # A new person each time: names that share no prefix and a birth date no one else in the run has,
        # with a day past the twelfth so it cannot be another's read day-for-month; the duplicate check passes.
        n = next(births)
        word = lambda: "".join(rng.choice(string.ascii_lowercase) for _ in range(9)).capitalize()  # noqa: E731
        return dict(given_name=word(), family_name=word(), sex="F",
                    date_of_birth=str(date(1940 + n // 192, n // 16 % 12 + 1, 13 + n % 16)))

    async def write(http, rng):
        return await http.post("/api/donors", headers=clerk, json=new_person(rng))

    work = prepared["work"]
    as_ = {name: {"Authorization": f"Bearer {token}"} for name, token in prepared["tokens"].items()}

    async def collect(http, rng):
        if not work.visits:
            return None
        return await http.post("/api/donations", headers=as_["phlebotomist"], json=dict(
            visit_id=work.visits.popleft(), bag_type="quadruple", bag_lot="LOT-LOAD"))

    async def result(http, rng):
        if not work.results:
            return None
        donation, test = work.results.popleft()
        outcome = dict(outcome="typed", value="O+") if test == "abo_rh" else dict(outcome="negative")
        return await http.post("/api/lab/results", headers=lab, json=dict(donation_id=donation, test=test, **outcome))

    async def release(http, rng):
        if not work.releases:
            return None
        unit, din, product = work.releases.popleft()
        return await http.post(f"/api/lab/units/{unit}/release", headers=lab, json=dict(
            signature_password=demo_accounts.DEMO_PASSWORD, scanned_din=din, scanned_product_code=product))

    async def reserve(http, rng):
        if not work.reserve:
            return None
        order, unit = work.reserve.popleft()
        return await http.post(f"/api/orders/{order}/reservations", headers=as_["hospital"], json=dict(unit_id=unit))

    async def issue(http, rng):
        if not work.issue:
            return None
        return await http.post("/api/issues", headers=as_["hospital"], json=work.issue.popleft())

    reserve.races = issue.races = True
    name = f"{label}, {args.workers} workers, {args.clients} clients"
    rows = []
    try:
        rows.append(summary(f"{name}: reads (unit, donor search, donor)",
                            asyncio.run(phase(base, args.clients, args.seconds, read))))
        rows.append(summary(f"{name}: register a donor", asyncio.run(phase(base, args.clients, args.seconds, write))))
        for what, request in (("start a collection", collect), ("record a result", result),
                              ("release under signature", release), ("reserve (two orders race per unit)", reserve)):
            rows.append(summary(f"{name}: {what}", asyncio.run(phase(base, args.clients, args.seconds, request))))
        work.take_reservations()
        rows.append(summary(f"{name}: issue (two clients race per reservation)",
                            asyncio.run(phase(base, args.clients, args.seconds, issue))))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    twice = load_writes.double_issues(prepared["database"])
    prepared["database"].dispose()
    rows.append(f"| {label}: units issued twice | {twice} | | | |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--donors", type=int, default=2000)
    parser.add_argument("--work", type=int, default=3000, help="collections prepared; the other kinds in proportion")
    parser.add_argument("--pg", default=os.environ.get("BLOODBANK_BENCH_PG_URL"))
    args = parser.parse_args()
    keyring.use_ring(RING)
    rows = run("SQLite", f"sqlite:///{tempfile.mkdtemp()}/load.db", args)
    if args.pg:
        name = f"bloodbank_load_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(args.pg).set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
        try:
            rows += run("PostgreSQL", url, args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print("| run | throughput | median | tail | errors |\n|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
