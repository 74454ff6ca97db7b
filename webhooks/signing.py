"""Signatures on outgoing webhooks.

Every delivery carries Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
`webhook-signature`), an HMAC with the platform's own secret, made by the `standardwebhooks`
package. UCP order webhooks also carry the protocol's signature with the org's ES256 key, whose
public JWK the org's profile publishes (orgconfig.signing):
- 2026-04-08: RFC 9421 (`Content-Digest`, `Signature-Input`, `Signature`, label `sig1`), made by
  `http-message-signatures`, with the raw r‖s ECDSA form the protocol asks for;
- 2026-01-11: a detached JWS with unencoded payload (RFC 7797) over the body in
  `Request-Signature`, made by jwcrypto.
"""

import base64
import json
import secrets
from datetime import datetime

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms
from jwcrypto import jwk, jws
from standardwebhooks import Webhook

from orgconfig.models import SigningKey

SIGNATURE_LABEL = "sig1"
# RFC 9421 components covered on a webhook POST: what UCP 2026-04-08 requires for a request
# with a body and a UCP-Agent header, plus the Standard Webhooks id and time so that the
# delivery identity is signed too.
COVERED_COMPONENTS = (
    "@method",
    "@authority",
    "@path",
    "content-digest",
    "content-type",
    "ucp-agent",
    "webhook-id",
    "webhook-timestamp",
)


def new_signing_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_webhook_headers(
    *, secrets_in_use: list[str], msg_id: str, timestamp: datetime, body: str
) -> dict[str, str]:
    """Headers signed with every secret in use (two during a rotation's grace period)."""
    signatures = [
        Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body)
        for secret in secrets_in_use
    ]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def rfc9421_sign(prepared_request, *, key: SigningKey, body: bytes) -> None:
    """Adds Content-Digest, Signature-Input and Signature to a prepared requests.Request."""
    private_key = load_pem_private_key(key.private_key_pem.encode(), password=None)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ECDSA_P256_SHA256,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={key.kid: private_key}),
    )
    covered = [c for c in COVERED_COMPONENTS if c.startswith("@") or c in prepared_request.headers]
    signer.sign(
        prepared_request,
        key_id=key.kid,
        label=SIGNATURE_LABEL,
        include_alg=False,
        covered_component_ids=covered,
        body=body,
    )


def detached_jws(*, key: SigningKey, body: bytes) -> str:
    """`<protected header>..<signature>`: a JWS over the raw body bytes, payload detached."""
    signing_key = jwk.JWK.from_pem(key.private_key_pem.encode())
    token = jws.JWS(body)
    token.add_signature(
        signing_key,
        alg="ES256",
        protected=json.dumps({"alg": "ES256", "kid": key.kid, "b64": False, "crit": ["b64"]}),
    )
    token.detach_payload()
    return token.serialize(compact=True)
