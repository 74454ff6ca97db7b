"""How a platform verifies what it received, using only published material and libraries."""

import json

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from jwcrypto import jwk, jws
from standardwebhooks import Webhook

from orgconfig.signing import signing_keys_published


class ReceivedMessage:
    """The request as the receiver saw it, in the shape the RFC 9421 verifier reads."""

    def __init__(self, url: str, received):
        self.method = "POST"
        self.url = url
        self.headers = received.headers


def verify_standard_webhook(secret: str, received) -> dict:
    return Webhook(secret).verify(received.body, dict(received.headers))


def published_keys(org) -> dict:
    return {key["kid"]: key for key in signing_keys_published(org=org)}


def verify_rfc9421(org, url: str, received) -> list:
    """Verifies `Signature` with the org's published JWK and the body against Content-Digest."""
    public_keys = {
        kid: load_pem_public_key(jwk.JWK(**key).export_to_pem())
        for kid, key in published_keys(org).items()
    }
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ECDSA_P256_SHA256,
        key_resolver=MappingKeyResolver(public_keys=public_keys, private_keys={}),
    )
    return verifier.verify(
        ReceivedMessage(url, received),
        body=received.body,
        require_components=("@method", "@authority", "@path", "content-digest", "ucp-agent"),
    )


def verify_detached_jws(org, received) -> dict:
    token = jws.JWS()
    token.deserialize(received.headers["Request-Signature"])
    kid = token.jose_header["kid"]
    token.verify(jwk.JWK(**published_keys(org)[kid]), detached_payload=received.body)
    return json.loads(received.body)
