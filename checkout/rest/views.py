"""Views of the REST binding. Plain Django views: the envelope renderer and exception handler
of the seed API must not touch these responses, which speak UCP's shapes.

Every request: resolve the org, negotiate the version (before anything else, so even an auth
failure answers in the right version), authenticate the platform, then run the operation,
writes through the idempotency check before any state check.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from checkout.models import CheckoutStatus
from checkout.rest import catalog, services, translators
from checkout.rest.agent import parse_agent_header
from checkout.rest.auth import rest_caller
from checkout.rest.errors import (
    BusinessOutcome,
    ProtocolError,
    business_outcome_from,
    error_envelope,
    error_message,
    legacy_error_body,
)
from checkout.rest.idempotency import rest_idempotent
from checkout.rest.negotiation import CATALOG_LOOKUP, CATALOG_SEARCH, CHECKOUT, ORDER, negotiate
from checkout.rest.settings import rest_settings, simulation_secret_matches
from checkout.rest.throttle import rest_rate_check
from checkout.rest.versions import SUPPORTED_VERSIONS, V2026_04_08, org_root_version
from checkout.services import CheckoutExpired, checkout_expire_if_due
from orgconfig.selectors import org_for_hostname, org_get_active, ucp_configs_read_once
from ucp import errors
from ucp.api.parsers import json_loads_checked

logger = logging.getLogger(__name__)

PAYMENT_CODES = {"payment_declined", "payment_failed"}


def legacy_stock_failure(session):
    """2026-01-11 clients expect a 400 for a cart beyond stock, not an incomplete checkout."""
    short = [m for m in session.messages if m.get("code") == "out_of_stock"]
    if not short or session.is_final:
        return None
    content = "Insufficient stock: " + " ".join(m.get("content", "") for m in short)
    return JsonResponse(legacy_error_body(code="out_of_stock", content=content), status=400)


def org_for_request(request, orgcode: str | None):
    """The org named in the path; at the site root, the org the request's hostname maps to in
    the org config, else settings.UCP_DEFAULT_ORGCODE (as the root profile does)."""
    if orgcode:
        return org_get_active(orgcode=orgcode)
    hostname = request.get_host().rsplit(":", 1)[0] if request.get_host() else ""
    org, claimed = org_for_hostname(hostname=hostname) if hostname else (None, False)
    if claimed:
        return org
    return org_get_active(orgcode=settings.UCP_DEFAULT_ORGCODE)


def requested_version_hint(agent_header: str | None, root_version: str) -> str:
    try:
        requested = parse_agent_header(agent_header).version
    except ValueError:
        return root_version
    return requested if requested in SUPPORTED_VERSIONS else root_version


def not_offered() -> JsonResponse:
    """The org's config does not offer this capability: its routes are not served."""
    return JsonResponse({"code": "not_found", "content": "Not offered by this shop."}, status=404)


def not_found_org() -> JsonResponse:
    return JsonResponse({"code": "not_found", "content": "No such shop."}, status=404)


