#!/usr/bin/env python
"""Throughput and latency of the ucp service as production runs it, against its own ceiling and
the official UCP reference server, in one run on one machine.

    python bench/run.py            # full table (bounded: --requests per row, --seconds per row)
    python bench/run.py --quick    # reduced table, under a minute

What it does:
1. creates a dedicated PostgreSQL database (dropped again at the end), migrates it and seeds one
   org with the flower-shop catalog, an owner API key and a platform (bench/seed.py);
2. starts gunicorn (`--workers`, default 4; `--worker-class`, default sync) on
   DJANGO_SETTINGS_MODULE=bench.settings (production routes plus a bare DRF ceiling view) and a
   Celery worker on Redis;
3. loads it from this process over loopback with an async httpx client (`--concurrency`
   connections in flight) and prints requests/s, p50 and p99 for every row of ROWS, each as a
   ratio to the ceiling row; rows whose route answers 404 (not built yet) are skipped, saying so;
4. when the reference server is given (--samples-server or UCP_SAMPLES_SERVER: the
   `rest/python/server` folder of Universal-Commerce-Protocol/samples, with --samples-python or
   UCP_SAMPLES_PYTHON naming a Python that has its dependencies), imports the same flower-shop CSVs
   into it, runs it as its own server.py does (one uvicorn process, SQLite) and prints our checkout
   REST-binding create and get throughput (same body and headers) as a ratio to its;
5. holds slow client connections open against gunicorn and reports whether other requests are
   still served meanwhile, and when gunicorn cuts the slow ones.

Every process it starts is stopped at the end, also on Ctrl-C or failure.
"""

import argparse
import asyncio
import base64
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("UCP_SHARED_DIR", ROOT.parent / "shared"))
DEFAULT_DATA = SHARED_DIR / "demo-data" / "flower_shop"

# Three lines of the flower-shop catalog: the "checkout create (3 lines)" of the issue.
CART = [
    {"item": {"id": "bouquet_roses"}, "quantity": 1},
    {"item": {"id": "pot_ceramic"}, "quantity": 2},
    {"item": {"id": "bouquet_tulips"}, "quantity": 1},
]
BUYER = {"email": "bench@example.com", "first_name": "Ada", "last_name": "Bench"}
# A 2026-01-11 REST create body both servers accept (ours ignores the response-only fields).
REST_BODY = {
    "line_items": [{**line, "item": {**line["item"], "title": ""}} for line in CART],
    "buyer": {"full_name": "Ada Bench", "email": BUYER["email"]},
    "currency": "USD",
    "payment": {"instruments": [], "handlers": []},
}
REST_CREATE = "REST create (3 lines)"
REST_GET = "REST get"
# Standard shipping to one address: with buyer and cart, a session is ready to complete.
FULFILLMENT = {
    "methods": [
        {
            "type": "shipping",
            "destinations": [
                {
                    "street_address": "1 Bench St",
                    "address_locality": "Springfield",
                    "address_region": "IL",
                    "postal_code": "62704",
                    "address_country": "US",
                }
            ],
            "groups": [{"selected_option_id": "std-ship"}],
        }
    ]
}
BENCH_ORGCODE = "BENCH"


# ---------------------------------------------------------------------------------------------
# Load driver


@dataclass
class Call:
    method: str
    url: str
    json: dict | None = None
    headers: dict = field(default_factory=dict)


