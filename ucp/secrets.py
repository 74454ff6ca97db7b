"""Generation and digests of the secrets the service hands out (API keys, client secrets)."""

import hashlib
import secrets


def generate_secret(prefix: str) -> str:
    """A 256-bit random secret with a readable prefix that says what it is (`ucp_sk_...`)."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def secret_digest(value: str) -> str:
    """SHA-256 of a high-entropy secret: safe to store and to look up by (see ApiKey)."""
    return hashlib.sha256(value.encode()).hexdigest()