@method_decorator(csrf_exempt, name="dispatch")
class RestView(View):
    """Shared request handling; subclasses implement `get_op`/`post_op`/`put_op`."""

    http_method_names = ["get", "post", "put", "patch", "delete"]
    required_capability = CHECKOUT
    # The protocol versions that define the route; in the others it does not exist.
    served_versions = SUPPORTED_VERSIONS

    def dispatch(self, request, *args, orgcode=None, **kwargs):
        # A call only reads the org's config, and would otherwise query it about nine times.
        with ucp_configs_read_once():
            return self.dispatch_once(request, *args, orgcode=orgcode, **kwargs)

    def dispatch_once(self, request, *args, orgcode=None, **kwargs):
        self.org = org_for_request(request, orgcode)
        if self.org is None:
            return self.finish(not_found_org())
        self.version = org_root_version(self.org)
        handler = getattr(self, f"{self.operation_method(request.method)}_op", None)
        if handler is None:
            allowed = [m.upper() for m in self.http_method_names if hasattr(self, f"{m}_op")]
            if "GET" in allowed:
                allowed.insert(allowed.index("GET") + 1, "HEAD")
            error = ProtocolError(
                405,
                "method_not_allowed",
                "Method not allowed.",
                self.version,
                headers={"Allow": ", ".join(allowed)},  # RFC 9110 §15.5.6: a 405 lists them
            )
            return self.finish(error.response())
        try:
            # Authenticate before fetching anything the caller names: an unauthenticated caller
            # must not be able to make the service dial URLs. Until negotiation, errors answer
            # in the version the header asks for (when we speak it) or the org's root version.
            self.version = requested_version_hint(request.headers.get("UCP-Agent"), self.version)
            self.caller = rest_caller(request, self.org)
            self.platform = self.caller.platform
            rest_rate_check(request, org=self.org, caller=self.caller, version=self.version)
            self.negotiated = negotiate(org=self.org, agent_header=request.headers.get("UCP-Agent"))
            self.version = self.negotiated.version
            if self.version not in self.served_versions:
                raise ProtocolError(404, "not_found", "No such route.", self.version)
            if self.required_capability not in self.negotiated.offered:
                return self.finish(not_offered())
            if self.required_capability not in self.negotiated.capabilities:
                return self.finish(self.capabilities_incompatible())
            response = handler(request, **kwargs)
        except ProtocolError as exc:
            response = exc.response()
        except errors.ServiceError as exc:
            response = ProtocolError.from_service_error(exc, version=self.version).response()
        except RequestDataTooBig:
            response = ProtocolError(
                413, "payload_too_large", "The request body is too large.", self.version
            ).response()
        except Exception:
            # Protocol clients get a protocol-shaped 500, never Django's HTML page.
            logger.exception("Unhandled error in the REST binding")
            response = ProtocolError(
                500, "internal_error", "The service failed to handle the request.", self.version
            ).response()
        return self.finish(response)

    @staticmethod
    def operation_method(method: str) -> str:
        """HEAD is GET without the body wherever GET is served (RFC 9110 §9.3.2): it runs the
        GET operation, and the server (gunicorn, runserver) sends only the headers."""
        method = method.lower()
        return "get" if method == "head" else method

    def capabilities_incompatible(self):
        """2026-04-08: the operation's capability is not in the intersection with the
        platform's profile; HTTP 200 with `ucp.status: error`."""
        message = error_message(
            code="capabilities_incompatible",
            content=f"The platform profile does not list {self.required_capability}.",
            severity="unrecoverable",
        )
        return JsonResponse(error_envelope(version=self.version, messages=[message]))

    def finish(self, response):
        request_id = self.request.headers.get("Request-Id")
        if request_id and len(request_id) <= 200:
            response["Request-Id"] = request_id
        return response

    @property
    def legacy(self) -> bool:
        return self.negotiated.legacy

    def json_body(self):
        if not self.request.body:
            return {}
        return json_loads_checked(self.request.body)

    def idempotent(self, operation: str, execute, session_id: str = ""):
        # Keys are scoped to the caller's buyer too: buyers of one platform (and the platform's
        # own credentials) must never replay each other's stored responses, which carry their
        # checkouts and saved addresses. The scope check comes first, so a refused token's 403
        # is never stored under the key. The buyer goes before the session id, which is the
        # caller's text and may be long enough to be cut off in the stored operation.
        customer = self.caller.checkout_customer()
        if customer is not None:
            operation = f"{operation}@customer:{customer.pk}"
        return rest_idempotent(
            org_id=self.org.pk,
            platform_id=self.platform.pk,
            operation=f"{operation}:{services.canonical_id(session_id)}"
            if session_id
            else operation,
            key=self.request.headers.get("Idempotency-Key"),
            body=self.request.body,
            execute=self.guarded(execute),
        )

    def guarded(self, execute):
        """Errors inside an idempotent operation become responses, so they are stored too."""

        def run():
            try:
                return execute()
            except ProtocolError as exc:
                return exc.response()
            except errors.ServiceError as exc:
                outcome = business_outcome_from(exc)
                if outcome is not None:
                    return self.outcome_response(outcome)
                return ProtocolError.from_service_error(exc, version=self.version).response()

        return run

    def checkout_response(self, session, status=200, extra_messages=(), cart_changed=False):
        if cart_changed and self.legacy and (failure := legacy_stock_failure(session)):
            return failure
        body = translators.checkout_out(session, self.negotiated, self.request)
        body["messages"] = body["messages"] + list(extra_messages)
        return JsonResponse(body, status=status)

    def outcome_response(self, outcome: BusinessOutcome, session=None):
        if self.legacy:
            body = legacy_error_body(code=outcome.code, content=outcome.content)
            return JsonResponse(body, status=outcome.legacy_status)
        if session is not None:
            if any(m.get("code") in PAYMENT_CODES | {outcome.code} for m in session.messages):
                return self.checkout_response(session)
            message = error_message(
                code=outcome.code,
                content=outcome.content,
                path=outcome.path,
                severity="recoverable",
            )
            return self.checkout_response(session, extra_messages=[message])
        message = error_message(
            code=outcome.code, content=outcome.content, path=outcome.path, severity="unrecoverable"
        )
        return JsonResponse(error_envelope(version=self.version, messages=[message]))

    def missing_session(self, exc: errors.NotFound):
        """2026-04-08 answers an unknown resource with HTTP 200 and `error_response`."""
        if self.legacy:
            return ProtocolError.from_service_error(exc, version=self.version).response()
        message = error_message(code="not_found", content=exc.message, severity="unrecoverable")
        return JsonResponse(error_envelope(version=self.version, messages=[message]))


