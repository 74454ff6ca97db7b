"""Benchmark: fan-out of N order events to P platforms through one Celery worker process.

Run by hand (not by CI) against a migrated PostgreSQL database and a Redis db, for example:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ucp_webhooks \
    REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/webhook_fanout.py

It creates a throw-away org with P platforms whose webhooks go to a loopback receiver, starts one
worker (`celery -A ucp worker --pool=solo`), commits one order and then N `order.updated` events
(one transaction each, as real changes would), and waits until the receiver has every
delivery. It reports the time from the first commit to the last delivery, how many deliveries
were lost (never received) and duplicated (a webhook-id received more than once).

Do not run the test suite on the same Redis db meanwhile: its autouse fixture clears the cache,
which flushes that db and with it the broker's queue (beat is not running here to recover).
Persistent database connections (`?CONN_MAX_AGE=60` on DATABASE_URL) are worth measuring too:
by default every task opens a new PostgreSQL connection.
"""

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ucp.settings")
os.environ.setdefault("UCP_WEBHOOK_ALLOW_PRIVATE", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")


class Receiver:
    def __init__(self, port: int):
        self.ids = Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Webhook-Event-Type") == "order.updated":
                    with receiver.lock:
                        receiver.ids[self.headers["webhook-id"]] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return sum(self.ids.values()), len(self.ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--platforms", type=int, default=3)
    parser.add_argument("--port", type=int, default=18390)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--settle", type=float, default=5, help="Seconds to watch for dupes.")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    from catalog.services import catalog_import
    from checkout.pricing import RequestedLine
    from checkout.services import checkout_complete, checkout_create
    from orders.services import order_event_emit
    from orgconfig.services import org_create
    from platforms.services import platform_register
    from ucp.celery import app as celery_app
    from webhooks import services as webhooks
    from webhooks.models import DeliveryStatus, WebhookDelivery

    if settings.CELERY_TASK_ALWAYS_EAGER:
        sys.exit("Set REDIS_URL (or CELERY_BROKER_URL): the benchmark needs a real broker.")

    receiver = Receiver(args.port)
    url = f"http://127.0.0.1:{args.port}/hooks"
    org = org_create(orgcode=f"BENCH-{uuid.uuid4().hex[:6].upper()}", name="Fan-out benchmark")
    catalog_import(org=org, directory=BASE_DIR / "catalog" / "demo_catalog")
    platforms = []
    for n in range(args.platforms):
        platform, _ = platform_register(org=org, caption=f"bench {n}")
        config = webhooks.config_get_or_create(platform=platform)
        webhooks.config_set(config=config, expected_revision=1, actor="bench", callback_url=url)
        platforms.append(platform)
    item = org.products.first().public_id
    session = checkout_create(
        platform=platforms[0],
        lines=[RequestedLine(item_id=item, quantity=1)],
        buyer={"email": "bench@example.com"},
    )
    order = checkout_complete(session=session).order

    celery_app.control.purge()
    log_path = Path(f"/tmp/webhook-fanout-worker-{org.orgcode}.log")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ucp",
            "worker",
            "--pool=solo",
            "-l",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=bench-{org.orgcode}@%h",
        ],
        cwd=BASE_DIR,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        time.sleep(3)
        expected = args.events * args.platforms
        started = time.monotonic()
        for _ in range(args.events):
            with transaction.atomic():
                order_event_emit(order=order, event_type="order.updated")
        emitted = time.monotonic() - started

        deadline = started + args.timeout
        while time.monotonic() < deadline and receiver.counts()[1] < expected:
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        time.sleep(args.settle)
        total, unique = receiver.counts()
    finally:
        worker.terminate()
        worker.wait(30)
        receiver.server.shutdown()

    deliveries = WebhookDelivery.objects.filter(org=org, event_type="order.updated")
    print(f"org                      {org.orgcode}")
    print(f"events x platforms       {args.events} x {args.platforms} = {expected} deliveries")
    print(f"commit of all events     {emitted:.2f} s")
    print(f"first commit → last recv {elapsed:.2f} s ({unique / elapsed:.0f} deliveries/s)")
    print(f"received                 {total} requests, {unique} distinct webhook-ids")
    print(f"lost                     {expected - unique}")
    print(f"duplicated               {total - unique}")
    print(
        f"delivery rows            {deliveries.count()} "
        f"({deliveries.filter(status=DeliveryStatus.SUCCEEDED).count()} succeeded)"
    )
    print(f"worker log               {log_path}")


if __name__ == "__main__":
    main()
