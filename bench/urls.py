"""The production URLconf plus `/bench/ceiling`, a bare DRF view that returns a constant.

The ceiling goes through the same gunicorn workers and middleware as the real routes, so a real
route's throughput divided by the ceiling's is the share left after our own view, auth and database
work.
"""

from django.urls import path
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ucp.urls import urlpatterns as production_urlpatterns


class CeilingApi(APIView):
    authentication_classes = []
    permission_classes = []
    renderer_classes = [JSONRenderer]

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    *production_urlpatterns,
    path("bench/ceiling", CeilingApi.as_view(), name="bench-ceiling"),
]
