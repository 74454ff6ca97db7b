"""Base views for the seed API, and the routes that belong to no app (`/stat`)."""

import logging

from django.conf import settings
from django.db import connection
from rest_framework.response import Response
from rest_framework.views import APIView

from ucp import errors
from ucp.api.auth import AdminAuthentication, AdminCanRead, AdminCanWrite, PlatformAuthentication
from ucp.api.envelope import build_info
from ucp.celery import app as celery_app

logger = logging.getLogger(__name__)


def envelope(data, *, revision: int | None = None, status: int = 200) -> Response:
    """A success response; the renderer wraps `data` and lifts `revision` to the top level."""
    response = Response(data, status=status)
    response.revision = revision
    return response


def validated(serializer_class, data: dict) -> dict:
    """Validates a request body with an input serializer; errors become `invalid-input`."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class SeedApiView(APIView):
    """A seed route: JSON in, the envelope out."""

    def initial(self, request, *args, **kwargs):
        # A wrong method is 405 whoever asks: check it before authentication answers 401.
        if not hasattr(self, request.method.lower()):
            raise errors.MethodNotAllowed(
                f"{request.method} is not allowed on this route.",
                headers={"Allow": ", ".join(self._allowed_methods())},
            )
        super().initial(request, *args, **kwargs)

    def request_body(self) -> dict:
        data = self.request.data
        if hasattr(data, "dict"):
            data = data.dict()
        if not isinstance(data, dict):
            raise errors.InvalidInput.for_field("body", "must be a JSON object")
        return data


class AdminApiView(SeedApiView):
    """A route for org admins that changes something: needs owner or ucp_admin."""

    authentication_classes = [AdminAuthentication]
    permission_classes = [AdminCanWrite]

    @property
    def org(self):
        return self.request.user.org


class AdminReadApiView(AdminApiView):
    """A route for org admins that only reads: any role of the org."""

    permission_classes = [AdminCanRead]


class PlatformApiView(SeedApiView):
    """A route for platforms, authenticated by client credentials."""

    authentication_classes = [PlatformAuthentication]

    @property
    def platform(self):
        return self.request.user.platform


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        logger.exception("Database check failed")
        return "error"


def broker_status() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        logger.exception("Broker check failed")
        return "error"


class StatApi(SeedApiView):
    """Health and build check, open to anyone. `status` is `degraded` when a dependency fails."""

    def get(self, request):
        database = database_status()
        broker = broker_status()
        healthy = database == "ok" and broker in ("ok", "eager")
        return envelope(
            {
                "status": "ok" if healthy else "degraded",
                "service": settings.UCP_SERVICE_NAME,
                "build": build_info(),
                "database": database,
                "broker": broker,
            }
        )
