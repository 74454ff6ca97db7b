"""Errors as each protocol version defines them.

- 2026-04-08: protocol and transport errors are HTTP 4xx/5xx with `{code, content}`; business
  outcomes are HTTP 200, either the resource with `messages` or, when there is no resource,
  the `error_response` envelope `{ucp: {version, status: "error"}, messages}`.
- 2026-01-11 (compatibility mode): every failure is a 4xx whose body carries `messages` in that
  release's shape (`status: "requires_escalation"` as its spec shows), plus `code` and `detail`,
  which clients of that generation (and the conformance suite) read; business failures are 400
  (unknown item, out of stock, not completable) and 402 (payment declined).
"""

from dataclasses import dataclass, field

from django.http import JsonResponse

from checkout.rest.versions import is_legacy
from ucp import errors

# Our service error codes → UCP protocol error codes (snake case, as the spec writes them).
PROTOCOL_CODES = {
    "invalid-input": "invalid_request",
    "unauthorized": "unauthorized",
    "forbidden": "forbidden",
    "not-found": "not_found",
    "method-not-allowed": "method_not_allowed",
    "conflict": "conflict",
    "revision-mismatch": "conflict",
    "invalid-state": "checkout_not_modifiable",
    "idempotency-conflict": "idempotency_conflict",
    "payload-too-large": "payload_too_large",
    "unsupported-media-type": "unsupported_media_type",
    "rate-limited": "rate_limited",
    "unavailable": "service_unavailable",
    "internal-error": "internal_error",
}


@dataclass
class ProtocolError(Exception):
    """A failure answered with a non-2xx status in every version."""

    http_status: int
    code: str
    content: str
    version: str
    headers: dict = field(default_factory=dict)

    @classmethod
    def invalid_agent(cls, content: str, *, version: str) -> "ProtocolError":
        return cls(400, "invalid_profile_url", content, version)

    @classmethod
    def version_unsupported(cls, requested: str, *, version: str) -> "ProtocolError":
        # 2026-04-08 defines 422; 2026-01-11 names no status and its clients expect 400.
        status = 400 if is_legacy(version) else 422
        # Versions are dates; whatever else the header carried is not worth echoing in full.
        shown = requested if len(requested) <= 32 else f"{requested[:32]}…"
        return cls(status, "version_unsupported", f"Version {shown} is not supported.", version)

    @classmethod
    def from_service_error(cls, exc: errors.ServiceError, *, version: str) -> "ProtocolError":
        code = PROTOCOL_CODES.get(exc.error_code, exc.error_code.replace("-", "_"))
        return cls(exc.http_status, code, exc.message, version, headers=dict(exc.headers))

    def response(self) -> JsonResponse:
        body = {"code": self.code, "content": self.content}
        if is_legacy(self.version):
            body = legacy_error_body(code=self.code, content=self.content)
        response = JsonResponse(body, status=self.http_status)
        for name, value in self.headers.items():
            response[name] = value
        if self.http_status == 401 and "WWW-Authenticate" not in response:
            response["WWW-Authenticate"] = 'Basic realm="ucp", Bearer realm="ucp"'
        return response


def legacy_error_body(*, code: str, content: str, severity: str = "requires_buyer_review") -> dict:
    return {
        "status": "requires_escalation",
        "messages": [{"type": "error", "code": code, "content": content, "severity": severity}],
        "code": code.upper(),
        "detail": content,
    }


def error_message(*, code: str, content: str, path: str = "", severity: str) -> dict:
    message = {"type": "error", "code": code, "content": content, "severity": severity}
    if path:
        message["path"] = path
    return message


def error_envelope(*, version: str, messages: list[dict]) -> dict:
    """2026-04-08 `error_response`: no resource, only why."""
    return {"ucp": {"version": version, "status": "error"}, "messages": messages}


@dataclass
class BusinessOutcome(Exception):
    """The buyer's request cannot be met (unknown item, out of stock, payment declined, not
    completable): HTTP 200 with messages in 2026-04-08, a 4xx with `detail` in 2026-01-11."""

    code: str
    content: str
    path: str = ""
    legacy_status: int = 400


def business_outcome_from(exc: errors.ServiceError) -> BusinessOutcome | None:
    """Recognises the catalog failures the pricing service reports as invalid input on a line."""
    if exc.error_code in {"payment-declined", "payment-failed"}:
        return BusinessOutcome("payment_failed", exc.message, "$.payment", legacy_status=402)
    if not isinstance(exc, errors.InvalidInput):
        return None
    for field_name, problems in (exc.details.get("fields") or {}).items():
        problem = " ".join(problems)
        path = "$." + field_name
        if field_name.startswith("line_items") and field_name.endswith(".item.id"):
            return BusinessOutcome("not_found", f"Product not found: {problem}", path)
        if field_name.startswith("line_items") and "stock" in problem:
            return BusinessOutcome("out_of_stock", f"Insufficient stock: {problem}", path)
    return None
