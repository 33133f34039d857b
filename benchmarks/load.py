"""Many clients at once against a real server: throughput and tail latency, bounded and on loopback only.

`python benchmarks/load.py [--workers N] [--clients 50] [--seconds 15] [--pg URL]` creates a demo region
in a throw-away database, starts `bloodbank serve --workers N` on a free loopback port, and runs two
phases with `--clients` concurrent clients each: reads (a unit by id, a donor search by name, a donor's
record) and writes (registering a donor: the duplicate check, the record, its search keys and the audit
entry in one transaction). It stops by itself after each phase and prints requests per second, p50, p99
and the errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
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


# A throw-away region is sealed with a throw-away key, as a real one is with its own.
RING = keyring.KeyRing.generate("load")


def prepare(url: str, donors: int) -> dict:
    upgrade(url)
    database = Database(url)
    demo_region.load_demo(lambda: UnitOfWork(database, actor="load"), donors=donors, seed=11)
    demo_accounts.ensure_demo_users(lambda: UnitOfWork(database, actor="load"))
    tokens = {}
    for name in ("clerk", "lab"):
        user = next(u for u in users.list_users(UnitOfWork(database)) if u.username == name)
        tokens[name] = authentication.issue_api_token(UnitOfWork(database, actor=name), user_id=user.id,
                                                      name="load", issuer_id=user.id).token
    with database.sessions() as s:
        donor_rows = s.execute(select(Donor.id, Donor.family_name).limit(2000)).all()
        unit_ids = list(s.execute(select(Unit.id).limit(2000)).scalars())
    database.dispose()
    return {"tokens": tokens, "donors": donor_rows, "units": unit_ids}


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


async def phase(base: str, clients: int, seconds: float, request) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    statuses: dict[object, int] = {}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(n: int) -> None:
        nonlocal errors
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    answer = await request(http, rng)
                    ok = answer.status_code < 400
                    kind = answer.status_code
                except httpx.HTTPError as error:
                    ok, kind = False, type(error).__name__
                if not ok:
                    statuses[kind] = statuses.get(kind, 0) + 1
                latencies.append(time.perf_counter() - t0)
                errors += not ok

    started = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    if statuses:
        print(f"errors by status: {statuses}", file=sys.stderr)
    return latencies, errors, time.monotonic() - started


def summary(name: str, result: tuple[list[float], int, int]) -> str:
    latencies, errors, elapsed = result
    cut = statistics.quantiles(latencies, n=100)
    return (f"| {name} | {len(latencies) / elapsed:,.0f} requests/s | p50 {statistics.median(latencies) * 1000:.1f} ms"
            f" | p99 {cut[98] * 1000:.1f} ms | {errors} errors of {len(latencies):,} |")


def run(label: str, url: str, args) -> list[str]:
    prepared = prepare(url, args.donors)
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

    async def write(http, rng):
        return await http.post("/api/donors", headers=clerk, json=dict(
            given_name=f"Load{uuid.uuid4().hex[:8]}", family_name=f"Tester{uuid.uuid4().hex[:10]}",
            date_of_birth=str(date(1950, 1, 1) + timedelta(days=rng.randint(0, 18000))), sex="F"))

    try:
        reads = asyncio.run(phase(base, args.clients, args.seconds, read))
        writes = asyncio.run(phase(base, args.clients, args.seconds, write))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return [summary(f"{label}, {args.workers} workers, {args.clients} clients: reads (unit, donor search, donor)",
                    reads),
            summary(f"{label}, {args.workers} workers, {args.clients} clients: writes (register a donor)", writes)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--donors", type=int, default=2000)
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
