"""Per-route request counts, errors and latency, in hourly buckets, for the console dashboard.

The request middleware records every /ucp/ call here. Each process adds its calls up in memory
and writes them to Redis in bulk at most once per FLUSH_SECONDS, in one pipelined round trip
that increments a hash per org and hour (`HINCRBY` is atomic, so all workers add up correctly);
the buckets expire on their own after a day and the dashboard sums the last 24 of them. So a
request pays a dictionary update, not a network round trip. Without Redis (the development
default) the counts stay in this process's memory.

Known limit: a worker's last second of counts reaches Redis with its next request or when it
exits, so an idle worker's most recent calls can show up late; exactness to the second does not
matter for a 24-hour view. Recording never fails a request: a Redis error is logged and the
buffered counts are dropped.
"""

import atexit
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "ucp:routestats"
FLUSH_SECONDS = 1.0
BUCKET_TTL_SECONDS = 26 * 3600
ALL_ORGS = "_all"
FIELDS = ("n", "err", "err5", "ms")


@dataclass(frozen=True)
class RouteStat:
    route: str
    calls: int
    errors: int
    server_errors: int
    total_ms: int

    @property
    def average_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


def hour_bucket(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H")


def bucket_key(org: str, bucket: str) -> str:
    return f"{KEY_PREFIX}:{org}:{bucket}"


class RedisRouteStats:
    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def add(self, counts: dict[str, dict[str, int]]) -> None:
        """Adds buffered counts: {bucket key: {"route|field": amount}}."""
        pipe = self.client.pipeline(transaction=False)
        for key, fields in counts.items():
            for field, amount in fields.items():
                pipe.hincrby(key, field, amount)
            pipe.expire(key, BUCKET_TTL_SECONDS)
        pipe.execute()

    def read(self, org: str, buckets: list[str]) -> dict[str, int]:
        pipe = self.client.pipeline(transaction=False)
        for bucket in buckets:
            pipe.hgetall(bucket_key(org, bucket))
        totals: dict[str, int] = defaultdict(int)
        for hashed in pipe.execute():
            for field, value in hashed.items():
                totals[field.decode()] += int(value)
        return totals


class MemoryRouteStats:
    """One process's counts; enough for `runserver` on the development defaults."""

    def __init__(self):
        self.lock = threading.Lock()
        self.buckets: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, counts: dict[str, dict[str, int]]) -> None:
        with self.lock:
            for key, fields in counts.items():
                for field, amount in fields.items():
                    self.buckets[key][field] += amount

    def read(self, org: str, buckets: list[str]) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        with self.lock:
            for bucket in buckets:
                for field, value in self.buckets.get(bucket_key(org, bucket), {}).items():
                    totals[field] += value
        return totals


def increments(status: int, latency_ms: int):
    yield "n", 1
    if status >= 400:
        yield "err", 1
    if status >= 500:
        yield "err5", 1
    yield "ms", max(latency_ms, 0)


class Buffer:
    """This process's counts not yet written to the store."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.last_flush = time.monotonic()

    def add(self, orgs: list[str], route: str, status: int, latency_ms: int, now: datetime):
        bucket = hour_bucket(now)
        with self.lock:
            for org in orgs:
                fields = self.counts[bucket_key(org, bucket)]
                for field, amount in increments(status, latency_ms):
                    fields[f"{route}|{field}"] += amount
            due = time.monotonic() - self.last_flush >= FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        with self.lock:
            counts, self.counts = self.counts, defaultdict(lambda: defaultdict(int))
            self.last_flush = time.monotonic()
        if counts:
            store().add(counts)


_buffer = Buffer()
_store = None
_store_lock = threading.Lock()


def store():
    global _store
    if _store is None:
        with _store_lock:
            if _store is None:
                url = settings.REDIS_URL
                _store = RedisRouteStats(url) if url else MemoryRouteStats()
    return _store


def record_request(
    *, org: str | None, route: str, status: int, latency_ms: int, now: datetime | None = None
) -> None:
    """Counts one call under its org (when known) and under all orgs."""
    orgs = [ALL_ORGS, org] if org else [ALL_ORGS]
    try:
        _buffer.add(orgs, route, status, latency_ms, now or datetime.now(UTC))
    except Exception as error:
        logger.warning("Route stats not recorded", extra={"error": repr(error)})


def flush() -> None:
    """Writes this process's buffered counts now (before reading, and at exit)."""
    try:
        _buffer.flush()
    except Exception as error:
        logger.warning("Route stats not flushed", extra={"error": repr(error)})


atexit.register(flush)


def route_stats(
    *, org: str | None, hours: int = 24, now: datetime | None = None
) -> list[RouteStat]:
    """Each route's figures over the last `hours` hourly buckets, the current one included."""
    flush()
    now = now or datetime.now(UTC)
    buckets = [hour_bucket(now - timedelta(hours=h)) for h in range(hours)]
    totals = store().read(org or ALL_ORGS, buckets)

    per_route: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    for field, value in totals.items():
        route, _, name = field.rpartition("|")
        per_route[route][name] = value
    return [
        RouteStat(
            route=route,
            calls=v["n"],
            errors=v["err"],
            server_errors=v["err5"],
            total_ms=v["ms"],
        )
        for route, v in per_route.items()
    ]


def slowest_routes(stats: list[RouteStat], limit: int = 5) -> list[RouteStat]:
    return sorted(stats, key=lambda s: s.average_ms, reverse=True)[:limit]


def most_failing_routes(stats: list[RouteStat], limit: int = 5) -> list[RouteStat]:
    failing = [s for s in stats if s.errors]
    return sorted(failing, key=lambda s: (s.server_errors, s.errors), reverse=True)[:limit]
