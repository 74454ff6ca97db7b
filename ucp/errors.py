"""The service's error vocabulary.

Services raise these; the API layer turns them into the envelope's `error` object. Each class has a
stable kebab-case `error_code` and the HTTP status it maps to, so platforms can branch on the code
and never on the message text.
"""


class ServiceError(Exception):
    error_code = "internal-error"
    http_status = 500
    default_message = "The service failed to handle the request."

    def __init__(self, message: str | None = None, *, details: dict | None = None, headers=None):
        self.message = message or self.default_message
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)


class InvalidInput(ServiceError):
    error_code = "invalid-input"
    http_status = 400
    default_message = "The request is invalid."

    @classmethod
    def for_field(cls, field: str, problem: str) -> "InvalidInput":
        """An error about one field, with the field named both in the message and the details."""
        return cls(f"{field}: {problem}", details={"fields": {field: [problem]}})


class Unauthorized(ServiceError):
    error_code = "unauthorized"
    http_status = 401
    default_message = "Authentication credentials are missing or invalid."


class Forbidden(ServiceError):
    error_code = "forbidden"
    http_status = 403
    default_message = "Your role does not allow this operation."


class NotFound(ServiceError):
    error_code = "not-found"
    http_status = 404
    default_message = "Not found."


class MethodNotAllowed(ServiceError):
    error_code = "method-not-allowed"
    http_status = 405
    default_message = "This method is not allowed on this route."


class NotAcceptable(ServiceError):
    error_code = "not-acceptable"
    http_status = 406
    default_message = "Only application/json responses are offered."


class Conflict(ServiceError):
    error_code = "conflict"
    http_status = 409


class RevisionMismatch(Conflict):
    error_code = "revision-mismatch"
    default_message = "The record was changed by someone else; re-read it and retry."

    def __init__(self, *, current_revision: int, expected_revision: int):
        super().__init__(
            details={"current_revision": current_revision, "expected_revision": expected_revision}
        )


class InvalidState(Conflict):
    error_code = "invalid-state"
    default_message = "The operation is not allowed in the record's current state."


class IdempotencyConflict(Conflict):
    error_code = "idempotency-conflict"
    default_message = "This idempotency key was already used with a different request."


class PayloadTooLarge(ServiceError):
    error_code = "payload-too-large"
    http_status = 413
    default_message = "The request body is too large."


class UnsupportedMediaType(ServiceError):
    error_code = "unsupported-media-type"
    http_status = 415
    default_message = "Send the request body as application/json."


class ExpectedRevisionRequired(ServiceError):
    error_code = "expected-revision-required"
    http_status = 428
    default_message = "expected_revision is required to change this record."


class RateLimited(ServiceError):
    error_code = "rate-limited"
    http_status = 429
    default_message = "Too many requests; retry later."


class Unavailable(ServiceError):
    error_code = "unavailable"
    http_status = 503
    default_message = "The service is temporarily unavailable."
