"""The outbound HTTP call of one delivery attempt: signing, the SSRF-hardened client, the result.

The client is requests-hardened: no redirects, short connect and read timeouts, and an IP filter
that checks the address actually dialled (so a name that resolves somewhere else between save
and send is still refused). Only the first bytes of the receiver's answer are read, for the
admin's records; they are never returned to API callers.
"""

import time
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.utils import timezone
from requests_hardened import Config, Manager
from requests_hardened.ip_filter import InvalidIPAddress

from orgconfig.signing import signing_key_active
from webhooks.events import is_order_event
from webhooks.models import DeliverySource, UcpVersion, WebhookConfig, WebhookDelivery
from webhooks.signing import detached_jws, rfc9421_sign, standard_webhook_headers
from webhooks.targets import UnsafeTarget, target_check

USER_AGENT = "ucp-webhooks/1"
RETRYABLE_STATUS = frozenset({408, 429})


@dataclass
class SendResult:
    url: str
    status_code: int | None = None
    error: str = ""
    duration_ms: int = 0
    response_body: str = ""
    retry_after: float | None = None
    retryable: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def http_manager() -> Manager:
    """With UCP_WEBHOOK_ALLOW_PRIVATE the dial-time filter is off (it cannot allow private
    networks alone); target_check still refuses link-local, multicast and metadata addresses."""
    return Manager(
        Config(
            ip_filter_enable=not settings.UCP_WEBHOOK_ALLOW_PRIVATE,
            ip_filter_allow_loopback_ips=False,
            never_redirect=True,
            default_timeout=(
                settings.UCP_WEBHOOK_CONNECT_TIMEOUT,
                settings.UCP_WEBHOOK_READ_TIMEOUT,
            ),
            user_agent_override=USER_AGENT,
        )
    )


def profile_url(org) -> str:
    base = settings.UCP_PUBLIC_BASE_URL.rstrip("/")
    return f"{base}/ucp/.well-known/ucp?orgcode={org.orgcode}"


def secrets_in_use(config: WebhookConfig) -> list[str]:
    secrets = [config.signing_secret]
    valid_until = config.previous_secret_valid_until
    if config.previous_signing_secret and valid_until and valid_until > timezone.now():
        secrets.append(config.previous_signing_secret)
    return secrets


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when absent or unreadable.

    Capped just past the retry window: a later time fails the delivery all the same (see
    next_outcome), and the receiver's number must not overflow the date arithmetic that decides
    it, which would crash the attempt and leave the delivery due for the sweeper forever."""
    if not value:
        return None
    value = value.strip()
    # ASCII only: str.isdigit also accepts characters float() refuses ("²", header byte 0xB2).
    if value.isascii() and value.isdigit():
        seconds = float(value)
    else:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            # `-0000` (or no zone) parses naive; an HTTP-date is GMT.
            moment = moment.replace(tzinfo=UTC)
        seconds = max(0.0, (moment - timezone.now()).total_seconds())
    return min(seconds, settings.UCP_WEBHOOK_RETRY_WINDOW_SECONDS + 1.0)


def storable(text: str) -> str:
    """Text from the receiver (its body, an error quoting it) as PostgreSQL can store it: a NUL
    would make the attempt's insert fail, roll the attempt back and have it sent again forever."""
    return text.replace("\x00", "\ufffd")


def target_of(delivery: WebhookDelivery, config: WebhookConfig | None) -> tuple[str, str]:
    """(URL, UCP version) of the attempt: a profile delivery's own, else the platform's current
    configured callback."""
    if delivery.source == DeliverySource.PROFILE:
        return delivery.target_url, delivery.ucp_version
    return config.callback_url, config.ucp_version


def event_headers(delivery: WebhookDelivery, config: WebhookConfig | None) -> dict:
    """Standard Webhooks id and timestamp on every delivery. The HMAC `webhook-signature` needs
    the secret an admin shares with the platform, so a profile delivery (whose platform was never
    given one) is signed with the org's key only, which is what UCP itself defines."""
    now = timezone.now()
    if delivery.source == DeliverySource.PROFILE:
        return {"webhook-id": str(delivery.guid), "webhook-timestamp": str(int(now.timestamp()))}
    return standard_webhook_headers(
        secrets_in_use=secrets_in_use(config),
        msg_id=str(delivery.guid),
        timestamp=now,
        body=delivery.body,
    )


def signed_request(session, *, delivery: WebhookDelivery, config: WebhookConfig | None):
    body = delivery.body.encode()
    url, version = target_of(delivery, config)
    headers = {
        "Content-Type": "application/json",
        "Webhook-Event-Type": delivery.event_type,
        **event_headers(delivery, config),
    }
    if is_order_event(delivery.event_type):
        headers["UCP-Agent"] = f'profile="{profile_url(delivery.org)}"'
    prepared = session.prepare_request(requests.Request("POST", url, data=body, headers=headers))

    if is_order_event(delivery.event_type):
        key = signing_key_active(org=delivery.org)
        if version == UcpVersion.V2026_01_11:
            prepared.headers["Request-Signature"] = detached_jws(key=key, body=body)
        else:
            rfc9421_sign(prepared, key=key, body=body)
    return prepared


def read_limited(response) -> str:
    """The first bytes of the receiver's answer, read within the read timeout as a whole: the
    client's timeout applies per socket read, so a receiver dripping a byte every few seconds
    would otherwise hold the worker for as long as it likes. read1 returns what has arrived
    instead of waiting for the full limit."""
    limit = settings.UCP_WEBHOOK_RESPONSE_BODY_LIMIT
    deadline = time.monotonic() + settings.UCP_WEBHOOK_READ_TIMEOUT
    data = bytearray()
    try:
        while len(data) < limit and time.monotonic() < deadline:
            chunk = response.raw.read1(limit - len(data), decode_content=True)
            if not chunk:
                break
            data += chunk
    except Exception:  # a broken body must not turn a delivered webhook into a failure
        pass
    return storable(bytes(data[:limit]).decode("utf-8", errors="replace"))


def send(*, delivery: WebhookDelivery, config: WebhookConfig | None) -> SendResult:
    """One POST of the delivery's bytes to its target (see target_of)."""
    url, _version = target_of(delivery, config)
    result = SendResult(url=url)
    try:
        target_check(url)
    except UnsafeTarget as exc:
        result.error = f"refused: {exc}"
        return result

    started = time.monotonic()
    with http_manager().get_session() as session:
        try:
            prepared = signed_request(session, delivery=delivery, config=config)
            response = session.send(prepared, allow_redirects=False, stream=True)
            with response:
                result.status_code = response.status_code
                result.response_body = read_limited(response)
                result.retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        except InvalidIPAddress as exc:
            result.error = f"refused: the host resolved to a forbidden address ({exc})"
        except requests.Timeout:
            result.error = "timeout"
            result.retryable = True
        except requests.RequestException as exc:
            result.error = storable(f"{type(exc).__name__}: {exc}")[:300]
            result.retryable = True
    result.duration_ms = int((time.monotonic() - started) * 1000)

    code = result.status_code
    if code is not None:
        result.retryable = code >= 500 or code in RETRYABLE_STATUS
        if not result.retryable:
            result.retry_after = None
    return result