class CheckoutCollectionView(RestView):
    def post_op(self, request):
        body = self.json_body()

        def execute():
            data = translators.checkout_input_from(body, self.negotiated)
            session = services.rest_checkout_create(
                platform=self.platform,
                data=data,
                negotiated=self.negotiated,
                customer=self.caller.checkout_customer(),
            )
            return self.checkout_response(session, status=201, cart_changed=True)

        return self.idempotent("create", execute)


class CheckoutItemView(RestView):
    def get_op(self, request, session_id):
        try:
            session = services.rest_session_get(
                platform=self.platform,
                session_id=session_id,
                customer=self.caller.checkout_customer(),
            )
        except errors.NotFound as exc:
            return self.missing_session(exc)
        return self.checkout_response(checkout_expire_if_due(session))

    def put_op(self, request, session_id):
        body = self.json_body()

        def execute():
            try:
                session = services.rest_session_get(
                    platform=self.platform,
                    session_id=session_id,
                    customer=self.caller.checkout_customer(),
                )
            except errors.NotFound as exc:
                return self.missing_session(exc)
            data = translators.checkout_input_from(body, self.negotiated)
            try:
                session = services.rest_checkout_update(session=session, data=data)
            except errors.InvalidInput as exc:
                outcome = business_outcome_from(exc)
                if outcome is None:
                    raise
                session.refresh_from_db()
                return self.outcome_response(outcome, session=session)
            return self.checkout_response(session, cart_changed=True)

        return self.idempotent("update", execute, session_id)


class CheckoutCompleteView(RestView):
    def post_op(self, request, session_id):
        body = self.json_body()

        def execute():
            try:
                session = services.rest_session_get(
                    platform=self.platform,
                    session_id=session_id,
                    customer=self.caller.checkout_customer(),
                )
            except errors.NotFound as exc:
                return self.missing_session(exc)
            if not isinstance(body, dict):
                raise errors.InvalidInput("The request body must be a JSON object.")
            instruments = translators.instruments_from(body, self.negotiated)
            if session.is_final:
                # A retry that should replay carries its idempotency key; without one, a second
                # complete of a completed session is refused (the session is immutable).
                raise errors.InvalidState(f"The checkout session is {session.status}.")
            try:
                session = services.rest_checkout_complete(session=session, instruments=instruments)
            except CheckoutExpired:
                # Not "not ready": nothing the platform sends can complete it (409, as PUT).
                raise
            except errors.InvalidState:
                session.refresh_from_db()
                if session.is_final or session.status == CheckoutStatus.COMPLETE_IN_PROGRESS:
                    raise
                return self.not_completable(session)
            except errors.ServiceError as exc:
                outcome = business_outcome_from(exc)
                if outcome is None:
                    raise
                session.refresh_from_db()
                return self.outcome_response(outcome, session=session)
            return self.checkout_response(session)

        return self.idempotent("complete", execute, session_id)

    def not_completable(self, session):
        """Not ready: 2026-04-08 returns the checkout whose messages say what is missing."""
        if not self.legacy:
            return self.checkout_response(session)
        missing = [m.get("content", "") for m in session.messages if m.get("type") == "error"]
        if any(str(m.get("path", "")).startswith("$.fulfillment") for m in session.messages):
            missing.insert(0, "Fulfillment address and option must be selected.")
        content = " ".join(missing) or "The checkout session is not ready to complete."
        return JsonResponse(legacy_error_body(code="missing", content=content), status=400)


