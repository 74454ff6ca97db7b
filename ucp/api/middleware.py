"""Request id, API version header, access log, and JSON errors for everything under /ucp/.

DRF views shape their own errors through the exception handler. This middleware covers the rest of
the /ucp/ tree: unknown routes, Django's own 404/500 paths and anything that escapes a view, so that
no caller of the API ever receives an HTML page.
"""

import logging
import re
import time
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, JsonResponse

from ucp.api.envelope import API_PREFIX, error_response
from ucp.logging import request_context
from ucp.routestats import record_request

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("ucp.access")

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

# Statuses Django may produce on its own for /ucp/ paths, mapped to the envelope's codes.
FALLBACK_ERRORS = {
    400: ("invalid-input", "The request is invalid."),
    403: ("forbidden", "Forbidden."),
    404: ("not-found", "No such route."),
    405: ("method-not-allowed", "This method is not allowed on this route."),
    413: ("payload-too-large", "The request body is too large."),
    500: ("internal-error", "The service failed to handle the request."),
}


def incoming_request_id(request) -> str:
    supplied = request.headers.get("X-Request-Id", "")
    return supplied if REQUEST_ID_PATTERN.match(supplied) else uuid.uuid4().hex


def is_plain_json_path(path: str) -> bool:
    """Profile, OAuth metadata and OAuth endpoints outside /ucp/ are machine surfaces too: their
    errors are JSON in their own plain shape. The browser authorization page stays HTML."""
    return path.startswith(("/.well-known/", "/oauth/")) and not path.rstrip("/").endswith(
        "/authorize"
    )


# The UCP REST binding: per org under /ucp/rest/, and the routes 2026-01-11 clients call on the
# server root (checkout/rest/urls.py). Its errors are UCP's `{code, content}`.
REST_BINDING_PREFIXES = (API_PREFIX + "/rest/", "/orders/", "/testing/simulate-shipping/")


def is_rest_binding_path(path: str) -> bool:
    return path == API_PREFIX + "/rest" or path.startswith(REST_BINDING_PREFIXES)


def rest_error_response(status: int) -> JsonResponse:
    code, message = FALLBACK_ERRORS.get(status, FALLBACK_ERRORS[500])
    status = status if status in FALLBACK_ERRORS else 500
    return JsonResponse({"code": code.replace("-", "_"), "content": message}, status=status)


def plain_error_response(status: int) -> JsonResponse:
    code, message = FALLBACK_ERRORS.get(status, FALLBACK_ERRORS[500])
    status = status if status in FALLBACK_ERRORS else 500
    return JsonResponse({"error": code.replace("-", "_"), "message": message}, status=status)


def is_enveloped_path(path: str) -> bool:
    """Seed API paths carry the envelope; protocol surfaces under /ucp/rest/ keep UCP's shapes."""
    return path.startswith(API_PREFIX + "/") and not path.startswith(API_PREFIX + "/rest/")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.ucp_started = time.perf_counter()
        request.request_id = incoming_request_id(request)
        token = request_context.set({"request_id": request.request_id})
        try:
            response = self.refuse_oversized_body(request) or self.get_response(request)
            response = self.ensure_json_error(request, response)
            response["X-Request-Id"] = request.request_id
            response["X-API-Version"] = settings.UCP_API_VERSION
            self.log_access(request, response)
            return response
        finally:
            request_context.reset(token)

    def refuse_oversized_body(self, request):
        """DRF parses from the input stream, which bypasses Django's own size check, so the limit
        on declared body size is enforced here, before anything reads the body."""
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE or not is_enveloped_path(request.path):
            return None
        code, message = FALLBACK_ERRORS[413]
        return error_response(
            request,
            error_code=code,
            http_status=413,
            message=message,
            details={"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
        )

    def process_exception(self, request, exception):
        if is_rest_binding_path(request.path):
            if isinstance(exception, (Http404, PermissionDenied, SuspiciousOperation)):
                return None  # Django answers these with a 4xx, which ensure_json_error shapes
            logger.exception("Unhandled error in the REST binding")
            return rest_error_response(500)
        if is_plain_json_path(request.path):
            if isinstance(exception, (Http404, PermissionDenied, SuspiciousOperation)):
                return None  # Django answers these with a 4xx, which ensure_json_error shapes
            logger.exception("Unhandled error in a protocol view")
            return plain_error_response(500)
        if not is_enveloped_path(request.path):
            return None
        logger.exception("Unhandled error outside the API views")
        code, message = FALLBACK_ERRORS[500]
        return error_response(request, error_code=code, http_status=500, message=message)

    def ensure_json_error(self, request, response):
        if response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if is_rest_binding_path(request.path):
            shaped = rest_error_response(response.status_code)
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        if is_plain_json_path(request.path):
            plain = plain_error_response(response.status_code)
            if response.has_header("Allow"):
                plain["Allow"] = response["Allow"]
            return plain
        if not is_enveloped_path(request.path):
            return response
        code, message = FALLBACK_ERRORS.get(response.status_code, FALLBACK_ERRORS[500])
        status = response.status_code if response.status_code in FALLBACK_ERRORS else 500
        return error_response(request, error_code=code, http_status=status, message=message)

    def log_access(self, request, response):
        """One JSON line per request (request id, org and platform come from the request
        context), and the per-route figures of the console dashboard for API calls."""
        latency_ms = int((time.perf_counter() - request.ucp_started) * 1000)
        route = route_name(request)
        access_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "latency_ms": latency_ms,
                "status": response.status_code,
                "method": request.method,
                "path": request.path,
                "route": route,
            },
        )
        if request.path.startswith(API_PREFIX + "/"):
            context = request_context.get() or {}
            record_request(
                org=context.get("org"),
                route=route,
                status=response.status_code,
                latency_ms=latency_ms,
            )


def route_name(request) -> str:
    """The URL pattern served, e.g. `POST /ucp/checkout/create`: one name per route whatever the
    ids in the path, so figures and log lines group by route."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        pattern = f"/{match.route}"
    elif request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        pattern = "(static)"
    else:
        pattern = "(unmatched)"
    return f"{request.method} {pattern}"
