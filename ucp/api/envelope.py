"""The seed API's response envelope, built in one place for successes and errors alike."""

import json
import time
from datetime import UTC, datetime

from django.conf import settings
from django.http import JsonResponse
from rest_framework.renderers import JSONRenderer

API_PREFIX = "/ucp"


def build_info() -> dict:
    return {
        "build_id": settings.UCP_BUILD_ID,
        "build_major": settings.UCP_BUILD_MAJOR,
        "build_minor": settings.UCP_BUILD_MINOR,
    }


def call_name(request) -> str:
    """The call as the seed names it: method and path below /ucp, e.g. `POST /checkout/create`."""
    path = request.path
    if path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX) :]
    return f"{request.method} {path}"


def stats(request) -> dict:
    started = getattr(request, "ucp_started", None)
    latency_ms = int((time.perf_counter() - started) * 1000) if started else 0
    return {
        "call": call_name(request),
        "service": settings.UCP_SERVICE_NAME,
        "timestamp_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "request_id": getattr(request, "request_id", ""),
        "latency_ms": latency_ms,
        "build": build_info(),
    }


def success_body(request, data, revision: int | None = None) -> dict:
    body = {"success": True, "data": data}
    if revision is not None:
        body["revision"] = revision
    body["build"] = build_info()
    body["stats"] = stats(request)
    return body


def error_body(request, *, error_code: str, http_status: int, message: str, details=None) -> dict:
    return {
        "success": False,
        "error": {
            "error_code": error_code,
            "http_status": http_status,
            "message": message,
            "details": details or {},
        },
        "build": build_info(),
        "stats": stats(request),
    }


def error_response(request, *, error_code, http_status, message, details=None) -> JsonResponse:
    """An error envelope for code outside DRF (middleware, Django's own 404/500 paths)."""
    body = error_body(
        request, error_code=error_code, http_status=http_status, message=message, details=details
    )
    return JsonResponse(body, status=http_status, json_dumps_params={"separators": (",", ":")})


class EnvelopeRenderer(JSONRenderer):
    """Wraps every DRF response of the seed API in the envelope.

    Errors arrive already shaped by the exception handler (`{"error": {...}}`); successes arrive as
    the bare data, with the record's revision, when there is one, on `response.revision`.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        request = renderer_context.get("request")
        response = renderer_context.get("response")
        if request is None or response is None:
            return super().render(data, accepted_media_type, renderer_context)

        if getattr(response, "exception", False) or response.status_code >= 400:
            error = (data or {}).get("error") if isinstance(data, dict) else None
            body = {
                "success": False,
                "error": error or {},
                "build": build_info(),
                "stats": stats(request),
            }
        else:
            body = success_body(request, data, getattr(response, "revision", None))

        try:
            return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        except UnicodeEncodeError:
            # A string UTF-8 cannot hold (an unpaired surrogate echoed from input): escaped
            # JSON is still valid JSON.
            return json.dumps(body, separators=(",", ":")).encode()
