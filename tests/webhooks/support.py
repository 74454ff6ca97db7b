"""Test support for webhooks: a loopback receiver and a real Celery worker process.

Both are real: the receiver is an http.server in a thread that answers as a test scripts it and
records every request (headers and exact body bytes); the worker is `celery -A ucp worker`
started as a subprocess against the test database and the test Redis db, with tiny backoff
delays set through the environment (settings read them), never by patching code.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from requests.structures import CaseInsensitiveDict

PORTS = range(18300, 18400)
_next_port = iter(PORTS)
BASE_DIR = Path(settings.BASE_DIR)

# What the worker runs with: short delays so retries, the ~3-day window and the sweeper all
# happen within seconds.
WORKER_ENV = {
    "UCP_WEBHOOK_ALLOW_PRIVATE": "true",
    "UCP_WEBHOOK_RETRY_BASE_SECONDS": "0.1",
    "UCP_WEBHOOK_RETRY_MAX_DELAY_SECONDS": "0.4",
    "UCP_WEBHOOK_RETRY_WINDOW_SECONDS": "6",
    "UCP_WEBHOOK_PAUSE_AFTER_FAILURES": "3",
    "UCP_WEBHOOK_CONNECT_TIMEOUT": "1",
    "UCP_WEBHOOK_READ_TIMEOUT": "1.5",
    "UCP_WEBHOOK_SWEEP_INTERVAL_SECONDS": "1",
    "UCP_WEBHOOK_SWEEP_GRACE_SECONDS": "1",
    "UCP_PUBLIC_BASE_URL": "http://testserver",
    "LOG_FORMAT": "plain",
}


def free_port() -> int:
    for port in _next_port:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port left in 18300-18399")


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b'{"ok":true}'
    hang_seconds: float = 0.0


class Receiver:
    """A webhook receiver on 127.0.0.1. `script` holds the replies to give, in order; after it
    runs out every request gets `default`."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.requests: list[Received] = []
        self.script: list[Reply] = []
        self.default = Reply()
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append(
                        Received(
                            self.path, CaseInsensitiveDict(self.headers.items()), body, time.time()
                        )
                    )
                    reply = receiver.script.pop(0) if receiver.script else receiver.default
                if reply.hang_seconds:
                    receiver.release.wait(reply.hang_seconds)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} requests, got {len(self.requests)}")

    def of_type(self, event_type: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.headers.get("Webhook-Event-Type") == event_type]


class CeleryWorker:
    """`celery -A ucp worker` (solo pool: one process) against the given database."""

    def __init__(self, database_name: str, *, beat: bool = False, log_dir: Path):
        self.database_name = database_name
        self.beat = beat
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.process = None

    def start(self) -> "CeleryWorker":
        db = settings.DATABASES["default"]
        database_url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{self.database_name}"
        )
        env = {**os.environ, **WORKER_ENV, "DATABASE_URL": database_url}
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ucp",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=webhooks-test-{uuid.uuid4().hex[:6]}@%h",
        ]
        if self.beat:
            command += ["--beat", f"--schedule={self.log_path.with_suffix('.beat')}"]
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited:\n{self.log_path.read_text()}")
            if " ready." in self.log_path.read_text():
                return
            time.sleep(0.2)
        raise AssertionError(f"worker not ready:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL, as an OOM killer or a lost machine would: no cleanup, no ack."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def wait_until(predicate, timeout: float = 20.0, message: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message}")