@dataclass
class Outcome:
    name: str
    count: int = 0
    elapsed: float = 0.0
    latencies: list = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    skipped: str = ""

    @property
    def rps(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000

    @property
    def failures(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 400 or status == 0)


# A row builds the call for request number i, made by worker w, and may keep what it learns from
# the response (new session ids, revisions) in the shared context.
BuildCall = Callable[["Context", int, int], Call | None]
OnResponse = Callable[["Context", int, int, httpx.Response], None]


@dataclass
class Row:
    name: str
    build: BuildCall
    on_response: OnResponse | None = None
    # Calls to send once before timing; a 404 on the first one means the route is not built yet.
    probe: BuildCall | None = None
    # Work done before timing (e.g. issuing auth codes); returns how many calls it prepared, which
    # caps the row's request count. None means no preparation.
    prepare: Callable[["Context", httpx.AsyncClient, int], Awaitable[int]] | None = None
    # How many calls at most: e.g. complete can only complete sessions that create made.
    capacity: Callable[["Context"], int] | None = None


@dataclass
class Context:
    base: str
    credentials: dict
    concurrency: int
    sessions: list = field(default_factory=list)
    rest_sessions: list = field(default_factory=list)
    revisions: dict = field(default_factory=dict)
    auth_codes: list = field(default_factory=list)

    @property
    def platform_body(self) -> dict:
        return {k: self.credentials[k] for k in ("client_id", "client_secret")}

    @property
    def admin_headers(self) -> dict:
        return {"x-api-key": self.credentials["api_key"], "x-orgcode": self.credentials["orgcode"]}


async def drive(
    client: httpx.AsyncClient,
    row: Row,
    ctx: Context,
    *,
    total: int,
    seconds: float,
    concurrency: int,
) -> Outcome:
    """Sends up to `total` calls with `concurrency` in flight, stopping early at `seconds`."""
    outcome = Outcome(row.name)
    issued = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(worker_id: int) -> None:
        nonlocal issued
        while issued < total and time.perf_counter() < deadline:
            index = issued
            issued += 1
            call = row.build(ctx, index, worker_id)
            if call is None:
                return
            sent = time.perf_counter()
            try:
                response = await client.request(
                    call.method, call.url, json=call.json, headers=call.headers
                )
                status = response.status_code
            except httpx.HTTPError:
                response, status = None, 0
            outcome.latencies.append(time.perf_counter() - sent)
            outcome.statuses[status] += 1
            if response is not None and row.on_response is not None:
                row.on_response(ctx, index, worker_id, response)

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    outcome.elapsed = time.perf_counter() - started
    outcome.count = len(outcome.latencies)
    return outcome


async def run_row(
    client: httpx.AsyncClient, row: Row, ctx: Context, *, total: int, seconds: float
) -> Outcome:
    if row.probe is not None:
        probe = row.probe(ctx, 0, 0)
        response = await client.request(
            probe.method, probe.url, json=probe.json, headers=probe.headers
        )
        if response.status_code == 404:
            return Outcome(row.name, skipped=f"{probe.method} {probe.url} answers 404")
    if row.prepare is not None:
        total = min(total, await row.prepare(ctx, client, total))
    if row.capacity is not None:
        total = min(total, row.capacity(ctx))
    if total <= 0:
        return Outcome(row.name, skipped="nothing to send (an earlier row made no sessions)")
    concurrency = min(ctx.concurrency, total)
    return await drive(client, row, ctx, total=total, seconds=seconds, concurrency=concurrency)


# ---------------------------------------------------------------------------------------------
# Our rows. A new route is one Row(...) line plus, when it needs state, a small builder.


def post(ctx: Context, path: str, body: dict, headers: dict | None = None) -> Call:
    return Call("POST", f"{ctx.base}{path}", json=body, headers=headers or {})


def ceiling(ctx, i, w):
    return Call("GET", f"{ctx.base}/bench/ceiling")


def checkout_create(ctx, i, w):
    return post(
        ctx,
        "/ucp/checkout/create",
        {**ctx.platform_body, "line_items": CART, "buyer": BUYER, "fulfillment": FULFILLMENT},
    )


def remember_session(ctx, i, w, response):
    if response.status_code == 201:
        ctx.sessions.append(response.json()["data"]["checkout_guid"])


def checkout_get(ctx, i, w):
    guid = ctx.sessions[i % len(ctx.sessions)]
    return post(ctx, "/ucp/checkout/get", {**ctx.platform_body, "checkout_guid": guid})


def checkout_update(ctx, i, w):
    # Each worker owns one session and replaces its cart in turn, with the revision it last saw.
    guid = ctx.sessions[w]
    cart = [{**line, "quantity": line["quantity"] + i % 3} for line in CART]
    body = {
        **ctx.platform_body,
        "checkout_guid": guid,
        "expected_revision": ctx.revisions.get(guid, 1),
        "line_items": cart,
        "buyer": BUYER,
        "fulfillment": FULFILLMENT,
    }
    return post(ctx, "/ucp/checkout/update", body)


def remember_revision(ctx, i, w, response):
    if response.status_code == 200:
        data = response.json()["data"]
        ctx.revisions[data["checkout_guid"]] = data["revision"]


def checkout_complete(ctx, i, w):
    # Sessions past the update workers' own are untouched; each is completed once.
    guid = ctx.sessions[ctx.concurrency + i]
    return post(ctx, "/ucp/checkout/complete", {**ctx.platform_body, "checkout_guid": guid})


def profile_get(ctx, i, w):
    return Call("GET", f"{ctx.base}/ucp/.well-known/ucp?orgcode={ctx.credentials['orgcode']}")


def root_profile_get(ctx, i, w):
    # The plain profile at the site root, as platforms discover it: the bench org is the
    # deployment's default org (service_env), so the host alone leads to it.
    return Call("GET", f"{ctx.base}/.well-known/ucp")


def identity_authorize(ctx, i, w):
    # One seeded customer per code (bench/seed.py), so that exchanges do not queue on one link.
    customer = f"bench_cust_{i % ctx.credentials['customers']}"
    body = {"platform_guid": ctx.credentials["platform_guid"], "customer_guid": customer}
    return post(ctx, "/ucp/identity/authorize", body, ctx.admin_headers)


async def issue_auth_codes(ctx: Context, client: httpx.AsyncClient, total: int) -> int:
    """Token exchange spends one code per call, so the codes are issued (untimed) first:
    `POST /ucp/identity/authorize` answers 201 with `data.code` (identity/README.md)."""
    for index in range(total):
        call = identity_authorize(ctx, index, 0)
        response = await client.post(call.url, json=call.json, headers=call.headers)
        if response.status_code != 201:
            print(f"  identity/authorize answered {response.status_code}: {response.text[:200]}")
            break
        ctx.auth_codes.append(response.json()["data"]["code"])
    return len(ctx.auth_codes)


def token_exchange(ctx, i, w):
    body = {**ctx.platform_body, "grant_type": "authorization_code", "code": ctx.auth_codes[i]}
    return post(ctx, "/ucp/identity/token", body)


def rest_headers(ctx) -> dict:
    # The same UCP-Agent as the reference rows: a version and no profile URL to fetch.
    token = base64.b64encode(
        f"{ctx.credentials['client_id']}:{ctx.credentials['client_secret']}".encode()
    ).decode()
    return {
        "Authorization": f"Basic {token}",
        "UCP-Agent": 'version="2026-01-11"',
        "Request-Id": uuid.uuid4().hex,
        "Idempotency-Key": str(uuid.uuid4()),
    }


def rest_create(ctx, i, w):
    """The standard REST binding, with the body the reference rows send."""
    base = f"{ctx.base}/ucp/rest/{ctx.credentials['orgcode']}"
    return Call("POST", f"{base}/checkout-sessions", json=REST_BODY, headers=rest_headers(ctx))


def rest_remember(ctx, i, w, response):
    if response.status_code == 201:
        ctx.rest_sessions.append(response.json()["id"])


def rest_get(ctx, i, w):
    base = f"{ctx.base}/ucp/rest/{ctx.credentials['orgcode']}"
    guid = ctx.rest_sessions[i % len(ctx.rest_sessions)]
    return Call("GET", f"{base}/checkout-sessions/{guid}", headers=rest_headers(ctx))


ROWS = [
    Row("ceiling: bare DRF view", ceiling),
    Row("checkout create (3 lines)", checkout_create, on_response=remember_session),
    Row("checkout get", checkout_get, capacity=lambda ctx: 10**9 if ctx.sessions else 0),
    Row(
        "checkout update",
        checkout_update,
        on_response=remember_revision,
        capacity=lambda ctx: 10**9 if len(ctx.sessions) >= ctx.concurrency else 0,
    ),
    Row(
        "checkout complete",
        checkout_complete,
        capacity=lambda ctx: max(0, len(ctx.sessions) - ctx.concurrency),
    ),
    Row("profile GET (envelope)", profile_get, probe=profile_get),
    Row("profile GET (site root)", root_profile_get, probe=root_profile_get),
    # No probe: a probe authorize would spend the first customer's link before the timed codes.
    Row("token exchange", token_exchange, prepare=issue_auth_codes),
    Row(REST_CREATE, rest_create, on_response=rest_remember),
    Row(REST_GET, rest_get, capacity=lambda ctx: 10**9 if ctx.rest_sessions else 0),
]
CEILING = ROWS[0].name


# ---------------------------------------------------------------------------------------------
# The reference server's rows (its REST binding: /checkout-sessions).


def samples_headers() -> dict:
    # No profile URL in UCP-Agent: the reference server would fetch it on every create.
    return {
        "UCP-Agent": 'version="2026-01-11"',
        "request-signature": "test",
        "request-id": uuid.uuid4().hex,
        "idempotency-key": str(uuid.uuid4()),
    }


def samples_create(ctx, i, w):
    return Call("POST", f"{ctx.base}/checkout-sessions", json=REST_BODY, headers=samples_headers())


def samples_remember(ctx, i, w, response):
    if response.status_code in (200, 201):
        ctx.sessions.append(response.json()["id"])


def samples_get(ctx, i, w):
    guid = ctx.sessions[i % len(ctx.sessions)]
    return Call("GET", f"{ctx.base}/checkout-sessions/{guid}", headers=samples_headers())


# Compared by name with our REST rows: the same protocol binding, body and headers.
SAMPLES_ROWS = [
    Row(REST_CREATE, samples_create, on_response=samples_remember),
    Row(REST_GET, samples_get, capacity=lambda ctx: 10**9 if ctx.sessions else 0),
]


# ---------------------------------------------------------------------------------------------
# Processes


class Processes:
    """Starts child processes in their own process groups and stops exactly those."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], env: dict, cwd: Path) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.children.append((name, process))
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_all(self) -> None:
        for _, process in reversed(self.children):
            self.stop(process)
        self.children.clear()


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} did not start; see {log}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout}s; see {log}")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(database_url: str, *, drop_only: bool = False) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(with_database(database_url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def run_checked(argv: list[str], env: dict, cwd: Path, what: str) -> str:
    result = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{what} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result.stdout


# ---------------------------------------------------------------------------------------------
# Slow clients


async def slow_client_check(base: str, *, holders: int, hold_seconds: float) -> dict:
    """Opens `holders` connections that send a request line and then one header byte per second,
    and meanwhile times /ucp/stat; reports whether others were served and when the slow ones were
    cut by the server."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    cut_after: list[float | None] = []

    async def slow(index: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        opened = time.perf_counter()
        writer.write(b"POST /ucp/checkout/create HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await writer.drain()
        try:
            while time.perf_counter() - opened < hold_seconds:
                writer.write(b"X")
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), timeout=1.0) == b"":
                        cut_after.append(time.perf_counter() - opened)
                        return
                except TimeoutError:
                    continue
            cut_after.append(None)
        except (ConnectionError, OSError):
            cut_after.append(time.perf_counter() - opened)
        finally:
            writer.close()

    async def probes(client: httpx.AsyncClient) -> list[tuple[int, float]]:
        await asyncio.sleep(0.5)
        seen = []
        while len(seen) < 10:
            sent = time.perf_counter()
            try:
                status = (await client.get(f"{base}/ucp/stat", timeout=10)).status_code
            except httpx.HTTPError:
                status = 0
            seen.append((status, time.perf_counter() - sent))
            await asyncio.sleep(max(0.0, hold_seconds / 20))
        return seen

    async with httpx.AsyncClient() as client:
        results = await asyncio.gather(probes(client), *(slow(i) for i in range(holders)))
    served = results[0]
    return {
        "holders": holders,
        "served_ok": sum(1 for status, _ in served if status == 200),
        "served_total": len(served),
        "worst_ms": max(latency for _, latency in served) * 1000,
        "cut_after_s": cut_after,
    }


# ---------------------------------------------------------------------------------------------
# Report


def print_table(outcomes: list[Outcome]) -> None:
    ceiling_rps = next((o.rps for o in outcomes if o.name == CEILING and not o.skipped), 0.0)
    print(
        f"{'row':<28} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'/ceiling':>9}"
    )
    for o in outcomes:
        if o.skipped:
            print(f"{o.name:<28} skipped: {o.skipped}")
            continue
        ratio = o.rps / ceiling_rps if ceiling_rps else 0.0
        print(
            f"{o.name:<28} {o.count:>8} {o.failures:>6} {o.rps:>8.1f} {o.percentile(50):>8.1f}"
            f" {o.percentile(99):>8.1f} {ratio:>9.2f}"
        )
        if o.failures:
            print(f"{'':<28} statuses: {dict(o.statuses)}")


def print_comparison(ours: list[Outcome], theirs: list[Outcome]) -> None:
    print(
        f"{'row':<28} {'ours req/s':>10} {'theirs req/s':>12} {'theirs p50':>10}"
        f" {'theirs p99':>10} {'ours/theirs':>11}"
    )
    by_name = {o.name: o for o in ours}
    for other in theirs:
        mine = by_name.get(other.name)
        if other.skipped or mine is None or mine.skipped:
            print(f"{other.name:<28} skipped: {other.skipped or 'not measured on ours'}")
            continue
        ratio = mine.rps / other.rps if other.rps else 0.0
        print(
            f"{other.name:<28} {mine.rps:>10.1f} {other.rps:>12.1f} {other.percentile(50):>10.1f}"
            f" {other.percentile(99):>10.1f} {ratio:>11.2f}"
        )
        if other.failures:
            print(f"{'':<28} reference statuses: {dict(other.statuses)}")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model}, load average {os.getloadavg()[0]:.2f} at start"


