"""Idempotent writes (design.md §4), shared by the seed RPC routes and the standard REST binding.

A caller names a write with a key (the seed's `idempotency_key` body field or the
`Idempotency-Key` header). The key is scoped to org + platform + operation, so one platform's key
can never replay another platform's response, and operations on one resource (a checkout session)
put the resource in the operation name, so a key reused on another session is a new request.

- First request with a key: a row is claimed (unique on the scope), the operation runs, and the
  exact response bytes and status are stored.
- Same key, same request (same fingerprint): the stored status and body are replayed byte for
  byte, with `Idempotent-Replayed: true`.
- Same key, another request: 409 `idempotency-conflict`.
- Same key while the first is still running: wait up to UCP_IDEMPOTENCY_WAIT_SECONDS for it, then
  replay, or answer 409 `idempotency-conflict` (reason `in_progress`) so the caller retries later.
  Never a second execution.
- A 5xx (or a crash) releases the key, so a retry runs the operation again; 2xx/4xx are stored.
- Keys live UCP_IDEMPOTENCY_TTL (24 h); `purge_expired` (a beat task) deletes older rows.

The claim is committed on its own before the operation runs, so concurrent duplicates see it at
once; the operation's writes and its stored response then commit in one transaction.
"""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from ucp import errors
from ucp.models import IdempotencyRecord

logger = logging.getLogger(__name__)

MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class IdempotencyScope:
    org_id: int
    platform_id: int | None
    operation: str
    key: str

    def lookup(self) -> dict:
        return {
            "org_id": self.org_id,
            "platform_id": self.platform_id,
            "operation": self.operation[:200],
            "key": self.key,
        }


def parse_idempotency_key(*, header=None, body=None, field: str = "idempotency_key") -> str | None:
    """The request's key from the header or the body field (both may be sent if they agree)."""
    for value, name in ((header, "Idempotency-Key"), (body, field)):
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_KEY_LENGTH:
            raise errors.InvalidInput.for_field(
                name, f"must be a non-empty string of at most {MAX_KEY_LENGTH} characters"
            )
        if not value.isprintable():
            raise errors.InvalidInput.for_field(name, "must contain printable characters only")
    if header is not None and body is not None and header != body:
        raise errors.InvalidInput.for_field(field, "differs from the Idempotency-Key header")
    return header if header is not None else body


def request_fingerprint(payload) -> str:
    """A keyed hash of the request (canonical JSON), so that stored fingerprints reveal nothing
    about the request, credentials included, to someone reading the database."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    secret = hashlib.sha256(b"ucp-idempotency:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest()


def claim(scope: IdempotencyScope, fingerprint: str) -> tuple[IdempotencyRecord, bool]:
    """The scope's row, and whether this request owns it (and must run the operation)."""
    for _ in range(3):
        now = timezone.now()
        fresh = dict(
            fingerprint=fingerprint,
            state=IdempotencyRecord.State.IN_PROGRESS,
            response_status=None,
            response_content_type="",
            response_body=None,
            created_at=now,
            locked_until=now + timedelta(seconds=settings.UCP_IDEMPOTENCY_LOCK_SECONDS),
            expires_at=now + settings.UCP_IDEMPOTENCY_TTL,
        )
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(**scope.lookup(), **fresh), True
        except IntegrityError:
            pass

        existing = IdempotencyRecord.objects.filter(**scope.lookup()).first()
        if existing is None:
            continue  # purged in between: claim again
        abandoned = existing.state == IdempotencyRecord.State.IN_PROGRESS and (
            existing.locked_until <= now
        )
        if existing.expires_at <= now or abandoned:
            taken = IdempotencyRecord.objects.filter(
                pk=existing.pk, state=existing.state, locked_until=existing.locked_until
            ).update(**fresh)
            if taken:
                existing.refresh_from_db()
                return existing, True
            continue
        return existing, False
    raise errors.IdempotencyConflict(
        "This idempotency key is being used concurrently; retry.", details={"reason": "in_progress"}
    )


def replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.response_body),
        status=record.response_status,
        content_type=record.response_content_type or "application/json",
    )
    response[REPLAYED_HEADER] = "true"
    return response


def wait_for(record: IdempotencyRecord) -> IdempotencyRecord:
    deadline = time.monotonic() + settings.UCP_IDEMPOTENCY_WAIT_SECONDS
    while record.state == IdempotencyRecord.State.IN_PROGRESS and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        latest = IdempotencyRecord.objects.filter(pk=record.pk).first()
        if latest is None:
            break
        record = latest
    return record


def run_idempotent(
    *, scope: IdempotencyScope, fingerprint: str, respond: Callable[[], HttpResponse]
) -> HttpResponse:
    """Runs `respond` (which must return a rendered response) at most once per scope and
    fingerprint, and replays what it returned for repeats. See the module docstring."""
    record, owned = claim(scope, fingerprint)
    if not owned:
        if record.fingerprint != fingerprint:
            raise errors.IdempotencyConflict(details={"reason": "different_request"})
        record = wait_for(record)
        if record.state != IdempotencyRecord.State.DONE or record.fingerprint != fingerprint:
            raise errors.IdempotencyConflict(
                "A request with this idempotency key is still in progress; retry later.",
                details={"reason": "in_progress"},
            )
        logger.info(
            "Idempotent replay",
            extra={"operation": scope.operation, "status": record.response_status},
        )
        return replay(record)

    try:
        # The operation's writes and its stored response commit together: a crash between the
        # two would otherwise leave a done operation under a key that, once its lock lapsed,
        # would run it a second time (a second checkout for a retried create).
        with transaction.atomic():
            response = respond()
            if response.status_code < 500:
                IdempotencyRecord.objects.filter(pk=record.pk).update(
                    state=IdempotencyRecord.State.DONE,
                    response_status=response.status_code,
                    response_content_type=response.get("Content-Type", "application/json"),
                    response_body=bytes(response.content),
                )
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    if response.status_code >= 500:
        # Not stored: a retry runs again.
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
    return response


def run_idempotent_drf(view, *, scope: IdempotencyScope, fingerprint: str, perform: Callable):
    """`run_idempotent` for a DRF view: `perform()` returns a Response or raises; errors are
    rendered by the view's own exception handler so they are stored and replayed like successes."""

    def respond():
        try:
            response = perform()
        except Exception as exc:
            response = view.handle_exception(exc)
        response = view.finalize_response(view.request, response)
        response.render()
        return response

    return run_idempotent(scope=scope, fingerprint=fingerprint, respond=respond)


def purge_expired(*, now=None) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
