"""The standard UCP REST binding (`/ucp/rest/<orgcode>/…`) over the checkout and order services.

Views speak UCP's own shapes and error bodies in the version negotiated per request; the
translators turn those shapes into service calls and sessions or orders back into UCP objects.
"""