# ---------------------------------------------------------------------------------------------
# Main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="reduced table, under a minute")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--worker-class", default="sync", help="gunicorn worker class (sync, gthread, ...)"
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--requests", type=int, help="requests per row (default 1500, quick 120)")
    parser.add_argument("--seconds", type=float, help="time cap per row (default 30, quick 3)")
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--samples-port", type=int, default=8110)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ucp_bench_run"
        ),
        help="a database of its own: dropped and re-created",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="flower-shop CSV folder")
    parser.add_argument("--samples-server", type=Path, default=os.environ.get("UCP_SAMPLES_SERVER"))
    parser.add_argument("--samples-python", default=os.environ.get("UCP_SAMPLES_PYTHON"))
    parser.add_argument("--no-slow-clients", action="store_true")
    parser.add_argument(
        "--slow-holders",
        type=int,
        help="slow connections to hold (default: workers - 1, leaving one worker free)",
    )
    args = parser.parse_args()
    if not (args.data / "products.csv").is_file():
        parser.error(f"no products.csv in {args.data}: pass --data or set UCP_SHARED_DIR")
    args.requests = args.requests or (120 if args.quick else 1500)
    args.seconds = args.seconds or (3.0 if args.quick else 30.0)
    return args


def service_env(args: argparse.Namespace) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "DEBUG": "false",
        "LOG_LEVEL": "INFO",
        "PYTHONPATH": str(ROOT),
        # The site-root profile row reaches the bench org through the default org.
        "UCP_DEFAULT_ORGCODE": BENCH_ORGCODE,
        # One bench platform exchanges every code: the per-client limit (60/m in production)
        # would turn the row into a count of 429s. The limiter still runs and counts each call.
        "UCP_OAUTH_TOKEN_RATE": "1000000/m",
        # Likewise the REST binding's per-platform limit (1200/m): counted, never reached.
        "UCP_REST_RATE": "1000000/m",
    }
    return env


