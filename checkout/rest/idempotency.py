"""`Idempotency-Key` for the REST binding's writes (design.md §4, spec notes §6.1).

Scope: org + platform + operation (+ session for the per-session operations) + key. The first
request runs and its status and exact body bytes are stored for 48 h; the same key with the
same payload replays them byte for byte; with another payload it is 409; a duplicate that
arrives while the first still runs gets 409 rather than a second execution. The check comes
before any state check, so replaying a completed cancel returns its 200 again.

When the shared `ucp.idempotency` module (checkout issue: records in PostgreSQL, waits for an
in-flight duplicate) is present, `rest_idempotent` uses it; until it is merged, a cache-backed
store with the same semantics stands in. Known limit of the stand-in: keys live as long as the
cache keeps them (Redis in deployments); delete it and `run_idempotent` here once the shared
module is on main.
"""

import hashlib
import json

from django.core.cache import cache
from django.http import HttpResponse

from ucp import errors

try:
    from ucp import idempotency as shared_idempotency

    HAS_SHARED_STORE = hasattr(shared_idempotency, "IdempotencyScope")
except ImportError:  # pragma: no cover - depends on the merge state
    HAS_SHARED_STORE = False

KEEP_SECONDS = 48 * 3600
IN_FLIGHT_SECONDS = 60
MAX_KEY_LENGTH = 255


def rest_idempotent(
    *, org_id: int, platform_id: int, operation: str, key: str | None, body: bytes, execute
) -> HttpResponse:
    """The one entry point the views call: runs `execute()` at most once per scope and key."""
    if not key:
        return execute()
    if not HAS_SHARED_STORE:
        scope = f"{org_id}|{platform_id}|{operation}"
        return run_idempotent(key=key, scope=scope, body=body, execute=execute)

    key = shared_idempotency.parse_idempotency_key(header=key)
    scope = shared_idempotency.IdempotencyScope(
        org_id=org_id, platform_id=platform_id, operation=f"rest.{operation}", key=key
    )
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        payload = body.decode("utf-8", "replace")
    return shared_idempotency.run_idempotent(
        scope=scope,
        fingerprint=shared_idempotency.request_fingerprint(payload),
        respond=execute,
    )


def payload_digest(body: bytes) -> str:
    """Same payload = same JSON value; raw bytes when the body is not JSON."""
    try:
        canonical = json.dumps(json.loads(body or b"{}"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()
    except ValueError:
        return hashlib.sha256(body).hexdigest()


def run_idempotent(*, key: str | None, scope: str, body: bytes, execute) -> HttpResponse:
    """Runs `execute()` once per key; replays its stored response for a repeat."""
    if not key:
        return execute()
    if len(key) > MAX_KEY_LENGTH:
        raise errors.InvalidInput.for_field("Idempotency-Key", "too long")

    cache_key = "ucp:rest-idem:" + hashlib.sha256(f"{scope}|{key}".encode()).hexdigest()
    digest = payload_digest(body)
    stored = cache.get(cache_key)
    if stored is None and not cache.add(cache_key, {"digest": digest}, IN_FLIGHT_SECONDS):
        stored = cache.get(cache_key)
    elif stored is None:
        return store_result(cache_key, digest, execute)

    if stored is None or stored["digest"] != digest:
        raise errors.IdempotencyConflict()
    if "status" not in stored:
        raise errors.IdempotencyConflict("A request with this idempotency key is in progress.")
    return replay(stored)


def store_result(cache_key: str, digest: str, execute) -> HttpResponse:
    try:
        response = execute()
    except BaseException:
        cache.delete(cache_key)
        raise
    if response.status_code >= 500:
        cache.delete(cache_key)
        return response
    cache.set(
        cache_key,
        {
            "digest": digest,
            "status": response.status_code,
            "content": bytes(response.content),
            "content_type": response.get("Content-Type", "application/json"),
        },
        KEEP_SECONDS,
    )
    return response


def replay(stored: dict) -> HttpResponse:
    response = HttpResponse(
        stored["content"], status=stored["status"], content_type=stored["content_type"]
    )
    response["Idempotent-Replayed"] = "true"
    return response
