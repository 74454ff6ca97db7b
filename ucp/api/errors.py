"""DRF exception handler: every error raised under the seed API becomes the envelope's error."""

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from ucp import errors

logger = logging.getLogger(__name__)


def field_path(prefix: str, key) -> str:
    if key == "non_field_errors":
        return prefix
    if isinstance(key, int):  # ListField reports its children's errors by index
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def flatten_field_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """Turns DRF's nested error detail into `{"line_items[0].quantity": ["..."]}`."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = field_path(prefix, key)
            for field, messages in flatten_field_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(detail, list) and detail and not all(isinstance(d, str) for d in detail):
        for index, value in enumerate(detail):
            for field, messages in flatten_field_errors(value, f"{prefix}[{index}]").items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        flat[prefix or "body"] = [str(d) for d in detail]
    elif detail:
        flat[prefix or "body"] = [str(detail)]
    return flat


def invalid_input_from_fields(fields: dict[str, list[str]]) -> errors.InvalidInput:
    first_field, first_messages = next(iter(fields.items()))
    message = f"{first_field}: {first_messages[0]}"
    return errors.InvalidInput(message, details={"fields": fields})


def to_service_error(exc) -> errors.ServiceError | None:
    """Maps DRF and Django exceptions onto the service's error vocabulary."""
    if isinstance(exc, errors.ServiceError):
        return exc
    if isinstance(exc, drf.ValidationError):
        return invalid_input_from_fields(flatten_field_errors(exc.detail))
    if isinstance(exc, DjangoValidationError):
        return invalid_input_from_fields(flatten_field_errors(as_serializer_error(exc)))
    if isinstance(exc, drf.ParseError):
        return errors.InvalidInput(
            "The request body is not valid JSON.",
            details={"fields": {"body": ["is not valid JSON"]}, "parse": str(exc.detail)},
        )
    if isinstance(exc, RequestDataTooBig):
        return errors.PayloadTooLarge()
    if isinstance(exc, drf.UnsupportedMediaType):
        return errors.UnsupportedMediaType()
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return errors.Unauthorized()
    if isinstance(exc, (drf.PermissionDenied, PermissionDenied)):
        return errors.Forbidden()
    if isinstance(exc, (drf.NotFound, Http404)):
        return errors.NotFound()
    if isinstance(exc, drf.MethodNotAllowed):
        return errors.MethodNotAllowed(str(exc.detail))
    if isinstance(exc, drf.NotAcceptable):
        return errors.NotAcceptable()
    if isinstance(exc, OperationalError):
        # The database is unreachable or shutting down: a retryable condition, not a bug.
        logger.warning("Database unavailable: %s", exc.__class__.__name__)
        return errors.Unavailable(headers={"Retry-After": "5"})
    if isinstance(exc, drf.Throttled):
        wait = int(exc.wait or 1)
        return errors.RateLimited(
            details={"retry_after_seconds": wait}, headers={"Retry-After": str(wait)}
        )
    return None


def envelope_exception_handler(exc, context):
    error = to_service_error(exc)
    if error is None:
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        error = errors.ServiceError()

    set_rollback()
    body = {
        "error": {
            "error_code": error.error_code,
            "http_status": error.http_status,
            "message": error.message,
            "details": error.details,
        }
    }
    response = Response(body, status=error.http_status, headers=error.headers)
    response.exception = True
    return response