class CheckoutCancelView(RestView):
    def post_op(self, request, session_id):
        def execute():
            try:
                session = services.rest_session_get(
                    platform=self.platform,
                    session_id=session_id,
                    customer=self.caller.checkout_customer(),
                )
            except errors.NotFound as exc:
                return self.missing_session(exc)
            session = services.rest_checkout_cancel(session=session)
            return self.checkout_response(session)

        return self.idempotent("cancel", execute, session_id)


class OrderView(RestView):
    required_capability = ORDER

    def get_op(self, request, order_id):
        try:
            order = services.rest_order_get(
                platform=self.platform,
                order_id=order_id,
                customer=self.caller.order_customer(),
            )
        except errors.NotFound as exc:
            return self.missing_session(exc)
        return JsonResponse(translators.order_out(order, self.negotiated, request))


class CatalogView(RestView):
    """Catalog reads (2026-04-08 only). Any authenticated caller of the org may read the
    catalog, a buyer's token whatever its scopes included: the catalog is public to platforms."""

    served_versions = (V2026_04_08,)


class CatalogSearchView(CatalogView):
    required_capability = CATALOG_SEARCH

    def post_op(self, request):
        search = catalog.search_request_from(self.json_body())
        body = catalog.search(
            org=self.org,
            request=search,
            negotiated=self.negotiated,
            capability=self.required_capability,
        )
        return JsonResponse(body)


class CatalogLookupView(CatalogView):
    required_capability = CATALOG_LOOKUP

    def post_op(self, request):
        lookup = catalog.lookup_request_from(self.json_body())
        body = catalog.lookup(
            org=self.org,
            request=lookup,
            negotiated=self.negotiated,
            capability=self.required_capability,
        )
        return JsonResponse(body)


class CatalogProductView(CatalogView):
    """Single-product detail, which the lookup capability defines (catalog_lookup.json)."""

    required_capability = CATALOG_LOOKUP

    def post_op(self, request):
        wanted = catalog.product_request_from(self.json_body())
        body = catalog.product_detail(
            org=self.org,
            request=wanted,
            negotiated=self.negotiated,
            capability=self.required_capability,
        )
        if body is None:
            message = catalog.product_missing_message(wanted.id)
            return JsonResponse(error_envelope(version=self.version, messages=[message]))
        return JsonResponse(body)


@method_decorator(csrf_exempt, name="dispatch")
class SimulateShippingView(View):
    """`POST …/testing/simulate-shipping/{id}` for the conformance suite. 404 unless the org
    enabled it; 403 without the right `Simulation-Secret`. Needs no platform credentials: the
    secret is the credential."""

    http_method_names = ["post"]

    def post(self, request, order_id, orgcode=None):
        org = org_for_request(request, orgcode)
        if org is None or not rest_settings(org=org).simulation_enabled:
            return not_found_org()
        if not simulation_secret_matches(
            settings=rest_settings(org=org), presented=request.headers.get("Simulation-Secret")
        ):
            return JsonResponse(
                {"code": "forbidden", "content": "Wrong simulation secret."}, status=403
            )
        try:
            order = services.order_simulate_shipped(org=org, order_id=order_id)
        except errors.ServiceError as exc:
            # Plain {code, content}: the simulation route answers the same in every version.
            error = ProtocolError.from_service_error(exc, version=org_root_version(org))
            return JsonResponse(
                {"code": error.code, "content": error.content}, status=error.http_status
            )
        return JsonResponse({"status": "shipped", "order_id": str(order.guid)})


@method_decorator(csrf_exempt, name="dispatch")
class UnknownRouteView(View):
    """Any other path under /ucp/rest/<orgcode>/: a JSON 404, not Django's HTML page."""

    def dispatch(self, request, *args, **kwargs):
        return JsonResponse({"code": "not_found", "content": "No such route."}, status=404)