def start_ours(args, procs: Processes, env: dict) -> dict:
    python = sys.executable
    run_checked([python, "manage.py", "migrate", "--noinput", "-v0"], env, ROOT, "migrate")
    credentials = json.loads(
        run_checked(
            [python, "bench/seed.py", "--data", str(args.data), "--orgcode", BENCH_ORGCODE],
            env,
            ROOT,
            "seed",
        )
    )
    procs.start(
        "celery",
        [python, "-m", "celery", "-A", "ucp", "worker", "--pool", "solo", "-l", "WARNING"],
        env,
        ROOT,
    )
    gunicorn = procs.start(
        "gunicorn",
        [
            python, "-m", "gunicorn", "ucp.wsgi:application",
            "--bind", f"127.0.0.1:{args.port}",
            "--workers", str(args.workers),
            "--worker-class", args.worker_class,
            "--threads", str(args.threads),
            "--timeout", "30",
            "--graceful-timeout", "5",
        ],
        env,
        ROOT,
    )  # fmt: skip
    wait_until_up(
        f"http://127.0.0.1:{args.port}/ucp/stat", gunicorn, procs.log_dir / "gunicorn.log"
    )
    return credentials


def start_samples(args, procs: Processes) -> str | None:
    server_dir = args.samples_server
    if not server_dir or not (Path(server_dir) / "server.py").is_file():
        return None
    python = args.samples_python or str(Path(server_dir) / ".venv" / "bin" / "python")
    data_dir = Path(tempfile.mkdtemp(prefix="ucp-samples-"))
    flags = [
        f"--products_db_path={data_dir / 'products.db'}",
        f"--transactions_db_path={data_dir / 'transactions.db'}",
    ]
    env = {**os.environ, "PYTHONPATH": str(server_dir)}
    run_checked(
        [python, "import_csv.py", *flags, f"--data_dir={args.data}"], env, server_dir, "import_csv"
    )
    server = procs.start(
        "samples", [python, "server.py", *flags, f"--port={args.samples_port}"], env, server_dir
    )
    base = f"http://127.0.0.1:{args.samples_port}"
    wait_until_up(f"{base}/.well-known/ucp", server, procs.log_dir / "samples.log")
    return base


