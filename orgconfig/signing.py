"""The org's ES256 signing keys: creation, rotation with a publication grace period, and the
public JWK set the profile publishes."""

import logging
import uuid
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from jwcrypto import jwk

from orgconfig.models import Org, SigningKey

logger = logging.getLogger(__name__)

# Platforms cache profiles; a retired key stays published this long so late verifications pass.
RETIRED_KEY_PUBLICATION = timedelta(days=7)


def new_signing_key(org: Org) -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = f"{org.orgcode.lower()}-{uuid.uuid4().hex[:12]}"
    public = jwk.JWK.from_pem(pem.encode()).export_public(as_dict=True)
    public.update({"kid": kid, "use": "sig", "alg": "ES256"})
    return SigningKey.objects.create(org=org, kid=kid, private_key_pem=pem, public_jwk=public)


def signing_key_active(*, org: Org) -> SigningKey:
    """The key to sign with now; created on first use."""
    key = (
        SigningKey.objects.filter(org=org, retired_at__isnull=True).order_by("-created_at").first()
    )
    return key or new_signing_key(org)


@transaction.atomic
def signing_key_rotate(*, org: Org) -> SigningKey:
    """Adds a new active key; the old ones stay published for RETIRED_KEY_PUBLICATION."""
    now = timezone.now()
    SigningKey.objects.filter(org=org, retired_at__isnull=True).update(
        retired_at=now, publish_until=now + RETIRED_KEY_PUBLICATION
    )
    key = new_signing_key(org)

    logger.info("Signing key rotated", extra={"org": org.orgcode, "kid": key.kid})
    return key


def public_halves():
    """Signing keys without their private half: loading it decrypts it, and a key that does not
    decrypt (SECRET_KEY rotated without its fallback) raises SecretUnreadable. What only shows or
    publishes the public half must keep working then, above all the org's UCP profile."""
    return SigningKey.objects.defer("private_key_pem")


def signing_keys_published(*, org: Org) -> list[dict]:
    """Public JWKs of the active key and of retired keys still in their publication period."""
    if not public_halves().filter(org=org, retired_at__isnull=True).exists():
        signing_key_active(org=org)
    keys = (
        public_halves()
        .filter(org=org)
        .filter(Q(retired_at__isnull=True) | Q(publish_until__gt=timezone.now()))
    )
    return [key.public_jwk for key in keys.order_by("-created_at")]


def signing_keys_listed(*, org: Org) -> list[dict]:
    """Every key of the org for admins: its kid and lifecycle, never any key material."""
    now = timezone.now()
    keys = public_halves().filter(org=org).order_by("-created_at")
    return [
        {
            "kid": key.kid,
            "created_at": key.created_at.isoformat(),
            "retired_at": key.retired_at.isoformat() if key.retired_at else None,
            "publish_until": key.publish_until.isoformat() if key.publish_until else None,
            "published": key.retired_at is None or (key.publish_until or now) > now,
        }
        for key in keys
    ]
