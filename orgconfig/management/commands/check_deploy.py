"""`manage.py check_deploy`: is this process fit to serve production traffic?

Checks the settings (a real SECRET_KEY, DEBUG off, explicit ALLOWED_HOSTS), the database
(reachable, every migration applied), the Celery broker (a real one, reachable), the cache, and
the orgs' signing keys (each stored private key loads as a P-256 key matching its published JWK).
Prints one line per check, or one JSON object with --json, and exits 1 when any check fails, so
a deploy pipeline can gate on it. It only reads: nothing is created or changed.
"""

import json
from dataclasses import asdict, dataclass

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.core.cache import cache
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from jwcrypto import jwk

from orgconfig.models import Org, SigningKey
from ucp.api.views import broker_status

MIN_SECRET_KEY_LENGTH = 50


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def check_settings() -> list[Check]:
    key = settings.SECRET_KEY
    hosts = list(settings.ALLOWED_HOSTS)
    return [
        Check(
            "secret_key",
            key != settings.DEV_SECRET_KEY and len(key) >= MIN_SECRET_KEY_LENGTH,
            "the public development key is in use"
            if key == settings.DEV_SECRET_KEY
            else f"{len(key)} characters (at least {MIN_SECRET_KEY_LENGTH} needed)",
        ),
        Check("debug", not settings.DEBUG, "DEBUG is on" if settings.DEBUG else "DEBUG is off"),
        Check(
            "allowed_hosts",
            bool(hosts) and "*" not in hosts,
            f"ALLOWED_HOSTS={','.join(hosts) or '(empty)'}",
        ),
    ]


def check_database() -> list[Check]:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:
        return [Check("database", False, f"unreachable: {error.__class__.__name__}: {error}")]
    checks = [Check("database", True, f"{connection.vendor} reachable")]
    checks.append(
        Check(
            "migrations",
            not pending,
            f"{len(pending)} migration(s) not applied" if pending else "all applied",
        )
    )
    return checks


def check_broker() -> list[Check]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return [Check("broker", False, "tasks run eagerly: set REDIS_URL or CELERY_BROKER_URL")]
    status = broker_status()
    return [Check("broker", status == "ok", f"broker {status}")]


def check_cache() -> list[Check]:
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    if "LocMem" in backend:
        return [Check("cache", False, "local-memory cache: rate limits and stats are per process")]
    try:
        cache.set("ucp:check_deploy", "1", 10)
        ok = cache.get("ucp:check_deploy") == "1"
    except Exception as error:
        return [Check("cache", False, f"{backend} unreachable: {error}")]
    return [Check("cache", ok, f"{backend} {'answers' if ok else 'lost a value'}")]


def signing_key_problem(key: SigningKey) -> str | None:
    try:
        private = load_pem_private_key(key.private_key_pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        return f"{key.kid}: private key does not load ({error.__class__.__name__})"
    if not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name != "secp256r1":
        return f"{key.kid}: not a P-256 key"
    published = jwk.JWK(
        **{k: v for k, v in key.public_jwk.items() if k in ("kty", "crv", "x", "y")}
    )
    derived = jwk.JWK.from_pem(key.private_key_pem.encode())
    if published.thumbprint() != derived.thumbprint():
        return f"{key.kid}: published JWK does not match the private key"
    return None


def check_signing_keys() -> list[Check]:
    try:
        orgs = list(Org.objects.filter(is_active=True))
        keys = list(SigningKey.objects.filter(retired_at__isnull=True, org__is_active=True))
    except Exception as error:
        return [Check("signing_keys", False, f"cannot read: {error}")]

    problems = [p for p in map(signing_key_problem, keys) if p]
    without_key = sorted({o.orgcode for o in orgs} - {k.org.orgcode for k in keys})
    detail = f"{len(keys)} active key(s) for {len(orgs)} active org(s)"
    if without_key:
        # Not a failure: a key is created on first use (signing.signing_key_active).
        detail += f"; created on first use for {', '.join(without_key)}"
    if problems:
        detail = "; ".join(problems)
    return [Check("signing_keys", not problems, detail)]


def run_checks() -> list[Check]:
    return [
        *check_settings(),
        *check_database(),
        *check_broker(),
        *check_cache(),
        *check_signing_keys(),
    ]


class Command(BaseCommand):
    help = "Verify settings, database, broker, cache and signing keys before serving traffic."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args, **options):
        checks = run_checks()
        ok = all(check.ok for check in checks)

        if options["json"]:
            self.stdout.write(json.dumps({"ok": ok, "checks": [asdict(c) for c in checks]}))
        else:
            for check in checks:
                mark = self.style.SUCCESS("ok  ") if check.ok else self.style.ERROR("FAIL")
                self.stdout.write(f"{mark} {check.name}: {check.detail}")
            self.stdout.write("ready to deploy" if ok else "NOT ready to deploy")
        if not ok:
            raise SystemExit(1)