async def measure(rows: list[Row], ctx: Context, args) -> list[Outcome]:
    limits = httpx.Limits(
        max_connections=args.concurrency, max_keepalive_connections=args.concurrency
    )
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        outcomes = []
        for row in rows:
            outcome = await run_row(client, row, ctx, total=args.requests, seconds=args.seconds)
            outcomes.append(outcome)
        return outcomes


def main() -> None:
    args = parse_args()
    log_dir = Path(tempfile.mkdtemp(prefix="ucp-bench-"))
    procs = Processes(log_dir)
    print(f"machine: {machine()} (shared with other work: figures are indicative)")
    print(
        f"ours: gunicorn {args.workers} {args.worker_class} workers x {args.threads} threads "
        f"+ 1 Celery worker, PostgreSQL "
        f"{urlsplit(args.database_url).path.lstrip('/')}, Redis {args.redis_url}; load: "
        f"httpx async, {args.concurrency} in flight, up to {args.requests} requests or "
        f"{args.seconds:.0f}s per row; logs in {log_dir}"
    )
    try:
        recreate_database(args.database_url)
        credentials = start_ours(args, procs, service_env(args))
        ctx = Context(f"http://127.0.0.1:{args.port}", credentials, args.concurrency)
        ours = asyncio.run(measure(ROWS, ctx, args))
        print()
        print_table(ours)

        if not args.no_slow_clients:
            holders = args.slow_holders or max(1, args.workers - 1)
            hold = 4.0 if args.quick else 40.0
            report = asyncio.run(slow_client_check(ctx.base, holders=holders, hold_seconds=hold))
            print()
            print(
                f"slow clients: {report['holders']} connections trickling one header byte/s for "
                f"up to {hold:.0f}s; meanwhile /ucp/stat served {report['served_ok']}/"
                f"{report['served_total']}, worst {report['worst_ms']:.0f} ms; slow connections "
                f"cut by the server after (s): {report['cut_after_s']}"
            )

        samples_base = start_samples(args, procs)
        print()
        if samples_base is None:
            print("reference server: skipped (set --samples-server / UCP_SAMPLES_SERVER)")
        else:
            print(
                "reference server (UCP samples rest/python/server as its server.py runs it: one "
                "uvicorn process, SQLite), same flower-shop CSVs, same load:"
            )
            theirs = asyncio.run(
                measure(SAMPLES_ROWS, Context(samples_base, {}, args.concurrency), args)
            )
            print_comparison(ours, theirs)
    finally:
        procs.stop_all()
        try:
            recreate_database(args.database_url, drop_only=True)
        except psycopg.Error as exc:
            print(f"could not drop {args.database_url}: {exc}")


if __name__ == "__main__":
    main()
