"""`Idempotency-Key` for the REST binding's writes (design.md §4, spec notes §6.1), on the shared
store in ucp.idempotency: scope org + platform + operation (the session id, and the buyer of an
identity-linked token, are part of the operation) + key; the same key and payload replay the
stored status and bytes, another payload is 409, a duplicate in flight waits or gets 409. The
views call this before any state check, so replaying a completed cancel returns its 200 again.
Keys sent on GET are ignored.
"""

import json

from django.http import HttpResponse

from ucp import idempotency


def rest_idempotent(
    *, org_id: int, platform_id: int, operation: str, key: str | None, body: bytes, execute
) -> HttpResponse:
    """Runs `execute()` (which returns a finished response) at most once per scope and key."""
    if not key:
        return execute()

    key = idempotency.parse_idempotency_key(header=key)
    scope = idempotency.IdempotencyScope(
        org_id=org_id, platform_id=platform_id, operation=f"rest.{operation}", key=key
    )
    try:
        payload = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        # Routes that ignore their body (cancel) still fingerprint it: as text when it is not
        # JSON, or nested too deep for the parser.
        payload = body.decode("utf-8", "replace")
    return idempotency.run_idempotent(
        scope=scope, fingerprint=idempotency.request_fingerprint(payload), respond=execute
    )
